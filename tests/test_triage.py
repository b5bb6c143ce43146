"""`plaso-netsupport triage` and `report` end to end, as an examiner runs them.

One triage run on the RAT scenario image (module fixture) produces every
output; the tests check the files themselves (no pinfo). Error cases must
exit 2 with one readable line on stderr and no traceback.
"""

import csv
import datetime
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from tests import plaso_run
from tests import scenario_cache
from tests.test_html_report import (
    AssertAnchorsResolve,
    AssertInert,
    DocumentTitle,
    DumpDom,
    Screenshot,
    TITLE,
    needs_chromium,
)

COMMAND = plaso_run.Script("plaso-netsupport")
IMAGE = scenario_cache.ImagePath("rat_drop")
FOLDER = "\\users\\amoreau\\appdata\\roaming\\msedgesandbox"
GATEWAY = "nohakob-cdn.icu:443"
OUTPUTS = (
    "case.plaso",
    "netsupport.csv",
    "netsupport.jsonl",
    "timesketch.jsonl",
    "report.html",
    "report.json",
    "report.md",
    "attack-layer.json",
)
TECHNIQUE_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
UPDATE_SCREENSHOT = os.environ.get("PLASO_NETSUPPORT_UPDATE_SCREENSHOT") == "1"
SCREENSHOT = os.path.join(scenario_cache.REPOSITORY, "docs", "report.png")


@pytest.fixture(scope="module")
def triaged(tmp_path_factory):
    """The output directory of one triage run on rat_drop.E01, and its result."""
    output = str(tmp_path_factory.mktemp("triage") / "case")
    start = time.monotonic()
    result = plaso_run.Run(
        [COMMAND, "triage", IMAGE, "-o", output, "--status-view", "linear"],
        cwd=os.path.dirname(output),
    )
    result.duration = time.monotonic() - start
    return output, result


def _Read(output, name):
    with open(os.path.join(output, name), "r", encoding="utf-8") as file_object:
        return file_object.read()


def _JsonLines(output, name):
    return [
        json.loads(line) for line in _Read(output, name).splitlines() if line.strip()
    ]


def test_triage_writes_every_output(triaged):
    output, result = triaged
    assert result.returncode == 0
    for name in OUTPUTS:
        path = os.path.join(output, name)
        assert os.path.getsize(path) > 0, name
    assert not os.path.exists(os.path.join(output, "INCOMPLETE.txt"))
    # Progress: our steps and plaso's own (linear) status view.
    assert "[1/5] extraction" in result.stdout and "[5/5] reports" in result.stdout
    assert "Processing completed" in result.stdout
    assert "[SUSPICIOUS] " in result.stdout
    assert FOLDER in result.stdout.lower()
    assert os.path.isdir(os.path.join(output, "logs"))


def test_report_json(triaged):
    output, _ = triaged
    document = json.loads(_Read(output, "report.json"))
    assert document["schema_version"] == 3 and document["verdict"] == "suspicious"
    (entry,) = document["installations"]
    assert entry["folder"].lower().endswith(FOLDER) and entry["verdict"] == "suspicious"
    assert GATEWAY in [gateway["address"] for gateway in entry["gateways"]]
    assert document["techniques"]["T1219.002"] > 0
    assert document["coverage"]["sources"][0]["source"] == "file_system"
    # The JSON report is the stored document, byte for byte the same data.
    storage = os.path.join(output, "case.plaso")
    result = plaso_run.Run([COMMAND, "report", storage, "--format", "json"])
    assert json.loads(result.stdout) == document


def test_netsupport_only_timelines(triaged):
    output, _ = triaged
    with open(
        os.path.join(output, "netsupport.csv"), newline="", encoding="utf-8"
    ) as file_object:
        rows = list(csv.DictReader(file_object))
    assert rows and set(rows[0]) >= {"datetime", "timestamp_desc", "tag", "message"}
    assert all("netsupport" in row["tag"].split() for row in rows)
    records = _JsonLines(output, "netsupport.jsonl")
    assert len(records) == len(rows)
    assert all("netsupport" in record["tag"]["labels"] for record in records)


