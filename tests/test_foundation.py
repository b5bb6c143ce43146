"""The extension reaches the stock plaso tools in every process.

Subprocess tests: the installed package (make test installs it as a wheel)
loaded through the .pth hook into plaso's own console scripts, under each
multiprocessing start method, and the disable switch.
"""

import glob
import os
import subprocess
import sys
import sysconfig

import pytest

from tests import plaso_run

SOURCE = os.path.join(os.path.dirname(__file__), "foundation_data", "source")
START_METHODS = ("fork", "spawn", "forkserver")
DISABLE = {"PLASO_NETSUPPORT_DISABLE": "1"}


def _Python(code, env=None):
    return plaso_run.Run([sys.executable, "-c", code], env=env).stdout.strip()


def test_start_up_files_installed():
    """The .pth and .start files and the autoload module sit in site-packages."""
    site_packages = sysconfig.get_paths()["purelib"]
    for name in (
        "plaso_netsupport.pth",
        "plaso_netsupport.start",
        "plaso_netsupport_autoload.py",
    ):
        assert os.path.isfile(os.path.join(site_packages, name)), name
    with open(os.path.join(site_packages, "plaso_netsupport.start")) as file_object:
        assert file_object.read().strip() == "plaso_netsupport_autoload:install"


def test_hook_imports_nothing_at_start():
    """A bare interpreter has the watcher but neither plaso nor the extension."""
    output = _Python(
        "import sys; "
        "print(type(sys.meta_path[0]).__name__ if not isinstance(sys.meta_path[0], type) "
        "else sys.meta_path[0].__name__, 'plaso' in sys.modules, "
        "'plaso_netsupport' in sys.modules)"
    )
    assert output == "PlasoWatcher False False"


def test_bare_interpreter_start_up_imports_nothing_heavy():
    """python -c pass loads no plaso module (the timing is benchmarks/startup.py).

    -X importtime lists every module imported at start-up; with the hook on,
    none is plaso's or ours, which is what keeps start-up as fast as stock.
    """
    result = plaso_run.Run([sys.executable, "-X", "importtime", "-c", "pass"])
    modules = [
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    ]
    assert "site" in modules
    heavy = [
        name
        for name in modules
        if name.split(".")[0] in ("plaso", "plaso_netsupport", "dfvfs", "yaml")
    ]
    assert heavy == []


@pytest.mark.parametrize("trigger", ["plaso.parsers", "plaso.analysis"])
def test_hook_registers_on_trigger(trigger):
    """Importing either plaso registry loads and registers the extension."""
    output = _Python(
        f"import {trigger}; import sys; "
        "from plaso.parsers import manager; "
        "from plaso.analysis import manager as analysis_manager; "
        "print('plaso_netsupport' in sys.modules, "
        "'netsupport_client32_ini' in manager.ParsersManager._parser_classes, "
        "'netsupport' in analysis_manager.AnalysisPluginManager._plugin_classes)"
    )
    assert output == "True True True"


def test_hook_is_idempotent():
    """Installing twice and importing twice registers once, without errors."""
    output = _Python(
        "import plaso_netsupport_autoload as a; a.install(); a.install(); "
        "import sys; print(sum(1 for f in sys.meta_path if f is a.PlasoWatcher)); "
        "import plaso.parsers, plaso.analysis, plaso_netsupport; "
        "import importlib; a._LoadExtension(); "
        "from plaso_netsupport import hooks; hooks.Install(); hooks.Install(); "
        "from plaso.parsers import presets; "
        "print(presets.ParserPresetsManager.ReadFromFile._plaso_netsupport_wrapped)"
    )
    assert output.splitlines() == ["1", "True"]


