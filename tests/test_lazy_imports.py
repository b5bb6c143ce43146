"""Extraction processes import only what extraction needs (issue #11).

An extraction worker imports plaso.parsers but never plaso.analysis; under
spawn or forkserver each worker imports everything anew, and our analysis
side (with plaso.analysis, plaso.cli.helpers and plaso.output behind it)
cost 0.2 s of CPU per worker. These subprocess tests pin that down: the
extension adds no plaso module to a worker's imports, the analysis plugin
appears the moment plaso.analysis is imported, its heavy modules only when
it is created, and a package imported by name (no .pth watcher) still
registers everything.
"""

import sys

from tests import plaso_run

DISABLE = {"PLASO_NETSUPPORT_DISABLE": "1"}

_HEAVY_PREFIXES = (
    "plaso.analysis",
    "plaso.cli",
    "plaso.output",
    "plaso_netsupport.analysis",
    "plaso_netsupport.sigma",
    "sigma",
    "requests",
)

_WORKER_IMPORTS = (
    "import sys, plaso.multi_process.extraction_process; "
    f"print(sorted(m for m in sys.modules if m.startswith({_HEAVY_PREFIXES!r}))); "
    "print('plaso_netsupport.parsers.pe_version_info' in sys.modules)"
)

_REGISTERED = (
    "from plaso.analysis import manager as analysis_manager; "
    "from plaso.cli.helpers import manager as helpers_manager; "
    "print('netsupport' in analysis_manager.AnalysisPluginManager._plugin_classes, "
    "'netsupport' in helpers_manager.ArgumentHelperManager._helper_classes)"
)


def _Python(code, env=None, flags=()):
    return plaso_run.Run([sys.executable, *flags, "-c", code], env=env).stdout


def testWorkerImportsNoAnalysis():
    """What an extraction worker imports: the parsers, none of the analysis."""
    extension = _Python(_WORKER_IMPORTS).splitlines()
    stock = _Python(_WORKER_IMPORTS, env=DISABLE).splitlines()
    assert extension[1] == "True"
    assert stock[1] == "False"
    assert extension[0] == stock[0]


def testAnalysisRegisteredWhenPlasoAnalysisIsImported():
    """plaso.parsers first (log2timeline), then plaso.analysis: registered."""
    output = _Python(
        "import sys, plaso.parsers; "
        "print('plaso_netsupport.analysis' in sys.modules); "
        "import plaso.analysis; "
        "print('plaso_netsupport.analysis.netsupport' in sys.modules, "
        "'plaso_netsupport.analysis.correlate' in sys.modules); " + _REGISTERED
    )
    # The plugin's module is light: correlation waits for a plugin object.
    assert output.splitlines() == ["False", "True False", "True True"]


def testPluginCreationImportsItsModules():
    output = _Python(
        "import sys; from plaso.analysis import manager; "
        "print('plaso_netsupport.analysis.collector' in sys.modules); "
        "plugin = manager.AnalysisPluginManager._plugin_classes['netsupport']; "
        "plugin(); "
        "print(all(f'plaso_netsupport.analysis.{name}' in sys.modules "
        "for name in ('collector', 'correlate', 'coverage', 'evidence', 'findings')))"
    )
    assert output.splitlines() == ["False", "True"]


def testImportByNameWithoutWatcher():
    """python -S (no .pth): importing the package registers everything."""
    site_packages = [path for path in sys.path if path.endswith("site-packages")]
    code = (
        f"import sys; sys.path.extend({site_packages!r}); "
        "import plaso_netsupport, plaso.parsers; "
        "from plaso.parsers import manager; "
        "print('pe_version_info' in manager.ParsersManager._parser_classes); "
        + _REGISTERED
    )
    assert _Python(code, flags=("-S",)).splitlines() == ["True", "True True"]
    # The switch turns off the .pth hook, not a package imported by name.
    assert _Python(code, env=DISABLE).splitlines() == ["True", "True True"]