def ValidateNavigatorLayer(layer):
    """The required fields of ATT&CK Navigator layer format 4.5."""
    problems = []
    if not isinstance(layer.get("name"), str) or not layer["name"]:
        problems.append("name")
    if layer.get("domain") not in ("enterprise-attack", "mobile-attack", "ics-attack"):
        problems.append("domain")
    versions = layer.get("versions")
    if not isinstance(versions, dict) or versions.get("layer") != "4.5":
        problems.append("versions.layer")
    techniques = layer.get("techniques")
    if not isinstance(techniques, list):
        problems.append("techniques")
        techniques = []
    for technique in techniques:
        if not TECHNIQUE_ID.match(str(technique.get("techniqueID"))):
            problems.append(f"techniqueID {technique.get('techniqueID')!r}")
        score = technique.get("score")
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            problems.append(f"score of {technique.get('techniqueID')}")
    gradient = layer.get("gradient")
    if gradient is not None and not (
        isinstance(gradient.get("colors"), list)
        and len(gradient["colors"]) >= 2
        and isinstance(gradient.get("minValue"), (int, float))
        and isinstance(gradient.get("maxValue"), (int, float))
    ):
        problems.append("gradient")
    for item in layer.get("legendItems") or []:
        if not isinstance(item.get("label"), str) or not isinstance(
            item.get("color"), str
        ):
            problems.append("legendItems")
    return problems


def test_navigator_layer(triaged):
    output, _ = triaged
    layer = json.loads(_Read(output, "attack-layer.json"))
    assert ValidateNavigatorLayer(layer) == []
    document = json.loads(_Read(output, "report.json"))
    scores = {item["techniqueID"]: item["score"] for item in layer["techniques"]}
    assert set(scores) == set(document["techniques"])
    # Scored by kind of evidence and verdict, not by event counts: the one
    # Run value of the suspicious installation scores highest.
    assert document["techniques"]["T1547.001"] < document["techniques"]["T1219.002"]
    assert scores["T1547.001"] == 100 > scores["T1219.002"] > 0
    assert all(0 < score <= 100 for score in scores.values())
    assert layer["domain"] == "enterprise-attack"
    assert ValidateNavigatorLayer(
        {
            "name": "x",
            "domain": "enterprise-attack",
            "versions": {"layer": "4.5"},
            "techniques": [{"techniqueID": "T12", "score": "1"}],
        }
    )


def test_timesketch_jsonl(triaged):
    output, _ = triaged
    records = _JsonLines(output, "timesketch.jsonl")
    assert len(records) == len(_JsonLines(output, "netsupport.jsonl"))
    for record in records:
        assert isinstance(record["message"], str) and record["message"]
        assert isinstance(record["timestamp_desc"], str) and record["timestamp_desc"]
        moment = datetime.datetime.fromisoformat(record["datetime"])
        assert moment.utcoffset() == datetime.timedelta(0)
        assert isinstance(record["tag"], list) and "netsupport" in record["tag"]
        assert all(isinstance(label, str) for label in record["tag"])
        assert {"data_type", "parser", "display_name"} <= set(record)
        assert not any(isinstance(value, dict) for value in record.values())
    labels = {label for record in records for label in record["tag"]}
    assert {"netsupport_suspicious", "attack_t1547_001"} <= labels


def test_report_markdown(triaged):
    output, _ = triaged
    text = _Read(output, "report.md")
    assert re.search(r"^## I1 SUSPICIOUS: ` .+ `$", text, re.M)
    assert FOLDER in text.lower()
    assert text.index("## Coverage") < text.index("## I1 SUSPICIOUS")
    assert "[T1219.002](https://attack.mitre.org/techniques/T1219/002/)" in text


