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

import datetime

import pytest
from plaso.analysis import manager as analysis_manager
from plaso.parsers import manager as parsers_manager

from plaso_netsupport.parsers import pe_version_info
from tests import parser_helpers
from tests import scenario_cache
from tests.forge import pe as forge_pe

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
    _Deregister(module)


def _Deregister(module):
    """Undoes what a benchmark module registered (other tests share plaso's)."""
    for value in vars(module).values():
        if getattr(value, "__module__", None) != module.__name__:
            continue
        if isinstance(value, type) and "bench" in str(getattr(value, "NAME", "")):
            if value.NAME in parsers_manager.ParsersManager._parser_classes:
                parsers_manager.ParsersManager.DeregisterParser(value)
            if value.NAME in analysis_manager.AnalysisPluginManager._plugin_classes:
                analysis_manager.AnalysisPluginManager.DeregisterPlugin(value)


def test_noop_pe_parser_produces_what_pe_version_info_produces(tmp_path):
    """The baseline's event data has the shape of the real parser's."""
    noop = _Import("noop_pe_parser")
    try:
        path = tmp_path / "Program Files" / "Vendor" / "app.exe"
        path.parent.mkdir(parents=True)
        path.write_bytes(
            forge_pe.build_pe(
                datetime.datetime(2020, 5, 4, tzinfo=datetime.timezone.utc),
                {
                    "CompanyName": "Vendor Ltd",
                    "FileDescription": "Application",
                    "FileVersion": "1.2.3.4",
                    "InternalName": "app",
                    "LegalCopyright": "Copyright Vendor Ltd",
                    "OriginalFilename": "app.exe",
                    "ProductName": "Product",
                    "ProductVersion": "1.2",
                },
            )
        )
        real = parser_helpers.ParseFile(pe_version_info.PEVersionInfoParser(), path)
        baseline = parser_helpers.ParseFile(noop.BenchmarkNoOpPEParser(), path)
        assert len(real.event_data) == len(baseline.event_data) == 1
        (real_data,), (baseline_data,) = real.event_data, baseline.event_data
        assert baseline_data.data_type == real_data.data_type

        def Attributes(event_data):
            return {name for name, value in event_data.GetAttributes() if value}

        assert Attributes(baseline_data) == Attributes(real_data)
        # Selected the same way: same signature, same Windows-directory filter.
        assert noop.BenchmarkNoOpPEParser.FILTERS == (
            pe_version_info.PEVersionInfoParser.FILTERS
        )
        assert noop.BenchmarkNoOpPEParser.GetFormatSpecification().signatures[
            0
        ].pattern == (b"MZ")
    finally:
        _Deregister(noop)
    assert "bench_noop_pe" not in parsers_manager.ParsersManager._parser_classes


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
