"""Property (fuzz) tests of every parser and plugin of ours with hypothesis.

Each example goes through the real parser with plaso's ParserMediator and a
FakeStorageWriter (tests/parser_helpers.py). The only outcomes allowed are:
event data produced, errors.WrongParser ("not this format"), or extraction
warnings. Any other exception fails the test. Produced event data must also
hold only values plaso can store (scalars, lists, dfdatetime values; strings
that encode to UTF-8).

The number of examples per test comes from PLASO_NETSUPPORT_FUZZ_EXAMPLES
(default 300: the file then runs in well under a minute, derandomized so that
`make test` is reproducible); `make fuzz` sets it to 100000 (random).
"""

import codecs
import itertools
import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import parser_helpers

from dfdatetime import interface as dfdatetime_interface
from dfwinreg import definitions as dfwinreg_definitions
from dfwinreg import fake as dfwinreg_fake
from plaso.lib import errors

from plaso_netsupport.parsers import client32_ini
from plaso_netsupport.parsers import nsm_lic
from plaso_netsupport.parsers import winreg_netsupport

EXAMPLES = int(os.environ.get("PLASO_NETSUPPORT_FUZZ_EXAMPLES", "300"))

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
    database=None,
    # The short run of `make test` is reproducible; `make fuzz` explores.
    derandomize=EXAMPLES <= 1000,
)

_COUNTER = itertools.count()


@pytest.fixture(scope="module")
def work_directory():
    """A directory for the files of one test module run."""
    directory = tempfile.mkdtemp(prefix="netsupport-fuzz-")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _WriteFile(directory, name, data):
    """Writes data to a new folder (dfVFS caches file objects by path)."""
    folder = os.path.join(directory, f"{next(_COUNTER):07d}")
    os.mkdir(folder)
    path = os.path.join(folder, name)
    with open(path, "wb") as file_object:
        file_object.write(data)
    return path


def _CheckStorable(event_data):
    """Checks that the attribute values of event data can be stored."""
    for name, value in event_data.GetAttributes():
        if name.startswith("_"):
            continue  # plaso's own bookkeeping (parser chain, stream identifier)
        values = value if isinstance(value, list) else [value]
        for item in values:
            assert item is None or isinstance(
                item, (str, int, float, bool, dfdatetime_interface.DateTimeValues)
            ), (name, type(item))
            if isinstance(item, str):
                item.encode("utf-8")  # raises on lone surrogates
        assert not isinstance(value, (dict, bytes, tuple)), name


def _CheckOutcome(parser, path):
    """Parses a file; fails on any outcome but the allowed ones."""
    try:
        result = parser_helpers.ParseFile(parser, path)
    except errors.WrongParser:
        return "wrong_parser"
    if os.path.getsize(path) == 0:
        # plaso's FileObjectParser.Parse skips empty files itself.
        assert not result.event_data
        return "empty"
    assert result.event_data or result.warnings, "neither event data nor warnings"
    for event_data in result.event_data:
        _CheckStorable(event_data)
    for warning in result.warnings:
        assert isinstance(warning.message, str)
        warning.message.encode("utf-8")
    return "event_data" if result.event_data else "warnings"


# --- strategies -----------------------------------------------------------

# Characters that are interesting in INI text: separators, brackets,
# comment characters, NUL and other controls, non-ASCII, surrogate-free
# astral characters.
_INTERESTING_CHARACTERS = st.sampled_from(
    list(
        "[]=;#\\/:.\t \r\n\x00\x1a\x0c\x7f\x85\u2028\ufeff\ufffd\u00fc\u20ac\U0001f600"
    )
)
_TEXT_CHARACTERS = st.one_of(
    st.characters(blacklist_categories=("Cs",)), _INTERESTING_CHARACTERS
)
_SHORT_TEXT = st.text(_TEXT_CHARACTERS, max_size=40)

