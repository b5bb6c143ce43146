"""`plaso-netsupport triage` and `plaso-netsupport report`.

triage IMAGE -o OUTDIR runs the stock tools one after the other, each as a
child process with plaso's own status view:

  1. log2timeline --unattended  -> OUTDIR/case.plaso (a .plaso input is copied)
  2. psort --analysis netsupport -o null OUTDIR/case.plaso
  3. psort -o dynamic   "tag contains 'netsupport'" -> netsupport.csv
  4. psort -o json_line "tag contains 'netsupport'" -> netsupport.jsonl
  5. in this process: report.json, report.md, report.html, attack-layer.json,
     timesketch.jsonl

The examiner's input is never written to. Ctrl-C or SIGTERM stops the running
child (SIGINT, which plaso handles as an abort; SIGTERM and SIGKILL to its
process group if it does not stop), writes OUTDIR/INCOMPLETE.txt naming the
interrupted step, and exits with 130.
"""

import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from plaso_netsupport import html_report
from plaso_netsupport import navigator
from plaso_netsupport.analysis import report as report_module
from plaso_netsupport.cli import PlasoScript, UsageError
from plaso_netsupport.collection import fast

CSV_FIELDS = "datetime,timestamp_desc,source,source_long,tag,message"
NETSUPPORT_FILTER = "tag contains 'netsupport'"
SQLITE_MAGIC = b"SQLite format 3\x00"
OUTPUT_FILES = (
    "case.plaso",
    "netsupport.csv",
    "netsupport.jsonl",
    "timesketch.jsonl",
    "report.html",
    "report.json",
    "report.md",
    "attack-layer.json",
    "INCOMPLETE.txt",
)
LOG_DIRECTORY = "logs"
INTERRUPTED_EXIT_CODE = 130
# Seconds a child gets to abort after SIGINT, then after SIGTERM.
ABORT_GRACE = 30
TERMINATE_GRACE = 10
_TIMESKETCH_SKIPPED = frozenset(
    ["__container_type__", "__type__", "date_time", "pathspec", "tag", "timestamp"]
)


class StepFailed(Exception):
    """A child process exited with an error."""

    def __init__(self, step, tool, returncode, log_path):
        super().__init__(step)
        self.step = step
        self.tool = tool
        self.returncode = returncode
        self.log_path = log_path


class Interrupted(Exception):
    """The examiner interrupted the run (SIGINT or SIGTERM)."""

    def __init__(self, step, signal_number):
        super().__init__(step)
        self.step = step
        self.signal_number = signal_number


# Checks of what the examiner gave us.


def IsStorageFile(path):
    """True if path looks like a plaso storage file (SQLite)."""
    if os.path.isdir(path):
        return False
    with open(path, "rb") as file_object:
        return file_object.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def CheckSource(path):
    """Checks the evidence source; returns "storage", "image" or "directory"."""
    if not os.path.lexists(path):
        raise UsageError(f"no such image or storage file: {path}")
    if not os.path.exists(path):
        raise UsageError(f"broken symbolic link: {path}")
    try:
        if os.path.isdir(path):
            os.listdir(path)
            return "directory"
        with open(path, "rb") as file_object:
            file_object.read(1)
        return "storage" if IsStorageFile(path) else "image"
    except OSError as exception:
        raise UsageError(
            f"cannot read {path}: {exception.strerror or exception}"
        ) from None


def CheckStorage(path):
    """Checks that path is a readable plaso storage file."""
    if not os.path.lexists(path):
        raise UsageError(f"no such storage file: {path}")
    try:
        with open(path, "rb") as file_object:
            magic = file_object.read(len(SQLITE_MAGIC))
    except OSError as exception:
        raise UsageError(
            f"cannot read {path}: {exception.strerror or exception}"
        ) from None
    if magic != SQLITE_MAGIC:
        raise UsageError(f"not a plaso storage file: {path}")


