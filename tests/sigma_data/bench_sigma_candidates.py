"""Measures Sigma evaluation candidates on plaso-like EVTX event data.

Not a test (pytest does not collect it). Run:
    PYTHONPATH=<dir with azuma + pysigma-backend-sqlite> \
            .venv/bin/python tests/sigma_data/bench_sigma_candidates.py

Candidates, all with the 12 shipped rules:
    A. pySigma parser + our compiled evaluator (plaso_netsupport.sigma.engine),
          including XML parsing and the (event id, channel) index;
    B. azuma RuleSet.match_all on the same field dicts (no logsource handling:
          we must pre-filter by channel/event id ourselves);
    C. pySigma SQLite backend: rules converted to SQL, events inserted into an
          in-memory SQLite table (COLLATE NOCASE columns), one query per rule.
Correctness: every candidate is run on the positive/decoy cases of the
tests and compared with the expected rule set.
"""

import glob
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtx_events as ev  # noqa: E402

from plaso_netsupport.sigma import engine  # noqa: E402

RULES = sorted(glob.glob(os.path.join(engine.BUILTIN_RULES_DIRECTORY, "*.yml")))
PF = "C:\\Program Files (x86)\\NetSupport\\NetSupport Manager\\client32.exe"
APPDATA = "C:\\Users\\bob\\AppData\\Roaming\\Svc\\client32.exe"

CASES = [
    (ev.Service7045("Client32", f'"{PF}" /* *'), {"90c2171b", "3e93bc71"}),
    (
        ev.Service7045(
            "TeamViewer", "C:\\Program Files\\TeamViewer\\TeamViewer_Service.exe"
        ),
        set(),
    ),
    (ev.Service4697("AnyDesk", "C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe"), set()),
    (ev.Service4697("Client32", APPDATA), {"4c715f1a", "2f0633de"}),
    (ev.Process4688(APPDATA, "C:\\Windows\\explorer.exe"), {"bf2ca95a"}),
    (ev.Process4688(PF, "C:\\Windows\\services.exe"), set()),
    (
        ev.Process4688("C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\explorer.exe"),
        set(),
    ),
    (ev.Process4688("C:\\Windows\\System32\\cmd.exe", APPDATA), {"6917537f"}),
    (
        ev.Process4688(
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "C:\\Users\\bob\\AppData\\Roaming\\Svc\\remcmdstub.exe",
        ),
        {"44bcf4a0"},
    ),
    (
        ev.Process4688(
            "C:\\ProgramData\\SchCache\\remcmdstub.exe",
            "C:\\ProgramData\\SchCache\\mswow86.exe",
        ),
        {"a64688d0"},
    ),
    (
        ev.ScriptBlock4104("Start-BitsTransfer -Source $u/PCICL32.DLL -Destination $d"),
        {"e9aae485"},
    ),
    (
        ev.ScriptBlock4104(
            "Invoke-WebRequest https://example.org/report.csv -OutFile r.csv"
        ),
        set(),
    ),
    (ev.ServiceControl(7036, ["NetSupport Client", "running"]), {"2fac8506"}),
    (ev.LogCleared1102(), {"49c6cdc6"}),
]


def Fields(event_data):
    """EVTX fields without cache hits (each event parsed as if new)."""
    engine.fields_module._CACHE = engine.fields_module._FieldsCache()
    return dict(engine.EvtxFields(event_data))


def Short(rule_id):
    return rule_id[:8]


def BenchEngine(events, repeat):
    sigma_engine = engine.SigmaEngine.FromDirectories(
        [engine.BUILTIN_RULES_DIRECTORY]
    ).Compile()
    errors = 0
    for event_data, expected in CASES:
        got = {Short(m.rule_id) for m in sigma_engine.MatchEventData(event_data)}
        errors += got != expected
    start = time.perf_counter()
    for _ in range(repeat):
        for event_data in events:
            engine.fields_module._CACHE = (
                engine.fields_module._FieldsCache()
            )  # no cache hits
            sigma_engine.MatchEventData(event_data)
    elapsed = time.perf_counter() - start
    return errors, elapsed


