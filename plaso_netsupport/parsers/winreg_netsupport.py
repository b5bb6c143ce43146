"""Windows Registry plugin for NetSupport Ltd's own keys.

NetSupport Manager and NetSupport School write their settings below vendor
keys named in the knowledge file ("NetSupport Ltd" and the former vendor name
"Productive Computer Insight"), under HKEY_LOCAL_MACHINE\\Software and
HKEY_CURRENT_USER\\Software, with or without WOW6432Node, for example:

  HKEY_LOCAL_MACHINE\\Software\\WOW6432Node\\NetSupport Ltd\\Client32
  HKEY_CURRENT_USER\\Software\\NetSupport Ltd\\PCICTL\\ConfigList\\<profile>

The plugin handles every key below these vendor keys (the key itself
included) with a filter that matches case-insensitively and WOW64-aware.

It leaves other plugins' keys alone:

* keys with both a Start and a Type value are service keys and are left to
  plaso's windows_services plugin;
* Run keys and Services keys are never below a vendor key, so they are never
  claimed;
* look-alike keys of other vendors listed in the knowledge file, such as
  SOFTWARE\\NetSupport\\NetInstall (enteo / Ivanti DSM), are not matched.
"""

from plaso.containers import events
from plaso.parsers import winreg_parser
from plaso.parsers.winreg_plugins import interface

from plaso_netsupport import knowledge


class NetSupportRegistryKeyEventData(events.EventData):
    """NetSupport Registry key event data.

    Attributes:
      configuration_file (str): path of a client configuration file, if the
          key names one.
      gateway (str): gateway address, if the key names one.
      install_directory (str): installation directory, if the key names one.
      key_path (str): Windows Registry key path.
      last_written_time (dfdatetime.DateTimeValues): key last written date and
          time.
      product (str): name of the first key below the vendor key, such as
          "Client32", "PCICTL" or "NetSupport School".
      profile_name (str): name of the Control or Tutor profile, for keys
          below PCICTL\\ConfigList.
      values (list[str]): values of the key as "name: data", where the default
          value is named "(default)".
      vendor (str): vendor key, such as "NetSupport Ltd".
      version (str): product version, such as "12.10".
    """

    DATA_TYPE = "netsupport:registry:key"

    def __init__(self):
        """Initializes event data."""
        super().__init__(data_type=self.DATA_TYPE)
        self.configuration_file = None
        self.gateway = None
        self.install_directory = None
        self.key_path = None
        self.last_written_time = None
        self.product = None
        self.profile_name = None
        self.values = None
        self.vendor = None
        self.version = None


class NetSupportSoftwareKeyFilter(interface.BaseWindowsRegistryKeyFilter):
    """Matches NetSupport Ltd's own keys and their subkeys.

    Matching is case-insensitive and covers HKEY_LOCAL_MACHINE\\Software and
    HKEY_CURRENT_USER\\Software with and without WOW6432Node.
    """

    _SOFTWARE_ROOTS = (
        "hkey_local_machine\\software\\wow6432node\\",
        "hkey_local_machine\\software\\",
        "hkey_current_user\\software\\wow6432node\\",
        "hkey_current_user\\software\\",
    )

    def __init__(self, vendor_keys, lookalike_keys):
        """Initializes a NetSupport key filter.

        Args:
          vendor_keys (list[str]): vendor key names relative to Software, such
              as "NetSupport Ltd".
          lookalike_keys (list[str]): keys of other vendors relative to
              Software, such as "NetSupport\\NetInstall", never to be matched.
        """
        super().__init__()
        self._lookalike_keys = tuple(key.lower().strip("\\") for key in lookalike_keys)
        self._vendor_keys = tuple(key.lower().strip("\\") for key in vendor_keys)

    def SplitKeyPath(self, key_path):
        """Splits a key path at the vendor key.

        Args:
          key_path (str): Windows Registry key path.

        Returns:
          tuple[str, list[str]]: vendor key as stored in the path and the names
              of the keys below it, or (None, None) if the path is not below a
              vendor key.
        """
        if not key_path:
            return None, None

        lower_key_path = key_path.lower()
        for root in self._SOFTWARE_ROOTS:
            if not lower_key_path.startswith(root):
                continue

            relative_path = lower_key_path[len(root) :]
            for lookalike_key in self._lookalike_keys:
                if relative_path == lookalike_key or relative_path.startswith(
                    lookalike_key + "\\"
                ):
                    return None, None

            for vendor_key in self._vendor_keys:
                if relative_path == vendor_key or relative_path.startswith(
                    vendor_key + "\\"
                ):
                    vendor_end = len(root) + len(vendor_key)
                    vendor = key_path[len(root) : vendor_end]
                    subkeys = key_path[vendor_end + 1 :]
                    return vendor, subkeys.split("\\") if subkeys else []

            # Only the first (longest) matching root applies: a key below
            # Software\WOW6432Node is not also checked as Software\<vendor>.
            return None, None

        return None, None

    def Match(self, registry_key):
        """Determines if a Windows Registry key matches the filter.

        Args:
          registry_key (dfwinreg.WinRegistryKey): Windows Registry key.

        Returns:
          bool: True if the key is a NetSupport key and not a service key.
        """
        vendor, _ = self.SplitKeyPath(getattr(registry_key, "path", None))
        if vendor is None:
            return False

        # A key with Start and Type values is a service key; plaso's
        # windows_services plugin owns it.
        if registry_key.GetValueByName("Start") and registry_key.GetValueByName("Type"):
            return False

        return True


