"""Parser for NetSupport Manager licence files (NSM.LIC).

The NetSupport client refuses to run without NSM.LIC next to it, and the name
is hard-coded, so RAT kits ship it unchanged. The licensee and serial number
recur across campaigns and are a strong clustering pivot. The file is an INI
file, for example:

  ; NetSupport License File.
  ; Generated on 08:27 - 24/01/2014

  [[Enforce]]

  [_License]
  control_only=0
  expiry=
  inactive=0
  licensee=XMLCTL
  maxslaves=100000
  os2=1
  product=10
  serial_no=NSM303008
  shrink_wrap=0
  transport=0

The parser is selected by file name (from the knowledge file). A file of that
name without a [_License] section or the "NetSupport License File" comment is
not a licence.

Time zone of the generation time: the "Generated on HH:MM - DD/MM/YYYY"
comment is written in the local time of whatever machine generated the
licence (NetSupport's licensing system or the operator's), not the machine
under examination, and carries no time zone. Converting it with the examined
system's time zone would be wrong and, worse, would make the same licence show
different times in different cases, which defeats its use as a clustering
pivot. The generation time is therefore kept exactly as written: it is not
marked as local time (plaso shows it unconverted, labelled UTC) and its
timestamp description says that the time zone is unknown. The original text
is kept in generation_time_string.
"""

import re

from dfdatetime import time_elements as dfdatetime_time_elements

from plaso.containers import events
from plaso.lib import errors
from plaso.parsers import interface
from plaso.parsers import manager

from plaso_netsupport import knowledge
from plaso_netsupport.parsers import client32_ini
from plaso_netsupport.parsers import ini_file_parser
from plaso_netsupport.parsers import ini_reader


class NetSupportLicenceEventData(events.EventData):
    """NetSupport licence (NSM.LIC) event data.

    Attributes:
      control_only (bool): True if the licence is for the Control only.
      creation_time (dfdatetime.DateTimeValues): creation date and time of the
          licence file.
      encoding (str): detected encoding of the file, such as "ascii".
      expiry (str): expiry date as written, such as "01/01/2028", or None if
          the licence does not expire.
      file_name (str): name of the licence file.
      generation_time (dfdatetime.DateTimeValues): date and time from the
          "Generated on" comment, as written; its time zone is unknown.
      generation_time_string (str): the "Generated on" comment value, such as
          "08:27 - 24/01/2014".
      inactive (bool): True if the licence is marked inactive.
      licensee (str): licensee name.
      maxslaves (int): maximum number of clients.
      modification_time (dfdatetime.DateTimeValues): last modification date
          and time of the licence file.
      os2 (bool): value of the os2 flag.
      path (str): location of the licence file.
      product (int): product code, such as 10.
      serial_no (str): serial number, such as "NSM303008".
      settings (list[str]): every key as "Section\\Key=Value", in file order.
      shrink_wrap (bool): value of the shrink_wrap flag.
      transport (int): transport code.
    """

    DATA_TYPE = "netsupport:nsm_lic:licence"

    def __init__(self):
        """Initializes event data."""
        super().__init__(data_type=self.DATA_TYPE)
        self.control_only = None
        self.creation_time = None
        self.encoding = None
        self.expiry = None
        self.file_name = None
        self.generation_time = None
        self.generation_time_string = None
        self.inactive = None
        self.licensee = None
        self.maxslaves = None
        self.modification_time = None
        self.os2 = None
        self.path = None
        self.product = None
        self.serial_no = None
        self.settings = None
        self.shrink_wrap = None
        self.transport = None


