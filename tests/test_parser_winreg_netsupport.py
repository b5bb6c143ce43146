"""Tests for the NetSupport Windows Registry plugin (winreg/netsupport_software)."""

import datetime
import os

import pytest

from tests import parser_helpers

from tests.forge import regf
from plaso.parsers import winreg_parser

from plaso_netsupport.parsers import winreg_netsupport

_HKLM = "HKEY_LOCAL_MACHINE\\Software"
_HKCU = "HKEY_CURRENT_USER\\Software"


def _Filter():
    return next(iter(winreg_netsupport.NetSupportSoftwarePlugin.FILTERS))


def testRegistered():
    assert "netsupport_software" in winreg_parser.WinRegistryParser.GetPluginNames()
    key_filter = _Filter()
    assert isinstance(key_filter, winreg_netsupport.NetSupportSoftwareKeyFilter)
    # No key paths: the filter is asked for every key, and never takes a key
    # path away from a stock plugin's path table.
    assert key_filter.key_paths == []


@pytest.mark.parametrize(
    "key_path",
    [
        _HKLM + "\\NetSupport Ltd",
        _HKLM + "\\NetSupport Ltd\\Client32",
        _HKLM + "\\WOW6432Node\\NetSupport Ltd\\Client32",
        _HKLM + "\\Wow6432Node\\NetSupport Ltd\\NetSupport Manager\\Install",
        # dfwinreg always writes the root as HKEY_...; the rest may be any case.
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\netsupport ltd\\client32",
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432NODE\\NETSUPPORT LTD\\CLIENT32",
        _HKLM + "\\Productive Computer Insight\\Client32",
        _HKLM
        + "\\WOW6432Node\\Productive Computer Insight\\PCICTL\\ConfigList\\Default",
        _HKCU + "\\NetSupport Ltd\\PCICTL\\ConfigList\\NetSupport School",
        _HKCU + "\\WOW6432Node\\NetSupport Ltd\\PCICTL",
        _HKCU + "\\Productive Computer Insight\\PCICTL\\ConfigList\\Default",
    ],
)
def testFilterMatches(key_path):
    registry_key = parser_helpers.MakeRegistryKey(key_path, [("Version", "12.10")])
    assert _Filter().Match(registry_key)


@pytest.mark.parametrize(
    "key_path, values",
    [
        # enteo / Ivanti DSM NetInstall, not NetSupport Ltd.
        (_HKLM + "\\NetSupport\\NetInstall", [("Version", "6.0")]),
        (_HKLM + "\\WOW6432Node\\NetSupport\\NetInstall\\Client", []),
        (_HKLM + "\\NetSupport", []),
        # Services belong to windows_services, Run keys to windows_run.
        (
            "HKEY_LOCAL_MACHINE\\System\\ControlSet001\\Services\\Client32",
            [("Start", 2), ("Type", 16), ("ImagePath", "client32.exe /* *")],
        ),
        (
            "HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services\\Client32",
            [("DisplayName", "NetSupport Client")],
        ),
        (
            _HKLM + "\\Microsoft\\Windows\\CurrentVersion\\Run",
            [("NetSupport", "C:\\ProgramData\\SchCache\\client32.exe")],
        ),
        (
            _HKCU + "\\Microsoft\\Windows\\CurrentVersion\\Run",
            [("UpdateNet", "C:\\Users\\u\\AppData\\Local\\Temp\\client32.exe")],
        ),
        # A service-like key below the vendor key still goes to windows_services.
        (_HKLM + "\\NetSupport Ltd\\Gateway", [("Start", 2), ("Type", 16)]),
        # Prefix boundaries and other roots.
        (_HKLM + "\\NetSupport Ltdx\\Client32", []),
        (_HKLM + "\\Classes\\NetSupport Ltd", []),
        ("HKEY_LOCAL_MACHINE\\System\\NetSupport Ltd", []),
        ("\\Root\\NetSupport Ltd", []),
    ],
)
def testFilterDoesNotMatch(key_path, values):
    registry_key = parser_helpers.MakeRegistryKey(key_path, values)
    assert not _Filter().Match(registry_key)


