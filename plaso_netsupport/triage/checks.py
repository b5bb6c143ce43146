"""Checks of what the examiner gives triage, before anything runs.

Every problem is a UsageError: one line naming the file, the entry and the
problem (exit status 2). Nothing here writes anywhere but the output
directory, which it prepares.
"""

import datetime
import os
import shutil
import tempfile

import yaml

from plaso_netsupport.plaso_commands import UsageError
from plaso_netsupport.storage import CheckStorage, IsStorageFile

LOG_DIRECTORY = "logs"
# Files triage writes; --force replaces only these.
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
            first = file_object.read(1)
        if not first:
            raise UsageError(f"{path}: empty file (0 bytes), not a disk image")
        if IsStorageFile(path):
            CheckStorage(path)
            return "storage"
        return "image"
    except OSError as exception:
        raise UsageError(
            f"cannot read {path}: {exception.strerror or exception}"
        ) from None


class _DatesAsText(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """safe_load without the timestamp resolver: review dates stay text."""


_DatesAsText.yaml_implicit_resolvers = {
    key: [item for item in value if item[0] != "tag:yaml.org,2002:timestamp"]
    for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _BadDate(path):
    """Names the entry whose review_date YAML could not read as a date."""
    try:
        with open(path, "rb") as file_object:
            document = yaml.load(  # nosec: a SafeLoader subclass
                file_object.read(1024 * 1024).decode("utf-8", "replace"),
                Loader=_DatesAsText,
            )
        entries = document.get("entries") or []
    except (yaml.YAMLError, AttributeError):
        return None
    for number, entry in enumerate(entries, start=1):
        value = entry.get("review_date") if isinstance(entry, dict) else None
        try:
            datetime.date.fromisoformat(str(value))
        except ValueError as exception:
            return f"entry {number:d}: review_date {value}: {exception} (YYYY-MM-DD)"
    return None


def CheckAllowlist(path):
    """Reads the allowlist as the analysis will; UsageError on any problem."""
    # pylint: disable=import-outside-toplevel
    from plaso_netsupport.analysis import allowlist

    if not os.path.exists(path):
        raise UsageError(f"no such allowlist file: {path}")
    if os.path.isdir(path):
        raise UsageError(f"allowlist is a directory, not a YAML file: {path}")
    try:
        allowlist.Allowlist.FromFile(path)
    except allowlist.AllowlistError as exception:
        message = str(exception)
        if not message.startswith(str(path)):
            message = f"{path}: {message}"
        raise UsageError(f"invalid allowlist: {message.splitlines()[0]}") from None
    except Exception as exception:  # pylint: disable=broad-except
        # yaml.safe_load raises ValueError on a date such as 2027-13-45.
        where = _BadDate(path) or str(exception).splitlines()[0]
        raise UsageError(f"invalid allowlist: {path}: {where}") from None


def CheckSigmaRules(directory):
    """Checks an examiner's Sigma rule directory; returns problems to warn about.

    Raises:
      UsageError: when the directory is missing, unreadable or holds no
          usable rule.
    """
    # pylint: disable=import-outside-toplevel
    from plaso_netsupport.sigma import engine

    if not os.path.exists(directory):
        raise UsageError(f"no such Sigma rules directory: {directory}")
    if not os.path.isdir(directory):
        raise UsageError(f"Sigma rules path is not a directory: {directory}")
    try:
        os.listdir(directory)
    except OSError as exception:
        raise UsageError(
            f"cannot read Sigma rules directory {directory}: "
            f"{exception.strerror or exception}"
        ) from None
    rules = engine.SigmaEngine.FromDirectories([directory]).Compile()
    if not rules.rules:
        problem = rules.problems[0] if rules.problems else "no *.yml or *.yaml file"
        raise UsageError(
            f"no usable Sigma rule in {directory}: {problem.splitlines()[0]}"
        )
    return list(rules.problems)


def CheckOptions(options):
    """Checks the option values of triage; returns warnings (one line each)."""
    warnings = []
    if getattr(options, "workers", None) is not None and options.workers < 0:
        raise UsageError(f"--workers must be 0 or more, not {options.workers}")
    if getattr(options, "netsupport_allowlist", None):
        CheckAllowlist(options.netsupport_allowlist)
    for directory in getattr(options, "netsupport_sigma_rules", None) or []:
        warnings += CheckSigmaRules(directory)
    for option in ("artifact_filters_file",):
        value = getattr(options, option, None)
        if value and not os.path.isfile(value):
            raise UsageError(f"--{option}: no such file: {value}")
    value = getattr(options, "temporary_directory", None)
    if value and not os.path.isdir(value):
        raise UsageError(f"--temporary_directory: no such directory: {value}")
    return warnings


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
