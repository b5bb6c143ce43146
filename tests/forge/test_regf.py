"""Tests of the REGF writer against libregf (pyregf), regipy and dfwinreg."""

import datetime
import io
import struct

import pyregf
import pytest
from dfwinreg import registry as dfwinreg_registry
from dfwinreg import regf as dfwinreg_regf
from regipy.registry import RegistryHive

from . import regf

UTC = datetime.timezone.utc
T0 = datetime.datetime(2024, 5, 14, 9, 30, 0, 123456, tzinfo=UTC)
T1 = datetime.datetime(2024, 5, 15, 17, 2, 3, 999999, tzinfo=UTC)
T2 = datetime.datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)

EVERY_TYPE = [
    {"name": "", "type": "REG_SZ", "data": "default value"},
    {"name": "Version", "type": "REG_SZ", "data": "12.10"},
    {"name": "Empty", "type": "REG_SZ", "data": ""},
    {"name": "Unicode", "type": "REG_SZ", "data": "Zoë ü 日本"},
    {"name": "Path", "type": "REG_EXPAND_SZ", "data": "%ProgramFiles%\\NetSupport"},
    {"name": "Dword", "type": "REG_DWORD", "data": 0xDEADBEEF},
    {"name": "Qword", "type": "REG_QWORD", "data": 0x0123456789ABCDEF},
    {"name": "Bin3", "type": "REG_BINARY", "data": b"\x01\x02\x03"},
    {"name": "Bin1", "type": "REG_BINARY", "data": b"\xff"},
    {"name": "BinHex", "type": "REG_BINARY", "data": "00 11 22 33 44 55"},
    {"name": "BinBig", "type": "REG_BINARY", "data": bytes(range(256)) * 40},
    {"name": "Multi", "type": "REG_MULTI_SZ", "data": ["one", "two", "drei ü"]},
    {"name": "None", "type": "REG_NONE", "data": None},
    {"name": "NoneData", "type": "REG_NONE", "data": b"\x00\x01"},
    {"name": "Ünïcode name", "type": "REG_DWORD", "data": 7},
    {"name": "名前", "type": "REG_SZ", "data": "x" * 5000},
]

TYPE_NUMBERS = {
    "REG_NONE": 0,
    "REG_SZ": 1,
    "REG_EXPAND_SZ": 2,
    "REG_BINARY": 3,
    "REG_DWORD": 4,
    "REG_MULTI_SZ": 7,
    "REG_QWORD": 11,
}


def expected_bytes(value):
    """Encodes value data independently of the writer, for comparison."""
    kind, data = value["type"], value["data"]
    if data is None:
        return b""
    if isinstance(data, bytes):
        return data
    if kind in ("REG_SZ", "REG_EXPAND_SZ"):
        return (data + "\x00").encode("utf-16-le")
    if kind == "REG_DWORD":
        return struct.pack("<I", data)
    if kind == "REG_QWORD":
        return struct.pack("<Q", data)
    if kind == "REG_MULTI_SZ":
        return "".join(item + "\x00" for item in data).encode("utf-16-le") + b"\0\0"
    return bytes.fromhex(data.replace(" ", ""))


def expected_regipy(value):
    """Returns the value as regipy presents it (binary data as hex)."""
    kind, data = value["type"], value["data"]
    raw = expected_bytes(value)
    if kind in ("REG_BINARY", "REG_NONE"):
        return raw.hex()
    return data


def software_keys():
    keys = [
        {
            "path": "NetSupport Ltd\\Client32",
            "last_written": T1,
            "values": EVERY_TYPE,
        },
        {
            "path": "Microsoft\\Windows\\CurrentVersion\\Run",
            "last_written": T0,
            "values": [
                {
                    "name": "client32",
                    "type": "REG_SZ",
                    "data": "C:\\ProgramData\\Sup\\client32.exe",
                }
            ],
        },
        {
            "path": "A\\B\\C\\D\\E\\F\\G\\H\\I\\J\\K\\Deep",
            "last_written": T2,
            "values": [{"name": "Depth", "type": "REG_DWORD", "data": 12}],
        },
    ]
    # More than 512 subkeys: an ri list of lh lists. Mixed case checks the
    # Windows sort order (upper-case comparison).
    for number in range(600):
        name = f"{'key' if number % 2 else 'Key'}_{number:04d}"
        keys.append(
            {
                "path": f"Many\\{name}",
                "last_written": T0 + datetime.timedelta(seconds=number),
                "values": [{"name": "N", "type": "REG_DWORD", "data": number}],
            }
        )
    return keys


