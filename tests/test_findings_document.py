"""The findings document (schema 3): coverage, evidence, installations, idempotence.

Unit tests count real plaso event containers; the end-to-end tests read the
document psort --analysis netsupport stored in a bundled scenario's storage
file, and run the analysis twice to check what pinfo shows.
"""

import collections
import os
import re
import shutil

import pytest
import yaml

from dfvfs.lib import definitions as dfvfs_definitions
from dfvfs.path import factory as path_spec_factory
from plaso.containers import events
from plaso.storage import factory as storage_factory

from plaso_netsupport import knowledge
from plaso_netsupport.analysis import coverage
from plaso_netsupport.analysis import findings
from tests import eval as truth_eval
from tests import plaso_run
from tests import scenario_cache

# The overall verdict is the first of these an installation of the truth has.
_VERDICT_ORDER = ("suspicious", "sanctioned", "allowlisted", "weak")


def _ExpectedVerdict(name):
    """The overall verdict a scenario's ground truth implies."""
    # Read as is: only the installations matter here, not the truth's form.
    with open(truth_eval.TruthPath(name), "r", encoding="utf-8") as file_object:
        truth = yaml.safe_load(file_object)
    verdicts = {entry["verdict"] for entry in truth.get("installations") or []}
    for verdict in _VERDICT_ORDER:
        if verdict in verdicts:
            return verdict
    return "weak" if truth.get("tagged") else "none"


_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def _Event(data_type, timestamp, location=None, parser_chain=None):
    event = events.EventObject()
    event.timestamp = timestamp
    event.timestamp_desc = "Creation Time"
    event_data = events.EventData(data_type=data_type)
    if parser_chain:
        event_data._parser_chain = parser_chain  # pylint: disable=protected-access
    stream = None
    if location:
        stream = events.EventDataStream()
        stream.path_spec = path_spec_factory.Factory.NewPathSpec(
            dfvfs_definitions.TYPE_INDICATOR_OS, location=location
        )
    return event, event_data, stream


def test_coverage_counts_sources_by_data_type_hive_and_log():
    """Every source is counted from the event's data type or file."""
    counter = coverage.CoverageCounter(knowledge.Load())
    cases = [
        (("fs:stat", 1_700_000_000_000_000), "file_system"),
        (("fs:stat:ntfs", 1_700_000_100_000_000), "file_system"),
        (("fs:ntfs:usn_change", 5), "usn_journal"),
        (
            (
                "windows:registry:service",
                7,
                "/Windows/System32/config/SYSTEM",
                "winreg/services",
            ),
            "registry_system",
        ),
        (
            (
                "windows:registry:run",
                7,
                "/Users/a/NTUSER.DAT",
                "winreg/windows_run",
            ),
            "registry_ntuser",
        ),
        (("windows:registry:amcache", 7, "/x/Amcache.hve", "amcache"), "amcache"),
        (
            (
                "windows:evtx:record",
                9,
                "/Windows/System32/winevt/Logs/Security.evtx",
            ),
            "evtx_security",
        ),
        (
            (
                "windows:evtx:record",
                9,
                "/Windows/System32/winevt/Logs/"
                "Microsoft-Windows-PowerShell%4Operational.evtx",
            ),
            "evtx_powershell",
        ),
        # A log archived when cleared or full is still that log.
        (
            (
                "windows:evtx:record",
                9,
                "/Windows/System32/winevt/Logs/"
                "Archive-Security-2026-03-10-10-19-30-412.evtx",
            ),
            "evtx_security",
        ),
        # A log the coverage does not list, and a data type of no source.
        (("windows:evtx:record", 9, "/Logs/Application.evtx"), None),
        (("text:syslog:line", 0), None),
        (("windows:registry:key_value", -11644473600000000, "/x/SAM", "winreg"), None),
    ]
    for arguments, expected in cases:
        assert counter.Count(*_Event(*arguments)) == expected, arguments

    counts = dict((entry["source"], number) for entry, number in counter.Sources())
    assert counts == {
        "file_system": 2,
        "usn_journal": 1,
        "registry_system": 1,
        "registry_software": 0,
        "registry_ntuser": 1,
        "amcache": 1,
        "evtx_security": 2,
        "evtx_system": 0,
        "evtx_powershell": 1,
        "evtx_sysmon": 0,
        "prefetch": 0,
        "lnk": 0,
        "pe": 0,
    }
    assert counter.events_examined == len(cases)
    # "Not a time" (0) and FILETIME 0 (1601) are no point in the timeline.
    assert counter.first_timestamp == 5
    assert counter.last_timestamp == 1_700_000_100_000_000

    entry = findings.CoverageEntry(counter)
    assert [source["source"] for source in entry["sources"]] == [
        source["source"] for source in knowledge.Load().coverage_sources
    ]
    assert [missing["source"] for missing in entry["missing"]] == [
        "registry_software",
        "evtx_system",
        "evtx_sysmon",
        "prefetch",
        "lnk",
        "pe",
    ]
    assert entry["extraction_warnings"] is None
    assert entry["targeted"] is None


