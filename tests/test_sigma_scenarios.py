"""The shipped Sigma rules, end to end on the bundled forge scenarios.

Acceptance of the Sigma feature: each shipped rule (plaso_netsupport/rules)
fires on the forge scenario events it is written for, and on none of the
decoys scenario's events. log2timeline + psort --analysis netsupport run once
per scenario per session (tests/scenario_cache.py); a rule match shows as the
label sigma_<rule id with - replaced by _> in psort -o json_line output.
"""

import glob
import os

import pytest
import yaml

from tests import scenario_cache

pytestmark = pytest.mark.e2e

RULES_DIRECTORY = os.path.join(scenario_cache.REPOSITORY, "plaso_netsupport", "rules")

# rule file -> [(scenario, event identifier, substrings of the event's XML)]:
# the events each rule is written for. In every listed scenario at least one
# such event carries the rule's label, and the label is on no event with
# another event identifier.
_RAT_DROP_KIT = "C:\\Users\\amoreau\\AppData\\Roaming\\MsEdgeSandbox\\"
_RAT_RENAMED_KIT = "C:\\ProgramData\\CtfMonCache\\"
_POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"


def _Process(image, parent=None):
    """XML substrings of a 4688 event: the new process and its parent."""
    substrings = [f'Name="NewProcessName">{image}<']
    if parent:
        substrings.append(f'Name="ParentProcessName">{parent}<')
    return substrings


EXPECTED = {
    "netsupport_service_install_system_name.yml": [
        ("legit_manager", 7045, ['Name="ServiceName">NetSupport Client<']),
    ],
    "netsupport_service_install_system_imagepath.yml": [
        ("legit_manager", 7045, ["NetSupport Manager\\client32.exe"]),
        ("school", 7045, ["NetSupport School\\client32.exe"]),
    ],
    "netsupport_service_install_security_name.yml": [
        ("legit_manager", 4697, ['Name="ServiceName">NetSupport Client<']),
    ],
    "netsupport_service_install_security_imagepath.yml": [
        ("legit_manager", 4697, ["NetSupport Manager\\client32.exe"]),
    ],
    "netsupport_service_state_control.yml": [
        ("legit_manager", 7036, ["NetSupport Client"]),
        ("legit_manager", 7040, ['Name="param4">Client32<']),
        ("school", 7036, ["NetSupport School Student"]),
    ],
    "netsupport_client_outside_program_files.yml": [
        ("rat_drop", 4688, _Process(_RAT_DROP_KIT + "client32.exe")),
    ],
    "netsupport_renamed_client.yml": [
        (
            "rat_renamed",
            4688,
            _Process(
                _RAT_RENAMED_KIT + "remcmdstub.exe",
                _RAT_RENAMED_KIT + "ctfmonhost.exe",
            ),
        ),
    ],
    "netsupport_powershell_from_client.yml": [
        (
            "rat_renamed",
            4688,
            _Process(_POWERSHELL, _RAT_RENAMED_KIT + "remcmdstub.exe"),
        ),
    ],
    "netsupport_cmd_from_client.yml": [
        (
            "rat_drop",
            4688,
            _Process(
                "C:\\Windows\\System32\\cmd.exe", _RAT_DROP_KIT + "remcmdstub.exe"
            ),
        ),
    ],
    "netsupport_script_block_kit.yml": [
        ("rat_drop", 4104, ["Start-BitsTransfer", "client32.exe"]),
    ],
    "log_cleared_security_netsupport_context.yml": [
        ("rat_drop", 1102, ["LogFileCleared"]),
    ],
    "log_cleared_system_netsupport_context.yml": [
        ("rat_renamed", 104, ["LogFileCleared", "<Channel>System</Channel>"]),
    ],
}

DECOYS = "decoys"


def _RuleFiles():
    return sorted(
        os.path.basename(path)
        for pattern in ("*.yml", "*.yaml")
        for path in glob.glob(os.path.join(RULES_DIRECTORY, pattern))
    )


def _Label(rule_file):
    path = os.path.join(RULES_DIRECTORY, rule_file)
    with open(path, "r", encoding="utf-8") as file_object:
        rule = yaml.safe_load(file_object)
    return "sigma_" + str(rule["id"]).replace("-", "_")


def _Labels(record):
    tag = record.get("tag") or {}
    return tag.get("labels", []) if isinstance(tag, dict) else list(tag)


def _Describe(record):
    name = record.get("display_name") or record.get("filename")
    return (
        f"{record.get('data_type')} {record.get('event_identifier')} "
        f"{record.get('timestamp')} {name}"
    )


def test_every_shipped_rule_has_expected_events():
    """The table names every shipped rule, and only shipped rules."""
    assert sorted(EXPECTED) == _RuleFiles()


def _WrittenFor(records, event_identifier, xml_substrings):
    return [
        record
        for record in records
        if record.get("data_type") == "windows:evtx:record"
        and record.get("event_identifier") == event_identifier
        and all(
            substring.lower() in str(record.get("xml_string", "")).lower()
            for substring in xml_substrings
        )
    ]


@pytest.mark.parametrize("rule_file", sorted(EXPECTED))
def test_rule_fires_on_its_scenario_events(rule_file):
    """The rule's label is on the events it is written for, in each listed scenario."""
    label = _Label(rule_file)
    failures = []
    expected_identifiers = {}
    for scenario, event_identifier, xml_substrings in EXPECTED[rule_file]:
        expected_identifiers.setdefault(scenario, set()).add(event_identifier)
        _, records = scenario_cache.Analysed(scenario)
        written_for = _WrittenFor(records, event_identifier, xml_substrings)
        if not written_for:
            failures.append(
                f"{scenario}: no {event_identifier} event with {xml_substrings}"
            )
        elif not any(label in _Labels(record) for record in written_for):
            failures.append(
                f"{scenario}: none of the {len(written_for)} {event_identifier} "
                f"events with {xml_substrings} carries {label}"
            )
    for scenario, identifiers in sorted(expected_identifiers.items()):
        _, records = scenario_cache.Analysed(scenario)
        wrong_kind = [
            _Describe(record)
            for record in records
            if label in _Labels(record)
            and record.get("event_identifier") not in identifiers
        ]
        if wrong_kind:
            failures.append(f"{scenario}: {label} on other events: {wrong_kind[:5]}")
    assert not failures, "\n".join(failures)


def test_no_shipped_rule_fires_on_decoys():
    """No event of the decoys scenario carries the label of a shipped rule."""
    labels = {_Label(rule_file): rule_file for rule_file in _RuleFiles()}
    _, records = scenario_cache.Analysed(DECOYS)
    assert records, "decoys scenario produced no events"
    hits = [
        f"{_Describe(record)}: {labels[label]}"
        for record in records
        for label in _Labels(record)
        if label in labels
    ]
    assert not hits, "\n".join(hits[:30])
