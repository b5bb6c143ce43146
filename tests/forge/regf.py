"""Stdlib-only writer for Windows NT Registry (REGF) hive files.

Builds version 1.5 primary hive files with a valid base block checksum,
4 KiB-aligned hive bins and nk, vk, value list, lh, ri, sk and data cells, so
that libregf, regipy and dfwinreg read them like hives written by Windows.
Output is deterministic: the same input gives byte-identical bytes.

Reference: the libyal "Windows NT Registry File (REGF) format" document.
"""

import datetime
import struct

from tests.forge import filetime as _filetime

# Used when neither keys nor root_last_written give a time.
_DEFAULT_TIME = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)

_BASE_BLOCK_SIZE = 4096
_HBIN_HEADER_SIZE = 32
_HBIN_ALIGNMENT = 4096
_NO_OFFSET = 0xFFFFFFFF

# Version 1.4+ stores values larger than this in big data (db) cells.
_MAX_VALUE_DATA_SIZE = 16344

# An lh list larger than this is split into an ri list of lh lists, as
# Windows does, so that no list cell grows beyond a few kilobytes.
_MAX_LH_ELEMENTS = 512

_KEY_HIVE_ENTRY = 0x0004
_KEY_NO_DELETE = 0x0008
_KEY_COMP_NAME = 0x0020
_VALUE_COMP_NAME = 0x0001

VALUE_TYPES = {
    "REG_NONE": 0,
    "REG_SZ": 1,
    "REG_EXPAND_SZ": 2,
    "REG_BINARY": 3,
    "REG_DWORD": 4,
    "REG_DWORD_LITTLE_ENDIAN": 4,
    "REG_DWORD_BIG_ENDIAN": 5,
    "REG_LINK": 6,
    "REG_MULTI_SZ": 7,
    "REG_QWORD": 11,
    "REG_QWORD_LITTLE_ENDIAN": 11,
}

# Root key names and file name tails as Windows 10 writes them.
_HIVE_NAMES = {
    "system": ("ROOT", "\\SystemRoot\\System32\\Config\\SYSTEM"),
    "software": (
        "CMI-CreateHive{199DAFC2-6F16-4946-BF90-5A3FC3A60902}",
        "\\SystemRoot\\System32\\Config\\SOFTWARE",
    ),
    "ntuser": ("ROOT", "\\??\\C:\\Users\\user\\ntuser.dat"),
    "usrclass": (
        "S-1-5-21-0-0-0-1001_Classes",
        "\\??\\C:\\Users\\user\\AppData\\Local\\Microsoft\\Windows\\UsrClass.dat",
    ),
    "sam": (
        "CMI-CreateHive{C4E7BA2B-68E8-499C-B1A1-371AC8D717C7}",
        "\\SystemRoot\\System32\\Config\\SAM",
    ),
    "security": (
        "CMI-CreateHive{C3A14AAC-2F2B-4E27-8A39-4B8C5A3C3AB0}",
        "\\SystemRoot\\System32\\Config\\SECURITY",
    ),
    "other": ("ROOT", "\\??\\C:\\hive.dat"),
}

_TZ_NAME = "Coordinated Universal Time"

# Keys dfwinreg needs to recognise the hive type, plus time zone keys that
# make plaso preprocessing settle on UTC. Tuples of (path, values).
_AUTO_KEYS = {
    "system": [
        ("MountedDevices", []),
        (
            "Select",
            [
                ("Current", "REG_DWORD", 1),
                ("Default", "REG_DWORD", 1),
                ("Failed", "REG_DWORD", 0),
                ("LastKnownGood", "REG_DWORD", 1),
            ],
        ),
        ("Setup", []),
        (
            "ControlSet001\\Control\\TimeZoneInformation",
            [
                ("ActiveTimeBias", "REG_DWORD", 0),
                ("Bias", "REG_DWORD", 0),
                ("DaylightBias", "REG_DWORD", 0),
                ("DaylightName", "REG_SZ", "@tzres.dll,-931"),
                ("DaylightStart", "REG_BINARY", bytes(16)),
                ("DynamicDaylightTimeDisabled", "REG_DWORD", 0),
                ("StandardBias", "REG_DWORD", 0),
                ("StandardName", "REG_SZ", "@tzres.dll,-932"),
                ("StandardStart", "REG_BINARY", bytes(16)),
                ("TimeZoneKeyName", "REG_SZ", "UTC"),
            ],
        ),
    ],
    "software": [
        ("Microsoft\\Windows\\CurrentVersion\\App Paths", []),
        (
            "Microsoft\\Windows NT\\CurrentVersion\\Time Zones\\UTC",
            [
                ("Display", "REG_SZ", "(UTC) " + _TZ_NAME),
                ("Dlt", "REG_SZ", _TZ_NAME),
                ("MUI_Display", "REG_SZ", "@tzres.dll,-930"),
                ("MUI_Dlt", "REG_SZ", "@tzres.dll,-931"),
                ("MUI_Std", "REG_SZ", "@tzres.dll,-932"),
                ("Std", "REG_SZ", _TZ_NAME),
                # Bias, StandardBias, DaylightBias and two SYSTEMTIMEs: all 0.
                ("TZI", "REG_BINARY", bytes(44)),
            ],
        ),
    ],
    "ntuser": [
        ("AppEvents", []),
        ("Console", []),
        ("Control Panel", []),
        ("Environment", []),
        ("Keyboard Layout", []),
        ("Software", []),
    ],
}


