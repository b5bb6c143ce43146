"""Detection quality of the netsupport analysis over every forge scenario.

The ground truth of a scenario (test_data/scenarios/NAME.truth.yaml):

  scenario: NAME
  installations:            # every installation the report must list
    - {folder: '\\Program Files (x86)\\NetSupport\\NetSupport Manager', verdict: sanctioned}
  tagged:                   # evidence; the FIRST entry whose selector matches
    - name: what it is      # an event decides that event's exact label set
      select: {data_type: ..., contains: {field: substring},
               not_contains: {field: substring}, timestamp: 'YYYY-MM-DD HH:MM:SS'}
      count: 4              # exactly this many events match (or min: N, at
      labels: [netsupport, attack_t1219, attack_t1219_002]  # least N; default min 1)
      optional: true        # (rare) the contract leaves it open: the events
                            # carry either no label or exactly these
  untagged:                 # events that must carry no label at all
    - {name: ..., select: {...}}

Rules checked (tests/test_analysis_scenarios.py and `make eval`):

* every event a `tagged` entry claims carries exactly that entry's labels
  (missing and extra labels both fail);
* no event outside the `tagged` entries carries any label ("no other event
  carries netsupport"), and every `untagged` event carries none;
* the report lists exactly the installations of the truth, each with its
  verdict.

`python -m tests.eval` (or `make eval`) runs the real log2timeline and psort
on every bundled image and prints the detection-quality table.
"""

import argparse
import datetime
import json
import re
import os
import subprocess
import sys

import yaml

from tests import scenario_cache

SELECT_KEYS = frozenset(["data_type", "contains", "not_contains", "timestamp"])
ENTRY_KEYS = frozenset(["name", "select", "labels", "count", "min", "optional"])
VERDICTS = ("sanctioned", "suspicious")


def TruthPath(name):
    """Returns the path of a scenario's ground-truth file."""
    return os.path.join(scenario_cache.SCENARIOS_DIRECTORY, f"{name}.truth.yaml")


def TruthScenarios():
    """Returns the names of the bundled scenarios with an image and a truth."""
    return [
        name for name in scenario_cache.Scenarios() if os.path.exists(TruthPath(name))
    ]


def LoadTruth(name):
    """Loads and checks the form of a ground-truth file; raises ValueError."""
    with open(TruthPath(name), "r", encoding="utf-8") as file_object:
        truth = yaml.safe_load(file_object)
    problems = []
    if truth.get("scenario") != name:
        problems.append(f"scenario: {truth.get('scenario')!r} is not {name!r}")
    for installation in truth.get("installations") or []:
        if installation.get("verdict") not in VERDICTS + ("allowlisted",):
            problems.append(f"installation verdict {installation.get('verdict')!r}")
    for group in ("tagged", "untagged"):
        for entry in truth.get(group) or []:
            unknown = set(entry) - ENTRY_KEYS
            unknown_select = set(entry.get("select") or {}) - SELECT_KEYS
            if unknown or unknown_select or "select" not in entry:
                problems.append(
                    f"{group} {entry.get('name')!r}: unknown keys "
                    f"{sorted(unknown | unknown_select)} (count/min belong to the "
                    "entry, not the selector)"
                )
            if group == "tagged" and "netsupport" not in (entry.get("labels") or []):
                problems.append(f"tagged {entry.get('name')!r}: labels lack netsupport")
            if "count" in entry and "min" in entry:
                problems.append(f"{group} {entry.get('name')!r}: both count and min")
    if problems:
        raise ValueError(f"{TruthPath(name)}:\n" + "\n".join(problems))
    return truth


def Labels(record):
    """Returns the labels of a psort json_line record as a set."""
    tag = record.get("tag") or {}
    labels = tag.get("labels", []) if isinstance(tag, dict) else tag
    return set(labels or [])


def Time(record):
    """Returns a record's timestamp as 'YYYY-MM-DD HH:MM:SS' (UTC)."""
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(
        microseconds=record["timestamp"]
    )
    return moment.strftime("%Y-%m-%d %H:%M:%S")


FILE_DATA_TYPES = frozenset(["fs:stat", "fs:stat:ntfs"])
PE_IDENTITY_DATA_TYPE = "netsupport:pe:version_info"


def Matches(record, select):
    """Whether a json_line record matches a truth selector.

    `contains` and `not_contains` compare lower-cased substrings of str(value)
    (for list fields Python's repr doubles backslashes; avoid them there).
    """
    if "data_type" in select and record.get("data_type") != select["data_type"]:
        return False
    if "timestamp" in select and Time(record) != str(select["timestamp"])[:19]:
        return False
    for field, substring in (select.get("contains") or {}).items():
        value = record.get(field)
        if value is None or str(substring).lower() not in str(value).lower():
            return False
    for field, substring in (select.get("not_contains") or {}).items():
        value = record.get(field)
        if value is not None and str(substring).lower() in str(value).lower():
            return False
    return True