_KNOWN_SECTIONS = st.sampled_from(
    ["Client", "HTTP", "_Info", "_License", "[Enforce]", "Audio", "General", ""]
)
_KNOWN_KEYS = st.sampled_from(
    [
        "GatewayAddress", "SecondaryGateway", "Port", "SecondaryPort", "GSK",
        "GSKX", "SecurityKey2", "silent", "SysTray", "HideWhenIdle", "Usernames",
        "ValidAddresses.TCP", "RoomSpec", "Protocols", "CMPI", "AutoICFConfig",
        "Filename", "quiet", "RADIUSSecret", "DisableChat", "DisableAudio",
        "licensee", "serial_no", "maxslaves", "product", "transport", "expiry",
        "control_only", "inactive", "os2", "shrink_wrap",
    ]
)  # fmt: skip
_HUGE_VALUES = st.integers(min_value=4000, max_value=2 * 1024 * 1024).map(
    lambda n: "V" * n
)
_VALUES = st.one_of(
    _SHORT_TEXT,
    st.sampled_from(
        [
            "1", "0", "yes", "", "443", "-1", "99999999999999999999", "[::1]:443",
            "[2001:db8::1]", "gw.example:443:1", "host:", ":443", "0x1234",
            "<script>alert(1)</script>", "C:\\Users\\x\\AppData\\Roaming\\client32.ini",
            "\u0663\u0664\u0665", "\u00b2", "1e3",
        ]
    ),
    # Now and then a long value (over the 4 KiB value bound) or a huge line
    # (over the 1 MiB read bound).
    st.integers(min_value=0, max_value=40).flatmap(
        lambda n: _HUGE_VALUES if n == 0 else _SHORT_TEXT
    ),
)  # fmt: skip


@st.composite
def _IniLines(draw):
    """Draws INI-like lines: sections, keys, comments and junk."""
    lines = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["0x9a7973d9", "0x", "0xZZ", "garbage", ""])))
    for _ in range(draw(st.integers(min_value=0, max_value=30))):
        kind = draw(st.integers(min_value=0, max_value=6))
        if kind == 0:
            section = draw(st.one_of(_KNOWN_SECTIONS, _SHORT_TEXT))
            lines.append(f"[{section}]")
        elif kind in (1, 2, 3):
            key = draw(st.one_of(_KNOWN_KEYS, _SHORT_TEXT))
            spaces = draw(st.sampled_from(["", " ", "\t"]))
            lines.append(f"{key}{spaces}={spaces}{draw(_VALUES)}")
        elif kind == 4:
            lines.append(draw(st.sampled_from([";", "#"])) + draw(_SHORT_TEXT))
        elif kind == 5:
            lines.append(draw(_SHORT_TEXT))
        else:
            lines.append("")
    return lines


_ENCODINGS = st.sampled_from(
    [
        ("ascii-ish", None),
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-16-le", b""),  # UTF-16 without a byte order mark
        ("cp1252", b""),
        ("utf-16-le", codecs.BOM_UTF8),  # mismatched mark
        ("utf-8", codecs.BOM_UTF16_LE),  # mismatched mark
    ]
)


@st.composite
def _EncodedText(draw, lines_strategy):
    """Encodes lines with a random encoding, then damages the bytes."""
    lines = draw(lines_strategy)
    separator = draw(st.sampled_from(["\r\n", "\n", "\r", "\r\r\n"]))
    text = separator.join(lines)
    encoding, mark = draw(_ENCODINGS)
    if encoding == "ascii-ish":
        data = text.encode("ascii", errors="replace")
    else:
        data = mark + text.encode(encoding, errors="replace")

    damage = draw(st.integers(min_value=0, max_value=5))
    if damage == 1 and data:
        # Truncate anywhere, also in the middle of a character.
        data = data[: draw(st.integers(min_value=0, max_value=len(data)))]
    elif damage == 2:
        # Invalid UTF-8 / lone UTF-16 surrogates / stray bytes.
        junk = draw(
            st.sampled_from(
                [
                    b"\xff\xfe\xfd",
                    b"\xc3",
                    b"\x00\xd8",
                    b"\xdc\x00",
                    b"\xed\xa0\x80",
                    b"\x80\x81",
                ]
            )
        )
        position = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:position] + junk + data[position:]
    elif damage == 3:
        # NUL padding, as left by a file that was not fully written.
        data += b"\x00" * draw(st.integers(min_value=1, max_value=70000))
    elif damage == 4 and data:
        # A NUL byte in the middle.
        position = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:position] + b"\x00" + data[position:]
    return data


