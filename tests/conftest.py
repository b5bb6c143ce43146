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
