"""Collects the events that may be NetSupport evidence, cheaply.

The analysis sees every event of the storage file, nearly all of which have
nothing to do with NetSupport. The collector looks at an event's data type
first (one dict lookup) and returns at once for every type it has no handler
for. Handlers keep a compact Item for each event that *might* be evidence;
what it is evidence of is only decided when all events have been seen
(correlate.py), because a renamed client is recognised from files, processes
and settings that can come later in the timeline.

Memory grows with the number of candidate items (executables, shortcuts and
folders outside the Windows directory, NetSupport-named files, process
creations outside it, service and script events), not with other events.
"""

import re

from plaso_netsupport.analysis import paths
from plaso_netsupport import evtx as evtx_fields

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

_EVTX_IDENTIFIERS = {
    7045: "service_install",
    4697: "service_install",
    7035: "service_control",
    7036: "service_control",
    7040: "service_control",
    4688: "process",
    4672: "privileges",
    4104: "script_block",
    1102: "log_cleared",
    104: "log_cleared",
}

# Script blocks are at most 32 KiB of text per record on Windows.
_MAXIMUM_SCRIPT_SIZE = 256 * 1024

# USN_REASON_FILE_DELETE
_USN_FILE_DELETE = 0x00000200


class Item:
    """An event (or the events of one event data) that may be evidence.

    Attributes:
      role (str): what the event is: file, process, run, lnk, service, ...
      data_type (str): plaso data type.
      event_identifiers (list[AttributeContainerIdentifier]): events.
      timestamps (list[int]): their timestamps, in microseconds.
      path (str): normalised path of the file the event is about, or "".
      folder (str): its folder.
      name (str): its file name.
      values (dict): role-specific values.
      description (str): short text for the report.
    """

    __slots__ = (
        "role",
        "data_type",
        "event_identifiers",
        "timestamps",
        "path",
        "folder",
        "name",
        "values",
        "description",
        "sigma",
    )

    def __init__(self, role, data_type, path="", values=None, description=""):
        self.role = role
        self.data_type = data_type
        self.event_identifiers = []
        self.timestamps = []
        self.path = path
        self.folder, self.name = paths.Split(path) if path else ("", "")
        self.values = values or {}
        self.description = description
        self.sigma = None


def _DecodeBinaryString(hex_string):
    """Decodes the UTF-16LE service key name that 7036 records carry."""
    try:
        text = bytes.fromhex(hex_string).decode("utf-16-le", errors="replace")
    except (TypeError, ValueError):
        return ""
    return text.split("\x00", 1)[0]


def _NamedValues(values):
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


def _IsSystemPath(path):
    return path.startswith(_SYSTEM_FOLDERS)


def _IsSystemProcessPath(path):
    # explorer.exe, System32 and the like; \Windows\Temp is a drop location.
    return path.startswith("\\windows\\") and not path.startswith("\\windows\\temp\\")


def _StreamLocation(event_data_stream):
    path_spec = getattr(event_data_stream, "path_spec", None)
    while path_spec is not None:
        location = getattr(path_spec, "location", None)
        if location:
            return location
        path_spec = getattr(path_spec, "parent", None)
    return ""


