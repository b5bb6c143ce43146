"""Stdlib-only writer of uncompressed Windows Prefetch (SCCA) files.

Writes format version 23 (Windows Vista/7, one last run time) and version 26
(Windows 8.1, eight last run times). Windows 10 stores version 30 compressed
(MAM), which is not supported here.

Reference: libyal libscca "Windows Prefetch File (PF) format".
"""

import ntpath
import struct

from tests.forge import filetime

_FILE_HEADER_SIZE = 84
_FILE_INFORMATION_SIZE = {23: 156, 26: 224}
_METRICS_ENTRY_SIZE = 32
_TRACE_CHAIN_ENTRY_SIZE = 12
_VOLUME_INFORMATION_ENTRY_SIZE = 104
_MAXIMUM_EXECUTABLE_NAME = 29


def _filetime(date_time):
    """Converts a tz-aware datetime (or None) to a FILETIME integer (0 = unset)."""
    return filetime.FromDateTime(date_time)


def _utf16z(string):
    """Encodes a string as UTF-16 little-endian with end-of-string character."""
    return string.encode("utf-16-le") + b"\x00\x00"


def _align(value, alignment):
    """Rounds value up to a multiple of alignment."""
    return (value + alignment - 1) // alignment * alignment


def prefetch_hash(device_path_of_executable, algorithm="vista"):
    """Calculates the prefetch hash of an executable's device path.

    The "vista" function is the one of Windows Vista, 7, 8 and 8.1 (libscca's
    "2008" function is an unrolled form that gives the same values), e.g.
    "\\DEVICE\\HARDDISKVOLUME2\\WINDOWS\\SYSTEM32\\CMD.EXE" gives 0x4A81B364.

    Args:
      device_path_of_executable (str): device path, upper-cased before hashing
          as Windows does.
      algorithm (str): "vista" (default) or "xp" (Windows XP and 2003).

    Returns:
      int: 32-bit prefetch hash.
    """
    data = device_path_of_executable.upper().encode("utf-16-le")
    if algorithm == "xp":
        hash_value = 0
        for byte in data:
            hash_value = (hash_value * 37 + byte) % 0x100000000
        hash_value = (hash_value * 314159269) % 0x100000000
        if hash_value > 0x80000000:
            hash_value = 0x100000000 - hash_value
        return (abs(hash_value) % 1000000007) % 0x100000000
    if algorithm != "vista":
        raise ValueError(f"unsupported prefetch hash algorithm: {algorithm!r}")
    hash_value = 314159
    for byte in data:
        hash_value = (hash_value * 37 + byte) % 0x100000000
    return hash_value


def executable_device_path(
    executable, executable_path, volume_device_path="\\DEVICE\\HARDDISKVOLUME2"
):
    """Builds the upper-case device path of an executable.

    Args:
      executable (str): executable file name, e.g. "client32.exe".
      executable_path (str): the executable's path, or its directory, as a
          drive path ("C:\\Users\\..."), a path from the volume root
          ("\\Users\\...") or a device path ("\\DEVICE\\HARDDISKVOLUME2\\...").
      volume_device_path (str): device path of the volume (drive) it is on.

    Returns:
      str: e.g. "\\DEVICE\\HARDDISKVOLUME2\\USERS\\ALICE\\CLIENT32.EXE".
    """
    path = executable_path.replace("/", "\\")
    if not path.upper().startswith("\\DEVICE\\"):
        _, path = ntpath.splitdrive(path)
        path = volume_device_path.rstrip("\\") + "\\" + path.lstrip("\\")
    if ntpath.basename(path).upper() != executable.upper():
        path = path.rstrip("\\") + "\\" + executable
    return path.upper()