class _Key:
    """Key node of the hive tree being built."""

    def __init__(self, name, last_written=None):
        self.name = name
        self.last_written = last_written
        self.explicit = False
        self.values = []  # list of (name, type number, data bytes)
        self.subkeys = {}  # upper-case name -> _Key


def filetime(value):
    """Converts a datetime to a FILETIME integer (naive values are UTC)."""
    return _filetime.FromDateTime(value, naive_is_utc=True)


def _encode_name(name):
    """Encodes a key or value name.

    Windows stores names whose characters all fit in one byte "compressed";
    this writer does so only for ASCII names, because regipy decodes
    compressed names as ASCII.

    Returns:
        tuple[bytes, bool]: encoded name and whether it is compressed.
    """
    if name.isascii():
        return name.encode("ascii"), True
    return name.encode("utf-16-le"), False


def _encode_sz(text):
    return text.encode("utf-16-le") + b"\x00\x00"


def encode_value_data(value_type, data):
    """Encodes value data the way Windows stores it.

    Args:
        value_type (str|int): REG_* type name or type number.
        data (object): str, int, bytes, hex str or list[str], by type.

    Returns:
        tuple[int, bytes]: type number and encoded data.

    Raises:
        ValueError: if the type is unknown or the data does not fit it.
    """
    if isinstance(value_type, int):
        type_number = value_type
    elif value_type in VALUE_TYPES:
        type_number = VALUE_TYPES[value_type]
    else:
        raise ValueError(f"unsupported value type: {value_type!r}")

    if data is None:
        return type_number, b""
    if isinstance(data, (bytes, bytearray)):
        return type_number, bytes(data)

    if type_number in (1, 2, 6):
        return type_number, _encode_sz(str(data))
    if type_number == 4:
        return type_number, struct.pack("<I", data & 0xFFFFFFFF)
    if type_number == 5:
        return type_number, struct.pack(">I", data & 0xFFFFFFFF)
    if type_number == 11:
        return type_number, struct.pack("<Q", data & 0xFFFFFFFFFFFFFFFF)
    if type_number == 7:
        if isinstance(data, str):
            data = [data]
        encoded = b"".join(_encode_sz(item) for item in data)
        return type_number, encoded + b"\x00\x00"
    if isinstance(data, str):
        # Binary-like types accept hex strings such as "01 02 ab" or "0102ab".
        return type_number, bytes.fromhex(data.replace(" ", "").replace(",", ""))
    raise ValueError(f"cannot encode {type(data).__name__} as type {value_type!r}")


def _split_path(path):
    return [part for part in (path or "").strip("\\").split("\\") if part]


def _get_or_create(root, path, default_time):
    """Walks to the key at path, creating missing keys along the way."""
    key = root
    for part in _split_path(path):
        child = key.subkeys.get(part.upper())
        if child is None:
            child = _Key(part, default_time)
            key.subkeys[part.upper()] = child
        key = child
    return key


def _add_values(key, values, replace):
    existing = {name.upper() for name, _, _ in key.values}
    for name, value_type, data in values:
        name = name or ""
        if name.upper() in existing:
            if replace:
                raise ValueError(f"duplicate value {name!r} in key {key.name!r}")
            continue
        existing.add(name.upper())
        key.values.append((name, *encode_value_data(value_type, data)))


