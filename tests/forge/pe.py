"""Stdlib-only writer of small Portable Executable (PE/COFF) files.

The files are valid PE32 (or PE32+ for amd64) images with a chosen COFF
TimeDateStamp, an optional import table and an optional RT_VERSION resource.
They are meant to be found and parsed by forensic tools (pefile, plaso's ``pe``
parser), not to do anything useful when run: the entry point only returns.

Reference: Microsoft "PE Format" specification and the VS_VERSIONINFO,
VS_FIXEDFILEINFO, StringFileInfo and VarFileInfo documentation.
"""

import datetime
import re
import struct
import sys
from array import array

_FILE_ALIGNMENT = 0x200
_SECTION_ALIGNMENT = 0x1000
_E_LFANEW = 0x80

_MACHINES = {
    # machine: (COFF machine, optional header magic, image base exe/dll)
    "i386": (0x014C, 0x010B, 0x00400000, 0x10000000),
    "amd64": (0x8664, 0x020B, 0x0000000140000000, 0x0000000180000000),
}

_IMAGE_FILE_EXECUTABLE_IMAGE = 0x0002
_IMAGE_FILE_LARGE_ADDRESS_AWARE = 0x0020
_IMAGE_FILE_32BIT_MACHINE = 0x0100
_IMAGE_FILE_DLL = 0x2000

_SCN_CODE = 0x60000020  # CNT_CODE | MEM_EXECUTE | MEM_READ
_SCN_RDATA = 0x40000040  # CNT_INITIALIZED_DATA | MEM_READ

_RT_VERSION = 16
_LANG_EN_US = 0x0409
_CODEPAGE_UNICODE = 0x04B0

# The classic MS-DOS stub emitted by Microsoft's linker.
_DOS_STUB = (
    b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21"
    b"This program cannot be run in DOS mode.\r\r\n$"
)

# Code-like filler for the rest of .text and for ``padding``. It is not zeros
# because pefile warns when 0x00 makes up more than half of a file (and any
# other byte more than 15%); a short repeating pattern also keeps forged disk
# images compressible. It is a plausible x86 function body, repeated.
_CODE_FILLER = bytes.fromhex(
    "558bec83ec085356578b7d0885ff74058b4704eb0233c05f5e5b8be55dc20400cccccccc"
)

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

# The version strings of NetSupport's client32.exe (12.10) that the forge's
# client binaries carry; the PE tests share them.
CLIENT32_VERSION_INFO = {
    "CompanyName": "NetSupport Ltd",
    "FileDescription": "NetSupport Client Application",
    "FileVersion": "V12.10",
    "InternalName": "client32",
    "LegalCopyright": "Copyright (c) 2016, NetSupport Ltd",
    "OriginalFilename": "client32.exe",
    "ProductName": "NetSupport Remote Control",
    "ProductVersion": "12.10.4.1",
}


def _align(value, alignment):
    """Rounds value up to a multiple of alignment."""
    return (value + alignment - 1) // alignment * alignment


def _pad4(data):
    """Pads a bytearray in place to a multiple of 4 bytes."""
    data.extend(b"\x00" * (-len(data) % 4))


def _posix_timestamp(date_time):
    """Converts a tz-aware datetime to a 32-bit POSIX timestamp.

    Raises:
      ValueError: if the datetime is naive or out of the 32-bit range.
    """
    if date_time.tzinfo is None or date_time.utcoffset() is None:
        raise ValueError("compile_time must be timezone aware")
    timestamp = int((date_time - _EPOCH).total_seconds())
    if not 0 <= timestamp <= 0xFFFFFFFF:
        raise ValueError("compile_time out of range of a COFF TimeDateStamp")
    return timestamp


def _version_numbers(version_string):
    """Parses a version string such as "12.10.4.1" or "12, 10, 4, 1".

    Returns:
      tuple[int, int, int, int]: version parts, missing parts as 0.
    """
    numbers = []
    for part in re.split(r"[.,\s]+", (version_string or "").strip()):
        match = re.search(r"\d+", part)
        numbers.append(min(int(match.group(0)), 0xFFFF) if match else 0)
    numbers = (numbers + [0, 0, 0, 0])[:4]
    return tuple(numbers)