def test_parse_report_text_rejects_what_is_no_document():
    """Text without the marker, broken JSON or a list give None."""
    assert findings.ParseReportText(None) is None
    assert findings.ParseReportText("no marker") is None
    assert findings.ParseReportText("x" + findings.JSON_MARKER + "{broken") is None
    assert findings.ParseReportText("x" + findings.JSON_MARKER + "[1]") is None
    assert findings.ParseReportText("x" + findings.JSON_MARKER + '{"a": 1}') == {"a": 1}


def _Reports(storage):
    reader = storage_factory.StorageFactory.CreateStorageReaderForFile(storage)
    try:
        return [
            report.text
            for report in reader.GetAttributeContainers("analysis_report")
            if report.plugin_name == "netsupport"
        ]
    finally:
        reader.Close()


def _Document(name):
    storage, records = scenario_cache.Analysed(name)
    texts = _Reports(storage)
    assert len(texts) == 1
    return findings.ParseReportText(texts[0]), records


def _CheckDocument(document, records, storage):
    """The document's own consistency rules (schema 3)."""
    assert document["schema"] == "plaso_netsupport.findings"
    assert document["schema_version"] == findings.SCHEMA_VERSION == 3
    assert document["plugin"] == "netsupport"

    sources = document["coverage"]["sources"]
    assert [source["source"] for source in sources] == [
        entry["source"] for entry in knowledge.Load().coverage_sources
    ]
    for source in sources:
        assert source["present"] == (source["events"] > 0)
    assert [entry["source"] for entry in document["coverage"]["missing"]] == [
        source["source"] for source in sources if not source["present"]
    ]
    assert document["coverage"]["events_examined"] == len(records)
    assert document["coverage"]["extraction_warnings"] == len(
        plaso_run.ExtractionWarnings(storage)
    )
    assert document["coverage"]["targeted"] is False

    evidence = document["evidence"]
    assert [entry["id"] for entry in evidence] == [
        f"E{index:d}" for index in range(1, len(evidence) + 1)
    ]
    times = [entry["time"] or "" for entry in evidence]
    assert times == sorted(times)
    installation_ids = [entry["id"] for entry in document["installations"]]
    assert installation_ids == [
        f"I{index:d}" for index in range(1, len(installation_ids) + 1)
    ]
    known_sources = {source["source"] for source in sources} | {None}
    for entry in evidence:
        assert entry["time"] is None or _TIME.match(entry["time"]), entry
        assert entry["timestamp_desc"], entry
        assert entry["source"] in known_sources, entry
        assert entry["installation"] in set(installation_ids) | {None}, entry
        # Events tagged by Sigma rules outside NetSupport alone are counted
        # and sampled in sigma_rules, not listed here.
        assert "netsupport" in entry["labels"], entry
        assert entry["summary"] and len(entry["summary"]) <= 400, entry

    # Label and technique counts are counts of the tagged events: the
    # evidence records and the events tagged by Sigma alone.
    label_counts = collections.Counter(
        label for entry in evidence for label in entry["labels"]
    )
    tagged = [record for record in records if record.get("tag")]
    sigma_only = [
        record for record in tagged if "netsupport" not in record["tag"]["labels"]
    ]
    label_counts.update(
        label for record in sigma_only for label in record["tag"]["labels"]
    )
    assert document["labels"] == dict(sorted(label_counts.items()))
    assert len(tagged) == len(evidence) + document["sigma_only_events"]
    assert document["sigma_only_events"] == len(sigma_only)
    for rule in document["sigma_rules"]:
        assert rule["filter"] == f"tag contains '{rule['label']}'"
        assert rule["events"] == sum(
            1 for record in tagged if rule["label"] in record["tag"]["labels"]
        )
        assert rule["sigma_only_events"] == sum(
            1 for record in sigma_only if rule["label"] in record["tag"]["labels"]
        )
        assert len(rule["examples"]) == min(10, rule["sigma_only_events"])

    evidence_ids = {entry["id"] for entry in evidence}
    by_id = {entry["id"]: entry for entry in evidence}
    for installation in document["installations"]:
        assert installation["verdict"] in (
            "suspicious",
            "sanctioned",
            "allowlisted",
            "weak",
        )
        assert installation["score"] == sum(
            finding["weight"]
            for finding in installation["findings"]
            if finding["direction"] == "suspicious"
        )
        assert installation["activity"]["events"] == sum(
            1 for entry in evidence if entry["installation"] == installation["id"]
        )
        for finding in installation["findings"]:
            assert finding["code"] and re.match(r"^[a-z0-9_]+$", finding["code"])
            assert set(finding["evidence"]) <= evidence_ids
        for part in ("executions", "binaries", "persistence"):
            for entry in installation[part]:
                assert set(entry["evidence"]) <= evidence_ids
        for binary in installation["binaries"]:
            for identifier in binary["evidence"]:
                assert by_id[identifier]["installation"] == installation["id"]
    return document