def Describe(record):
    """Returns a short description of a record for failure messages."""
    where = (
        record.get("filename")
        or record.get("key_path")
        or record.get("display_name")
        or record.get("path")
        or ""
    )
    extra = ""
    if record.get("data_type") == "windows:evtx:record":
        extra = f" event {record.get('event_identifier')}"
    return f"{record.get('data_type')}{extra} {Time(record)} {where}".strip()


def Evaluate(truth, records, installations):
    """Compares an analysed timeline and report with the ground truth.

    Args:
      truth (dict): the loaded truth file.
      records (list[dict]): psort json_line records after the analysis.
      installations (list[dict]): the report's installations (folder, verdict).

    Returns:
      dict: expected (events the truth claims), tagged (of those, carrying
          netsupport), exact (of those, with exactly the expected labels),
          false_tags (events outside the truth carrying a label, and
          untagged events carrying one), failures (messages), verdicts
          (list of (expected, judged) per installation; judged None when the
          report lacks it, expected None when the truth lacks it).
    """
    entries = truth.get("tagged") or []
    claimed = {}
    counts = [0] * len(entries)
    for index, record in enumerate(records):
        for position, entry in enumerate(entries):
            if Matches(record, entry["select"]):
                claimed[index] = position
                counts[position] += 1
                break
    failures = []
    for position, entry in enumerate(entries):
        if "count" in entry and counts[position] != entry["count"]:
            failures.append(
                f"{entry['name']}: {counts[position]} events match, want {entry['count']}"
            )
        elif counts[position] < entry.get("min", 0 if entry.get("optional") else 1):
            failures.append(
                f"{entry['name']}: {counts[position]} events match, "
                f"want >= {entry.get('min', 1)}"
            )
    tagged = exact = 0
    reported = set()
    for index, position in list(claimed.items()):
        record = records[index]
        labels = Labels(record)
        expected = set(entries[position]["labels"])
        if entries[position].get("optional"):
            if labels and labels != expected and position not in reported:
                reported.add(position)
                failures.append(
                    f"{entries[position]['name']} (optional): {Describe(record)} "
                    f"has {sorted(labels)}, want none or {sorted(expected)}"
                )
            del claimed[index]
            continue
        if "netsupport" in labels:
            tagged += 1
        if labels == expected:
            exact += 1
        elif position not in reported:
            reported.add(position)
            missing = sorted(expected - labels)
            extra = sorted(labels - expected)
            failures.append(
                f"{entries[position]['name']}: {Describe(record)} "
                f"lacks {missing} has extra {extra}"
            )
    # A PE file's version information and signature (pe_version_info) is
    # evidence about that file: it must carry exactly the labels the truth
    # expects on the same file's file-system events (none for a file the truth
    # does not tag, such as \Windows\explorer.exe).
    file_labels = {}
    for index, position in claimed.items():
        record = records[index]
        if record.get("data_type") in FILE_DATA_TYPES and not entries[position].get(
            "optional"
        ):
            file_labels.setdefault(record.get("display_name"), set()).update(
                entries[position]["labels"]
            )
    for index, record in enumerate(records):
        if index in claimed or record.get("data_type") != PE_IDENTITY_DATA_TYPE:
            continue
        expected = file_labels.get(record.get("display_name"), set())
        labels = Labels(record)
        if not expected and not labels:
            continue
        claimed[index] = None
        if "netsupport" in labels:
            tagged += 1
        if labels == expected:
            exact += 1
        else:
            failures.append(
                f"PE identity of a file: {Describe(record)} has {sorted(labels)}, "
                f"want those of the file {sorted(expected)}"
            )
    false_tags = []
    for index, record in enumerate(records):
        if index not in claimed and Labels(record):
            false_tags.append((index, f"{Describe(record)} {sorted(Labels(record))}"))
    optional = {
        index
        for index, record in enumerate(records)
        if index not in claimed
        and Labels(record)
        and any(
            entry.get("optional") and Matches(record, entry["select"])
            for entry in entries
        )
    }
    false_tags = [text for index, text in false_tags if index not in optional]
    for entry in truth.get("untagged") or []:
        for index, record in enumerate(records):
            if index in claimed and Matches(record, entry["select"]):
                failures.append(f"untagged {entry['name']!r} overlaps a tagged entry")
                break
    failures.extend(f"false tag: {text}" for text in false_tags[:30])
    # The findings document shows folders as on the evidence, with the drive
    # letter ("C:\\ProgramData\\..."); the truth has them volume-relative.
    judged = {
        re.sub(r"^[a-z]:", "", item["folder"].lower()): item["verdict"]
        for item in installations or []
    }
    verdicts = []
    for item in truth.get("installations") or []:
        verdicts.append((item["verdict"], judged.pop(item["folder"].lower(), None)))
        if verdicts[-1][0] != verdicts[-1][1]:
            failures.append(
                f"installation {item['folder']}: judged {verdicts[-1][1]}, "
                f"want {item['verdict']}"
            )
    for folder, verdict in sorted(judged.items()):
        verdicts.append((None, verdict))
        failures.append(f"installation {folder} judged {verdict}, not in the truth")
    return {
        "expected": len(claimed),
        "tagged": tagged,
        "exact": exact,
        "false_tags": false_tags,
        "failures": failures,
        "verdicts": verdicts,
    }


