"""Events only Sigma rules outside NetSupport match: tagged, counted, sampled.

Real log2timeline and psort on the forge's rat_drop image, with an
examiner's rule that matches every process creation (4688) and plaso's own
tagging plugin marking the same events in the same psort run. The analysis
tags the events its rule alone matches as soon as it sees them (they are
kept nowhere, issue 17) and lists them in the findings document only as a
count, ten examples and the psort filter that selects them all. Every
event's labels must be exact: the default analysis's labels, plus the
rule's on each 4688, plus the tagging plugin's; a lost or an extra label
fails, and so does a wrong count, example or filter.
"""

import collections
import datetime
import json
import os
import shutil

import pytest

from plaso_netsupport import storage as storage_module
from tests import plaso_run
from tests import scenario_cache
from tests.sigma_data import inline_rule

pytestmark = pytest.mark.e2e

SCENARIO = "rat_drop"
RULE_ID = "3d5c8f0a-1b2c-4d3e-9f4a-5b6c7d8e9f01"
RULE_LABELS = {
    "attack_t1059",
    "attack_t1059_003",
    "sigma_" + RULE_ID.replace("-", "_"),
}
MARK = "examiner_mark"
TAGGING_FILE = f"""{MARK}
  data_type is 'windows:evtx:record' AND event_identifier is 4688
"""


def _Labels(record):
    tag = record.get("tag") or {}
    return set(tag.get("labels", []) if isinstance(tag, dict) else tag)


def _Key(record):
    return json.dumps({k: v for k, v in record.items() if k != "tag"}, sort_keys=True)


def _IsProcessCreation(record):
    return (
        record.get("data_type") == "windows:evtx:record"
        and record.get("event_identifier") == 4688
    )


@pytest.fixture(name="analysed", scope="module")
def _Analysed(tmp_path_factory):
    if SCENARIO not in scenario_cache.Scenarios():
        pytest.skip("no image")
    directory = tmp_path_factory.mktemp("sigma_only")
    rules = inline_rule.WriteRuleDirectory(
        directory,
        """\
        selection:
            Image|endswith: '.exe'
        condition: selection
        """,
        identifier=RULE_ID,
        title="Examiner rule, any program started",
        extra="tags:\n    - attack.execution\n    - attack.t1059.003",
    )
    tagging_file = directory / "tagging.txt"
    tagging_file.write_text(TAGGING_FILE, encoding="utf-8")
    storage = str(directory / "case.plaso")
    shutil.copyfile(scenario_cache.Extracted(SCENARIO), storage)
    # psort adds the options of the plugins its --analysis names: one list.
    plaso_run.Tool(
        "psort",
        "--status_view",
        "none",
        "--analysis",
        "tagging,netsupport",
        "--tagging-file",
        str(tagging_file),
        "--netsupport-sigma-rules",
        rules,
        "-o",
        "null",
        storage,
        cwd=directory,
    )
    records = plaso_run.JsonLines(storage, str(directory / "all.jsonl"), cwd=directory)
    document = storage_module.ReadDocument(storage)
    return storage, records, document, directory


def test_every_event_has_exact_labels(analysed):
    """Default labels + the rule's on each 4688 + the tagging plugin's mark."""
    _, records, _, _ = analysed
    _, default_records = scenario_cache.Analysed(SCENARIO)
    expected = collections.Counter()
    for record in default_records:
        labels = set(_Labels(record))
        if _IsProcessCreation(record):
            labels |= RULE_LABELS | {MARK}
        expected[(_Key(record), frozenset(labels))] += 1
    actual = collections.Counter(
        (_Key(record), frozenset(_Labels(record))) for record in records
    )
    assert len(records) == len(default_records)
    missing = expected - actual
    extra = actual - expected
    assert not missing and not extra, (list(missing)[:3], list(extra)[:3])
    # The scenario has both kinds: 4688s that are NetSupport evidence and
    # 4688s only the examiner's rule tags.
    creations = [_Labels(record) for record in records if _IsProcessCreation(record)]
    assert any("netsupport" in labels for labels in creations)
    assert sum("netsupport" not in labels for labels in creations) > 10


def test_document_counts_samples_and_filter(analysed):
    """The rule's entry: all its events, the Sigma-only ones, 10 examples."""
    storage, records, document, directory = analysed
    label = "sigma_" + RULE_ID.replace("-", "_")
    tagged = [record for record in records if label in _Labels(record)]
    sigma_only = [record for record in tagged if "netsupport" not in _Labels(record)]
    (rule,) = [rule for rule in document["sigma_rules"] if rule["id"] == RULE_ID]
    assert rule["label"] == label
    assert rule["events"] == len(tagged)
    assert rule["sigma_only_events"] == len(sigma_only)
    assert document["sigma_only_events"] == len(sigma_only)
    assert document["labels"][label] == len(tagged)
    # The evidence lists every NetSupport event, and no Sigma-only one.
    assert all("netsupport" in entry["labels"] for entry in document["evidence"])
    assert sum(label in entry["labels"] for entry in document["evidence"]) == len(
        tagged
    ) - len(sigma_only)
    # Ten examples, the earliest, with the labels our analysis gave them.
    examples = rule["examples"]
    assert len(examples) == 10
    times = sorted(record["timestamp"] for record in sigma_only)
    assert [example["time"] for example in examples] == sorted(
        example["time"] for example in examples
    )
    assert examples[0]["time"].startswith(_IsoSeconds(times[0])), (
        examples[0],
        times[0],
    )
    for example in examples:
        assert set(example["labels"]) == RULE_LABELS
        # A Windows binary is kept for the rule alone; a program outside
        # \Windows is a process candidate, summarised as such.
        assert example["summary"] == "event 4688, Security" or (
            example["summary"].startswith("new process C:\\")
        ), example
    # The filter lists them all.
    assert rule["filter"] == f"tag contains '{label}'"
    listed = plaso_run.JsonLines(
        storage, str(directory / "rule.jsonl"), rule["filter"], cwd=directory
    )
    assert collections.Counter(map(_Key, listed)) == collections.Counter(
        map(_Key, tagged)
    )
    assert os.path.getsize(str(directory / "rule.jsonl")) > 0


def _IsoSeconds(microseconds):
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(
        microseconds=microseconds
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%S")
