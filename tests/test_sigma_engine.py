"""Tests of the Sigma engine: modifiers, conditions, examiner rules, problems, hostile XML."""

import base64
import os
import pickle
import sys
import textwrap
import time

import pytest

from plaso.containers import events

from plaso_netsupport.sigma import engine

DATA = os.path.join(os.path.dirname(__file__), "sigma_data")
sys.path.insert(0, DATA)
import evtx_events as ev  # noqa: E402  pylint: disable=wrong-import-position
import inline_rule  # noqa: E402  pylint: disable=wrong-import-position

ENCODED = base64.b64encode(
    "IEX (New-Object Net.WebClient)".encode("utf-16-le")
).decode()
EVENT = ev.Process4688(
    "C:\\Users\\bob\\AppData\\Roaming\\Svc\\client32.exe",
    "C:\\Windows\\System32\\cmd.exe",
    "client32.exe /S -silent http://10.1.2.3/x powershell -enc " + ENCODED,
)
NETWORK = ev.MakeEventData(
    "Microsoft-Windows-Sysmon/Operational",
    3,
    [
        ("Image", "C:\\ProgramData\\x\\client32.exe"),
        ("DestinationIp", "185.100.65.7"),
        ("DestinationPort", "443"),
        ("DestinationHostname", "geo.netsupportsoftware.com"),
    ],
)


def _Engine(tmp_path, detection, logsource="category: process_creation", extra=""):
    directory = inline_rule.WriteRuleDirectory(
        tmp_path, detection, logsource=logsource, extra=extra
    )
    sigma_engine = engine.SigmaEngine.FromDirectories([directory])
    assert sigma_engine.problems == [], sigma_engine.problems
    return sigma_engine


def _Matches(tmp_path, detection, event_data=EVENT, **kwargs):
    return bool(_Engine(tmp_path, detection, **kwargs).MatchEventData(event_data))


