"""The HTML report: self-contained, linked to its events, inert on hostile evidence.

In-process tests render crafted documents; the end-to-end test runs the real
log2timeline and `plaso-netsupport triage` on a directory whose client32.ini,
kit folder name and build path carry HTML and script, and opens the report in
headless Chromium (skipped when /usr/bin/chromium is absent; `make test`
installs the Debian package `chromium`).
"""

import hashlib
import html.parser
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from plaso_netsupport import html_report
from plaso_netsupport import navigator
from plaso_netsupport import triage
from tests import plaso_run

CHROMIUM = "/usr/bin/chromium"
SCRIPT = "<script>document.title='pwned'</script>"
IMG = "<img src=x onerror=document.title='pwned'>"
TITLE = "NetSupport analysis report"
LICENCE_FILE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "parsers_data", "licence", "NSM.LIC"
)

needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"{CHROMIUM} not installed (Debian package: chromium); make test installs it",
)


def Chromium(url, *options, timeout=90):
    """Runs headless Chromium on a URL; returns its stdout."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *options,
            url,
        ]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def DumpDom(path):
    """Returns the DOM Chromium rendered from an HTML file."""
    return Chromium("file://" + os.path.abspath(path), "--dump-dom")


def Screenshot(path, png_path):
    """Takes a 1280x1600 screenshot of an HTML file."""
    Chromium(
        "file://" + os.path.abspath(path),
        f"--screenshot={os.path.abspath(png_path)}",
        "--window-size=1280,1600",
        "--hide-scrollbars",
    )
    with open(png_path, "rb") as file_object:
        assert file_object.read(8) == b"\x89PNG\r\n\x1a\n"


def DocumentTitle(dom):
    """The document title: the text of the first <title> (the head's)."""
    match = re.search(r"<title>(.*?)</title>", dom, re.S)
    return match.group(1) if match else None


class _Elements(html.parser.HTMLParser):
    """Collects start tags and their attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def Elements(text):
    """Returns [(tag, attributes)] of an HTML text."""
    parser = _Elements()
    parser.feed(text)
    parser.close()
    return parser.tags


def AssertInert(text):
    """No script, no img, no event handler attribute, no external resource."""
    tags = Elements(text)
    names = {tag for tag, _ in tags}
    assert "script" not in names
    assert "img" not in names
    assert "iframe" not in names and "object" not in names and "embed" not in names
    for tag, attributes in tags:
        for name, value in attributes.items():
            assert not name.startswith("on"), (tag, name, value)
            if name in ("src", "srcset", "action", "formaction", "data"):
                raise AssertionError(f"resource attribute {name} on <{tag}>")
            if name == "href":
                assert value.startswith(("#event-", "#installation-")) or (
                    re.match(
                        r"^https://attack\.mitre\.org/techniques/T\d{4}/(\d{3}/)?$",
                        value,
                    )
                ), value
        if tag == "link":
            raise AssertionError("<link> element")
    assert "@import" not in text and "url(" not in text


def AssertAnchorsResolve(text):
    """Every #event-N / #installation-N link has its target."""
    ids = {attributes.get("id") for _, attributes in Elements(text)}
    for tag, attributes in Elements(text):
        href = attributes.get("href") or ""
        if href.startswith("#"):
            assert href[1:] in ids, (tag, href)


# Crafted evidence.


def HostileDocument(folder="\\users\\bob\\appdata\\roaming\\" + IMG):
    """A report document whose every evidence field is hostile."""
    return {
        "plugin": "netsupport",
        "installations": [
            {
                "folder": folder,
                "verdict": "suspicious",
                "reasons": [
                    f"kit in a user-writable drop location ({folder})",
                    f"phones home to gateway {SCRIPT}:443",
                    f"licence of a known RAT campaign ({IMG})",
                    f"user-level persistence: HKCU Run value '{IMG}' -> {folder}\\client32.exe",
                ],
                "allowlist_reason": None,
                "first_activity": "2026-03-10T09:00:00.000000Z",
                "last_activity": "2026-03-11T08:00:00.000000Z",
                "client_names": ["client32.exe", SCRIPT],
                "renamed_client_names": [IMG],
                "kit_files": ["client32.ini", IMG],
                "gateways": [f"{SCRIPT}:443", f'{IMG}" onmouseover="x:8080'],
                "gateway_security_key": True,
                "stealth_settings": ["silent mode", SCRIPT],
                "licences": [{"licensee": IMG, "serial_no": SCRIPT}],
                "services": [SCRIPT],
                "persistence": [f"HKCU Run value '{IMG}' -> {folder}\\client32.exe"],
                "executions": [
                    {
                        "time": "2026-03-10T09:43:31.000000Z",
                        "what": f"process {folder}\\client32.exe",
                    }
                ],
                "parent_processes": [SCRIPT],
                "events": 3,
                "techniques": {"T1219.002": 3, "T1547.001": 1},
            }
        ],
        "labels": {"netsupport": 3},
        "techniques": {
            "T1219": 3,
            "T1219.002": 3,
            "T1547.001": 1,
            'T1219"><script>alert(1)</script>': 1,
        },
        "sigma_rules": {f"{SCRIPT} (6917537f-7811-4e64-9cdc-ee7c58d2316d)": 1},
        "notes": [SCRIPT],
    }


def HostileRecords(folder="\\users\\bob\\appdata\\roaming\\" + IMG):
    """json_line records of tagged events with hostile values."""
    path = "C:" + folder.replace("\\users", "\\Users") + "\\client32.ini"
    return [
        {
            "data_type": "netsupport:client32_ini:config",
            "display_name": "NTFS:" + path,
            "message": f"NetSupport client configuration: {path} Gateway: {SCRIPT}",
            "gateway": SCRIPT,
            "build_path": f"C:\\{SCRIPT}\\{IMG}\\client32.ini",
            "parser": "netsupport_client32_ini",
            "tag": {
                "labels": ["netsupport", "attack_t1219", "attack_t1219_002", SCRIPT]
            },
            "timestamp": 1773135811000000,
            "timestamp_desc": f"Configuration {IMG}",
            "pathspec": {"location": path},
        },
        {
            "data_type": "windows:registry:run",
            "display_name": "NTFS:\\Users\\bob\\NTUSER.DAT",
            "message": f"[Run] Entries: ['{IMG}: {path}']",
            "entries": [f"{IMG}: {path}"],
            "parser": "winreg/windows_run",
            "tag": {"labels": ["netsupport", "attack_t1547", "attack_t1547_001"]},
            "timestamp": 1773135812000000,
            "timestamp_desc": "Content Modification Time",
        },
        {
            "data_type": "windows:prefetch:execution",
            "display_name": "NTFS:\\Windows\\Prefetch\\CLIENT32.EXE-1.pf",
            "message": f"Prefetch {SCRIPT}",
            "executable": "CLIENT32.EXE",
            "parser": "prefetch",
            "tag": {
                "labels": [
                    "netsupport",
                    "attack_t1219",
                    "attack_t1219_002",
                    "sigma_6917537f_7811_4e64_9cdc_ee7c58d2316d",
                ]
            },
            "timestamp": 1773135811000000,
            "timestamp_desc": "Last Time Executed",
        },
    ]


def test_hostile_document_renders_inert():
    text = html_report.Render(HostileDocument(), HostileRecords(), source=SCRIPT)
    AssertInert(text)
    AssertAnchorsResolve(text)
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in text
    assert f"<title>{TITLE}</title>" in text
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
    ) in text
    # The chart is there, and so are links from findings to events.
    assert "<svg" in text and 'href="#event-1"' in text
    # The malformed technique key gets no link and stays escaped.
    assert "alert(1)" in text and "techniques/T1219&quot;" not in text