def prefetch_file_name(
    executable, executable_path, volume_device_path="\\DEVICE\\HARDDISKVOLUME2"
):
    """Returns the Prefetch file name, e.g. "CLIENT32.EXE-1A2B3C4D.pf".

    Args:
      executable (str): executable file name.
      executable_path (str): see executable_device_path().
      volume_device_path (str): device path of the volume the executable is on.
    """
    device_path = executable_device_path(
        executable, executable_path, volume_device_path
    )
    name = executable.upper()[:_MAXIMUM_EXECUTABLE_NAME]
    return f"{name}-{prefetch_hash(device_path):08X}.pf"


def _mapped_file_entries(mapped_files, exe_device_path):
    """Normalizes mapped files to (upper-case path, NTFS file reference) tuples.

    The executable itself is appended when the caller did not list it, since
    Windows always records it.
    """
    entries = []
    for mapped_file in mapped_files:
        if isinstance(mapped_file, str):
            path, file_reference = mapped_file, 0
        else:
            path, file_reference = mapped_file
        entries.append((path.upper(), file_reference))
    if exe_device_path not in [path for path, _ in entries]:
        entries.append((exe_device_path, 0))
    return entries


def _directory_strings(paths, volume_device_path):
    """Derives the directory strings of a volume from file paths.

    Windows records every directory touched at start-up, i.e. all ancestors of
    the mapped files on that volume; they are returned sorted.
    """
    prefix = volume_device_path.upper().rstrip("\\") + "\\"
    directories = set()
    for path in paths:
        if not path.startswith(prefix):
            continue
        parent = ntpath.dirname(path)
        while len(parent) >= len(prefix):
            directories.add(parent)
            parent = ntpath.dirname(parent)
    return sorted(directories)


