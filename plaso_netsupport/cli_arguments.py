"""The options of plaso-netsupport: names as plaso spells them, help on each.

Option names follow plaso (--status_view, --partitions, --vss_stores,
--temporary_directory, ...; the hyphenated spelling is accepted too) and the
analysis plugin's own psort options keep their names
(--netsupport-allowlist, --netsupport-sigma-rules, --netsupport-no-sigma).
A bad option is one line, exit status 2, no usage dump (ArgumentParser).
"""

import argparse

from plaso_netsupport import render
from plaso_netsupport.plaso_commands import UsageError

PROGRAM = "plaso-netsupport"


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a bad option as one line (no usage dump)."""

    def error(self, message):
        raise UsageError(message)


def _AddAnalysisOptions(parser):
    """The netsupport analysis plugin's own psort options, under their own names."""
    group = parser.add_argument_group(
        "analysis options (those of psort --analysis netsupport)"
    )
    group.add_argument(
        "--netsupport-allowlist",
        "--netsupport_allowlist",
        "--allowlist",
        dest="netsupport_allowlist",
        metavar="PATH",
        help="YAML file of sanctioned NetSupport installations (path, gateway, "
        "licensee or signer, each with a reason and a review date)",
    )
    group.add_argument(
        "--netsupport-sigma-rules",
        "--netsupport_sigma_rules",
        "--sigma-rules",
        "--sigma_rules",
        dest="netsupport_sigma_rules",
        action="append",
        metavar="DIRECTORY",
        help="directory of additional Sigma rules; may be given more than once",
    )
    group.add_argument(
        "--netsupport-no-sigma",
        "--netsupport_no_sigma",
        dest="netsupport_no_sigma",
        action="store_true",
        help="do not evaluate the bundled Sigma rules",
    )


def _AddForce(parser, what):
    parser.add_argument("--force", action="store_true", help=f"overwrite {what}")


def _AddTimelineArguments(parser):
    parser.add_argument(
        "storage_file", metavar="STORAGE", help="plaso storage file (.plaso)"
    )
    parser.add_argument(
        "-o",
        "--output",
        "-w",
        "--write",
        dest="output",
        metavar="FILE",
        help="output file; its extension (.csv, .jsonl, .txt) sets the format; "
        '"-" or none: the text timeline on stdout',
    )
    parser.add_argument(
        "--format",
        choices=("csv", "jsonl", "text"),
        help="csv (psort dynamic), jsonl (psort json_line) or text (compact, "
        "from the findings); default: from the extension of -o, else text",
    )
    parser.add_argument(
        "--skip_analysis",
        "--skip-analysis",
        dest="skip_analysis",
        action="store_true",
        help="export only; the storage file was analysed before",
    )
    _AddForce(parser, "the output file")
    _AddAnalysisOptions(parser)


def _AddTriageArguments(parser):
    parser.add_argument(
        "source",
        metavar="SOURCE",
        help="disk image (E01, raw, ...), directory or .plaso file",
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="DIRECTORY", help="output directory"
    )
    _AddForce(parser, "our files in a non-empty output directory")
    parser.add_argument(
        "--status_view",
        "--status-view",
        dest="status_view",
        choices=("window", "linear", "none"),
        help="plaso's status view (default: window on a terminal, linear otherwise)",
    )
    group = parser.add_argument_group("log2timeline options (passed through)")
    group.add_argument(
        "--partitions",
        "--partition",
        dest="partitions",
        metavar="PARTITIONS",
        help='partitions to process, e.g. "1,3" or "all" (default "all")',
    )
    group.add_argument(
        "--volumes",
        "--volume",
        dest="volumes",
        metavar="VOLUMES",
        help='APFS or LVM volumes to process (default "all")',
    )
    group.add_argument(
        "--vss_stores",
        "--vss-stores",
        dest="vss_stores",
        metavar="STORES",
        help='VSS stores to process, e.g. "1,2" or "all" (default: none)',
    )
    group.add_argument(
        "--no_vss",
        "--no-vss",
        dest="no_vss",
        action="store_true",
        help="process no VSS store",
    )
    group.add_argument(
        "--workers",
        type=int,
        metavar="NUMBER",
        help="number of log2timeline worker processes",
    )
    group.add_argument(
        "--temporary_directory",
        "--temporary-directory",
        dest="temporary_directory",
        metavar="DIRECTORY",
        help="directory for log2timeline's temporary files",
    )
    group.add_argument(
        "--artifact_filters",
        "--artifact-filters",
        dest="artifact_filters",
        metavar="NAMES",
        help="comma-separated artifact definition names to collect",
    )
    group.add_argument(
        "--artifact_filters_file",
        "--artifact-filters-file",
        dest="artifact_filters_file",
        metavar="PATH",
        help="file of artifact definition names to collect, one per line",
    )
    group.add_argument(
        "--parsers", metavar="EXPRESSION", help="log2timeline parser filter expression"
    )
    group.add_argument(
        "--fast",
        action="store_true",
        help="targeted collection: only NetSupport's files and the Windows "
        "sources the analysis reads (ForensicArtifacts group NetSupportTriage), "
        "then the kit folders found; see README",
    )
    _AddAnalysisOptions(parser)


def _AddReportArguments(parser):
    parser.add_argument(
        "storage_file",
        metavar="STORAGE",
        help="plaso storage file analysed with psort --analysis netsupport",
    )
    parser.add_argument(
        "-o",
        "--output",
        "-w",
        "--write",
        dest="output",
        metavar="FILE",
        help="output file; its extension (.txt, .json, .md, .html) sets the "
        'format; "-" or none: stdout',
    )
    parser.add_argument(
        "--format",
        choices=render.FORMATS,
        help="text, json, md or html; default: from the extension of -o, else text",
    )
    _AddForce(parser, "the output file")


def BuildParser():
    """Returns the argument parser of plaso-netsupport."""
    from plaso_netsupport import __version__  # pylint: disable=C0415

    parser = ArgumentParser(
        prog=PROGRAM,
        description="Find, tag and report NetSupport traces (the remote-access tool and its RAT use).",
    )
    parser.add_argument(
        "-V",
        "--version",
        action="version",
        version=f"{PROGRAM} {__version__}",
        help="show the version and exit",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _AddTimelineArguments(
        commands.add_parser(
            "timeline",
            help="analyse a storage file and write its NetSupport-only timeline",
            description="Analyse a storage file (psort --analysis netsupport) and "
            "write its NetSupport-only timeline.",
        )
    )
    _AddTriageArguments(
        commands.add_parser(
            "triage",
            help="extract, analyse and write every NetSupport output for a source",
            description="Extract (log2timeline), analyse (psort) and write every "
            "NetSupport output for an image, a directory or a storage file.",
        )
    )
    _AddReportArguments(
        commands.add_parser(
            "report",
            help="write the report of an analysed storage file",
            description="Write the text, JSON, Markdown or HTML report of an "
            "analysed storage file.",
        )
    )
    return parser
