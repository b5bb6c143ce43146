"""Helpers to run a single plaso parser over a forged file in tests."""

from dfvfs.lib import definitions as dfvfs_definitions
from dfvfs.path import factory as path_spec_factory
from dfvfs.resolver import resolver as path_spec_resolver
from plaso.containers import events
from plaso.parsers import interface as parsers_interface
from plaso.parsers import mediator as parsers_mediator
from plaso.storage.fake import writer as fake_writer


def _run_parser(parser, path):
    """Runs a plaso parser over a file on the OS file system.

    Args:
      parser (BaseParser): plaso file entry or file object parser instance.
      path (str|os.PathLike): path of the file to parse.

    Returns:
      FakeStorageWriter: storage writer holding what the parser produced.
    """
    storage_writer = fake_writer.FakeStorageWriter()
    storage_writer.Open()

    mediator = parsers_mediator.ParserMediator()
    mediator.SetStorageWriter(storage_writer)

    path_spec = path_spec_factory.Factory.NewPathSpec(
        dfvfs_definitions.TYPE_INDICATOR_OS, location=str(path)
    )
    file_entry = path_spec_resolver.Resolver.OpenFileEntry(path_spec)
    mediator.SetFileEntry(file_entry)

    # Event data must reference an event data stream, as in a real extraction.
    event_data_stream = events.EventDataStream()
    event_data_stream.path_spec = path_spec
    mediator.ProduceEventDataStream(event_data_stream)

    if isinstance(parser, parsers_interface.FileObjectParser):
        file_object = file_entry.GetFileObject()
        parser.Parse(mediator, file_object)
    else:
        parser.Parse(mediator)

    return storage_writer


def parse_with_plaso(parser, path):
    """Runs a plaso parser over a file and returns the event data it produced.

    Args:
      parser (BaseParser): plaso parser instance, e.g. ``pe.PEParser()``.
      path (str|os.PathLike): path of the file to parse.

    Returns:
      list[EventData]: event data containers, in production order.
    """
    storage_writer = _run_parser(parser, path)
    return list(storage_writer.GetAttributeContainers("event_data"))


def parse_with_plaso_and_warnings(parser, path):
    """Runs a plaso parser over a file, also returning its extraction warnings.

    Args:
      parser (BaseParser): plaso parser instance.
      path (str|os.PathLike): path of the file to parse.

    Returns:
      tuple[list[EventData], list[ExtractionWarning]]: event data containers and
          extraction warnings.
    """
    storage_writer = _run_parser(parser, path)
    return (
        list(storage_writer.GetAttributeContainers("event_data")),
        list(storage_writer.GetAttributeContainers("extraction_warning")),
    )