def build_prefetch(
    executable,
    executable_path,
    run_times,
    run_count=None,
    mapped_files=(),
    volume_device_path="\\DEVICE\\HARDDISKVOLUME2",
    volume_serial=0x1234ABCD,
    volume_creation_time=None,
    directories=(),
    version=23,
):
    """Builds an uncompressed Windows Prefetch (SCCA) file.

    Args:
      executable (str): executable file name, e.g. "CLIENT32.EXE"; stored
          upper-cased and truncated to 29 characters.
      executable_path (str): path of the executable or its directory; see
          executable_device_path().
      run_times (list[datetime.datetime]): tz-aware last run times, most recent
          first. Version 23 keeps the first, version 26 the first eight.
      run_count (Optional[int]): run count; defaults to len(run_times).
      mapped_files (iterable[str|tuple[str, int]]): device paths of the files
          loaded at start-up, optionally with their NTFS file reference
          (MFT entry | sequence << 48). Stored upper-cased; the executable is
          appended if missing.
      volume_device_path (str): device path of the (single) volume.
      volume_serial (int): volume serial number.
      volume_creation_time (Optional[datetime.datetime]): volume creation time,
          or None for 0 (unset).
      directories (iterable[str]): directory device paths of the volume; when
          empty they are derived from the mapped files.
      version (int): 23 (Windows Vista/7) or 26 (Windows 8.1).

    Returns:
      bytes: the Prefetch file.

    Raises:
      ValueError: on an unsupported version or naive datetimes.
    """
    if version not in _FILE_INFORMATION_SIZE:
        raise ValueError(f"unsupported Prefetch format version: {version!r}")
    run_times = list(run_times)
    if run_count is None:
        run_count = len(run_times)
    exe_device_path = executable_device_path(
        executable, executable_path, volume_device_path
    )
    entries = _mapped_file_entries(mapped_files, exe_device_path)
    volume_device_path = volume_device_path.upper().rstrip("\\")
    if directories:
        directory_strings = [directory.upper() for directory in directories]
    else:
        directory_strings = _directory_strings(
            [path for path, _ in entries], volume_device_path
        )

    # Metrics array: one entry per filename, each owning one trace chain entry.
    filename_strings = bytearray()
    metrics = bytearray()
    trace_chains = bytearray()
    for index, (path, file_reference) in enumerate(entries):
        metrics += struct.pack(
            "<IIIIIIQ",
            index,  # first trace chain entry index
            1,  # number of trace chain entries
            1,  # average prefetch duration
            len(filename_strings),  # filename string offset, in bytes
            len(path),  # filename number of characters, without end-of-string
            0x00000002,  # flags, as commonly seen for DLLs
            file_reference,
        )
        filename_strings += _utf16z(path)
        # Each chain is a single entry: next index -1 (end of chain).
        trace_chains += struct.pack("<IIBBH", 0xFFFFFFFF, 1, 0x02, 1, 0x0001)

    # Volume information data: entry, device path, file references, directories.
    # File references: version 3 then a count and (here empty) reference array.
    references = [reference for _, reference in entries if reference]
    device_path_offset = _VOLUME_INFORMATION_ENTRY_SIZE
    device_path_data = _utf16z(volume_device_path)
    file_references_offset = _align(device_path_offset + len(device_path_data), 8)
    file_references_data = struct.pack("<II", 3, len(references) + 1)
    # The first array slot is unused (libscca notes it as such).
    file_references_data += b"\x00" * 8
    file_references_data += b"".join(struct.pack("<Q", ref) for ref in references)
    directories_offset = file_references_offset + len(file_references_data)
    directories_data = b"".join(
        struct.pack("<H", len(directory)) + _utf16z(directory)
        for directory in directory_strings
    )
    volume_entry = bytearray(_VOLUME_INFORMATION_ENTRY_SIZE)
    struct.pack_into(
        "<IIQIIIIII",
        volume_entry,
        0,
        device_path_offset,
        len(volume_device_path),
        _filetime(volume_creation_time),
        volume_serial & 0xFFFFFFFF,
        file_references_offset,
        len(file_references_data),
        directories_offset,
        len(directory_strings),
        0,
    )
    # Offset 68: copy of the number of directory strings, as Windows writes.
    struct.pack_into("<I", volume_entry, 68, len(directory_strings))
    volume_data = bytearray(volume_entry)
    volume_data += b"\x00" * (device_path_offset - len(volume_data))
    volume_data += device_path_data
    volume_data += b"\x00" * (file_references_offset - len(volume_data))
    volume_data += file_references_data + directories_data

    metrics_offset = _FILE_HEADER_SIZE + _FILE_INFORMATION_SIZE[version]
    trace_chains_offset = metrics_offset + len(metrics)
    filename_strings_offset = trace_chains_offset + len(trace_chains)
    volumes_offset = _align(filename_strings_offset + len(filename_strings), 8)
    file_size = _align(volumes_offset + len(volume_data), 8)

    file_information = bytearray(_FILE_INFORMATION_SIZE[version])
    struct.pack_into(
        "<9I",
        file_information,
        0,
        metrics_offset,
        len(entries),
        trace_chains_offset,
        len(entries),
        filename_strings_offset,
        len(filename_strings),
        volumes_offset,
        1,  # number of volumes
        len(volume_data),
    )
    if version == 23:
        last_run_time = run_times[0] if run_times else None
        struct.pack_into("<Q", file_information, 44, _filetime(last_run_time))
        struct.pack_into("<II", file_information, 68, run_count, 1)
    else:
        for index, run_time in enumerate(run_times[:8]):
            offset = 44 + index * 8
            struct.pack_into("<Q", file_information, offset, _filetime(run_time))
        struct.pack_into("<I", file_information, 124, run_count)

    name = executable.upper()[:_MAXIMUM_EXECUTABLE_NAME].encode("utf-16-le")
    file_header = struct.pack(
        "<I4sII60sII",
        version,
        b"SCCA",
        0x11,  # unknown; 0x11 on Vista and later
        file_size,
        name,  # zero-filled after the end-of-string, as Windows 8.1 does
        prefetch_hash(exe_device_path),
        0,
    )

    data = bytearray(file_header + file_information)
    data += metrics + trace_chains + filename_strings
    data += b"\x00" * (volumes_offset - len(data))
    data += volume_data
    data += b"\x00" * (file_size - len(data))
    return bytes(data)