def _version_block(key, value=b"", value_length=0, value_type=0, children=()):
    """Builds one VS_VERSIONINFO-style block (wLength, wValueLength, wType).

    Args:
      key (str): block key, e.g. "StringFileInfo".
      value (bytes): value bytes.
      value_length (int): wValueLength; in WCHARs for text, bytes for binary.
      value_type (int): wType, 1 for text and 0 for binary.
      children (iterable[bytes]): child blocks, each aligned to 32 bits.

    Returns:
      bytes: the block, without trailing padding (wLength excludes it).
    """
    data = bytearray(struct.pack("<HHH", 0, value_length, value_type))
    data += key.encode("utf-16-le") + b"\x00\x00"
    _pad4(data)
    data += value
    for child in children:
        _pad4(data)
        data += child
    struct.pack_into("<H", data, 0, len(data))
    return bytes(data)


def build_version_info(version_info, dll=False):
    """Builds a VS_VERSIONINFO resource.

    Args:
      version_info (dict[str, str]): StringFileInfo values, e.g. CompanyName,
          ProductName, FileDescription, OriginalFilename, FileVersion,
          ProductVersion, InternalName, LegalCopyright. FileVersion and
          ProductVersion also fill VS_FIXEDFILEINFO.
      dll (bool): True for VFT_DLL, False for VFT_APP.

    Returns:
      bytes: VS_VERSIONINFO data.
    """
    file_version = _version_numbers(version_info.get("FileVersion"))
    product_version = _version_numbers(
        version_info.get("ProductVersion") or version_info.get("FileVersion")
    )
    fixed_file_info = struct.pack(
        "<13I",
        0xFEEF04BD,  # dwSignature
        0x00010000,  # dwStrucVersion
        file_version[0] << 16 | file_version[1],
        file_version[2] << 16 | file_version[3],
        product_version[0] << 16 | product_version[1],
        product_version[2] << 16 | product_version[3],
        0x3F,  # dwFileFlagsMask: VS_FFI_FILEFLAGSMASK
        0,  # dwFileFlags
        0x00040004,  # dwFileOS: VOS_NT_WINDOWS32
        2 if dll else 1,  # dwFileType: VFT_DLL or VFT_APP
        0,  # dwFileSubtype
        0,  # dwFileDateMS
        0,  # dwFileDateLS
    )
    strings = [
        _version_block(
            name,
            value=str(text).encode("utf-16-le") + b"\x00\x00",
            value_length=len(str(text).encode("utf-16-le")) // 2 + 1,
            value_type=1,
        )
        for name, text in version_info.items()
    ]
    string_table = _version_block(
        f"{_LANG_EN_US:04x}{_CODEPAGE_UNICODE:04x}", value_type=1, children=strings
    )
    string_file_info = _version_block(
        "StringFileInfo", value_type=1, children=[string_table]
    )
    translation = _version_block(
        "Translation",
        value=struct.pack("<HH", _LANG_EN_US, _CODEPAGE_UNICODE),
        value_length=4,
        value_type=0,
    )
    var_file_info = _version_block("VarFileInfo", value_type=1, children=[translation])
    return _version_block(
        "VS_VERSION_INFO",
        value=fixed_file_info,
        value_length=len(fixed_file_info),
        value_type=0,
        children=[string_file_info, var_file_info],
    )


def _resource_section(rva, version_data, timestamp):
    """Builds a .rsrc section holding one RT_VERSION/1/en-US resource.

    The directory TimeDateStamps carry the compile time, as older linkers and
    resource compilers write them; plaso reports them as pe_coff:resource.

    Returns:
      tuple[bytes, int]: section data and size of the resource directory data.
    """
    data = bytearray()

    def directory(entry_id, target):
        data.extend(struct.pack("<IIHHHH", 0, timestamp, 4, 0, 0, 1))
        data.extend(struct.pack("<II", entry_id, target))

    # Each directory is 16 bytes plus one 8-byte entry; the data entry follows.
    directory(_RT_VERSION, 0x80000000 | 24)
    directory(1, 0x80000000 | 48)
    directory(_LANG_EN_US, 72)
    data_offset = 88
    data.extend(struct.pack("<IIII", rva + data_offset, len(version_data), 0, 0))
    data.extend(version_data)
    return bytes(data), len(data)