def testClient32Key():
    key_path = _HKLM + "\\WOW6432Node\\NetSupport Ltd\\Client32"
    registry_key = parser_helpers.MakeRegistryKey(
        key_path,
        [
            ("", "default data"),
            ("Version", "14.00"),
            ("InstallDir", "C:\\Program Files (x86)\\NetSupport\\NetSupport Manager\\"),
            ("ConfigFile", "C:\\ProgramData\\SchCache\\client32u.ini"),
            ("GatewayAddress", "gw1.example.net:443"),
            ("Flags", 7),
            ("Blob", b"\x01\x02\xff"),
        ],
        last_written=0x01D7A1B2C3D4E5F6,
    )
    result = parser_helpers.ProcessRegistryKey(
        winreg_netsupport.NetSupportSoftwarePlugin(), registry_key
    )

    assert not result.warnings
    assert len(result.event_data) == 1
    event_data = result.event_data[0]
    assert event_data.data_type == "netsupport:registry:key"
    assert event_data._parser_chain == "netsupport_software"
    assert event_data.key_path == key_path
    assert event_data.vendor == "NetSupport Ltd"
    assert event_data.product == "Client32"
    assert event_data.profile_name is None
    assert event_data.version == "14.00"
    assert (
        event_data.install_directory
        == "C:\\Program Files (x86)\\NetSupport\\NetSupport Manager\\"
    )
    assert event_data.configuration_file == "C:\\ProgramData\\SchCache\\client32u.ini"
    assert event_data.gateway == "gw1.example.net:443"
    assert event_data.values == [
        "(default): default data",
        "Version: 14.00",
        "InstallDir: C:\\Program Files (x86)\\NetSupport\\NetSupport Manager\\",
        "ConfigFile: C:\\ProgramData\\SchCache\\client32u.ini",
        "GatewayAddress: gw1.example.net:443",
        "Flags: 7",
        "Blob: 0102ff",
    ]
    assert (
        event_data.last_written_time.CopyToDateTimeString()
        == parser_helpers.FiletimeString(0x01D7A1B2C3D4E5F6)
    )


def testProfileKey():
    key_path = (
        _HKCU + "\\NetSupport Ltd\\PCICTL\\ConfigList\\NetSupport School\\General"
    )
    registry_key = parser_helpers.MakeRegistryKey(
        key_path, [("General\\Password", "dgAAAExample"), ("version", "")]
    )
    event_data = parser_helpers.ProcessRegistryKey(
        winreg_netsupport.NetSupportSoftwarePlugin(), registry_key
    ).event_data[0]

    assert event_data.product == "PCICTL"
    assert event_data.profile_name == "NetSupport School"
    # An empty value sets no typed attribute.
    assert event_data.version is None
    assert event_data.values == ["General\\Password: dgAAAExample", "version: "]


def testVendorKeyWithoutValues():
    registry_key = parser_helpers.MakeRegistryKey(
        _HKLM + "\\Productive Computer Insight"
    )
    event_data = parser_helpers.ProcessRegistryKey(
        winreg_netsupport.NetSupportSoftwarePlugin(), registry_key
    ).event_data[0]
    assert event_data.vendor == "Productive Computer Insight"
    assert event_data.product is None
    assert event_data.values is None


def testManyValues():
    values = [(f"Value{number:d}", number) for number in range(1005)]
    registry_key = parser_helpers.MakeRegistryKey(_HKLM + "\\NetSupport Ltd\\X", values)
    result = parser_helpers.ProcessRegistryKey(
        winreg_netsupport.NetSupportSoftwarePlugin(), registry_key
    )
    assert len(result.event_data[0].values) == 1000
    assert len(result.warnings) == 1


def _WriteHive(directory, name, keys, hive_type):
    path = os.path.join(directory, name)
    with open(path, "wb") as file_object:
        file_object.write(regf.build_hive(keys, hive_type))
    return path


