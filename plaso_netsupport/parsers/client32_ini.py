"""Parser for NetSupport Manager client configuration files (client32.ini).

The NetSupport client (client32.exe, often renamed in "NetSupport RAT" kits)
reads its configuration from client32.ini (ANSI) or client32u.ini (Unicode,
since version 12.50). The file names are hard-coded in the client, so the
parser is selected by file name only (the names come from the knowledge file)
and is never tried on other files.

The file starts with a "0x" checksum line followed by Windows INI sections,
for example:

  0x9a7973d9
  [Client]
  silent=1
  SysTray=0
  [HTTP]
  GatewayAddress=gateway.example:443
  GSK=GA;O@IEA9G=NCBGF;NAGFI

Every section and key is kept in the "settings" attribute; the keys that
matter to an examiner (listed in the knowledge file's config_keys) also get
typed attributes. The configuration has no time stamps of its own, so it is
placed in the timeline at the file's modification and creation times.
"""

from plaso.containers import events
from plaso.lib import errors
from plaso.parsers import interface
from plaso.parsers import manager

from plaso_netsupport import knowledge
from plaso_netsupport.parsers import ini_file_parser
from plaso_netsupport.parsers import ini_reader


class NetSupportClient32ConfigEventData(events.EventData):
    """NetSupport client configuration (client32.ini) event data.

    Attributes:
      auto_firewall (bool): True if the client configures the Windows firewall
          itself ([Client] AutoICFConfig=1).
      build_path (str): path the Configurator saved the file to ([_Info]
          Filename); leaks the operator's build path or install path.
      checksum (str): leading "0x" checksum line, such as "0x9a7973d9".
      creation_time (dfdatetime.DateTimeValues): creation date and time of the
          configuration file.
      disabled_features (list[str]): names of the [Client] Disable* keys set
          to 1, such as "DisableChat".
      encoding (str): detected encoding of the file, such as "cp1252",
          "utf-8", "utf-8-sig", "utf-16-le", "utf-16-be" or "ascii".
      file_name (str): name of the configuration file, such as "client32u.ini".
      gateway (str): host of the primary gateway ([HTTP] GatewayAddress).
      gateway_port (int): port of the primary gateway, from the address or
          from [HTTP] Port.
      gateway_security_key (str): obfuscated Gateway Security Key ([HTTP]
          GSK).
      has_gateway_security_key (bool): True if a Gateway Security Key is set.
      has_security_key (bool): True if a client security key is set.
      hide_when_idle (bool): True if the client hides while idle.
      licence_quiet (bool): True if licence prompts are suppressed
          ([_License] quiet=1).
      modification_time (dfdatetime.DateTimeValues): last modification date
          and time of the configuration file.
      path (str): location of the configuration file.
      polling_interval (int): gateway polling interval in seconds ([HTTP]
          CMPI).
      protocols (str): enabled transports ([Client] Protocols), such as "2,3".
      radius_secret (str): encoded RADIUS secret ([Client] RADIUSSecret).
      room (str): room name ([Client] RoomSpec), such as "Eval".
      secondary_gateway (str): host of the secondary gateway ([HTTP]
          SecondaryGateway).
      secondary_port (int): port of the secondary gateway, from the address
          or from [HTTP] SecondaryPort.
      sections (list[str]): names of the sections, in file order.
      security_key (str): encoded client security key ([Client]
          SecurityKey2).
      settings (list[str]): every key as "Section\\Key=Value", in file order.
      show_ui_on_connect (bool): True if the client shows its user interface
          when a controller connects.
      silent (bool): True if the client runs in silent mode.
      systray_hidden (bool): True if the tray icon is hidden ([Client]
          SysTray=0).
      usernames (str): users that may be controlled ([Client] Usernames).
      valid_addresses (str): controller addresses accepted ([Client]
          ValidAddresses.TCP).
    """

    DATA_TYPE = "netsupport:client32_ini:config"

    def __init__(self):
        """Initializes event data."""
        super().__init__(data_type=self.DATA_TYPE)
        self.auto_firewall = None
        self.build_path = None
        self.checksum = None
        self.creation_time = None
        self.disabled_features = None
        self.encoding = None
        self.file_name = None
        self.gateway = None
        self.gateway_port = None
        self.gateway_security_key = None
        self.has_gateway_security_key = None
        self.has_security_key = None
        self.hide_when_idle = None
        self.licence_quiet = None
        self.modification_time = None
        self.path = None
        self.polling_interval = None
        self.protocols = None
        self.radius_secret = None
        self.room = None
        self.secondary_gateway = None
        self.secondary_port = None
        self.sections = None
        self.security_key = None
        self.settings = None
        self.show_ui_on_connect = None
        self.silent = None
        self.systray_hidden = None
        self.usernames = None
        self.valid_addresses = None


