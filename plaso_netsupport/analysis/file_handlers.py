"""Collector handlers for files: file system, PE, execution traces, shortcuts.

A mixin of Collector (collector.py): the handlers read the collector's
knowledge (self._knowledge, self._kit_names, self._vendor_companies) and
return an Item or None for one event data.
"""

import re

from plaso_netsupport.analysis import item as item_module
from plaso_netsupport.analysis import paths

# Folders whose files are never NetSupport kit files: keeping them would only
# cost memory.
_SYSTEM_FOLDERS = (
    "\\windows\\system32",
    "\\windows\\syswow64",
    "\\windows\\winsxs",
    "\\windows\\servicing",
    "\\windows\\assembly",
    "\\windows\\microsoft.net",
    "\\windows\\installer",
    "\\windows\\softwaredistribution",
    "\\$extend",
    "\\$recycle.bin",
)

_CANDIDATE_EXTENSIONS = frozenset(
    [
        "exe", "dll", "lnk", "ini", "lic", "inf", "zip", "7z", "rar", "cab",
        "msi", "js", "jse", "vbs", "ps1", "bat", "cmd", "hta", "url",
    ]
)  # fmt: skip

# Program paths in a shortcut's arguments ("/c start C:\\x\\a.exe").
_LAUNCHED_PATH = re.compile(
    r"(?:[a-z]:|%[a-z_]+%)\\[^\"'|&<>/\r\n]*?\.(?:exe|bat|cmd|vbs|js|ps1)\b",
    re.IGNORECASE,
)

# USN_REASON_FILE_DELETE
_USN_FILE_DELETE = 0x00000200


def IsSystemPath(path):
    """Whether a normalised path is in a folder never holding kit files."""
    return path.startswith(_SYSTEM_FOLDERS)


def StreamLocation(event_data_stream):
    """Returns the location of an event data stream's path specification."""
    path_spec = getattr(event_data_stream, "path_spec", None)
    while path_spec is not None:
        location = getattr(path_spec, "location", None)
        if location:
            return location
        path_spec = getattr(path_spec, "parent", None)
    return ""