def _import_section(rva, imports, pointer_size, timestamp):
    """Builds a .rdata section with IAT, import descriptors, ILT and names.

    Returns:
      tuple[bytes, tuple[int, int], tuple[int, int]]: section data, import
          directory (rva, size) and IAT directory (rva, size).
    """
    thunks_size = sum((len(functions) + 1) * pointer_size for _, functions in imports)
    iat_offset = 0
    descriptors_offset = _align(thunks_size, 8)
    descriptors_size = (len(imports) + 1) * 20
    ilt_offset = _align(descriptors_offset + descriptors_size, 8)
    names_offset = ilt_offset + thunks_size

    names = bytearray()
    thunk_rvas = []
    dll_name_rvas = []
    for dll_name, functions in imports:
        rvas = []
        for hint, function in enumerate(functions):
            rvas.append(rva + names_offset + len(names))
            names.extend(struct.pack("<H", hint) + function.encode("ascii") + b"\x00")
            names.extend(b"\x00" * (len(names) % 2))
        thunk_rvas.append(rvas)
    for dll_name, _ in imports:
        dll_name_rvas.append(rva + names_offset + len(names))
        names.extend(dll_name.encode("ascii") + b"\x00")
        names.extend(b"\x00" * (len(names) % 2))

    thunk_format = "<Q" if pointer_size == 8 else "<I"
    thunks = bytearray()
    descriptors = bytearray()
    for index, rvas in enumerate(thunk_rvas):
        first_thunk = rva + iat_offset + len(thunks)
        original_first_thunk = rva + ilt_offset + len(thunks)
        for thunk_rva in rvas + [0]:
            thunks.extend(struct.pack(thunk_format, thunk_rva))
        # A non-zero TimeDateStamp marks the IAT as bound (old style, no
        # forwarders); the loader re-snaps it from the ILT when the DLL's own
        # stamp differs. plaso only reports imports with a TimeDateStamp.
        descriptors.extend(
            struct.pack(
                "<IIIII",
                original_first_thunk,
                timestamp,
                0xFFFFFFFF,
                dll_name_rvas[index],
                first_thunk,
            )
        )
    descriptors.extend(b"\x00" * 20)

    data = bytearray(names_offset + len(names))
    data[iat_offset : iat_offset + len(thunks)] = thunks
    data[descriptors_offset : descriptors_offset + len(descriptors)] = descriptors
    data[ilt_offset : ilt_offset + len(thunks)] = thunks
    data[names_offset:] = names
    return (
        bytes(data),
        (rva + descriptors_offset, descriptors_size),
        (rva + iat_offset, thunks_size),
    )


def _pe_checksum(data, checksum_offset):
    """Computes the PE image checksum (as imagehlp's CheckSumMappedFile)."""
    padded = bytearray(data)
    padded[checksum_offset : checksum_offset + 4] = b"\x00\x00\x00\x00"
    padded.extend(b"\x00" * (len(padded) % 2))
    words = array("H")
    words.frombytes(bytes(padded))
    if sys.byteorder == "big":
        words.byteswap()
    checksum = sum(words)
    while checksum >> 16:
        checksum = (checksum & 0xFFFF) + (checksum >> 16)
    return (checksum + len(data)) & 0xFFFFFFFF


def _entry_point_code(machine, dll):
    """Returns a minimal entry point: DllMain returns TRUE, an exe returns 0."""
    if not dll:
        return b"\x31\xc0\xc3"  # xor eax, eax; ret
    if machine == "amd64":
        return b"\xb8\x01\x00\x00\x00\xc3"  # mov eax, 1; ret
    return b"\xb8\x01\x00\x00\x00\xc2\x0c\x00"  # mov eax, 1; ret 12


def _filler(size):
    """Returns size bytes of the repeating code-like filler."""
    repeats = size // len(_CODE_FILLER) + 1
    return (_CODE_FILLER * repeats)[:size]


