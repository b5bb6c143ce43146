"""Parsers and parser plugins of plaso-netsupport.

Importing a module registers its parser or plugin with plaso as a side
effect, like plaso's own parsers do.

There is no NSM.ini parser: the only public description of NSM.ini is a list
of key names (Client=, Control=, Gateway=, ...) in a YARA rule, without its
sections, its comment convention or the meaning of the values, so a parser
would have to guess the format. The file's presence is already visible
through filestat and the kit-file analysis.
"""

from plaso_netsupport.parsers import client32_ini
from plaso_netsupport.parsers import nsm_lic
from plaso_netsupport.parsers import winreg_netsupport
from plaso_netsupport.parsers import pe_version_info
