"""What the command-line pieces share: errors, plaso's scripts, command lines.

This module is the bottom of the command-line layer (cli -> triage, render,
storage -> here); it imports only plaso_netsupport.errors (and, for --fast,
collection.fast inside a function), so nothing can form a cycle through it. It holds the ONE copy of the log2timeline and psort command
lines that `timeline`, `triage` and `report` run.
"""

import os
import shutil
import sys

from plaso_netsupport.errors import NothingExamined, UsageError  # noqa: F401

NETSUPPORT_FILTER = "tag contains 'netsupport'"
CSV_FIELDS = "datetime,timestamp_desc,source,source_long,tag,message"
# psort output module per timeline format of ours.
EXPORT_FORMATS = {"csv": "dynamic", "jsonl": "json_line"}


def PlasoScript(name):
    """Returns the path of a plaso console script of this environment."""
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(candidate):
        return candidate
    return shutil.which(name) or name


def RunPlasoTool(name):
    """Runs a stock plaso tool's Main() in this process and exits with its status."""
    module = __import__(f"plaso.scripts.{name}", fromlist=["Main"])
    result = module.Main()
    sys.exit(
        0 if result is None or result is True else (1 if result is False else result)
    )


def _Log(log_path):
    return ["--logfile", log_path] if log_path else []


def ExtractionCommand(options, source, storage, status_view, log_path=None):
    """Returns the log2timeline command line of a triage.

    Args:
      options (argparse.Namespace): the triage options (partitions, volumes,
          vss_stores, no_vss, workers, temporary_directory, artifact_filters,
          artifact_filters_file, parsers).
      source (str): image or directory.
      storage (str): storage file to write.
      status_view (str): plaso status view.
      log_path (str): plaso log file, or None.
    """
    command = [
        PlasoScript("log2timeline"),
        "--status_view",
        status_view,
        "--unattended",
        *_Log(log_path),
        "--storage_file",
        storage,
        "--partitions",
        getattr(options, "partitions", None) or "all",
        "--volumes",
        getattr(options, "volumes", None) or "all",
    ]
    if getattr(options, "vss_stores", None):
        command += ["--vss_stores", options.vss_stores]
    elif getattr(options, "no_vss", False):
        command += ["--vss_stores", "none"]
    for option in (
        "workers",
        "temporary_directory",
        "artifact_filters",
        "artifact_filters_file",
        "parsers",
    ):
        value = getattr(options, option, None)
        if value:
            command += [f"--{option}", str(value)]
    # Extra log2timeline arguments (such as a targeted "--fast" collection)
    # go here, before the source.
    command += ExtraExtractionArguments(options)
    command.append(os.path.abspath(source))
    return command


def ExtraExtractionArguments(options):
    """Returns extra log2timeline arguments for a triage.

    The one place to add arguments derived from triage options: --fast adds
    the NetSupportTriage artifact filters (plaso_netsupport.collection.fast).
    """
    if getattr(options, "fast", False):
        from plaso_netsupport.collection import (  # pylint: disable=import-outside-toplevel
            fast,
        )

        return fast.ExtractionArguments(options)
    return []


def AnalysisOptions(options):
    """Returns the psort options of the netsupport plugin from our options."""
    arguments = []
    if getattr(options, "netsupport_allowlist", None):
        arguments += [
            "--netsupport-allowlist",
            os.path.abspath(options.netsupport_allowlist),
        ]
    for directory in getattr(options, "netsupport_sigma_rules", None) or []:
        arguments += ["--netsupport-sigma-rules", os.path.abspath(directory)]
    if getattr(options, "netsupport_no_sigma", False):
        arguments.append("--netsupport-no-sigma")
    return arguments


def AnalysisCommand(options, storage, status_view, log_path=None):
    """Returns the psort --analysis netsupport command line."""
    return [
        PlasoScript("psort"),
        "--status_view",
        status_view,
        *_Log(log_path),
        "--analysis",
        "netsupport",
        *AnalysisOptions(options),
        "-o",
        "null",
        storage,
    ]


def ExportCommand(storage, output_path, output_format, status_view, log_path=None):
    """Returns the psort command exporting the NetSupport-tagged events.

    The psort event filter also filters the analysis input, so analysis and
    export are two runs: the first tags, the second exports.

    Args:
      output_format (str): "csv" or "jsonl".
    """
    command = [PlasoScript("psort"), "--status_view", status_view, *_Log(log_path)]
    command += ["-o", EXPORT_FORMATS[output_format]]
    if output_format == "csv":
        command += ["--fields", CSV_FIELDS]
    command += ["-w", output_path, storage, NETSUPPORT_FILTER]
    return command