def ReadDocument(storage_path):
    """Returns the newest netsupport report document of a storage file."""
    from plaso_netsupport.show_report import (
        ReadReports,
    )  # pylint: disable=import-outside-toplevel

    try:
        texts = ReadReports(storage_path)
    except Exception as exception:  # pylint: disable=broad-except
        # plaso raises a variety of errors on damaged or foreign SQLite files.
        message = str(exception).splitlines()[0] if str(exception) else ""
        raise UsageError(
            f"cannot read plaso storage file {storage_path}"
            + (f": {message}" if message else "")
        ) from None
    documents = [report_module.ParseReportText(text) for text in texts]
    documents = [document for document in documents if document]
    if not documents:
        raise UsageError(
            f"no netsupport analysis report in {storage_path}; run "
            f"'psort --analysis netsupport -o null {storage_path}' or "
            f"'plaso-netsupport triage' first"
        )
    return documents[-1]


def PrepareOutputDirectory(path, force):
    """Creates or empties (--force: only our own files) the output directory."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"output path exists and is not a directory: {path}")
    if os.path.isdir(path):
        try:
            entries = os.listdir(path)
        except OSError as exception:
            raise UsageError(
                f"cannot read output directory {path}: {exception.strerror}"
            ) from None
        if entries and not force:
            raise UsageError(
                f"output directory is not empty: {path} (use --force to overwrite)"
            )
        try:
            for name in OUTPUT_FILES:
                if os.path.lexists(os.path.join(path, name)):
                    os.remove(os.path.join(path, name))
            if os.path.isdir(os.path.join(path, LOG_DIRECTORY)):
                shutil.rmtree(os.path.join(path, LOG_DIRECTORY))
        except OSError as exception:
            raise UsageError(
                f"cannot overwrite files in output directory {path}: "
                f"{exception.strerror}"
            ) from None
    try:
        os.makedirs(os.path.join(path, LOG_DIRECTORY), exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".write-test-", dir=path)
        os.close(handle)
        os.remove(probe)
    except OSError as exception:
        raise UsageError(
            f"output directory is not writable: {path}: "
            f"{exception.strerror or exception}"
        ) from None


# Outputs written in this process.


def ReadJsonLines(path):
    """Reads psort json_line output."""
    records = []
    with open(path, "r", encoding="utf-8") as file_object:
        for line in file_object:
            if line.strip():
                records.append(json.loads(line))
    return records


def _IsoTime(timestamp):
    try:
        moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + (
            datetime.timedelta(microseconds=int(timestamp or 0))
        )
    except (OverflowError, ValueError, TypeError):
        moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return moment.isoformat(timespec="microseconds")


def _Scalar(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    return value


def TimesketchRecord(record):
    """Converts a psort json_line record into a Timesketch JSONL record.

    Timesketch needs message, datetime (ISO 8601) and timestamp_desc; tag is a
    list of labels. Scalars and lists of scalars are kept; nested containers
    (path specification, date and time values) are dropped.
    """
    converted = {}
    for key, value in record.items():
        if key in _TIMESKETCH_SKIPPED or key.startswith("__") or value is None:
            continue
        if isinstance(value, (str, int, float, bool)):
            converted[key] = _Scalar(value)
        elif isinstance(value, (list, tuple)) and all(
            isinstance(item, (str, int, float, bool)) for item in value
        ):
            converted[key] = [str(_Scalar(item)) for item in value]
    try:
        timestamp = int(record.get("timestamp") or 0)
    except (TypeError, ValueError):
        timestamp = 0
    converted["timestamp"] = timestamp
    converted["datetime"] = _IsoTime(timestamp)
    converted["timestamp_desc"] = str(record.get("timestamp_desc") or "Unknown Time")
    converted["message"] = str(
        record.get("message") or record.get("display_name") or ""
    )
    converted["tag"] = html_report.Labels(record)
    return converted


def _MarkdownCode(value):
    """Inline code span: evidence shows literally, HTML in it stays inert."""
    text = " ".join(str(value).split())
    longest = run = 0
    for character in text:
        run = run + 1 if character == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if text else "``"


def _MarkdownText(value):
    """Free text: HTML escaped and Markdown punctuation backslash-escaped."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = []
    for character in text:
        if character in "\\`*_{}[]()#+!|~":
            escaped.append("\\" + character)
        else:
            escaped.append(character)
    return "".join(escaped)


