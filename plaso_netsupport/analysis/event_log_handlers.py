"""Collector handlers for Windows event log records, and process lifetimes.

A mixin of Collector (collector.py). Roles come from the knowledge file's
event_ids (by event identifier); an item keeps only the values the correlator
and the findings document read (_KEPT_VALUES). Process creations are kept only
while their process lives: a 4689 exit, a logoff (4634, 4647) of the
process's session or a new 4688 with the same process id ends it (a
process_end item tells the correlator).
"""

from plaso_netsupport import evtx as evtx_fields
from plaso_netsupport.analysis import item as item_module
from plaso_netsupport.analysis import paths
from plaso_netsupport.analysis.file_handlers import IsSystemPath

# The knowledge file's event_ids roles, as the collector's item roles.
EVENT_ROLES = {
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

# Logon sessions that never end (SYSTEM, and "no session").
_PERMANENT_LOGON_IDS = frozenset(["", "0x0", "0x3e7", "0x3e4", "0x3e5"])


def _DecodeBinaryString(hex_string):
    """Decodes the UTF-16LE service key name that 7036 records carry."""
    try:
        text = bytes.fromhex(hex_string).decode("utf-16-le", errors="replace")
    except (TypeError, ValueError):
        return ""
    return text.split("\x00", 1)[0]


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


def IsSystemProcessPath(path):
    """Whether a process image is a Windows binary (not in Windows\\Temp)."""
    # explorer.exe, System32 and the like; \Windows\Temp is a drop location.
    return path.startswith("\\windows\\") and not path.startswith("\\windows\\temp\\")


class EventLogHandlers:
    """Handlers of windows:evtx:record data."""

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
            item = item_module.Item("sigma", event_data.data_type, "", values)
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
                values[name] = item_module.Intern(value)
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
        computer = item_module.Intern(values.get("Computer"))
        process_key = self._SharedKey(
            (computer, item_module.Intern(_DecimalProcessId(values.get("ProcessId"))))
        )
        creator_key = self._SharedKey(
            (
                computer,
                item_module.Intern(_DecimalProcessId(values.get("ParentProcessId"))),
            )
        )
        reused = self._EndProcess(process_key)
        if (
            IsSystemProcessPath(image)
            and IsSystemProcessPath(parent or "\\windows\\system32")
            and creator_key not in self._kept_processes
        ):
            # A system binary started by a system binary is kept only as
            # a descendant of a kept process (time order: parents first).
            if reused:
                # The correlator must forget the earlier process too.
                values["process_key"] = process_key
                return item_module.Item("process_end", data_type, "", values)
            return None
        self._kept_processes.add(process_key)
        logon_id = _ProcessLogonId(values)
        if logon_id not in _PERMANENT_LOGON_IDS:
            logon_key = (computer, logon_id)
            self._process_logons[process_key] = logon_key
            self._logon_processes.setdefault(logon_key, set()).add(process_key)
        values["process_key"] = process_key
        values["creator_key"] = creator_key
        values["logon_key"] = self._SharedKey((computer, item_module.Intern(logon_id)))
        return item_module.Item(
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
            return item_module.Item("process_end", data_type, "", values)
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
            return item_module.Item("process_end", data_type, "", values)
        if role == "service_install":
            image = paths.ExecutableOfCommand(
                values.get("ImagePath") or values.get("ServiceFileName")
            )
            name = (values.get("ServiceName") or "").lower()
            if (
                name not in self._knowledge.service_names
                and name not in self._knowledge.service_display_names
                and (not image or IsSystemPath(image))
            ):
                return None
            return item_module.Item("service_install", data_type, image, values)
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
            return item_module.Item("service_control", data_type, "", values)
        if role == "privileges":
            logon_id = (values.get("SubjectLogonId") or "").lower()
            if not logon_id:
                return None
            return item_module.Item("privileges", data_type, "", {"logon_id": logon_id})
        if role == "script_block":
            text = (values.get("ScriptBlockText") or "")[
                : item_module.MAXIMUM_TEXT_SIZE
            ]
            if not self._script_tokens.search(text):
                return None
            return item_module.Item("script_block", data_type, "", {"text": text})
        if role == "log_cleared":
            return item_module.Item("log_cleared", data_type, "", values)
        return None
