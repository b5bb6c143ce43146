"""Field values of plaso `windows:evtx:record` event data, by Sigma's names.

Shared by the Sigma engine (plaso_netsupport.sigma) and the analysis collector.
EvtxFields() turns a plaso EVTX record into the flat dictionary Sigma rules are
written against: the System values (EventID, Channel, Provider_Name, Computer,
...), every EventData / UserData value by name and, for Security 4688, the
Sigma process_creation names (Image, ParentImage, CommandLine, User, ...).
Data names with spaces are also given without them (Sigma's `ThreatName`).

The evidence is hostile: xml_string is parsed with defusedxml (no DTDs, no
entities, no external references) and is size-limited. An xml_string that
cannot be parsed yields no fields at all. Only when the record has no
xml_string are the `strings` mapped to names by position, for the few event
layouts this package knows.
"""

import collections
import xml.etree.ElementTree as _stdlib_etree

from defusedxml import ElementTree as defused_etree

DATA_TYPE = "windows:evtx:record"

# An xml_string longer than this is not parsed (treated as no fields). Real
# records are limited to 64 KiB of event data by the EVTX chunk size; 4104
# script blocks are split into parts of about 32 KiB.
MAXIMUM_XML_SIZE = 1024 * 1024

_EVENT_NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"

# Provider names -> channel, used only when no xml_string gives the Channel.
_PROVIDER_CHANNELS = {
    "service control manager": "System",
    "microsoft-windows-security-auditing": "Security",
    "microsoft-windows-powershell": "Microsoft-Windows-PowerShell/Operational",
    "powershell": "Windows PowerShell",
    "microsoft-windows-sysmon": "Microsoft-Windows-Sysmon/Operational",
    "microsoft-windows-windows defender": (
        "Microsoft-Windows-Windows Defender/Operational"
    ),
    "microsoft-windows-taskscheduler": ("Microsoft-Windows-TaskScheduler/Operational"),
}

# (provider, event identifier) -> channel, where the provider alone is ambiguous.
_PROVIDER_EVENT_CHANNELS = {
    ("microsoft-windows-eventlog", 1102): "Security",
    ("microsoft-windows-eventlog", 104): "System",
}

# Data names by position, for records without xml_string. Key: (channel,
# event identifier, number of strings) with None as "any number".
_4688_V0 = [
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "SubjectLogonId",
    "NewProcessId",
    "NewProcessName",
    "TokenElevationType",
    "ProcessId",
]
_4688_V1 = _4688_V0 + ["CommandLine"]
_4688_V2 = _4688_V1 + [
    "TargetUserSid",
    "TargetUserName",
    "TargetDomainName",
    "TargetLogonId",
    "ParentProcessName",
    "MandatoryLabel",
]

_POSITIONAL_LAYOUTS = {
    ("System", 7045): [
        "ServiceName",
        "ImagePath",
        "ServiceType",
        "StartType",
        "AccountName",
    ],
    ("System", 7036): ["param1", "param2", "Binary"],
    ("System", 7035): ["param1", "param2", "Binary"],
    ("System", 7040): ["param1", "param2", "param3", "param4"],
    ("System", 104): ["SubjectUserName", "SubjectDomainName", "Channel_", "BackupPath"],
    ("Security", 1102): [
        "SubjectUserSid",
        "SubjectUserName",
        "SubjectDomainName",
        "SubjectLogonId",
    ],
    ("Security", 4697): [
        "SubjectUserSid",
        "SubjectUserName",
        "SubjectDomainName",
        "SubjectLogonId",
        "ServiceName",
        "ServiceFileName",
        "ServiceType",
        "ServiceStartType",
        "ServiceAccount",
    ],
    ("Microsoft-Windows-PowerShell/Operational", 4104): [
        "MessageNumber",
        "MessageTotal",
        "ScriptBlockText",
        "ScriptBlockId",
        "Path",
    ],
}

_4688_LAYOUTS = {len(layout): layout for layout in (_4688_V0, _4688_V1, _4688_V2)}

_MANDATORY_LABELS = {
    "S-1-16-0": "Untrusted",
    "S-1-16-4096": "Low",
    "S-1-16-8192": "Medium",
    "S-1-16-8448": "Medium",
    "S-1-16-12288": "High",
    "S-1-16-16384": "System",
    "S-1-16-20480": "Protected",
}


