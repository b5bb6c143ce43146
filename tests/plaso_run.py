"""Runs the stock plaso console scripts as subprocesses, as an examiner would.

Multi-process mode must never run inside pytest's own process (it would fork
pytest), so every end-to-end test goes through these helpers.
"""

import json
import os
import subprocess
import sys

BIN_DIRECTORY = os.path.dirname(sys.executable)


def Script(name):
    """Returns the path of a console script of the test environment."""
    return os.path.join(BIN_DIRECTORY, name)


def Run(arguments, env=None, cwd=None, timeout=600, check=True):
    """Runs a command; returns the CompletedProcess (text output)."""
    environment = dict(os.environ)
    environment.update(env or {})
    result = subprocess.run(
        arguments,
        env=environment,
        cwd=cwd,
        timeout=timeout,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, arguments))} exited {result.returncode}\n"
            f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
        )
    return result


_START_METHOD_WRAPPER = (
    "import multiprocessing, sys; "
    "multiprocessing.set_start_method(sys.argv.pop(1), force=True); "
    "from plaso.scripts import {tool} as tool; "
    "sys.argv[0] = '{tool}'; "
    "sys.exit(tool.Main() is False)"
)


def Tool(tool, *arguments, start_method=None, **kwargs):
    """Runs a stock plaso tool (log2timeline, psort, pinfo, psteal).

    With start_method, the stock tool's Main() runs in an interpreter whose
    multiprocessing start method was forced first; the extension then
    reaches the children only through the .pth hook, as in a real install.
    """
    if start_method:
        command = [
            sys.executable,
            "-c",
            _START_METHOD_WRAPPER.format(tool=tool),
            start_method,
            *arguments,
        ]
    else:
        command = [Script(tool), *arguments]
    return Run([str(part) for part in command], **kwargs)


def Log2Timeline(storage_file, source, *options, **kwargs):
    """Extracts events from a source into a new storage file."""
    return Tool(
        "log2timeline",
        "--status_view",
        "none",
        "--quiet",
        "--storage_file",
        storage_file,
        *options,
        source,
        **kwargs,
    )


def Analyse(storage_file, *options, **kwargs):
    """Runs psort with the netsupport analysis plugin, output null."""
    return Tool(
        "psort",
        "--status_view",
        "none",
        "--analysis",
        "netsupport",
        *options,
        "-o",
        "null",
        storage_file,
        **kwargs,
    )


def JsonLines(storage_file, output_path, event_filter=None, **kwargs):
    """Exports a storage file with psort -o json_line; returns the records."""
    arguments = ["--status_view", "none", "-o", "json_line", "-w", output_path]
    arguments.append(storage_file)
    if event_filter:
        arguments.append(event_filter)
    if os.path.exists(output_path):
        os.remove(output_path)
    Tool("psort", *arguments, **kwargs)
    return ReadJsonLines(output_path)


def ReadJsonLines(path):
    """Returns the records of a psort -o json_line file."""
    with open(path, "r", encoding="utf-8") as file_object:
        return [json.loads(line) for line in file_object if line.strip()]


def ExtractionWarnings(storage_file):
    """Returns the extraction warnings of a storage file.

    Read with plaso's storage reader: pinfo's JSON output is not valid JSON
    when messages hold newlines, and pinfo -v crashes listing warnings of two
    or more files.

    Returns:
      list[tuple[str, str, str]]: (location, parser chain, message).
    """
    from plaso.storage import factory  # pylint: disable=import-outside-toplevel

    reader = factory.StorageFactory.CreateStorageReaderForFile(str(storage_file))
    try:
        return [
            (
                getattr(warning.path_spec, "location", "") or "",
                warning.parser_chain or "",
                warning.message,
            )
            for warning in reader.GetAttributeContainers("extraction_warning")
        ]
    finally:
        reader.Close()