def Report(storage):
    """Returns the stored netsupport report of a storage file as a dict."""
    output = subprocess.run(
        [sys.executable, "-m", "plaso_netsupport.show_report", storage, "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


def EvaluateScenario(name):
    """Extracts, analyses and evaluates one bundled scenario."""
    storage, records = scenario_cache.Analysed(name)
    document = Report(storage)
    return Evaluate(LoadTruth(name), records, document.get("installations") or [])


def _Percent(part, whole):
    return "-" if not whole else f"{100.0 * part / whole:.1f}%"


def Table(results):
    """Formats the detection-quality table (Markdown) of evaluated scenarios."""
    lines = [
        "| Scenario | Expected events | Tagged `netsupport` | Exact labels "
        "| False tags | Installations right | Failed checks |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    totals = [0, 0, 0, 0, 0, 0, 0]
    matrix = {}
    for name, result in results:
        right = sum(1 for expected, judged in result["verdicts"] if expected == judged)
        total = len(result["verdicts"])
        lines.append(
            f"| {name} | {result['expected']} "
            f"| {result['tagged']} ({_Percent(result['tagged'], result['expected'])}) "
            f"| {result['exact']} ({_Percent(result['exact'], result['expected'])}) "
            f"| {len(result['false_tags'])} | {right}/{total} "
            f"| {len(result['failures'])} |"
        )
        for index, value in enumerate(
            (
                result["expected"],
                result["tagged"],
                result["exact"],
                len(result["false_tags"]),
                right,
                total,
                len(result["failures"]),
            )
        ):
            totals[index] += value
        for pair in result["verdicts"]:
            matrix[pair] = matrix.get(pair, 0) + 1
    lines.append(
        f"| **all** | {totals[0]} | {totals[1]} ({_Percent(totals[1], totals[0])}) "
        f"| {totals[2]} ({_Percent(totals[2], totals[0])}) | {totals[3]} "
        f"| {totals[4]}/{totals[5]} | {totals[6]} |"
    )
    lines.append("")
    lines.append("Verdicts (rows: truth, columns: judged by the analysis):")
    lines.append("")
    columns = ["sanctioned", "suspicious", "allowlisted", None]
    lines.append(
        "| truth \\ judged | sanctioned | suspicious | allowlisted | not reported |"
    )
    lines.append("|---|---:|---:|---:|---:|")
    for expected in ("sanctioned", "suspicious", None):
        cells = [str(matrix.get((expected, judged), 0)) for judged in columns]
        label = expected or "not in truth"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def Main(argv=None):
    """Runs the evaluation; returns 0 when every check passes, else 1."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenarios", nargs="*", help="default: every bundled scenario")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list every failed check"
    )
    parser.add_argument(
        "--dump",
        action="store_true",
        help="list every labelled event of the scenarios instead (truth drafting)",
    )
    options = parser.parse_args(argv)
    names = options.scenarios or TruthScenarios()
    if options.dump:
        for name in names:
            _, records = scenario_cache.Analysed(name)
            print(f"== {name}")
            for record in sorted(records, key=Describe):
                if Labels(record):
                    print(f"{Describe(record)} {sorted(Labels(record))}")
        return 0
    results = []
    for name in names:
        print(f"evaluating {name} ...", file=sys.stderr, flush=True)
        results.append((name, EvaluateScenario(name)))
    print(Table(results))
    failed = [(name, result) for name, result in results if result["failures"]]
    if options.verbose:
        for name, result in failed:
            print(f"\n{name}:")
            for failure in result["failures"]:
                print(f"  - {failure}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(Main())
