"""Tests for the NetSupport client configuration (client32.ini) parser."""

import os
import time

import pytest

from tests import parser_helpers

from dfvfs.lib import definitions as dfvfs_definitions
from dfvfs.path import factory as path_spec_factory
from dfvfs.resolver import resolver as path_spec_resolver
from plaso.lib import errors
from plaso.parsers import manager

from plaso_netsupport import knowledge
from plaso_netsupport.parsers import client32_ini

# A configuration with one non-ASCII character, for the encoding tests.
_CONFIG_TEXT = (
    "0x1234abcd\r\n"
    "[Client]\r\n"
    "silent=1\r\n"
    "SysTray=0\r\n"
    "RoomSpec=B\u00fcro\r\n"
    "[HTTP]\r\n"
    "GatewayAddress=gw.example.org\r\n"
    "Port=443\r\n"
)


def _Parse(path):
    return parser_helpers.ParseFile(client32_ini.NetSupportClient32IniParser(), path)


def _Write(directory, data, name="client32.ini"):
    path = os.path.join(directory, name)
    with open(path, "wb") as file_object:
        file_object.write(data)
    return path


def _OpenFileEntry(path):
    path_spec = path_spec_factory.Factory.NewPathSpec(
        dfvfs_definitions.TYPE_INDICATOR_OS, location=os.fspath(path)
    )
    return path_spec_resolver.Resolver.OpenFileEntry(path_spec)


def testRegistered():
    """The parser is registered under its name and is in no way hard-coded."""
    parsers = manager.ParsersManager.GetParserObjects("netsupport_client32_ini")
    assert isinstance(
        parsers["netsupport_client32_ini"], client32_ini.NetSupportClient32IniParser
    )


def testFiltersComeFromKnowledge(tmp_path):
    """The parser only runs on the configuration file names of the knowledge."""
    names = knowledge.Load().config_file_names
    assert names == {"client32.ini", "client32u.ini"}

    parser = client32_ini.NetSupportClient32IniParser()
    for name, expected in (
        ("client32.ini", True),
        ("CLIENT32U.INI", True),
        ("client32.ini.bak", False),
        ("nsm.ini", False),
        ("desktop.ini", False),
    ):
        path = _Write(tmp_path, b"[Client]\r\nsilent=1\r\n", name=name)
        file_entry = _OpenFileEntry(path)
        matched = any(item.Match(file_entry) for item in parser.FILTERS)
        assert matched is expected, name


def testParseAnsiSample():
    """Every typed attribute of an ANSI (cp1252) RAT-style configuration."""
    path = parser_helpers.TestDataPath(os.path.join("client32_ansi", "client32.ini"))
    result = _Parse(path)

    assert not result.warnings
    assert len(result.event_data) == 1
    event_data = result.event_data[0]

    assert event_data.data_type == "netsupport:client32_ini:config"
    assert event_data.checksum == "0x9a7973d9"
    assert event_data.encoding == "cp1252"
    assert event_data.file_name == "client32.ini"
    assert event_data.path == path

    assert event_data.gateway == "gw1.example.net"
    assert event_data.gateway_port == 443
    assert event_data.secondary_gateway == "gw2.example.net"
    assert event_data.secondary_port == 2145
    assert event_data.gateway_security_key == "GA;O@IEA9G=NCBGF;NAGFI"
    assert event_data.has_gateway_security_key is True
    assert event_data.security_key == "dgAAAJ8zExampleKeyOnly"
    assert event_data.has_security_key is True
    assert event_data.silent is True
    assert event_data.systray_hidden is True
    assert event_data.hide_when_idle is True
    assert event_data.show_ui_on_connect is False
    assert event_data.disabled_features == [
        "DisableChat",
        "DisableChatMenu",
        "DisableClientConnect",
        "DisableCloseApps",
        "DisableDisconnect",
        "DisableLocalInventory",
        "DisableManageServices",
        "DisableMessage",
        "DisableReplayMenu",
        "DisableRequestHelp",
    ]
    assert event_data.usernames == "*"
    assert event_data.valid_addresses == "*"
    assert event_data.room == "Eval"
    assert event_data.protocols == "2,3"
    assert event_data.polling_interval == 60
    assert event_data.auto_firewall is True
    assert event_data.build_path == "C:\\ProgramData\\SchCache\\client32u.ini"
    assert event_data.licence_quiet is True
    assert event_data.radius_secret == "dgAAAPpMkI7ke494fKEQRUoablcA"

    assert event_data.sections == [
        "Client",
        "_Info",
        "_License",
        "Audio",
        "General",
        "HTTP",
    ]
    # Every key is kept, in file order, including those without typed attributes.
    assert len(event_data.settings) == 36
    assert event_data.settings[0] == "Client\\_present=1"
    assert "Client\\Comment=B\u00fcro Z\u00fcrich \u2013 test" in event_data.settings
    assert "Audio\\DisableAudioFilter=1" in event_data.settings
    assert event_data.settings[-1] == "HTTP\\SecondaryPort=2145"

    file_entry = _OpenFileEntry(path)
    assert event_data.modification_time is not None
    assert (
        event_data.modification_time.CopyToDateTimeString()
        == file_entry.modification_time.CopyToDateTimeString()
    )
    # The OS back-end on Linux has no creation time; whatever the file entry
    # has is what the event data has.
    assert event_data.creation_time == file_entry.creation_time