def open_pyregf(data):
    regf_file = pyregf.file()
    regf_file.open_file_object(io.BytesIO(data))
    return regf_file


def open_regipy(data, tmp_path, name="hive"):
    path = tmp_path / name
    path.write_bytes(data)
    return RegistryHive(str(path))


def registry_mapping(data):
    registry_file = dfwinreg_regf.REGFWinRegistryFile()
    registry_file.Open(io.BytesIO(data))
    return dfwinreg_registry.WinRegistry().GetRegistryFileMapping(registry_file)


def naive(value):
    return value.astimezone(UTC).replace(tzinfo=None)


def check_key(data, hive, key):
    """Checks one listed key with both readers."""
    path = "\\" + key["path"]
    py_key = open_pyregf(data).get_key_by_path(path)
    assert py_key is not None, path
    assert py_key.get_last_written_time() == naive(key["last_written"])
    py_values = {value.name or "": value for value in py_key.values}
    assert len(py_values) == len(key["values"])

    regipy_key = hive.get_key(path)
    assert regipy_key.header.last_modified == regf.filetime(key["last_written"])
    regipy_values = {
        ("" if value.name == "(default)" else value.name): value
        for value in regipy_key.iter_values(trim_values=False)
    }
    assert len(regipy_values) == len(key["values"])

    for value in key["values"]:
        py_value = py_values[value["name"]]
        assert py_value.type == TYPE_NUMBERS[value["type"]], value["name"]
        assert (py_value.data or b"") == expected_bytes(value), value["name"]
        regipy_value = regipy_values[value["name"]]
        assert regipy_value.value_type == value["type"], value["name"]
        actual = regipy_value.value
        if isinstance(actual, bytes):
            actual = actual.hex()
        assert actual == expected_regipy(value), value["name"]


@pytest.fixture(scope="module")
def software_hive():
    return regf.build_hive(software_keys(), "software")


def test_software_values_and_times(software_hive, tmp_path):
    hive = open_regipy(software_hive, tmp_path)
    for key in software_keys()[:3]:
        check_key(software_hive, hive, key)


def test_software_many_subkeys_sorted(software_hive, tmp_path):
    keys = software_keys()[3:]
    expected = sorted((key["path"].split("\\")[1] for key in keys), key=str.upper)

    hive = open_regipy(software_hive, tmp_path)
    py_many = open_pyregf(software_hive).get_key_by_path("\\Many")
    assert py_many.number_of_sub_keys == 600
    assert [key.name for key in py_many.sub_keys] == expected
    for key in keys[::37]:
        check_key(software_hive, hive, key)

    regipy_names = [key.name for key in hive.get_key("\\Many").iter_subkeys()]
    assert regipy_names == expected


def test_intermediate_and_auto_keys(software_hive):
    regf_file = open_pyregf(software_hive)
    # Intermediate keys take the latest time of their listed descendants.
    assert regf_file.get_key_by_path("\\NetSupport Ltd").get_last_written_time() == (
        naive(T1)
    )
    assert regf_file.get_key_by_path("\\A\\B\\C").get_last_written_time() == naive(T2)
    # The root and auto-added keys default to the earliest given time.
    assert regf_file.get_root_key().get_last_written_time() == naive(T2)
    app_paths = "\\Microsoft\\Windows\\CurrentVersion\\App Paths"
    assert regf_file.get_key_by_path(app_paths).get_last_written_time() == naive(T2)
    utc = regf_file.get_key_by_path(
        "\\Microsoft\\Windows NT\\CurrentVersion\\Time Zones\\UTC"
    )
    assert utc.get_value_by_name("TZI").data == bytes(44)
    assert utc.get_value_by_name("Std").get_data_as_string() == (
        "Coordinated Universal Time"
    )
    # The Run key was listed: it keeps its own time.
    run = regf_file.get_key_by_path("\\Microsoft\\Windows\\CurrentVersion\\Run")
    assert run.get_last_written_time() == naive(T0)


def test_base_block_and_hive_bins(software_hive):
    data = software_hive
    assert data[:4] == b"regf"
    assert regf.checksum_is_valid(data)
    primary, secondary = struct.unpack_from("<II", data, 4)
    assert primary == secondary
    assert struct.unpack_from("<II", data, 20) == (1, 5)
    (hbins_size,) = struct.unpack_from("<I", data, 40)
    assert len(data) == 4096 + hbins_size

    offset = 0
    while offset < hbins_size:
        signature, bin_offset, bin_size = struct.unpack_from(
            "<4sII", data, 4096 + offset
        )
        assert signature == b"hbin"
        assert bin_offset == offset
        assert bin_size % 4096 == 0
        offset += bin_size
    assert offset == hbins_size


