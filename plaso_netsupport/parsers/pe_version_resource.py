"""Reads the version strings (VS_VERSIONINFO) of a PE image.

The resource tree is walked only down to the first RT_VERSION resource (not
every icon and dialog), and the VS_VERSIONINFO structure is read as pefile
2024.8.26 reads it (PE.parse_version_information): the same offsets,
alignment, string reads and stopping rules, so that the strings are the
same as pefile's on any input (the tests compare both), at a tenth of the
cost. Strings are returned from the first string table that has any.

References:
  Microsoft, "VS_VERSIONINFO", "StringFileInfo", "StringTable", "String" and
  "VarFileInfo" structures (learn.microsoft.com, Win32 menurc); "PE Format",
  "The .rsrc Section".
"""

import struct

from plaso_netsupport.parsers import pe_image

# RT_VERSION, the resource type ID of version information (winuser.h).
RT_VERSION = 16

# The 6-byte header of every VS_VERSIONINFO node: wLength, wValueLength, wType.
_NODE_HEADER = struct.Struct("<HHH")
_NODE_HEADER_SIZE = _NODE_HEADER.size

_FIXED_FILE_INFO_SIZE = 52

_VERSION_INFO_KEY = b"VS_VERSION_INFO"


class VersionResourceError(Exception):
    """Raised when the resource tree is damaged."""


def FindVersionResource(image, resource_rva, maximum_number_of_entries):
    """Walks the resource tree to the first RT_VERSION data entry.

    Only the three directory entries on the way are read. The root lists
    types (RT_VERSION is ID 16); below it, the first name and the first
    language are taken.

    Args:
      image (PEImage): the image.
      resource_rva (int): RVA of the resource directory.
      maximum_number_of_entries (int): most entries read per directory.

    Returns:
      tuple[int, int]: RVA and size of the version resource, or None if there
          is none.

    Raises:
      VersionResourceError: if the resource tree is damaged.
      pe_image.FormatError: if an RVA maps to no data.
    """
    directory_rva = resource_rva
    for level in range(3):
        header = image.GetData(directory_rva, 16)
        if len(header) != 16:
            raise VersionResourceError(f"resource directory at RVA 0x{directory_rva:x}")
        number_of_named, number_of_ids = struct.unpack_from("<HH", header, 12)
        number_of_entries = min(
            number_of_named + number_of_ids, maximum_number_of_entries
        )
        entries = image.GetData(directory_rva + 16, number_of_entries * 8)
        if len(entries) != number_of_entries * 8:
            raise VersionResourceError(f"resource entries at RVA 0x{directory_rva:x}")
        target = None
        for name, offset in struct.iter_unpack("<II", entries):
            if level > 0 or name == RT_VERSION:
                target = offset
                break
        if target is None:
            return None
        is_directory = bool(target & 0x80000000)
        if is_directory != (level < 2):
            raise VersionResourceError(f"unexpected resource entry at level {level:d}")
        directory_rva = resource_rva + (target & 0x7FFFFFFF)

    data_entry = image.GetData(directory_rva, 8)
    if len(data_entry) != 8:
        raise VersionResourceError("version resource data entry")
    return struct.unpack("<II", data_entry)


def _DwordAlign(offset, base):
    """pefile's PE.dword_align: aligns offset relative to base."""
    return ((offset + base + 3) & 0xFFFFFFFC) - (base & 0xFFFFFFFC)


def _ReadNode(raw_data, offset):
    """Returns (wLength, wValueLength, wType) at offset, or None if cut off."""
    if len(raw_data) - offset < _NODE_HEADER_SIZE:
        return None
    return _NODE_HEADER.unpack_from(raw_data, offset)