def testParseUtf16Sample():
    """UTF-16 LE with BOM, IPv6 gateway, GSKX, empty security key."""
    path = parser_helpers.TestDataPath(os.path.join("client32u_utf16", "client32u.ini"))
    result = _Parse(path)

    assert not result.warnings
    event_data = result.event_data[0]
    assert event_data.encoding == "utf-16-le"
    assert event_data.file_name == "client32u.ini"
    assert event_data.checksum == "0x435302e0"
    assert event_data.gateway == "2001:db8::10"
    assert event_data.gateway_port == 8443
    assert event_data.secondary_gateway == "198.51.100.7"
    assert event_data.secondary_port == 2080
    assert event_data.gateway_security_key == "FH:I?ECFGH<GACDDGF:O=B"
    assert event_data.has_gateway_security_key is True
    assert event_data.security_key is None
    assert event_data.has_security_key is False
    assert event_data.silent is False
    assert event_data.systray_hidden is False
    assert event_data.hide_when_idle is False
    assert event_data.show_ui_on_connect is True
    assert event_data.disabled_features is None
    assert event_data.usernames == "*"
    assert event_data.room == "Raum \u00d6lberg"
    assert event_data.polling_interval is None
    assert event_data.licence_quiet is None
    assert (
        event_data.build_path
        == "C:\\Program Files (x86)\\NetSupport\\NetSupport Manager\\client32u.ini"
    )


@pytest.mark.parametrize(
    "encoding, data",
    [
        ("cp1252", _CONFIG_TEXT.encode("cp1252")),
        ("utf-8", _CONFIG_TEXT.encode("utf-8")),
        ("utf-8-sig", b"\xef\xbb\xbf" + _CONFIG_TEXT.encode("utf-8")),
        ("utf-16-le", b"\xff\xfe" + _CONFIG_TEXT.encode("utf-16-le")),
        ("utf-16-be", b"\xfe\xff" + _CONFIG_TEXT.encode("utf-16-be")),
        ("ascii", _CONFIG_TEXT.replace("\u00fc", "ue").encode("ascii")),
    ],
)
def testEncodings(tmp_path, encoding, data):
    """Each supported encoding is detected and decoded."""
    result = _Parse(_Write(tmp_path, data, name="client32u.ini"))

    assert not result.warnings
    event_data = result.event_data[0]
    assert event_data.encoding == encoding
    assert event_data.checksum == "0x1234abcd"
    assert event_data.room == ("Buero" if encoding == "ascii" else "B\u00fcro")
    assert event_data.silent is True
    assert event_data.systray_hidden is True
    # No port in the address: the port comes from [HTTP] Port.
    assert event_data.gateway == "gw.example.org"
    assert event_data.gateway_port == 443
    assert event_data.has_gateway_security_key is False
    assert event_data.gateway_security_key is None


def testGatewayPortPrecedenceAndCase(tmp_path):
    """The port in the address wins; section and key names are case-insensitive."""
    data = (
        b"[http]\r\n"
        b"gatewayaddress = 203.0.113.5:2145\r\n"
        b"PORT=443\r\n"
        b"SECONDARYGATEWAY=gw2.example.org:notaport\r\n"
        b"SecondaryPort=x\r\n"
        b"[client]\r\n"
        b"SILENT=yes\r\n"
        b"silent=0\r\n"
    )
    event_data = _Parse(_Write(tmp_path, data)).event_data[0]
    assert event_data.gateway == "203.0.113.5"
    assert event_data.gateway_port == 2145
    assert event_data.secondary_gateway == "gw2.example.org:notaport"
    assert event_data.secondary_port is None
    # The first occurrence of a key wins, as with GetPrivateProfileString.
    assert event_data.silent is True
    assert event_data.checksum is None
    assert event_data.encoding == "ascii"


def testSplitHostPort():
    assert client32_ini.SplitHostPort("gw.example:443") == ("gw.example", 443)
    assert client32_ini.SplitHostPort(" gw.example ") == ("gw.example", None)
    assert client32_ini.SplitHostPort("[::1]:80") == ("::1", 80)
    assert client32_ini.SplitHostPort("[::1]") == ("::1", None)
    assert client32_ini.SplitHostPort("2001:db8::1") == ("2001:db8::1", None)