class FileHandlers:
    """Handlers of file system, PE, execution, shortcut and NetSupport file data."""

    def _FileCandidate(self, path):
        folder, name = paths.Split(path)
        if name in self._kit_names:
            return True
        if IsSystemPath(path):
            return False
        extension = name.rpartition(".")[2]
        return extension in _CANDIDATE_EXTENSIONS or "." not in name

    def _File(self, event_data, event_data_stream):
        raw_path = getattr(event_data, "filename", None) or StreamLocation(
            event_data_stream
        )
        path = paths.Normalise(raw_path)
        if not path:
            return None
        stream_name = ""
        if ":" in path.rpartition("\\")[2]:
            # An alternate data stream, such as client32.exe:Zone.Identifier.
            path, _, stream_name = path.rpartition(":")
            raw_path = raw_path.rpartition(":")[0]
        if not self._FileCandidate(path):
            return None
        is_directory = getattr(event_data, "file_entry_type", None) == "directory"
        allocated = getattr(event_data, "is_allocated", True)
        return item_module.Item(
            "file",
            event_data.data_type,
            path,
            {
                "directory": is_directory,
                "deleted": allocated is False,
                "stream": stream_name,
                "inode": str(getattr(event_data, "inode", None) or ""),
            },
            display_path=raw_path,
        )

    def _UsnChange(self, event_data, event_data_stream):
        # A change-journal record names only the file and its parent folder's
        # file reference; the folder is resolved from the file system events.
        name = (getattr(event_data, "filename", None) or "").lower()
        if not name or not self._FileCandidate("\\?\\" + name):
            return None
        flags = getattr(event_data, "update_reason_flags", None) or 0
        return item_module.Item(
            "usn",
            event_data.data_type,
            "",
            {
                "file_name": name,
                "parent_reference": str(
                    getattr(event_data, "parent_file_reference", None) or ""
                ),
                "deleted": bool(flags & _USN_FILE_DELETE),
            },
        )

    def _RecycleBin(self, event_data, event_data_stream):
        path = paths.Normalise(getattr(event_data, "original_filename", None))
        if not path or IsSystemPath(path):
            return None
        return item_module.Item("recycled", event_data.data_type, path)

    def _PortableExecutable(self, event_data, event_data_stream):
        raw_path = StreamLocation(event_data_stream)
        path = paths.Normalise(raw_path)
        if not path or not self._FileCandidate(path):
            return None
        # pe_coff:dll_import names the imported DLL in "name" (plaso has no
        # function names); pe_coff:file carries the imphash.
        dll_name = ""
        if event_data.data_type == "pe_coff:dll_import":
            dll_name = (getattr(event_data, "name", None) or "").lower()
        imphash = (getattr(event_data, "imphash", None) or "").lower()
        return item_module.Item(
            "pe",
            event_data.data_type,
            path,
            {"dll_name": dll_name, "imphash": imphash},
            display_path=raw_path,
        )

    def _VersionInfo(self, event_data, event_data_stream):
        raw_path = StreamLocation(event_data_stream)
        path = paths.Normalise(raw_path)
        values = {
            name: (str(getattr(event_data, name, None) or "").strip())
            for name in (
                "company_name",
                "product_name",
                "file_description",
                "original_filename",
                "internal_name",
                "signer_common_name",
                "signer_subject",
                "signature_status",
            )
        }
        company = values["company_name"].lower().rstrip(".")
        if not path or (
            not self._FileCandidate(path) and company not in self._vendor_companies
        ):
            return None
        return item_module.Item(
            "version_info", event_data.data_type, path, values, "", raw_path
        )

    # Execution.

    def _Prefetch(self, event_data, event_data_stream):
        executable = (getattr(event_data, "executable", None) or "").lower()
        path_hints = [paths.Normalise(hint) for hint in event_data.path_hints or []]
        mapped = [paths.Normalise(path) for path in event_data.mapped_files or []]
        path = next(
            (hint for hint in path_hints if hint.endswith("\\" + executable)), ""
        )
        if not path:
            path = next(
                (item for item in mapped if item.endswith("\\" + executable)), ""
            )
        if executable in self._kit_names:
            pass
        elif path and IsSystemPath(path):
            # A system binary (cmd.exe) whose run loaded NetSupport code is
            # still interesting; others are not.
            if not any(paths.Split(item)[1] in self._kit_names for item in mapped):
                return None
        return item_module.Item(
            "prefetch",
            event_data.data_type,
            path or "\\?\\" + executable,
            {"executable": executable, "mapped_files": mapped},
            f"prefetch {executable.upper()}",
        )

    def _ExecutionPath(self, event_data, event_data_stream):
        raw_path = getattr(event_data, "full_path", None) or getattr(
            event_data, "path", None
        )
        path = paths.Normalise(raw_path)
        # Amcache (windows:registry:amcache) carries the version resource's
        # company, product and description.
        values = {
            name: str(getattr(event_data, name, None) or "").strip()
            for name in ("company_name", "product_name", "file_description")
        }
        identity = " ".join(values.values()).lower()
        if not path or (not self._FileCandidate(path) and "netsupport" not in identity):
            return None
        values["identity"] = identity
        return item_module.Item(
            "execution_trace", event_data.data_type, path, values, "", raw_path
        )

    def _UserAssist(self, event_data, event_data_stream):
        value_name = getattr(event_data, "value_name", None) or ""
        path = paths.Normalise(value_name)
        if not path or not self._FileCandidate(path):
            return None
        return item_module.Item(
            "execution_trace",
            event_data.data_type,
            path,
            {"identity": ""},
            "",
            value_name,
        )

    # Shortcuts.

    def _Link(self, event_data, event_data_stream):
        raw_target = getattr(event_data, "local_path", None) or getattr(
            event_data, "link_target", None
        )
        target = paths.Normalise(raw_target)
        raw_location = StreamLocation(event_data_stream)
        location = paths.Normalise(raw_location)
        arguments = str(getattr(event_data, "command_line_arguments", None) or "")
        arguments = arguments[: item_module.MAXIMUM_TEXT_SIZE]
        # A shortcut that proxies the start of a program through a system
        # binary (explorer.exe, cmd.exe, forfiles.exe ...): the program it
        # starts is in the arguments.
        launched_display = [
            paths.Display(path, default_drive="")
            for path in _LAUNCHED_PATH.findall(arguments)
            if not IsSystemPath(paths.Normalise(path))
        ]
        launched = [paths.Normalise(path) for path in launched_display]
        if not target:
            return None
        if IsSystemPath(target) and not launched:
            return None
        return item_module.Item(
            "lnk",
            event_data.data_type,
            location,
            {
                "target": target,
                "target_display": paths.Display(raw_target, default_drive=""),
                "arguments": arguments,
                "launched": launched,
                "launched_display": launched_display,
            },
            "",
            raw_location,
        )

    # NetSupport's own files, from our parsers.

    @staticmethod
    def _OwnFileItem(role, event_data, event_data_stream, value_names):
        """An item of a file our parsers read: its path and the named values."""
        raw_path = getattr(event_data, "path", None) or StreamLocation(
            event_data_stream
        )
        values = {name: getattr(event_data, name, None) for name in value_names}
        return item_module.Item(
            role, event_data.data_type, paths.Normalise(raw_path), values, "", raw_path
        )

    def _Configuration(self, event_data, event_data_stream):
        return self._OwnFileItem(
            "config",
            event_data,
            event_data_stream,
            (
                "gateway",
                "gateway_port",
                "secondary_gateway",
                "secondary_port",
                "has_gateway_security_key",
                "has_security_key",
                "silent",
                "systray_hidden",
                "hide_when_idle",
                "disabled_features",
                "build_path",
                "room",
                "show_ui_on_connect",
                "settings",
            ),
        )

    def _Licence(self, event_data, event_data_stream):
        return self._OwnFileItem(
            "licence",
            event_data,
            event_data_stream,
            ("licensee", "serial_no", "maxslaves", "expiry"),
        )
