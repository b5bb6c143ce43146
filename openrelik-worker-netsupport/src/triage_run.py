"""Runs `plaso-netsupport triage` for a task and turns its files into outputs.

Both tasks are thin: they stage their input files, run our command line tool
as a child process (the same command an examiner runs by hand), and register
the files it writes into its output directory, by name, as OpenRelik output
files. Nothing here imports plaso: the worker process stays small, and a
crash of plaso cannot take the Celery worker process down with it.

The evidence is never written to: inputs are reached through symbolic links
in a private staging directory, and triage copies a .plaso input before psort
stores tags in it.

Size: one job's life cycle in the order it happens (task configuration and
switches, staging the inputs, options, running the child with progress and
stop handling, collecting the outputs, OpenRelik's task result); the two
task modules import only TASK_CONFIG, GroupSources, RunTask and TaskError,
and the worker image copies src/ as it is. Splitting it would make each stage import the constants and
TaskError of the others; split the staging/options part off first if it
grows.
"""

import collections
import datetime
import functools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml
from openrelik_worker_common.file_utils import create_output_file
from openrelik_worker_common.reporting import Priority, Report, serialize_file_report
from openrelik_worker_common.task_utils import create_task_result

COMMAND_NAME = "plaso-netsupport"
SQLITE_MAGIC = b"SQLite format 3\x00"
PLASO_STORAGE_DATA_TYPE = "plaso:log2timeline:plaso_storage"

# Files `plaso-netsupport triage` writes into its output directory, with the
# display-name suffix and the OpenRelik data type of the output file.
TRIAGE_OUTPUTS = (
    ("report.html", "netsupport-report.html", "netsupport:report:html"),
    ("report.json", "netsupport-report.json", "netsupport:report:json"),
    ("report.md", "netsupport-report.md", "netsupport:report:markdown"),
    ("netsupport.csv", "netsupport-timeline.csv", "netsupport:timeline:csv"),
    ("netsupport.jsonl", "netsupport-timeline.jsonl", "netsupport:timeline:jsonl"),
    (
        "timesketch.jsonl",
        "netsupport-timesketch.jsonl",
        "netsupport:timeline:timesketch_jsonl",
    ),
    (
        "attack-layer.json",
        "netsupport-attack-layer.json",
        "netsupport:attack_navigator:layer",
    ),
    ("case.plaso", "netsupport.plaso", PLASO_STORAGE_DATA_TYPE),
)
REQUIRED_OUTPUT = "report.json"
OUTPUT_DIRECTORY = ".triage"
CONFIG_DIRECTORY = ".config"

# Checkbox fields of the task configuration that switch on a triage option of
# the same meaning. Each is passed only if `triage --help` lists the option,
# so the worker runs with every plaso-netsupport version; a new switch needs
# one line here and one entry in the task_config schema.
SWITCHES = {"fast": "--fast"}

# Seconds between two progress events, and the grace periods to stop a child.
PROGRESS_INTERVAL = 2.0
TERMINATE_GRACE = 30
OUTPUT_TAIL_LINES = 50
EWF_SEGMENT = re.compile(r"\.(e\d{2}|e[a-z]{2})$", re.IGNORECASE)
UNSAFE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._+ -]+")
# The last line of a Python traceback: "module.SomeError: message".
PYTHON_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception): \S")


class TaskError(RuntimeError):
    """A one-line error the examiner reads in OpenRelik's task result."""


# Configuration fields shared by both tasks (OpenRelik renders them as a form).
TASK_CONFIG = [
    {
        "name": "allowlist",
        "label": "Allowlist (YAML)",
        "description": (
            "plaso-netsupport allowlist: entries with one of path, gateway, "
            "licensee or signer, a reason and a review_date. Allowlisted "
            "installations stay visible, labelled netsupport_allowlisted."
        ),
        "type": "textarea",
        "required": False,
    },
    {
        "name": "sigma_rules",
        "label": "Examiner Sigma rules",
        "description": (
            "Sigma rules (YAML, several rules separated by ---) evaluated on the "
            "Windows event log records in addition to the bundled NetSupport "
            "rules; or the absolute path of a rule directory on the worker."
        ),
        "type": "textarea",
        "required": False,
    },
    {
        "name": "fast",
        "label": "Fast, targeted mode",
        "description": (
            "Use plaso-netsupport's fast, targeted mode where the installed "
            "version has it (triage --fast); otherwise the full analysis runs "
            "and the task result says so."
        ),
        "type": "checkbox",
        "required": False,
    },
]


