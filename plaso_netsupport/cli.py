"""Console scripts: plaso's tools with the extension loaded, and our command.

log2timeline-netsupport, psort-netsupport, psteal-netsupport and
pinfo-netsupport are the fallback for environments where the .pth file is not
processed (python -S, some embedded or frozen interpreters). This module
imports plaso_netsupport at module level on purpose: a worker started with
spawn or forkserver re-imports the main script, and with it this module, so
our parsers are registered in every process.

plaso-netsupport is the examiner's command, on top of the other pieces
(cli -> triage, render, storage -> plaso_commands; nothing imports cli):

  timeline STORAGE -o FILE   analyse and write the NetSupport-only timeline
                             (CSV, JSONL, or the compact text timeline)
  triage SOURCE -o DIR       extraction, analysis and every output
  report STORAGE [-o FILE]   the report of an analysed storage file
                             (text, JSON, Markdown, HTML)

Every error is one line on stderr and exit status 2 (3: the source yielded
no file system); no traceback, no usage dump.
"""

import os
import subprocess
import sys

import plaso_netsupport  # noqa: F401  pylint: disable=unused-import
from plaso_netsupport import plaso_commands
from plaso_netsupport.cli_arguments import ArgumentParser, BuildParser  # noqa: F401
from plaso_netsupport import render
from plaso_netsupport import storage
from plaso_netsupport.plaso_commands import NothingExamined, UsageError

PROGRAM = "plaso-netsupport"
NOTHING_EXAMINED_EXIT_CODE = 3
TIMELINE_EXTENSIONS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".json_line": "jsonl",
    ".jsonlines": "jsonl",
    ".txt": "text",
    ".text": "text",
}


def Log2Timeline():
    """log2timeline with plaso-netsupport loaded."""
    plaso_commands.RunPlasoTool("log2timeline")


def Psort():
    """psort with plaso-netsupport loaded."""
    plaso_commands.RunPlasoTool("psort")


def Psteal():
    """psteal with plaso-netsupport loaded."""
    plaso_commands.RunPlasoTool("psteal")


def Pinfo():
    """pinfo with plaso-netsupport loaded."""
    plaso_commands.RunPlasoTool("pinfo")


def ChooseFormat(output, requested, extensions, default):
    """The output format: --format, or output's extension; refused if they differ.

    Args:
      output (str): output path, "-" or None (stdout).
      requested (str): the --format value or None.
      extensions (dict[str, str]): extension -> format.
      default (str): format for stdout without --format.
    """
    implied = None
    if output and output != "-":
        implied = extensions.get(os.path.splitext(output)[1].lower())
    if requested and implied and requested != implied:
        raise UsageError(
            f"--format {requested} disagrees with the extension of {output} "
            f"({implied}); rename the file or drop --format"
        )
    chosen = requested or implied
    if chosen:
        return chosen
    if output and output != "-":
        known = ", ".join(sorted(extensions))
        raise UsageError(
            f"cannot tell the format from the extension of {output} "
            f"(known: {known}); use --format"
        )
    return default


def _CheckOutput(output, force):
    """Checks that an output file may be written; returns its absolute path."""
    path = os.path.abspath(output)
    if os.path.isdir(path):
        raise UsageError(f"output is a directory: {output}")
    if os.path.exists(path) and not force:
        raise UsageError(f"output exists, not overwritten: {output} (use --force)")
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise UsageError(f"no such output directory: {directory}")
    if not os.access(directory, os.W_OK):
        raise UsageError(f"output directory is not writable: {directory}")
    return path


def _Write(output, text):
    """Writes text to a file, or to stdout when output is None or "-"."""
    if not output or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    # Imported here: triage's exports pull in the renderers' templates.
    from plaso_netsupport.triage import exports  # pylint: disable=C0415

    try:
        exports.WriteText(os.path.abspath(output), text)
    except OSError as exception:
        raise UsageError(
            f"cannot write {output}: {exception.strerror or exception}"
        ) from None


def _Run(command):
    # psort's progress and its report table go to stderr: stdout carries
    # only our output (a timeline piped into less or head).
    sys.stdout.flush()
    try:
        subprocess.run(command, check=True, stdin=subprocess.DEVNULL, stdout=sys.stderr)
    except OSError as exception:
        raise UsageError(
            f"cannot run {command[0]}: {exception.strerror or exception}"
        ) from None


def Timeline(options):
    """The timeline command; returns the exit code."""
    from plaso_netsupport.render import text  # pylint: disable=C0415
    from plaso_netsupport.triage import checks  # pylint: disable=C0415

    output_format = ChooseFormat(
        options.output, options.format, TIMELINE_EXTENSIONS, "text"
    )
    storage.CheckStorage(options.storage_file)
    if not options.skip_analysis and not os.access(options.storage_file, os.W_OK):
        raise UsageError(
            f"storage file is not writable (psort stores tags in it): "
            f"{options.storage_file}"
        )
    if output_format != "text" and (not options.output or options.output == "-"):
        raise UsageError(f"the {output_format} timeline needs -o FILE")
    path = None
    if options.output and options.output != "-":
        path = _CheckOutput(options.output, options.force)
    for warning in checks.CheckOptions(options):
        sys.stderr.write(f"{PROGRAM}: warning: {warning}\n")
    if not options.skip_analysis:
        _Run(
            plaso_commands.AnalysisCommand(
                options, os.path.abspath(options.storage_file), "none"
            )
        )
    if output_format == "text":
        document = storage.ReadDocument(options.storage_file)
        _Write(options.output, text.RenderTimeline(document))
        return 0
    if os.path.exists(path):
        os.remove(path)
    _Run(
        plaso_commands.ExportCommand(
            os.path.abspath(options.storage_file), path, output_format, "none"
        )
    )
    return 0


def Report(options):
    """The report command; returns the exit code."""
    output_format = ChooseFormat(
        options.output, options.format, render.EXTENSIONS, "text"
    )
    if options.output and options.output != "-":
        _CheckOutput(options.output, options.force)
    document = storage.ReadDocument(options.storage_file)
    _Write(
        options.output,
        render.Render(document, output_format, source=options.storage_file),
    )
    if options.output and options.output != "-":
        sys.stderr.write(f"{PROGRAM}: wrote {options.output}\n")
    return 0


def Triage(options):
    """The triage command; returns the exit code."""
    from plaso_netsupport import triage  # pylint: disable=C0415

    return triage.Triage(options)


def _Fail(message, code=2):
    sys.stderr.write(f"{PROGRAM}: error: {message}\n")
    return code


def Main(argv=None):
    """Entry point of the plaso-netsupport command; returns the exit code."""
    handlers = {"timeline": Timeline, "triage": Triage, "report": Report}
    try:
        options = BuildParser().parse_args(argv)
        return handlers[options.command](options)
    except UsageError as exception:
        return _Fail(str(exception).splitlines()[0] if str(exception) else "error")
    except NothingExamined as exception:
        return _Fail(str(exception), NOTHING_EXAMINED_EXIT_CODE)
    except subprocess.CalledProcessError as exception:
        return _Fail(
            f"{os.path.basename(exception.cmd[0])} exited with {exception.returncode}"
        )
    except BrokenPipeError:
        # The reader (head, less) went away: quiet, as other Unix tools are.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROGRAM}: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(Main())