@pytest.mark.e2e
@pytest.mark.parametrize("name", truth_eval.TruthScenarios())
def test_scenario_document(name):
    """Each bundled scenario's document is consistent and has its verdict."""
    document, records = _Document(name)
    _CheckDocument(document, records, scenario_cache.Analysed(name)[0])
    assert document["verdict"] == _ExpectedVerdict(name)
    if document["verdict"] == "none":
        assert not document["installations"]
        assert not document["evidence"]
        # "Nothing found" comes with what was examined.
        text = _Reports(scenario_cache.Analysed(name)[0])[0]
        assert "No NetSupport traces found in the sources examined above" in text
        assert "Coverage:" in text


@pytest.mark.e2e
def test_rat_drop_evidence_summaries():
    """Process, script block and Run key evidence show their key fields."""
    document, _ = _Document("rat_drop")
    summaries = collections.defaultdict(list)
    for entry in document["evidence"]:
        summaries[entry["source"]].append(entry["summary"])
    processes = [text for text in summaries["evtx_security"] if "new process" in text]
    assert processes and all("parent " in text for text in processes)
    scripts = summaries["evtx_powershell"]
    assert scripts and all(text.startswith("script block: ") for text in scripts)
    assert all(len(text) <= len("script block: ") + 200 for text in scripts)
    runs = [text for text in summaries["registry_ntuser"] if " = " in text]
    assert runs
    (installation,) = document["installations"]
    assert installation["verdict"] == "suspicious"
    assert installation["score"] > 0
    assert installation["gateways"][0]["role"] == "primary"


def _PinfoLabelsAndReports(storage, cwd):
    """Returns (label counts, number of netsupport reports) as pinfo prints them."""
    output = plaso_run.Tool("pinfo", storage, cwd=cwd).stdout
    labels = {}
    section = output.partition("Event tags generated per label")[2]
    for line in section.splitlines()[3:]:
        if line.startswith("---") or not line.strip():
            break
        label, _, count = line.partition(" : ")
        labels[label.strip()] = int(count)
    reports = re.findall(r"Analysis report: \d+ \*+\n\s*Name plugin : (\S+)", output)
    return labels, reports.count("netsupport")


@pytest.mark.e2e
def test_reanalysis_is_idempotent(tmp_path):
    """A second psort --analysis netsupport leaves pinfo's labels and reports."""
    storage = str(tmp_path / "twice.plaso")
    shutil.copyfile(scenario_cache.Extracted("rat_drop"), storage)

    plaso_run.Analyse(storage, cwd=str(tmp_path))
    labels_once, reports_once = _PinfoLabelsAndReports(storage, str(tmp_path))
    (text_once,) = _Reports(storage)

    plaso_run.Analyse(storage, cwd=str(tmp_path))
    labels_twice, reports_twice = _PinfoLabelsAndReports(storage, str(tmp_path))
    (text_twice,) = _Reports(storage)

    assert reports_once == reports_twice == 1
    assert labels_once["netsupport"] > 0
    assert labels_twice == labels_once
    document = findings.ParseReportText(text_once)
    assert {label: labels_once[label] for label in document["labels"]} == (
        document["labels"]
    )
    # The same storage gives the byte-identical document.
    assert text_twice.partition(findings.JSON_MARKER)[2] == (
        text_once.partition(findings.JSON_MARKER)[2]
    )
    assert os.path.getsize(storage) > 0