def SplitHostPort(address):
    """Splits a gateway address into host and port.

    Args:
      address (str): address, such as "gateway.example:443", "10.0.0.1",
          or "[2001:db8::1]:443".

    Returns:
      tuple[str, int]: host and port, where port is None if the address has
          no port.
    """
    address = address.strip()
    if address.startswith("["):
        end = address.find("]")
        if end > 0:
            host = address[1:end]
            port = ini_reader.ParseInteger(address[end + 2 :])
            if address[end + 1 : end + 2] == ":" and port is not None:
                return host, port
            return host, None

    if address.count(":") == 1:
        host, _, port_string = address.partition(":")
        port = ini_reader.ParseInteger(port_string)
        if port is not None:
            return host.strip(), port

    return address, None


def FormatSettings(ini_file):
    """Formats the settings of an INI file as "Section\\Key=Value" strings.

    Args:
      ini_file (ini_reader.INIFile): INI file.

    Returns:
      list[str]: settings, in file order.
    """
    settings = []
    for section, key, value in ini_file.settings:
        if section:
            settings.append(f"{section:s}\\{key:s}={value:s}")
        else:
            settings.append(f"{key:s}={value:s}")
    return settings


class NetSupportClient32IniParser(ini_file_parser.NetSupportINIFileParser):
    """Parser for NetSupport client configuration files (client32.ini)."""

    NAME = "netsupport_client32_ini"
    DATA_FORMAT = "NetSupport Manager client configuration (client32.ini) file"

    FILTERS = frozenset(
        interface.FileNameFileEntryFilter(file_name)
        for file_name in sorted(knowledge.Load().config_file_names)
    )

    # Configurations are a few KiB; a larger file is read only this far.
    MAXIMUM_READ_SIZE = 1024 * 1024

    # The number of keys kept; more are dropped with a warning.
    MAXIMUM_NUMBER_OF_SETTINGS = 5000

    # The number of characters of a value kept.
    MAXIMUM_VALUE_LENGTH = 4096

    def __init__(self):
        """Initializes a parser."""
        super().__init__()
        netsupport = knowledge.Load()
        self._config_keys = netsupport.config_keys
        prefixes = netsupport.data.get("config_key_prefixes") or {}
        self._disabled_feature_prefixes = [
            (section.lower(), prefix.lower())
            for section, prefix in prefixes.get("disabled_features") or []
        ]

    def _GetValue(self, ini_file, attribute_name):
        """Retrieves the value of a configuration key of the knowledge file.

        Args:
          ini_file (ini_reader.INIFile): INI file.
          attribute_name (str): name of the key in the knowledge file's
              config_keys, such as "gateway".

        Returns:
          str: value, or None if not set.
        """
        _, value = ini_file.GetFirstValue(self._config_keys.get(attribute_name) or [])
        return value

    def _GetDisabledFeatures(self, ini_file):
        """Retrieves the names of the Disable* keys set to 1.

        Args:
          ini_file (ini_reader.INIFile): INI file.

        Returns:
          list[str]: key names, or None if there are none.
        """
        disabled_features = []
        for section, prefix in self._disabled_feature_prefixes:
            for key, value in ini_file.KeysInSection(section):
                if (
                    key.lower().startswith(prefix)
                    and ini_reader.ParseBoolean(value)
                    and key not in disabled_features
                ):
                    disabled_features.append(key)
        return disabled_features or None

    def _GetChecksum(self, ini_file):
        """Retrieves the leading "0x" checksum line.

        Args:
          ini_file (ini_reader.INIFile): INI file.

        Returns:
          str: checksum, or None if the file has none.
        """
        if not ini_file.leading_lines:
            return None
        line = ini_file.leading_lines[0]
        if line[:2].lower() != "0x" or len(line) < 3:
            return None
        try:
            int(line[2:], 16)
        except ValueError:
            return None
        return line

    def _CheckFormat(self, ini_file):
        """Checks that the file is an INI file.

        Args:
          ini_file (ini_reader.INIFile): INI file.

        Raises:
          WrongParser: when it has no sections.
        """
        if not ini_file.sections:
            raise errors.WrongParser("no INI sections")

    def _ParseINIFile(self, parser_mediator, ini_file):
        """Extracts the configuration.

        Args:
          parser_mediator (ParserMediator): mediates interactions between parsers
              and other components, such as storage and dfVFS.
          ini_file (ini_reader.INIFile): INI file.

        Returns:
          NetSupportClient32ConfigEventData: event data.
        """
        event_data = NetSupportClient32ConfigEventData()
        event_data.checksum = self._GetChecksum(ini_file)
        event_data.encoding = ini_file.encoding
        event_data.sections = list(ini_file.sections)
        event_data.settings = FormatSettings(ini_file) or None

        gateway = self._GetValue(ini_file, "gateway")
        if gateway:
            event_data.gateway, event_data.gateway_port = SplitHostPort(gateway)
        if event_data.gateway_port is None:
            event_data.gateway_port = ini_reader.ParseInteger(
                self._GetValue(ini_file, "gateway_port")
            )

        secondary_gateway = self._GetValue(ini_file, "secondary_gateway")
        if secondary_gateway:
            event_data.secondary_gateway, event_data.secondary_port = SplitHostPort(
                secondary_gateway
            )
        if event_data.secondary_port is None:
            event_data.secondary_port = ini_reader.ParseInteger(
                self._GetValue(ini_file, "secondary_port")
            )

        gateway_security_key = self._GetValue(ini_file, "gateway_security_key")
        event_data.gateway_security_key = gateway_security_key or None
        event_data.has_gateway_security_key = bool(gateway_security_key)

        security_key = self._GetValue(ini_file, "security_key")
        event_data.security_key = security_key or None
        event_data.has_security_key = bool(security_key)

        event_data.silent = ini_reader.ParseBoolean(self._GetValue(ini_file, "silent"))
        systray = ini_reader.ParseBoolean(self._GetValue(ini_file, "systray"))
        if systray is not None:
            event_data.systray_hidden = not systray
        event_data.hide_when_idle = ini_reader.ParseBoolean(
            self._GetValue(ini_file, "hide_when_idle")
        )
        event_data.show_ui_on_connect = ini_reader.ParseBoolean(
            self._GetValue(ini_file, "show_ui_on_connect")
        )
        event_data.disabled_features = self._GetDisabledFeatures(ini_file)
        event_data.usernames = self._GetValue(ini_file, "usernames") or None
        event_data.valid_addresses = self._GetValue(ini_file, "valid_addresses") or None
        event_data.room = self._GetValue(ini_file, "room") or None
        event_data.protocols = self._GetValue(ini_file, "protocols") or None
        event_data.polling_interval = ini_reader.ParseInteger(
            self._GetValue(ini_file, "polling_interval")
        )
        event_data.auto_firewall = ini_reader.ParseBoolean(
            self._GetValue(ini_file, "auto_firewall")
        )
        event_data.build_path = self._GetValue(ini_file, "build_path") or None
        event_data.licence_quiet = ini_reader.ParseBoolean(
            self._GetValue(ini_file, "licence_quiet")
        )
        event_data.radius_secret = self._GetValue(ini_file, "radius_secret") or None

        return event_data


manager.ParsersManager.RegisterParser(NetSupportClient32IniParser)