def test_findings_link_to_their_events():
    text = html_report.Render(HostileDocument(), HostileRecords())
    events = html_report.PrepareEvents(HostileRecords(), HostileDocument())
    assert [event["index"] for event in events] == [1, 2, 3]
    folders = {event["data_type"]: event["folder"] for event in events}
    folder = HostileDocument()["installations"][0]["folder"]
    assert folders["netsupport:client32_ini:config"] == folder
    assert folders["windows:registry:run"] == folder
    assert folders["windows:prefetch:execution"] == html_report.UNASSIGNED
    categories = {event["data_type"]: event["category"] for event in events}
    assert categories["windows:registry:run"] == "persistence"
    assert categories["windows:prefetch:execution"] == "execution"
    assert categories["netsupport:client32_ini:config"] == "configuration"
    findings = html_report.Findings(HostileDocument()["installations"][0], events)
    by_kind = {}
    for kind, _, indexes in findings:
        by_kind.setdefault(kind, []).append(indexes)
    gateway_event = next(
        e["index"] for e in events if e["data_type"].startswith("netsupport")
    )
    run_event = next(e["index"] for e in events if e["category"] == "persistence")
    assert gateway_event in by_kind["gateway"][0]
    assert by_kind["persistence"] == [[run_event]]
    for number in (1, 2, 3):
        assert f'id="event-{number:d}"' in text


def test_navigator_layer_of_hostile_document():
    layer = navigator.BuildLayer(HostileDocument())
    identifiers = [technique["techniqueID"] for technique in layer["techniques"]]
    assert identifiers == ["T1219", "T1219.002", "T1547.001"]
    assert layer["versions"]["layer"] == "4.5"
    assert layer["gradient"]["maxValue"] == 3