def _build(compile_time, version_info, machine, dll, imports, text_size):
    """Builds the PE with a .text section of text_size raw bytes."""
    coff_machine, magic, image_base_exe, image_base_dll = _MACHINES[machine]
    pe32_plus = magic == 0x020B
    pointer_size = 8 if pe32_plus else 4
    timestamp = _posix_timestamp(compile_time)

    code = _entry_point_code(machine, dll)
    text = code + _filler(text_size - len(code))

    # (name, data, characteristics); RVAs are assigned in order.
    section_count = 1 + bool(imports) + bool(version_info)
    optional_header_size = 240 if pe32_plus else 224
    headers_size = _E_LFANEW + 4 + 20 + optional_header_size + 40 * section_count
    size_of_headers = _align(headers_size, _FILE_ALIGNMENT)

    sections = []
    next_rva = _align(size_of_headers, _SECTION_ALIGNMENT)
    sections.append((b".text", next_rva, text, _SCN_CODE))
    next_rva += _align(len(text), _SECTION_ALIGNMENT)

    data_directories = [(0, 0)] * 16
    if imports:
        rdata, import_directory, iat_directory = _import_section(
            next_rva, imports, pointer_size, timestamp
        )
        data_directories[1] = import_directory
        data_directories[12] = iat_directory
        sections.append((b".rdata", next_rva, rdata, _SCN_RDATA))
        next_rva += _align(len(rdata), _SECTION_ALIGNMENT)
    if version_info:
        rsrc, rsrc_size = _resource_section(
            next_rva, build_version_info(version_info, dll=dll), timestamp
        )
        data_directories[2] = (next_rva, rsrc_size)
        sections.append((b".rsrc", next_rva, rsrc, _SCN_RDATA))
        next_rva += _align(len(rsrc), _SECTION_ALIGNMENT)
    size_of_image = next_rva

    section_headers = bytearray()
    body = bytearray()
    file_offset = size_of_headers
    size_of_code = 0
    size_of_initialized_data = 0
    for name, rva, data, characteristics in sections:
        raw_size = _align(len(data), _FILE_ALIGNMENT)
        section_headers.extend(
            struct.pack(
                "<8sIIIIIIHHI",
                name,
                len(data),  # VirtualSize
                rva,
                raw_size,
                file_offset,
                0,  # PointerToRelocations
                0,  # PointerToLinenumbers
                0,
                0,
                characteristics,
            )
        )
        body.extend(data + b"\x00" * (raw_size - len(data)))
        file_offset += raw_size
        if characteristics == _SCN_CODE:
            size_of_code += raw_size
        else:
            size_of_initialized_data += raw_size

    characteristics = _IMAGE_FILE_EXECUTABLE_IMAGE
    characteristics |= _IMAGE_FILE_LARGE_ADDRESS_AWARE if pe32_plus else 0
    characteristics |= 0 if pe32_plus else _IMAGE_FILE_32BIT_MACHINE
    characteristics |= _IMAGE_FILE_DLL if dll else 0
    file_header = struct.pack(
        "<HHIIIHH",
        coff_machine,
        len(sections),
        timestamp,
        0,  # PointerToSymbolTable
        0,  # NumberOfSymbols
        optional_header_size,
        characteristics,
    )

    text_rva = sections[0][1]
    # DYNAMIC_BASE | NX_COMPAT | TERMINAL_SERVER_AWARE, plus HIGH_ENTROPY_VA.
    dll_characteristics = 0x8160 if pe32_plus else 0x8140
    image_base = image_base_dll if dll else image_base_exe
    optional_header = bytearray(
        struct.pack(
            "<HBBIIIII",
            magic,
            14,  # MajorLinkerVersion (Visual Studio 2015+)
            0,
            size_of_code,
            size_of_initialized_data,
            0,  # SizeOfUninitializedData
            text_rva,  # AddressOfEntryPoint
            text_rva,  # BaseOfCode
        )
    )
    if pe32_plus:
        optional_header += struct.pack("<Q", image_base)
    else:
        base_of_data = sections[1][1] if len(sections) > 1 else size_of_image
        optional_header += struct.pack("<II", base_of_data, image_base)
    optional_header += struct.pack(
        "<IIHHHHHHIIIIHH",
        _SECTION_ALIGNMENT,
        _FILE_ALIGNMENT,
        6,  # MajorOperatingSystemVersion
        0,
        0,  # MajorImageVersion
        0,
        6,  # MajorSubsystemVersion
        0,
        0,  # Win32VersionValue
        size_of_image,
        size_of_headers,
        0,  # CheckSum, set below
        2,  # Subsystem: IMAGE_SUBSYSTEM_WINDOWS_GUI
        dll_characteristics,
    )
    stack_heap = (0x100000, 0x1000, 0x100000, 0x1000)
    optional_header += struct.pack("<4Q" if pe32_plus else "<4I", *stack_heap)
    optional_header += struct.pack("<II", 0, 16)  # LoaderFlags, NumberOfRvaAndSizes
    for directory_rva, directory_size in data_directories:
        optional_header += struct.pack("<II", directory_rva, directory_size)

    headers = bytearray(size_of_headers)
    dos_header = struct.pack(
        "<2s13H8s2H20sI",
        b"MZ",
        0x90,  # e_cblp
        3,  # e_cp
        0,  # e_crlc
        4,  # e_cparhdr
        0,  # e_minalloc
        0xFFFF,  # e_maxalloc
        0,  # e_ss
        0xB8,  # e_sp
        0,  # e_csum
        0,  # e_ip
        0,  # e_cs
        0x40,  # e_lfarlc
        0,  # e_ovno
        b"",
        0,  # e_oemid
        0,  # e_oeminfo
        b"",
        _E_LFANEW,
    )
    nt_headers = b"PE\x00\x00" + file_header + optional_header + section_headers
    headers[: len(dos_header)] = dos_header
    headers[64 : 64 + len(_DOS_STUB)] = _DOS_STUB
    headers[_E_LFANEW : _E_LFANEW + len(nt_headers)] = nt_headers

    image = bytearray(headers + body)
    checksum_offset = _E_LFANEW + 4 + 20 + 64
    struct.pack_into("<I", image, checksum_offset, _pe_checksum(image, checksum_offset))
    return bytes(image)