def test_deterministic():
    assert regf.build_hive(software_keys(), "software") == regf.build_hive(
        software_keys(), "software"
    )


def test_software_mapping(software_hive):
    assert registry_mapping(software_hive) == "HKEY_LOCAL_MACHINE\\Software"


def test_system_hive(tmp_path):
    keys = [
        {
            "path": "ControlSet001\\Services\\Client32",
            "last_written": T0,
            "values": [
                {"name": "ImagePath", "type": "REG_EXPAND_SZ", "data": "c32.exe"},
                {"name": "Start", "type": "REG_DWORD", "data": 2},
                {"name": "DependOnService", "type": "REG_MULTI_SZ", "data": ["Tcpip"]},
            ],
        },
        {
            "path": "ControlSet001\\Control\\ComputerName\\ComputerName",
            "last_written": T1,
            "values": [{"name": "ComputerName", "type": "REG_SZ", "data": "WKS-01"}],
        },
    ]
    data = regf.build_hive(keys, "system", root_last_written=T2)
    assert regf.checksum_is_valid(data)
    assert registry_mapping(data) == "HKEY_LOCAL_MACHINE\\System"

    hive = open_regipy(data, tmp_path)
    for key in keys:
        check_key(data, hive, key)

    regf_file = open_pyregf(data)
    select = regf_file.get_key_by_path("\\Select")
    assert select.get_value_by_name("Current").get_data_as_integer() == 1
    assert select.get_last_written_time() == naive(T2)
    tzi = regf_file.get_key_by_path("\\ControlSet001\\Control\\TimeZoneInformation")
    assert tzi.get_value_by_name("TimeZoneKeyName").get_data_as_string() == "UTC"
    assert tzi.get_value_by_name("Bias").get_data_as_integer() == 0
    for path in ("\\MountedDevices", "\\Setup"):
        assert regf_file.get_key_by_path(path) is not None


def test_caller_keys_are_not_overridden():
    keys = [
        {
            "path": "Select",
            "last_written": T1,
            "values": [{"name": "Current", "type": "REG_DWORD", "data": 2}],
        }
    ]
    regf_file = open_pyregf(regf.build_hive(keys, "system"))
    select = regf_file.get_key_by_path("\\Select")
    assert select.number_of_values == 1
    assert select.get_value_by_name("Current").get_data_as_integer() == 2


def test_ntuser_hive(tmp_path):
    keys = [
        {
            "path": "Software\\Microsoft\\Windows\\CurrentVersion\\Run",
            "last_written": T1,
            "values": [{"name": "NSM", "type": "REG_SZ", "data": "client32.exe"}],
        }
    ]
    data = regf.build_hive(keys, "ntuser")
    assert registry_mapping(data) == "HKEY_CURRENT_USER"
    check_key(data, open_regipy(data, tmp_path), keys[0])
    root = open_pyregf(data).get_root_key()
    names = [key.name for key in root.sub_keys]
    assert names == sorted(names, key=str.upper)
    assert {"AppEvents", "Console", "Control Panel", "Environment"} <= set(names)


def test_other_hive_has_only_given_keys():
    data = regf.build_hive([{"path": "X", "last_written": T0, "values": []}], "other")
    root = open_pyregf(data).get_root_key()
    assert [key.name for key in root.sub_keys] == ["X"]
    assert registry_mapping(data) == ""


@pytest.mark.parametrize(
    "values",
    [
        [{"name": "Big", "type": "REG_BINARY", "data": bytes(16345)}],
        [{"name": "Bad", "type": "REG_FOO", "data": 1}],
        [{"name": "A", "type": "REG_SZ", "data": "1"}] * 2,
    ],
)
def test_rejected_input(values):
    with pytest.raises(ValueError):
        regf.build_hive([{"path": "K", "last_written": T0, "values": values}], "other")


def test_plaso_winreg_parser(software_hive, tmp_path):
    from plaso.parsers import winreg_parser

    from .plaso_helpers import parse_with_plaso_and_warnings

    path = tmp_path / "SOFTWARE"
    path.write_bytes(software_hive)
    parser = winreg_parser.WinRegistryParser()
    parser.EnablePlugins(["windows_run", "winreg_default"])
    event_data, warnings = parse_with_plaso_and_warnings(parser, path)
    assert not warnings
    run = [data for data in event_data if data.data_type == "windows:registry:run"]
    assert [data.key_path for data in run] == [
        "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"
    ]
    assert run[0].entries == ["client32: C:\\ProgramData\\Sup\\client32.exe"]
