"""Spilled candidate items and streamed Sigma-only events (issue 17, memory).

The collector of the analysis plugin writes process creations and service
installs that can matter only for a kit folder to a temporary file and keeps
no item for events only Sigma rules outside NetSupport match. These tests
prove that neither changes what the correlator decides (the same evidence,
kinds, installations and findings as with every item in memory, on the
correlator's table of systems and on a generated timeline full of reused
process ids), and that the memory it saves is saved: no item in memory for
such events, and a bounded heap growth per spilled process creation.
"""

import datetime
import gc
import os
import random
import tracemalloc

import pytest
from acstore.containers import interface as containers_interface

import plaso_netsupport
from plaso_netsupport import knowledge as knowledge_module
from plaso_netsupport.analysis import collector as collector_module
from plaso_netsupport.analysis import correlate
from plaso_netsupport.analysis import item as item_module
from plaso_netsupport.analysis import sigma_summary
from plaso_netsupport.sigma import engine
from plaso_netsupport.sigma import loader
from tests import analysis_events as ev
from tests import test_correlate
from tests.sigma_data import inline_rule

KIT = "C:\\ProgramData\\SchCache"
KIT_FILES = "/ProgramData/SchCache"
TODAY = datetime.date(2026, 6, 1)


def _Numbered(groups):
    """Triples in time order with storage-like event and event data ids."""
    triples = [triple for group in groups for triple in group]
    triples.sort(key=lambda triple: triple[0].timestamp)
    data_numbers = {}
    for number, (event, event_data, _) in enumerate(triples, start=1):
        data_number = data_numbers.setdefault(id(event_data), len(data_numbers) + 1)
        event.SetIdentifier(
            containers_interface.AttributeContainerIdentifier(
                name="event", sequence_number=number
            )
        )
        event.SetEventDataIdentifier(
            containers_interface.AttributeContainerIdentifier(
                name="event_data", sequence_number=data_number
            )
        )
    return triples


def _Decisions(triples, spill):
    """Collects and correlates; returns what the correlator decided."""
    known = knowledge_module.Load()
    instance = collector_module.Collector(known, spill=spill)
    for triple in triples:
        instance.Collect(*triple)
    items = instance.Items(correlate.KitImages(known, instance.items.values()))
    instance.Close()
    correlator = correlate.Correlator(known)
    evidence = correlator.Correlate(items)
    correlator.Judge(today=TODAY)
    decisions = [
        (
            item.role,
            item.path,
            tuple(sorted(item.values.items(), key=str)) if item.role else (),
            [identifier.CopyToString() for identifier in item.event_identifiers],
            item.timestamps,
            list(kinds),
            installation.folder if installation else None,
        )
        for item, installation, kinds in evidence
    ]
    installations = [
        (
            folder,
            installation.verdict,
            installation.score,
            installation.FindingCodes(),
            sorted(installation.parents),
            sorted(binary.path for binary in installation.binaries),
        )
        for folder, installation in sorted(correlator.installations.items())
    ]
    return decisions, installations, instance.number_of_spilled_items


@pytest.mark.parametrize(
    "build",
    [case[1] for case in test_correlate.CASES],
    ids=[case[0] for case in test_correlate.CASES],
)
def test_spilled_items_change_no_decision(build):
    """Every system of the correlator's table: the same decisions either way."""
    triples = _Numbered(build())
    kept = _Decisions(triples, spill=False)
    spilled = _Decisions(triples, spill=True)
    assert spilled[:2] == kept[:2]