def RenderMarkdown(document, source, technique_names=None):
    """Renders the report document as Markdown."""
    technique_names = (
        html_report.TechniqueNames() if technique_names is None else technique_names
    )
    installations = document.get("installations") or []
    verdicts = [entry.get("verdict") for entry in installations]
    lines = [
        "# NetSupport analysis report",
        "",
        f"Source: {_MarkdownCode(source)}",
        "",
        f"Installations: {len(installations):d} (suspicious: "
        f"{verdicts.count('suspicious'):d}, sanctioned: {verdicts.count('sanctioned'):d}, "
        f"allowlisted: {verdicts.count('allowlisted'):d})",
    ]
    for entry in installations:
        lines += [
            "",
            f"## {_MarkdownText(str(entry.get('verdict', '')).upper())}: "
            f"{_MarkdownCode(entry['folder'])}",
            "",
            f"- Activity: {_MarkdownCode(entry.get('first_activity'))} .. "
            f"{_MarkdownCode(entry.get('last_activity'))} "
            f"({_MarkdownText(entry.get('events'))} events)",
        ]
        clients = list(entry.get("client_names") or []) + [
            f"{name} (renamed)" for name in entry.get("renamed_client_names") or []
        ]
        if clients:
            lines.append(
                "- Client: " + ", ".join(_MarkdownCode(name) for name in clients)
            )
        for gateway in entry.get("gateways") or []:
            key = "yes" if entry.get("gateway_security_key") else "no"
            lines.append(f"- Gateway: {_MarkdownCode(gateway)} (security key: {key})")
        for licence in entry.get("licences") or []:
            lines.append(
                f"- Licence: {_MarkdownCode(licence.get('licensee'))} serial "
                f"{_MarkdownCode(licence.get('serial_no'))}"
            )
        for service in entry.get("services") or []:
            lines.append(f"- Service: {_MarkdownCode(service)}")
        for persistence in entry.get("persistence") or []:
            lines.append(f"- Persistence: {_MarkdownCode(persistence)}")
        executions = entry.get("executions") or []
        if executions:
            lines.append(
                f"- Executions: {len(executions):d} (first "
                f"{_MarkdownCode(executions[0].get('time'))}, last "
                f"{_MarkdownCode(executions[-1].get('time'))})"
            )
        if entry.get("allowlist_reason"):
            lines.append(f"- Allowlisted: {_MarkdownText(entry['allowlist_reason'])}")
        if entry.get("reasons"):
            lines += ["", "Reasons:", ""]
            lines += [f"1. {_MarkdownText(reason)}" for reason in entry["reasons"]]
    techniques = document.get("techniques") or {}
    if techniques:
        lines += [
            "",
            "## ATT&CK techniques",
            "",
            "| Technique | Name | Tagged events |",
            "|---|---|---|",
        ]
        for technique, count in techniques.items():
            url = html_report.TechniqueUrl(str(technique))
            cell = f"[{technique}]({url})" if url else _MarkdownText(technique)
            lines.append(
                f"| {cell} | {_MarkdownText(technique_names.get(technique, ''))} "
                f"| {int(count):d} |"
            )
    rules = document.get("sigma_rules") or {}
    if rules:
        lines += ["", "## Sigma rules", "", "| Rule | Matched events |", "|---|---|"]
        for rule, count in rules.items():
            lines.append(f"| {_MarkdownText(rule)} | {int(count):d} |")
    for note in document.get("notes") or []:
        lines += ["", f"Note: {_MarkdownText(note)}"]
    return "\n".join(lines) + "\n"


def _WriteText(path, text):
    temporary = path + ".partial"
    with open(temporary, "w", encoding="utf-8", newline="\n") as file_object:
        file_object.write(text)
    os.replace(temporary, path)


