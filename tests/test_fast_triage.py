"""triage --fast finds what a full run finds, on every bundled scenario.

For each scenario the targeted two-pass extraction (the functions triage
--fast calls, in single-process mode as scenario_cache does for the full run)
is analysed and compared with the full run's analysed storage: the same
installations and verdicts, and the same tagged events, artifact by artifact
(data type, file, registry key or record number, time, time description,
labels), counted, so that a duplicate is a failure too.
"""

import collections
import concurrent.futures
import os
import subprocess

import pytest

from plaso_netsupport import plaso_commands
from plaso_netsupport.collection import fast
from plaso_netsupport.collection import targeted
from plaso_netsupport.storage import ReadDocument
from tests import findings_comparison
from tests import plaso_run
from tests import scenario_cache

pytestmark = pytest.mark.slow


def _Key(record):
    return (
        record.get("data_type"),
        record.get("display_name"),
        record.get("key_path"),
        record.get("record_number"),
        record.get("timestamp"),
        record.get("timestamp_desc"),
        tuple(sorted((record.get("tag") or {}).get("labels") or [])),
    )


def _Tagged(records):
    return collections.Counter(
        _Key(record)
        for record in records
        if "netsupport" in ((record.get("tag") or {}).get("labels") or [])
    )


def _Run(step, command, log_path):  # pylint: disable=unused-argument
    plaso_run.Run(command)


def FastTriage(image, directory):
    """The two extraction passes of triage --fast, then the analysis."""
    storage = os.path.join(directory, "case.plaso")
    command = [
        plaso_run.Script("log2timeline"),
        "--status_view",
        "none",
        "--quiet",
        "--single_process",
        "--storage_file",
        storage,
        *fast.ExtractionArguments(),
        image,
    ]
    plaso_run.Run(command, cwd=directory)
    folders = fast.SecondPass(
        _Run,
        command,
        storage,
        image,
        directory,
        lambda scratch, log: plaso_commands.AnalysisCommand(None, scratch, "none", log),
    )
    plaso_run.Analyse(storage, cwd=directory)
    records = plaso_run.JsonLines(
        storage, os.path.join(directory, "fast.jsonl"), cwd=directory
    )
    return storage, records, folders


@pytest.fixture(scope="module")
def fast_runs(tmp_path_factory):
    """Targeted runs of every scenario, two at a time (one per core).

    Each run is a chain of single-process plaso tools; running two chains at
    once halves this module's wall time on CI's two cores.
    """

    def Run(name):
        directory = str(tmp_path_factory.mktemp(f"fast_{name}"))
        try:
            return FastTriage(scenario_cache.ImagePath(name), directory)
        except Exception as exception:  # pylint: disable=broad-except
            return exception

    names = scenario_cache.Scenarios()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
        return dict(zip(names, executor.map(Run, names)))


@pytest.mark.parametrize("name", scenario_cache.Scenarios())
def test_fast_triage_finds_what_a_full_run_finds(name, fast_runs):
    full_storage, full_records = scenario_cache.Analysed(name)
    result = fast_runs[name]
    if isinstance(result, Exception):
        raise result
    storage, records, folders = result
    assert targeted.IsTargeted(storage) is True
    assert targeted.IsTargeted(full_storage) is False
    full_document = ReadDocument(full_storage)
    document = ReadDocument(storage)
    assert findings_comparison.Installations(
        document
    ) == findings_comparison.Installations(full_document)
    full_tagged, tagged = _Tagged(full_records), _Tagged(records)
    missing = full_tagged - tagged
    extra = tagged - full_tagged
    assert not missing and not extra, (missing, extra)
    # The targeted run processed a fraction of the events.
    assert len(records) < len(full_records)
    # The renamed clients sit beside the kit files: only pass 2 collects them.
    if name in ("rat_renamed", "rat_drop", "damaged"):
        assert folders, name


def test_triage_fast_command(tmp_path):
    """The --fast option end to end: the kit folder of pass 2, the sessions."""
    output = str(tmp_path / "out")
    result = plaso_run.Run(
        [
            plaso_run.Script("plaso-netsupport"),
            "triage",
            "--fast",
            "--status-view",
            "none",
            "--workers",
            "1",
            scenario_cache.ImagePath("rat_renamed"),
            "-o",
            output,
        ],
        cwd=str(tmp_path),
    )
    assert "[SUSPICIOUS] C:\\ProgramData\\CtfMonCache" in result.stdout
    storage = os.path.join(output, "case.plaso")
    assert targeted.IsTargeted(storage) is True
    with open(
        os.path.join(output, "logs", fast.FILTER_FILE_NAME), "r", encoding="utf-8"
    ) as file_object:
        assert "CtfMonCache" in file_object.read()
    assert not os.path.exists(os.path.join(output, ".netsupport-pass1.plaso"))
    document = ReadDocument(storage)
    (entry,) = document["installations"]
    assert any(
        binary["name"].lower() == "ctfmonhost.exe"
        and binary["identity"] == "renamed_client"
        for binary in entry["binaries"]
    )
    result = subprocess.run(
        [
            plaso_run.Script("plaso-netsupport"),
            "triage",
            "--fast",
            "--artifact_filters",
            "WindowsRunKeys",
            scenario_cache.ImagePath("rat_renamed"),
            "-o",
            str(tmp_path / "other"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "--fast selects" in result.stderr