@st.composite
def _LicenceLines(draw):
    """Draws licence-like lines: the NSM.LIC layout with random values."""
    lines = []
    if draw(st.booleans()):
        lines.append("; NetSupport License File.")
    if draw(st.booleans()):
        numbers = st.integers(min_value=0, max_value=99999)
        lines.append(
            "; Generated on "
            + draw(
                st.one_of(
                    st.builds(
                        "{}:{:02d} - {}/{}/{:04d}".format,
                        numbers, st.integers(0, 99), numbers, numbers, st.integers(0, 9999),
                    ),
                    _SHORT_TEXT,
                )
            )
        )  # fmt: skip
    lines.append("")
    if draw(st.booleans()):
        lines.append("[[Enforce]]")
    lines.append(
        draw(st.sampled_from(["[_License]", "[_license]", "[ _License ]", "[Other]"]))
    )
    for _ in range(draw(st.integers(min_value=0, max_value=15))):
        key = draw(st.one_of(_KNOWN_KEYS, _SHORT_TEXT))
        lines.append(f"{key}={draw(_VALUES)}")
    lines.extend(draw(_IniLines()))
    return lines


# --- client32.ini ---------------------------------------------------------


@FUZZ_SETTINGS
@given(
    data=st.binary(max_size=4096),
    name=st.sampled_from(["client32.ini", "client32u.ini"]),
)
def testClient32IniRandomBytes(work_directory, data, name):
    """Random bytes: not this format, warnings or event data."""
    parser = client32_ini.NetSupportClient32IniParser()
    _CheckOutcome(parser, _WriteFile(work_directory, name, data))


@FUZZ_SETTINGS
@given(
    data=_EncodedText(_IniLines()),
    name=st.sampled_from(["client32.ini", "client32u.ini"]),
)
def testClient32IniText(work_directory, data, name):
    """INI-like text in any encoding, damaged or not."""
    parser = client32_ini.NetSupportClient32IniParser()
    _CheckOutcome(parser, _WriteFile(work_directory, name, data))


@FUZZ_SETTINGS
@given(gateway=_VALUES, port=_VALUES, encoding=st.sampled_from(["utf-8", "utf-16"]))
def testClient32IniGatewayValues(work_directory, gateway, port, encoding):
    """Any gateway value of a valid configuration comes through as text."""
    text = f"0x1\r\n[Client]\r\nsilent=1\r\n[HTTP]\r\nGatewayAddress={gateway}\r\nPort={port}\r\n"
    data = text.encode(encoding, errors="replace")
    parser = client32_ini.NetSupportClient32IniParser()
    outcome = _CheckOutcome(parser, _WriteFile(work_directory, "client32.ini", data))
    if outcome == "event_data" and "\x00" not in gateway and len(gateway) < 4000:
        result = parser_helpers.ParseFile(
            parser, _WriteFile(work_directory, "client32.ini", data)
        )
        event_data = result.event_data[0]
        for value in (event_data.gateway, event_data.gateway_port):
            assert value is None or isinstance(value, (str, int))


# --- NSM.LIC --------------------------------------------------------------


@FUZZ_SETTINGS
@given(data=st.binary(max_size=4096))
def testLicenceRandomBytes(work_directory, data):
    """Random bytes: not this format, warnings or event data."""
    parser = nsm_lic.NetSupportLicenceParser()
    _CheckOutcome(parser, _WriteFile(work_directory, "NSM.LIC", data))


@FUZZ_SETTINGS
@given(data=_EncodedText(_LicenceLines()), name=st.sampled_from(["NSM.LIC", "nsm.lic"]))
def testLicenceText(work_directory, data, name):
    """Licence-like text in any encoding, damaged or not."""
    parser = nsm_lic.NetSupportLicenceParser()
    _CheckOutcome(parser, _WriteFile(work_directory, name, data))


# --- Registry plugin ------------------------------------------------------

