"""The OpenRelik worker on the real engine: redis-server, a Celery worker, tasks.

A local redis-server (127.0.0.1, a free port, no persistence) and our Celery
worker (`celery -A src.app worker --concurrency 2 --pool prefork`, started in
openrelik-worker-netsupport/) run for the module. Tasks are submitted the way
OpenRelik's server does (openrelik-server src/lib/workflow_utils.py:
`signature(task_name, kwargs={input_files, output_path, workflow_id,
task_config}, queue=<task name before the first dot>, task_id=uuid4().hex)`),
with input file dictionaries shaped like its run_workflow builds them, and the
registered tasks are read back the way its celery_utils.get_registered_tasks
does. The results are openrelik-worker-common's base64 task result.
"""

import ast
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest

if sys.version_info < (3, 11):
    pytest.skip(
        "the OpenRelik worker needs Python 3.11+ (openrelik-worker-common "
        "requires it, like OpenRelik itself)",
        allow_module_level=True,
    )

# pylint: disable=wrong-import-position
try:
    import celery
    import redis
except ImportError as exception:
    raise ImportError(
        f"{exception}: the OpenRelik worker's dependencies are missing; run "
        f"`make install` (pip install ./openrelik-worker-netsupport)"
    ) from exception

from tests import scenario_cache

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPOSITORY = scenario_cache.REPOSITORY
WORKER_DIRECTORY = os.path.join(REPOSITORY, "openrelik-worker-netsupport")
QUEUE = "openrelik-worker-netsupport"
ANALYSE_PLASO = "openrelik-worker-netsupport.tasks.analyse_plaso"
EXTRACT_AND_ANALYSE = "openrelik-worker-netsupport.tasks.extract_and_analyse"
TASK_TIMEOUT = 300
HOSTNAME = f"netsupport-test-{os.getpid()}@127.0.0.1"
RAT_FOLDER = "C:\\Users\\amoreau\\AppData\\Roaming\\MsEdgeSandbox"
LEGIT_FOLDER = "C:\\Program Files (x86)\\NetSupport\\NetSupport Manager"
OUTPUT_DATA_TYPES = {
    "netsupport:report:html",
    "netsupport:report:json",
    "netsupport:report:markdown",
    "netsupport:timeline:csv",
    "netsupport:timeline:jsonl",
    "netsupport:timeline:timesketch_jsonl",
    "netsupport:attack_navigator:layer",
    "plaso:log2timeline:plaso_storage",
}
ALLOWLIST = """\
entries:
  - licensee: Contoso Manufacturing GmbH
    reason: corporate licence, change CHG-1234
    review_date: 2099-12-31
"""
EXAMINER_RULE_ID = "5b0e7a3c-3c1e-4c51-9a57-6f2d2e0c9a11"
EXAMINER_RULE_TITLE = "Examiner rule - NetSupport Client service installed"
EXAMINER_RULES = f"""\
title: {EXAMINER_RULE_TITLE}
id: {EXAMINER_RULE_ID}
status: test
logsource:
    product: windows
    service: system
detection:
    selection:
        EventID: 7045
        ServiceName: NetSupport Client
    condition: selection
level: medium
"""


def _FreePort():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _Tail(path, size=6000):
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as file_object:
            return file_object.read()[-size:]
    except OSError:
        return ""