MODIFIER_CASES = [
    # (name, detection, expected)
    (
        "equals case-insensitive",
        "sel:\n    Image: 'c:\\users\\BOB\\appdata\\roaming\\svc\\CLIENT32.EXE'\ncondition: sel",
        True,
    ),
    ("equals no partial", "sel:\n    Image: 'client32.exe'\ncondition: sel", False),
    ("contains", "sel:\n    CommandLine|contains: '-SILENT'\ncondition: sel", True),
    (
        "contains miss",
        "sel:\n    CommandLine|contains: 'anydesk'\ncondition: sel",
        False,
    ),
    ("startswith", "sel:\n    Image|startswith: 'C:\\Users\\'\ncondition: sel", True),
    (
        "startswith miss",
        "sel:\n    Image|startswith: 'C:\\Windows\\'\ncondition: sel",
        False,
    ),
    ("endswith", "sel:\n    ParentImage|endswith: '\\CMD.exe'\ncondition: sel", True),
    (
        "contains all",
        "sel:\n    CommandLine|contains|all: ['/S', 'silent', 'http://']\ncondition: sel",
        True,
    ),
    (
        "contains all miss",
        "sel:\n    CommandLine|contains|all: ['/S', 'nothere']\ncondition: sel",
        False,
    ),
    (
        "list is or",
        "sel:\n    CommandLine|contains: ['nothere', 'silent']\ncondition: sel",
        True,
    ),
    (
        "wildcard star",
        "sel:\n    Image: 'C:\\Users\\\\*\\client32.exe'\ncondition: sel",
        True,
    ),
    (
        "backslash-star is a literal star",
        "sel:\n    Image: 'C:\\Users\\*\\client32.exe'\ncondition: sel",
        False,
    ),
    ("wildcard question", "sel:\n    Image: '*\\client3?.exe'\ncondition: sel", True),
    (
        "wildcard question miss",
        "sel:\n    Image: '*\\client?.exe'\ncondition: sel",
        False,
    ),
    (
        "escaped star is literal",
        "sel:\n    Image: '*\\client32.\\*'\ncondition: sel",
        False,
    ),
    (
        "re",
        "sel:\n    CommandLine|re: 'https?://\\d+\\.\\d+\\.\\d+\\.\\d+/'\ncondition: sel",
        True,
    ),
    (
        "re case-sensitive",
        "sel:\n    CommandLine|re: 'CLIENT32'\ncondition: sel",
        False,
    ),
    ("re i flag", "sel:\n    CommandLine|re|i: 'CLIENT32'\ncondition: sel", True),
    (
        "windash",
        "sel:\n    CommandLine|windash|contains: ' /silent'\ncondition: sel",
        True,
    ),
    (
        "windash miss",
        "sel:\n    CommandLine|windash|contains: ' -quiet'\ncondition: sel",
        False,
    ),
    ("cased", "sel:\n    CommandLine|cased|contains: '-SILENT'\ncondition: sel", False),
    (
        "cased hit",
        "sel:\n    CommandLine|cased|contains: '-silent'\ncondition: sel",
        True,
    ),
    (
        "base64offset utf16",
        "sel:\n    CommandLine|wide|base64offset|contains: 'Net.WebClient'\ncondition: sel",
        True,
    ),
    (
        "base64 plain",
        "sel:\n    CommandLine|base64|contains: 'IEX'\ncondition: sel",
        False,
    ),
    ("exists", "sel:\n    ParentImage|exists: true\ncondition: sel", True),
    ("exists false", "sel:\n    OriginalFileName|exists: false\ncondition: sel", True),
    ("null", "sel:\n    OriginalFileName: null\ncondition: sel", True),
    ("fieldref", "sel:\n    NewProcessName|fieldref: Image\ncondition: sel", True),
    ("number", "sel:\n    EventID: 4688\ncondition: sel", True),
    ("gt", "sel:\n    ProcessId|gt: 499\ncondition: sel", True),
    ("lte miss", "sel:\n    ProcessId|lte: 10\ncondition: sel", False),
    ("keyword", "keywords:\n    - 'http://10.1.2.3'\ncondition: keywords", True),
    ("keyword miss", "keywords:\n    - 'anydesk'\ncondition: keywords", False),
    (
        "case-insensitive field name",
        "sel:\n    image|endswith: 'client32.exe'\ncondition: sel",
        True,
    ),
]


@pytest.mark.parametrize(
    "name,detection,expected", MODIFIER_CASES, ids=[case[0] for case in MODIFIER_CASES]
)
def test_modifiers(tmp_path, name, detection, expected):
    del name
    assert _Matches(tmp_path, detection) is expected


@pytest.mark.parametrize(
    "value,expected", [("185.100.0.0/16", True), ("10.0.0.0/8", False)]
)
def test_cidr(tmp_path, value, expected):
    detection = f"sel:\n    DestinationIp|cidr: '{value}'\ncondition: sel"
    assert (
        _Matches(tmp_path, detection, NETWORK, logsource="category: network_connection")
        is expected
    )


SELECTIONS = textwrap.dedent("""\
        sel_a:
                Image|endswith: '\\client32.exe'
        sel_b:
                ParentImage|endswith: '\\cmd.exe'
        sel_c:
                CommandLine|contains: 'nothere'
        other:
                User: 'CORP\\bob'
        """)

CONDITION_CASES = [
    ("and", "sel_a and sel_b", True),
    ("and false", "sel_a and sel_c", False),
    ("or", "sel_c or sel_b", True),
    ("not", "not sel_c", True),
    ("not false", "not sel_a", False),
    ("and not", "sel_a and not sel_c", True),
    ("1 of pattern", "1 of sel_*", True),
    ("all of pattern", "all of sel_*", False),
    ("all of pattern true", "all of sel_a* and other", True),
    ("1 of them", "1 of them", True),
    ("all of them", "all of them", False),
    ("parentheses", "(sel_c or sel_a) and (other or sel_c)", True),
    ("parentheses false", "sel_c or (sel_a and not other)", False),
    ("precedence", "sel_c and sel_a or other", True),
]