def ReadVersionStrings(image, data, rva, size, maximum_number_of_strings):
    """Reads the strings of the first non-empty StringTable.

    Args:
      image (PEImage): the image.
      data (BoundedDataSlice): the file's data.
      rva (int): RVA of the version resource (OffsetToData).
      size (int): size of the version resource.
      maximum_number_of_strings (int): most String entries read in all; a
          crafted resource cannot make the reader loop longer.

    Returns:
      dict[bytes, bytes]: keys and values of the first string table with
          strings (UTF-8, backslash escapes for unpaired surrogates, as
          pefile), or None if there is none.

    Raises:
      bounded_data.ReadLimitExceeded: if the resource is larger than allowed.
    """
    try:
        start_offset = image.GetOffset(rva)
    except pe_image.FormatError:
        return None
    raw_data = data[start_offset : start_offset + size]

    version_info = _ReadNode(raw_data, 0)
    if version_info is None:
        return None
    version_info_length = version_info[0]

    string_rva = rva + _NODE_HEADER_SIZE
    section = image.GetSection(string_rva)
    maximum_length = 0x10000
    if section is not None:
        section_end = section.virtual_address + max(
            section.raw_size, section.virtual_size
        )
        maximum_length = (section_end - string_rva) >> 1
    try:
        key = image.GetUTF16String(
            string_rva, maximum_length=maximum_length, encoding="ascii"
        )
    except pe_image.FormatError:
        return None
    if key != _VERSION_INFO_KEY:
        return None

    fixed_file_info_offset = _DwordAlign(_NODE_HEADER_SIZE + 2 * (len(key) + 1), rva)
    if len(raw_data) - fixed_file_info_offset < _FIXED_FILE_INFO_SIZE:
        return None

    string_tables = []
    remaining_strings = maximum_number_of_strings
    file_info_offset = _DwordAlign(fixed_file_info_offset + _FIXED_FILE_INFO_SIZE, rva)
    while True:
        file_info = _ReadNode(raw_data, file_info_offset)
        if file_info is None:
            # pefile drops everything read so far in this case.
            return None
        file_info_length, file_info_value_length, file_info_type = file_info
        try:
            file_info_key = image.GetUTF16String(
                rva + file_info_offset + _NODE_HEADER_SIZE
            )
        except pe_image.FormatError:
            break

        if (
            file_info_key.startswith(b"StringFileInfo")
            and file_info_type in (0, 1)
            and file_info_value_length == 0
        ):
            table_offset = _DwordAlign(
                file_info_offset + _NODE_HEADER_SIZE + 2 * (len(file_info_key) + 1),
                rva,
            )
            while True:
                table = _ReadNode(raw_data, table_offset)
                if table is None:
                    break
                table_length = table[0]
                try:
                    language = image.GetUTF16String(
                        rva + table_offset + _NODE_HEADER_SIZE
                    )
                except pe_image.FormatError:
                    break
                entries = {}
                string_tables.append(entries)
                entry_offset = _DwordAlign(
                    table_offset + _NODE_HEADER_SIZE + 2 * (len(language) + 1), rva
                )
                while entry_offset < table_offset + table_length:
                    entry = _ReadNode(raw_data, entry_offset)
                    if entry is None or remaining_strings <= 0:
                        break
                    remaining_strings -= 1
                    entry_length, entry_value_length, _ = entry
                    key_rva = rva + entry_offset + _NODE_HEADER_SIZE
                    try:
                        entry_key = image.GetUTF16String(key_rva)
                        image.GetOffset(key_rva)
                    except pe_image.FormatError:
                        break
                    value_rva = rva + _DwordAlign(
                        2 * (len(entry_key) + 1) + entry_offset + _NODE_HEADER_SIZE,
                        rva,
                    )
                    try:
                        value = image.GetUTF16String(
                            value_rva, maximum_length=entry_value_length
                        )
                        image.GetOffset(value_rva)
                    except pe_image.FormatError:
                        break
                    if entry_length == 0:
                        entry_offset = table_offset + table_length
                    else:
                        entry_offset = _DwordAlign(entry_length + entry_offset, rva)
                    entries[entry_key] = value

                next_table_offset = _DwordAlign(table_length + table_offset, rva)
                if next_table_offset == table_offset:
                    break
                table_offset = next_table_offset
                if table_offset >= file_info_length:
                    break

        elif (
            file_info_key.startswith(b"VarFileInfo")
            and file_info_type in (0, 1)
            and file_info_value_length == 0
        ):
            # Nothing here is kept, but pefile reads the first Var's key, and
            # that look-up moves its section cache.
            var_offset = _DwordAlign(
                file_info_offset + _NODE_HEADER_SIZE + 2 * (len(file_info_key) + 1),
                rva,
            )
            if _ReadNode(raw_data, var_offset) is not None:
                try:
                    image.GetUTF16String(rva + var_offset + _NODE_HEADER_SIZE)
                except pe_image.FormatError:
                    pass

        file_info_offset = _DwordAlign(file_info_length + file_info_offset, rva)
        if file_info_length == 0 or file_info_offset >= version_info_length:
            break

    for entries in string_tables:
        if entries:
            return entries
    return None
