"""Stdlib-only writer for Windows XML Event Log (EVTX) files.

Builds version 3.1 files with CRC32-checked file and chunk headers and
binary XML records that libevtx (pyevtx) and python-evtx render like records
written by Windows: every record is a template instance whose System values
sit at substitution slots, and whose EventData or UserData is a nested binary
XML value (itself a template instance). Templates are defined in the first
record of a chunk that uses them and referenced by later records.
Output is deterministic: the same input gives byte-identical bytes.

Reference: the libyal "Windows XML Event Log (EVTX)" format document.
"""

import binascii
import hashlib
import struct
import uuid

from tests.forge import filetime as _filetime

_FILE_HEADER_SIZE = 128
_FILE_HEADER_BLOCK_SIZE = 4096
_CHUNK_SIZE = 65536
_CHUNK_HEADER_SIZE = 512
_RECORD_HEADER_SIZE = 24

_EVENT_NAMESPACE = "http://schemas.microsoft.com/win/2004/08/events/event"

# Binary XML tokens.
_END_OF_STREAM = 0x00
_OPEN_START_ELEMENT = 0x01
_CLOSE_START_ELEMENT = 0x02
_CLOSE_EMPTY_ELEMENT = 0x03
_END_ELEMENT = 0x04
_VALUE = 0x05
_ATTRIBUTE = 0x06
_TEMPLATE_INSTANCE = 0x0C
_NORMAL_SUBSTITUTION = 0x0D
_OPTIONAL_SUBSTITUTION = 0x0E
_FRAGMENT_HEADER = 0x0F
_HAS_MORE_FLAG = 0x40

# Value types.
_NULL = 0x00
_STRING = 0x01
_INT64 = 0x09
_UINT8 = 0x04
_UINT16 = 0x06
_UINT32 = 0x08
_UINT64 = 0x0A
_BINARY = 0x0E
_GUID = 0x0F
_FILETIME = 0x11
_SID = 0x13
_HEX_INT64 = 0x15
_BINXML = 0x21

# System substitution slots, numbered as in Windows' own templates.
_LEVEL = 0
_OPCODE = 1
_TASK = 2
_EVENT_ID = 3
_QUALIFIERS = 4
_KEYWORDS = 5
_TIME_CREATED = 6
_ACTIVITY_ID = 7
_PROCESS_ID = 8
_THREAD_ID = 9
_RECORD_ID = 10
_VERSION = 11
_USER_ID = 12
_RELATED_ACTIVITY_ID = 13
_PROVIDER_NAME = 14
_PROVIDER_GUID = 15
_EVENT_SOURCE_NAME = 16
_CHANNEL = 17
_COMPUTER = 18
_EVENT_PAYLOAD = 19
_NUMBER_OF_SYSTEM_VALUES = 20

_SYSTEM_TEMPLATE_KEY = ("system", 1)


def filetime(value):
    """Converts a datetime to a FILETIME integer (naive values are UTC)."""
    return _filetime.FromDateTime(value, naive_is_utc=True)


def _name_hash(name):
    """Computes the 16-bit name hash over the name's UTF-16 code units."""
    value = 0
    for (unit,) in struct.iter_unpack("<H", name.encode("utf-16-le")):
        value = (value * 65599 + unit) & 0xFFFFFFFF
    return value & 0xFFFF


def _encode_sid(text):
    """Encodes a SID string such as S-1-5-18 in binary form."""
    parts = text.strip().upper().split("-")
    if len(parts) < 3 or parts[0] != "S":
        raise ValueError(f"invalid SID: {text!r}")
    sub_authorities = [int(part) for part in parts[3:]]
    return (
        struct.pack("<BB", int(parts[1]), len(sub_authorities))
        + int(parts[2]).to_bytes(6, "big")
        + struct.pack(f"<{len(sub_authorities)}I", *sub_authorities)
    )


def _encode_guid(text):
    return uuid.UUID(text.strip("{}")).bytes_le


