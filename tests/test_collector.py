"""The collector: which events it keeps, as what, with which values.

Table-driven: each case builds events with plaso's own event data classes
(tests/analysis_events.py) and states exactly which items the collector keeps
(role, normalised path, display path, values), including the events it must
ignore.
"""

import pytest

from plaso_netsupport.analysis import collector
from plaso_netsupport.analysis import paths
from tests import analysis_events as ev

KIT = "C:\\Users\\AMoreau\\AppData\\Roaming\\MsEdgeSandbox"
KIT_PATH = "/Users/AMoreau/AppData/Roaming/MsEdgeSandbox"
KIT_KEY = "\\users\\amoreau\\appdata\\roaming\\msedgesandbox"

# (name, events, expected items: [(role, path, display_path, {value: expected})])
CASES = [
    (
        "kit file keeps its case",
        lambda: ev.File(f"{KIT_PATH}/client32.exe"),
        [("file", f"{KIT_KEY}\\client32.exe", f"{KIT_PATH}/client32.exe", {})],
    ),
    (
        "alternate data stream of a kit file",
        lambda: ev.File(f"{KIT_PATH}/client32.exe:Zone.Identifier"),
        [
            (
                "file",
                f"{KIT_KEY}\\client32.exe",
                f"{KIT_PATH}/client32.exe",
                {"stream": "zone.identifier"},
            )
        ],
    ),
    ("system binary ignored", lambda: ev.File("/Windows/System32/cmd.exe"), []),
    ("text file ignored", lambda: ev.File(f"{KIT_PATH}/readme.txt"), []),
    (
        "kit name kept even under System32",
        lambda: ev.File("/Windows/System32/client32.exe"),
        [("file", "\\windows\\system32\\client32.exe", None, {})],
    ),
    (
        "dll import read from plaso's name attribute",
        lambda: ev.DllImport(f"{KIT_PATH}/fontdrv.exe", "PCICL32.DLL"),
        [("pe", f"{KIT_KEY}\\fontdrv.exe", None, {"dll_name": "pcicl32.dll"})],
    ),
    (
        "imphash of pe_coff:file",
        lambda: ev.PEFile(
            f"{KIT_PATH}/fontdrv.exe", "A9D50692E95B79723F3E76FCF70D023E"
        ),
        [
            (
                "pe",
                f"{KIT_KEY}\\fontdrv.exe",
                None,
                {"imphash": "a9d50692e95b79723f3e76fcf70d023e", "dll_name": ""},
            )
        ],
    ),
    (
        "PE version information",
        lambda: ev.VersionInfo(
            f"{KIT_PATH}/fontdrv.exe",
            company_name="NetSupport Ltd",
            original_filename="client32.exe",
            signer_common_name="NetSupport Ltd",
        ),
        [
            (
                "version_info",
                f"{KIT_KEY}\\fontdrv.exe",
                None,
                {
                    "company_name": "NetSupport Ltd",
                    "original_filename": "client32.exe",
                    "signer_common_name": "NetSupport Ltd",
                },
            )
        ],
    ),
    (
        "PE version information of a system file ignored",
        lambda: ev.VersionInfo(
            "/Windows/System32/notepad.exe", company_name="Microsoft Corporation"
        ),
        [],
    ),
    (
        "prefetch of the client",
        lambda: ev.Prefetch(
            "CLIENT32.EXE",
            "\\USERS\\AMOREAU\\APPDATA\\ROAMING\\MSEDGESANDBOX\\CLIENT32.EXE",
            [
                "\\VOLUME{01}\\USERS\\AMOREAU\\APPDATA\\ROAMING\\MSEDGESANDBOX\\PCICL32.DLL"
            ],
            ["2026-03-10 09:43:31"],
        ),
        [
            (
                "prefetch",
                f"{KIT_KEY}\\client32.exe",
                None,
                {"executable": "client32.exe"},
            )
        ],
    ),
    (
        "prefetch of a system binary without NetSupport code ignored",
        lambda: ev.Prefetch(
            "CMD.EXE",
            "\\WINDOWS\\SYSTEM32\\CMD.EXE",
            ["\\WINDOWS\\SYSTEM32\\KERNEL32.DLL"],
            ["2026-03-10 09:43:31"],
        ),
        [],
    ),
    (
        "Amcache company and product kept separately",
        lambda: ev.Amcache(
            f"{KIT}\\fontdrv.exe",
            company_name="NetSupport Ltd",
            file_description="NetSupport Client Application",
        ),
        [
            (
                "execution_trace",
                f"{KIT_KEY}\\fontdrv.exe",
                f"{KIT}\\fontdrv.exe",
                {
                    "company_name": "NetSupport Ltd",
                    "file_description": "NetSupport Client Application",
                },
            )
        ],
    ),
    (
        "client started by wscript",
        lambda: ev.Process(
            f"{KIT}\\client32.exe",
            "C:\\Windows\\System32\\wscript.exe",
            0x1F4,
            0x100,
            "2026-03-10 09:43:31",
        ),
        [
            (
                "process",
                f"{KIT_KEY}\\client32.exe",
                f"{KIT}\\client32.exe",
                # Decimal ids in the keys; the record's other fields are
                # not kept (only what the correlator and summaries read).
                {
                    "process_key": ("WS01", "500"),
                    "creator_key": ("WS01", "256"),
                    "ProcessId": None,
                    "ParentProcessId": None,
                    "Computer": None,
                },
            )
        ],
    ),
    (
        "system process started by a system process ignored",
        lambda: ev.Process(
            "C:\\Windows\\System32\\cmd.exe",
            "C:\\Windows\\explorer.exe",
            0x200,
            0x100,
            "2026-03-10 09:43:31",
        ),
        [],
    ),
    (
        "script block naming the kit",
        lambda: ev.ScriptBlock(
            "Expand-Archive $z $env:APPDATA; Start-Process client32.exe",
            "2026-03-10 09:42:09",
        ),
        [("script_block", "", None, {})],
    ),
    (
        "script block with a kit stem inside a longer word ignored",
        lambda: ev.ScriptBlock(
            "Get-Item netsupportx; $client32exe = 1; Remove-Item x",
            "2026-03-10 09:42:09",
        ),
        [],
    ),
    (
        "7035 start control of the NetSupport service",
        lambda: ev.EventLog(
            7035,
            "System",
            {"param1": "NetSupport Client", "param2": "start"},
            "2026-03-10 09:43:30",
        ),
        [("service_control", "", None, {"param2": "start"})],
    ),
    (
        "7036 of another service ignored",
        lambda: ev.EventLog(
            7036,
            "System",
            {"param1": "Print Spooler", "param2": "running"},
            "2026-03-10 09:43:30",
        ),
        [],
    ),
    (
        "service install of the client",
        lambda: ev.EventLog(
            7045,
            "System",
            {
                "ServiceName": "Client32",
                "ImagePath": '"C:\\Program Files (x86)\\NetSupport\\NetSupport Manager\\client32.exe" /*',
                "ServiceType": "user mode service",
                "StartType": "auto start",
                "AccountName": "LocalSystem",
            },
            "2025-11-18 15:02:05",
        ),
        [
            (
                "service_install",
                "\\program files (x86)\\netsupport\\netsupport manager\\client32.exe",
                None,
                {"ServiceName": "Client32"},
            )
        ],
    ),
    (
        "exit of a process never kept ignored",
        lambda: ev.ProcessExit(
            "C:\\Windows\\System32\\cmd.exe", 0x300, "2026-03-10 09:50:00"
        ),
        [],
    ),
]