class Collector:
    """Keeps the candidate items, keyed by event data identifier."""

    def __init__(self, knowledge, sigma_engine=None):
        """Initializes a collector.

        Args:
          knowledge (Knowledge): NetSupport knowledge.
          sigma_engine (Optional[SigmaEngine]): Sigma rules to evaluate on
              event log records.
        """
        self._knowledge = knowledge
        self._kit_names = frozenset(knowledge.kit_files)
        self._sigma_engine = sigma_engine
        # Words that tie a script to NetSupport: kit file names, and their
        # stems where long enough not to occur inside ordinary words.
        self._script_tokens = frozenset(
            ["netsupport"]
            + list(knowledge.strong_kit_file_names)
            + [
                name.rpartition(".")[0]
                for name in knowledge.strong_kit_file_names
                if len(name.rpartition(".")[0]) >= 7
            ]
        )
        self._kept_processes = set()
        self._vendor_name = re.compile(
            r"\bnetsupport (?:ltd|manager|school|client)|"
            + "|".join(
                re.escape(name.lower()) for name in knowledge.data["oem_products"]
            )
        )
        self.items = {}
        self._handlers = {
            "fs:stat": self._File,
            "fs:stat:ntfs": self._File,
            "fs:ntfs:usn_change": self._UsnChange,
            "windows:metadata:deleted_item": self._RecycleBin,
            "pe_coff:file": self._PortableExecutable,
            "pe_coff:dll_import": self._PortableExecutable,
            "windows:prefetch:execution": self._Prefetch,
            "windows:registry:run": self._Run,
            "windows:registry:service": self._Service,
            "windows:registry:key_value": self._RegistryKey,
            "windows:registry:amcache": self._ExecutionPath,
            "windows:registry:appcompatcache": self._ExecutionPath,
            "windows:registry:bam": self._ExecutionPath,
            "windows:registry:userassist": self._UserAssist,
            "windows:lnk:link": self._Link,
            "windows:evtx:record": self._EventLogRecord,
            "netsupport:client32_ini:config": self._Configuration,
            "netsupport:nsm_lic:licence": self._Licence,
            "netsupport:nsm_ini:installer": self._Configuration,
            "netsupport:registry:key": self._NetSupportRegistry,
        }

    @property
    def data_types(self):
        """frozenset[str]: data types the collector looks at."""
        return frozenset(self._handlers)

    def Collect(self, event, event_data, event_data_stream):
        """Looks at one event; constant, cheap work for uninteresting ones."""
        handler = self._handlers.get(event_data.data_type)
        if handler is None:
            return
        key = event.GetEventDataIdentifier()
        key = key.CopyToString() if key is not None else id(event_data)
        item = self.items.get(key)
        if item is None:
            item = handler(event_data, event_data_stream)
            if item is None:
                return
            self.items[key] = item
        item.event_identifiers.append(event.GetIdentifier())
        item.timestamps.append(event.timestamp)

    # File system.

    def _FileCandidate(self, path):
        folder, name = paths.Split(path)
        if name in self._kit_names:
            return True
        if _IsSystemPath(path):
            return False
        extension = name.rpartition(".")[2]
        return extension in _CANDIDATE_EXTENSIONS or "." not in name

    def _File(self, event_data, event_data_stream):
        path = paths.Normalise(
            getattr(event_data, "filename", None) or _StreamLocation(event_data_stream)
        )
        if not path:
            return None
        stream_name = ""
        if ":" in path.rpartition("\\")[2]:
            # An alternate data stream, such as client32.exe:Zone.Identifier.
            path, _, stream_name = path.rpartition(":")
        if not self._FileCandidate(path):
            return None
        is_directory = getattr(event_data, "file_entry_type", None) == "directory"
        allocated = getattr(event_data, "is_allocated", True)
        return Item(
            "file",
            event_data.data_type,
            path,
            {
                "directory": is_directory,
                "deleted": allocated is False,
                "stream": stream_name,
                "inode": str(getattr(event_data, "inode", None) or ""),
            },
        )

    def _UsnChange(self, event_data, event_data_stream):
        # A change-journal record names only the file and its parent folder's
        # file reference; the folder is resolved from the file system events.
        name = (getattr(event_data, "filename", None) or "").lower()
        if not name or not self._FileCandidate("\\?\\" + name):
            return None
        flags = getattr(event_data, "update_reason_flags", None) or 0
        return Item(
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
        if not path or _IsSystemPath(path):
            return None
        return Item("recycled", event_data.data_type, path)

    def _PortableExecutable(self, event_data, event_data_stream):
        path = paths.Normalise(_StreamLocation(event_data_stream))
        if not path or not self._FileCandidate(path):
            return None
        dll_name = (getattr(event_data, "dll_name", None) or "").lower()
        imphash = (getattr(event_data, "imphash", None) or "").lower()
        return Item(
            "pe", event_data.data_type, path, {"dll_name": dll_name, "imphash": imphash}
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
        elif path and _IsSystemPath(path):
            # A system binary (cmd.exe) whose run loaded NetSupport code is
            # still interesting; others are not.
            if not any(paths.Split(item)[1] in self._kit_names for item in mapped):
                return None
        return Item(
            "prefetch",
            event_data.data_type,
            path or "\\?\\" + executable,
            {"executable": executable, "mapped_files": mapped},
            f"prefetch {executable.upper()}",
        )

    def _ExecutionPath(self, event_data, event_data_stream):
        path = paths.Normalise(
            getattr(event_data, "full_path", None) or getattr(event_data, "path", None)
        )
        identity = " ".join(
            str(getattr(event_data, name, None) or "")
            for name in ("company_name", "product_name", "file_description")
        ).lower()
        if not path or (not self._FileCandidate(path) and "netsupport" not in identity):
            return None
        return Item(
            "execution_trace", event_data.data_type, path, {"identity": identity}
        )

    def _UserAssist(self, event_data, event_data_stream):
        value_name = getattr(event_data, "value_name", None) or ""
        path = paths.Normalise(value_name)
        if not path or not self._FileCandidate(path):
            return None
        return Item("execution_trace", event_data.data_type, path, {"identity": ""})

    # Persistence and services.

    def _Run(self, event_data, event_data_stream):
        entries = []
        for entry in getattr(event_data, "entries", None) or []:
            name, _, command = str(entry).partition(": ")
            executable = paths.ExecutableOfCommand(command)
            if executable and not _IsSystemPath(executable):
                entries.append((name, executable))
            elif executable and paths.Split(executable)[1] in self._kit_names:
                entries.append((name, executable))
        if not entries:
            return None
        return Item(
            "run",
            event_data.data_type,
            "",
            {"entries": entries, "key_path": getattr(event_data, "key_path", "")},
        )

    def _Service(self, event_data, event_data_stream):
        name = (getattr(event_data, "name", None) or "").lower()
        image = paths.ExecutableOfCommand(getattr(event_data, "image_path", None))
        display_name = next(
            (
                data
                for name, data in _NamedValues(getattr(event_data, "values", None))
                if name == "displayname"
            ),
            "",
        )
        if (
            name not in self._knowledge.service_names
            and display_name not in self._knowledge.service_display_names
            and (not image or _IsSystemPath(image))
        ):
            return None
        return Item(
            "service",
            event_data.data_type,
            image,
            {
                "service_name": name,
                "display_name": display_name,
                "key_path": getattr(event_data, "key_path", ""),
            },
        )

    def _RegistryKey(self, event_data, event_data_stream):
        key_path = (getattr(event_data, "key_path", None) or "").lower()
        values = getattr(event_data, "values", None) or []
        if not self._IsVendorKey(key_path, values):
            return None
        return Item(
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
        return Item(
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
            for name, data in _NamedValues(values)
        )

    def _Link(self, event_data, event_data_stream):
        target = paths.Normalise(
            getattr(event_data, "local_path", None)
            or getattr(event_data, "link_target", None)
        )
        location = paths.Normalise(_StreamLocation(event_data_stream))
        if not target or _IsSystemPath(target):
            return None
        return Item(
            "lnk",
            event_data.data_type,
            location,
            {"target": target},
        )

    # NetSupport's own files, from our parsers.

    def _Configuration(self, event_data, event_data_stream):
        path = paths.Normalise(
            getattr(event_data, "path", None) or _StreamLocation(event_data_stream)
        )
        values = {
            name: getattr(event_data, name, None)
            for name in (
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
            )
        }
        return Item("config", event_data.data_type, path, values)

    def _Licence(self, event_data, event_data_stream):
        path = paths.Normalise(
            getattr(event_data, "path", None) or _StreamLocation(event_data_stream)
        )
        values = {
            name: getattr(event_data, name, None)
            for name in ("licensee", "serial_no", "maxslaves", "expiry")
        }
        return Item("licence", event_data.data_type, path, values)

    # Event logs.

    def _EventLogRecord(self, event_data, event_data_stream):
        event_identifier = getattr(event_data, "event_identifier", None)
        role = _EVTX_IDENTIFIERS.get(event_identifier)
        sigma_matches = None
        if self._sigma_engine is not None and self._sigma_engine.CouldMatch(
            event_identifier
        ):
            sigma_matches = self._sigma_engine.MatchEventData(event_data) or None
        if role is None and not sigma_matches:
            return None
        # Values by Data name; shared with (and cached by) the Sigma fields.
        values = dict(evtx_fields.EvtxFields(event_data))
        values["EventID"] = event_identifier
        item = self._EventLogItem(role, event_data, values)
        if item is None and sigma_matches:
            item = Item("sigma", event_data.data_type, "", values)
        if item is not None:
            item.sigma = sigma_matches
        return item

    def _EventLogItem(self, role, event_data, values):
        data_type = event_data.data_type
        if role == "process":
            image = paths.Normalise(values.get("NewProcessName"))
            parent = paths.Normalise(values.get("ParentProcessName"))
            if not image:
                return None
            # Decimal process ids: ProcessId is the new process, ParentProcessId
            # its creator (Sigma's names for 4688's NewProcessId and ProcessId).
            process_key = (values.get("Computer"), values.get("ProcessId"))
            creator_key = (values.get("Computer"), values.get("ParentProcessId"))
            if (
                _IsSystemProcessPath(image)
                and _IsSystemProcessPath(parent or "\\windows\\system32")
                and creator_key not in self._kept_processes
            ):
                # A system binary started by a system binary is kept only as
                # a descendant of a kept process (time order: parents first).
                return None
            self._kept_processes.add(process_key)
            return Item("process", data_type, image, values)
        if role == "service_install":
            image = paths.ExecutableOfCommand(
                values.get("ImagePath") or values.get("ServiceFileName")
            )
            name = (values.get("ServiceName") or "").lower()
            if (
                name not in self._knowledge.service_names
                and name not in self._knowledge.service_display_names
                and (not image or _IsSystemPath(image))
            ):
                return None
            return Item("service_install", data_type, image, values)
        if role == "service_control":
            display_name = (values.get("param1") or "").lower()
            key_name = _DecodeBinaryString(values.get("Binary") or "").lower()
            key_name = key_name.partition("/")[0]
            if display_name not in self._knowledge.service_display_names and (
                key_name not in self._knowledge.service_names
                and display_name not in self._knowledge.service_names
            ):
                return None
            values["key_name"] = key_name
            return Item("service_control", data_type, "", values)
        if role == "privileges":
            logon_id = (values.get("SubjectLogonId") or "").lower()
            if not logon_id:
                return None
            return Item("privileges", data_type, "", {"logon_id": logon_id})
        if role == "script_block":
            text = (values.get("ScriptBlockText") or "")[:_MAXIMUM_SCRIPT_SIZE]
            lowered = text.lower()
            if not any(token in lowered for token in self._script_tokens):
                return None
            return Item("script_block", data_type, "", {"text": text})
        if role == "log_cleared":
            return Item("log_cleared", data_type, "", values)
        return None
