"""Stdlib-only writer of Windows Shortcut (LNK) files.

Writes a shell link header, a LinkTargetIDList (My Computer, the volume and one
file entry shell item per path segment), LinkInfo with VolumeID and
LocalBasePath, Unicode StringData and an empty ExtraData section, in the form
Windows 7 and later write for a shortcut to a local file.

References: Microsoft [MS-SHLLINK] and libyal libfwsi "Windows Shell Item
format".
"""

import datetime
import ntpath
import re
import struct
import unicodedata
import uuid

from tests.forge import filetime

_LINK_CLSID = uuid.UUID("00021401-0000-0000-C000-000000000046").bytes_le
_MY_COMPUTER = uuid.UUID("20D04FE0-3AEA-1069-A2D8-08002B30309D").bytes_le

_HAS_LINK_TARGET_ID_LIST = 0x00000001
_HAS_LINK_INFO = 0x00000002
_HAS_NAME = 0x00000004
_HAS_RELATIVE_PATH = 0x00000008
_HAS_WORKING_DIR = 0x00000010
_HAS_ARGUMENTS = 0x00000020
_HAS_ICON_LOCATION = 0x00000040
_IS_UNICODE = 0x00000080

_FILE_ATTRIBUTE_DIRECTORY = 0x10
_FILE_ATTRIBUTE_ARCHIVE = 0x20
_DRIVE_FIXED = 3
_SW_SHOWNORMAL = 1

# LinkInfo strings are in the system ANSI code page; Western Windows default.
_ANSI_CODEPAGE = "cp1252"


def _filetime(date_time):
    """Converts a tz-aware datetime (or None) to a FILETIME integer (0 = unset)."""
    return filetime.FromDateTime(date_time)


def _fat_date_time(date_time):
    """Converts a datetime (or None) to a 32-bit FAT date (low) and time (high).

    FAT times have a 2-second granularity; odd seconds are rounded down.
    """
    if date_time is None:
        return 0
    date_time = date_time.astimezone(datetime.timezone.utc)
    if not 1980 <= date_time.year <= 2107:
        return 0
    fat_date = (date_time.year - 1980) << 9 | date_time.month << 5 | date_time.day
    fat_time = date_time.hour << 11 | date_time.minute << 5 | date_time.second // 2
    return fat_time << 16 | fat_date


def _short_name(name):
    """Returns the 8.3 name Windows would show for a long name (first alias).

    Names that already fit 8.3 are kept as is, as Windows does in shell items.
    """
    # Windows folds accented letters to their base letter in 8.3 names.
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base, dot, extension = name.rpartition(".")
    if not dot:
        base, extension = name, ""
    if (
        re.fullmatch(r"[A-Za-z0-9_$~!#%&'(){}^@`-]{1,8}", base)
        and re.fullmatch(r"[A-Za-z0-9_$~!#%&'(){}^@`-]{0,3}", extension)
        and name.count(".") <= 1
    ):
        return name
    clean_base = re.sub(r"[^A-Z0-9_$~!#%&'(){}^@`-]", "", base.upper()) or "FILE"
    clean_extension = re.sub(r"[^A-Z0-9_$~!#%&'(){}^@`-]", "", extension.upper())
    short = f"{clean_base[:6]}~1"
    if clean_extension:
        short += f".{clean_extension[:3]}"
    return short


def _file_entry_shell_item(name, is_directory, file_size, times):
    """Builds a file entry shell item with a version 9 0xBEEF0004 extension.

    Args:
      name (str): long name of the file or directory.
      is_directory (bool): True for a directory.
      file_size (int): file size, 0 for directories.
      times (tuple): (creation, access, modification) datetimes or Nones.

    Returns:
      bytes: the shell item, including its size.
    """
    creation, access, modification = times
    item = bytearray(
        struct.pack(
            "<HBBIIH",
            0,  # item size, set below
            0x31 if is_directory else 0x32,  # file entry: directory or file
            0,
            0 if is_directory else file_size & 0xFFFFFFFF,
            _fat_date_time(modification),
            _FILE_ATTRIBUTE_DIRECTORY if is_directory else _FILE_ATTRIBUTE_ARCHIVE,
        )
    )
    item += _short_name(name).encode("ascii") + b"\x00"
    item += b"\x00" * (len(item) % 2)  # the extension block is 16-bit aligned
    extension_offset = len(item)

    # Version 9 (Windows 8.1 and later): long name at 46 (0x2E).
    extension = bytearray(
        struct.pack(
            "<HHIIIHHQQHII",
            0,  # extension size, set below
            9,
            0xBEEF0004,
            _fat_date_time(creation),
            _fat_date_time(access),
            0x2E,  # long name offset
            0,
            0,  # NTFS file reference: unknown here
            0,
            0,  # localized name offset: none
            0,
            0,
        )
    )
    extension += name.encode("utf-16-le") + b"\x00\x00"
    extension += struct.pack("<H", extension_offset)
    struct.pack_into("<H", extension, 0, len(extension))
    item += extension
    struct.pack_into("<H", item, 0, len(item))
    return bytes(item)


