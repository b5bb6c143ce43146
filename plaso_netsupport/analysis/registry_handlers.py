"""Collector handlers for registry data: Run keys, services, vendor keys.

A mixin of Collector (collector.py).
"""

from plaso_netsupport.analysis import item as item_module
from plaso_netsupport.analysis import paths
from plaso_netsupport.analysis.file_handlers import IsSystemPath


def NamedValues(values):
    """Yields (lower-case name, lower-case data) of registry event values.

    plaso stores them as dicts (name, data_type, data), tuples or "name: data"
    strings, depending on the plugin.
    """
    for value in values or []:
        if isinstance(value, dict):
            yield str(value.get("name") or "").lower(), str(
                value.get("data") or ""
            ).lower()
        elif isinstance(value, (list, tuple)) and value:
            yield str(value[0]).lower(), str(value[-1]).lower()
        else:
            name, _, data = str(value).partition(":")
            yield name.strip().lower(), data.strip().lower()


class RegistryHandlers:
    """Handlers of Run key, service and vendor registry key data."""

    def _Run(self, event_data, event_data_stream):
        entries = []
        for entry in getattr(event_data, "entries", None) or []:
            name, _, command = str(entry).partition(": ")
            executable = paths.ExecutableOfCommand(command)
            if executable and not IsSystemPath(executable):
                entries.append((name, executable))
            elif executable and paths.Split(executable)[1] in self._kit_names:
                entries.append((name, executable))
        if not entries:
            return None
        return item_module.Item(
            "run",
            event_data.data_type,
            "",
            {"entries": entries, "key_path": getattr(event_data, "key_path", "")},
        )

    def _Service(self, event_data, event_data_stream):
        service_name = getattr(event_data, "name", None) or ""
        name = service_name.lower()
        image = paths.ExecutableOfCommand(getattr(event_data, "image_path", None))
        display_name = next(
            (
                data
                for name, data in NamedValues(getattr(event_data, "values", None))
                if name == "displayname"
            ),
            "",
        )
        if (
            name not in self._knowledge.service_names
            and display_name not in self._knowledge.service_display_names
            and (not image or IsSystemPath(image))
        ):
            return None
        return item_module.Item(
            "service",
            event_data.data_type,
            image,
            {
                "service_name": service_name,
                "display_name": display_name,
                "key_path": getattr(event_data, "key_path", ""),
            },
        )

    def _RegistryKey(self, event_data, event_data_stream):
        key_path = (getattr(event_data, "key_path", None) or "").lower()
        values = getattr(event_data, "values", None) or []
        if not self._IsVendorKey(key_path, values):
            return None
        return item_module.Item(
            "registry",
            event_data.data_type,
            "",
            {"key_path": key_path},
        )

    def _NetSupportRegistry(self, event_data, event_data_stream):
        key_path = (getattr(event_data, "key_path", None) or "").lower()
        install_directory = paths.Normalise(
            getattr(event_data, "install_directory", None)
        )
        return item_module.Item(
            "registry",
            event_data.data_type,
            "",
            {
                "key_path": key_path,
                "install_directory": install_directory,
                "product": getattr(event_data, "product", None),
                "gateway": getattr(event_data, "gateway", None),
            },
        )

    def _IsVendorKey(self, key_path, values=()):
        if "\\software\\" not in key_path:
            return False
        for lookalike in self._knowledge.registry_lookalike_keys:
            if f"\\{lookalike}" in key_path:
                return False
        for vendor_key in self._knowledge.registry_vendor_keys:
            if f"\\software\\{vendor_key}" in key_path or (
                f"\\wow6432node\\{vendor_key}" in key_path
            ):
                return True
        if "\\currentversion\\uninstall\\" not in key_path:
            return False
        # An uninstall entry of NetSupport Ltd software, by its values.
        return any(
            name in ("displayname", "publisher") and self._vendor_name.search(data)
            for name, data in NamedValues(values)
        )