def _Descendants(pid):
    """Returns the PIDs of all descendants of a process (from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "r", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _Stop(process, grace):
    """Stops a process we started, and everything it started.

    SIGTERM first (Celery's warm shutdown waits for running tasks). A worker
    still running after the grace period gets SIGKILL together with its
    descendants, found while they are alive: its tasks run triage in sessions
    of their own, and triage runs plaso in process groups of their own.
    """
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    if process.poll() is None:
        for pid in _Descendants(process.pid) + [process.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def work_directory():
    directory = tempfile.mkdtemp(prefix="openrelik_worker_test_")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def redis_url(work_directory):
    """A redis-server of our own on 127.0.0.1, without persistence."""
    server = shutil.which("redis-server")
    assert server, "redis-server is missing: run `make install` (Debian redis-server)"
    data = os.path.join(work_directory, "redis")
    os.makedirs(data)
    log_path = os.path.join(work_directory, "redis.log")
    for _ in range(3):  # another process may take the free port first
        port = _FreePort()
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(
                [
                    server,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    data,
                    "--daemonize",
                    "no",
                ],
                cwd=data,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if client.ping():
                    break
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        if process.poll() is None:
            break
    else:
        raise AssertionError(f"redis-server did not start:\n{_Tail(log_path)}")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        _Stop(process, grace=10)


@pytest.fixture(scope="module")
def client(redis_url):
    """A Celery client app, as OpenRelik's server creates it."""
    app = celery.Celery(broker=redis_url, backend=redis_url)
    yield app
    # Results still referenced (by a failed test's traceback) unsubscribe when
    # collected; after redis-server stopped they would retry for minutes.
    app.backend.result_consumer.stop()
    app.backend.result_consumer._pubsub = None  # pylint: disable=protected-access
    app.close()


@pytest.fixture(scope="module")
def worker(redis_url, client, work_directory):
    """Our Celery worker: two prefork processes on the worker's queue."""
    log_path = os.path.join(work_directory, "worker.log")
    environment = dict(os.environ)
    environment["REDIS_URL"] = redis_url
    # The working tree's code in the worker and in everything it starts.
    environment["PYTHONPATH"] = os.pathsep.join(
        [WORKER_DIRECTORY, REPOSITORY]
        + [part for part in [os.environ.get("PYTHONPATH")] if part]
    )
    environment["TMPDIR"] = work_directory
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "src.app",
                "worker",
                "--concurrency",
                "2",
                "--pool",
                "prefork",
                "--task-events",
                "--loglevel",
                "INFO",
                "-Q",
                QUEUE,
                "--hostname",
                HOSTNAME,
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=WORKER_DIRECTORY,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while not client.control.ping(timeout=1.0):
            assert process.poll() is None, f"worker exited:\n{_Tail(log_path)}"
            assert time.monotonic() < deadline, f"worker not ready:\n{_Tail(log_path)}"
        yield process, log_path
    finally:
        _Stop(process, grace=30)


@pytest.fixture(scope="module")
def evidence(work_directory):
    """OpenRelik-style stored files: <uuid>.<extension>, read-only."""
    directory = os.path.join(work_directory, "files")
    os.makedirs(directory)
    sources = {
        "rat_drop.plaso": scenario_cache.Extracted("rat_drop"),
        "legit_manager.E01": scenario_cache.ImagePath("legit_manager"),
        "decoys.E01": scenario_cache.ImagePath("decoys"),
    }
    files = {}
    for display_name, source in sources.items():
        files[display_name] = _StoredFile(directory, display_name, source=source)
    with open(sources["rat_drop.plaso"], "rb") as file_object:
        head = file_object.read(65536)
    files["truncated.plaso"] = _StoredFile(directory, "truncated.plaso", data=head)
    files["garbage.plaso"] = _StoredFile(
        directory, "garbage.plaso", data=b"\x00not a plaso storage file\n" * 100
    )
    return files


def _StoredFile(directory, display_name, source=None, data=None):
    file_uuid = uuid.uuid4().hex
    extension = os.path.splitext(display_name)[1]
    path = os.path.join(directory, f"{file_uuid}{extension}")
    if source:
        shutil.copyfile(source, path)
    else:
        with open(path, "wb") as file_object:
            file_object.write(data)
    os.chmod(path, 0o444)
    return {
        "id": len(os.listdir(directory)),
        "uuid": file_uuid,
        "display_name": display_name,
        "extension": extension.lstrip("."),
        "data_type": "openrelik:upload:file",
        "mime_type": "application/octet-stream",
        "path": path,
    }


def _Digest(path):
    with open(path, "rb") as file_object:
        return hashlib.sha256(file_object.read()).hexdigest()


def _Submit(task_name, input_files, output_path, task_config=None):
    """Submits a task exactly as OpenRelik's server (workflow_utils) does."""
    os.makedirs(output_path, exist_ok=True)
    task_id = uuid.uuid4().hex
    signature = celery.signature(
        task_name,
        kwargs={
            "input_files": input_files,
            "output_path": output_path,
            "workflow_id": 42,
            "task_config": task_config or {},
        },
        queue=task_name.split(".")[0],
        task_id=task_id,
    )
    return signature.apply_async()


def _Decode(result):
    return json.loads(base64.b64decode(result.encode("utf-8")).decode("utf-8"))


def _Failure(async_result, worker_log):
    async_result.get(timeout=TASK_TIMEOUT, propagate=False)
    assert async_result.state == "FAILURE", _Tail(worker_log)
    message = str(async_result.result)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_tasks_registered_with_metadata(client, worker):
    """The server finds our tasks and their task_config like get_registered_tasks."""
    inspect = client.control.inspect(timeout=10, destination=[HOSTNAME], limit=1)
    registered = inspect.registered("metadata")
    assert registered, _Tail(worker[1])
    found = {}
    for tasks in registered.values():
        for task in tasks:
            match = re.search("({.+})", task)
            if match:
                found[task.split()[0]] = ast.literal_eval(match.group(0))
    assert set(found) == {ANALYSE_PLASO, EXTRACT_AND_ANALYSE}
    for name, metadata in found.items():
        assert name.split(".")[0] == QUEUE
        assert metadata["display_name"].startswith("NetSupport")
        fields = {field["name"]: field["type"] for field in metadata["task_config"]}
        assert fields == {
            "allowlist": "textarea",
            "sigma_rules": "textarea",
            "fast": "checkbox",
        }


def test_bad_inputs_fail_with_one_line_and_worker_keeps_serving(
    client, worker, evidence, work_directory
):
    output = os.path.join(work_directory, "output", "bad")
    message = _Failure(
        _Submit(ANALYSE_PLASO, [evidence["garbage.plaso"]], output), worker[1]
    )
    assert message == "not a plaso storage file: garbage.plaso"

    message = _Failure(
        _Submit(ANALYSE_PLASO, [evidence["legit_manager.E01"]], output), worker[1]
    )
    assert message == (
        "no plaso storage file (*.plaso) among the input files: legit_manager.E01"
    )

    # A damaged storage file (the first 64 KiB of a real one): psort fails.
    message = _Failure(
        _Submit(ANALYSE_PLASO, [evidence["truncated.plaso"]], output), worker[1]
    )
    assert message.startswith(
        "plaso-netsupport triage failed on truncated.plaso (exit 2): "
    ), message
    assert message.endswith(
        ": sqlite3.DatabaseError: database disk image is malformed"
    ), message

    message = _Failure(
        _Submit(
            EXTRACT_AND_ANALYSE,
            [evidence["decoys.E01"]],
            output,
            {"allowlist": "entries: [unclosed"},
        ),
        worker[1],
    )
    assert message.startswith("the allowlist is not valid YAML: "), message
    # Nothing half-written is left as an output file.
    assert os.listdir(output) == []
    assert worker[0].poll() is None


@pytest.fixture(scope="module")
def progress_events(client, worker):
    """Collects the task-progress events (as OpenRelik's mediator receives them)."""
    events = []
    ready = threading.Event()

    class Receiver(client.events.Receiver):
        def on_consume_ready(self, *args, **kwargs):
            super().on_consume_ready(*args, **kwargs)
            ready.set()

    with client.connection_for_read() as connection:
        receiver = Receiver(connection, handlers={"task-progress": events.append})
        thread = threading.Thread(target=receiver.capture, daemon=True)
        thread.start()
        assert ready.wait(30), "event receiver not ready"
        try:
            yield events
        finally:
            receiver.should_stop = True
            thread.join(30)


@pytest.fixture(scope="module")
def concurrent_results(client, worker, evidence, work_directory, progress_events):
    """Three tasks on three bundled images, submitted at once to two processes."""
    digests = {name: _Digest(item["path"]) for name, item in evidence.items()}
    submitted = {
        "rat_drop": _Submit(
            ANALYSE_PLASO,
            [evidence["rat_drop.plaso"]],
            os.path.join(work_directory, "output", "rat_drop"),
            {"fast": True},
        ),
        "legit_manager": _Submit(
            EXTRACT_AND_ANALYSE,
            [evidence["legit_manager.E01"]],
            os.path.join(work_directory, "output", "legit_manager"),
            {"allowlist": ALLOWLIST, "sigma_rules": EXAMINER_RULES},
        ),
        "decoys": _Submit(
            EXTRACT_AND_ANALYSE,
            [evidence["decoys.E01"]],
            os.path.join(work_directory, "output", "decoys"),
        ),
    }
    results = {}
    for name, async_result in submitted.items():
        value = async_result.get(timeout=TASK_TIMEOUT, propagate=False)
        assert (
            async_result.state == "SUCCESS"
        ), f"{name}: {async_result.result}\n{_Tail(worker[1])}"
        results[name] = _Decode(value)
        results[name]["task_id"] = async_result.id
    return results, digests, evidence


def _Outputs(result):
    return {item["data_type"]: item for item in result["output_files"]}


def _ReadOutput(result, data_type):
    with open(_Outputs(result)[data_type]["path"], "r", encoding="utf-8") as handle:
        return handle.read()


def test_concurrent_tasks_run_in_parallel(concurrent_results):
    results = concurrent_results[0]
    spans = sorted(
        (result["meta"]["started_at"], result["meta"]["finished_at"])
        for result in results.values()
    )
    # Two worker processes: at least two of the three tasks overlap in time.
    assert any(
        later_start < earlier_end
        for (_, earlier_end), (later_start, _) in zip(spans, spans[1:])
    ), spans


def test_progress_events(concurrent_results, progress_events):
    results = concurrent_results[0]
    for name, result in results.items():
        events = [
            event for event in progress_events if event["uuid"] == result["task_id"]
        ]
        assert events, name
        assert events[0]["data"]["status"] == "starting"
        assert {event["data"]["source"] for event in events} == {
            "rat_drop.plaso" if name == "rat_drop" else f"{name}.E01"
        }


def test_output_files_as_openrelik_registers_them(concurrent_results):
    results = concurrent_results[0]
    for name, result in results.items():
        assert result["workflow_id"] == 42
        outputs = _Outputs(result)
        assert set(outputs) == OUTPUT_DATA_TYPES, name
        for output in result["output_files"]:
            assert os.path.basename(output["path"]) == (
                output["uuid"] + output["extension"]
            )
            assert os.path.isfile(output["path"]), output
            if name != "decoys":
                assert os.path.getsize(output["path"]) > 0, output
            assert output["display_name"].startswith(name + ".netsupport"), output
        assert outputs["netsupport:report:html"]["display_name"] == (
            f"{name}.netsupport-report.html"
        )
        assert "plaso-netsupport" in result["command"]
        assert "triage" in result["command"]


def test_rat_drop_plaso_analysed_without_touching_the_input(concurrent_results):
    results, digests, evidence = concurrent_results
    result = results["rat_drop"]
    document = json.loads(_ReadOutput(result, "netsupport:report:json"))
    assert [
        (item["folder"], item["verdict"]) for item in document["installations"]
    ] == [(RAT_FOLDER, "suspicious")]
    assert result["meta"]["installations"] == [
        {"source": "rat_drop.plaso", "folder": RAT_FOLDER, "verdict": "suspicious"}
    ]
    assert result["task_report"]["priority"] == 40  # Priority.HIGH
    assert result["task_report"]["summary"] == "rat_drop.plaso: 1 suspicious"
    assert RAT_FOLDER.replace("\\", "\\\\") in json.dumps(
        result["task_report"]["content"]
    )
    assert len(result["file_reports"]) == 1
    assert result["file_reports"][0]["input_file_uuid"] == (
        evidence["rat_drop.plaso"]["uuid"]
    )
    # The input stays as it was; the analysed copy carries the tags.
    for name, item in evidence.items():
        assert _Digest(item["path"]) == digests[name], name
    assert _Digest(_Outputs(result)["plaso:log2timeline:plaso_storage"]["path"]) != (
        digests["rat_drop.plaso"]
    )
    # Fast mode goes to triage only where triage has it.
    if "--fast" in result["command"]:
        assert result["meta"]["notes"] == []
    else:
        assert result["meta"]["notes"] == [
            "fast: this plaso-netsupport has no triage --fast; the full analysis ran"
        ]
    timeline = _ReadOutput(result, "netsupport:timeline:csv").splitlines()
    assert timeline[0].startswith("datetime,timestamp_desc,source")
    assert len(timeline) > 10
    assert all("netsupport" in line for line in timeline[1:])
    layer = json.loads(_ReadOutput(result, "netsupport:attack_navigator:layer"))
    assert "T1219.002" in {item["techniqueID"] for item in layer["techniques"]}


def test_legit_image_extracted_with_allowlist_and_examiner_rules(concurrent_results):
    result = concurrent_results[0]["legit_manager"]
    document = json.loads(_ReadOutput(result, "netsupport:report:json"))
    assert [
        (item["folder"], item["verdict"]) for item in document["installations"]
    ] == [(LEGIT_FOLDER, "allowlisted")]
    allowlist = document["installations"][0]["allowlist"]
    assert allowlist["entry"] == "licensee"
    assert allowlist["value"].lower() == "contoso manufacturing gmbh"
    assert allowlist["reason"] == "corporate licence, change CHG-1234"
    assert str(allowlist["review_date"]) == "2099-12-31"
    rules = {rule["id"]: rule for rule in document["sigma_rules"]}
    assert rules[EXAMINER_RULE_ID]["title"] == EXAMINER_RULE_TITLE
    assert rules[EXAMINER_RULE_ID]["events"] == 2
    assert result["task_report"]["priority"] == 10  # Priority.LOW
    assert result["task_report"]["summary"] == "legit_manager.E01: 1 allowlisted"
    report = _ReadOutput(result, "netsupport:report:markdown")
    assert "Source: ` legit_manager.E01 `" in report


def test_decoys_image_has_no_netsupport(concurrent_results):
    result = concurrent_results[0]["decoys"]
    document = json.loads(_ReadOutput(result, "netsupport:report:json"))
    assert document["installations"] == []
    assert result["meta"]["installations"] == []
    assert result["task_report"]["summary"] == "decoys.E01: no NetSupport installation"
    assert _ReadOutput(result, "netsupport:timeline:jsonl").strip() == ""


def _TriageRunModule():
    """The worker's triage_run module, loaded from its file (no Celery app)."""
    import importlib.util  # pylint: disable=import-outside-toplevel

    spec = importlib.util.spec_from_file_location(
        "openrelik_worker_netsupport_triage_run",
        os.path.join(WORKER_DIRECTORY, "src", "triage_run.py"),
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ewf_segments_are_one_source():
    triage_run = _TriageRunModule()
    files = [
        {"display_name": name, "path": f"/stored/{index}"}
        for index, name in enumerate(
            ["disk.E01", "notes.txt", "disk.E02", "other.e01", "DISK.E03", "x.raw"]
        )
    ]
    groups = [
        [item["display_name"] for item in group]
        for group in triage_run.GroupSources(files)
    ]
    assert groups == [
        ["disk.E01", "disk.E02", "DISK.E03"],
        ["notes.txt"],
        ["other.e01"],
        ["x.raw"],
    ]


def test_staged_names_are_plain_file_names():
    triage_run = _TriageRunModule()
    assert triage_run.SafeName("..\\..\\evil/../../x.E01", "f") == "x.E01"
    assert triage_run.SafeName("WKS 07 (copy);$(id).plaso", "f") == (
        "WKS 07 _copy_id_.plaso"
    )
    assert triage_run.SafeName(".hidden", "f") == "hidden"
    assert triage_run.SafeName("", "fallback") == "fallback"
    assert triage_run.SafeName(None, "fallback") == "fallback"


def test_error_line_names_the_cause():
    triage_run = _TriageRunModule()
    tail = [
        "plaso-netsupport: [2/5] analysis: psort --analysis netsupport",
        "Traceback (most recent call last):",
        '  File "psort", line 6, in <module>',
        "sqlite3.DatabaseError: database disk image is malformed",
        "plaso-netsupport: error: psort exited with 1 during analysis; see its "
        "output above and .triage/logs/psort-analysis.log.gz",
    ]
    assert triage_run._ErrorLine(tail) == (  # pylint: disable=protected-access
        "psort exited with 1 during analysis: "
        "sqlite3.DatabaseError: database disk image is malformed"
    )
    assert triage_run._ErrorLine(["a", "  last   words  "]) == "last words"
    assert triage_run._ErrorLine([]) == "no output"
