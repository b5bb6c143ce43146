"""Candidate pruning (sigma/prefilter.py) gives exactly the matches of full evaluation.

Differential tests: the same rules, an engine with pruning and one without,
the same events; the match lists (rule, order, labels) must be identical.
Rules: ours and a sample of SigmaHQ's Windows rules (DRL 1.1, SigmaHQ
contributors; read from ../shared/sigmahq-rules beside the clone, never
copied into the repository). Events: generated from the rules' own detection
items (tests/sigma_data/rule_events.py) and the bundled scenarios' EVTX
records.
"""

import os
import re
import sys

import pytest

from plaso_netsupport.sigma import engine
from plaso_netsupport.sigma import prefilter

DATA = os.path.join(os.path.dirname(__file__), "sigma_data")
sys.path.insert(0, DATA)
import evtx_events as ev  # noqa: E402  pylint: disable=wrong-import-position
import inline_rule  # noqa: E402  pylint: disable=wrong-import-position
import rule_events  # noqa: E402  pylint: disable=wrong-import-position

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIGMAHQ_WINDOWS = os.environ.get(
    "PLASO_NETSUPPORT_SIGMAHQ_WINDOWS",
    os.path.join(os.path.dirname(REPOSITORY), "shared", "sigmahq-rules", "windows"),
)
needs_sigmahq = pytest.mark.skipif(
    not os.path.isdir(SIGMAHQ_WINDOWS),
    reason=f"SigmaHQ rules snapshot not found at {SIGMAHQ_WINDOWS}",
)

# Every SAMPLE_STEP-th SigmaHQ rule file (about 600 of 2,407).
SAMPLE_STEP = 4
GENERATED_EVENTS = 2500


def _Differences(pruned, full, events):
    differences = []
    compared = matched = 0
    for event_data in events:
        got = pruned.MatchEventData(event_data)
        expected = full.MatchEventData(event_data)
        compared += 1
        matched += bool(expected)
        if got != expected:
            differences.append(
                (
                    getattr(event_data, "xml_string", None),
                    [match.rule_id for match in got],
                    [match.rule_id for match in expected],
                )
            )
    return differences, compared, matched


@pytest.fixture(scope="module")
def sample_directory(tmp_path_factory):
    """A directory of links to a sample of the SigmaHQ rules (nothing copied)."""
    directory = tmp_path_factory.mktemp("sigmahq_sample")
    for index, path in enumerate(
        rule_events.SampleRuleFiles(SIGMAHQ_WINDOWS, SAMPLE_STEP)
    ):
        os.symlink(path, directory / f"{index:04d}-{os.path.basename(path)}")
    return str(directory)


@pytest.fixture(scope="module")
def engines(sample_directory):
    directories = [engine.BUILTIN_RULES_DIRECTORY, sample_directory]
    pruned = engine.SigmaEngine.FromDirectories(directories).Compile()
    full = engine.SigmaEngine.FromDirectories(directories, prune=False).Compile()
    assert len(pruned.rules) == len(full.rules) > 400
    return pruned, full


def test_fold_finds_every_ignorecase_match_of_ascii():
    """re.IGNORECASE equates ASCII with some other characters: Fold maps them back."""
    characters = "".join(
        chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF
    )
    for code in range(0x80):
        ascii_character = chr(code)
        pattern = re.compile(re.escape(ascii_character), re.IGNORECASE)
        for found in pattern.finditer(characters):
            assert prefilter.Fold(found.group()) == ascii_character.lower(), (
                hex(ord(found.group())),
                ascii_character,
            )


def test_fold_keeps_lower_case_substrings():
    values = ["C:\\WİNDOWS\\ſystem32\\\u212aernel", "ΑΣ Σ", "😀 İı", "plain"]
    for value in values:
        lowered = value.lower()
        for start in range(len(value)):
            for end in range(start + 1, len(value) + 1):
                literal = value[start:end]
                if literal.lower() in lowered:
                    assert prefilter.Fold(literal) in prefilter.Fold(value)


def _InlineEngines(tmp_path, detection, logsource="category: process_creation"):
    directory = inline_rule.WriteRuleDirectory(
        tmp_path,
        detection,
        logsource=logsource,
        title="Inline Prefilter Rule",
        identifier="0f7bd1a4-4d0c-4b8e-9d86-6a5d7f1b2c3d",
    )
    pruned = engine.SigmaEngine.FromDirectories([directory]).Compile()
    full = engine.SigmaEngine.FromDirectories([directory], prune=False)
    assert pruned.problems == [], pruned.problems
    return pruned, full