def _Json(value):
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def WriteOutputs(document, records, output_directory, source):
    """Writes report.json, report.md, report.html, attack-layer.json, timesketch.jsonl."""
    names = html_report.TechniqueNames()
    join = os.path.join
    _WriteText(join(output_directory, "report.json"), _Json(document))
    _WriteText(
        join(output_directory, "report.md"), RenderMarkdown(document, source, names)
    )
    _WriteText(
        join(output_directory, "report.html"),
        html_report.Render(document, records, source=source, technique_names=names),
    )
    layer = navigator.BuildLayer(
        document,
        name=f"NetSupport triage: {os.path.basename(source)}"[:200],
        technique_names=names,
    )
    _WriteText(join(output_directory, "attack-layer.json"), _Json(layer))
    _WriteText(
        join(output_directory, "timesketch.jsonl"),
        "".join(
            json.dumps(TimesketchRecord(record), sort_keys=True) + "\n"
            for record in records
        ),
    )


# Running the stock tools.


def DefaultStatusView():
    """plaso's window view on a terminal, linear output otherwise."""
    try:
        return "window" if sys.stdout.isatty() else "linear"
    except (AttributeError, ValueError):
        return "linear"


class Runner:
    """Runs child processes one at a time; turns SIGINT/SIGTERM into Interrupted."""

    def __init__(self):
        self.step = "start"
        self.child = None
        self.signal_number = None
        self._signals = 0
        self._previous = {}

    def __enter__(self):
        for number in (signal.SIGINT, signal.SIGTERM):
            self._previous[number] = signal.signal(number, self._Handler)
        return self

    def __exit__(self, *unused_exception):
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        return False

    def _Handler(self, signal_number, unused_frame):
        self._signals += 1
        if self.signal_number is None:
            self.signal_number = signal_number
        child = self.child
        if child is not None and child.poll() is None:
            if self._signals == 1:
                self._Signal(child, signal.SIGINT, group=False)
            else:
                self._Signal(child, signal.SIGTERM, group=True)
            return
        raise Interrupted(self.step, self.signal_number)

    @staticmethod
    def _Signal(child, signal_number, group):
        try:
            if group:
                os.killpg(child.pid, signal_number)
            else:
                os.kill(child.pid, signal_number)
        except (ProcessLookupError, PermissionError):
            pass

    def Run(self, step, command, log_path, cwd):
        """Runs one stock tool; raises Interrupted or StepFailed."""
        self.step = step
        if self.signal_number is not None:
            raise Interrupted(step, self.signal_number)
        sys.stdout.flush()
        # A session of its own: a Ctrl-C in the terminal reaches only us; we
        # pass it on once, as SIGINT, which plaso handles as an abort.
        try:
            self.child = subprocess.Popen(  # pylint: disable=consider-using-with
                command, cwd=cwd, stdin=subprocess.DEVNULL, start_new_session=True
            )
        except OSError as exception:
            raise UsageError(
                f"cannot run {command[0]}: {exception.strerror or exception}"
            ) from None
        escalation = None
        try:
            while True:
                try:
                    returncode = self.child.wait(timeout=0.25)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if self.signal_number is None:
                    continue
                now = time.monotonic()
                if escalation is None:
                    escalation = (now + ABORT_GRACE, signal.SIGTERM)
                elif now > escalation[0]:
                    self._Signal(self.child, escalation[1], group=True)
                    escalation = (now + TERMINATE_GRACE, signal.SIGKILL)
        finally:
            # Workers left behind by an aborted or crashed main process.
            if self.signal_number is not None:
                self._Signal(self.child, signal.SIGKILL, group=True)
            self.child = None
        if self.signal_number is not None:
            raise Interrupted(step, self.signal_number)
        if returncode != 0:
            raise StepFailed(step, os.path.basename(command[0]), returncode, log_path)


def _LogOption(output_directory, name):
    path = os.path.join(output_directory, LOG_DIRECTORY, f"{name}.log.gz")
    return path, ["--logfile", path]