def _LocalName(tag):
    """Returns an XML tag without its namespace."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def _HexToDecimal(value):
    """Returns a "0x1f4" process identifier as "500", or the value unchanged."""
    if isinstance(value, str) and value[:2].lower() == "0x":
        try:
            return str(int(value, 16))
        except ValueError:
            pass
    return value


def _ParseXml(xml_string):
    """Parses an event XML string into a fields dict, or returns None."""
    if not isinstance(xml_string, str) or len(xml_string) > MAXIMUM_XML_SIZE:
        return None
    try:
        root = defused_etree.fromstring(xml_string, forbid_dtd=True)
    except (
        defused_etree.ParseError,
        ValueError,
        TypeError,
        _stdlib_etree.ParseError,
    ) as exception:
        del exception
        return None
    except Exception:  # pylint: disable=broad-except
        # defusedxml raises DTDForbidden / EntitiesForbidden / ExternalReferenceForbidden
        # (DefusedXmlException, a ValueError subclass) for hostile documents.
        return None

    fields = {}
    system = None
    event_data = None
    user_data = None
    for child in root:
        name = _LocalName(child.tag)
        if name == "System":
            system = child
        elif name == "EventData":
            event_data = child
        elif name == "UserData":
            user_data = child

    spaceless = []
    if event_data is not None:
        position = 0
        for element in event_data:
            name = _LocalName(element.tag)
            text = element.text or ""
            if name == "Data":
                position += 1
                data_name = element.get("Name") or f"param{position}"
                fields[data_name] = text
                if " " in data_name:
                    # Sigma names drop the spaces of EVTX Data names (Windows
                    # Defender's "Threat Name" is ThreatName in Sigma rules).
                    spaceless.append((data_name.replace(" ", ""), text))
            elif name == "Binary":
                fields["Binary"] = text

    for name, text in spaceless:
        fields.setdefault(name, text)

    if user_data is not None:
        # UserData holds one provider-specific element with named children.
        for container in user_data:
            for element in container:
                name = _LocalName(element.tag)
                if name and name not in fields:
                    fields[name] = element.text or ""

    if system is not None:
        # System values win over Data of the same name (e.g. 104's UserData Channel).
        for element in system:
            name = _LocalName(element.tag)
            if name == "Provider":
                fields["Provider_Name"] = element.get("Name") or ""
                guid = element.get("Guid")
                if guid:
                    fields["Provider_Guid"] = guid
                source = element.get("EventSourceName")
                if source:
                    fields["EventSourceName"] = source
            elif name == "EventID":
                fields["EventID"] = (element.text or "").strip()
                qualifiers = element.get("Qualifiers")
                if qualifiers:
                    fields["Qualifiers"] = qualifiers
            elif name == "TimeCreated":
                fields["SystemTime"] = element.get("SystemTime") or ""
            elif name == "Execution":
                fields["ExecutionProcessID"] = element.get("ProcessID") or ""
                fields["ExecutionThreadID"] = element.get("ThreadID") or ""
            elif name == "Security":
                user_id = element.get("UserID")
                if user_id:
                    fields["UserID"] = user_id
            elif name in (
                "Version",
                "Level",
                "Task",
                "Opcode",
                "Keywords",
                "EventRecordID",
                "Channel",
                "Computer",
            ):
                fields[name] = (element.text or "").strip()
    return fields


def _FieldsFromStrings(event_data):
    """Maps plaso's positional `strings` to names for known layouts."""
    fields = {}
    event_identifier = getattr(event_data, "event_identifier", None)
    source_name = getattr(event_data, "source_name", None) or ""
    provider = source_name.lower()
    channel = _PROVIDER_EVENT_CHANNELS.get((provider, event_identifier)) or (
        _PROVIDER_CHANNELS.get(provider)
    )

    if source_name:
        fields["Provider_Name"] = source_name
    if event_identifier is not None:
        fields["EventID"] = str(event_identifier)
    if channel:
        fields["Channel"] = channel
    hostname = getattr(event_data, "hostname", None)
    if hostname:
        fields["Computer"] = hostname
    record_number = getattr(event_data, "record_number", None)
    if record_number is not None:
        fields["EventRecordID"] = str(record_number)

    strings = getattr(event_data, "strings", None)
    if not isinstance(strings, (list, tuple)):
        return fields
    if channel == "Security" and event_identifier == 4688:
        layout = _4688_LAYOUTS.get(len(strings))
    else:
        layout = _POSITIONAL_LAYOUTS.get((channel, event_identifier))
    if layout is None:
        layout = [f"param{index + 1}" for index in range(len(strings))]
    for name, value in zip(layout, strings):
        if name not in fields:
            fields[name] = "" if value is None else str(value)
    return fields


