"""`plaso-netsupport triage`: extraction, analysis and every output of a source.

triage SOURCE -o OUTDIR runs the stock tools one after the other, each as a
child process with plaso's own status view:

  1. log2timeline --unattended  -> OUTDIR/case.plaso (a .plaso input is copied)
  2. psort --analysis netsupport -o null OUTDIR/case.plaso
  3. psort -o dynamic   "tag contains 'netsupport'" -> netsupport.csv
  4. psort -o json_line "tag contains 'netsupport'" -> netsupport.jsonl
  5. in this process: report.json, report.md, report.html, attack-layer.json,
     timesketch.jsonl (plaso_netsupport.triage.exports)

Every input is checked before anything runs (triage.checks). The examiner's
input is never written to. A failed or interrupted run writes
OUTDIR/INCOMPLETE.txt naming the step and the logs that exist; Ctrl-C or
SIGTERM stops the running child (triage.runner) and exits with 130. A disk
image that yields no file system (an empty or damaged file, a wrong
--partitions choice) exits with 3 and one line, after writing the reports
that say what was examined.
"""

import datetime
import os
import shutil
import signal
import sys

from plaso_netsupport import plaso_commands
from plaso_netsupport import storage as storage_module
from plaso_netsupport.plaso_commands import NothingExamined, UsageError
from plaso_netsupport.collection import fast
from plaso_netsupport.triage import checks
from plaso_netsupport.triage import exports
from plaso_netsupport.triage.runner import Interrupted, Runner, StepFailed

INTERRUPTED_EXIT_CODE = 130
LOG_DIRECTORY = checks.LOG_DIRECTORY


def DefaultStatusView():
    """plaso's window view on a terminal, linear output otherwise."""
    try:
        return "window" if sys.stdout.isatty() else "linear"
    except (AttributeError, ValueError):
        return "linear"


def Say(text, stream=None):
    """Prints one progress line."""
    stream = stream or sys.stdout
    stream.write(f"plaso-netsupport: {text}\n")
    stream.flush()


def _Logs(output_directory):
    directory = os.path.join(output_directory, LOG_DIRECTORY)
    try:
        return sorted(name for name in os.listdir(directory) if name.endswith(".gz"))
    except OSError:
        return []


def _WriteIncomplete(output_directory, source, step, done, what):
    logs = _Logs(output_directory)
    lines = [
        f"plaso-netsupport triage did not finish: {what} during step: {step}.",
        f"Source: {source}",
        f"Stopped at: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%dT%H:%M:%SZ}",
        "Completed steps: " + (", ".join(done) if done else "none"),
        "Files of the interrupted and later steps are missing or incomplete.",
        (
            "Logs of the plaso tools: " + ", ".join(f"logs/{name}" for name in logs)
            if logs
            else "No plaso tool wrote a log."
        ),
        "Run the triage again with --force.",
    ]
    try:
        exports.WriteText(
            os.path.join(output_directory, "INCOMPLETE.txt"), "\n".join(lines) + "\n"
        )
    except OSError:
        pass


def _LogPath(output_directory, name):
    return os.path.join(output_directory, LOG_DIRECTORY, f"{name}.log.gz")


def ExtractionCommand(options, source, storage, output_directory, status_view):
    """Returns (the log2timeline command line, its log file)."""
    log_path = _LogPath(output_directory, "log2timeline")
    return (
        plaso_commands.ExtractionCommand(
            options, source, storage, status_view, log_path
        ),
        log_path,
    )


def AnalysisCommand(options, storage, output_directory, status_view):
    """Returns (the psort --analysis netsupport command line, its log file)."""
    log_path = _LogPath(output_directory, "psort-analysis")
    return (
        plaso_commands.AnalysisCommand(options, storage, status_view, log_path),
        log_path,
    )


def _PassOneAnalysisCommand(storage, log_path):
    """The --fast pass 1 analysis: the plugin's defaults find the kit folders."""
    return plaso_commands.AnalysisCommand(None, storage, "none", log_path)


def ExportCommand(storage, output_path, output_format, output_directory):
    """Returns (the psort export command line, its log file)."""
    log_path = _LogPath(output_directory, f"psort-{output_format}")
    return (
        plaso_commands.ExportCommand(
            storage, output_path, output_format, "none", log_path
        ),
        log_path,
    )


def _CheckCoverage(document, kind, storage, source):
    """Raises NothingExamined for an image without a file system; returns warnings."""
    if kind == "image" and not storage_module.HasFileSystem(storage):
        raise NothingExamined(
            f"no file system found in {source}: plaso read it as one plain file "
            f"(empty or damaged image, or no volume selected by --partitions/--volumes)"
        )
    coverage = document.get("coverage") or {}
    return [
        f"not examined: {entry.get('consequence') or entry.get('source')}"
        for entry in coverage.get("missing") or []
    ]