def ExtractionCommand(arguments, source, storage, output_directory, status_view):
    """Returns the log2timeline command line."""
    log_path, log_option = _LogOption(output_directory, "log2timeline")
    command = [
        PlasoScript("log2timeline"),
        "--status_view",
        status_view,
        "--unattended",
        *log_option,
        "--storage_file",
        storage,
        "--partitions",
        arguments.partitions or "all",
        "--volumes",
        arguments.volumes or "all",
    ]
    if arguments.vss_stores:
        command += ["--vss_stores", arguments.vss_stores]
    elif arguments.no_vss:
        command += ["--vss_stores", "none"]
    for option in (
        "workers",
        "temporary_directory",
        "artifact_filters",
        "artifact_filters_file",
        "parsers",
    ):
        value = getattr(arguments, option)
        if value:
            command += [f"--{option}", str(value)]
    if getattr(arguments, "fast", False):
        command += fast.ExtractionArguments(arguments)
    command.append(os.path.abspath(source))
    return command, log_path


def AnalysisCommand(arguments, storage, output_directory, status_view):
    """Returns the psort --analysis netsupport command line."""
    log_path, log_option = _LogOption(output_directory, "psort-analysis")
    command = [PlasoScript("psort"), "--status_view", status_view, *log_option]
    command += ["--analysis", "netsupport"]
    if getattr(arguments, "allowlist", None):
        command += ["--netsupport-allowlist", os.path.abspath(arguments.allowlist)]
    for directory in getattr(arguments, "sigma_rules", None) or []:
        command += ["--netsupport-sigma-rules", os.path.abspath(directory)]
    command += ["-o", "null", storage]
    return command, log_path


def ExportCommand(
    storage, output_path, output_format, log_directory, status_view="none"
):
    """Returns the psort command exporting the NetSupport-tagged events."""
    name = "psort-csv" if output_format == "dynamic" else "psort-jsonl"
    log_path = os.path.join(log_directory, f"{name}.log.gz")
    command = [PlasoScript("psort"), "--status_view", status_view]
    command += ["--logfile", log_path, "-o", output_format]
    if output_format == "dynamic":
        command += ["--fields", CSV_FIELDS]
    command += ["-w", output_path, storage, NETSUPPORT_FILTER]
    return command, log_path


def _Say(text):
    sys.stdout.write(f"plaso-netsupport: {text}\n")
    sys.stdout.flush()


def _WriteIncomplete(output_directory, source, step, done, what):
    lines = [
        f"plaso-netsupport triage did not finish: {what} during step: {step}.",
        f"Source: {source}",
        f"Stopped at: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%dT%H:%M:%SZ}",
        "Completed steps: " + (", ".join(done) if done else "none"),
        "Files of the interrupted and later steps are missing or incomplete.",
        "Logs of the plaso tools are in logs/. Run the triage again with --force.",
    ]
    try:
        _WriteText(
            os.path.join(output_directory, "INCOMPLETE.txt"), "\n".join(lines) + "\n"
        )
    except OSError:
        pass


