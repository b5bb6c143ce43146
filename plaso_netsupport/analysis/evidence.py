"""Evidence records: one per tagged event, the rows every report links to.

An evidence record is what an examiner needs to find the event again and
to see at a glance what it shows: its time and timestamp description, data
type, coverage source, a short summary with the key fields of its kind, its
labels and the installation it ties to. Records are numbered E1, E2, ... in
time order (ties broken by data type, summary and plaso event identifier), so
two analyses of the same storage number them the same.
"""

import datetime

# A 4104 script block is shown by its first characters only.
SCRIPT_SUMMARY_LENGTH = 200
# No summary is longer than this (an EVTX field can hold 32 KiB).
MAXIMUM_SUMMARY_LENGTH = 400

_EPOCH = datetime.datetime(1970, 1, 1)


def FormatTime(timestamp):
    """Returns a plaso timestamp (microseconds) as ISO 8601 UTC, or None."""
    if not timestamp:
        return None
    try:
        moment = _EPOCH + datetime.timedelta(microseconds=int(timestamp))
    except (OverflowError, TypeError, ValueError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def WithDrive(path):
    """Returns a volume-relative path with the system volume's drive letter.

    As the correlator shows installation folders: a path without a drive is
    shown on C: ("\\Users\\..." -> "C:\\Users\\..."); "\\?\\name" (a file
    whose folder is unknown) stays as it is.
    """
    if path and path.startswith("\\") and not path.startswith("\\?"):
        return "C:" + path
    return path


def DisplayPath(item):
    """Returns the path of an item as shown on the evidence, if known.

    The collector keeps a normalised path; when it also keeps the path as
    found (original case, drive letter), that one is shown.
    """
    for name in ("display_path", "original_path"):
        value = getattr(item, name, None)
        if value:
            return WithDrive(value)
    return WithDrive(item.path)


def _Shorten(text, length=MAXIMUM_SUMMARY_LENGTH):
    text = " ".join(str(text).split())
    if len(text) > length:
        return text[: length - 1] + "\u2026"
    return text


def _Join(*parts):
    return ", ".join(part for part in parts if part)


def _Field(values, *names):
    for name in names:
        value = values.get(name)
        if value not in (None, ""):
            return str(value)
    return ""


def _ProcessSummary(item, values):
    return _Join(
        f"new process {_Field(values, 'NewProcessName', 'Image') or DisplayPath(item)}",
        (
            f"parent {_Field(values, 'ParentProcessName', 'ParentImage')}"
            if _Field(values, "ParentProcessName", "ParentImage")
            else ""
        ),
        (
            f"command line {_Field(values, 'CommandLine')}"
            if _Field(values, "CommandLine")
            else ""
        ),
    )


def _ServiceInstallSummary(item, values):
    image = _Field(values, "ImagePath", "ServiceFileName") or DisplayPath(item)
    return _Join(
        f"service {_Field(values, 'ServiceName')}",
        f"image path {image}" if image else "",
    )


def _RegistryValue(key_path, name, data):
    return f"{key_path}\\{name} = {data}" if name else f"{key_path} = {data}"


def Summary(item):
    """Returns the short text of an evidence item with its key fields."""
    role = item.role
    values = item.values or {}
    path = DisplayPath(item)
    if role == "process":
        text = _ProcessSummary(item, values)
    elif role == "service_install":
        text = _ServiceInstallSummary(item, values)
    elif role == "service":
        text = _Join(
            f"service {values.get('service_name') or ''}".strip(),
            str(values.get("key_path") or ""),
            f"image path {path}" if path else "",
        )
    elif role == "service_control":
        text = _Join(
            f"service {_Field(values, 'param1', 'key_name')}",
            _Field(values, "param2"),
        )
    elif role == "script_block":
        text = "script block: " + str(values.get("text") or "")[:SCRIPT_SUMMARY_LENGTH]
    elif role == "run":
        text = "; ".join(
            _RegistryValue(values.get("key_path") or "", name, WithDrive(executable))
            for name, executable in values.get("entries") or []
        )
    elif role == "registry":
        text = _Join(
            str(values.get("key_path") or ""),
            (
                f"install directory {values['install_directory']}"
                if values.get("install_directory")
                else ""
            ),
            f"product {values['product']}" if values.get("product") else "",
            f"gateway {values['gateway']}" if values.get("gateway") else "",
        )
    elif role == "lnk":
        text = f"{path} -> {values.get('target') or ''}"
    elif role == "config":
        gateway = values.get("gateway")
        if gateway and values.get("gateway_port"):
            gateway = f"{gateway}:{values['gateway_port']}"
        text = _Join(path, f"gateway {gateway}" if gateway else "")
    elif role == "licence":
        text = _Join(
            path,
            f"licensee {values['licensee']}" if values.get("licensee") else "",
            f"serial {values['serial_no']}" if values.get("serial_no") else "",
        )
    elif role == "prefetch":
        text = _Join(
            f"prefetch {str(values.get('executable') or '').upper()}",
            path if not path.startswith("\\?\\") else "",
        )
    elif role == "usn":
        text = _Join(
            path or str(values.get("file_name") or ""),
            "deleted" if values.get("deleted") else "",
        )
    elif role == "privileges":
        text = f"special privileges assigned to logon {values.get('logon_id') or ''}"
    elif role == "log_cleared":
        text = _Join("event log cleared", _Field(values, "Channel"))
    elif role == "sigma":
        text = _Join(f"event {_Field(values, 'EventID')}", _Field(values, "Channel"))
    else:
        text = _Join(
            path,
            "deleted" if values.get("deleted") else "",
            f"stream {values['stream']}" if values.get("stream") else "",
        )
    return _Shorten(text or item.description or item.data_type)


class EvidenceRecord:
    """One tagged event of the findings document."""

    __slots__ = (
        "identifier",
        "event_identifier",
        "timestamp",
        "timestamp_desc",
        "data_type",
        "source",
        "summary",
        "labels",
        "installation",
    )

    def __init__(
        self,
        event_identifier,
        timestamp,
        timestamp_desc,
        data_type,
        source,
        summary,
        labels,
        installation,
    ):
        self.identifier = None
        self.event_identifier = event_identifier
        self.timestamp = timestamp
        self.timestamp_desc = timestamp_desc
        self.data_type = data_type
        self.source = source
        self.summary = summary
        self.labels = labels
        self.installation = installation

    def SortKey(self):
        """Returns the key of time order (deterministic for one storage)."""
        return (
            self.timestamp or 0,
            self.data_type,
            self.summary,
            str(self.event_identifier),
        )

    def ToDict(self):
        """Returns the record as its findings document entry."""
        return {
            "id": self.identifier,
            "time": FormatTime(self.timestamp),
            "timestamp_desc": self.timestamp_desc,
            "data_type": self.data_type,
            "source": self.source,
            "summary": self.summary,
            "labels": sorted(self.labels),
            "installation": self.installation,
        }


def _EventKey(event_identifier):
    copy = getattr(event_identifier, "CopyToString", None)
    return copy() if copy else str(event_identifier)


class EvidenceList:
    """The evidence records of an analysis, and the ids of each item's events."""

    def __init__(self):
        self._records = []
        self._item_records = {}

    def Add(self, item, source, labels, installation_identifier):
        """Adds one record per event of a tagged item."""
        summary = Summary(item)
        descriptions = list(getattr(item, "timestamp_descriptions", None) or [])
        records = []
        for index, event_identifier in enumerate(item.event_identifiers):
            timestamp = item.timestamps[index] if index < len(item.timestamps) else 0
            description = descriptions[index] if index < len(descriptions) else None
            record = EvidenceRecord(
                _EventKey(event_identifier),
                timestamp,
                description,
                item.data_type,
                source,
                summary,
                list(labels),
                installation_identifier,
            )
            records.append(record)
        self._records.extend(records)
        self._item_records.setdefault(id(item), []).extend(records)

    def Number(self):
        """Numbers the records E1, E2, ... in time order."""
        self._records.sort(key=EvidenceRecord.SortKey)
        for index, record in enumerate(self._records, start=1):
            record.identifier = f"E{index:d}"

    def IdentifiersOf(self, items):
        """Returns the evidence ids of the events of items, in time order."""
        records = []
        seen = set()
        for item in items or []:
            if id(item) in seen:
                continue
            seen.add(id(item))
            records.extend(self._item_records.get(id(item), []))
        records.sort(key=EvidenceRecord.SortKey)
        return [record.identifier for record in records]

    def Records(self):
        """Returns the records in time order."""
        return list(self._records)

    def ToList(self):
        """Returns the records as findings document entries."""
        return [record.ToDict() for record in self._records]
