"""Bounded reading of PE images: the headers and the RVA-to-file mapping.

The pe_version_info parser needs from a PE file only a few header fields (the
resource and certificate table directories, the CheckSum offset) and a way to
read data at a relative virtual address (RVA) for the version resource. This
module reads both with struct from a bounded view of the file, instead of
building a pefile.PE object: that costs about 0.4 ms per file, most of the
parser's time (pefile unpacks every header field into Python attributes).

The RVA mapping follows pefile 2024.8.26 (PE.get_data, get_offset_from_rva,
get_section_by_rva, parse_sections and the alignment adjustments) rule for
rule, including its cache of the last section used, so that damaged and
crafted files resolve to the same bytes as they did with pefile; the tests
compare both on real, forge and mutated files.

References:
  Microsoft, "PE Format" (the MS-DOS stub, the COFF file header, the optional
  header data directories, the section table).
"""

import struct


class FormatError(Exception):
    """Raised when data cannot be read as a PE image."""


class PEHeaders:
    """What this package reads from the headers of a PE image.

    Attributes:
      address_of_entry_point (int): AddressOfEntryPoint RVA.
      certificate_offset (int): file offset of the certificate table.
      certificate_size (int): size of the certificate table.
      checksum_offset (int): file offset of the CheckSum field.
      file_alignment (int): FileAlignment.
      file_size (int): size of the file.
      number_of_sections (int): NumberOfSections of the file header.
      resource_rva (int): RVA of the resource directory.
      resource_size (int): size of the resource directory.
      section_alignment (int): SectionAlignment.
      section_table_offset (int): file offset of the section table.
      security_entry_offset (int): file offset of the Certificate Table data
          directory entry, or None if the optional header has no such entry.
    """

    def __init__(self):
        """Initializes the headers."""
        super().__init__()
        self.address_of_entry_point = 0
        self.certificate_offset = 0
        self.certificate_size = 0
        self.checksum_offset = 0
        self.file_alignment = 0
        self.file_size = 0
        self.number_of_sections = 0
        self.resource_rva = 0
        self.resource_size = 0
        self.section_alignment = 0
        self.section_table_offset = 0
        self.security_entry_offset = None


# Data directory indexes (PE Format, "Optional Header Data Directories").
_RESOURCE_DIRECTORY = 2
_CERTIFICATE_DIRECTORY = 4

# The optional header as far as this package reads it (at most the 16
# standard data directories of a PE32+ header).
_MAXIMUM_OPTIONAL_HEADER_SIZE = 240


def ReadHeaders(read_at, file_size, maximum_nt_headers_offset):
    """Reads the headers of a PE image.

    Args:
      read_at (Callable[[int, int], bytes]): reads size bytes at an offset.
      file_size (int): size of the file.
      maximum_nt_headers_offset (int): largest NT headers offset accepted.

    Returns:
      PEHeaders: the headers.

    Raises:
      FormatError: if the data is not a PE image (or is truncated in its
          headers).
    """

    def ReadExactly(offset, size):
        data = read_at(offset, size)
        if len(data) != size:
            raise FormatError(f"truncated PE headers at offset {offset:d}")
        return data

    dos_header = ReadExactly(0, 64)
    nt_headers_offset = struct.unpack_from("<I", dos_header, 60)[0]
    if not 64 <= nt_headers_offset <= maximum_nt_headers_offset:
        raise FormatError("no PE headers")
    file_header = ReadExactly(nt_headers_offset, 24)
    if file_header[:4] != b"PE\x00\x00":
        raise FormatError("no PE signature")
    number_of_sections, optional_header_size = struct.unpack_from(
        "<H12xH", file_header, 6
    )
    optional_header_offset = nt_headers_offset + 24
    optional_header = ReadExactly(
        optional_header_offset,
        max(2, min(optional_header_size, _MAXIMUM_OPTIONAL_HEADER_SIZE)),
    )
    magic = struct.unpack_from("<H", optional_header, 0)[0]
    if magic == 0x010B:
        directories_offset = 96
    elif magic == 0x020B:
        directories_offset = 112
    else:
        raise FormatError(f"unsupported optional header magic: 0x{magic:04x}")
    if len(optional_header) < directories_offset:
        raise FormatError("optional header too small")
    number_of_directories = struct.unpack_from(
        "<I", optional_header, directories_offset - 4
    )[0]

    def Directory(index):
        offset = directories_offset + index * 8
        if index >= number_of_directories or offset + 8 > len(optional_header):
            return None, 0, 0
        address, size = struct.unpack_from("<II", optional_header, offset)
        return optional_header_offset + offset, address, size

    headers = PEHeaders()
    headers.address_of_entry_point = struct.unpack_from("<I", optional_header, 16)[0]
    headers.section_alignment, headers.file_alignment = struct.unpack_from(
        "<II", optional_header, 32
    )
    headers.checksum_offset = optional_header_offset + 64
    headers.file_size = file_size
    headers.number_of_sections = number_of_sections
    headers.section_table_offset = optional_header_offset + optional_header_size
    _, headers.resource_rva, headers.resource_size = Directory(_RESOURCE_DIRECTORY)
    (
        headers.security_entry_offset,
        headers.certificate_offset,
        headers.certificate_size,
    ) = Directory(_CERTIFICATE_DIRECTORY)
    return headers