def _Describe(item):
    return (item.role, item.path, item.display_path, dict(item.values))


@pytest.mark.parametrize("name,build,expected", CASES, ids=[case[0] for case in CASES])
def test_collector_keeps(name, build, expected):
    instance = ev.Collect(build())
    items = list(instance.items.values())
    assert len(items) == len(expected), [_Describe(item) for item in items]
    for item, (role, path, display_path, values) in zip(items, expected):
        assert item.role == role
        assert item.path == path
        if display_path is not None:
            assert item.display_path == display_path.replace("/", "\\")
        for key, value in values.items():
            assert item.values.get(key) == value, key
        assert item.timestamps and len(item.timestamps) == len(
            item.timestamp_descriptions
        )


def _Roles(instance):
    return sorted(
        (item.role, item.values.get("NewProcessName") or "")
        for item in instance.items.values()
    )


# Process lifetimes: (name, events, expected (role, image) items).
KIT_CLIENT = f"{KIT}\\client32.exe"
LIFETIME_CASES = [
    (
        "child of a running client kept",
        [
            ev.Process(
                KIT_CLIENT, "C:\\Windows\\explorer.exe", 500, 100, "2026-03-10 09:43:31"
            ),
            ev.Process(
                "C:\\Windows\\System32\\cmd.exe",
                "C:\\Windows\\System32\\remcmdstub.exe",
                600,
                500,
                "2026-03-10 09:44:00",
            ),
        ],
        [("process", "C:\\Windows\\System32\\cmd.exe"), ("process", KIT_CLIENT)],
    ),
    (
        "after the client's 4689 exit its process id means nothing",
        [
            ev.Process(
                KIT_CLIENT, "C:\\Windows\\explorer.exe", 500, 100, "2026-03-10 09:43:31"
            ),
            ev.ProcessExit(KIT_CLIENT, 500, "2026-03-10 09:50:00"),
            ev.Process(
                "C:\\Windows\\System32\\cmd.exe",
                "C:\\Windows\\System32\\svchost.exe",
                600,
                500,
                "2026-03-10 10:00:00",
            ),
        ],
        [("process", KIT_CLIENT), ("process_end", "")],
    ),
    (
        "a new process reusing the id ends the chain",
        [
            ev.Process(
                KIT_CLIENT, "C:\\Windows\\explorer.exe", 500, 100, "2026-03-10 09:43:31"
            ),
            ev.Process(
                "C:\\Windows\\System32\\svchost.exe",
                "C:\\Windows\\System32\\services.exe",
                500,
                90,
                "2026-03-10 11:00:00",
            ),
            ev.Process(
                "C:\\Windows\\System32\\cmd.exe",
                "C:\\Windows\\System32\\svchost.exe",
                600,
                500,
                "2026-03-10 11:00:05",
            ),
        ],
        [
            ("process", KIT_CLIENT),
            # A process_end keeps only the process key (no image name).
            ("process_end", ""),
        ],
    ),
    (
        "logoff ends the processes of the session",
        [
            ev.Process(
                KIT_CLIENT,
                "C:\\Windows\\explorer.exe",
                500,
                100,
                "2026-03-10 09:43:31",
                logon_id="0x5e4a1",
            ),
            ev.Logoff("0x5e4a1", "2026-03-10 18:00:00", event_identifier=4647),
            ev.Process(
                "C:\\Windows\\System32\\cmd.exe",
                "C:\\Windows\\System32\\svchost.exe",
                600,
                500,
                "2026-03-11 08:00:00",
            ),
        ],
        [("process", KIT_CLIENT), ("process_end", "")],
    ),
    (
        "logoff of another session ends nothing",
        [
            ev.Process(
                KIT_CLIENT,
                "C:\\Windows\\explorer.exe",
                500,
                100,
                "2026-03-10 09:43:31",
                logon_id="0x5e4a1",
            ),
            ev.Logoff("0x777", "2026-03-10 18:00:00"),
            ev.Process(
                "C:\\Windows\\System32\\cmd.exe",
                "C:\\Windows\\System32\\remcmdstub.exe",
                600,
                500,
                "2026-03-10 18:30:00",
            ),
        ],
        [("process", "C:\\Windows\\System32\\cmd.exe"), ("process", KIT_CLIENT)],
    ),
]


