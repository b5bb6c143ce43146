"""The netsupport analysis on every forge scenario, against its ground truth.

For each test_data/scenarios/NAME.truth.yaml: log2timeline (single process,
tests/scenario_cache.py) on NAME.E01, psort --analysis netsupport, then the
truth is checked against psort -o json_line output and the stored report
(tests/eval.py holds the truth format and the matching rules; `make eval`
prints the same checks as a table).
"""

import functools

import pytest

from tests import eval as truth_eval
from tests import scenario_cache

pytestmark = pytest.mark.e2e


@functools.lru_cache(maxsize=None)
def _Result(name):
    storage, records = scenario_cache.Analysed(name)
    document = truth_eval.Report(storage)
    return truth_eval.Evaluate(
        truth_eval.LoadTruth(name), records, document.get("installations") or []
    )


def _Failures(result, kind):
    if kind == "labels":
        return [
            failure
            for failure in result["failures"]
            if not failure.startswith(("false tag:", "installation "))
        ]
    if kind == "false_tags":
        return [
            failure
            for failure in result["failures"]
            if failure.startswith("false tag:")
        ]
    return [
        failure for failure in result["failures"] if failure.startswith("installation ")
    ]


@pytest.mark.parametrize("name", truth_eval.TruthScenarios())
def test_expected_events_tagged(name):
    """Every expected event exists (count/min) and carries exactly its labels."""
    failures = _Failures(_Result(name), "labels")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", truth_eval.TruthScenarios())
def test_no_event_tagged_outside_truth(name):
    """No event outside the ground truth carries any label."""
    failures = _Failures(_Result(name), "false_tags")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", truth_eval.TruthScenarios())
def test_verdicts(name):
    """The report lists exactly the truth's installations, with its verdicts."""
    failures = _Failures(_Result(name), "verdicts")
    assert not failures, "\n".join(failures)


def test_truth_format_rejects_misplaced_min(tmp_path, monkeypatch):
    """count/min inside a selector (the old, silently ignored form) is an error."""
    monkeypatch.setattr(scenario_cache, "SCENARIOS_DIRECTORY", str(tmp_path))
    (tmp_path / "x.truth.yaml").write_text(
        "scenario: x\ntagged:\n  - name: a\n    select: {data_type: 'fs:stat', min: 4}\n"
        "    labels: [netsupport]\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="count/min belong to the entry"):
        truth_eval.LoadTruth("x")


def test_evaluate_counts_exact_labels_and_false_tags():
    """Evaluate: first matching entry decides; extra labels and stray tags fail."""
    truth = {
        "tagged": [
            {
                "name": "renamed",
                "select": {"contains": {"filename": "svc.exe"}},
                "labels": ["netsupport", "attack_t1036", "attack_t1036_003"],
            },
            {
                "name": "kit",
                "select": {"contains": {"filename": "\\Kit\\"}},
                "count": 2,
                "labels": ["netsupport"],
            },
        ],
        "installations": [{"folder": "\\Kit", "verdict": "suspicious"}],
    }

    def record(filename, labels):
        return {
            "data_type": "fs:stat",
            "timestamp": 0,
            "filename": filename,
            "tag": {"labels": labels},
        }

    records = [
        record("\\Kit\\svc.exe", ["netsupport", "attack_t1036", "attack_t1036_003"]),
        record("\\Kit\\a.dll", ["netsupport", "attack_t1070", "attack_t1070_004"]),
        record("\\Windows\\explorer.exe", ["netsupport"]),
        record("\\Windows\\notepad.exe", []),
    ]
    result = truth_eval.Evaluate(
        truth, records, [{"folder": "\\kit", "verdict": "sanctioned"}]
    )
    assert (result["expected"], result["tagged"], result["exact"]) == (2, 2, 1)
    assert len(result["false_tags"]) == 1
    assert result["verdicts"] == [("suspicious", "sanctioned")]
    text = "\n".join(result["failures"])
    assert "kit: 1 events match, want 2" in text
    assert "has extra ['attack_t1070', 'attack_t1070_004']" in text
