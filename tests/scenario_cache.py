"""Extracts each bundled forge image once per test session.

log2timeline takes 10-15 s per image; every end-to-end test of a scenario
shares one extraction and one analysed copy.
"""

import atexit
import os
import shutil
import tempfile

from tests import plaso_run

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS_DIRECTORY = os.path.join(REPOSITORY, "test_data", "scenarios")
IMAGES_DIRECTORY = os.path.join(REPOSITORY, "test_data", "images")

_directory = None
_extracted = {}
_analysed = {}


def _Directory():
    global _directory
    if _directory is None:
        _directory = tempfile.mkdtemp(prefix="plaso_netsupport_scenarios_")
        atexit.register(shutil.rmtree, _directory, ignore_errors=True)
    return _directory


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
        plaso_run.Log2Timeline(
            storage, ImagePath(name), "--single_process", cwd=_Directory()
        )
        _extracted[name] = storage
    return _extracted[name]


def Analysed(name):
    """Returns (storage file, json_line records) after psort --analysis netsupport."""
    if name not in _analysed:
        storage = os.path.join(_Directory(), f"{name}.analysed.plaso")
        shutil.copyfile(Extracted(name), storage)
        plaso_run.Analyse(storage, cwd=_Directory())
        records = plaso_run.JsonLines(
            storage, os.path.join(_Directory(), f"{name}.jsonl"), cwd=_Directory()
        )
        _analysed[name] = (storage, records)
    return _analysed[name]