def test_disable_switch():
    """PLASO_NETSUPPORT_DISABLE=1: nothing of ours is loaded or wrapped."""
    output = _Python(
        "import sys, plaso.parsers, plaso.analysis; "
        "from plaso.parsers import presets, manager; "
        "print('plaso_netsupport' in sys.modules, "
        "hasattr(presets.ParserPresetsManager.ReadFromFile, "
        "'_plaso_netsupport_wrapped'), "
        "any('netsupport' in name for name in manager.ParsersManager._parser_classes))",
        env=DISABLE,
    )
    assert output == "False False False"


def test_tools_list_extension():
    """The stock scripts list our parsers, preset and analysis plugin."""
    parsers = plaso_run.Tool("log2timeline", "--parsers", "list").stdout
    assert "netsupport_client32_ini" in parsers
    assert "netsupport_nsm_lic" in parsers
    assert "netsupport_software" in parsers
    assert "netsupport :" in parsers
    analysis = plaso_run.Tool("psort", "--analysis", "list").stdout
    assert "netsupport" in analysis

    stock = plaso_run.Tool("log2timeline", "--parsers", "list", env=DISABLE).stdout
    assert "netsupport" not in stock
    assert (
        "netsupport"
        not in plaso_run.Tool("psort", "--analysis", "list", env=DISABLE).stdout
    )


def _Counts(storage_file, env=None):
    output = plaso_run.Tool("pinfo", "-v", storage_file, env=env).stdout
    return output


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """One default (fork) extraction of the foundation source, and a stock one."""
    directory = tmp_path_factory.mktemp("foundation")
    storage = str(directory / "fork.plaso")
    plaso_run.Log2Timeline(storage, SOURCE, "--parsers", "netsupport")
    stock = str(directory / "stock.plaso")
    plaso_run.Log2Timeline(stock, SOURCE, "--parsers", "filestat", env=DISABLE)
    return directory, storage, stock


def _DataTypes(records):
    return sorted(record["data_type"] for record in records)


@pytest.mark.e2e
@pytest.mark.parametrize("start_method", START_METHODS)
def test_parser_runs_in_workers(extracted, start_method):
    """log2timeline (multi-process) parses client32.ini in its workers.

    Workers rebuild their parsers by name and silently skip names they do not
    know, so events from our parser prove that the worker had it registered.
    """
    directory, _, _ = extracted
    storage = str(directory / f"{start_method}.plaso")
    if not os.path.exists(storage):
        plaso_run.Log2Timeline(
            storage,
            SOURCE,
            "--parsers",
            "netsupport",
            "--workers",
            "2",
            start_method=start_method,
        )
    records = plaso_run.JsonLines(storage, str(directory / f"{start_method}.jsonl"))
    configs = [r for r in records if r["data_type"] == "netsupport:client32_ini:config"]
    assert configs, _DataTypes(records)
    assert configs[0]["gateway"] == "gw.example.invalid"


@pytest.mark.e2e
@pytest.mark.parametrize("start_method", START_METHODS)
def test_analysis_runs_in_plugin_process(extracted, start_method, tmp_path):
    """psort runs the netsupport plugin in its own process under each method."""
    _, storage, _ = extracted
    copy = tmp_path / "case.plaso"
    copy.write_bytes(open(storage, "rb").read())
    plaso_run.Analyse(str(copy), start_method=start_method)
    records = plaso_run.JsonLines(
        str(copy), str(tmp_path / "tagged.jsonl"), "tag contains 'netsupport'"
    )
    assert records
    assert all("netsupport" in record["tag"]["labels"] for record in records)
    info = plaso_run.Tool("pinfo", str(copy)).stdout
    assert "NetSupport analysis report" in info


@pytest.mark.e2e
def test_disabled_run_equals_stock(extracted, tmp_path):
    """With the switch on, log2timeline produces exactly what stock plaso does."""
    _, storage, stock = extracted
    disabled = str(tmp_path / "disabled.plaso")
    plaso_run.Log2Timeline(disabled, SOURCE, "--parsers", "filestat", env=DISABLE)
    records = plaso_run.JsonLines(disabled, str(tmp_path / "d.jsonl"), env=DISABLE)
    ours = plaso_run.JsonLines(storage, str(tmp_path / "o.jsonl"))
    assert _DataTypes(records) == sorted(
        record["data_type"]
        for record in ours
        if not record["data_type"].startswith("netsupport:")
    )