def Triage(arguments):
    """The triage command; returns the exit code."""
    source = arguments.source
    kind = CheckSource(source)
    output_directory = os.path.abspath(arguments.output)
    if kind == "storage":
        CheckStorage(source)
        real_source = os.path.realpath(source)
        if real_source.startswith(os.path.realpath(output_directory) + os.sep):
            raise UsageError(
                f"the storage file {source} is inside the output directory; "
                f"choose another output directory"
            )
    if arguments.allowlist and not os.path.isfile(arguments.allowlist):
        raise UsageError(f"no such allowlist file: {arguments.allowlist}")
    for directory in arguments.sigma_rules or []:
        if not os.path.isdir(directory):
            raise UsageError(f"no such Sigma rule directory: {directory}")
    PrepareOutputDirectory(output_directory, arguments.force)
    status_view = arguments.status_view or DefaultStatusView()
    storage = os.path.join(output_directory, "case.plaso")
    log_directory = os.path.join(output_directory, LOG_DIRECTORY)
    done = []
    runner = Runner()
    with runner:
        try:
            if kind == "storage":
                runner.step = "copy of the storage file"
                _Say(f"[1/5] copying {source} to {storage} (the input is not modified)")
                shutil.copyfile(source, storage)
                done.append("copy of the storage file")
            else:
                _Say(f"[1/5] extraction: log2timeline {source}")
                command, log_path = ExtractionCommand(
                    arguments, source, storage, output_directory, status_view
                )
                runner.Run(
                    "extraction (log2timeline)", command, log_path, output_directory
                )
                if getattr(arguments, "fast", False):
                    fast.SecondPass(
                        lambda step, child, log: runner.Run(
                            step, child, log, output_directory
                        ),
                        command,
                        storage,
                        source,
                        output_directory,
                    )
                done.append("extraction (log2timeline)")

            _Say("[2/5] analysis: psort --analysis netsupport")
            command, log_path = AnalysisCommand(
                arguments, storage, output_directory, status_view
            )
            runner.Run(
                "analysis (psort --analysis netsupport)",
                command,
                log_path,
                output_directory,
            )
            done.append("analysis (psort --analysis netsupport)")

            csv_path = os.path.join(output_directory, "netsupport.csv")
            jsonl_path = os.path.join(output_directory, "netsupport.jsonl")
            _Say("[3/5] NetSupport-only timeline: netsupport.csv")
            command, log_path = ExportCommand(
                storage, csv_path, "dynamic", log_directory
            )
            runner.Run(
                "CSV export (psort -o dynamic)", command, log_path, output_directory
            )
            done.append("CSV export (psort -o dynamic)")

            _Say("[4/5] NetSupport-only timeline: netsupport.jsonl")
            command, log_path = ExportCommand(
                storage, jsonl_path, "json_line", log_directory
            )
            runner.Run(
                "JSONL export (psort -o json_line)", command, log_path, output_directory
            )
            done.append("JSONL export (psort -o json_line)")

            runner.step = "reports"
            _Say(
                "[5/5] reports: report.html, report.json, report.md, "
                "attack-layer.json, timesketch.jsonl"
            )
            document = ReadDocument(storage)
            records = ReadJsonLines(jsonl_path)
            WriteOutputs(document, records, output_directory, source)
            done.append("reports")
        except Interrupted as exception:
            name = signal.Signals(exception.signal_number).name
            _WriteIncomplete(
                output_directory, source, exception.step, done, f"interrupted ({name})"
            )
            sys.stderr.write(
                f"plaso-netsupport: interrupted ({name}) during {exception.step}; "
                f"see {os.path.join(output_directory, 'INCOMPLETE.txt')}\n"
            )
            return INTERRUPTED_EXIT_CODE
        except StepFailed as exception:
            _WriteIncomplete(
                output_directory,
                source,
                exception.step,
                done,
                f"{exception.tool} exited with {exception.returncode}",
            )
            raise UsageError(
                f"{exception.tool} exited with {exception.returncode} during "
                f"{exception.step}; see its output above and {exception.log_path}"
            ) from None
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
    installations = document.get("installations") or []
    _Say(f"done: {output_directory}")
    for entry in installations:
        _Say(f"  [{str(entry.get('verdict')).upper()}] {entry['folder']}")
    if not installations:
        _Say("  no NetSupport installation found")
    return 0


