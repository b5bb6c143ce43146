"""Allowlist, re-analysis and the timeline command, end to end through psort."""

import os
import shutil
import subprocess
import sys

import pytest

from tests import plaso_run
from tests import scenario_cache

pytestmark = pytest.mark.e2e

LEGIT = "legit_manager"
RAT = "rat_drop"


def _Labels(record):
    return (record.get("tag") or {}).get("labels", [])


def _Copy(name, tmp_path):
    storage = str(tmp_path / f"{name}.plaso")
    shutil.copyfile(scenario_cache.Extracted(name), storage)
    return storage


def _Allowlist(tmp_path, review_date):
    path = tmp_path / "allow.yaml"
    path.write_text(
        "entries:\n"
        "  - path: C:\\Program Files (x86)\\NetSupport\\NetSupport Manager\n"
        "    reason: IT remote support\n"
        f"    review_date: {review_date}\n",
        encoding="utf-8",
    )
    return str(path)


def _Report(storage):
    output = plaso_run.Run(
        [sys.executable, "-m", "plaso_netsupport.show_report", storage, "--json"]
    ).stdout
    import json  # pylint: disable=import-outside-toplevel

    return json.loads(output)


@pytest.mark.skipif(LEGIT not in scenario_cache.Scenarios(), reason="no image")
def test_allowlisted_installation(tmp_path):
    """An allowlisted install stays visible, labelled netsupport_allowlisted."""
    storage = _Copy(LEGIT, tmp_path)
    plaso_run.Analyse(
        storage,
        "--netsupport-allowlist",
        _Allowlist(tmp_path, "2099-12-31"),
        cwd=tmp_path,
    )
    records = plaso_run.JsonLines(
        storage, str(tmp_path / "t.jsonl"), "tag contains 'netsupport'", cwd=tmp_path
    )
    assert records
    assert all("netsupport_allowlisted" in _Labels(record) for record in records)
    assert not any("netsupport_suspicious" in _Labels(record) for record in records)
    (installation,) = _Report(storage)["installations"]
    assert installation["verdict"] == "allowlisted"
    assert "IT remote support" in installation["allowlist"]["reason"]


@pytest.mark.skipif(LEGIT not in scenario_cache.Scenarios(), reason="no image")
def test_expired_allowlist_entry_not_applied(tmp_path):
    storage = _Copy(LEGIT, tmp_path)
    plaso_run.Analyse(
        storage,
        "--netsupport-allowlist",
        _Allowlist(tmp_path, "2020-01-01"),
        cwd=tmp_path,
    )
    document = _Report(storage)
    (installation,) = document["installations"]
    assert installation["verdict"] == "sanctioned"
    # Findings document v2: an expired entry is an info finding or a note.
    assert any(
        "expired" in text
        for text in [finding["text"] for finding in installation["findings"]]
        + document["notes"]
    )


def test_invalid_allowlist_is_rejected(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("entries:\n  - path: C:\\x\n", encoding="utf-8")
    storage = str(tmp_path / "empty.plaso")
    result = plaso_run.Analyse(
        storage, "--netsupport-allowlist", str(path), cwd=tmp_path, check=False
    )
    assert result.returncode != 0
    assert "reason" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "option, value, message",
    [
        (
            "--netsupport-allowlist",
            "entries:\n  - path: C:\\x\n    reason: r\n    review_date: 2027-13-45\n",
            "invalid allowlist: ",
        ),
        ("--netsupport-sigma-rules", None, "no such Sigma rules directory: "),
    ],
)
def test_bad_plugin_option_is_one_line(tmp_path, option, value, message):
    """psort itself: one ERROR line and status 2, no traceback, no usage text."""
    if value is None:
        argument = str(tmp_path / "missing-rules")
    else:
        argument = str(tmp_path / "bad.yaml")
        (tmp_path / "bad.yaml").write_text(value, encoding="utf-8")
    storage = str(tmp_path / "rat.plaso")
    shutil.copyfile(scenario_cache.Extracted(RAT), storage)
    result = plaso_run.Analyse(storage, option, argument, cwd=tmp_path, check=False)
    assert result.returncode == 2
    output = (result.stdout + result.stderr).strip().splitlines()
    assert len(output) == 1 and output[0].startswith("ERROR: " + message), output


@pytest.mark.skipif(RAT not in scenario_cache.Scenarios(), reason="no image")
def test_reanalysis_keeps_labels(tmp_path):
    """A second analysis neither loses nor duplicates labels.

    plaso 20260720 drops a re-tag whose labels are a superset of the stored
    ones; the extension's storage-writer fix merges them.
    """
    storage = _Copy(RAT, tmp_path)
    plaso_run.Analyse(storage, "--netsupport-no-sigma", cwd=tmp_path)
    first = plaso_run.JsonLines(
        storage, str(tmp_path / "1.jsonl"), "tag contains 'netsupport'", cwd=tmp_path
    )
    plaso_run.Analyse(storage, cwd=tmp_path)
    second = plaso_run.JsonLines(
        storage, str(tmp_path / "2.jsonl"), "tag contains 'netsupport'", cwd=tmp_path
    )
    assert len(second) == len(first)
    for before, after in zip(first, second):
        assert set(_Labels(before)) <= set(_Labels(after))
        assert len(_Labels(after)) == len(set(_Labels(after)))
    assert any(
        label.startswith("sigma_") for record in second for label in _Labels(record)
    )


@pytest.mark.skipif(RAT not in scenario_cache.Scenarios(), reason="no image")
def test_timeline_command(tmp_path):
    """plaso-netsupport timeline writes the NetSupport-only CSV and JSONL."""
    storage = _Copy(RAT, tmp_path)
    command = plaso_run.Script("plaso-netsupport")
    csv_path = str(tmp_path / "ns.csv")
    plaso_run.Run([command, "timeline", storage, "-o", csv_path], cwd=tmp_path)
    with open(csv_path, encoding="utf-8") as file_object:
        lines = file_object.read().splitlines()
    assert lines[0].startswith("datetime,")
    assert len(lines) > 10 and all("netsupport" in line for line in lines[1:])
    jsonl_path = str(tmp_path / "ns.jsonl")
    plaso_run.Run(
        [command, "timeline", storage, "-o", jsonl_path, "--format", "jsonl",
         "--skip-analysis"], cwd=tmp_path
    )  # fmt: skip
    with open(jsonl_path, encoding="utf-8") as file_object:
        assert len(file_object.read().splitlines()) == len(lines) - 1
    again = plaso_run.Run(
        [command, "timeline", storage, "-o", csv_path], cwd=tmp_path, check=False
    )
    assert again.returncode == 2
    assert "not overwritten" in again.stderr and "Traceback" not in again.stderr
