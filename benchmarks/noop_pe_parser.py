"""A do-nothing PE parser: plaso's own cost of one event data per PE file.

The parser is selected exactly as pe_version_info is (the "MZ" signature and
the path-only filter that skips the Windows directory) and produces one
netsupport:pe:version_info event data per file with fixed values, the shape
of a typical unsigned file with version strings, without reading the file.
Its run time over pe_version_info's cost is therefore what plaso's
multi-process path (serialising, storing, merging and timelining one more
event data) costs for any parser that reports every PE file: the floor under
pe_version_info's extraction ratio.

Import this module before plaso.scripts.log2timeline.Main() runs (the
benchmark does so with "python -c") so that log2timeline's main process
registers the parser and, with the fork start method, its workers inherit it.
"""

from plaso.lib import specification
from plaso.parsers import interface
from plaso.parsers import manager

from plaso_netsupport.parsers import pe_version_info


class BenchmarkNoOpPEParser(interface.FileObjectParser):
    """Produces one fixed event data per PE file (benchmark baseline)."""

    NAME = "bench_noop_pe"
    DATA_FORMAT = "Benchmark baseline: one fixed event data per PE file"

    FILTERS = pe_version_info.PEVersionInfoParser.FILTERS

    @classmethod
    def GetFormatSpecification(cls):
        """Retrieves the format specification (the signature pe_version_info has)."""
        format_specification = specification.FormatSpecification(cls.NAME)
        format_specification.AddNewSignature(b"MZ", offset=0)
        return format_specification

    def ParseFileObject(self, parser_mediator, file_object):
        """Produces the fixed event data without reading the file.

        Args:
          parser_mediator (ParserMediator): mediates interactions between parsers
              and other components, such as storage and dfVFS.
          file_object (dfvfs.FileIO): a file-like object.
        """
        event_data = pe_version_info.PEVersionInfoEventData()
        event_data.company_name = "Example Software Ltd"
        event_data.file_description = "Example Application"
        event_data.file_version = "1.2.3.4"
        event_data.internal_name = "example"
        event_data.legal_copyright = "Copyright (c) Example Software Ltd"
        event_data.original_filename = "example.exe"
        event_data.product_name = "Example Product"
        event_data.product_version = "1.2.3.4"
        event_data.signature_status = "unsigned"
        parser_mediator.ProduceEventData(event_data)


manager.ParsersManager.RegisterParser(BenchmarkNoOpPEParser)