class NetSupportSoftwarePlugin(interface.WindowsRegistryPlugin):
    """Windows Registry plugin for NetSupport Ltd's own keys."""

    NAME = "netsupport_software"
    DATA_FORMAT = "NetSupport Manager and NetSupport School Registry data"

    FILTERS = frozenset(
        [
            NetSupportSoftwareKeyFilter(
                knowledge.Load().registry_vendor_keys,
                knowledge.Load().registry_lookalike_keys,
            )
        ]
    )

    # The number of values of one key that are kept.
    MAXIMUM_NUMBER_OF_VALUES = 1000

    # The number of characters of one value's data that are kept.
    MAXIMUM_VALUE_DATA_LENGTH = 4096

    # The number of bytes of binary data shown in hexadecimal.
    MAXIMUM_BINARY_DATA_SIZE = 256

    def __init__(self):
        """Initializes a plugin."""
        super().__init__()
        netsupport = knowledge.Load()
        self._key_filter = next(iter(self.FILTERS))
        self._profile_keys = [
            [name.lower() for name in key.strip("\\").split("\\")]
            for key in netsupport.data.get("registry_profile_keys") or []
        ]
        self._value_names = {
            attribute_name: [name.lower() for name in names]
            for attribute_name, names in (
                netsupport.data.get("registry_value_names") or {}
            ).items()
        }

    def _FormatValueData(self, registry_value):
        """Formats the data of a value as a string.

        Args:
          registry_value (dfwinreg.WinRegistryValue): Windows Registry value.

        Returns:
          str: data as a string.
        """
        if registry_value.data is None:
            return "(empty)"

        if registry_value.DataIsString() or registry_value.DataIsInteger():
            value_object = registry_value.GetDataAsObject()
            value_string = "" if value_object is None else str(value_object)

        elif registry_value.DataIsMultiString():
            value_string = ", ".join(registry_value.GetDataAsObject() or [])
            value_string = f"[{value_string:s}]"

        else:
            data = registry_value.data
            value_string = data[: self.MAXIMUM_BINARY_DATA_SIZE].hex()
            if len(data) > self.MAXIMUM_BINARY_DATA_SIZE:
                value_string = f"{value_string:s}... ({len(data):d} bytes)"

        if len(value_string) > self.MAXIMUM_VALUE_DATA_LENGTH:
            value_string = f"{value_string[: self.MAXIMUM_VALUE_DATA_LENGTH]:s}..."
        return value_string

    def _GetProfileName(self, subkeys):
        """Determines the profile name of a key below a profile list key.

        Args:
          subkeys (list[str]): names of the keys below the vendor key.

        Returns:
          str: profile name, or None if the key is not a profile (sub)key.
        """
        lower_subkeys = [name.lower() for name in subkeys]
        for profile_key in self._profile_keys:
            depth = len(profile_key)
            if len(subkeys) > depth and lower_subkeys[:depth] == profile_key:
                return subkeys[depth]
        return None

    def ExtractEvents(self, parser_mediator, registry_key, **kwargs):
        """Extracts events from a Windows Registry key.

        Args:
          parser_mediator (ParserMediator): mediates interactions between parsers
              and other components, such as storage and dfVFS.
          registry_key (dfwinreg.WinRegistryKey): Windows Registry key.
        """
        vendor, subkeys = self._key_filter.SplitKeyPath(registry_key.path)

        values = []
        string_values = {}
        number_of_values = 0
        for registry_value in registry_key.GetValues():
            number_of_values += 1
            if number_of_values > self.MAXIMUM_NUMBER_OF_VALUES:
                continue

            value_name = registry_value.name or "(default)"
            try:
                value_string = self._FormatValueData(registry_value)
            except Exception as exception:  # pylint: disable=broad-except
                parser_mediator.ProduceWarning(
                    f"unable to read data of value: {value_name:s} in key: "
                    f"{registry_key.path:s} with error: {exception!s}"
                )
                continue

            values.append(f"{value_name:s}: {value_string:s}")
            if registry_value.name and registry_value.DataIsString():
                string_values.setdefault(registry_value.name.lower(), value_string)

        if number_of_values > self.MAXIMUM_NUMBER_OF_VALUES:
            parser_mediator.ProduceWarning(
                f"key: {registry_key.path:s} has {number_of_values:d} values; only "
                f"the first {self.MAXIMUM_NUMBER_OF_VALUES:d} were kept"
            )

        event_data = NetSupportRegistryKeyEventData()
        event_data.key_path = registry_key.path
        event_data.last_written_time = registry_key.last_written_time
        event_data.values = values or None
        event_data.vendor = vendor
        if subkeys:
            event_data.product = subkeys[0]
            event_data.profile_name = self._GetProfileName(subkeys)

        for attribute_name, value_names in self._value_names.items():
            if getattr(event_data, attribute_name, False) is not None:
                continue
            for value_name in value_names:
                value_string = string_values.get(value_name)
                if value_string and value_string != "(empty)":
                    setattr(event_data, attribute_name, value_string)
                    break

        parser_mediator.ProduceEventData(event_data)


winreg_parser.WinRegistryParser.RegisterPlugin(NetSupportSoftwarePlugin)