# Sigma process_creation name -> Security 4688 Data name: the field mapping of
# pySigma's windows-audit pipeline (tests/test_sigma_logsources.py checks it).
PROCESS_CREATION_ALIASES = {
    "Image": "NewProcessName",
    "ParentImage": "ParentProcessName",
    "LogonId": "SubjectLogonId",
}


def _AddProcessCreationAliases(fields):
    """Adds the Sigma process_creation names to a Security 4688 record."""
    for sigma_name, name in PROCESS_CREATION_ALIASES.items():
        if name in fields and sigma_name not in fields:
            fields[sigma_name] = fields[name]
    # 4688 "ProcessId" is the creator (parent); Sigma's ProcessId is the new one.
    creator = fields.get("ProcessId")
    if creator is not None:
        fields["CreatorProcessId"] = creator
        fields["ParentProcessId"] = _HexToDecimal(creator)
    if "NewProcessId" in fields:
        fields["ProcessId"] = _HexToDecimal(fields["NewProcessId"])
    user_name = fields.get("TargetUserName") or fields.get("SubjectUserName")
    if fields.get("TargetUserName") in ("-", ""):
        user_name = fields.get("SubjectUserName")
    if user_name:
        if user_name == fields.get("TargetUserName"):
            domain = fields.get("TargetDomainName")
        else:
            domain = fields.get("SubjectDomainName")
        fields.setdefault("User", f"{domain}\\{user_name}" if domain else user_name)
    label = fields.get("MandatoryLabel")
    if label:
        fields.setdefault("IntegrityLevel", _MANDATORY_LABELS.get(label.upper(), label))


class _FieldsCache:
    """Small cache: plaso gives each EVTX record to analysis twice or more."""

    def __init__(self, size=64):
        self._size = size
        self._entries = collections.OrderedDict()

    def Get(self, key):
        fields = self._entries.get(key)
        if fields is not None:
            self._entries.move_to_end(key)
        return fields

    def Put(self, key, fields):
        self._entries[key] = fields
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)


_CACHE = _FieldsCache()


def EvtxFields(event_data):
    """Returns the Sigma fields of a plaso windows:evtx:record event data.

    Args:
        event_data (EventData): plaso event data (attributes read with getattr).

    Returns:
        dict[str, str]: Sigma field name -> value. Includes EventID, Channel,
                Provider_Name, Computer, the System values, all EventData/UserData
                names and, for Security 4688, Image, ParentImage, CommandLine, User,
                ProcessId, ParentProcessId, IntegrityLevel. Empty when the xml_string
                is hostile or invalid. Callers must not modify the returned dict (it
                is cached).
    """
    xml_string = getattr(event_data, "xml_string", None)
    if xml_string:
        key = xml_string
    else:
        strings = getattr(event_data, "strings", None)
        key = (
            getattr(event_data, "source_name", None),
            getattr(event_data, "event_identifier", None),
            getattr(event_data, "record_number", None),
            tuple(strings) if isinstance(strings, (list, tuple)) else None,
        )
    try:
        fields = _CACHE.Get(key)
    except TypeError:
        fields, key = None, None
    if fields is not None:
        return fields

    if xml_string:
        fields = _ParseXml(xml_string)
        if fields is None:
            fields = {}
    else:
        fields = _FieldsFromStrings(event_data)

    if fields.get("EventID") == "4688" and fields.get("Channel") == "Security":
        _AddProcessCreationAliases(fields)

    if key is not None:
        _CACHE.Put(key, fields)
    return fields