def BenchAzuma(events, repeat):
    import azuma  # pylint: disable=import-outside-toplevel

    rules = []
    problems = []
    for path in RULES:
        try:
            rules.append(azuma.Rule.model_validate_file(path))
        except Exception as exception:  # pylint: disable=broad-except
            problems.append(f"{os.path.basename(path)}: {exception}")
    rule_set = azuma.RuleSet(root=rules)
    errors = 0
    for event_data, expected in CASES:
        fields = dict(engine.EvtxFields(event_data))
        fields["EventID"] = int(fields["EventID"])
        got = {Short(str(rule.id)) for rule in rule_set.match_all(fields)}
        errors += got != expected
    start = time.perf_counter()
    for _ in range(repeat):
        for event_data in events:
            fields = Fields(event_data)
            fields["EventID"] = int(fields["EventID"])
            rule_set.match_all(fields)
    return errors, time.perf_counter() - start, problems


def BenchSqlite(events, repeat):
    from sigma.backends.sqlite import (
        sqliteBackend,
    )  # pylint: disable=import-outside-toplevel
    from sigma.collection import (
        SigmaCollection,
    )  # pylint: disable=import-outside-toplevel

    backend = sqliteBackend()
    queries = {}
    problems = []
    for path in RULES:
        with open(path, encoding="utf-8") as file_object:
            rule_collection = SigmaCollection.from_yaml(file_object.read())
        rule = rule_collection.rules[0]
        try:
            queries[Short(str(rule.id))] = backend.convert_rule(rule)[0]
        except Exception as exception:  # pylint: disable=broad-except
            problems.append(f"{os.path.basename(path)}: {exception}")
    columns = set()
    for event_data in events + [case[0] for case in CASES]:
        columns.update(engine.EvtxFields(event_data))
    columns.update({"OriginalFileName", "param4", "Binary"})
    columns = sorted(columns)

    def Run(batch):
        connection = sqlite3.connect(":memory:")
        connection.execute(
            "CREATE TABLE logs (row_id INTEGER PRIMARY KEY, {})".format(
                ", ".join(f'"{c}" TEXT COLLATE NOCASE' for c in columns)
            )
        )
        placeholders = ", ".join("?" for _ in columns)
        rows = []
        for event_data in batch:
            fields = Fields(event_data)
            rows.append([fields.get(c) for c in columns])
        connection.executemany(
            "INSERT INTO logs ({}) VALUES ({})".format(
                ", ".join(f'"{c}"' for c in columns), placeholders
            ),
            rows,
        )
        result = {}
        for rule_id, query in queries.items():
            query = query.replace("SELECT *", "SELECT row_id", 1)
            for (row_id,) in connection.execute(query):
                result.setdefault(row_id - 1, set()).add(rule_id)
        connection.close()
        return result

    matched = Run([case[0] for case in CASES])
    errors = sum(
        matched.get(i, set()) != expected for i, (_, expected) in enumerate(CASES)
    )
    start = time.perf_counter()
    for _ in range(repeat):
        Run(events)
    return errors, time.perf_counter() - start, problems


def Main():
    # A realistic mix: mostly events no rule is about, some candidates.
    noise = [ev.MakeEventData("System", 7001, [("param1", "x")]) for _ in range(60)]
    noise += [
        ev.MakeEventData("Security", 4624, [("TargetUserName", "bob")])
        for _ in range(20)
    ]
    candidates = [case[0] for case in CASES]
    mixed = (
        noise
        + candidates
        + [
            ev.Process4688(
                "C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\services.exe"
            )
        ]
        * 6
    )
    matching_only = [e for e in candidates]
    repeat = 200
    n_rules = len(RULES)
    for name, events in (
        ("mixed (80% non-candidate)", mixed),
        ("candidates only", matching_only),
    ):
        total = len(events) * repeat
        errors, elapsed = BenchEngine(events, repeat)
        print(
            f"A engine   [{name}] errors={errors} events/s={total / elapsed:,.0f} "
            f"rules x events/s={n_rules * total / elapsed:,.0f}"
        )
        try:
            errors, elapsed, problems = BenchAzuma(events, repeat)
            print(
                f"B azuma    [{name}] errors={errors} events/s={total / elapsed:,.0f} "
                f"rules x events/s={n_rules * total / elapsed:,.0f} problems={problems}"
            )
        except ImportError as exception:
            print("B azuma not installed", exception)
        try:
            errors, elapsed, problems = BenchSqlite(events, repeat)
            print(
                f"C sqlite   [{name}] errors={errors} events/s={total / elapsed:,.0f} "
                f"rules x events/s={n_rules * total / elapsed:,.0f} problems={problems}"
            )
        except ImportError as exception:
            print("C sqlite not installed", exception)


if __name__ == "__main__":
    Main()