def testBinaryWithNulIsRejectedWithWarning(tmp_path):
    """A binary file named client32.ini is not this format."""
    data = bytes(range(256)) * 16
    _AssertRejected(_Parse(_Write(tmp_path, data)))


def testBinaryWithoutNulIsRejectedWithWarning(tmp_path):
    """Control characters without NUL bytes are not text either."""
    data = b"[Client]\r\n" + bytes(range(1, 32)) * 64
    _AssertRejected(_Parse(_Write(tmp_path, data)))


def testNoSectionsIsRejectedWithWarning(tmp_path):
    """Text without any INI section is not this format."""
    data = b"0x9a7973d9\r\nsilent=1\r\njust some text\r\n"
    _AssertRejected(_Parse(_Write(tmp_path, data)))


def testUtf16BomOnlyBinaryIsRejectedWithWarning(tmp_path):
    """A UTF-16 byte order mark in front of binary data does not make it text."""
    data = b"\xff\xfe" + bytes(range(256)) * 4
    _AssertRejected(_Parse(_Write(tmp_path, data)))


def testEmptyFile(tmp_path):
    """An empty file produces nothing and raises nothing."""
    result = _Parse(_Write(tmp_path, b""))
    assert not result.event_data
    assert not result.warnings


def testTruncatedUtf16(tmp_path):
    """A UTF-16 file cut in the middle of a character: warning plus content."""
    data = b"\xff\xfe" + _CONFIG_TEXT.encode("utf-16-le")
    result = _Parse(_Write(tmp_path, data[:-5]))

    assert len(result.event_data) == 1
    event_data = result.event_data[0]
    assert event_data.encoding == "utf-16-le"
    assert event_data.gateway == "gw.example.org"
    # The cut last line "Port=443" is read as far as it goes.
    assert event_data.settings[-1] == "HTTP\\Port=44"
    assert [warning.message for warning in result.warnings] == [
        "truncated utf-16-le data: file ends in the middle of a character"
    ]


def testOversizedFile(tmp_path):
    """Only the first MiB of a large file is read, with warnings."""
    lines = [
        b"0x1234abcd",
        b"[HTTP]",
        b"GatewayAddress=gw.example.org:443",
        b"[Client]",
    ]
    lines.extend(b"Key%07d=value" % number for number in range(100000))
    data = b"\r\n".join(lines)
    assert len(data) > client32_ini.NetSupportClient32IniParser.MAXIMUM_READ_SIZE
    path = _Write(tmp_path, data)

    start = time.process_time()
    result = _Parse(path)
    assert time.process_time() - start < 5.0

    event_data = result.event_data[0]
    assert event_data.gateway == "gw.example.org"
    assert len(event_data.settings) == 5000
    messages = [warning.message for warning in result.warnings]
    assert len(messages) == 2
    assert messages[0].startswith(f"file size: {len(data):d} exceeds maximum: 1048576")
    assert messages[1].startswith("too many settings:")


def testSparseTwoGigabyteFile(tmp_path):
    """A 2 GiB sparse configuration costs milliseconds; padding is reported."""
    path = _Write(tmp_path, _CONFIG_TEXT.encode("cp1252"))
    with open(path, "r+b") as file_object:
        file_object.truncate(2 * 1024**3)

    start = time.process_time()
    result = _Parse(path)
    assert time.process_time() - start < 2.0

    event_data = result.event_data[0]
    assert event_data.gateway_port == 443
    assert event_data.room == "B\u00fcro"
    messages = [warning.message for warning in result.warnings]
    assert messages[0].startswith("file size: 2147483648 exceeds maximum")
    assert "file data ends in NUL padding" in messages


def testTooManySettings(tmp_path):
    """The number of settings kept is capped, with a warning."""
    lines = [b"[Client]"] + [b"K%d=1" % number for number in range(6000)]
    result = _Parse(_Write(tmp_path, b"\n".join(lines)))

    assert len(result.event_data[0].settings) == 5000
    assert [warning.message for warning in result.warnings] == [
        "too many settings: 1000 were not kept, maximum: 5000"
    ]


def testLongValueIsCut(tmp_path):
    """An endless line is cut to the maximum value length, with a warning."""
    data = b"[HTTP]\nGSK=" + b"A" * 100000 + b"\n"
    result = _Parse(_Write(tmp_path, data))

    event_data = result.event_data[0]
    assert len(event_data.gateway_security_key) == 4096
    assert [warning.message for warning in result.warnings] == [
        "1 values were cut to the maximum value length"
    ]


def _AssertRejected(result):
    """Not this format: no event data, and a warning naming the mismatch."""
    assert not result.event_data
    assert any("but not one" in warning.message for warning in result.warnings)