def CommandPath():
    """Returns our command line tool, next to this Python first."""
    candidate = os.path.join(os.path.dirname(sys.executable), COMMAND_NAME)
    if os.path.exists(candidate):
        return candidate
    found = shutil.which(COMMAND_NAME)
    if not found:
        raise TaskError(f"{COMMAND_NAME} is not installed on this worker")
    return found


@functools.lru_cache(maxsize=1)
def TriageOptions():
    """Returns the options `plaso-netsupport triage --help` lists."""
    result = subprocess.run(
        [CommandPath(), "triage", "--help"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise TaskError(f"{COMMAND_NAME} triage --help exited with {result.returncode}")
    return frozenset(re.findall(r"(?<![\w-])--[A-Za-z0-9][\w-]*", result.stdout))


def SafeName(display_name, fallback):
    """Returns a file name for a staged input, from OpenRelik's display name."""
    name = os.path.basename(str(display_name or "").replace("\\", "/"))
    name = UNSAFE_NAME_CHARACTERS.sub("_", name).strip(" .")
    return name[:200] or fallback


def IsStorageFile(path):
    """True if the file starts like a plaso storage file (SQLite)."""
    if not path or not os.path.isfile(path):
        raise TaskError(f"input file not found on this worker: {path}")
    with open(path, "rb") as file_object:
        return file_object.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def GroupSources(input_files):
    """Groups input files into evidence sources.

    The segments of one EWF image (name.E01, name.E02, …) are one source;
    every other file is a source of its own.

    Returns:
        list[list[dict]]: the input files of each source, in input order.
    """
    groups = collections.OrderedDict()
    for index, input_file in enumerate(input_files):
        name = SafeName(input_file.get("display_name"), f"input-{index}")
        match = EWF_SEGMENT.search(name)
        key = ("ewf", name[: match.start()].lower()) if match else ("file", index)
        groups.setdefault(key, []).append(input_file)
    return list(groups.values())


def _ConfigText(task_config, name):
    """Returns a text field of the configuration ("" if blank), as typed."""
    value = (task_config or {}).get(name)
    if isinstance(value, list):  # some OpenRelik form fields arrive as lists
        value = "\n".join(str(item) for item in value)
    value = "" if value is None else str(value)
    return value if value.strip() else ""


def _IsTrue(value):
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


class TriageJob:
    """One run of `plaso-netsupport triage` on one evidence source."""

    def __init__(self, task, source_files, task_config, kind):
        """Initialises the job.

        Args:
            task (celery.Task): the bound task (for progress events).
            source_files (list[dict]): OpenRelik input file dictionaries of the
                source (several for a segmented EWF image).
            task_config (dict): the task configuration.
            kind (str): "storage" (a .plaso file) or "image".
        """
        self._task = task
        self._files = source_files
        self._config = task_config or {}
        self._kind = kind
        # A segmented EWF image is named by its first segment.
        self.primary_file = next(
            (
                item
                for item in source_files
                if str(item.get("display_name")).lower().endswith(".e01")
            ),
            source_files[0],
        )
        self.display_name = str(self.primary_file.get("display_name") or "input")
        self.notes = []
        self.command = []

    def Run(self, output_path):
        """Runs triage and returns (output file dictionaries, report document)."""
        work = tempfile.mkdtemp(prefix="openrelik-netsupport-")
        try:
            # Our own directories start with a dot: no staged name does.
            source = self._Stage(work)
            command = [CommandPath(), "triage", source, "-o", OUTPUT_DIRECTORY]
            command += self._Options(os.path.join(work, CONFIG_DIRECTORY))
            self.command = command
            self._Execute(command, work)
            return self._Collect(os.path.join(work, OUTPUT_DIRECTORY), output_path)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _Stage(self, directory):
        """Links the input files under their display names; returns the source.

        The source is returned relative to the staging directory (triage's
        working directory), so the reports name the evidence by its display
        name rather than by a temporary path.
        """
        names = []
        for index, input_file in enumerate(self._files):
            path = input_file.get("path")
            if not path or not os.path.isfile(path):
                raise TaskError(f"input file not found on this worker: {path}")
            name = SafeName(input_file.get("display_name"), f"input-{index}")
            if self._kind == "storage" and not name.lower().endswith(".plaso"):
                name += ".plaso"
            if name.lower() in (known.lower() for known in names):
                raise TaskError(f"two input files are named {name}")
            os.symlink(os.path.abspath(path), os.path.join(directory, name))
            names.append(name)
        if len(names) == 1:
            return names[0]
        first = [name for name in names if name.lower().endswith(".e01")]
        if not first:
            raise TaskError(f"segmented image without its .E01 segment: {names[0]}")
        return first[0]

    def _Options(self, directory):
        """Returns the triage options of the task configuration."""
        os.makedirs(directory)
        supported = TriageOptions()
        options = []
        if "--status-view" in supported:
            options += ["--status-view", "none"]
        allowlist = _ConfigText(self._config, "allowlist")
        if allowlist:
            try:
                yaml.safe_load(allowlist)
            except yaml.YAMLError as exception:
                raise TaskError(
                    "the allowlist is not valid YAML: "
                    + " ".join(str(exception).split())
                ) from None
            path = os.path.join(directory, "allowlist.yaml")
            with open(path, "w", encoding="utf-8") as file_object:
                file_object.write(allowlist + "\n")
            options += [self._Require("--allowlist", supported), path]
        rules = _ConfigText(self._config, "sigma_rules")
        if rules:
            options += [
                self._Require("--sigma-rules", supported),
                self._SigmaDirectory(rules, directory),
            ]
        for field, option in SWITCHES.items():
            if not _IsTrue(self._config.get(field)):
                continue
            if option in supported:
                options.append(option)
            else:
                self.notes.append(
                    f"{field}: this plaso-netsupport has no triage {option}; "
                    f"the full analysis ran"
                )
        return options

    @staticmethod
    def _Require(option, supported):
        if option not in supported:
            raise TaskError(f"this plaso-netsupport has no triage {option} option")
        return option

    @staticmethod
    def _SigmaDirectory(rules, directory):
        path = rules.strip()
        if "\n" not in path and os.path.isabs(path):
            if not os.path.isdir(path):
                raise TaskError(f"no such Sigma rule directory on the worker: {path}")
            return path
        try:
            documents = [document for document in yaml.safe_load_all(rules)]
        except yaml.YAMLError as exception:
            raise TaskError(
                "the Sigma rules are not valid YAML: "
                + " ".join(str(exception).split())
            ) from None
        if not documents or not all(isinstance(item, dict) for item in documents):
            raise TaskError("the Sigma rules field holds no Sigma rule")
        rule_directory = os.path.join(directory, "sigma")
        os.makedirs(rule_directory)
        with open(
            os.path.join(rule_directory, "examiner_rules.yml"), "w", encoding="utf-8"
        ) as file_object:
            file_object.write(rules + "\n")
        return rule_directory

    def _Execute(self, command, work):
        """Runs triage, sends its progress lines as events, raises on failure."""
        self._task.send_event(
            "task-progress", data={"status": "starting", "source": self.display_name}
        )
        tail = collections.deque(maxlen=OUTPUT_TAIL_LINES)
        process = subprocess.Popen(
            command,
            cwd=work,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        try:
            last_event = 0.0
            for line in process.stdout:
                # Temporary paths mean nothing to the examiner.
                line = line.rstrip().replace(work + os.sep, "")
                if not line:
                    continue
                tail.append(line)
                now = time.monotonic()
                if (
                    line.startswith(COMMAND_NAME)
                    and now - last_event >= PROGRESS_INTERVAL
                ):
                    last_event = now
                    self._task.send_event(
                        "task-progress",
                        data={"status": line, "source": self.display_name},
                    )
            returncode = process.wait()
        except BaseException:
            # Celery's time limit or a worker shutdown: stop triage the way an
            # examiner's Ctrl-C does, then its whole process group.
            _Stop(process)
            raise
        if returncode != 0:
            raise TaskError(
                f"{COMMAND_NAME} triage failed on {self.display_name} "
                f"(exit {returncode}): {_ErrorLine(tail)}"
            )

    def _Collect(self, directory, output_path):
        """Moves triage's files to OpenRelik output files."""
        if not os.path.isfile(os.path.join(directory, REQUIRED_OUTPUT)):
            raise TaskError(
                f"{COMMAND_NAME} triage wrote no {REQUIRED_OUTPUT} for {self.display_name}"
            )
        with open(os.path.join(directory, REQUIRED_OUTPUT), encoding="utf-8") as handle:
            document = json.load(handle)
        base = os.path.splitext(self.display_name)[0] or self.display_name
        outputs = []
        for file_name, suffix, data_type in TRIAGE_OUTPUTS:
            path = os.path.join(directory, file_name)
            if not os.path.isfile(path):
                continue
            output_file = create_output_file(
                output_path,
                display_name=f"{base}.{suffix}",
                data_type=data_type,
                source_file_id=self.primary_file.get("id"),
            )
            shutil.move(path, output_file.path)
            outputs.append((file_name, output_file))
        return outputs, document


def _Stop(process):
    if process.poll() is not None:
        return
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=TERMINATE_GRACE)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def _ErrorLine(tail):
    """Returns the error of triage's output as one line.

    That is triage's own error line, without its pointer to the logs (they
    are in the temporary directory, gone when the task ends), followed by the
    exception a plaso tool died with, if its output shows one.
    """
    prefix = f"{COMMAND_NAME}: error: "
    lines = list(tail)
    index = next(
        (i for i in range(len(lines) - 1, -1, -1) if lines[i].startswith(prefix)),
        None,
    )
    if index is None:
        message = next((line for line in reversed(lines) if line.strip()), "")
        return " ".join(message.split())[:500] or "no output"
    message = lines[index][len(prefix) :].split("; see ")[0].strip()
    cause = next(
        (line for line in reversed(lines[:index]) if PYTHON_EXCEPTION.match(line)),
        None,
    )
    if cause and cause not in message:
        message += ": " + " ".join(cause.split())[:300]
    return message


def _Now():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )


def _Version():
    from importlib import metadata  # pylint: disable=import-outside-toplevel

    try:
        return metadata.version("plaso-netsupport")
    except metadata.PackageNotFoundError:
        return "unknown"


def RunTask(task, sources, task_config, workflow_id, output_path, kind):
    """Runs triage on each source; returns OpenRelik's base64 task result.

    Raises:
        TaskError: on the first source that fails (one line, naming it).
    """
    started = _Now()
    output_files = []
    file_reports = []
    summaries = []
    installations = []
    notes = []
    commands = []
    markdown = []
    suspicious = False
    for source_files in sources:
        job = TriageJob(task, source_files, task_config, kind)
        outputs, document = job.Run(output_path)
        commands.append(" ".join(shlex.quote(part) for part in job.command))
        notes.extend(job.notes)
        found = document.get("installations") or []
        for entry in found:
            installations.append(
                {
                    "source": job.display_name,
                    "folder": entry.get("folder"),
                    "verdict": entry.get("verdict"),
                }
            )
        verdicts = collections.Counter(str(entry.get("verdict")) for entry in found)
        suspicious = suspicious or verdicts.get("suspicious", 0) > 0
        summary = f"{job.display_name}: " + (
            ", ".join(
                f"{count} {verdict}" for verdict, count in sorted(verdicts.items())
            )
            if found
            else "no NetSupport installation"
        )
        summaries.append(summary)
        report = Report(f"NetSupport: {job.display_name}")
        report.summary = summary
        report.priority = Priority.HIGH if verdicts.get("suspicious") else Priority.LOW
        for file_name, output_file in outputs:
            output_files.append(output_file.to_dict())
            if file_name == "report.md":
                with open(output_file.path, encoding="utf-8") as handle:
                    text = handle.read()
                markdown.append(text)
                file_reports.append(
                    serialize_file_report(job.primary_file, output_file, report)
                )
    task_report = Report("NetSupport analysis")
    task_report.summary = "; ".join(summaries)
    task_report.priority = Priority.HIGH if suspicious else Priority.LOW
    section = task_report.add_section()
    for text in markdown:
        section.add_paragraph(text)
    for note in notes:
        section.add_bullet(note)
    return create_task_result(
        output_files=output_files,
        workflow_id=workflow_id,
        command="; ".join(commands),
        meta={
            "plaso_netsupport_version": _Version(),
            "installations": installations,
            "notes": notes,
            "started_at": started,
            "finished_at": _Now(),
        },
        file_reports=file_reports,
        task_report=task_report.to_dict(),
    )