def test_report_html_is_self_contained_and_linked(triaged):
    output, _ = triaged
    text = _Read(output, "report.html")
    AssertInert(text)
    AssertAnchorsResolve(text)
    assert (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        in html.unescape(text)
    )
    assert "<svg" in text and GATEWAY in text
    assert FOLDER in text.replace("<wbr>", "").lower()
    assert 'href="https://attack.mitre.org/techniques/T1219/002/"' in text
    assert "Remote Access Tools: Remote Desktop Software" in text
    document = json.loads(_Read(output, "report.json"))
    assert text.count('<tr id="evidence-E') == len(document["evidence"]) > 0
    assert text.index('id="coverage"') < text.index('id="installations"')


@needs_chromium
def test_chromium_renders_report(triaged, tmp_path):
    output, _ = triaged
    path = os.path.join(output, "report.html")
    dom = DumpDom(path)
    assert DocumentTitle(dom) == TITLE
    assert FOLDER in dom.replace("<wbr>", "").lower() and GATEWAY in dom
    assert re.search(r"<svg[^>]*id=\"chart-all\"", dom)
    assert re.search(r"<svg[^>]*id=\"chart-I1\"", dom)
    assert "<circle" in dom and "<script" not in dom.lower()
    png = SCREENSHOT if UPDATE_SCREENSHOT else str(tmp_path / "report.png")
    Screenshot(path, png)


def test_report_command_formats(triaged, tmp_path):
    output, _ = triaged
    storage = os.path.join(output, "case.plaso")
    for name in ("report.json", "report.md", "report.html", "report.txt"):
        result = plaso_run.Run([COMMAND, "report", storage, "-o", str(tmp_path / name)])
        assert result.returncode == 0
    assert json.loads((tmp_path / "report.json").read_text()) == json.loads(
        _Read(output, "report.json")
    )
    assert (
        (tmp_path / "report.md").read_text().startswith("# NetSupport analysis report")
    )
    assert (tmp_path / "report.txt").read_text().splitlines()[3] == "Coverage"
    text = (tmp_path / "report.html").read_text()
    AssertInert(text)
    assert text.count('<tr id="evidence-') == _Read(output, "report.html").count(
        '<tr id="evidence-'
    )
    # Text on stdout by default; the show_report alias prints the same.
    result = plaso_run.Run([COMMAND, "report", storage])
    assert result.stdout.startswith("NetSupport analysis report\n")
    alias = plaso_run.Run(
        [sys.executable, "-m", "plaso_netsupport.show_report", storage]
    )
    assert alias.stdout == result.stdout
    # An existing output needs --force.
    result = plaso_run.Run(
        [COMMAND, "report", storage, "-o", str(tmp_path / "report.json")], check=False
    )
    assert result.returncode == 2 and "--force" in result.stderr


def test_report_into_a_closed_pipe(triaged):
    """`report | head -1`: no BrokenPipeError traceback."""
    output, _ = triaged
    storage = os.path.join(output, "case.plaso")
    for command in (
        f"{COMMAND} report {storage} --format json | head -1",
        f"{sys.executable} -m plaso_netsupport.show_report {storage} --json | head -1",
    ):
        result = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, check=False
        )
        assert result.stdout.strip() == "{", command
        assert "Traceback" not in result.stderr and "Error" not in result.stderr


def test_timeline_format_follows_the_extension(triaged, tmp_path):
    output, _ = triaged
    storage = os.path.join(output, "case.plaso")
    jsonl = tmp_path / "x.jsonl"
    plaso_run.Run(
        [COMMAND, "timeline", storage, "-o", str(jsonl), "--skip_analysis"],
        cwd=str(tmp_path),
    )
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert records and all("netsupport" in r["tag"]["labels"] for r in records)
    result = plaso_run.Run(
        [COMMAND, "timeline", storage, "--skip_analysis"], cwd=str(tmp_path)
    )
    document = json.loads(_Read(output, "report.json"))
    lines = result.stdout.splitlines()
    assert len(lines) <= 3 * len(document["evidence"])
    # Events plaso dates "Not a time" (a PE file's version information
    # without a signing time) sort first, shown with "-" as their time.
    assert (lines[0][:4].isdigit() or lines[0].startswith("-")) and " E1 " in lines[0]


