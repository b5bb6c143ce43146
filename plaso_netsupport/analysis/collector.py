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
creations outside it, service and script events), not with other events, and
each item is small: an event log item keeps only the values the correlator
and the findings document read (_KEPT_VALUES, not the record's ~35 fields),
repeated strings and process keys are shared, and an item's events are packed
into one bytes object (sequence number, timestamp, description code).

Items keep what the identity model and the report need: PE imports (plaso's
pe_coff:dll_import "name"), imphashes, PE version information and signer
(netsupport:pe:version_info), Amcache company/product/description, paths as
on the evidence (display_path) and each event's timestamp description. Process
creations are kept only while their process lives: a 4689 exit, a logoff
(4634, 4647) of the process's session or a new 4688 with the same process id
ends it (a process_end item tells the correlator).
"""

import re
import struct
import sys

from acstore.containers import interface as containers_interface

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

# The knowledge file's event_ids roles, as the collector's item roles.
_EVENT_ROLES = {
    "service_installed": "service_install",
    "service_control": "service_control",
    "process_created": "process",
    "process_exited": "process_exit",
    "logged_off": "logoff",
    "special_privileges": "privileges",
    "script_block": "script_block",
    "log_cleared": "log_cleared",
}

# The event log values an item keeps, by role: what correlate.py and
# evidence.py read (plus the collector's own process_key, creator_key,
# logon_key, process_keys and key_name). Everything else of the record is
# dropped: keeping all ~35 fields cost 5-7 KiB per item (issue 17).
_KEPT_VALUES = {
    "process": (
        "NewProcessName",
        "ParentProcessName",
        "CommandLine",
        "SubjectLogonId",
        "TargetLogonId",
        "process_key",
        "creator_key",
        "logon_key",
    ),
    "process_end": ("process_key", "process_keys"),
    "service_install": ("ServiceName", "ImagePath", "ServiceFileName"),
    "service_control": ("param1", "param2", "key_name"),
    "log_cleared": ("Channel",),
    "sigma": ("EventID", "Channel"),
}

# One tuple per set of kept value names (a few per role).
_VALUE_NAMES = {}

# Values unique per record (not worth interning).
_UNIQUE_VALUES = frozenset(["CommandLine"])

# Process keys (computer, process id) shared by the items that name them;
# the cache is cleared when it reaches this size.
_MAXIMUM_SHARED_KEYS = 65536

# Script blocks are at most 32 KiB of text per record on Windows.
_MAXIMUM_SCRIPT_SIZE = 256 * 1024

# Program paths in a shortcut's arguments ("/c start C:\\x\\a.exe").
_LAUNCHED_PATH = re.compile(
    r"(?:[a-z]:|%[a-z_]+%)\\[^\"'|&<>/\r\n]*?\.(?:exe|bat|cmd|vbs|js|ps1)\b",
    re.IGNORECASE,
)

# Logon sessions that never end (SYSTEM, and "no session").
_PERMANENT_LOGON_IDS = frozenset(["", "0x0", "0x3e7", "0x3e4", "0x3e5"])

# USN_REASON_FILE_DELETE
_USN_FILE_DELETE = 0x00000200


# An event of an item: event sequence number, timestamp, description code.
_PACKED_EVENT = struct.Struct("<qqH")
_PACKED_EVENT_SIZE = _PACKED_EVENT.size

# Timestamp descriptions by code (plaso's definitions: a few dozen).
_DESCRIPTIONS = []
_DESCRIPTION_CODES = {}


def _DescriptionCode(description):
    code = _DESCRIPTION_CODES.get(description)
    if code is None and len(_DESCRIPTIONS) < 0xFFFF:
        code = len(_DESCRIPTIONS)
        _DESCRIPTIONS.append(sys.intern(description))
        _DESCRIPTION_CODES[_DESCRIPTIONS[code]] = code
    return code


def _Intern(text):
    return sys.intern(text) if type(text) is str else text  # noqa: E721


class Item:
    """An event (or the events of one event data) that may be evidence.

    Attributes:
      role (str): what the event is: file, process, run, lnk, service, ...
      data_type (str): plaso data type.
      event_identifiers (list[AttributeContainerIdentifier]): events.
      timestamps (list[int]): their timestamps, in microseconds.
      timestamp_descriptions (list[str]): the events' timestamp
          descriptions, in the order of timestamps.
      path (str): normalised path of the file the event is about, or "".
      folder (str): its folder.
      name (str): its file name.
      display_path (str): the path as on the evidence (original case, drive
          letter as the event gives it, else none), or "".
      values (dict): role-specific values (for event log items, a new dict
          on every read: change them through the collector, not the dict).
      description (str): short text for the report.
      sigma (tuple|None): Sigma rule matches.
      source (str|None): coverage source of the item's events.
    """

    __slots__ = (
        "role",
        "data_type",
        "path",
        "display_path",
        "folder",
        "name",
        "description",
        "sigma",
        "source",
        "_values",
        "_value_names",
        "_events",
    )

    def __init__(
        self, role, data_type, path="", values=None, description="", display_path=""
    ):
        self.role = role
        self.data_type = _Intern(data_type)
        self.path = _Intern(path)
        folder, name = paths.Split(path) if path else ("", "")
        self.folder, self.name = _Intern(folder), _Intern(name)
        if display_path and paths.Normalise(display_path) != path:
            display_path = ""
        self.display_path = _Intern(
            paths.Display(display_path or path, default_drive="")
        )
        self._values = values or {}
        self._value_names = None
        self.description = description
        self.sigma = None
        self.source = None
        # Packed events (bytes), or a list of (identifier, timestamp,
        # description) for events that do not pack.
        self._events = b""

    @property
    def values(self):
        """dict: role-specific values."""
        if self._value_names is None:
            return self._values
        return dict(zip(self._value_names, self._values))

    def Compact(self, value_names):
        """Keeps only the named values, as a tuple.

        Args:
          value_names (tuple[str]): names, shared by the items of a role.
        """
        self._values = tuple(self._values[name] for name in value_names)
        self._value_names = value_names

    def AddEvent(self, identifier, timestamp, description):
        """Adds one event of the item.

        Args:
          identifier (AttributeContainerIdentifier): event identifier.
          timestamp (int): timestamp in microseconds.
          description (str): timestamp description.
        """
        if type(self._events) is bytes:  # noqa: E721
            sequence_number = getattr(identifier, "sequence_number", None)
            code = _DescriptionCode(description)
            if (
                type(sequence_number) is int  # noqa: E721
                and type(timestamp) is int  # noqa: E721
                and code is not None
                and getattr(identifier, "name", None) == "event"
                and -(2**63) <= sequence_number < 2**63
                and -(2**63) <= timestamp < 2**63
            ):
                self._events += _PACKED_EVENT.pack(sequence_number, timestamp, code)
                return
            self._events = list(self._Events())
        self._events.append((identifier, timestamp, description))

    def _Events(self):
        events = self._events
        if type(events) is not bytes:  # noqa: E721
            yield from events
            return
        for sequence_number, timestamp, code in _PACKED_EVENT.iter_unpack(events):
            yield (
                containers_interface.AttributeContainerIdentifier(
                    name="event", sequence_number=sequence_number
                ),
                timestamp,
                _DESCRIPTIONS[code],
            )

    @property
    def number_of_events(self):
        """int: number of events."""
        events = self._events
        if type(events) is bytes:  # noqa: E721
            return len(events) // _PACKED_EVENT_SIZE
        return len(events)

    @property
    def event_identifiers(self):
        """list[AttributeContainerIdentifier]: identifiers of the events."""
        return [identifier for identifier, _, _ in self._Events()]

    @property
    def timestamps(self):
        """list[int]: timestamps of the events, in microseconds."""
        events = self._events
        if type(events) is bytes:  # noqa: E721
            return [entry[1] for entry in _PACKED_EVENT.iter_unpack(events)]
        return [timestamp for _, timestamp, _ in events]

    @property
    def timestamp_descriptions(self):
        """list[str]: descriptions of the timestamps, in their order."""
        events = self._events
        if type(events) is bytes:  # noqa: E721
            return [
                _DESCRIPTIONS[entry[2]] for entry in _PACKED_EVENT.iter_unpack(events)
            ]
        return [description for _, _, description in events]


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


def _DecimalProcessId(value):
    """Returns a process id ("0x1f4" or "500") as a decimal string."""
    value = str(value or "").strip().lower()
    try:
        return str(int(value, 16)) if value.startswith("0x") else str(int(value))
    except ValueError:
        return value


def _ProcessLogonId(values):
    """Returns the logon session of a 4688's new process (lower-case hex)."""
    target = str(values.get("TargetLogonId") or "").lower()
    if target and target != "0x0":
        return target
    return str(values.get("SubjectLogonId") or "").lower()


def CompileTokens(words):
    """Compiles words and phrases that must match as whole tokens.

    "rm " matches "rm x" and "rm" at the end of a text, never "form x";
    "Remove-Item" never matches inside "Remove-ItemProperty".

    Args:
      words (Iterable[str]): words or phrases, matched case-insensitively.

    Returns:
      re.Pattern: pattern, or one that never matches for no words.
    """
    words = sorted({word.strip().lower() for word in words if word.strip()})
    if not words:
        return re.compile(r"(?!x)x")
    alternatives = []
    for word in words:
        # Boundaries only where the word itself starts or ends with a word
        # character ("\\CurrentVersion\\Run" may follow any text).
        prefix = r"(?<![\w\-.$])" if re.match(r"\w", word) else ""
        suffix = r"(?![\w\-])" if re.match(r"\w", word[-1]) else ""
        alternatives.append(prefix + re.escape(word) + suffix)
    return re.compile("|".join(alternatives), re.IGNORECASE)


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
        self._script_tokens = CompileTokens(
            ["netsupport"]
            + list(knowledge.strong_kit_file_names)
            + [
                name.rpartition(".")[0]
                for name in knowledge.strong_kit_file_names
                if len(name.rpartition(".")[0]) >= 7
            ]
        )
        self._kept_processes = set()
        # Event identifier -> item role, from the knowledge file's event_ids.
        self._event_roles = {
            identifier: _EVENT_ROLES[roles[0]]
            for identifier, roles in knowledge.event_roles.items()
            if roles[0] in _EVENT_ROLES
        }
        # Shared process keys and Sigma matches: items name the same ones.
        self._shared_keys = {}
        self._shared_matches = {}
        self._vendor_name = re.compile(
            r"\bnetsupport (?:ltd|manager|school|client)|"
            + "|".join(
                re.escape(name.lower()) for name in knowledge.data["oem_products"]
            )
        )
        self._vendor_companies = frozenset(
            name.lower().rstrip(".")
            for name in knowledge.data["pe_identity"]["company_names"]
        )
        # Process lifetimes: (computer, process id) of kept processes, and the
        # kept processes of each logon session.
        self._process_logons = {}
        self._logon_processes = {}
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
            "netsupport:registry:key": self._NetSupportRegistry,
            "netsupport:pe:version_info": self._VersionInfo,
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
        if key is None:
            key = (None, id(event_data))
        elif key.name == "event_data" and type(key.sequence_number) is int:  # noqa
            # An int is a fifth of the identifier's string.
            key = key.sequence_number
        else:
            key = key.CopyToString()
        item = self.items.get(key)
        if item is None:
            item = handler(event_data, event_data_stream)
            if item is None:
                return
            self.items[key] = item
        item.AddEvent(
            event.GetIdentifier(),
            event.timestamp,
            getattr(event, "timestamp_desc", "") or "",
        )

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
        raw_path = getattr(event_data, "filename", None) or _StreamLocation(
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
            display_path=raw_path,
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
        raw_path = _StreamLocation(event_data_stream)
        path = paths.Normalise(raw_path)
        if not path or not self._FileCandidate(path):
            return None
        # pe_coff:dll_import names the imported DLL in "name" (plaso has no
        # function names); pe_coff:file carries the imphash.
        dll_name = ""
        if event_data.data_type == "pe_coff:dll_import":
            dll_name = (getattr(event_data, "name", None) or "").lower()
        imphash = (getattr(event_data, "imphash", None) or "").lower()
        return Item(
            "pe",
            event_data.data_type,
            path,
            {"dll_name": dll_name, "imphash": imphash},
            display_path=raw_path,
        )

    def _VersionInfo(self, event_data, event_data_stream):
        raw_path = _StreamLocation(event_data_stream)
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
        return Item("version_info", event_data.data_type, path, values, "", raw_path)

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
        return Item("execution_trace", event_data.data_type, path, values, "", raw_path)

    def _UserAssist(self, event_data, event_data_stream):
        value_name = getattr(event_data, "value_name", None) or ""
        path = paths.Normalise(value_name)
        if not path or not self._FileCandidate(path):
            return None
        return Item(
            "execution_trace",
            event_data.data_type,
            path,
            {"identity": ""},
            "",
            value_name,
        )

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
        service_name = getattr(event_data, "name", None) or ""
        name = service_name.lower()
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
        raw_target = getattr(event_data, "local_path", None) or getattr(
            event_data, "link_target", None
        )
        target = paths.Normalise(raw_target)
        raw_location = _StreamLocation(event_data_stream)
        location = paths.Normalise(raw_location)
        arguments = str(getattr(event_data, "command_line_arguments", None) or "")
        arguments = arguments[:_MAXIMUM_SCRIPT_SIZE]
        # A shortcut that proxies the start of a program through a system
        # binary (explorer.exe, cmd.exe, forfiles.exe ...): the program it
        # starts is in the arguments.
        launched_display = [
            paths.Display(path, default_drive="")
            for path in _LAUNCHED_PATH.findall(arguments)
            if not _IsSystemPath(paths.Normalise(path))
        ]
        launched = [paths.Normalise(path) for path in launched_display]
        if not target:
            return None
        if _IsSystemPath(target) and not launched:
            return None
        return Item(
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

    def _Configuration(self, event_data, event_data_stream):
        raw_path = getattr(event_data, "path", None) or _StreamLocation(
            event_data_stream
        )
        path = paths.Normalise(raw_path)
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
                "show_ui_on_connect",
                "settings",
            )
        }
        return Item("config", event_data.data_type, path, values, "", raw_path)

    def _Licence(self, event_data, event_data_stream):
        raw_path = getattr(event_data, "path", None) or _StreamLocation(
            event_data_stream
        )
        path = paths.Normalise(raw_path)
        values = {
            name: getattr(event_data, name, None)
            for name in ("licensee", "serial_no", "maxslaves", "expiry")
        }
        return Item("licence", event_data.data_type, path, values, "", raw_path)

    # Event logs.

    def _EventLogRecord(self, event_data, event_data_stream):
        event_identifier = getattr(event_data, "event_identifier", None)
        role = self._event_roles.get(event_identifier)
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
        if item is None:
            return None
        value_names = _KEPT_VALUES.get(item.role)
        if value_names is not None:
            self._CompactValues(item, value_names)
        if sigma_matches:
            item.sigma = tuple(self._SharedMatch(match) for match in sigma_matches)
        return item

    def _CompactValues(self, item, value_names):
        """Keeps only the values of an event log item that are read later."""
        values = item._values  # pylint: disable=protected-access
        names = tuple(name for name in value_names if name in values)
        names = _VALUE_NAMES.setdefault(names, names)
        for name in names:
            value = values[name]
            if name not in _UNIQUE_VALUES:
                values[name] = _Intern(value)
        item.Compact(names)

    def _SharedKey(self, key):
        """Returns one tuple object for equal (computer, id) keys."""
        shared = self._shared_keys
        if len(shared) >= _MAXIMUM_SHARED_KEYS:
            shared.clear()
        return shared.setdefault(key, key)

    def _SharedMatch(self, match):
        """Returns one RuleMatch object for equal matches (read-only)."""
        key = (
            match.rule_id,
            match.title,
            match.level,
            tuple(match.labels),
            match.builtin,
            match.context_required,
        )
        shared = self._shared_matches
        if len(shared) >= _MAXIMUM_SHARED_KEYS:
            shared.clear()
        return shared.setdefault(key, match)

    def _EndProcess(self, process_key):
        """Forgets a kept process; returns True if it was kept."""
        if process_key not in self._kept_processes:
            return False
        self._kept_processes.discard(process_key)
        logon_key = self._process_logons.pop(process_key, None)
        if logon_key is not None:
            self._logon_processes.get(logon_key, set()).discard(process_key)
        return True

    def _ProcessItem(self, data_type, values):
        """A 4688 process creation worth keeping, or None.

        Process chains are bounded by process lifetime: a process id is
        forgotten at its 4689 exit, at the end of its logon session (4634,
        4647) and when a new 4688 reuses it.
        """
        image = paths.Normalise(values.get("NewProcessName"))
        parent = paths.Normalise(values.get("ParentProcessName"))
        if not image:
            return None
        # Decimal process ids: ProcessId is the new process, ParentProcessId
        # its creator (Sigma's names for 4688's NewProcessId and ProcessId).
        computer = _Intern(values.get("Computer"))
        process_key = self._SharedKey(
            (computer, _Intern(_DecimalProcessId(values.get("ProcessId"))))
        )
        creator_key = self._SharedKey(
            (computer, _Intern(_DecimalProcessId(values.get("ParentProcessId"))))
        )
        reused = self._EndProcess(process_key)
        if (
            _IsSystemProcessPath(image)
            and _IsSystemProcessPath(parent or "\\windows\\system32")
            and creator_key not in self._kept_processes
        ):
            # A system binary started by a system binary is kept only as
            # a descendant of a kept process (time order: parents first).
            if reused:
                # The correlator must forget the earlier process too.
                values["process_key"] = process_key
                return Item("process_end", data_type, "", values)
            return None
        self._kept_processes.add(process_key)
        logon_id = _ProcessLogonId(values)
        if logon_id not in _PERMANENT_LOGON_IDS:
            logon_key = (computer, logon_id)
            self._process_logons[process_key] = logon_key
            self._logon_processes.setdefault(logon_key, set()).add(process_key)
        values["process_key"] = process_key
        values["creator_key"] = creator_key
        values["logon_key"] = self._SharedKey((computer, _Intern(logon_id)))
        return Item(
            "process",
            data_type,
            image,
            values,
            "",
            values.get("NewProcessName") or "",
        )

    def _EventLogItem(self, role, event_data, values):
        data_type = event_data.data_type
        if role == "process":
            return self._ProcessItem(data_type, values)
        if role == "process_exit":
            process_key = (
                values.get("Computer"),
                _DecimalProcessId(values.get("ProcessId")),
            )
            if not self._EndProcess(process_key):
                return None
            values["process_key"] = process_key
            return Item("process_end", data_type, "", values)
        if role == "logoff":
            logon_id = str(values.get("TargetLogonId") or "").lower()
            process_keys = self._logon_processes.pop(
                (values.get("Computer"), logon_id), None
            )
            if not process_keys:
                return None
            for process_key in process_keys:
                self._EndProcess(process_key)
            values["process_keys"] = sorted(process_keys, key=str)
            return Item("process_end", data_type, "", values)
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
            if not self._script_tokens.search(text):
                return None
            return Item("script_block", data_type, "", {"text": text})
        if role == "log_cleared":
            return Item("log_cleared", data_type, "", values)
        return None