def Report(arguments):
    """The report command; returns the exit code."""
    output_format = arguments.format
    if not output_format:
        extension = os.path.splitext(arguments.output)[1].lower()
        output_format = {
            ".html": "html",
            ".htm": "html",
            ".json": "json",
            ".md": "md",
            ".markdown": "md",
        }.get(extension)
        if not output_format:
            raise UsageError(
                f"cannot tell the format from {arguments.output}; use --format "
                f"html, json or md"
            )
    CheckStorage(arguments.storage_file)
    document = ReadDocument(arguments.storage_file)
    output = os.path.abspath(arguments.output)
    if os.path.exists(output) and not arguments.force:
        raise UsageError(
            f"output exists, not overwritten: {arguments.output} (use --force)"
        )
    directory = os.path.dirname(output)
    if not os.path.isdir(directory):
        raise UsageError(f"no such output directory: {directory}")
    if not os.access(directory, os.W_OK):
        raise UsageError(f"output directory is not writable: {directory}")
    source = arguments.storage_file
    if output_format == "json":
        text = _Json(document)
    elif output_format == "md":
        text = RenderMarkdown(document, source)
    else:
        with tempfile.TemporaryDirectory(prefix="plaso-netsupport-") as temporary:
            jsonl_path = os.path.join(temporary, "netsupport.jsonl")
            command, _ = ExportCommand(
                os.path.abspath(arguments.storage_file),
                jsonl_path,
                "json_line",
                temporary,
            )
            try:
                result = subprocess.run(
                    command,
                    cwd=temporary,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            except OSError as exception:
                raise UsageError(
                    f"cannot run {command[0]}: {exception.strerror or exception}"
                ) from None
            if result.returncode != 0:
                last = (result.stdout or b"").decode("utf-8", "replace").strip()
                last = last.splitlines()[-1] if last else ""
                raise UsageError(
                    f"psort could not export the tagged events of {source} "
                    f"(exit {result.returncode}){': ' + last if last else ''}"
                )
            records = ReadJsonLines(jsonl_path)
        text = html_report.Render(document, records, source=source)
    try:
        _WriteText(output, text)
    except OSError as exception:
        raise UsageError(
            f"cannot write {arguments.output}: {exception.strerror or exception}"
        ) from None
    _Say(f"wrote {arguments.output}")
    return 0


def AddTriageArguments(parser):
    """Adds the options of the triage command."""
    parser.add_argument(
        "source", help="disk image (E01, raw, …), directory or .plaso file"
    )
    parser.add_argument("-o", "--output", required=True, help="output directory")
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty output directory (replaces our files)",
    )
    parser.add_argument(
        "--status-view",
        "--status_view",
        dest="status_view",
        choices=("window", "linear", "none"),
        help="plaso's status view (default: window on a terminal, " "linear otherwise)",
    )
    group = parser.add_argument_group("log2timeline options (passed through)")
    group.add_argument(
        "--partitions",
        "--partition",
        dest="partitions",
        help='partitions to process (default "all")',
    )
    group.add_argument(
        "--volumes",
        "--volume",
        dest="volumes",
        help='volumes to process (default "all")',
    )
    group.add_argument(
        "--vss_stores",
        "--vss-stores",
        dest="vss_stores",
        help='VSS stores to process, e.g. "all" (default: none)',
    )
    group.add_argument(
        "--no_vss",
        "--no-vss",
        dest="no_vss",
        action="store_true",
        help="process no VSS store",
    )
    group.add_argument("--workers", type=int, help="number of worker processes")
    group.add_argument(
        "--temporary_directory", "--temporary-directory", dest="temporary_directory"
    )
    group.add_argument(
        "--artifact_filters", "--artifact-filters", dest="artifact_filters"
    )
    group.add_argument(
        "--artifact_filters_file",
        "--artifact-filters_file",
        "--artifact-filters-file",
        dest="artifact_filters_file",
    )
    group.add_argument("--parsers", help="parser filter expression")
    group.add_argument(
        "--fast",
        action="store_true",
        help="targeted collection: only NetSupport's files and the Windows "
        "sources the analysis reads (ForensicArtifacts group NetSupportTriage), "
        "then the kit folders found; see README",
    )
    group = parser.add_argument_group("analysis options")
    group.add_argument("--allowlist", help="allowlist YAML file")
    group.add_argument(
        "--sigma-rules",
        "--sigma_rules",
        dest="sigma_rules",
        action="append",
        help="directory of extra Sigma rules",
    )


def AddReportArguments(parser):
    """Adds the options of the report command."""
    parser.add_argument(
        "storage_file", help="plaso storage file analysed with netsupport"
    )
    parser.add_argument("-o", "--output", required=True, help="output file")
    parser.add_argument(
        "--format",
        choices=("html", "json", "md"),
        help="output format (default: from the file extension)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite output")
