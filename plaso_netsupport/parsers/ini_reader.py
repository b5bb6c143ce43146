"""Bounded reading and decoding of NetSupport INI-style files.

NetSupport writes its configuration (client32.ini, client32u.ini) and licence
(NSM.LIC) files as Windows INI files. These helpers read such a file with a
hard size bound, detect its encoding and split it into sections and keys,
without ever reading a file whole or keeping an unbounded number of lines.

The encodings handled are:

* UTF-8 with a byte order mark ("utf-8-sig");
* UTF-16 little-endian and big-endian with a byte order mark ("utf-16-le",
  "utf-16-be");
* UTF-8 without a byte order mark ("utf-8"), when the data is valid UTF-8 and
  not plain ASCII;
* plain ASCII ("ascii");
* otherwise the Windows ANSI code page 1252 ("cp1252").

Data without a UTF-16 byte order mark that contains NUL bytes, or that is
mostly control characters, is not text: reading it raises WrongParser.

Size: one bounded pipeline (read with a bound, detect the encoding, split
into sections and keys, report what was cut) whose bound, padding and
truncation flags pass through every step; some 40 % of its lines are the
docstrings that document the encoding and INI rules. The parsers use only
ReadINIFile, ProduceReadWarnings, INIFile's accessors and the value
converters, so a split would add a module to read without making any step
shorter.
"""

import codecs
import os
import re

from plaso.lib import errors

# Encodings detected from a byte order mark, longest mark first.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
)

# Control characters that may occur in a text file.
_TEXT_CONTROL_CHARACTERS = frozenset("\t\n\r\x0c\x1a")

_LINE_SEPARATOR_RE = re.compile(r"\r\n|\r|\n")

# The share of control characters above which the data is not text.
_MAXIMUM_CONTROL_CHARACTERS_RATIO = 0.05


class INIFile:
    """A decoded, bounded view of an INI file.

    Attributes:
      encoding (str): detected encoding, such as "cp1252" or "utf-16-le".
      file_size (int): size of the file in bytes.
      leading_lines (list[str]): non-empty, non-comment lines before the first
          section, in file order.
      comments (list[str]): comment lines (without the comment character)
          before the first section, in file order.
      nul_padding (bool): True if the data read ends in NUL padding, which
          was removed.
      number_of_dropped_settings (int): number of key lines not kept because
          of the settings limit.
      number_of_truncated_values (int): number of values cut to the maximum
          value length.
      read_size (int): number of bytes read.
      sections (list[str]): names of the sections, in file order.
      settings (list[tuple[str, str, str]]): section name, key and value of
          each key line, in file order.
      size_limited (bool): True if the file is larger than the read bound and
          only its start was read.
      truncated_encoding (bool): True if the data read ends in the middle of
          a character.
    """

    def __init__(self):
        """Initializes an INI file."""
        super().__init__()
        self._lookup = {}
        self.comments = []
        self.encoding = None
        self.file_size = 0
        self.leading_lines = []
        self.nul_padding = False
        self.number_of_dropped_settings = 0
        self.number_of_truncated_values = 0
        self.read_size = 0
        self.sections = []
        self.settings = []
        self.size_limited = False
        self.truncated_encoding = False

    def AddSetting(self, section, key, value):
        """Adds a key line.

        Args:
          section (str): name of the section.
          key (str): name of the key.
          value (str): value.
        """
        self.settings.append((section, key, value))
        lookup_key = (section.lower(), key.lower())
        # Like GetPrivateProfileString, the first occurrence of a key wins.
        self._lookup.setdefault(lookup_key, value)

    def GetValue(self, section, key):
        """Retrieves a value, matching section and key case-insensitively.

        Args:
          section (str): name of the section.
          key (str): name of the key.

        Returns:
          str: value, or None if the key is not set.
        """
        return self._lookup.get((section.lower(), key.lower()))

    def GetFirstValue(self, section_key_pairs):
        """Retrieves the first non-empty value of a list of keys.

        Args:
          section_key_pairs (list[list[str]]): section and key names, in order
              of preference.

        Returns:
          tuple[str, str]: key name as listed and its value, or (None, None)
              if none of the keys has a non-empty value. An empty value of a
              listed key is returned as ("key", "") when no other key has a
              value.
        """
        empty_key = None
        for section, key in section_key_pairs:
            value = self.GetValue(section, key)
            if value:
                return key, value
            if value is not None and empty_key is None:
                empty_key = key

        if empty_key is not None:
            return empty_key, ""
        return None, None

    def HasSection(self, section):
        """Determines if the file has a section, case-insensitively.

        Args:
          section (str): name of the section.

        Returns:
          bool: True if the section is present.
        """
        section = section.lower()
        return any(name.lower() == section for name in self.sections)

    def KeysInSection(self, section):
        """Retrieves the key lines of a section, case-insensitively.

        Args:
          section (str): name of the section.

        Yields:
          tuple[str, str]: key and value, in file order.
        """
        section = section.lower()
        for section_name, key, value in self.settings:
            if section_name.lower() == section:
                yield key, value