def _build_tree(keys, hive_type, root_last_written):
    """Builds the key tree from the caller's keys and the auto-added keys."""
    given_times = [key["last_written"] for key in keys if key.get("last_written")]
    if root_last_written is None:
        root_last_written = min(given_times, key=filetime, default=_DEFAULT_TIME)
    root_name = _HIVE_NAMES.get(hive_type, _HIVE_NAMES["other"])[0]
    root = _Key(root_name, root_last_written)

    for entry in keys:
        last_written = entry.get("last_written") or root_last_written
        parts = _split_path(entry["path"])
        # Intermediate keys take the latest time of the keys below them.
        node = root
        for part in parts:
            child = node.subkeys.get(part.upper())
            if child is None:
                child = _Key(part, last_written)
                node.subkeys[part.upper()] = child
            elif not child.explicit and filetime(child.last_written) < filetime(
                last_written
            ):
                child.last_written = last_written
            node = child
        if entry.get("last_written"):
            node.last_written = entry["last_written"]
        node.explicit = True
        values = [
            (value.get("name"), value.get("type", "REG_SZ"), value.get("data"))
            for value in entry.get("values", [])
        ]
        _add_values(node, values, replace=True)

    for path, values in _AUTO_KEYS.get(hive_type, []):
        node = _get_or_create(root, path, root_last_written)
        if not node.explicit:
            _add_values(node, values, replace=False)
    return root, root_last_written


def _sorted_subkeys(key):
    # Windows orders subkey lists by upper-cased name.
    return [key.subkeys[name] for name in sorted(key.subkeys)]


def _name_hash(name):
    """Computes the lh list hash of a key name."""
    value = 0
    for character in name.upper():
        value = (value * 37 + ord(character)) & 0xFFFFFFFF
    return value


def _security_descriptor():
    """Builds a self-relative security descriptor like a default key's."""

    def sid(authority, *sub_authorities):
        header = struct.pack("<BB", 1, len(sub_authorities))
        body = authority.to_bytes(6, "big")
        return (
            header + body + struct.pack(f"<{len(sub_authorities)}I", *sub_authorities)
        )

    system = sid(5, 18)
    administrators = sid(5, 32, 544)
    users = sid(5, 32, 545)

    aces = b""
    for mask, trustee in (
        (0x000F003F, system),
        (0x000F003F, administrators),
        (0x00020019, users),
    ):
        # ACCESS_ALLOWED_ACE with CONTAINER_INHERIT_ACE.
        aces += struct.pack("<BBHI", 0, 0x02, 8 + len(trustee), mask) + trustee
    dacl = struct.pack("<BBHHH", 2, 0, 8 + len(aces), 3, 0) + aces

    owner_offset = 20
    group_offset = owner_offset + len(administrators)
    dacl_offset = group_offset + len(system)
    # SE_SELF_RELATIVE | SE_DACL_PRESENT
    header = struct.pack(
        "<BBHIIII", 1, 0, 0x8004, owner_offset, group_offset, 0, dacl_offset
    )
    return header + administrators + system + dacl


class _CellWriter:
    """Lays out cells in hive bins.

    Cell sizes never depend on offsets, so cells are first added with a
    payload size and a render function, then placed, then rendered with
    every offset known.
    """

    def __init__(self):
        self._cells = []  # list of [payload size, render function]

    def add(self, payload_size, render):
        self._cells.append([payload_size, render])
        return len(self._cells) - 1

    def layout(self):
        """Places cells in hive bins; returns (offsets, bin list)."""
        offsets = []
        bins = []  # list of [bin offset, bin size]
        used = 0
        for payload_size, _ in self._cells:
            cell_size = (4 + payload_size + 7) & ~7
            if not bins or used + cell_size > bins[-1][1]:
                start = bins[-1][0] + bins[-1][1] if bins else 0
                size = _HBIN_HEADER_SIZE + cell_size
                size = (size + _HBIN_ALIGNMENT - 1) // _HBIN_ALIGNMENT * _HBIN_ALIGNMENT
                bins.append([start, size])
                used = _HBIN_HEADER_SIZE
            offsets.append(bins[-1][0] + used)
            used += cell_size
        return offsets, bins

    def render(self, timestamp):
        """Renders all hive bins; returns (offsets, hive bins data)."""
        offsets, bins = self.layout()
        data = bytearray()
        for bin_offset, bin_size in bins:
            header = struct.pack("<4sIIIIQI", b"hbin", bin_offset, bin_size, 0, 0, 0, 0)
            data += header + bytes(bin_size - _HBIN_HEADER_SIZE)
        # Only the first hive bin carries a timestamp.
        struct.pack_into("<Q", data, 20, timestamp)

        ends = {offset: offset for offset in offsets}
        for (payload_size, render), offset in zip(self._cells, offsets):
            payload = render(offsets)
            if len(payload) != payload_size:
                raise AssertionError("cell size mismatch")
            cell_size = (4 + payload_size + 7) & ~7
            struct.pack_into("<i", data, offset, -cell_size)
            data[offset + 4 : offset + 4 + payload_size] = payload
            ends[offset] = offset + cell_size

        # The unused tail of each hive bin is one free cell (positive size).
        for bin_offset, bin_size in bins:
            bin_end = bin_offset + bin_size
            last_end = max(
                (end for start, end in ends.items() if bin_offset <= start < bin_end),
                default=bin_offset + _HBIN_HEADER_SIZE,
            )
            if last_end < bin_end:
                struct.pack_into("<i", data, last_end, bin_end - last_end)
        return offsets, bytes(data)