@pytest.mark.parametrize(
    "name,condition,expected",
    CONDITION_CASES,
    ids=[case[0] for case in CONDITION_CASES],
)
def test_conditions(tmp_path, name, condition, expected):
    del name
    assert _Matches(tmp_path, SELECTIONS + f"condition: {condition}") is expected


def test_condition_list_is_or(tmp_path):
    assert _Matches(tmp_path, SELECTIONS + "condition:\n    - sel_c\n    - other")


def test_logsource_channel_and_event_identifier(tmp_path):
    sigma_engine = _Engine(
        tmp_path, "sel:\n    param1: 'x'\ncondition: sel", logsource="service: system"
    )
    assert sigma_engine.any_event_identifier and sigma_engine.CouldMatch(1)
    assert sigma_engine.MatchEventData(ev.MakeEventData("System", 1, [("param1", "X")]))
    assert not sigma_engine.MatchEventData(
        ev.MakeEventData("Application", 1, [("param1", "X")])
    )
    # process_creation must not fire on a System event with the same fields.
    sigma_engine = _Engine(
        tmp_path, "sel:\n    Image|endswith: 'client32.exe'\ncondition: sel"
    )
    assert sigma_engine.event_identifiers == frozenset({1, 4688})
    assert not sigma_engine.any_event_identifier
    wrong_channel = ev.MakeEventData("System", 4688, [("Image", "c:\\client32.exe")])
    assert not sigma_engine.MatchEventData(wrong_channel)


def test_non_candidate_event_is_not_parsed(monkeypatch):
    sigma_engine = engine.SigmaEngine.FromDirectories(
        [engine.BUILTIN_RULES_DIRECTORY]
    ).Compile()
    calls = []
    monkeypatch.setattr(engine, "EvtxFields", lambda event_data: calls.append(1) or {})
    assert not sigma_engine.MatchEventData(
        ev.MakeEventData("Security", 4624, [("A", "b")])
    )
    other = events.EventData(data_type="fs:stat")
    assert not sigma_engine.MatchEventData(other)
    assert not calls
    assert (
        4624 not in sigma_engine.event_identifiers
        and 7045 in sigma_engine.event_identifiers
    )


def test_examiner_directory():
    sigma_engine = engine.SigmaEngine.FromDirectories(
        [engine.BUILTIN_RULES_DIRECTORY, os.path.join(DATA, "examiner")]
    )
    assert sigma_engine.problems == []
    examiner = {rule.title: rule for rule in sigma_engine.rules if not rule.builtin}
    assert len(examiner) == 3
    shell = ev.Process4688(
        "C:\\Windows\\System32\\whoami.exe",
        "C:\\Windows\\System32\\cmd.exe",
        "whoami /all",
    )
    (match,) = sigma_engine.MatchEventData(shell)
    assert not match.builtin
    assert match.labels == [
        "netsupport",
        "attack_t1033",
        "sigma_7b0d6a55_1c1e_4b8e_9f51_0c6f3e1f6a01",
    ]
    # Generic examiner rule: no netsupport label; fires with the builtin script block rule.
    block = ev.ScriptBlock4104(
        "Start-BitsTransfer -Source $u/client32.exe -Destination $d"
    )
    labels = {m.rule_id: m.labels for m in sigma_engine.MatchEventData(block)}
    assert labels["7b0d6a55-1c1e-4b8e-9f51-0c6f3e1f6a02"] == [
        "attack_t1197",
        "sigma_7b0d6a55_1c1e_4b8e_9f51_0c6f3e1f6a02",
    ]
    assert "netsupport" in labels["e9aae485-0082-45b3-9b03-673b874da47d"]
    # A rule without id is labelled by its sanitized title; it matches any Security event id.
    assert sigma_engine.any_event_identifier
    evil = ev.MakeEventData("Security", 4624, [("TargetUserName", "x")])
    evil.xml_string = evil.xml_string.replace("WS01.corp.local", "EVIL-PC.corp")
    (match,) = sigma_engine.MatchEventData(evil)
    assert match.labels == ["sigma_any_security_event_from_host_evil_pc"]


