"""plaso-netsupport: NetSupport Manager / NetSupport RAT traces in plaso.

Importing this package registers, as a side effect and exactly once, every
parser, registry plugin and analysis plugin of ours with plaso, and adds our
timeliner, formatter and preset definitions to the stock tools. plaso has no
plugin discovery; registration at import time in a module that every process
imports is what makes workers started with fork, spawn or forkserver see our
code (see plaso_netsupport_autoload).
"""

__version__ = "0.1.0"

from plaso_netsupport import hooks  # noqa: E402
from plaso_netsupport import parsers  # noqa: E402,F401
from plaso_netsupport import analysis  # noqa: E402,F401

hooks.Install()