def _add_value_cells(writer, name, type_number, data):
    """Adds vk (and data) cells of a value; returns the vk cell index."""
    if len(data) > _MAX_VALUE_DATA_SIZE:
        raise ValueError(
            f"value {name!r}: {len(data)} bytes needs a big data cell (unsupported)"
        )
    name_bytes, compressed = _encode_name(name)
    flags = _VALUE_COMP_NAME if compressed and name_bytes else 0

    # Data of exactly 4 bytes (or none) lives in the vk cell itself. Readers
    # disagree on where 1 to 3 resident bytes sit (libregf takes the last
    # bytes of the field, regipy the first), so such data gets a data cell.
    data_cell = None
    if len(data) not in (0, 4):
        data_cell = writer.add(len(data), lambda offsets, data=data: data)

    def render(offsets):
        if data_cell is None:
            size = 0x80000000 | len(data)
            data_offset = int.from_bytes(data.ljust(4, b"\x00"), "little")
        else:
            size = len(data)
            data_offset = offsets[data_cell]
        header = struct.pack(
            "<2sHIIIHH",
            b"vk",
            len(name_bytes),
            size,
            data_offset,
            type_number,
            flags,
            0,
        )
        return header + name_bytes

    return writer.add(20 + len(name_bytes), render)


def _add_subkey_list_cells(writer, children):
    """Adds lh (and ri) list cells; returns the list cell index."""

    def add_lh(part):
        def render(offsets):
            body = b"".join(
                struct.pack("<II", offsets[cell], _name_hash(key.name))
                for key, cell in part
            )
            return struct.pack("<2sH", b"lh", len(part)) + body

        return writer.add(4 + 8 * len(part), render)

    if len(children) <= _MAX_LH_ELEMENTS:
        return add_lh(children)

    lh_cells = [
        add_lh(children[index : index + _MAX_LH_ELEMENTS])
        for index in range(0, len(children), _MAX_LH_ELEMENTS)
    ]

    def render_ri(offsets):
        body = b"".join(struct.pack("<I", offsets[cell]) for cell in lh_cells)
        return struct.pack("<2sH", b"ri", len(lh_cells)) + body

    return writer.add(4 + 4 * len(lh_cells), render_ri)


def _add_key_cells(writer, key, parent_cell, shared, is_root=False):
    """Adds the cells of a key and, recursively, its subkeys.

    Args:
        writer (_CellWriter): cell writer.
        key (_Key): key to add.
        parent_cell (Optional[int]): cell index of the parent's nk cell.
        shared (dict[str, object]): holds "sk", the shared sk cell index.
        is_root (Optional[bool]): True for the root key.

    Returns:
        int: cell index of the key's nk cell.
    """
    name_bytes, compressed = _encode_name(key.name)
    flags = _KEY_COMP_NAME if compressed else 0
    if is_root:
        flags |= _KEY_HIVE_ENTRY | _KEY_NO_DELETE
    subkeys = _sorted_subkeys(key)
    state = {}

    def render(offsets):
        values = key.values
        max_subkey_name = max((len(k.name) * 2 for k in subkeys), default=0)
        max_value_name = max((len(name) * 2 for name, _, _ in values), default=0)
        max_value_data = max((len(data) for _, _, data in values), default=0)
        fields = struct.pack(
            "<2sHQIIIIIIIIIIIIIIIHH",
            b"nk",
            flags,
            filetime(key.last_written),
            0,
            offsets[parent_cell] if parent_cell is not None else 0,
            len(subkeys),
            0,
            offsets[state["subkeys"]] if subkeys else _NO_OFFSET,
            _NO_OFFSET,
            len(values),
            offsets[state["values"]] if values else _NO_OFFSET,
            offsets[shared["sk"]],
            _NO_OFFSET,
            max_subkey_name,
            0,
            max_value_name,
            max_value_data,
            0,
            len(name_bytes),
            0,
        )
        return fields + name_bytes

    nk_cell = writer.add(76 + len(name_bytes), render)
    if is_root:
        # regipy takes the first cell of the first hive bin as the root key,
        # as Windows places it there; the shared sk cell follows.
        shared["sk"] = writer.add(*shared.pop("sk_cell_spec"))

    if key.values:
        vk_cells = [_add_value_cells(writer, *value) for value in key.values]
        state["values"] = writer.add(
            4 * len(vk_cells),
            lambda offsets: b"".join(struct.pack("<I", offsets[c]) for c in vk_cells),
        )

    child_cells = [
        (child, _add_key_cells(writer, child, nk_cell, shared)) for child in subkeys
    ]
    if subkeys:
        state["subkeys"] = _add_subkey_list_cells(writer, child_cells)
    return nk_cell