# pefile's limits and constants (pefile.py: MAX_SECTIONS, the section checks
# of PE.parse_sections, PE.adjust_PointerToRawData).
_MAXIMUM_NUMBER_OF_SECTIONS = 0x800
_SECTION_HEADER_SIZE = 40
_MAXIMUM_SECTION_ERRORS = 3
_SUSPICIOUS_SECTION_VALUE = 0x10000000
_SECTOR_MASK = ~0x1FF
_PAGE_SIZE = 0x1000


def _AdjustSectionAlignment(value, section_alignment, file_alignment):
    """pefile's cache_adjust_SectionAlignment, float division included."""
    if section_alignment < _PAGE_SIZE:
        section_alignment = file_alignment
    if section_alignment and value % section_alignment:
        return section_alignment * (int(value / section_alignment))
    return value


class _Section:
    """A section table entry with pefile's adjusted addresses and bounds."""

    __slots__ = (
        "maximum_rva",
        "minimum_rva",
        "raw_end",
        "raw_pointer",
        "raw_pointer_adjusted",
        "raw_size",
        "virtual_address",
        "virtual_address_adjusted",
        "virtual_size",
    )

    def __init__(self, entry, headers):
        """Initializes a section from its 40-byte section table entry."""
        super().__init__()
        (
            self.virtual_size,
            self.virtual_address,
            self.raw_size,
            self.raw_pointer,
        ) = struct.unpack_from("<IIII", entry, 8)
        self.raw_end = self.raw_pointer + self.raw_size
        self.raw_pointer_adjusted = self.raw_pointer & _SECTOR_MASK
        if (
            headers.section_alignment < _PAGE_SIZE
            and self.raw_pointer == self.virtual_address
        ):
            self.raw_pointer_adjusted = self.virtual_address
        self.virtual_address_adjusted = _AdjustSectionAlignment(
            self.virtual_address, headers.section_alignment, headers.file_alignment
        )
        self.minimum_rva = self.maximum_rva = 0

    def CountErrors(self, headers):
        """Counts the problems pefile counts towards dropping a section."""
        file_size = headers.file_size
        errors = 0
        if self.raw_end > file_size:
            errors += 1
        if self.raw_pointer & _SECTOR_MASK > file_size:
            errors += 1
        if self.virtual_size > _SUSPICIOUS_SECTION_VALUE:
            errors += 1
        if self.virtual_address_adjusted > _SUSPICIOUS_SECTION_VALUE:
            errors += 1
        if headers.file_alignment and self.raw_pointer % headers.file_alignment:
            errors += 1
        return errors

    def SetBounds(self, file_size, next_virtual_address):
        """Sets the RVA range pefile's SectionStructure.contains_rva uses."""
        if file_size - self.raw_pointer_adjusted < self.raw_size:
            size = self.virtual_size
        else:
            size = max(self.raw_size, self.virtual_size)
        if (
            next_virtual_address is not None
            and next_virtual_address > self.virtual_address
            and self.virtual_address_adjusted + size > next_virtual_address
        ):
            size = next_virtual_address - self.virtual_address_adjusted
        self.minimum_rva = self.virtual_address_adjusted
        self.maximum_rva = self.virtual_address_adjusted + size