def build_pe(
    compile_time,
    version_info=None,
    machine="i386",
    dll=False,
    imports=None,
    padding=0,
):
    """Builds a small, valid PE32 (i386) or PE32+ (amd64) image.

    Args:
      compile_time (datetime.datetime): timezone-aware time for the COFF
          TimeDateStamp; also used for the resource directories and the
          (bound) import descriptors, so plaso reports them.
      version_info (Optional[dict[str, str]]): StringFileInfo values (e.g.
          CompanyName, ProductName, FileDescription, OriginalFilename,
          FileVersion, ProductVersion, InternalName, LegalCopyright) for an
          RT_VERSION resource in StringTable 040904b0.
      machine (str): "i386" (PE32) or "amd64" (PE32+).
      dll (bool): True to mark the image as a DLL.
      imports (Optional[list[tuple[str, list[str]]]]): imported DLLs and their
          function names, e.g. [("PCICL32.dll", ["_NSMClient32@8"])].
      padding (int): extra bytes added to the .text section to reach a
          realistic file size. They are a repeating code-like pattern, not
          zeros, so pefile's "mostly 0x00 bytes" heuristic stays quiet.

    Returns:
      bytes: the PE image.

    Raises:
      ValueError: on an unsupported machine, naive datetime or bad padding.
    """
    if machine not in _MACHINES:
        raise ValueError(f"unsupported machine: {machine!r}")
    if padding < 0:
        raise ValueError("padding must not be negative")
    imports = [(name, list(functions)) for name, functions in imports or []]
    version_info = dict(version_info or {})

    # Grow .text in file-alignment steps until zero bytes are below half of the
    # file: headers and UTF-16 strings are mostly zeros, real code is not.
    text_size = _align(len(_entry_point_code(machine, dll)) + padding, 0x10)
    while True:
        image = _build(compile_time, version_info, machine, dll, imports, text_size)
        if image.count(0) * 100 < len(image) * 45:
            return image
        text_size = _align(text_size + 1, _FILE_ALIGNMENT)
