"""Loads plaso-netsupport into the stock plaso tools, lazily.

The plaso_netsupport.pth file (and plaso_netsupport.start on Python 3.15 and
later) calls install() at interpreter start. install() only puts a small
finder on sys.meta_path; it imports nothing of plaso, so interpreters that
never touch plaso start as fast as before. The moment plaso.parsers or
plaso.analysis has been executed, the finder imports plaso_netsupport, which
registers its parsers, plugins and definitions with plaso. The analysis
plugin is registered only once plaso.analysis is imported: extraction
workers, which never import it, do not pay for it.

This module lives outside the plaso_netsupport package on purpose: importing
anything from inside the package would run its __init__ and import plaso.
"""

import os
import sys
import threading

DISABLE_VARIABLE = "PLASO_NETSUPPORT_DISABLE"

# Modules whose import loads the extension. plaso.output.mediator (psort's
# output) only needs our message formatters, which are added then rather than
# at every extension load: importing plaso.output costs 0.2 s per process.
_TRIGGER_MODULES = frozenset(
    ["plaso.parsers", "plaso.analysis", "plaso.output.mediator"]
)

_lock = threading.RLock()
_loading = False

# Set when the package itself installed the watcher (it was imported by name):
# the environment switch then no longer applies.
_forced = False


def _IsDisabled():
    """Determines if the extension was switched off by the environment."""
    if _forced:
        return False
    return os.environ.get(DISABLE_VARIABLE, "").strip().lower() not in (
        "",
        "0",
        "false",
        "no",
    )


def _LoadExtension(fullname=None):
    """Imports plaso_netsupport once; safe to call again and from within."""
    global _loading

    if "plaso_netsupport" not in sys.modules:
        with _lock:
            if _loading or "plaso_netsupport" in sys.modules:
                return
            _loading = True
            try:
                import plaso_netsupport  # pylint: disable=import-outside-toplevel,unused-import
            finally:
                _loading = False
    if fullname == "plaso.analysis" or "plaso.analysis" in sys.modules:
        package = sys.modules.get("plaso_netsupport")
        if package is not None and hasattr(package, "LoadAnalysis"):
            package.LoadAnalysis()
    if fullname == "plaso.output.mediator" or "plaso.output.mediator" in sys.modules:
        hooks = sys.modules.get("plaso_netsupport.hooks")
        if hooks is not None:
            hooks.InstallOutput()


class _LoaderWrapper:
    """Runs the real loader, then loads the extension."""

    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        """Delegates module creation to the real loader."""
        return self._loader.create_module(spec)

    def exec_module(self, module):
        """Executes the real module, then registers the extension."""
        self._loader.exec_module(module)
        _LoadExtension(module.__name__)


class PlasoWatcher:
    """Meta path finder that notices the import of plaso's registries."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        """Wraps the loader of the trigger modules; finds nothing itself."""
        if fullname not in _TRIGGER_MODULES or _IsDisabled():
            return None
        for finder in sys.meta_path:
            if finder is cls or isinstance(finder, cls):
                continue
            find_spec = getattr(finder, "find_spec", None)
            if find_spec is None:
                continue
            spec = find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and not isinstance(
                    spec.loader, _LoaderWrapper
                ):
                    spec.loader = _LoaderWrapper(spec.loader)
                return spec
        return None


def install(force=False):
    """Installs the watcher at the front of sys.meta_path, once.

    Args:
      force (bool): install even if the environment switched the extension
          off (plaso_netsupport does when it is imported by name).
    """
    global _forced

    if force:
        _forced = True
    if _IsDisabled():
        return
    if any(finder is PlasoWatcher for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, PlasoWatcher)
    # plaso was imported before the .pth ran (rare): load right away.
    if any(name in sys.modules for name in _TRIGGER_MODULES):
        _LoadExtension()
