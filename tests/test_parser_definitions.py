"""Tests for our timeliner, formatter and preset definitions in the stock tools."""

import os

import yaml

from tests import parser_helpers

from dfdatetime import filetime as dfdatetime_filetime
from dfdatetime import time_elements as dfdatetime_time_elements
from plaso.containers import events
from plaso.engine import timeliner
from plaso.output import mediator as output_mediator
from plaso.parsers import manager
from plaso.parsers import presets
from plaso.storage.fake import writer as fake_writer

from plaso_netsupport import hooks
from plaso_netsupport.parsers import client32_ini
from plaso_netsupport.parsers import nsm_lic
from plaso_netsupport.parsers import pe_version_info
from plaso_netsupport.parsers import winreg_netsupport

_DATA_TYPES = (
    client32_ini.NetSupportClient32ConfigEventData.DATA_TYPE,
    nsm_lic.NetSupportLicenceEventData.DATA_TYPE,
    pe_version_info.PEVersionInfoEventData.DATA_TYPE,
    winreg_netsupport.NetSupportRegistryKeyEventData.DATA_TYPE,
)


def _ReadDocuments(path):
    with open(path, "r", encoding="utf-8") as file_object:
        return list(yaml.safe_load_all(file_object))


def testNoEmptyYamlDocuments():
    """A stray "---" (an empty document) breaks plaso's readers."""
    for path in (hooks.TIMELINER_FILE, hooks.FORMATTERS_FILE, hooks.PRESETS_FILE):
        documents = _ReadDocuments(path)
        assert documents, path
        assert all(documents), path


def testEveryDataTypeHasDefinitions():
    timeliner_types = {doc["data_type"] for doc in _ReadDocuments(hooks.TIMELINER_FILE)}
    formatter_types = {
        doc["data_type"] for doc in _ReadDocuments(hooks.FORMATTERS_FILE)
    }
    assert timeliner_types == set(_DATA_TYPES)
    assert formatter_types == set(_DATA_TYPES)
    for document in _ReadDocuments(hooks.FORMATTERS_FILE):
        assert document["type"] == "conditional"
        assert document["short_source"] and document["source"]


def testTimelinerClient32Config():
    """The configuration lands at the file's modification and creation times."""
    storage_writer = fake_writer.FakeStorageWriter()
    storage_writer.Open()

    event_data = client32_ini.NetSupportClient32ConfigEventData()
    event_data.gateway = "gw.example.org"
    event_data.modification_time = dfdatetime_filetime.Filetime(
        timestamp=0x01DA9B0000000000
    )
    event_data.creation_time = dfdatetime_filetime.Filetime(
        timestamp=0x01DA900000000000
    )
    storage_writer.AddAttributeContainer(event_data)

    event_list = parser_helpers.RunTimeliner(storage_writer)
    assert [event.timestamp_desc for event in event_list] == [
        "Configuration File Creation Time",
        "Configuration File Modification Time",
    ]