class NetSupportLicenceParser(ini_file_parser.NetSupportINIFileParser):
    """Parser for NetSupport Manager licence files (NSM.LIC)."""

    NAME = "netsupport_nsm_lic"
    DATA_FORMAT = "NetSupport Manager licence (NSM.LIC) file"

    FILTERS = frozenset(
        interface.FileNameFileEntryFilter(file_name)
        for file_name in sorted(knowledge.Load().licence_file_names)
    )

    # Licences are well under 1 KiB; a larger file is read only this far.
    MAXIMUM_READ_SIZE = 256 * 1024

    MAXIMUM_NUMBER_OF_SETTINGS = 1000

    MAXIMUM_VALUE_LENGTH = 1024

    _LICENCE_SECTION = "_License"

    _LICENCE_COMMENT = "netsupport license file"

    _GENERATED_ON_RE = re.compile(
        r"^Generated on\s+(?P<hours>\d{1,2}):(?P<minutes>\d{2})\s*-\s*"
        r"(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})\s*$",
        re.IGNORECASE,
    )

    _BOOLEAN_KEYS = ("control_only", "inactive", "os2", "shrink_wrap")

    _INTEGER_KEYS = ("maxslaves", "product", "transport")

    _STRING_KEYS = ("expiry", "licensee", "serial_no")

    def _ParseGenerationTime(self, parser_mediator, ini_file, event_data):
        """Parses the "Generated on" comment.

        Args:
          parser_mediator (ParserMediator): mediates interactions between parsers
              and other components, such as storage and dfVFS.
          ini_file (ini_reader.INIFile): licence file.
          event_data (NetSupportLicenceEventData): event data to fill.
        """
        for comment in ini_file.comments:
            if not comment.lower().startswith("generated on"):
                continue

            event_data.generation_time_string = comment[len("generated on") :].strip()
            match = self._GENERATED_ON_RE.match(comment)
            if not match:
                parser_mediator.ProduceWarning(
                    f"unsupported generation time: {comment[:64]!s}"
                )
                return

            time_elements_tuple = (
                int(match.group("year")),
                int(match.group("month")),
                int(match.group("day")),
                int(match.group("hours")),
                int(match.group("minutes")),
                0,
            )
            try:
                # dfdatetime raises IndexError, not ValueError, for a month
                # beyond 13 and accepts month 0: check the ranges first.
                if not 1 <= time_elements_tuple[1] <= 12:
                    raise ValueError("month out of range")
                event_data.generation_time = dfdatetime_time_elements.TimeElements(
                    time_elements_tuple=time_elements_tuple
                )
            except (IndexError, ValueError):
                parser_mediator.ProduceWarning(
                    f"invalid generation time: {event_data.generation_time_string!s}"
                )
            return

    def _CheckFormat(self, ini_file):
        """Checks that the file is a NetSupport licence.

        Args:
          ini_file (ini_reader.INIFile): INI file.

        Raises:
          WrongParser: when it has neither the licence comment nor section.
        """
        has_licence_comment = any(
            comment.lower().startswith(self._LICENCE_COMMENT)
            for comment in ini_file.comments
        )
        has_licence_section = ini_file.HasSection(self._LICENCE_SECTION)
        if not ini_file.sections or not (has_licence_comment or has_licence_section):
            raise errors.WrongParser("not a NetSupport licence file")

    def _ParseINIFile(self, parser_mediator, ini_file):
        """Extracts the licence.

        Args:
          parser_mediator (ParserMediator): mediates interactions between parsers
              and other components, such as storage and dfVFS.
          ini_file (ini_reader.INIFile): INI file.

        Returns:
          NetSupportLicenceEventData: event data.
        """
        event_data = NetSupportLicenceEventData()
        event_data.encoding = ini_file.encoding
        event_data.settings = client32_ini.FormatSettings(ini_file) or None

        for key in self._STRING_KEYS:
            value = ini_file.GetValue(self._LICENCE_SECTION, key)
            setattr(event_data, key, value or None)
        for key in self._INTEGER_KEYS:
            value = ini_file.GetValue(self._LICENCE_SECTION, key)
            setattr(event_data, key, ini_reader.ParseInteger(value))
        for key in self._BOOLEAN_KEYS:
            value = ini_file.GetValue(self._LICENCE_SECTION, key)
            setattr(event_data, key, ini_reader.ParseBoolean(value))

        self._ParseGenerationTime(parser_mediator, ini_file, event_data)

        return event_data


manager.ParsersManager.RegisterParser(NetSupportLicenceParser)
