"""Helpers for the parser and registry plugin tests: real plaso pieces, no mocks."""

import os

import plaso
import plaso_netsupport  # noqa: F401  registers our parsers and wraps

from dfdatetime import filetime as dfdatetime_filetime
from dfvfs.lib import definitions as dfvfs_definitions
from dfvfs.path import factory as path_spec_factory
from dfvfs.resolver import resolver as path_spec_resolver
from dfwinreg import definitions as dfwinreg_definitions
from dfwinreg import fake as dfwinreg_fake
from plaso.containers import events
from plaso.engine import timeliner
from plaso.parsers import mediator as parsers_mediator
from plaso.storage.fake import writer as fake_writer

PLASO_DATA_LOCATION = os.path.join(os.path.dirname(plaso.__file__), "data")

TEST_DATA_DIRECTORY = os.path.join(os.path.dirname(__file__), "parsers_data")


def TestDataPath(name):
    """Returns the path of a file in tests/parsers_data."""
    return os.path.join(TEST_DATA_DIRECTORY, name)


class ParseResult:
    """What a parser produced.

    Attributes:
      event_data (list[EventData]): event data, in production order.
      storage_writer (FakeStorageWriter): storage writer.
      warnings (list[ExtractionWarning]): extraction warnings.
    """

    def __init__(self, storage_writer):
        """Initializes a parse result from a storage writer."""
        self.storage_writer = storage_writer
        self.event_data = list(storage_writer.GetAttributeContainers("event_data"))
        self.warnings = list(
            storage_writer.GetAttributeContainers("extraction_warning")
        )


def _CreateMediator(path_spec=None):
    """Creates a parser mediator with a fake storage writer."""
    storage_writer = fake_writer.FakeStorageWriter()
    storage_writer.Open()

    mediator = parsers_mediator.ParserMediator()
    mediator.SetStorageWriter(storage_writer)

    event_data_stream = events.EventDataStream()
    event_data_stream.path_spec = path_spec
    mediator.ProduceEventDataStream(event_data_stream)
    return mediator, storage_writer


def ParseFile(parser, path):
    """Runs a file object parser over a file on the OS file system.

    Args:
      parser (FileObjectParser): parser.
      path (str): path of the file.

    Returns:
      ParseResult: what the parser produced.

    Raises:
      WrongParser: if the parser rejects the file.
    """
    path_spec = path_spec_factory.Factory.NewPathSpec(
        dfvfs_definitions.TYPE_INDICATOR_OS, location=os.fspath(path)
    )
    file_entry = path_spec_resolver.Resolver.OpenFileEntry(path_spec)

    mediator, storage_writer = _CreateMediator(path_spec)
    mediator.SetFileEntry(file_entry)

    # Like the extractor, only run the parser on files its filters accept.
    if parser.FILTERS:
        assert any(item.Match(file_entry) for item in parser.FILTERS)

    file_object = file_entry.GetFileObject()
    parser.Parse(mediator, file_object)
    return ParseResult(storage_writer)


def ProcessRegistryKey(plugin, registry_key):
    """Runs a Windows Registry plugin over a key.

    Args:
      plugin (WindowsRegistryPlugin): plugin.
      registry_key (dfwinreg.WinRegistryKey): key.

    Returns:
      ParseResult: what the plugin produced.
    """
    mediator, storage_writer = _CreateMediator()
    plugin.UpdateChainAndProcess(mediator, registry_key)
    return ParseResult(storage_writer)


def RunTimeliner(storage_writer):
    """Turns the event data of a storage writer into events.

    Uses plaso's own data directory; importing plaso_netsupport added our
    timeliner definitions to it.

    Args:
      storage_writer (FakeStorageWriter): storage writer.

    Returns:
      list[EventObject]: events, sorted by time.
    """
    event_data_timeliner = timeliner.EventDataTimeliner(
        data_location=PLASO_DATA_LOCATION
    )
    for event_data in list(storage_writer.GetAttributeContainers("event_data")):
        event_data_stream = None
        stream_identifier = event_data.GetEventDataStreamIdentifier()
        if stream_identifier:
            event_data_stream = storage_writer.GetAttributeContainerByIdentifier(
                "event_data_stream", stream_identifier
            )
        event_data_timeliner.ProcessEventData(
            storage_writer, event_data, event_data_stream
        )
    return list(storage_writer.GetSortedEvents())


def MakeRegistryKey(key_path, values=None, last_written=0x01D7A1B2C3D4E5F6):
    """Creates a fake Windows Registry key.

    Args:
      key_path (str): full key path, such as
          "HKEY_LOCAL_MACHINE\\Software\\NetSupport Ltd\\Client32".
      values (Optional[list[tuple[str, object]]]): value names and data; str
          data is stored as REG_SZ (UTF-16-LE without the terminating NUL),
          int as REG_DWORD and bytes as REG_BINARY.
      last_written (Optional[int]): FILETIME of the key.

    Returns:
      dfwinreg.FakeWinRegistryKey: key.
    """
    name = key_path.rsplit("\\", 1)[-1]
    registry_values = []
    for value_name, data in values or []:
        if isinstance(data, str):
            data_type = dfwinreg_definitions.REG_SZ
            value_data = data.encode("utf-16-le")
        elif isinstance(data, int):
            data_type = dfwinreg_definitions.REG_DWORD_LITTLE_ENDIAN
            value_data = data.to_bytes(4, "little")
        else:
            data_type = dfwinreg_definitions.REG_BINARY
            value_data = data
        registry_values.append(
            dfwinreg_fake.FakeWinRegistryValue(
                value_name, data=value_data, data_type=data_type
            )
        )
    registry_key = dfwinreg_fake.FakeWinRegistryKey(
        name,
        key_path_prefix=key_path,
        last_written_time=last_written,
        values=registry_values,
    )
    return registry_key


def FiletimeString(filetime):
    """Returns the ISO 8601 string of a FILETIME, for comparisons."""
    return dfdatetime_filetime.Filetime(timestamp=filetime).CopyToDateTimeString()