def _link_target_id_list(target_path, target_size, target_times):
    """Builds the LinkTargetIDList: My Computer, volume, then path segments.

    Directory items carry no times, since their real times are not known.
    """
    drive, path = ntpath.splitdrive(target_path)
    items = [struct.pack("<HBB", 20, 0x1F, 0x50) + _MY_COMPUTER]
    volume_name = (drive + "\\").encode("ascii")
    items.append(struct.pack("<HB", 25, 0x2F) + volume_name.ljust(22, b"\x00"))
    segments = [segment for segment in path.split("\\") if segment]
    for index, segment in enumerate(segments):
        is_file = index == len(segments) - 1
        items.append(
            _file_entry_shell_item(
                segment,
                is_directory=not is_file,
                file_size=target_size if is_file else 0,
                times=target_times if is_file else (None, None, None),
            )
        )
    id_list = b"".join(items) + b"\x00\x00"  # TerminalID
    return struct.pack("<H", len(id_list)) + id_list


def _link_info(target_path, volume_serial, volume_label):
    """Builds LinkInfo with a VolumeID and LocalBasePath.

    A Unicode LocalBasePath (header size 0x24) is added only when the path does
    not fit the ANSI code page, as Windows does.
    """
    try:
        local_base_path = target_path.encode(_ANSI_CODEPAGE)
        unicode_path = None
    except UnicodeEncodeError:
        local_base_path = target_path.encode(_ANSI_CODEPAGE, errors="replace")
        unicode_path = target_path.encode("utf-16-le") + b"\x00\x00"

    volume_id = struct.pack("<IIII", 0, _DRIVE_FIXED, volume_serial & 0xFFFFFFFF, 0x10)
    volume_id += volume_label.encode(_ANSI_CODEPAGE, errors="replace") + b"\x00"
    volume_id = struct.pack("<I", len(volume_id)) + volume_id[4:]

    header_size = 0x24 if unicode_path else 0x1C
    body = bytearray()
    volume_id_offset = header_size
    body += volume_id
    local_base_path_offset = header_size + len(body)
    body += local_base_path + b"\x00"
    common_path_suffix_offset = header_size + len(body)
    body += b"\x00"  # empty CommonPathSuffix
    unicode_offsets = b""
    if unicode_path:
        body += b"\x00" * (len(body) % 2)
        local_base_path_unicode_offset = header_size + len(body)
        body += unicode_path
        unicode_offsets = struct.pack(
            "<II", local_base_path_unicode_offset, header_size + len(body)
        )
        body += b"\x00\x00"  # empty CommonPathSuffixUnicode
    header = struct.pack(
        "<IIIIIII",
        header_size + len(body),  # LinkInfoSize
        header_size,
        0x1,  # VolumeIDAndLocalBasePath
        volume_id_offset,
        local_base_path_offset,
        0,  # CommonNetworkRelativeLinkOffset
        common_path_suffix_offset,
    )
    return header + unicode_offsets + bytes(body)


def _string_data(value):
    """Builds one Unicode StringData entry: character count, then UTF-16."""
    encoded = value.encode("utf-16-le")
    return struct.pack("<H", len(encoded) // 2) + encoded


def build_lnk(
    target_path,
    arguments=None,
    working_directory=None,
    description=None,
    icon_location=None,
    target_times=None,
    target_size=0,
    volume_serial=0x1234ABCD,
    volume_label="Windows",
    relative_path=None,
):
    """Builds a Windows Shortcut (LNK) file to a file on a local fixed drive.

    Args:
      target_path (str): Windows path of the target, e.g.
          "C:\\ProgramData\\SchCache\\updater.exe".
      arguments (Optional[str]): command line arguments.
      working_directory (Optional[str]): working directory.
      description (Optional[str]): description (NAME_STRING).
      icon_location (Optional[str]): icon location.
      target_times (Optional[tuple[datetime, datetime, datetime]]): tz-aware
          (creation, access, write) times of the target, for the header and
          the target's shell item.
      target_size (int): size of the target file.
      volume_serial (int): serial number of the target's volume.
      volume_label (str): label of the target's volume.
      relative_path (Optional[str]): path of the target relative to the LNK.

    Returns:
      bytes: the LNK file.
    """
    creation, access, write = target_times or (None, None, None)

    flags = _HAS_LINK_TARGET_ID_LIST | _HAS_LINK_INFO | _IS_UNICODE
    string_data = b""
    # StringData order is fixed by [MS-SHLLINK] 2.4.
    for flag, value in (
        (_HAS_NAME, description),
        (_HAS_RELATIVE_PATH, relative_path),
        (_HAS_WORKING_DIR, working_directory),
        (_HAS_ARGUMENTS, arguments),
        (_HAS_ICON_LOCATION, icon_location),
    ):
        if value is not None:
            flags |= flag
            string_data += _string_data(value)

    header = struct.pack(
        "<I16sIIQQQIIIHHII",
        0x4C,  # HeaderSize
        _LINK_CLSID,
        flags,
        _FILE_ATTRIBUTE_ARCHIVE,
        _filetime(creation),
        _filetime(access),
        _filetime(write),
        target_size & 0xFFFFFFFF,
        0,  # IconIndex
        _SW_SHOWNORMAL,
        0,  # HotKey
        0,  # Reserved1
        0,  # Reserved2
        0,  # Reserved3
    )
    return (
        header
        + _link_target_id_list(target_path, target_size, (creation, access, write))
        + _link_info(target_path, volume_serial, volume_label)
        + string_data
        + b"\x00\x00\x00\x00"  # ExtraData TerminalBlock
    )