def ReadBounded(file_object, maximum_size):
    """Reads at most maximum_size bytes from the start of a file-like object.

    Args:
      file_object (dfvfs.FileIO): file-like object.
      maximum_size (int): maximum number of bytes to read.

    Returns:
      tuple[bytes, int, bool]: data read, size of the file and True if the
          file is larger than maximum_size.
    """
    file_size = file_object.get_size()
    file_object.seek(0, os.SEEK_SET)

    read_size = min(file_size, maximum_size)
    chunks = []
    remaining = read_size
    while remaining > 0:
        chunk = file_object.read(min(remaining, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)

    return b"".join(chunks), file_size, file_size > maximum_size


def DecodeText(data, size_limited=False):
    """Detects the encoding of INI file data and decodes it.

    A run of NUL bytes (or UTF-16 NUL characters) at the end of the data is
    padding, as left by a file that was allocated but not fully written, and
    is removed. NUL bytes anywhere else mean the data is not text.

    Args:
      data (bytes): data read from the start of the file.
      size_limited (bool): True if data is only the start of the file, so a
          character cut at the end is expected.

    Returns:
      tuple[str, str, bool, bool]: text, encoding name, True if the data ends
          in the middle of a character and True if NUL padding was removed.

    Raises:
      WrongParser: if the data is not text.
    """
    for byte_order_mark, encoding_name, codec_name in _BYTE_ORDER_MARKS:
        if data.startswith(byte_order_mark):
            body = data[len(byte_order_mark) :]
            decoder = codecs.getincrementaldecoder(codec_name)(errors="replace")
            text = decoder.decode(body, final=False)
            pending, _ = decoder.getstate()
            stripped_text = text.rstrip("\x00")
            nul_padding = len(stripped_text) != len(text)
            truncated_encoding = bool(pending) and not nul_padding
            _CheckIsText(stripped_text)
            return stripped_text, encoding_name, truncated_encoding, nul_padding

    stripped_data = data.rstrip(b"\x00")
    if b"\x00" in stripped_data:
        raise errors.WrongParser("NUL bytes in data without UTF-16 byte order mark")
    nul_padding = len(stripped_data) != len(data)
    data = stripped_data

    try:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        text = decoder.decode(data, final=not size_limited or nul_padding)
        pending, _ = decoder.getstate()
        truncated_encoding = bool(pending)
        encoding_name = "ascii" if text.isascii() and not pending else "utf-8"

    except UnicodeDecodeError:
        # Code page 1252 leaves 5 byte values undefined; keep them visible.
        text = data.decode("cp1252", errors="replace")
        encoding_name = "cp1252"
        truncated_encoding = False

    _CheckIsText(text)
    return text, encoding_name, truncated_encoding, nul_padding


def _CheckIsText(text):
    """Checks that decoded data looks like text.

    Args:
      text (str): decoded data.

    Raises:
      WrongParser: if the data is not text.
    """
    if "\x00" in text:
        raise errors.WrongParser("NUL characters in text")

    # Sample the start; a text file does not turn binary later on, and the
    # parsers only read a bounded amount anyway.
    sample = text[:65536]
    if not sample:
        return

    number_of_controls = sum(
        1
        for character in sample
        if (character < " " and character not in _TEXT_CONTROL_CHARACTERS)
        or character == "\ufffd"
    )
    if number_of_controls > len(sample) * _MAXIMUM_CONTROL_CHARACTERS_RATIO:
        raise errors.WrongParser("data is not text")


def ParseINIText(
    text,
    maximum_number_of_settings=5000,
    maximum_value_length=4096,
    drop_last_line=False,
):
    """Splits INI text into sections and key lines.

    Comment lines start with ";" or "#". A section line is "[name]"; the name
    is what is between the outermost brackets, so "[[Enforce]]" is the
    section "[Enforce]". Key lines are "key=value", split at the first "=",
    with white space around key and value removed. Key lines before the first
    section are kept with an empty section name. Lines that are neither are
    kept in leading_lines when they precede the first section and ignored
    otherwise.

    Args:
      text (str): decoded INI text.
      maximum_number_of_settings (Optional[int]): maximum number of key lines
          (and section names) to keep.
      maximum_value_length (Optional[int]): maximum number of characters of a
          value to keep.
      drop_last_line (Optional[bool]): True if the last line may be cut off,
          because only the start of the file was read, and must be ignored.

    Returns:
      INIFile: sections and settings; encoding and size are not set.
    """
    ini_file = INIFile()

    lines = _LINE_SEPARATOR_RE.split(text)
    if drop_last_line and len(lines) > 1:
        lines.pop()

    section = None
    for line in lines:
        line = line.strip()
        if not line:
            continue

        if line[0] in ";#":
            if section is None:
                ini_file.comments.append(line[1:].strip())
            continue

        if line[0] == "[" and line[-1] == "]" and len(line) > 2:
            section = line[1:-1].strip()
            if len(ini_file.sections) < maximum_number_of_settings:
                ini_file.sections.append(section)
            continue

        key, separator, value = line.partition("=")
        if not separator:
            if section is None:
                ini_file.leading_lines.append(line[:maximum_value_length])
            continue

        if len(ini_file.settings) >= maximum_number_of_settings:
            ini_file.number_of_dropped_settings += 1
            continue

        value = value.strip()
        if len(value) > maximum_value_length:
            value = value[:maximum_value_length]
            ini_file.number_of_truncated_values += 1

        ini_file.AddSetting(section or "", key.strip()[:maximum_value_length], value)

    # Bound the leading lines too: a "file" of millions of short lines before
    # any section must not become millions of list entries.
    del ini_file.leading_lines[maximum_number_of_settings:]
    del ini_file.comments[maximum_number_of_settings:]

    return ini_file


def ReadINIFile(
    file_object,
    maximum_read_size,
    maximum_number_of_settings=5000,
    maximum_value_length=4096,
):
    """Reads, decodes and splits an INI file with a size bound.

    Args:
      file_object (dfvfs.FileIO): file-like object.
      maximum_read_size (int): maximum number of bytes to read.
      maximum_number_of_settings (Optional[int]): maximum number of key lines
          to keep.
      maximum_value_length (Optional[int]): maximum number of characters of a
          value to keep.

    Returns:
      INIFile: the file's sections and settings, encoding and sizes.

    Raises:
      WrongParser: if the data is not text.
    """
    data, file_size, size_limited = ReadBounded(file_object, maximum_read_size)
    text, encoding, truncated_encoding, nul_padding = DecodeText(
        data, size_limited=size_limited
    )

    # When the read stopped at the bound, the last line may be cut off; not
    # so when the data read ends in padding.
    ini_file = ParseINIText(
        text,
        maximum_number_of_settings=maximum_number_of_settings,
        maximum_value_length=maximum_value_length,
        drop_last_line=size_limited and not nul_padding,
    )
    ini_file.encoding = encoding
    ini_file.file_size = file_size
    ini_file.nul_padding = nul_padding
    ini_file.read_size = len(data)
    ini_file.size_limited = size_limited
    ini_file.truncated_encoding = truncated_encoding
    return ini_file


def ProduceReadWarnings(parser_mediator, ini_file, maximum_read_size):
    """Produces extraction warnings for what could not be read.

    Args:
      parser_mediator (ParserMediator): mediates interactions between parsers
          and other components, such as storage and dfVFS.
      ini_file (INIFile): INI file read with ReadINIFile.
      maximum_read_size (int): read bound passed to ReadINIFile.
    """
    if ini_file.size_limited:
        parser_mediator.ProduceWarning(
            f"file size: {ini_file.file_size:d} exceeds maximum: "
            f"{maximum_read_size:d}; only the first {ini_file.read_size:d} bytes "
            f"were read"
        )
    elif ini_file.truncated_encoding:
        parser_mediator.ProduceWarning(
            f"truncated {ini_file.encoding:s} data: file ends in the middle of a "
            f"character"
        )
    if ini_file.nul_padding:
        parser_mediator.ProduceWarning("file data ends in NUL padding")
    if ini_file.number_of_dropped_settings:
        parser_mediator.ProduceWarning(
            f"too many settings: {ini_file.number_of_dropped_settings:d} were not "
            f"kept, maximum: {len(ini_file.settings):d}"
        )
    if ini_file.number_of_truncated_values:
        parser_mediator.ProduceWarning(
            f"{ini_file.number_of_truncated_values:d} values were cut to the "
            f"maximum value length"
        )


def ParseBoolean(value):
    """Converts an INI flag value to a boolean.

    Args:
      value (str): value, such as "1", "0", "Yes" or "False".

    Returns:
      bool: the flag, or None if the value is not set or not a flag.
    """
    if value is None:
        return None
    value = value.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return None


def ParseInteger(value):
    """Converts an INI number value to an integer.

    Args:
      value (str): value, such as "443".

    Returns:
      int: the number, or None if the value is not set or not a decimal number.
    """
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit() or not value.isascii() or len(value) > 18:
        return None
    return int(value, 10)
