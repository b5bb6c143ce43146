"""pytest configuration shared by all tests.

The tests exercise the working tree, not a copy that pip may have installed
into the virtualenv: the repository root goes first on sys.path before any
test module (or plaso_netsupport_autoload, via the .pth file) imports
plaso_netsupport.
"""

import os
import sys

_REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if sys.path[:1] != [_REPOSITORY_ROOT]:
    sys.path.insert(0, _REPOSITORY_ROOT)

_imported = sys.modules.get("plaso_netsupport")
if _imported is not None and not os.path.abspath(_imported.__file__).startswith(
    _REPOSITORY_ROOT + os.sep
):
    raise RuntimeError(
        f"plaso_netsupport was imported from {_imported.__file__} before the tests "
        f"could select the working tree; run pytest from {_REPOSITORY_ROOT}"
    )



def pytest_configure(config):
    """Gives an xdist run its id up front, so the controller knows it too."""
    if not hasattr(config, "workerinput") and hasattr(config.option, "testrunuid"):
        if config.option.testrunuid is None:
            # pylint: disable=import-outside-toplevel
            import uuid

            config.option.testrunuid = uuid.uuid4().hex


def pytest_sessionfinish(session, exitstatus):  # pylint: disable=unused-argument
    """The xdist controller removes the scenario cache its workers shared."""
    if hasattr(session.config, "workerinput"):
        return
    run_identifier = getattr(session.config.option, "testrunuid", None)
    if run_identifier:
        # pylint: disable=import-outside-toplevel
        import shutil

        from tests import scenario_cache

        shutil.rmtree(
            scenario_cache.SharedDirectory(run_identifier), ignore_errors=True
        )
