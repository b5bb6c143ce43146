"""The netsupport analysis on every forge scenario, against its ground truth.

For each test_data/scenarios/NAME.truth.yaml: log2timeline (default,
multi-process) on NAME.E01, psort --analysis netsupport, then every selector
of the ground truth is checked against psort -o json_line output.
"""

import datetime
import os
import re
import subprocess
import sys

import pytest
import yaml

from tests import scenario_cache

pytestmark = pytest.mark.e2e


def _TruthFiles():
    names = []
    for name in scenario_cache.Scenarios():
        path = os.path.join(scenario_cache.SCENARIOS_DIRECTORY, f"{name}.truth.yaml")
        if os.path.exists(path):
            names.append(name)
    return names


def _Truth(name):
    path = os.path.join(scenario_cache.SCENARIOS_DIRECTORY, f"{name}.truth.yaml")
    with open(path, "r", encoding="utf-8") as file_object:
        return yaml.safe_load(file_object)


def _Labels(record):
    tag = record.get("tag") or {}
    return tag.get("labels", []) if isinstance(tag, dict) else list(tag)


def _Time(record):
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(
        microseconds=record["timestamp"]
    )
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _Matches(record, select):
    if "data_type" in select and record.get("data_type") != select["data_type"]:
        return False
    if "timestamp" in select and _Time(record) != str(select["timestamp"])[:19]:
        return False
    for field, substring in (select.get("contains") or {}).items():
        value = record.get(field)
        if value is None or str(substring).lower() not in str(value).lower():
            return False
    return True


def _Report(storage):
    output = subprocess.run(
        [sys.executable, "-m", "plaso_netsupport.show_report", storage, "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    import json  # pylint: disable=import-outside-toplevel

    return json.loads(output)


@pytest.mark.parametrize("name", _TruthFiles())
def test_expected_events_tagged(name):
    """Every expected event carries every expected label."""
    _, records = scenario_cache.Analysed(name)
    failures = []
    for entry in _Truth(name).get("tagged") or []:
        matched = [record for record in records if _Matches(record, entry["select"])]
        if len(matched) < entry.get("min", 1):
            failures.append(f"{entry['name']}: {len(matched)} events match")
            continue
        for record in matched:
            missing = set(entry.get("labels") or []) - set(_Labels(record))
            if missing:
                failures.append(
                    f"{entry['name']}: {record['data_type']} at {_Time(record)} "
                    f"lacks {sorted(missing)}"
                )
                break
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", _TruthFiles())
def test_no_event_tagged_outside_truth(name):
    """No event outside the ground truth carries netsupport."""
    _, records = scenario_cache.Analysed(name)
    truth = _Truth(name)
    selectors = [entry["select"] for entry in truth.get("tagged") or []]
    unexpected = [
        f"{record['data_type']} {_Time(record)} "
        f"{record.get('filename') or record.get('key_path') or record.get('display_name')}"
        for record in records
        if "netsupport" in _Labels(record)
        and not any(_Matches(record, select) for select in selectors)
    ]
    assert not unexpected, "\n".join(unexpected[:30])
    forbidden = []
    for entry in truth.get("untagged") or []:
        for record in records:
            if _Matches(record, entry["select"]) and "netsupport" in _Labels(record):
                forbidden.append(
                    f"{entry['name']}: {record['data_type']} {_Time(record)}"
                )
    assert not forbidden, "\n".join(forbidden[:30])


@pytest.mark.parametrize("name", _TruthFiles())
def test_verdicts(name):
    """The report judges each installation as the ground truth says."""
    storage, _ = scenario_cache.Analysed(name)
    document = _Report(storage)
    # The document shows folders as on the evidence ("C:\\ProgramData\\..."),
    # the ground truth volume-relative.
    verdicts = {
        re.sub(r"^[a-z]:", "", entry["folder"].lower()): entry["verdict"]
        for entry in document["installations"]
    }
    expected = {
        entry["folder"].lower(): entry["verdict"]
        for entry in _Truth(name).get("installations") or []
    }
    assert verdicts == expected
