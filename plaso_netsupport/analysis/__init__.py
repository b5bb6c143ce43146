"""The netsupport analysis plugin and its psort options (registered on import)."""

from plaso_netsupport.analysis import netsupport  # noqa: F401
from plaso_netsupport.analysis import options  # noqa: F401