@pytest.mark.e2e
def test_wrapper_scripts_without_hook(extracted, tmp_path):
    """log2timeline-netsupport loads the extension with the .pth hook off.

    The switch only silences the hook; the wrappers import the package at
    module level, as the fallback for interpreters that skip .pth files.
    """
    storage = str(tmp_path / "wrapper.plaso")
    wrapper = plaso_run.Script("log2timeline-netsupport")
    plaso_run.Run(
        [wrapper, "--status_view", "none", "--quiet", "--storage_file", storage,
         "--parsers", "netsupport_client32_ini", SOURCE]
    )  # fmt: skip
    records = plaso_run.JsonLines(storage, str(tmp_path / "w.jsonl"))
    assert "netsupport:client32_ini:config" in _DataTypes(records)


@pytest.mark.e2e
def test_uninstall_leaves_stock_plaso_working(tmp_path):
    """Install our wheel into a venv layered on this one, uninstall, run plaso.

    The layered venv sees plaso through a path entry (a copy of this
    environment's site-packages without our package, made of symlinks) whose
    .pth files Python does not process, so only the copy of our package
    installed into the layered venv itself can hook into its tools.
    """
    wheel_directory = tmp_path / "wheel"
    repository = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    plaso_run.Run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(wheel_directory), repository]
    )  # fmt: skip
    wheel = glob.glob(str(wheel_directory / "plaso_netsupport-*.whl"))[0]
    venv = tmp_path / "venv"
    plaso_run.Run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    layered_python = str(venv / "bin" / "python")
    site_packages = plaso_run.Run(
        [
            layered_python,
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ]
    ).stdout.strip()
    # The base: this environment's site-packages without our distribution,
    # so that pip in the layered venv neither skips nor touches our copy here.
    base = tmp_path / "base"
    base.mkdir()
    ours = ("plaso_netsupport", "plaso_netsupport_autoload", "plaso-netsupport")
    for name in os.listdir(sysconfig.get_paths()["purelib"]):
        if not name.startswith(ours):
            os.symlink(
                os.path.join(sysconfig.get_paths()["purelib"], name), base / name
            )
    with open(os.path.join(site_packages, "zz_base.pth"), "w") as file_object:
        file_object.write(str(base) + "\n")
    pip = [sys.executable, "-m", "pip", "--python", layered_python]
    code = (
        "import sys; sys.argv = ['log2timeline', '--parsers', 'list']; "
        "from plaso.scripts import log2timeline; log2timeline.Main()"
    )
    plaso_run.Run(pip + ["install", "-q", "--no-deps", wheel])
    assert (
        "netsupport_client32_ini" in plaso_run.Run([layered_python, "-c", code]).stdout
    )
    plaso_run.Run(pip + ["uninstall", "-q", "-y", "plaso-netsupport"])
    assert not os.path.exists(os.path.join(site_packages, "plaso_netsupport.pth"))
    assert not os.path.exists(os.path.join(site_packages, "plaso_netsupport.start"))
    listing = plaso_run.Run([layered_python, "-c", code]).stdout
    assert "netsupport" not in listing and "filestat" in listing
    storage = str(tmp_path / "after.plaso")
    extract = (
        "import sys; sys.argv = ['log2timeline', '--status_view', 'none', '--quiet', "
        f"'--storage_file', {storage!r}, '--parsers', 'filestat', {SOURCE!r}]; "
        "from plaso.scripts import log2timeline; sys.exit(log2timeline.Main() is False)"
    )
    plaso_run.Run([layered_python, "-c", extract])
    assert os.path.getsize(storage) > 0