def _ParseHive(path):
    parser = winreg_parser.WinRegistryParser()
    # A bare WinRegistryParser has no plugins until they are enabled.
    parser.EnablePlugins({"*"})
    result = parser_helpers.ParseFile(parser, path)
    return {
        event_data.key_path: event_data._parser_chain
        for event_data in result.event_data
        if getattr(event_data, "key_path", None)
    }


_WHEN = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)


def testDispatchInSoftwareHive(tmp_path):
    """In a real hive our plugin gets the vendor keys and nothing else."""
    keys = [
        {
            "path": "NetSupport Ltd\\Client32",
            "last_written": _WHEN,
            "values": [{"name": "Version", "data": "12.10"}],
        },
        {
            "path": "WOW6432Node\\NetSupport Ltd\\Client32",
            "last_written": _WHEN,
            "values": [{"name": "Version", "data": "14.00"}],
        },
        {
            "path": "NetSupport Ltd\\Gateway Service",
            "last_written": _WHEN,
            "values": [
                {"name": "Start", "type": "REG_DWORD", "data": 2},
                {"name": "Type", "type": "REG_DWORD", "data": 16},
            ],
        },
        {
            "path": "NetSupport\\NetInstall",
            "last_written": _WHEN,
            "values": [{"name": "Version", "data": "6.0"}],
        },
        {
            "path": "Microsoft\\Windows\\CurrentVersion\\Run",
            "last_written": _WHEN,
            "values": [
                {
                    "name": "NetSupport",
                    "data": "C:\\ProgramData\\SchCache\\client32.exe",
                }
            ],
        },
    ]
    chains = _ParseHive(_WriteHive(tmp_path, "SOFTWARE", keys, "software"))

    assert chains[_HKLM + "\\NetSupport Ltd"] == "winreg/netsupport_software"
    assert chains[_HKLM + "\\NetSupport Ltd\\Client32"] == "winreg/netsupport_software"
    assert (
        chains[_HKLM + "\\WOW6432Node\\NetSupport Ltd\\Client32"]
        == "winreg/netsupport_software"
    )
    assert (
        chains[_HKLM + "\\NetSupport Ltd\\Gateway Service"] == "winreg/windows_services"
    )
    assert chains[_HKLM + "\\NetSupport\\NetInstall"] == "winreg/winreg_default"
    assert (
        chains[_HKLM + "\\Microsoft\\Windows\\CurrentVersion\\Run"]
        == "winreg/windows_run"
    )


def testDispatchInSystemHive(tmp_path):
    keys = [
        {
            "path": "ControlSet001\\Services\\Client32",
            "last_written": _WHEN,
            "values": [
                {"name": "Start", "type": "REG_DWORD", "data": 2},
                {"name": "Type", "type": "REG_DWORD", "data": 16},
                {"name": "ImagePath", "data": "client32.exe /* *"},
                {"name": "DisplayName", "data": "NetSupport Client"},
            ],
        },
    ]
    chains = _ParseHive(_WriteHive(tmp_path, "SYSTEM", keys, "system"))
    assert (
        chains["HKEY_LOCAL_MACHINE\\System\\ControlSet001\\Services\\Client32"]
        == "winreg/windows_services"
    )
    assert not any("netsupport" in chain for chain in chains.values())


def testDispatchInUserHive(tmp_path):
    keys = [
        {
            "path": "Software\\NetSupport Ltd\\PCICTL\\ConfigList\\NetSupport School",
            "last_written": _WHEN,
            "values": [{"name": "General\\AdminPassword", "data": "dgAAAExample"}],
        },
        {
            "path": "Software\\Microsoft\\Windows\\CurrentVersion\\Run",
            "last_written": _WHEN,
            "values": [{"name": "UpdateNet", "data": "C:\\Temp\\client32.exe"}],
        },
    ]
    chains = _ParseHive(_WriteHive(tmp_path, "NTUSER.DAT", keys, "ntuser"))
    assert (
        chains[_HKCU + "\\NetSupport Ltd\\PCICTL\\ConfigList\\NetSupport School"]
        == "winreg/netsupport_software"
    )
    assert (
        chains[_HKCU + "\\Microsoft\\Windows\\CurrentVersion\\Run"]
        == "winreg/windows_run"
    )