def _typed(value):
    """Maps a caller's data value to (value type, encoded bytes)."""
    if value is None:
        return _NULL, b""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        if 0 <= value <= 0xFFFFFFFF:
            return _UINT32, struct.pack("<I", value)
        if 0 <= value <= 0xFFFFFFFFFFFFFFFF:
            return _UINT64, struct.pack("<Q", value)
        return _INT64, struct.pack("<q", value)
    if isinstance(value, (bytes, bytearray)):
        return _BINARY, bytes(value)
    return _STRING, str(value).encode("utf-16-le")


class _BinXml:
    """Writes binary XML tokens at a known chunk offset.

    Element names are written inline, right after the token that uses them,
    which requires knowing each token's offset inside the chunk.
    """

    def __init__(self, base):
        self.base = base  # chunk offset of the first byte of self.data
        self.data = bytearray()
        self._open = []  # (element size field, attribute list size field)

    @property
    def position(self):
        return self.base + len(self.data)

    def raw(self, data):
        self.data += data

    def fragment_header(self):
        self.data += bytes([_FRAGMENT_HEADER, 1, 1, 0])

    def _inline_name(self, name):
        # The name offset points right past itself: the name follows inline.
        encoded = name.encode("utf-16-le")
        self.data += struct.pack("<I", self.position + 4)
        self.data += struct.pack("<IHH", 0, _name_hash(name), len(encoded) // 2)
        self.data += encoded + b"\x00\x00"

    def start_element(self, name, has_attributes=False):
        token = _OPEN_START_ELEMENT | (_HAS_MORE_FLAG if has_attributes else 0)
        self.data += struct.pack("<BH", token, 0xFFFF)
        size_field = len(self.data)
        self.data += b"\x00\x00\x00\x00"
        self._inline_name(name)
        attributes_field = None
        if has_attributes:
            attributes_field = len(self.data)
            self.data += b"\x00\x00\x00\x00"
        self._open.append((size_field, attributes_field))

    def attribute(self, name, more=False):
        """Starts an attribute; a text or substitution token must follow."""
        self.data.append(_ATTRIBUTE | (_HAS_MORE_FLAG if more else 0))
        self._inline_name(name)

    def patch_size(self, field, end):
        """Stores at field the size of the data between it and end."""
        struct.pack_into("<I", self.data, field, end - field - 4)

    def close_start(self):
        _, attributes_field = self._open[-1]
        if attributes_field is not None:
            self.patch_size(attributes_field, len(self.data))
        self.data.append(_CLOSE_START_ELEMENT)

    def close_empty(self):
        size_field, attributes_field = self._open.pop()
        if attributes_field is not None:
            self.patch_size(attributes_field, len(self.data))
        self.data.append(_CLOSE_EMPTY_ELEMENT)
        self.patch_size(size_field, len(self.data))

    def end_element(self):
        size_field, _ = self._open.pop()
        self.data.append(_END_ELEMENT)
        self.patch_size(size_field, len(self.data))

    def text(self, value):
        encoded = value.encode("utf-16-le")
        self.data += struct.pack("<BBH", _VALUE, _STRING, len(encoded) // 2)
        self.data += encoded

    def substitution(self, index, value_type, optional=True):
        token = _OPTIONAL_SUBSTITUTION if optional else _NORMAL_SUBSTITUTION
        self.data += struct.pack("<BHB", token, index, value_type)

    def end_of_stream(self):
        self.data.append(_END_OF_STREAM)

    def element_with_substitution(self, name, index, value_type, optional=True):
        self.start_element(name)
        self.close_start()
        self.substitution(index, value_type, optional)
        self.end_element()

    def empty_element(self, name, attributes):
        """Writes <name a="%i" .../> for (attribute, index, type) tuples."""
        self.start_element(name, has_attributes=True)
        for number, (attribute, index, value_type) in enumerate(attributes):
            self.attribute(attribute, more=number + 1 < len(attributes))
            self.substitution(index, value_type)
        self.close_empty()


def _system_template(writer):
    """Writes the Event template: System values are substitutions 0-18."""
    writer.start_element("Event", has_attributes=True)
    writer.attribute("xmlns")
    writer.text(_EVENT_NAMESPACE)
    writer.close_start()
    writer.start_element("System")
    writer.close_start()
    writer.empty_element(
        "Provider",
        [
            ("Name", _PROVIDER_NAME, _STRING),
            ("Guid", _PROVIDER_GUID, _GUID),
            ("EventSourceName", _EVENT_SOURCE_NAME, _STRING),
        ],
    )
    writer.start_element("EventID", has_attributes=True)
    writer.attribute("Qualifiers")
    writer.substitution(_QUALIFIERS, _UINT16)
    writer.close_start()
    writer.substitution(_EVENT_ID, _UINT16, optional=False)
    writer.end_element()
    for name, index, value_type in (
        ("Version", _VERSION, _UINT8),
        ("Level", _LEVEL, _UINT8),
        ("Task", _TASK, _UINT16),
        ("Opcode", _OPCODE, _UINT8),
        ("Keywords", _KEYWORDS, _HEX_INT64),
    ):
        writer.element_with_substitution(name, index, value_type)
    writer.empty_element("TimeCreated", [("SystemTime", _TIME_CREATED, _FILETIME)])
    writer.element_with_substitution("EventRecordID", _RECORD_ID, _UINT64)
    writer.empty_element(
        "Correlation",
        [
            ("ActivityID", _ACTIVITY_ID, _GUID),
            ("RelatedActivityID", _RELATED_ACTIVITY_ID, _GUID),
        ],
    )
    writer.empty_element(
        "Execution",
        [("ProcessID", _PROCESS_ID, _UINT32), ("ThreadID", _THREAD_ID, _UINT32)],
    )
    writer.element_with_substitution("Channel", _CHANNEL, _STRING)
    writer.element_with_substitution("Computer", _COMPUTER, _STRING)
    writer.empty_element("Security", [("UserID", _USER_ID, _SID)])
    writer.end_element()  # System
    writer.substitution(_EVENT_PAYLOAD, _BINXML)
    writer.end_element()  # Event


def _payload_template(shape):
    """Returns a function writing the EventData or UserData template."""
    kind = shape[0]

    def write(writer):
        if kind == "EventData":
            _, names, value_types, has_binary = shape
            writer.start_element("EventData")
            writer.close_start()
            for index, (name, value_type) in enumerate(zip(names, value_types)):
                writer.start_element("Data", has_attributes=name is not None)
                if name is not None:
                    writer.attribute("Name")
                    writer.text(name)
                writer.close_start()
                writer.substitution(index, value_type, optional=False)
                writer.end_element()
            if has_binary:
                writer.element_with_substitution(
                    "Binary", len(names), _BINARY, optional=False
                )
            writer.end_element()
        else:
            _, element, namespace, names, value_types = shape
            writer.start_element("UserData")
            writer.close_start()
            writer.start_element(element, has_attributes=bool(namespace))
            if namespace:
                writer.attribute("xmlns")
                writer.text(namespace)
            writer.close_start()
            for index, (name, value_type) in enumerate(zip(names, value_types)):
                writer.element_with_substitution(name, index, value_type, False)
            writer.end_element()
            writer.end_element()

    return write


def _template_instance(writer, key, write_template, templates):
    """Writes a template instance, defining the template if it is new.

    Args:
        writer (_BinXml): writer positioned where the instance goes.
        key (tuple): template identity.
        write_template (callable): writes the template's elements.
        templates (dict[tuple, int]): chunk offsets of templates already
            defined in this chunk; new definitions are added.
    """
    digest = hashlib.md5(repr(key).encode("utf-8")).digest()
    template_guid = digest
    template_id = struct.unpack_from("<I", digest)[0]
    writer.raw(struct.pack("<BBI", _TEMPLATE_INSTANCE, 1, template_id))
    if key in templates:
        writer.raw(struct.pack("<I", templates[key]))
        return
    definition_offset = writer.position + 4
    templates[key] = definition_offset
    writer.raw(struct.pack("<I", definition_offset))
    writer.raw(struct.pack("<I", 0))  # next template in the hash bucket
    writer.raw(template_guid)
    size_field = len(writer.data)
    writer.raw(b"\x00\x00\x00\x00")
    writer.fragment_header()
    write_template(writer)
    writer.end_of_stream()
    writer.patch_size(size_field, len(writer.data))


def _values_block(values):
    """Encodes template instance values: count, descriptors, then data.

    Raises:
        ValueError: if a value exceeds the 64 KiB a descriptor can describe.
    """
    for _, data in values:
        if len(data) > 0xFFFF:
            raise ValueError(f"value of {len(data)} bytes does not fit in a record")
    header = struct.pack("<I", len(values))
    header += b"".join(struct.pack("<HBB", len(data), kind, 0) for kind, data in values)
    return header + b"".join(data for _, data in values)


def _payload(record):
    """Returns (shape, values) of a record's EventData or UserData."""
    if record.get("user_data") is not None:
        user_data = record["user_data"]
        fields = user_data.get("fields", {})
        values = [_typed(value) for value in fields.values()]
        shape = (
            "UserData",
            user_data["element"],
            user_data.get("namespace"),
            tuple(fields),
            tuple(kind for kind, _ in values),
        )
        return shape, values
    if record.get("data") is not None:
        names = tuple(record["data"])
        values = [_typed(value) for value in record["data"].values()]
    elif record.get("data_list") is not None:
        names = (None,) * len(record["data_list"])
        values = [_typed(value) for value in record["data_list"]]
    else:
        # libevtx loses the System element of a record whose payload slot
        # holds no value, so records without data get an empty EventData.
        names, values = (), []
    has_binary = record.get("binary") is not None
    if has_binary:
        values.append((_BINARY, bytes(record["binary"])))
    value_types = tuple(kind for kind, _ in values[: len(names)])
    return ("EventData", names, value_types, has_binary), values


def _payload_value(record, position, templates):
    """Builds the nested binary XML value holding EventData or UserData."""
    shape, values = _payload(record)
    writer = _BinXml(position)
    writer.fragment_header()
    _template_instance(writer, shape, _payload_template(shape), templates)
    writer.raw(_values_block(values))
    # libevtx needs the explicit end of stream after the values.
    writer.end_of_stream()
    return _BINXML, bytes(writer.data)


def _system_values(record, number, channel, computer):
    def optional(value, encode, kind):
        return (kind, encode(value)) if value is not None else (_NULL, b"")

    values = [None] * _NUMBER_OF_SYSTEM_VALUES
    values[_LEVEL] = (_UINT8, struct.pack("<B", record.get("level", 0)))
    values[_OPCODE] = (_UINT8, struct.pack("<B", record.get("opcode", 0)))
    values[_TASK] = (_UINT16, struct.pack("<H", record.get("task", 0)))
    values[_EVENT_ID] = (_UINT16, struct.pack("<H", record["event_id"]))
    values[_QUALIFIERS] = optional(
        record.get("qualifiers"), lambda v: struct.pack("<H", v), _UINT16
    )
    values[_KEYWORDS] = (_HEX_INT64, struct.pack("<Q", record.get("keywords", 0)))
    values[_TIME_CREATED] = (_FILETIME, struct.pack("<Q", filetime(record["time"])))
    values[_ACTIVITY_ID] = optional(record.get("activity_id"), _encode_guid, _GUID)
    values[_PROCESS_ID] = (_UINT32, struct.pack("<I", record.get("process_id", 0)))
    values[_THREAD_ID] = (_UINT32, struct.pack("<I", record.get("thread_id", 0)))
    values[_RECORD_ID] = (_UINT64, struct.pack("<Q", number))
    values[_VERSION] = (_UINT8, struct.pack("<B", record.get("version", 0)))
    values[_USER_ID] = optional(record.get("security_user_id"), _encode_sid, _SID)
    values[_RELATED_ACTIVITY_ID] = optional(
        record.get("related_activity_id"), _encode_guid, _GUID
    )
    values[_PROVIDER_NAME] = (_STRING, record["provider"].encode("utf-16-le"))
    values[_PROVIDER_GUID] = optional(record.get("provider_guid"), _encode_guid, _GUID)
    values[_EVENT_SOURCE_NAME] = optional(
        record.get("event_source_name"), lambda v: v.encode("utf-16-le"), _STRING
    )
    values[_CHANNEL] = (_STRING, channel.encode("utf-16-le"))
    values[_COMPUTER] = (
        _STRING,
        (record.get("computer") or computer).encode("utf-16-le"),
    )
    return values


def _build_record(record, number, channel, computer, offset, templates):
    """Builds one event record placed at a chunk offset.

    Args:
        record (dict): caller's record description.
        number (int): event record identifier.
        channel (str): channel name.
        computer (str): default computer name.
        offset (int): chunk offset of the record.
        templates (dict[tuple, int]): templates defined in the chunk; updated.

    Returns:
        bytes: the record.
    """
    writer = _BinXml(offset + _RECORD_HEADER_SIZE)
    writer.fragment_header()
    _template_instance(writer, _SYSTEM_TEMPLATE_KEY, _system_template, templates)

    values = _system_values(record, number, channel, computer)
    # The payload value comes last, so its chunk offset is known up front.
    descriptors_size = 4 + 4 * _NUMBER_OF_SYSTEM_VALUES
    payload_position = writer.position + descriptors_size
    payload_position += sum(len(value[1]) for value in values if value is not None)
    values[_EVENT_PAYLOAD] = _payload_value(record, payload_position, templates)
    writer.raw(_values_block(values))
    # libevtx needs the explicit end of stream after the values.
    writer.end_of_stream()

    size = _RECORD_HEADER_SIZE + len(writer.data) + 4
    written = filetime(record["time"])
    header = struct.pack("<4sIQQ", b"\x2a\x2a\x00\x00", size, number, written)
    return header + bytes(writer.data) + struct.pack("<I", size)


class _Chunk:
    """Accumulates records of one 64 KiB chunk."""

    def __init__(self):
        self.records = bytearray()
        self.numbers = []
        self.last_record_offset = 0
        self.templates = {}

    @property
    def free_offset(self):
        return _CHUNK_HEADER_SIZE + len(self.records)

    def try_add(self, record, number, channel, computer):
        """Adds a record if it fits; returns False if the chunk is full."""
        templates = dict(self.templates)
        data = _build_record(
            record, number, channel, computer, self.free_offset, templates
        )
        if self.free_offset + len(data) > _CHUNK_SIZE:
            return False
        self.templates = templates
        self.last_record_offset = self.free_offset
        self.records += data
        self.numbers.append(number)
        return True

    def to_bytes(self):
        chunk = bytearray(_CHUNK_SIZE)
        chunk[_CHUNK_HEADER_SIZE : self.free_offset] = self.records
        first, last = self.numbers[0], self.numbers[-1]
        struct.pack_into(
            "<8sQQQQIIII",
            chunk,
            0,
            b"ElfChnk\x00",
            first,
            last,
            first,
            last,
            128,
            self.last_record_offset,
            self.free_offset,
            binascii.crc32(bytes(chunk[_CHUNK_HEADER_SIZE : self.free_offset])),
        )
        # Template pointer table: Windows hashes templates into 32 buckets.
        for offset in sorted(self.templates.values()):
            bucket = 384 + 4 * (offset % 32)
            if not struct.unpack_from("<I", chunk, bucket)[0]:
                struct.pack_into("<I", chunk, bucket, offset)
        checksum = binascii.crc32(bytes(chunk[:120]) + bytes(chunk[128:512]))
        struct.pack_into("<I", chunk, 124, checksum)
        return bytes(chunk)


def _file_header(number_of_chunks, next_record_number):
    header = bytearray(_FILE_HEADER_BLOCK_SIZE)
    struct.pack_into(
        "<8sQQQIHHHH",
        header,
        0,
        b"ElfFile\x00",
        0,  # first chunk number
        max(number_of_chunks - 1, 0),  # last chunk number
        next_record_number,
        _FILE_HEADER_SIZE,
        1,  # minor version; python-evtx rejects 3.2
        3,  # major version
        _FILE_HEADER_BLOCK_SIZE,
        number_of_chunks,
    )
    struct.pack_into("<I", header, 120, 0)  # flags: clean, not full
    struct.pack_into("<I", header, 124, binascii.crc32(bytes(header[:120])))
    return bytes(header)


def build_evtx(records, channel, computer="WKS-01"):
    """Builds an EVTX file.

    Args:
        records (list[dict]): records in file order. Required keys: event_id,
            provider and time (datetime, naive taken as UTC). Optional:
            provider_guid and activity_id/related_activity_id ("{...}"),
            event_source_name, record_number (default: 1-based position),
            level, version, task, opcode, keywords, qualifiers, process_id,
            thread_id, security_user_id (SID string), computer, and one of
            data ({name: value}, <Data Name=..>), data_list ([value], unnamed
            <Data>) or user_data ({"element", "namespace", "fields"}); plus
            binary (bytes, EventData <Binary>). Values may be str, int
            (UInt32/UInt64), bytes (Binary) or None.
        channel (str): channel name, such as "System" or "Security".
        computer (str): computer name for records without their own.

    Returns:
        bytes: EVTX file contents.

    Raises:
        ValueError: if a record or one of its values is too large.
    """
    chunks = []
    chunk = _Chunk()
    numbers = []
    for position, record in enumerate(records, start=1):
        number = record.get("record_number") or position
        numbers.append(number)
        if chunk.try_add(record, number, channel, computer):
            continue
        if not chunk.numbers:
            raise ValueError(f"record {number} does not fit in a chunk")
        chunks.append(chunk)
        chunk = _Chunk()
        if not chunk.try_add(record, number, channel, computer):
            raise ValueError(f"record {number} does not fit in a chunk")
    if chunk.numbers:
        chunks.append(chunk)

    next_record_number = max(numbers, default=0) + 1
    return _file_header(len(chunks), next_record_number) + b"".join(
        chunk.to_bytes() for chunk in chunks
    )


def chunk_record_numbers(data):
    """Returns (first, last) event record numbers of each chunk of a file."""
    (number_of_chunks,) = struct.unpack_from("<H", data, 42)
    result = []
    for index in range(number_of_chunks):
        offset = _FILE_HEADER_BLOCK_SIZE + index * _CHUNK_SIZE
        result.append(struct.unpack_from("<QQ", data, offset + 8))
    return result


def corrupt_chunk(data, chunk_index=0):
    """Damages the records of one chunk, as a bad sector would.

    The chunk header and the other chunks stay intact; the damaged chunk's
    records no longer match its event records checksum.

    Args:
        data (bytes): EVTX file contents.
        chunk_index (int): index of the chunk to damage.

    Returns:
        bytes: damaged copy of the file.

    Raises:
        ValueError: if the file has no such chunk.
    """
    (number_of_chunks,) = struct.unpack_from("<H", data, 42)
    if not 0 <= chunk_index < number_of_chunks:
        raise ValueError(f"no chunk {chunk_index} in a file of {number_of_chunks}")
    chunk_offset = _FILE_HEADER_BLOCK_SIZE + chunk_index * _CHUNK_SIZE
    (free_offset,) = struct.unpack_from("<I", data, chunk_offset + 48)

    damaged = bytearray(data)
    # Overwrite the first record's binary XML, which holds the template
    # definition that the chunk's later records refer to.
    start = chunk_offset + _CHUNK_HEADER_SIZE + _RECORD_HEADER_SIZE
    end = min(start + 256, chunk_offset + free_offset)
    damaged[start:end] = bytes(byte ^ 0xA5 for byte in damaged[start:end])
    return bytes(damaged)