class PEImage:
    """Reads a PE image by RVA, as pefile maps RVAs to file offsets.

    Attributes:
      headers (PEHeaders): the headers.
    """

    def __init__(self, data, headers):
        """Initializes the image and reads its section table.

        Args:
          data (BoundedDataSlice): the file's data.
          headers (PEHeaders): its headers.

        Raises:
          FormatError: if the section table ends inside an entry.
        """
        super().__init__()
        self._data = data
        self._last_section = None
        self.headers = headers
        self.sections = self._ReadSections()

        sections_end = headers.section_table_offset
        if headers.number_of_sections and self.sections:
            sections_end += _SECTION_HEADER_SIZE * headers.number_of_sections
        raw_pointers = [
            section.raw_pointer & _SECTOR_MASK
            for section in self.sections
            if section.raw_pointer > 0
        ]
        lowest_raw_pointer = min(raw_pointers) if raw_pointers else None
        if not lowest_raw_pointer or lowest_raw_pointer < sections_end:
            header_size = sections_end
        else:
            header_size = lowest_raw_pointer
        self._header_size = min(header_size, headers.file_size)

        # pefile looks the entry point up while parsing, which sets the
        # section cache that later look-ups start from.
        self.GetSection(headers.address_of_entry_point)

    def _ReadSections(self):
        """Reads the section table as pefile's PE.parse_sections does."""
        headers = self.headers
        number_of_entries = min(headers.number_of_sections, _MAXIMUM_NUMBER_OF_SECTIONS)
        table_offset = headers.section_table_offset
        table = self._data[
            table_offset : table_offset + number_of_entries * _SECTION_HEADER_SIZE
        ]
        sections = []
        for index in range(number_of_entries):
            entry = table[
                index * _SECTION_HEADER_SIZE : (index + 1) * _SECTION_HEADER_SIZE
            ]
            if entry.count(0) == _SECTION_HEADER_SIZE or not entry:
                break
            if len(entry) < _SECTION_HEADER_SIZE:
                raise FormatError(f"section table truncated in entry {index:d}")
            section = _Section(entry, headers)
            if section.CountErrors(headers) >= _MAXIMUM_SECTION_ERRORS:
                break
            sections.append(section)

        sections.sort(key=lambda section: section.virtual_address)
        for index, section in enumerate(sections):
            next_virtual_address = None
            if index + 1 < len(sections):
                next_virtual_address = sections[index + 1].virtual_address
            section.SetBounds(headers.file_size, next_virtual_address)
        return sections

    def GetSection(self, rva):
        """Returns the section that holds an RVA, or None (pefile's rules)."""
        section = self._last_section
        if section is not None and section.minimum_rva <= rva < section.maximum_rva:
            return section
        for section in self.sections:
            if section.minimum_rva <= rva < section.maximum_rva:
                self._last_section = section
                return section
        return None

    def GetData(self, rva, length):
        """Reads up to length bytes at an RVA.

        Raises:
          FormatError: if the RVA maps to no data.
        """
        section = self.GetSection(rva)
        if section is None:
            if rva < self._header_size:
                return self._data[rva : min(rva + length, self._header_size)]
            if rva < self.headers.file_size:
                return self._data[rva : rva + length]
            raise FormatError(f"no data at RVA 0x{rva:x}")
        offset = rva - section.virtual_address_adjusted + section.raw_pointer_adjusted
        return self._data[offset : min(offset + length, section.raw_end)]

    def GetOffset(self, rva):
        """Returns the file offset of an RVA.

        Raises:
          FormatError: if the RVA maps to no offset in the file.
        """
        section = self.GetSection(rva)
        if section is None:
            if rva < self.headers.file_size:
                return rva
            raise FormatError(f"no data at RVA 0x{rva:x}")
        return rva - section.virtual_address_adjusted + section.raw_pointer_adjusted

    def GetUTF16String(self, rva, maximum_length=0x10000, encoding="utf-8"):
        """Reads a NUL-terminated UTF-16 string as pefile's get_string_u_at_rva.

        Every 16-bit unit becomes one character (surrogate pairs are not
        joined), encoded with backslash escapes for what the encoding cannot
        hold.

        Args:
          rva (int): RVA of the string.
          maximum_length (int): largest number of 16-bit units.
          encoding (str): encoding of the result.

        Returns:
          bytes: the string, encoded.

        Raises:
          FormatError: if the RVA maps to no data.
        """
        if maximum_length <= 0:
            return b""
        maximum_size = maximum_length << 1
        requested = min(maximum_size, 256)
        data = self.GetData(rva, requested)
        index = -1
        while True:
            index = data.find(b"\x00\x00", index + 1)
            if index == -1:
                data_size = len(data)
                if data_size < requested or data_size >= maximum_size:
                    index = data_size >> 1
                    break
                data += self.GetData(rva + data_size, maximum_size - data_size)
                index = requested - 1
                requested = maximum_size
            elif index % 2 == 0:
                index >>= 1
                break
        units = struct.unpack(f"<{index:d}H", data[: index * 2])
        return "".join(map(chr, units)).encode(encoding, "backslashreplace")
