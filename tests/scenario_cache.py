"""Extracts each bundled forge image once per test session.

log2timeline takes 10-15 s per image; every end-to-end test of a scenario
shares one extraction and one analysed copy. Under pytest-xdist (make test
runs two workers) the workers of one run share the cache directory, named
after the run's id, and a lock file per scenario makes the first worker that
needs an image extract it while the other waits; the controller removes the
directory when the run ends (conftest.py).
"""

import atexit
import fcntl
import os
import shutil
import tempfile

from tests import plaso_run

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS_DIRECTORY = os.path.join(REPOSITORY, "test_data", "scenarios")
IMAGES_DIRECTORY = os.path.join(REPOSITORY, "test_data", "images")

# The same value in every worker of one pytest-xdist run.
_RUN_IDENTIFIER = os.environ.get("PYTEST_XDIST_TESTRUNUID")

_directory = None
_extracted = {}
_analysed = {}


def SharedDirectory(run_identifier=_RUN_IDENTIFIER):
    """Returns the cache directory the workers of an xdist run share."""
    return os.path.join(
        tempfile.gettempdir(), f"plaso_netsupport_scenarios_{run_identifier}"
    )


def _Directory():
    global _directory
    if _directory is None:
        if _RUN_IDENTIFIER:
            _directory = SharedDirectory()
            os.makedirs(_directory, exist_ok=True)
        else:
            _directory = tempfile.mkdtemp(prefix="plaso_netsupport_scenarios_")
            atexit.register(shutil.rmtree, _directory, ignore_errors=True)
    return _directory


class _Once:
    """Runs a step once across the workers: lock, check the done marker, run."""

    def __init__(self, name):
        self._path = os.path.join(_Directory(), name)
        self._file_object = None

    @property
    def done(self):
        return os.path.exists(self._path + ".done")

    def MarkDone(self):
        with open(self._path + ".done", "w", encoding="utf-8"):
            pass

    def __enter__(self):
        self._file_object = open(  # pylint: disable=consider-using-with
            self._path + ".lock", "w", encoding="utf-8"
        )
        fcntl.flock(self._file_object, fcntl.LOCK_EX)
        return self

    def __exit__(self, *unused_exception):
        fcntl.flock(self._file_object, fcntl.LOCK_UN)
        self._file_object.close()


def ImagePath(name):
    """Returns the path of a bundled scenario's E01 image."""
    return os.path.join(IMAGES_DIRECTORY, f"{name}.E01")


def Scenarios():
    """Returns the names of the bundled scenarios that have an image."""
    names = []
    for file_name in sorted(os.listdir(SCENARIOS_DIRECTORY)):
        if file_name.endswith(".yaml") and not file_name.endswith(".truth.yaml"):
            name = file_name[: -len(".yaml")]
            if os.path.exists(ImagePath(name)):
                names.append(name)
    return names


def Extracted(name):
    """Returns the storage file of a default log2timeline run on a scenario.

    Single-process mode gives the same events as multi-process mode (the
    foundation tests cover the latter under every start method) in a third of
    the time on these small images.
    """
    if name not in _extracted:
        storage = os.path.join(_Directory(), f"{name}.plaso")
        with _Once(f"{name}.plaso") as once:
            if not once.done:
                plaso_run.Log2Timeline(
                    storage, ImagePath(name), "--single_process", cwd=_Directory()
                )
                once.MarkDone()
        _extracted[name] = storage
    return _extracted[name]


def Analysed(name):
    """Returns (storage file, json_line records) after psort --analysis netsupport."""
    if name not in _analysed:
        storage = os.path.join(_Directory(), f"{name}.analysed.plaso")
        json_lines = os.path.join(_Directory(), f"{name}.jsonl")
        extracted = Extracted(name)
        with _Once(f"{name}.analysed.plaso") as once:
            if once.done:
                records = plaso_run.ReadJsonLines(json_lines)
            else:
                shutil.copyfile(extracted, storage)
                plaso_run.Analyse(storage, cwd=_Directory())
                records = plaso_run.JsonLines(storage, json_lines, cwd=_Directory())
                once.MarkDone()
        _analysed[name] = (storage, records)
    return _analysed[name]
