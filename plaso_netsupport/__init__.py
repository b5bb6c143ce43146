"""plaso-netsupport: NetSupport Manager / NetSupport RAT traces in plaso.

Importing this package registers, as a side effect and exactly once, every
parser and registry plugin of ours with plaso, and adds our timeliner,
formatter and preset definitions to the stock tools. plaso has no plugin
discovery; registration at import time in a module that every process
imports is what makes workers started with fork, spawn or forkserver see our
code (see plaso_netsupport_autoload).

The analysis plugin and its psort options are registered once plaso.analysis
is imported (LoadAnalysis): extraction workers never import it, and the
analysis side costs them 0.2 s of CPU each at start-up under spawn or
forkserver (plaso.analysis, plaso.cli.helpers and plaso.output).
"""

__version__ = "0.1.0"

import sys  # noqa: E402

from plaso_netsupport import hooks  # noqa: E402
from plaso_netsupport import parsers  # noqa: E402,F401

_ANALYSIS_TRIGGER = "plaso.analysis"


def LoadAnalysis():
    """Registers the analysis plugin and its psort options; idempotent."""
    # pylint: disable=import-outside-toplevel,unused-import
    from plaso_netsupport import analysis  # noqa: F401


def _WatchForAnalysis():
    """Loads the analysis part now, or when plaso.analysis gets imported.

    The .pth watcher does the latter in an installed environment. Where it is
    not installed (python -S with our wrapper scripts, a package imported by
    name), it is installed here: whoever imports this package wants it whole.
    """
    if _ANALYSIS_TRIGGER in sys.modules:
        LoadAnalysis()
        return
    try:
        import plaso_netsupport_autoload  # pylint: disable=import-outside-toplevel
    except ImportError:  # pragma: no cover  (installed with the package)
        LoadAnalysis()
        return
    plaso_netsupport_autoload.install(force=True)


hooks.Install()
_WatchForAnalysis()
