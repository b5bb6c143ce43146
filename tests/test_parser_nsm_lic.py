"""Tests for the NetSupport licence (NSM.LIC) parser."""

import os
import time

import pytest

from tests import parser_helpers

from plaso.lib import errors
from plaso.parsers import manager

from plaso_netsupport import knowledge
from plaso_netsupport.parsers import nsm_lic

_LICENCE_TEXT = (
    "; NetSupport License File.\r\n"
    "; Generated on 23:05 - 01/04/2019\r\n"
    "\r\n"
    "[[Enforce]]\r\n"
    "\r\n"
    "[_License]\r\n"
    "control_only=1\r\n"
    "expiry=01/01/2028\r\n"
    "inactive=1\r\n"
    "licensee=KAKAN\r\n"
    "maxslaves=9999\r\n"
    "os2=0\r\n"
    "product=10\r\n"
    "serial_no=NSM1234\r\n"
    "shrink_wrap=1\r\n"
    "transport=2\r\n"
)


def _Parse(path):
    return parser_helpers.ParseFile(nsm_lic.NetSupportLicenceParser(), path)


def _Write(directory, data, name="NSM.LIC"):
    path = os.path.join(directory, name)
    with open(path, "wb") as file_object:
        file_object.write(data)
    return path


def testRegistered():
    parsers = manager.ParsersManager.GetParserObjects("netsupport_nsm_lic")
    assert isinstance(parsers["netsupport_nsm_lic"], nsm_lic.NetSupportLicenceParser)
    assert knowledge.Load().licence_file_names == {"nsm.lic"}


def testParseSample():
    """The public sample format: every attribute and the generation time."""
    path = parser_helpers.TestDataPath(os.path.join("licence", "NSM.LIC"))
    result = _Parse(path)

    assert not result.warnings
    assert len(result.event_data) == 1
    event_data = result.event_data[0]

    assert event_data.data_type == "netsupport:nsm_lic:licence"
    assert event_data.licensee == "XMLCTL"
    assert event_data.serial_no == "NSM303008"
    assert event_data.maxslaves == 100000
    assert event_data.expiry is None
    assert event_data.product == 10
    assert event_data.transport == 0
    assert event_data.control_only is False
    assert event_data.inactive is False
    assert event_data.shrink_wrap is False
    assert event_data.os2 is True
    assert event_data.encoding == "ascii"
    assert event_data.file_name == "NSM.LIC"
    assert event_data.path == path
    assert event_data.modification_time is not None
    assert event_data.settings[0] == "_License\\control_only=0"
    assert len(event_data.settings) == 10

    assert event_data.generation_time_string == "08:27 - 24/01/2014"
    assert event_data.generation_time.CopyToDateTimeString() == "2014-01-24 08:27:00"
    # Kept as written: the time zone of the generating machine is unknown.
    assert not event_data.generation_time.is_local_time


def testParseOtherValues(tmp_path):
    """Set flags, an expiry date, a leading numeric line and a lower-case name."""
    data = b"1200\r\n" + _LICENCE_TEXT.encode("ascii")
    result = _Parse(_Write(tmp_path, data, name="nsm.lic"))

    assert not result.warnings
    event_data = result.event_data[0]
    assert event_data.licensee == "KAKAN"
    assert event_data.serial_no == "NSM1234"
    assert event_data.maxslaves == 9999
    assert event_data.expiry == "01/01/2028"
    assert event_data.product == 10
    assert event_data.transport == 2
    assert event_data.control_only is True
    assert event_data.inactive is True
    assert event_data.shrink_wrap is True
    assert event_data.os2 is False
    assert event_data.generation_time.CopyToDateTimeString() == "2019-04-01 23:05:00"


def testUtf16Licence(tmp_path):
    data = b"\xff\xfe" + _LICENCE_TEXT.encode("utf-16-le")
    event_data = _Parse(_Write(tmp_path, data)).event_data[0]
    assert event_data.encoding == "utf-16-le"
    assert event_data.licensee == "KAKAN"


def testInvalidGenerationTime(tmp_path):
    """An impossible date gives a warning and no generation time."""
    data = _LICENCE_TEXT.replace("01/04/2019", "31/02/2019").encode("ascii")
    result = _Parse(_Write(tmp_path, data))

    event_data = result.event_data[0]
    assert event_data.generation_time is None
    assert event_data.generation_time_string == "23:05 - 31/02/2019"
    assert event_data.licensee == "KAKAN"
    assert [warning.message for warning in result.warnings] == [
        "invalid generation time: 23:05 - 31/02/2019"
    ]


def testUnsupportedGenerationTime(tmp_path):
    data = _LICENCE_TEXT.replace("23:05 - 01/04/2019", "yesterday").encode("ascii")
    result = _Parse(_Write(tmp_path, data))

    assert result.event_data[0].generation_time is None
    assert [warning.message for warning in result.warnings] == [
        "unsupported generation time: Generated on yesterday"
    ]


def testOtherIniIsRejectedWithWarning(tmp_path):
    """An INI file named NSM.LIC without licence section or comment."""
    data = b"[Client]\r\nsilent=1\r\n"
    _AssertRejected(_Parse(_Write(tmp_path, data)))


def testBinaryIsRejectedWithWarning(tmp_path):
    _AssertRejected(_Parse(_Write(tmp_path, bytes(range(256)) * 8)))


def testNoSectionsIsRejectedWithWarning(tmp_path):
    data = b"; NetSupport License File.\r\nlicensee=X\r\n"
    _AssertRejected(_Parse(_Write(tmp_path, data)))


def testEmptyFile(tmp_path):
    result = _Parse(_Write(tmp_path, b""))
    assert not result.event_data
    assert not result.warnings


def testSparseTwoGigabyteLicence(tmp_path):
    """A 2 GiB sparse licence: bounded read, warnings, fields still parsed."""
    path = _Write(tmp_path, _LICENCE_TEXT.encode("ascii"))
    with open(path, "r+b") as file_object:
        file_object.truncate(2 * 1024**3)

    start = time.process_time()
    result = _Parse(path)
    elapsed = time.process_time() - start
    assert elapsed < 1.0

    event_data = result.event_data[0]
    assert event_data.licensee == "KAKAN"
    # The last line before the padding is complete and kept.
    assert event_data.transport == 2
    assert [warning.message for warning in result.warnings] == [
        "file size: 2147483648 exceeds maximum: 262144; only the first 262144 "
        "bytes were read",
        "file data ends in NUL padding",
    ]


def testOversizedTextLicence(tmp_path):
    """A large text licence: only the first 256 KiB, the cut last line dropped."""
    data = _LICENCE_TEXT.encode("ascii") + b"comment=" + b"x" * (300 * 1024)
    result = _Parse(_Write(tmp_path, data))

    event_data = result.event_data[0]
    assert event_data.licensee == "KAKAN"
    assert not any(
        setting.startswith("_License\\comment=") for setting in event_data.settings
    )
    assert result.warnings[0].message.startswith(
        f"file size: {len(data):d} exceeds maximum: 262144"
    )


def _AssertRejected(result):
    """Not this format: no event data, and a warning naming the mismatch."""
    assert not result.event_data
    assert any("but not one" in warning.message for warning in result.warnings)
