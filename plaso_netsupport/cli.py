"""Console scripts: plaso's tools with the extension loaded, and our command.

log2timeline-netsupport, psort-netsupport, psteal-netsupport and
pinfo-netsupport are the fallback for environments where the .pth file is not
processed (python -S, some embedded or frozen interpreters). This module
imports plaso_netsupport at module level on purpose: a worker started with
spawn or forkserver re-imports the main script, and with it this module, so
our parsers are registered in every process.

plaso-netsupport is the examiner's command: `timeline` writes the
NetSupport-only timeline of a storage file; `triage` runs extraction,
analysis and every output on an image; `report` writes the HTML, JSON or
Markdown report of an analysed storage file (see plaso_netsupport.triage).
"""

import argparse
import os
import shutil
import subprocess
import sys

import plaso_netsupport  # noqa: F401  pylint: disable=unused-import


def _RunPlasoTool(name):
    module = __import__(f"plaso.scripts.{name}", fromlist=["Main"])
    result = module.Main()
    sys.exit(
        0 if result is None or result is True else (1 if result is False else result)
    )


def Log2Timeline():
    """log2timeline with plaso-netsupport loaded."""
    _RunPlasoTool("log2timeline")


def Psort():
    """psort with plaso-netsupport loaded."""
    _RunPlasoTool("psort")


def Psteal():
    """psteal with plaso-netsupport loaded."""
    _RunPlasoTool("psteal")


def Pinfo():
    """pinfo with plaso-netsupport loaded."""
    _RunPlasoTool("pinfo")


def PlasoScript(name):
    """Returns the path of a plaso console script of this environment."""
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(candidate):
        return candidate
    return shutil.which(name) or name


class UsageError(Exception):
    """An error the examiner can fix; reported as one line, exit code 2."""


def TimelineCommands(storage_file, output_path, output_format, extra=()):
    """Returns the two stock psort commands behind `timeline`.

    The psort event filter also filters the analysis input, so analysis and
    export are two runs: the first tags, the second exports the tagged events.
    """
    psort = PlasoScript("psort")
    analyse = [
        psort,
        "--status_view",
        "none",
        "--analysis",
        "netsupport",
        *extra,
        "-o",
        "null",
        storage_file,
    ]
    export_format = {"csv": "dynamic", "jsonl": "json_line"}[output_format]
    export = [psort, "--status_view", "none", "-o", export_format]
    if output_format == "csv":
        export += ["--fields", "datetime,timestamp_desc,source,source_long,tag,message"]
    export += ["-w", output_path, storage_file, "tag contains 'netsupport'"]
    return analyse, export


def _Timeline(arguments):
    if not os.path.isfile(arguments.storage_file):
        raise UsageError(f"no such storage file: {arguments.storage_file}")
    if not os.access(arguments.storage_file, os.W_OK):
        raise UsageError(
            f"storage file is not writable (psort stores tags in it): "
            f"{arguments.storage_file}"
        )
    if os.path.exists(arguments.output) and not arguments.force:
        raise UsageError(f"output exists, not overwritten: {arguments.output}")
    if os.path.exists(arguments.output):
        os.remove(arguments.output)
    extra = []
    if arguments.allowlist:
        extra += ["--netsupport-allowlist", arguments.allowlist]
    for directory in arguments.sigma_rules or []:
        extra += ["--netsupport-sigma-rules", directory]
    analyse, export = TimelineCommands(
        arguments.storage_file, arguments.output, arguments.format, extra
    )
    if not arguments.skip_analysis:
        subprocess.run(analyse, check=True)
    subprocess.run(export, check=True)
    return 0


def _BuildParser():
    parser = argparse.ArgumentParser(
        prog="plaso-netsupport",
        description="Find, tag and report NetSupport Manager / NetSupport RAT traces.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    timeline = commands.add_parser(
        "timeline",
        help="analyse a storage file and write its NetSupport-only timeline",
    )
    timeline.add_argument("storage_file")
    timeline.add_argument("-o", "--output", required=True)
    timeline.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    timeline.add_argument("--allowlist", help="allowlist YAML file")
    timeline.add_argument(
        "--sigma-rules", action="append", help="directory of extra Sigma rules"
    )
    timeline.add_argument(
        "--skip-analysis",
        action="store_true",
        help="export only; the storage file was analysed before",
    )
    timeline.add_argument("--force", action="store_true", help="overwrite output")
    # Imported here: triage imports this module (UsageError, PlasoScript).
    from plaso_netsupport import triage  # pylint: disable=import-outside-toplevel

    triage.AddTriageArguments(
        commands.add_parser(
            "triage",
            help="extract, analyse and write every NetSupport output for an image",
        )
    )
    triage.AddReportArguments(
        commands.add_parser(
            "report",
            help="write the HTML, JSON or Markdown report of an analysed storage file",
        )
    )
    return parser


def Main(argv=None):
    """Entry point of the plaso-netsupport command."""
    parser = _BuildParser()
    arguments = parser.parse_args(argv)
    from plaso_netsupport import triage  # pylint: disable=import-outside-toplevel

    handlers = {"timeline": _Timeline, "triage": triage.Triage, "report": triage.Report}
    try:
        return handlers[arguments.command](arguments)
    except UsageError as exception:
        sys.stderr.write(f"plaso-netsupport: error: {exception}\n")
        return 2
    except subprocess.CalledProcessError as exception:
        sys.stderr.write(
            f"plaso-netsupport: error: {os.path.basename(exception.cmd[0])} "
            f"exited with {exception.returncode}\n"
        )
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("plaso-netsupport: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(Main())