def test_markdown_keeps_evidence_in_code_spans():
    text = triage.RenderMarkdown(HostileDocument(), SCRIPT)
    outside = re.sub(r"(`+) .*? \1", "", text)
    assert "<" not in outside, outside
    assert "[T1219.002](https://attack.mitre.org/techniques/T1219/002/)" in text


def test_timesketch_record():
    record = triage.TimesketchRecord(HostileRecords()[0])
    assert record["datetime"] == "2026-03-10T09:43:31.000000+00:00"
    assert record["timestamp"] == 1773135811000000
    assert record["tag"] == ["netsupport", "attack_t1219", "attack_t1219_002", SCRIPT]
    assert record["message"].startswith("NetSupport client configuration")
    assert "pathspec" not in record and record["parser"] == "netsupport_client32_ini"


@needs_chromium
def test_chromium_renders_hostile_document_inert(tmp_path):
    path = tmp_path / "hostile.html"
    path.write_text(
        html_report.Render(HostileDocument(), HostileRecords(), source=SCRIPT),
        encoding="utf-8",
    )
    dom = DumpDom(path)
    assert "<script" not in dom.lower()
    assert "<img" not in dom.lower()
    assert DocumentTitle(dom) == TITLE
    assert "<svg" in dom
    assert "document.title='pwned'" in html.unescape(dom)


# End to end: hostile evidence through log2timeline, psort and triage.


def _WriteHostileSource(root):
    kit = os.path.join(root, "Users", "bob", "AppData", "Roaming", IMG)
    os.makedirs(kit)
    shutil.copyfile(LICENCE_FILE, os.path.join(kit, "NSM.LIC"))
    for name in ("client32.exe", "PCICL32.DLL", "HTCTL32.DLL"):
        with open(os.path.join(kit, name), "wb") as file_object:
            file_object.write(b"MZ\x90\x00")
    lines = [
        "0x12345678",
        "[Client]",
        "_present=1",
        "silent=1",
        "SysTray=0",
        "[_Info]",
        f"Filename=C:\\Users\\{SCRIPT}\\{IMG}\\client32.ini",
        "[HTTP]",
        f"GatewayAddress={SCRIPT}",
        "Port=443",
        f"SecondaryGateway={IMG}:8080",
        "GSK=AB;CD",
    ]
    with open(os.path.join(kit, "client32.ini"), "wb") as file_object:
        file_object.write(("\r\n".join(lines) + "\r\n").encode("ascii"))


def _Sha256(path):
    with open(path, "rb") as file_object:
        return hashlib.sha256(file_object.read()).hexdigest()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """(unanalysed storage, its hash, triage output directory, triage result)."""
    root = tmp_path_factory.mktemp("hostile")
    source = root / "evidence"
    _WriteHostileSource(str(source))
    storage = str(root / "hostile.plaso")
    plaso_run.Log2Timeline(storage, str(source), cwd=str(root))
    digest = _Sha256(storage)
    output = str(root / "triage")
    result = plaso_run.Run(
        [
            plaso_run.Script("plaso-netsupport"),
            "triage",
            storage,
            "-o",
            output,
            "--status-view",
            "none",
        ],
        cwd=str(root),
    )
    return storage, digest, output, result


def test_triage_on_storage_leaves_input_untouched(hostile):
    storage, digest, output, result = hostile
    assert result.returncode == 0
    assert _Sha256(storage) == digest
    assert os.path.exists(os.path.join(output, "case.plaso"))
    document = json.load(open(os.path.join(output, "report.json"), encoding="utf-8"))
    (entry,) = document["installations"]
    assert entry["folder"].endswith(IMG.lower()) and entry["verdict"] == "suspicious"
    assert f"{SCRIPT}:443" in entry["gateways"]


def test_hostile_evidence_report_is_inert(hostile):
    _, _, output, _ = hostile
    with open(os.path.join(output, "report.html"), encoding="utf-8") as file_object:
        text = file_object.read()
    AssertInert(text)
    AssertAnchorsResolve(text)
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in text


@needs_chromium
def test_chromium_hostile_evidence_report(hostile):
    _, _, output, _ = hostile
    dom = DumpDom(os.path.join(output, "report.html"))
    assert "<script" not in dom.lower() and "<img" not in dom.lower()
    assert DocumentTitle(dom) == TITLE
    assert "<svg" in dom
    text = html.unescape(dom)
    assert f"{SCRIPT}:443" in text
    assert f"C:\\Users\\{SCRIPT}\\{IMG}\\client32.ini" in text


def test_report_refuses_storage_without_analysis(hostile, tmp_path):
    storage, _, _, _ = hostile
    result = plaso_run.Run(
        [
            plaso_run.Script("plaso-netsupport"),
            "report",
            storage,
            "-o",
            str(tmp_path / "report.html"),
        ],
        check=False,
    )
    assert result.returncode == 2
    assert "no netsupport analysis report" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "report.html").exists()