def test_broken_rules_are_reported():
    directory = os.path.join(DATA, "broken")
    sigma_engine = engine.SigmaEngine.FromDirectories([directory])
    assert sigma_engine.rules == []
    problems = {os.path.basename(p.split(": ", 1)[0]): p for p in sigma_engine.problems}
    assert set(problems) == set(os.listdir(directory))
    assert "invalid YAML" in problems["invalid_yaml.yml"]
    assert "must have a detection" in problems["missing_detection.yml"]
    assert "Unknown modifier 'fuzzymatch'" in problems["unsupported_modifier.yml"]
    assert (
        "correlation rules (type event_count) are not supported"
        in problems["unsupported_correlation.yml"]
    )
    assert (
        "unsupported: unresolved placeholder 'admin_tools'"
        in problems["unsupported_expand.yml"]
    )
    assert "not in Windows event logs" in problems["unsupported_logsource.yml"]
    for path, problem in problems.items():
        assert problem.startswith(os.path.join(directory, path) + ": ")


def test_missing_directory_is_reported(tmp_path):
    sigma_engine = engine.SigmaEngine.FromDirectories([str(tmp_path / "nope")])
    assert sigma_engine.problems == [f"{tmp_path / 'nope'}: not a directory"]


def test_pickle_keeps_only_directories():
    sigma_engine = engine.SigmaEngine.FromDirectories(
        [engine.BUILTIN_RULES_DIRECTORY]
    ).Compile()
    data = pickle.dumps(sigma_engine)
    assert len(data) < 1000
    restored = pickle.loads(data)
    assert restored._state is None  # pylint: disable=protected-access
    assert restored.MatchEventData(ev.Service7045("Client32", "c:\\x\\client32.exe"))
    pickle.dumps(
        restored.MatchEventData(ev.Service7045("Client32", "c:\\x\\client32.exe"))
    )


def test_evtx_fields():
    fields = engine.EvtxFields(EVENT)
    assert fields["EventID"] == "4688" and fields["Channel"] == "Security"
    assert fields["Provider_Name"] == "Microsoft-Windows-Security-Auditing"
    assert fields["Computer"] == "WS01.corp.local"
    assert fields["Image"] == fields["NewProcessName"]
    assert fields["ParentImage"] == "C:\\Windows\\System32\\cmd.exe"
    assert fields["ProcessId"] == "500" and fields["ParentProcessId"] == "1000"
    assert fields["User"] == "CORP\\bob" and fields["IntegrityLevel"] == "Medium"
    unnamed = ev.MakeEventData(
        "System", 7036, [("", "NetSupport Client"), ("", "running")]
    )
    assert engine.EvtxFields(unnamed)["param2"] == "running"


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + ']><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
    "<EventID>7045</EventID><Channel>System</Channel></System><EventData>"
    '<Data Name="ServiceName">&lol9;</Data></EventData></Event>'
)

EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<Event><System><EventID>7045</EventID><Channel>System</Channel></System>"
    '<EventData><Data Name="ServiceName">&x;</Data></EventData></Event>'
)


@pytest.mark.parametrize(
    "xml_string",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        "<Event><System><EventID>7045</EventID>",  # truncated
        "not xml at all \x00\x01",
        ev.EventXml("System", 7045, [("ServiceName", "Client32" + "A" * 3_000_000)]),
        "<Event>" + "<a>" * 100_000 + "</a>" * 100_000 + "</Event>",
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "truncated",
        "garbage",
        "huge-text",
        "deep-nesting",
    ],
)
def test_hostile_xml(xml_string):
    sigma_engine = engine.SigmaEngine.FromDirectories(
        [engine.BUILTIN_RULES_DIRECTORY]
    ).Compile()
    event_data = ev.MakeEventData(
        "System",
        7045,
        [("ServiceName", "Client32"), ("ImagePath", "c:\\x\\client32.exe")],
        xml_string=xml_string,
    )
    start = time.process_time()
    assert engine.EvtxFields(event_data) == {}
    assert sigma_engine.MatchEventData(event_data) == []
    assert time.process_time() - start < 2.0