def Triage(options):
    """The triage command; returns the exit code."""
    source = options.source
    kind = checks.CheckSource(source)
    output_directory = os.path.abspath(options.output)
    if kind == "storage":
        real_source = os.path.realpath(source)
        if real_source.startswith(os.path.realpath(output_directory) + os.sep):
            raise UsageError(
                f"the storage file {source} is inside the output directory; "
                f"choose another output directory"
            )
    for warning in checks.CheckOptions(options):
        Say(f"warning: {warning}", sys.stderr)
    checks.PrepareOutputDirectory(output_directory, options.force)
    status_view = options.status_view or DefaultStatusView()
    storage = os.path.join(output_directory, "case.plaso")
    done = []
    runner = Runner()
    with runner:
        try:
            if kind == "storage":
                runner.step = "copy of the storage file"
                Say(f"[1/5] copying {source} to {storage} (the input is not modified)")
                shutil.copyfile(source, storage)
                done.append("copy of the storage file")
            else:
                Say(f"[1/5] extraction: log2timeline {source}")
                command, log_path = ExtractionCommand(
                    options, source, storage, output_directory, status_view
                )
                runner.Run(
                    "extraction (log2timeline)", command, log_path, output_directory
                )
                if getattr(options, "fast", False):
                    fast.SecondPass(
                        lambda step, child, log: runner.Run(
                            step, child, log, output_directory
                        ),
                        command,
                        storage,
                        source,
                        output_directory,
                        _PassOneAnalysisCommand,
                    )
                done.append("extraction (log2timeline)")

            Say("[2/5] analysis: psort --analysis netsupport")
            command, log_path = AnalysisCommand(
                options, storage, output_directory, status_view
            )
            step = "analysis (psort --analysis netsupport)"
            runner.Run(step, command, log_path, output_directory)
            done.append(step)

            csv_path = os.path.join(output_directory, "netsupport.csv")
            jsonl_path = os.path.join(output_directory, "netsupport.jsonl")
            Say("[3/5] NetSupport-only timeline: netsupport.csv")
            command, log_path = ExportCommand(
                storage, csv_path, "csv", output_directory
            )
            step = "CSV export (psort -o dynamic)"
            runner.Run(step, command, log_path, output_directory)
            done.append(step)

            Say("[4/5] NetSupport-only timeline: netsupport.jsonl")
            command, log_path = ExportCommand(
                storage, jsonl_path, "jsonl", output_directory
            )
            step = "JSONL export (psort -o json_line)"
            runner.Run(step, command, log_path, output_directory)
            done.append(step)

            runner.step = "reports"
            Say(
                "[5/5] reports: report.html, report.json, report.md, "
                "attack-layer.json, timesketch.jsonl"
            )
            document = storage_module.ReadDocument(storage)
            exports.WriteReports(document, output_directory, source)
            exports.WriteTimesketch(
                exports.ReadJsonLines(jsonl_path),
                os.path.join(output_directory, "timesketch.jsonl"),
            )
            done.append("reports")
            warnings = _CheckCoverage(document, kind, storage, source)
        except Interrupted as exception:
            name = signal.Signals(exception.signal_number).name
            _WriteIncomplete(
                output_directory, source, exception.step, done, f"interrupted ({name})"
            )
            Say(
                f"interrupted ({name}) during {exception.step}; see "
                f"{os.path.join(output_directory, 'INCOMPLETE.txt')}",
                sys.stderr,
            )
            return INTERRUPTED_EXIT_CODE
        except StepFailed as exception:
            what = f"{exception.tool} exited with {exception.returncode}"
            _WriteIncomplete(output_directory, source, exception.step, done, what)
            log = (
                f" and {exception.log_path}"
                if exception.log_path and os.path.exists(exception.log_path)
                else ""
            )
            raise UsageError(
                f"{what} during {exception.step}; see its output above{log}; "
                f"{output_directory} is marked INCOMPLETE"
            ) from None
        except NothingExamined as exception:
            _WriteIncomplete(
                output_directory, source, "coverage check", done, str(exception)
            )
            raise
        except UsageError as exception:
            _WriteIncomplete(
                output_directory, source, runner.step, done, str(exception)
            )
            raise
        except OSError as exception:
            _WriteIncomplete(
                output_directory, source, runner.step, done, str(exception)
            )
            raise UsageError(
                f"{runner.step}: {exception.strerror or exception}"
                + (f": {exception.filename}" if exception.filename else "")
            ) from None
    for warning in warnings:
        Say(f"warning: {warning}", sys.stderr)
    Say(f"done: {output_directory}")
    installations = document.get("installations") or []
    for entry in installations:
        Say(f"  [{str(entry.get('verdict')).upper()}] {entry.get('folder')}")
    if not installations:
        from plaso_netsupport.render import (  # pylint: disable=import-outside-toplevel
            common,
        )

        Say("  " + common.Conclusion(document))
        Say("  " + common.CoverageStatement(document))
    return 0