def _count_keys(key):
    return 1 + sum(_count_keys(child) for child in key.subkeys.values())


def _base_block(root_offset, hbins_size, timestamp, file_name):
    """Builds the 4 KiB base block with its XOR-32 checksum."""
    block = bytearray(_BASE_BLOCK_SIZE)
    struct.pack_into(
        "<4sIIQIIIIIII",
        block,
        0,
        b"regf",
        1,  # primary sequence number
        1,  # secondary sequence number, equal: the hive is consistent
        timestamp,
        1,  # major version
        5,  # minor version
        0,  # file type: primary
        1,  # file format: direct memory load
        root_offset,
        hbins_size,
        1,  # clustering factor
    )
    # Windows keeps the last 31 characters of the hive's path.
    name = file_name[-31:].encode("utf-16-le")
    block[48 : 48 + len(name)] = name

    checksum = 0
    for (dword,) in struct.iter_unpack("<I", bytes(block[:508])):
        checksum ^= dword
    if checksum == 0:
        checksum = 1
    elif checksum == 0xFFFFFFFF:
        checksum = 0xFFFFFFFE
    struct.pack_into("<I", block, 508, checksum)
    return bytes(block)


def build_hive(keys, hive_type, root_last_written=None):
    """Builds a REGF hive file.

    Args:
        keys (list[dict]): keys, each {"path": "A\\B", "last_written":
            datetime, "values": [{"name": str, "type": "REG_SZ", "data": ...}]}.
            Paths are relative to the hive root. Missing intermediate keys
            are created with the latest time of their listed descendants.
        hive_type (str): "system", "software", "ntuser", "usrclass", "sam",
            "security" or "other". For system, software and ntuser the keys
            that identify the hive type (and UTC time zone keys) are added
            unless the caller lists them.
        root_last_written (Optional[datetime.datetime]): last written time
            of the root key and the auto-added keys; defaults to the earliest
            time of the given keys.

    Returns:
        bytes: hive file contents.

    Raises:
        ValueError: on unknown value types, duplicate values or value data
            that would need big data cells.
    """
    if hive_type not in _HIVE_NAMES:
        raise ValueError(f"unsupported hive type: {hive_type!r}")
    root, root_time = _build_tree(keys, hive_type, root_last_written)

    writer = _CellWriter()
    sd = _security_descriptor()
    key_count = _count_keys(root)

    def render_sk(offsets):
        # One shared sk cell whose list links point at itself.
        own = offsets[shared["sk"]]
        return struct.pack("<2sHIIII", b"sk", 0, own, own, key_count, len(sd)) + sd

    shared = {"sk_cell_spec": (20 + len(sd), render_sk)}
    root_cell = _add_key_cells(writer, root, None, shared, is_root=True)

    latest = max(_all_times(root), key=filetime)
    timestamp = filetime(max(latest, root_time, key=filetime))
    offsets, hbins = writer.render(timestamp)
    file_name = _HIVE_NAMES[hive_type][1]
    return _base_block(offsets[root_cell], len(hbins), timestamp, file_name) + hbins


def _all_times(key):
    yield key.last_written
    for child in key.subkeys.values():
        yield from _all_times(child)


def checksum_is_valid(data):
    """Checks the XOR-32 checksum of a hive's base block.

    Args:
        data (bytes): hive file contents.

    Returns:
        bool: True if the stored checksum matches.
    """
    checksum = 0
    for (dword,) in struct.iter_unpack("<I", data[:508]):
        checksum ^= dword
    checksum = {0: 1, 0xFFFFFFFF: 0xFFFFFFFE}.get(checksum, checksum)
    return checksum == struct.unpack_from("<I", data, 508)[0]