PRUNING_CASES = [
    # (name, detection, on the slow path)
    ("contains", "sel:\n    CommandLine|contains: ' -enc '\ncondition: sel", False),
    (
        "and not",
        "sel:\n    Image|endswith: '\\cmd.exe'\nf:\n    User: 'x'\n"
        "condition: sel and not f",
        False,
    ),
    ("not only", "f:\n    Image|endswith: '\\cmd.exe'\ncondition: not f", True),
    (
        "1 of with a regex",
        "s1:\n    Image|endswith: '\\a.exe'\ns2:\n    CommandLine|re: 'x+y'\n"
        "condition: 1 of s*",
        True,
    ),
    (
        "all of",
        "s1:\n    Image|endswith: '\\a.exe'\ns2:\n    CommandLine|re: 'x+y'\n"
        "condition: all of s*",
        False,
    ),
    ("null", "sel:\n    CommandLine: null\ncondition: sel", True),
    ("exists", "sel:\n    CommandLine|exists: true\ncondition: sel", True),
    ("cidr", "sel:\n    DestinationIp|cidr: '10.0.0.0/8'\ncondition: sel", True),
    (
        "windash",
        "sel:\n    CommandLine|windash|contains: '-enc'\ncondition: sel",
        False,
    ),
    (
        "base64offset",
        "sel:\n    CommandLine|base64offset|contains: 'IEX'\ncondition: sel",
        False,
    ),
    ("keyword", "keywords:\n    - 'client32'\ncondition: keywords", False),
    ("cased", "sel:\n    CommandLine|cased|contains: 'İEX'\ncondition: sel", False),
    ("empty string", "sel:\n    CommandLine: ''\ncondition: sel", True),
    ("wildcard only", "sel:\n    CommandLine: '*'\ncondition: sel", True),
    ("question mark", "sel:\n    Image: '*\\c?d.exe'\ncondition: sel", False),
    ("number", "sel:\n    EventID: 4688\ncondition: sel", True),
]

PRUNING_EVENTS = [
    ev.Process4688("C:\\Windows\\System32\\cmd.exe", "C:\\x\\a.exe", "cmd /c x"),
    ev.Process4688("C:\\x\\a.exe", "C:\\x\\b.exe", "a.exe -ENC xy"),
    ev.Process4688("C:\\x\\A.EXE", "C:\\x\\b.exe", "a /enc SUVYIChOZXc="),
    ev.Process4688("C:\\WİNDOWS\\ſystem32\\CıD.exe", "p", "xxy İEX client32"),
    ev.Process4688("C:\\x\\y.exe", "C:\\x\\b.exe", ""),
    ev.Process4688("C:\\x\\y.exe", "C:\\x\\b.exe", "a.exe –enc ab"),
]


@pytest.mark.parametrize(
    "name,detection,slow", PRUNING_CASES, ids=[case[0] for case in PRUNING_CASES]
)
def test_pruning_cases(tmp_path, name, detection, slow):
    pruned, full = _InlineEngines(tmp_path, detection)
    assert bool(pruned.slow_path_rules) == slow, name
    for event_data in PRUNING_EVENTS:
        assert pruned.MatchEventData(event_data) == full.MatchEventData(event_data)


def test_pruning_skips_evaluations(tmp_path):
    pruned, _ = _InlineEngines(
        tmp_path, "sel:\n    CommandLine|contains: 'mimikatz'\ncondition: sel"
    )
    for event_data in PRUNING_EVENTS:
        assert pruned.MatchEventData(event_data) == []
    assert pruned.events_evaluated == len(PRUNING_EVENTS)
    assert pruned.rule_evaluations == 0


def test_second_timestamp_of_a_record_reuses_its_matches(tmp_path):
    pruned, _ = _InlineEngines(
        tmp_path, "sel:\n    CommandLine|contains: ' -enc '\ncondition: sel"
    )
    event_data = PRUNING_EVENTS[1]
    first = pruned.MatchEventData(event_data)
    evaluations = pruned.rule_evaluations
    second = pruned.MatchEventData(event_data)
    assert first == second and len(first) == 1
    assert first[0].labels is not second[0].labels
    assert pruned.rule_evaluations == evaluations
    assert pruned.MatchEventData(PRUNING_EVENTS[0]) == []


def test_pickled_engine_keeps_the_pruning_choice():
    import pickle  # pylint: disable=import-outside-toplevel

    full = engine.SigmaEngine.FromDirectories([], prune=False)
    assert pickle.loads(pickle.dumps(full))._prune is False  # noqa: SLF001


@needs_sigmahq
def test_differential_generated_events(engines, sample_directory):
    pruned, full = engines
    paths = [
        os.path.join(sample_directory, name)
        for name in sorted(os.listdir(sample_directory))
    ]
    rules = rule_events.LoadRuleLeaves(paths)
    events = list(rule_events.Events(rules, GENERATED_EVENTS))
    differences, compared, matched = _Differences(pruned, full, events)
    assert differences == []
    assert compared == GENERATED_EVENTS
    # The generated set must exercise matching, not only misses.
    assert matched > GENERATED_EVENTS // 10
    # ... and pruning must have skipped most evaluations.
    assert pruned.rule_evaluations * 5 < full.rule_evaluations


@needs_sigmahq
@pytest.mark.e2e
def test_differential_scenario_events(engines):
    from plaso.storage import factory  # pylint: disable=import-outside-toplevel

    from tests import scenario_cache  # pylint: disable=import-outside-toplevel

    pruned, full = engines
    total = 0
    for name in scenario_cache.Scenarios():
        reader = factory.StorageFactory.CreateStorageReaderForFile(
            scenario_cache.Extracted(name)
        )
        try:
            events = [
                event_data
                for event_data in reader.GetAttributeContainers("event_data")
                if getattr(event_data, "data_type", None) == engine.DATA_TYPE
            ]
        finally:
            reader.Close()
        differences, compared, _ = _Differences(pruned, full, events)
        assert differences == [], name
        total += compared
    assert total > 0