def test_empty_image_exits_with_one_line(tmp_path):
    """An image plaso cannot open is one plain file: no file system, exit 3."""
    image = tmp_path / "empty.E01"
    image.write_bytes(b"\x00" * 65536)
    output = tmp_path / "out"
    result = plaso_run.Run(
        [COMMAND, "triage", str(image), "-o", str(output), "--status_view", "none"],
        check=False,
    )
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("plaso-netsupport: error: no file system found in ")
    assert "Traceback" not in result.stderr
    assert "no file system found" in (output / "INCOMPLETE.txt").read_text()
    # The reports say what was examined.
    document = json.loads((output / "report.json").read_text())
    assert document["installations"] == [] and document["verdict"] == "none"
    assert "not examined" in (output / "report.md").read_text()


# Errors: exit code 2, one line, no traceback.


def _AssertUsageError(result, fragment):
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("plaso-netsupport: error: ")
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def _RunUnprivileged(arguments, cwd):
    """Runs the command as an unprivileged user when the tests run as root."""
    command = [COMMAND, *arguments]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if not setpriv:
            pytest.skip("running as root without setpriv: permissions are not enforced")
        command = [
            setpriv,
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            *command,
        ]
    return plaso_run.Run(command, cwd=cwd, check=False)


@pytest.fixture
def public_directory():
    """A directory an unprivileged user can enter (pytest's tmp_path is 0700)."""
    directory = tempfile.mkdtemp(prefix="plaso-netsupport-errors-")
    os.chmod(directory, 0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def test_error_missing_image(tmp_path):
    result = plaso_run.Run(
        [COMMAND, "triage", str(tmp_path / "nope.E01"), "-o", str(tmp_path / "out")],
        check=False,
    )
    _AssertUsageError(result, "no such image or storage file")
    assert not (tmp_path / "out").exists()


def test_error_unreadable_image(public_directory):
    image = os.path.join(public_directory, "locked.E01")
    shutil.copyfile(IMAGE, image)
    os.chmod(image, 0)
    result = _RunUnprivileged(
        ["triage", image, "-o", os.path.join(public_directory, "out")], public_directory
    )
    _AssertUsageError(result, "cannot read")
    assert "Permission denied" in result.stderr


def test_error_unwritable_output_directory(public_directory):
    parent = os.path.join(public_directory, "readonly")
    os.mkdir(parent, 0o555)
    os.chmod(parent, 0o555)
    result = _RunUnprivileged(
        ["triage", IMAGE, "-o", os.path.join(parent, "out")], public_directory
    )
    _AssertUsageError(result, "output directory is not writable")


def test_error_existing_output_directory(tmp_path):
    output = tmp_path / "out"
    output.mkdir()
    (output / "notes.txt").write_text("examiner's notes")
    result = plaso_run.Run([COMMAND, "triage", IMAGE, "-o", str(output)], check=False)
    _AssertUsageError(result, "not empty")
    assert (output / "notes.txt").read_text() == "examiner's notes"


def test_error_storage_without_analysis(tmp_path):
    storage = str(tmp_path / "empty.plaso")
    script = (
        "import sys\n"
        "from plaso.lib import definitions\n"
        "from plaso.storage import factory\n"
        "writer = factory.StorageFactory.CreateStorageWriter(definitions.DEFAULT_STORAGE_FORMAT)\n"
        "writer.Open(path=sys.argv[1])\n"
        "writer.Close()\n"
    )
    plaso_run.Run([sys.executable, "-c", script, storage])
    result = plaso_run.Run(
        [COMMAND, "report", storage, "-o", str(tmp_path / "report.html")], check=False
    )
    _AssertUsageError(result, "no netsupport analysis report")
    not_plaso = tmp_path / "notes.plaso"
    not_plaso.write_text("not a storage file")
    result = plaso_run.Run(
        [COMMAND, "report", str(not_plaso), "-o", str(tmp_path / "report.html")],
        check=False,
    )
    _AssertUsageError(result, "not a plaso storage file")


def _Descendants(pid):
    """Process IDs whose parent chain includes pid (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as file_object:
                    fields = file_object.read().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    found, changed = {pid}, True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in found and child not in found:
                found.add(child)
                changed = True
    return found - {pid}


def _Running(pids):
    """The processes of pids that still run (not gone, not zombies)."""
    running = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as file_object:
                state = file_object.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            running.append(pid)
    return running


def WaitFor(condition, timeout, interval=0.1):
    """Polls condition until it holds or timeout seconds pass; returns it."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return condition()
        time.sleep(interval)
    return True


def test_interrupt_writes_incomplete_and_exits_130(tmp_path):
    output = tmp_path / "out"
    log = open(tmp_path / "stdout.txt", "w+", encoding="utf-8")
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        [COMMAND, "triage", IMAGE, "-o", str(output), "--status-view", "linear"],
        stdout=log,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=str(tmp_path),
    )
    try:
        # Interrupt once plaso is processing: a KeyboardInterrupt while stock
        # log2timeline is still importing prints plaso's own traceback.
        children = set()

        def Started():
            children.update(_Descendants(process.pid))
            log.seek(0)
            return bool(children) and "Processing started." in log.read()

        assert WaitFor(Started, timeout=300), "log2timeline never started processing"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    text = (output / "INCOMPLETE.txt").read_text()
    assert "interrupted (SIGTERM) during step: " in text
    # Every child ends (or is a zombie waiting for init); wait for that.
    assert WaitFor(lambda: not _Running(children), timeout=60), _Running(children)