def _Time(seconds):
    moment = datetime.datetime(2026, 3, 10, 9, 0, 0) + datetime.timedelta(
        seconds=seconds
    )
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _Timeline(seed):
    """A day of process creations with few process ids, and a kit among them.

    Reused ids end chains, kit processes start children that start
    children, some ids exit or end with their logon session; logon sessions
    get special privileges; service installs point inside and outside the
    kit folder.
    """
    randomiser = random.Random(seed)
    groups = test_correlate._Kit(KIT_FILES, "client32.exe") + [
        ev.Config(f"{KIT}\\client32.ini")
    ]
    images = [
        f"{KIT}\\client32.exe",
        f"{KIT}\\helper.exe",
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        "C:\\Users\\Bob\\AppData\\Local\\Temp\\setup.exe",
        "C:\\Users\\Bob\\Tools\\tool.exe",
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "C:\\Windows\\System32\\conhost.exe",
    ]
    weights = [2, 3, 20, 10, 10, 20, 10, 25]
    logons = ["0x3e7", "0x3a1f2", "0x4b2c3"]
    for second in range(0, 2400, 3):
        kind = randomiser.random()
        if kind < 0.8:
            image = randomiser.choices(images, weights)[0]
            groups.append(
                ev.Process(
                    image,
                    randomiser.choice(images),
                    randomiser.randrange(4, 60, 4),
                    randomiser.randrange(4, 60, 4),
                    _Time(second),
                    logon_id=randomiser.choice(logons),
                    command_line=f'"{image}" /run {second}',
                )
            )
        elif kind < 0.9:
            groups.append(
                ev.ProcessExit(
                    randomiser.choice(images),
                    randomiser.randrange(4, 60, 4),
                    _Time(second),
                )
            )
        elif kind < 0.93:
            groups.append(ev.Logoff(randomiser.choice(logons[1:]), _Time(second)))
        elif kind < 0.96:
            # Special privileges of a logon session (4672): evidence when a
            # kit process ran in it.
            groups.append(
                ev.EventLog(
                    4672,
                    "Security",
                    {
                        "SubjectUserSid": "S-1-5-21-1-2-3-1001",
                        "SubjectLogonId": randomiser.choice(logons + ["0x5c3d4"]),
                        "PrivilegeList": "SeDebugPrivilege",
                    },
                    _Time(second),
                )
            )
        else:
            folder = randomiser.choice([KIT, "C:\\ProgramData\\upd"])
            groups.append(
                ev.EventLog(
                    7045,
                    "System",
                    {
                        "ServiceName": f"Updater{second}",
                        "ImagePath": f"{folder}\\updater{second % 3}.exe",
                        "ServiceType": "user mode service",
                        "StartType": "demand start",
                        "AccountName": "LocalSystem",
                    },
                    _Time(second),
                )
            )
    return groups


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_spilled_items_change_no_decision_on_busy_timelines(seed):
    """Hundreds of process creations with reused ids: the same decisions."""
    triples = _Numbered(_Timeline(seed))
    kept = _Decisions(triples, spill=False)
    spilled = _Decisions(triples, spill=True)
    # The test exercises what it claims: items were spilled, and some of them
    # came back as evidence (kit processes' children outside the kit).
    assert spilled[2] > 100
    roles = {decision[0] for decision in kept[0]}
    assert {"process", "service_install", "privileges"} <= roles
    assert any(
        decision[0] == "process" and not decision[1].startswith("\\programdata")
        for decision in kept[0]
    )
    assert spilled[:2] == kept[:2]


def test_events_out_of_time_order_bring_every_item_back():
    """Fed out of time order, the collector spills but brings all back."""
    triples = _Numbered(_Timeline(4))
    triples.reverse()
    kept = _Decisions(triples, spill=False)
    spilled = _Decisions(triples, spill=True)
    assert spilled[2] > 100
    assert spilled[:2] == kept[:2]


def _Noise(count):
    """Process creations outside \\Windows in no kit folder, 500 process ids."""
    groups = []
    for index in range(count):
        image = f"C:\\Program Files\\Vendor{index % 7}\\app.exe"
        groups.append(
            ev.Process(
                image,
                "C:\\Windows\\explorer.exe",
                4 * (index % 500) + 4,
                4,
                _Time(index),
                logon_id="0x3e7",
                command_line=f'"{image}" --document C:\\Users\\Bob\\report{index}.docx',
            )
        )
    return _Numbered(groups)


def test_spilled_process_creation_costs_a_few_bytes():
    """No item in memory for a process outside a kit folder; tiny heap growth.

    Kept in memory, each of these process creations cost about 720 bytes
    (benchmarks/RESULTS.md), 5,500 of them about 4 MB; spilled, the heap
    grows by the process-id bookkeeping (bounded by the 500 ids), a bit per
    event data and the evtx module's bounded field cache (64 records, about
    200 KB, allocated anew while tracing).
    """
    known = knowledge_module.Load()
    triples = _Noise(6000)
    instance = collector_module.Collector(known, spill=True)
    for triple in triples[:500]:
        instance.Collect(*triple)
    gc.collect()
    # Only what our package's code allocated and still holds: in the full
    # suite other threads of the test process (xdist's, leftovers of earlier
    # tests) allocate while this runs.
    ours = [
        tracemalloc.Filter(
            True, os.path.dirname(plaso_netsupport.__file__) + "/*", all_frames=True
        )
    ]
    tracemalloc.start(8)
    try:
        before = tracemalloc.take_snapshot().filter_traces(ours)
        for triple in triples[500:]:
            instance.Collect(*triple)
        gc.collect()
        after = tracemalloc.take_snapshot().filter_traces(ours)
    finally:
        tracemalloc.stop()
    differences = after.compare_to(before, "traceback")
    # One large block is a table grown once (in the full suite: the
    # interpreter's interned strings, filled by earlier tests), not memory
    # per item; kept items would leave several blocks each (item, values,
    # events, command line), spilled ones fewer than one each.
    growth = sum(
        difference.size_diff
        for difference in differences
        if difference.count_diff != 1 or difference.size_diff < 256 * 1024
    )
    blocks = sum(difference.count_diff for difference in differences)
    assert not instance.items
    assert instance.number_of_spilled_items == 6000
    largest = [str(difference) for difference in differences[:5]]
    assert growth < 5500 * 60, largest
    assert blocks < 5500, largest
    # Nothing of them comes back when there is no kit.
    assert instance.Items(correlate.KitImages(known, [])) == []
    instance.Close()