def testTimelinerFromParsedFiles():
    """Parsed configuration and licence files become events."""
    path = parser_helpers.TestDataPath(os.path.join("client32_ansi", "client32.ini"))
    result = parser_helpers.ParseFile(client32_ini.NetSupportClient32IniParser(), path)
    event_list = parser_helpers.RunTimeliner(result.storage_writer)
    assert [event.timestamp_desc for event in event_list] == [
        "Configuration File Modification Time"
    ]
    # The OS file system gives nanoseconds; plaso's timestamps are microseconds
    # (dfdatetime rounds, the file's mtime decides which way).
    mtime = os.stat(path).st_mtime_ns
    assert event_list[0].timestamp in (mtime // 1000, (mtime + 500) // 1000)

    path = parser_helpers.TestDataPath(os.path.join("licence", "NSM.LIC"))
    result = parser_helpers.ParseFile(nsm_lic.NetSupportLicenceParser(), path)
    event_list = parser_helpers.RunTimeliner(result.storage_writer)
    assert [event.timestamp_desc for event in event_list] == [
        "Licence Generation Time (Time Zone Unknown)",
        "Licence File Modification Time",
    ]
    # 2014-01-24 08:27:00, not converted.
    assert event_list[0].timestamp == 1390552020000000


def testTimelinerRegistryKeyAndPlaceHolder():
    storage_writer = fake_writer.FakeStorageWriter()
    storage_writer.Open()

    event_data = winreg_netsupport.NetSupportRegistryKeyEventData()
    event_data.key_path = "HKEY_LOCAL_MACHINE\\Software\\NetSupport Ltd\\Client32"
    event_data.last_written_time = dfdatetime_filetime.Filetime(
        timestamp=0x01D7A1B2C3D4E5F6
    )
    storage_writer.AddAttributeContainer(event_data)

    # Without any time the licence still gets a place holder event.
    storage_writer.AddAttributeContainer(nsm_lic.NetSupportLicenceEventData())

    descriptions = sorted(
        event.timestamp_desc for event in parser_helpers.RunTimeliner(storage_writer)
    )
    assert descriptions == ["Content Modification Time", "Not a time"]


def testTimelinerDoesNotOverrideStock():
    event_data_timeliner = timeliner.EventDataTimeliner(
        data_location=parser_helpers.PLASO_DATA_LOCATION
    )
    for data_type in _DATA_TYPES:
        assert data_type in event_data_timeliner._attribute_mappings
    # Installing the wraps again changes nothing.
    hooks.Install()
    again = timeliner.EventDataTimeliner(
        data_location=parser_helpers.PLASO_DATA_LOCATION
    )
    assert again._attribute_mappings == event_data_timeliner._attribute_mappings


def _OutputMediator():
    storage_writer = fake_writer.FakeStorageWriter()
    storage_writer.Open()
    mediator = output_mediator.OutputMediator(
        storage_writer, data_location=parser_helpers.PLASO_DATA_LOCATION
    )
    mediator.ReadMessageFormattersFromDirectory(
        os.path.join(parser_helpers.PLASO_DATA_LOCATION, "formatters")
    )
    return mediator


def testFormatterClient32Config():
    mediator = _OutputMediator()
    message_formatter = mediator.GetMessageFormatter(
        client32_ini.NetSupportClient32ConfigEventData.DATA_TYPE
    )
    assert message_formatter is not None

    path = parser_helpers.TestDataPath(os.path.join("client32_ansi", "client32.ini"))
    result = parser_helpers.ParseFile(client32_ini.NetSupportClient32IniParser(), path)
    event_values = result.event_data[0].CopyToDict()
    message_formatter.FormatEventValues(mediator, event_values)

    message = message_formatter.GetMessage(event_values)
    assert message.startswith(
        f"NetSupport client configuration: {path:s} Gateway: gw1.example.net "
        f"Port: 443 Secondary gateway: gw2.example.net Secondary port: 2145 "
        f"Gateway security key: GA;O@IEA9G=NCBGF;NAGFI Silent: True"
    )
    assert "Build path: C:\\ProgramData\\SchCache\\client32u.ini" in message
    assert message_formatter.GetMessageShort(event_values).startswith(
        "Gateway: gw1.example.net Port: 443"
    )
    assert mediator.GetSourceMapping(
        client32_ini.NetSupportClient32ConfigEventData.DATA_TYPE
    ) == ("FILE", "NetSupport client configuration")


def testFormatterLicenceAndRegistry():
    mediator = _OutputMediator()

    event_data = nsm_lic.NetSupportLicenceEventData()
    event_data.licensee = "XMLCTL"
    event_data.serial_no = "NSM303008"
    event_data.generation_time = dfdatetime_time_elements.TimeElements(
        time_elements_tuple=(2014, 1, 24, 8, 27, 0)
    )
    event_data.generation_time_string = "08:27 - 24/01/2014"
    event_values = event_data.CopyToDict()
    message_formatter = mediator.GetMessageFormatter(event_data.data_type)
    message_formatter.FormatEventValues(mediator, event_values)
    assert message_formatter.GetMessage(event_values) == (
        "Licensee: XMLCTL Serial number: NSM303008 Generated on: 08:27 - 24/01/2014"
    )
    assert mediator.GetSourceMapping(event_data.data_type) == (
        "FILE",
        "NetSupport licence",
    )

    event_data = winreg_netsupport.NetSupportRegistryKeyEventData()
    event_data.key_path = "HKEY_LOCAL_MACHINE\\Software\\NetSupport Ltd\\Client32"
    event_data.product = "Client32"
    event_data.version = "12.10"
    event_data.values = ["Version: 12.10"]
    event_values = event_data.CopyToDict()
    message_formatter = mediator.GetMessageFormatter(event_data.data_type)
    message_formatter.FormatEventValues(mediator, event_values)
    assert message_formatter.GetMessage(event_values) == (
        "[HKEY_LOCAL_MACHINE\\Software\\NetSupport Ltd\\Client32] Product: Client32 "
        "Version: 12.10 Values: ['Version: 12.10']"
    )
    assert mediator.GetSourceMapping(event_data.data_type) == (
        "REG",
        "NetSupport Registry Key",
    )


def testPresets():
    """The netsupport preset is valid, and our parsers join win_gen."""
    presets_manager = presets.ParserPresetsManager()
    presets_manager.ReadFromFile(
        os.path.join(parser_helpers.PLASO_DATA_LOCATION, "presets.yaml")
    )

    preset = presets_manager.GetPresetByName("netsupport")
    assert preset is not None
    assert "netsupport_client32_ini" in preset.parsers
    assert "netsupport_nsm_lic" in preset.parsers
    assert "mft" not in preset.parsers
    _, unknown = manager.ParsersManager.CheckFilterExpression(",".join(preset.parsers))
    assert not unknown

    win_gen = presets_manager.GetPresetByName("win_gen")
    assert "netsupport_client32_ini" in win_gen.parsers
    assert "netsupport_nsm_lic" in win_gen.parsers
    assert "winreg" in win_gen.parsers


def testEventDataHoldsOnlySupportedTypes():
    """No dict, bytes or tuple values: plaso's hash and JSON serializer accept it."""
    path = parser_helpers.TestDataPath(os.path.join("client32_ansi", "client32.ini"))
    result = parser_helpers.ParseFile(client32_ini.NetSupportClient32IniParser(), path)
    for event_data in result.event_data:
        # Raises RuntimeError on an unsupported attribute value type.
        events.CalculateEventValuesHash(event_data, None)
        for value in event_data.CopyToDict().values():
            assert not isinstance(value, (dict, bytes, tuple))
