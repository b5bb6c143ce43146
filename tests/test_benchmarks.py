"""The benchmark scripts still import and read what the package writes.

`make bench` runs for an hour or more, so nobody runs it after a refactor;
a moved function broke benchmarks/fast_triage.py once, after its one-hour
full run. These checks take a second: every script imports, and the
fast-triage summary reads a real analysed storage file.
"""

import importlib.util
import json
import os
import shutil
import sys

import pytest

from tests import scenario_cache

BENCHMARKS_DIRECTORY = os.path.join(scenario_cache.REPOSITORY, "benchmarks")


def _Import(name):
    if BENCHMARKS_DIRECTORY not in sys.path:
        sys.path.insert(0, BENCHMARKS_DIRECTORY)
    specification = importlib.util.spec_from_file_location(
        f"benchmark_{name}", os.path.join(BENCHMARKS_DIRECTORY, f"{name}.py")
    )
    module = importlib.util.module_from_spec(specification)
    specification.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "name",
    sorted(
        file_name[: -len(".py")]
        for file_name in os.listdir(BENCHMARKS_DIRECTORY)
        if file_name.endswith(".py")
    ),
)
def test_benchmark_script_imports(name):
    module = _Import(name)
    assert module.__doc__


def test_fast_triage_summary_reads_an_analysed_store(tmp_path):
    fast_triage = _Import("fast_triage")
    storage, _ = scenario_cache.Analysed("rat_drop")
    shutil.copyfile(storage, tmp_path / "case.plaso")
    summary = fast_triage.Summary(str(tmp_path))
    assert summary["targeted"] is False
    assert summary["events"] > summary["tags"] > 0
    (installation,) = map(json.loads, summary["findings"])
    assert installation["folder"].lower().endswith("\\appdata\\roaming\\msedgesandbox")
    assert installation["verdict"] == "suspicious"
    assert "45.88.78.28:443" in json.dumps(installation["gateways"])
    assert "MsEdgeSandbox" in json.dumps(installation["persistence"])