def test_sigma_only_event_is_returned_not_kept(tmp_path):
    """stream_sigma: an event only an examiner's rule matches is no item."""
    directory = inline_rule.WriteRuleDirectory(
        tmp_path,
        """\
        selection:
            Image|endswith: '\\app.exe'
        condition: selection
        """,
        extra="tags:\n    - attack.execution\n    - attack.t1059.001",
    )
    sigma_engine = engine.SigmaEngine.FromDirectories([directory])
    known = knowledge_module.Load()
    instance = collector_module.Collector(
        known, sigma_engine=sigma_engine, spill=True, stream_sigma=True
    )
    streamed = []
    for image, pid in (
        ("C:\\Windows\\System32\\app.exe", 8),
        ("C:\\Program Files\\Vendor\\app.exe", 12),
    ):
        for triple in _Numbered(
            [ev.Process(image, "C:\\Windows\\explorer.exe", pid, 4, _Time(pid))]
        ):
            streamed.append(instance.Collect(*triple, source="evtx_security"))
    # The Windows binary is kept for nothing but the rule: streamed. The
    # other is a process candidate with a match: kept, as today.
    assert streamed[0] is not None and streamed[1] is None
    assert streamed[0].role == "sigma" and streamed[0].source == "evtx_security"
    assert [match.labels for match in streamed[0].sigma] == [
        [
            "attack_t1059",
            "attack_t1059_001",
            "sigma_5e060b81_b804_4d34_9751_14f4e99367b5",
        ]
    ]
    assert [item.role for item in instance.items.values()] == ["process"]
    assert instance.number_of_spilled_items == 0


def _SigmaOnlyItem(number, match):
    item = item_module.Item(
        "sigma", "windows:evtx:record", "", {"EventID": 4688, "Channel": "Security"}
    )
    item.AddEvent(
        containers_interface.AttributeContainerIdentifier(
            name="event", sequence_number=number
        ),
        ev.Timestamp(_Time(number)),
        "Creation Time",
    )
    item.sigma = (match,)
    item.source = "evtx_security"
    return item


@pytest.mark.parametrize("order", ["time", "reversed", "shuffled"])
def test_sigma_summary_keeps_the_earliest_examples_in_any_order(order):
    """Counts every event; the examples are the 10 earliest, whatever the order."""
    rule = loader.RuleMatch(
        "5e060b81-b804-4d34-9751-14f4e99367b5",
        "Inline Test Rule",
        "low",
        ["attack_t1059", "attack_t1059_003", "sigma_5e060b81"],
        False,
        False,
    )
    numbers = list(range(1, 501))
    if order == "reversed":
        numbers.reverse()
    elif order == "shuffled":
        random.Random(7).shuffle(numbers)
    summary = sigma_summary.SigmaSummary()
    for number in numbers:
        summary.AddSigmaOnly(_SigmaOnlyItem(number, rule), list(rule.labels), [rule])
    (entry,) = summary.Rules()
    assert (entry["events"], entry["sigma_only_events"]) == (500, 500)
    assert summary.sigma_only_events == 500
    assert summary.label_counts == {label: 500 for label in rule.labels}
    assert [example["time"] for example in entry["examples"]] == [
        f"{_Time(number).replace(' ', 'T')}.000000Z" for number in range(1, 11)
    ]
    assert entry["examples"][0] == {
        "data_type": "windows:evtx:record",
        "labels": sorted(rule.labels),
        "source": "evtx_security",
        "summary": "event 4688, Security",
        "time": "2026-03-10T09:00:01.000000Z",
        "timestamp_desc": "Creation Time",
    }
    assert entry["filter"] == "tag contains 'sigma_5e060b81'"