@pytest.mark.parametrize(
    "name,groups,expected", LIFETIME_CASES, ids=[case[0] for case in LIFETIME_CASES]
)
def test_process_lifetimes(name, groups, expected):
    instance = ev.Collect(*groups)
    assert _Roles(instance) == sorted(expected)


@pytest.mark.parametrize(
    "words,text,matches",
    [
        (["rm "], "rm -Force $zip", True),
        (["rm "], "$form = 1; $alarm = 2", False),
        (["del "], "del $zip", True),
        (["del "], "$model.delete(); $x.del", False),
        (["Remove-Item"], "Remove-Item $zip", True),
        (["Remove-Item"], "Remove-ItemProperty -Path x", False),
        (
            ["\\CurrentVersion\\Run"],
            "HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
            True,
        ),
        (["client32.ini"], "Copy-Item C:\\x\\CLIENT32.INI", True),
        (["client32.ini"], "client32.ini.bak", True),
        (["netsupport"], "netsupportx", False),
    ],
)
def test_script_words_are_whole_tokens(words, text, matches):
    assert bool(collector.CompileTokens(words).search(text)) is matches


def test_knowledge_delete_words():
    known = ev.knowledge_module.Load()
    pattern = collector.CompileTokens(known.data["script_block_actions"]["delete"])
    assert pattern.search("Remove-Item $zip -Force")
    assert pattern.search("cmd /c del /q kit.zip")
    assert not pattern.search("$platform = 'x64'; $model.Delete()")


@pytest.mark.parametrize(
    "path,display",
    [
        ("/Users/Bob/AppData/Roaming/Kit/client32.exe", "C:\\Users\\Bob\\AppData\\Roaming\\Kit\\client32.exe"),
        ("d:\\Kit\\", "D:\\Kit"),
        ('"C:\\Program Files\\NetSupport\\client32.exe"', "C:\\Program Files\\NetSupport\\client32.exe"),
        ("\\??\\C:\\ProgramData\\SchCache\\a.exe", "C:\\ProgramData\\SchCache\\a.exe"),
        ("\\Device\\HarddiskVolume2\\Users\\A\\X.EXE", "C:\\Users\\A\\X.EXE"),
        ("\\SystemRoot\\System32\\drivers\\x.sys", "C:\\Windows\\System32\\drivers\\x.sys"),
        ("", ""),
    ],
)  # fmt: skip
def test_display_paths_keep_case_and_drive(path, display):
    assert paths.Display(path) == display
    assert paths.Normalise(path) == (display[2:].lower() if display else "") or (
        "systemroot" in path.lower()
    )