_KEY_NAMES = st.one_of(
    st.sampled_from(
        ["NetSupport Ltd", "NETSUPPORT LTD", "Productive Computer Insight", "Client32",
         "PCICTL", "ConfigList", "NetSupport", "NetInstall", "WOW6432Node", ""]
    ),
    st.text(_TEXT_CHARACTERS, max_size=20),
)  # fmt: skip
_KEY_ROOTS = st.sampled_from(
    [
        "HKEY_LOCAL_MACHINE\\Software",
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node",
        "HKEY_CURRENT_USER\\Software",
        "HKEY_CURRENT_USER\\software\\wow6432node",
        "HKEY_LOCAL_MACHINE\\System\\ControlSet001\\Services",
        "",
    ]
)
_VALUE_NAMES = st.one_of(
    st.sampled_from(
        ["", "Version", "InstallDir", "Path", "ConfigFile", "GatewayAddress",
         "Gateway", "Start", "Type", "ImagePath"]
    ),
    st.text(_TEXT_CHARACTERS, max_size=20),
)  # fmt: skip
_DATA_TYPES = st.one_of(
    st.sampled_from(
        [
            dfwinreg_definitions.REG_NONE,
            dfwinreg_definitions.REG_SZ,
            dfwinreg_definitions.REG_EXPAND_SZ,
            dfwinreg_definitions.REG_BINARY,
            dfwinreg_definitions.REG_DWORD_LITTLE_ENDIAN,
            dfwinreg_definitions.REG_DWORD_BIG_ENDIAN,
            dfwinreg_definitions.REG_LINK,
            dfwinreg_definitions.REG_MULTI_SZ,
            dfwinreg_definitions.REG_RESOURCE_LIST,
            dfwinreg_definitions.REG_QWORD,
        ]
    ),
    st.integers(min_value=0, max_value=0xFFFFFFFF),
)
# dfwinreg's FakeWinRegistryValue itself fails on data=None (len(None)).
_VALUE_DATA = st.one_of(
    st.binary(max_size=64),
    st.text(_TEXT_CHARACTERS, max_size=40).map(
        lambda text: text.encode("utf-16-le", "replace")
    ),
    st.integers(min_value=0, max_value=40).flatmap(
        lambda n: st.just(b"A\x00" * 300000) if n == 0 else st.binary(max_size=8)
    ),
)


@st.composite
def _RegistryKeys(draw):
    """Draws a fake key with arbitrary path, values, types and data."""
    names = draw(st.lists(_KEY_NAMES, min_size=0, max_size=5))
    key_path = "\\".join([draw(_KEY_ROOTS), *names]).strip("\\") or "HKEY_LOCAL_MACHINE"
    typed = draw(
        st.lists(
            st.tuples(
                _VALUE_NAMES,
                st.one_of(
                    st.text(_TEXT_CHARACTERS, max_size=40),
                    st.integers(min_value=0, max_value=0xFFFFFFFF),
                    st.binary(max_size=64),
                ),
            ),
            max_size=6,
            unique_by=lambda value: value[0].upper(),
        )
    )
    registry_key = parser_helpers.MakeRegistryKey(
        key_path,
        values=typed,
        last_written=draw(st.integers(min_value=0, max_value=2**64 - 1)),
    )
    used_names = {value_name.upper() for value_name, _ in typed}
    for value_name, data_type, data in draw(
        st.lists(
            st.tuples(_VALUE_NAMES, _DATA_TYPES, _VALUE_DATA),
            max_size=6,
            unique_by=lambda value: value[0].upper(),
        )
    ):
        if value_name.upper() in used_names:
            continue
        registry_key.AddValue(
            dfwinreg_fake.FakeWinRegistryValue(
                value_name, data=data, data_type=data_type
            )
        )
    return registry_key


@FUZZ_SETTINGS
@given(registry_key=_RegistryKeys())
def testRegistryPluginArbitraryKeys(registry_key):
    """Arbitrary key paths, value names, data types and data."""
    plugin = winreg_netsupport.NetSupportSoftwarePlugin()
    for key_filter in plugin.FILTERS:
        assert key_filter.Match(registry_key) in (True, False)
    result = parser_helpers.ProcessRegistryKey(plugin, registry_key)
    assert result.event_data, "no event data"
    for event_data in result.event_data:
        _CheckStorable(event_data)