def test_log2timeline_and_psort_options_are_passed_through(tmp_path):
    from plaso_netsupport import cli  # pylint: disable=import-outside-toplevel
    from plaso_netsupport import triage  # pylint: disable=import-outside-toplevel

    arguments = cli.BuildParser().parse_args(
        [
            "triage",
            IMAGE,
            "-o",
            str(tmp_path),
            "--partitions",
            "2",
            "--no-vss",
            "--workers",
            "3",
            "--temporary_directory",
            "/var/tmp",
            "--artifact_filters",
            "WindowsRunKeys",
            "--parsers",
            "netsupport",
            "--allowlist",
            "allow.yaml",
            "--sigma-rules",
            "rules1",
            "--sigma-rules",
            "rules2",
            "--netsupport-no-sigma",
        ]
    )
    command, _ = triage.ExtractionCommand(
        arguments, IMAGE, "case.plaso", str(tmp_path), "none"
    )
    text = " ".join(command)
    for option in (
        "--unattended",
        "--partitions 2",
        "--volumes all",
        "--vss_stores none",
        "--workers 3",
        "--temporary_directory /var/tmp",
        "--artifact_filters WindowsRunKeys",
        "--parsers netsupport",
        "--storage_file case.plaso",
        "--status_view none",
    ):
        assert option in text, option
    assert command[-1] == IMAGE
    command, _ = triage.AnalysisCommand(
        arguments, "case.plaso", str(tmp_path), "window"
    )
    text = " ".join(command)
    assert "--analysis netsupport" in text and "--status_view window" in text
    assert f"--netsupport-allowlist {os.path.abspath('allow.yaml')}" in text
    assert text.count("--netsupport-sigma-rules") == 2
    assert "--netsupport-no-sigma" in text
    assert command[-1] == "case.plaso"


def test_error_missing_allowlist(tmp_path):
    result = plaso_run.Run(
        [
            COMMAND,
            "triage",
            IMAGE,
            "-o",
            str(tmp_path / "out"),
            "--allowlist",
            str(tmp_path / "allow.yaml"),
        ],
        check=False,
    )
    _AssertUsageError(result, "no such allowlist file")
