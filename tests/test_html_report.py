"""The HTML report: self-contained, linked to its evidence, inert on hostile evidence.

The renderer tests of every output on a fixed findings document are in
tests/test_render.py (they use the helpers here). This file runs the real
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
                assert re.match(r"^#(evidence|installation)-[A-Za-z0-9]+$", value) or (
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
    with open(os.path.join(output, "report.json"), encoding="utf-8") as file_object:
        document = json.load(file_object)
    (entry,) = document["installations"]
    assert entry["folder"].lower().endswith(IMG.lower())
    assert entry["verdict"] == "suspicious"
    addresses = [gateway["address"] for gateway in entry["gateways"]]
    assert f"{SCRIPT}:443" in addresses


def test_hostile_evidence_report_is_inert(hostile):
    _, _, output, _ = hostile
    with open(os.path.join(output, "report.html"), encoding="utf-8") as file_object:
        text = file_object.read()
    AssertInert(text)
    AssertAnchorsResolve(text)
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in text


@needs_chromium
def test_chromium_hostile_evidence_report(hostile):
    _, _, output, _ = hostile
    dom = DumpDom(os.path.join(output, "report.html"))
    assert "<script" not in dom.lower() and "<img" not in dom.lower()
    assert DocumentTitle(dom) == TITLE
    assert "<svg" in dom
    text = html.unescape(dom.replace("<wbr>", ""))
    assert f"{SCRIPT}:443" in text
    assert f"\\AppData\\Roaming\\{IMG}".lower() in text.lower()


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
