"""Renders the netsupport analysis report as one self-contained HTML file.

Input: the report document (report.ParseReportText) and the NetSupport-tagged
events as psort json_line records. Output: one HTML page without external
resources and without JavaScript (inline CSS, an inline SVG chart drawn here),
under a strict Content-Security-Policy.

Everything that comes from the evidence -- folders, gateways, licensees, file
names, event messages, labels -- is hostile until proven otherwise: a
client32.ini is written by the operator. Every value goes through _E()
(html.escape with quote=True), in element text, attribute values and SVG
alike; the only URLs built are "#event-N" anchors from integers and ATT&CK
pages from technique IDs that match a strict pattern.
"""

import datetime
import html
import re

from plaso_netsupport.knowledge import Load as LoadKnowledge

ATTACK_URL = "https://attack.mitre.org/techniques/{0:s}/"
TECHNIQUE_PATTERN = re.compile(r"^T\d{4}(\.\d{3})?$")
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

# Chart lanes: (category, caption, colour), in display order.
CATEGORIES = (
    ("install", "Files / install", "#4e79a7"),
    ("configuration", "Configuration / licence", "#9c755f"),
    ("execution", "Execution", "#e15759"),
    ("service", "Services", "#b07aa1"),
    ("persistence", "Persistence", "#f28e2b"),
    ("deletion", "Deletion / log clearing", "#59a14f"),
    ("other", "Other", "#79706e"),
)
CATEGORY_CAPTIONS = {name: caption for name, caption, _ in CATEGORIES}
CATEGORY_COLOURS = {name: colour for name, _, colour in CATEGORIES}

_EXECUTION_DATA_TYPES = frozenset(
    [
        "windows:prefetch:execution",
        "windows:registry:amcache",
        "windows:registry:amcache:programs",
        "windows:registry:userassist",
        "windows:registry:bam",
        "windows:shimcache:entry",
    ]
)
_EXECUTION_EVENT_IDS = frozenset([4688, 1])  # Security process creation, Sysmon 1
_SKIPPED_ATTRIBUTES = frozenset(
    ["__container_type__", "__type__", "date_time", "pathspec", "tag"]
)
MAX_LINKS = 25
UNASSIGNED = ""


def _E(value):
    """Escapes any value for HTML element text and attribute values."""
    if value is None:
        return ""
    return html.escape(str(value), quote=True)


def TechniqueNames():
    """Returns {technique ID: name} from the knowledge file."""
    techniques = LoadKnowledge().data.get("techniques") or {}
    return {key: (value or {}).get("name", "") for key, value in techniques.items()}


def TechniqueUrl(technique):
    """Returns the ATT&CK page of a technique ID, or None if it is malformed."""
    if not TECHNIQUE_PATTERN.match(technique or ""):
        return None
    return ATTACK_URL.format(technique.replace(".", "/"))


def TimeString(timestamp):
    """Formats plaso microseconds since 1970 as ISO 8601 UTC."""
    try:
        moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(
            microseconds=int(timestamp or 0)
        )
    except (OverflowError, ValueError, TypeError):
        return "invalid"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def Labels(record):
    """Returns the labels of a json_line record ("tag" is an event_tag dict)."""
    tag = record.get("tag")
    if isinstance(tag, dict):
        labels = tag.get("labels") or []
    elif isinstance(tag, list):
        labels = tag
    else:
        labels = []
    return [str(label) for label in labels]


def _Strings(value, strings):
    if isinstance(value, str):
        strings.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _Strings(item, strings)
    elif isinstance(value, dict):
        for item in value.values():
            _Strings(item, strings)


def SearchText(record):
    """Lower-case text of a record's values, with "/" read as "\\"."""
    strings = []
    for key, value in record.items():
        if key not in _SKIPPED_ATTRIBUTES:
            _Strings(value, strings)
    return "\n".join(strings).lower().replace("/", "\\")


def Category(record, labels):
    """Classifies a tagged event for the chart, by its labels and data type."""
    label_set = set(labels)
    if label_set & {"attack_t1070_004", "attack_t1070_001"}:
        return "deletion"
    if any(label.startswith("attack_t1547") for label in labels):
        return "persistence"
    if any(label.startswith(("attack_t1543", "attack_t1569")) for label in labels):
        return "service"
    data_type = str(record.get("data_type") or "")
    if any(label.startswith(("attack_t1059", "attack_t1036")) for label in labels):
        return "execution"
    if data_type in _EXECUTION_DATA_TYPES:
        return "execution"
    if (
        data_type.startswith("windows:evtx")
        and record.get("event_identifier") in _EXECUTION_EVENT_IDS
    ):
        return "execution"
    if data_type.startswith("netsupport:") or "attack_t1573" in label_set:
        return "configuration"
    if data_type.startswith(("fs:", "pe_coff:", "windows:lnk", "windows:shell_item")):
        return "install"
    return "other"


def _ContainsPath(text, folder):
    """True if folder occurs in text as a whole path (not a prefix of a name)."""
    start = text.find(folder)
    while start >= 0:
        end = start + len(folder)
        if end == len(text) or not (text[end].isalnum() or text[end] in "_-. "):
            return True
        if text[end] == "\\":
            return True
        start = text.find(folder, start + 1)
    return False


def PrepareEvents(records, document):
    """Numbers, sorts and classifies the tagged events.

    Returns:
      list[dict]: events with index (1-based, the #event-N anchor), timestamp,
          time, timestamp_desc, labels, category, folder (installation folder
          or "" when the event names none), source, message, data_type,
          parser and text (for matching findings).
    """
    folders = sorted(
        (entry["folder"] for entry in document.get("installations") or []),
        key=len,
        reverse=True,
    )
    folder_names = {
        folder: str(folder).lower().replace("/", "\\").rstrip("\\").rsplit("\\", 1)[-1]
        for folder in folders
        if folder
    }
    events = []
    for record in records:
        labels = Labels(record)
        text = SearchText(record)
        folder = UNASSIGNED
        for candidate in folders:
            if candidate and _ContainsPath(text, str(candidate).lower()):
                folder = candidate
                break
        else:
            # As the analysis does: the kit folder's name (an archive named
            # after it, a script that builds the path from %APPDATA%), if it
            # points at one installation only.
            named = [
                candidate
                for candidate, name in folder_names.items()
                if len(name) >= 4 and name in text
            ]
            if len(named) == 1:
                folder = named[0]
        try:
            timestamp = int(record.get("timestamp") or 0)
        except (TypeError, ValueError):
            timestamp = 0
        events.append(
            {
                "timestamp": timestamp,
                "time": TimeString(timestamp),
                "timestamp_desc": str(record.get("timestamp_desc") or ""),
                "labels": labels,
                "category": Category(record, labels),
                "folder": folder,
                "source": str(record.get("display_name") or ""),
                "message": str(record.get("message") or ""),
                "data_type": str(record.get("data_type") or ""),
                "parser": str(record.get("parser") or ""),
                "text": text,
            }
        )
    events.sort(
        key=lambda event: (
            event["timestamp"],
            event["data_type"],
            event["source"],
            event["message"],
        )
    )
    for number, event in enumerate(events, start=1):
        event["index"] = number
    return events


# Findings and the events that support them.


def _Quoted(text):
    match = re.search(r"'([^']+)'", text)
    return match.group(1).lower() if match else None


def _Parenthesised(text):
    match = re.search(r"\(([^()]+)\)\s*$", text)
    return match.group(1).lower() if match else None


def _Select(events, folder=None, category=None, contains=None, data_type=None):
    selected = []
    for event in events:
        if folder is not None and event["folder"] != folder:
            continue
        if category is not None and event["category"] not in (
            (category,) if isinstance(category, str) else category
        ):
            continue
        if data_type is not None and not event["data_type"].startswith(data_type):
            continue
        if contains and contains.lower().replace("/", "\\") not in event["text"]:
            continue
        selected.append(event["index"])
    return selected


def _ReasonEvents(reason, folder, events):
    lower = reason.lower()
    mine = [event for event in events if event["folder"] == folder]
    if lower.startswith(("kit in ", "kit outside", "installed in a netsupport")):
        return _Select(mine, category="install") or [e["index"] for e in mine]
    if lower.startswith("client binary renamed to "):
        name = reason[len("client binary renamed to ") :]
        return _Select(events, contains=name)
    if lower.startswith("stealth settings"):
        return _Select(mine, data_type="netsupport:client32")
    if lower.startswith("phones home to gateway "):
        host = reason[len("phones home to gateway ") :].rsplit(":", 1)[0]
        return _Select(events, contains=host)
    if "persistence" in lower:
        return _Select(mine, category="persistence", contains=_Quoted(reason)) or (
            _Select(mine, category="persistence")
        )
    if lower.startswith("started by "):
        parent = _Parenthesised(reason)
        return _Select(mine, category=("execution", "other"), contains=parent) or (
            _Select(events, contains=parent)
        )
    if lower.startswith("licence"):
        token = _Parenthesised(reason)
        return _Select(mine, data_type="netsupport:nsm_lic", contains=token) or (
            _Select(events, contains=token)
        )
    if lower.startswith("runs as service"):
        return _Select(mine, category="service") or _Select(events, category="service")
    token = _Parenthesised(reason) or _Quoted(reason)
    if token:
        found = _Select(events, contains=token)
        if found:
            return found
    return [event["index"] for event in mine]


def _ExecutionEvents(execution, folder, events):
    what = str(execution.get("what") or "")
    name = what.replace("/", "\\").rsplit("\\", 1)[-1].rsplit(" ", 1)[-1].lower()
    time = str(execution.get("time") or "")[:19]
    candidates = [event for event in events if event["time"][:19] == time]
    return _Select(candidates, contains=name) or [e["index"] for e in candidates]


def Findings(entry, events):
    """Returns the findings of an installation: [(kind, text, [event index])]."""
    folder = entry["folder"]
    findings = []
    for reason in entry.get("reasons") or []:
        findings.append(("reason", reason, _ReasonEvents(reason, folder, events)))
    if entry.get("allowlist_reason"):
        findings.append(
            (
                "allowlisted",
                entry["allowlist_reason"],
                [event["index"] for event in events if event["folder"] == folder],
            )
        )
    for gateway in entry.get("gateways") or []:
        host = str(gateway).rsplit(":", 1)[0]
        findings.append(("gateway", gateway, _Select(events, contains=host)))
    for licence in entry.get("licences") or []:
        licensee = licence.get("licensee")
        text = f"{licensee} (serial {licence.get('serial_no')})"
        findings.append(
            (
                "licence",
                text,
                _Select(events, data_type="netsupport:nsm_lic", contains=licensee),
            )
        )
    for service in entry.get("services") or []:
        findings.append(("service", service, _Select(events, contains=service)))
    for persistence in entry.get("persistence") or []:
        findings.append(
            (
                "persistence",
                persistence,
                _Select(events, category="persistence", contains=_Quoted(persistence))
                or _Select(events, folder=folder, category="persistence"),
            )
        )
    for execution in entry.get("executions") or []:
        findings.append(
            (
                "execution",
                f"{execution.get('time')} {execution.get('what')}",
                _ExecutionEvents(execution, folder, events),
            )
        )
    return findings


def _EventLinks(indexes):
    indexes = sorted(set(indexes))
    if not indexes:
        return '<span class="none">no tagged event</span>'
    links = [
        f'<a href="#event-{index:d}">#{index:d}</a>' for index in indexes[:MAX_LINKS]
    ]
    if len(indexes) > MAX_LINKS:
        links.append(f"and {len(indexes) - MAX_LINKS:d} more")
    return '<span class="links">' + " ".join(links) + "</span>"


# The SVG chart.


def _NiceTicks(start, end, count=6):
    span = max(end - start, 1)
    return [start + span * step // count for step in range(count + 1)]


def _TickLabel(timestamp, span):
    text = TimeString(timestamp)
    day = 86400 * 1000000
    if span > 3 * 365 * day:
        return text[:7]
    if span > 3 * day:
        return text[:10]
    return text[5:16].replace("T", " ")


def RenderChart(events, groups, start, end, title, chart_id):
    """Renders an SVG timeline: one band per installation, one lane per category.

    Args:
      events (list[dict]): prepared events.
      groups (list[tuple[str, str]]): (folder, caption) per band.
      start, end (int): time range in microseconds.
      title (str): chart caption.
      chart_id (str): id attribute of the svg element (not from evidence).
    """
    lanes = [
        name
        for name, _, _ in CATEGORIES
        if any(event["category"] == name for event in events)
    ] or ["install"]
    left, right, top, lane_height, band_gap = 200, 30, 40, 22, 34
    width = 1180
    plot_width = width - left - right
    band_height = band_gap + lane_height * len(lanes)
    height = top + band_height * len(groups) + 40
    span = max(end - start, 1)

    def X(timestamp):
        fraction = (min(max(timestamp, start), end) - start) / span
        return left + fraction * plot_width

    parts = [
        f'<svg id="{_E(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width:d}" height="{height:d}" viewBox="0 0 {width:d} {height:d}" '
        f'role="img" aria-label="{_E(title)}">',
        f"<title>{_E(title)}</title>",
        f'<text x="{left:d}" y="18" class="chart-title">{_E(title)}</text>',
    ]
    axis_y = height - 30
    for tick in _NiceTicks(start, end):
        x = X(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6:d}" x2="{x:.1f}" y2="{axis_y:d}" '
            f'class="grid"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 16:d}" text-anchor="middle" '
            f'class="tick">{_E(_TickLabel(tick, span))}</text>'
        )
    for band, (folder, caption) in enumerate(groups):
        band_top = top + band * band_height
        parts.append(
            f'<text x="6" y="{band_top + 14:d}" class="band-title">{_E(caption)}</text>'
        )
        for lane_number, lane in enumerate(lanes):
            y = band_top + band_gap - 8 + lane_number * lane_height
            parts.append(
                f'<rect x="{left:d}" y="{y - lane_height // 2 + 2:d}" '
                f'width="{plot_width:d}" height="{lane_height - 4:d}" class="lane"/>'
            )
            parts.append(
                f'<text x="{left - 8:d}" y="{y + 4:d}" text-anchor="end" '
                f'class="lane-title">{_E(CATEGORY_CAPTIONS[lane])}</text>'
            )
            for event in events:
                if event["folder"] != folder or event["category"] != lane:
                    continue
                if not start <= event["timestamp"] <= end:
                    continue
                tooltip = (
                    f"#{event['index']:d} {event['time']} {event['timestamp_desc']}: "
                    f"{event['source']} {event['message'][:200]}"
                )
                parts.append(
                    f'<a href="#event-{event["index"]:d}">'
                    f'<circle cx="{X(event["timestamp"]):.1f}" cy="{y:d}" r="5" '
                    f'fill="{CATEGORY_COLOURS[lane]}" class="mark">'
                    f"<title>{_E(tooltip)}</title></circle></a>"
                )
    parts.append(
        f'<line x1="{left:d}" y1="{axis_y:d}" x2="{left + plot_width:d}" '
        f'y2="{axis_y:d}" class="axis"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _ChartGroups(document, events):
    groups = []
    for entry in document.get("installations") or []:
        caption = f"[{str(entry.get('verdict', '')).upper()}] {entry['folder']}"
        if len(caption) > 60:
            caption = caption[:28] + "…" + caption[-31:]
        groups.append((entry["folder"], caption))
    if any(event["folder"] == UNASSIGNED for event in events):
        groups.append((UNASSIGNED, "Not tied to one installation folder"))
    return groups


def Charts(document, events):
    """Returns the SVG charts: the whole span, and the activity window."""
    dated = [event for event in events if event["timestamp"] > 0]
    groups = _ChartGroups(document, events)
    if not dated or not groups:
        return '<p class="none">No dated NetSupport events to chart.</p>'
    start = min(event["timestamp"] for event in dated)
    end = max(event["timestamp"] for event in dated)
    charts = [
        RenderChart(
            dated, groups, start, end, "All tagged NetSupport events", "chart-all"
        )
    ]
    activity = [
        event
        for event in dated
        if event["category"] not in ("install", "configuration", "other")
    ]
    day = 86400 * 1000000
    if activity and end - start > 14 * day:
        window_start = min(event["timestamp"] for event in activity) - day
        window_end = max(event["timestamp"] for event in activity) + day
        if window_end - window_start < (end - start) / 2:
            charts.append(
                RenderChart(
                    dated,
                    groups,
                    window_start,
                    window_end,
                    f"Activity window {TimeString(window_start)[:10]} .. "
                    f"{TimeString(window_end)[:10]}",
                    "chart-activity",
                )
            )
    legend = " ".join(
        f'<span class="legend"><svg width="12" height="12" aria-hidden="true">'
        f'<circle cx="6" cy="6" r="5" fill="{colour}"/></svg> {_E(caption)}</span>'
        for _, caption, colour in CATEGORIES
    )
    return "\n".join(charts) + f'\n<p class="legend-row">{legend}</p>'


# The page.

_STYLE = """
body{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;margin:24px;
color:#1d1d1f;background:#fff;font-size:14px;line-height:1.4}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;
border-bottom:2px solid #ddd;padding-bottom:4px}h3{font-size:16px;margin:8px 0}
.meta{color:#555}.card{border:1px solid #ccc;border-radius:6px;padding:10px 14px;
margin:10px 0;background:#fafafa}.card.suspicious{border-left:8px solid #c62828}
.card.sanctioned{border-left:8px solid #2e7d32}.card.allowlisted{border-left:8px solid #1565c0}
.verdict{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;
font-weight:bold;font-size:12px;margin-right:8px}.verdict.suspicious{background:#c62828}
.verdict.sanctioned{background:#2e7d32}.verdict.allowlisted{background:#1565c0}
.verdict.other{background:#555}code,.mono{font-family:"DejaVu Sans Mono",monospace;
font-size:12.5px;word-break:break-all}dl{display:grid;grid-template-columns:170px 1fr;
gap:2px 12px;margin:6px 0}dt{color:#555}dd{margin:0}ul.findings{margin:4px 0;
padding-left:20px}ul.findings li{margin:3px 0}.kind{font-size:11px;color:#fff;
background:#777;border-radius:3px;padding:0 4px;margin-right:4px}
.links a{margin-right:4px}.none{color:#888}table{border-collapse:collapse;width:100%;
margin:6px 0}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;
vertical-align:top}th{background:#f0f0f0}td.msg{word-break:break-word;
font-size:12.5px}tr:target{background:#fff3b0}svg.chart{display:block;
max-width:100%;height:auto;margin:8px 0;border:1px solid #e3e3e3;background:#fff}
svg .grid{stroke:#e6e6e6}svg .axis{stroke:#444}svg .lane{fill:#f6f6f6}
svg .tick,svg .lane-title{font-size:11px;fill:#444}
svg .band-title{font-size:12.5px;font-weight:bold;fill:#222}
svg .chart-title{font-size:13px;fill:#222}svg .mark{stroke:#fff;stroke-width:1}
.legend{margin-right:14px;white-space:nowrap}
"""


def _VerdictClass(verdict):
    return (
        verdict if verdict in ("suspicious", "sanctioned", "allowlisted") else "other"
    )


def _Installation(number, entry, events):
    verdict = str(entry.get("verdict") or "unknown")
    css = _VerdictClass(verdict)
    rows = [
        ("Activity", f"{entry.get('first_activity')} .. {entry.get('last_activity')}"),
        ("Events", entry.get("events")),
    ]
    clients = list(entry.get("client_names") or []) + [
        f"{name} (renamed)" for name in entry.get("renamed_client_names") or []
    ]
    if clients:
        rows.append(("Client", ", ".join(clients)))
    if entry.get("gateways"):
        key = "yes" if entry.get("gateway_security_key") else "no"
        rows.append(
            ("Gateways", ", ".join(entry["gateways"]) + f" (security key: {key})")
        )
    if entry.get("stealth_settings"):
        rows.append(("Stealth settings", ", ".join(entry["stealth_settings"])))
    for licence in entry.get("licences") or []:
        rows.append(
            ("Licence", f"{licence.get('licensee')} serial {licence.get('serial_no')}")
        )
    if entry.get("services"):
        rows.append(("Services", ", ".join(entry["services"])))
    for persistence in entry.get("persistence") or []:
        rows.append(("Persistence", persistence))
    if entry.get("parent_processes"):
        rows.append(("Started by", ", ".join(entry["parent_processes"])))
    if entry.get("kit_files"):
        rows.append(("Kit files", ", ".join(entry["kit_files"])))
    if entry.get("allowlist_reason"):
        rows.append(("Allowlisted", entry["allowlist_reason"]))
    details = "".join(
        f"<dt>{_E(name)}</dt><dd>{_E(value)}</dd>" for name, value in rows
    )
    findings = "".join(
        f'<li><span class="kind">{_E(kind)}</span>{_E(text)} '
        f"{_EventLinks(indexes)}</li>"
        for kind, text, indexes in Findings(entry, events)
    )
    return (
        f'<div class="card {css}" id="installation-{number:d}">'
        f'<h3><span class="verdict {css}">{_E(verdict.upper())}</span>'
        f'<code>{_E(entry["folder"])}</code></h3>'
        f"<dl>{details}</dl>"
        f"<h4>Findings and supporting events</h4>"
        f'<ul class="findings">{findings or "<li class=none>none</li>"}</ul></div>'
    )


def _Gateways(document, events):
    rows = []
    for number, entry in enumerate(document.get("installations") or [], start=1):
        for gateway in entry.get("gateways") or []:
            host = str(gateway).rsplit(":", 1)[0]
            key = "yes" if entry.get("gateway_security_key") else "no"
            rows.append(
                f'<tr><td><code class="gateway">{_E(gateway)}</code></td>'
                f'<td><a href="#installation-{number:d}">{_E(entry["folder"])}</a></td>'
                f"<td>{_E(key)}</td><td>{_EventLinks(_Select(events, contains=host))}</td></tr>"
            )
    if not rows:
        return '<p class="none">No gateway configured in any NetSupport configuration found.</p>'
    return (
        "<table><tr><th>Gateway</th><th>Installation</th><th>Security key</th>"
        "<th>Supporting events</th></tr>" + "".join(rows) + "</table>"
    )


def _Techniques(document, events, technique_names):
    rows = []
    for technique, count in (document.get("techniques") or {}).items():
        labels = {f"attack_{str(technique).lower().replace('.', '_')}"}
        indexes = [event["index"] for event in events if labels & set(event["labels"])]
        url = TechniqueUrl(str(technique))
        cell = (
            f'<a href="{_E(url)}" rel="noreferrer">{_E(technique)}</a>'
            if url
            else _E(technique)
        )
        rows.append(
            f"<tr><td>{cell}</td><td>{_E(technique_names.get(technique, ''))}</td>"
            f"<td>{_E(count)}</td><td>{_EventLinks(indexes)}</td></tr>"
        )
    if not rows:
        return '<p class="none">No ATT&amp;CK technique tagged.</p>'
    return (
        "<table><tr><th>Technique</th><th>Name</th><th>Tagged events</th>"
        "<th>Supporting events</th></tr>" + "".join(rows) + "</table>"
    )


def _SigmaRules(document, events):
    rows = []
    for rule, count in (document.get("sigma_rules") or {}).items():
        match = re.search(r"\(([0-9a-fA-F-]{36})\)\s*$", str(rule))
        indexes = []
        if match:
            label = "sigma_" + match.group(1).lower().replace("-", "_")
            indexes = [event["index"] for event in events if label in event["labels"]]
        rows.append(
            f"<tr><td>{_E(rule)}</td><td>{_E(count)}</td><td>{_EventLinks(indexes)}</td></tr>"
        )
    if not rows:
        return '<p class="none">No Sigma rule matched.</p>'
    return (
        "<table><tr><th>Rule</th><th>Matched events</th><th>Supporting events</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _Events(events, folder_numbers):
    rows = []
    for event in events:
        number = folder_numbers.get(event["folder"])
        installation = (
            f'<a href="#installation-{number:d}">{number:d}</a>' if number else "-"
        )
        rows.append(
            f'<tr id="event-{event["index"]:d}"><td>{event["index"]:d}</td>'
            f'<td class="mono">{_E(event["time"])}</td><td>{_E(event["timestamp_desc"])}</td>'
            f'<td>{_E(CATEGORY_CAPTIONS.get(event["category"], event["category"]))}</td>'
            f"<td>{installation}</td>"
            f'<td class="mono">{_E(event["data_type"])}<br>{_E(event["parser"])}</td>'
            f'<td class="msg"><span class="mono">{_E(event["source"])}</span><br>'
            f'{_E(event["message"])}</td><td class="mono">{_E(" ".join(event["labels"]))}</td></tr>'
        )
    if not rows:
        return '<p class="none">No tagged events.</p>'
    return (
        "<table class=events><tr><th>#</th><th>Time (UTC)</th><th>Description</th>"
        "<th>Category</th><th>Inst.</th><th>Data type / parser</th>"
        "<th>Source / message</th><th>Labels</th></tr>" + "".join(rows) + "</table>"
    )


def Render(document, records, source="", generated=None, technique_names=None):
    """Renders the HTML report.

    Args:
      document (dict): report document (report.ParseReportText).
      records (list[dict]): the NetSupport-tagged events, psort json_line records.
      source (str): what was examined (shown, escaped).
      generated (datetime.datetime): generation time, UTC; now if None.
      technique_names (dict[str, str]): ATT&CK names; from the knowledge file
          if None.

    Returns:
      str: the HTML document.
    """
    from plaso_netsupport import __version__  # pylint: disable=import-outside-toplevel

    technique_names = TechniqueNames() if technique_names is None else technique_names
    generated = generated or datetime.datetime.now(datetime.timezone.utc)
    events = PrepareEvents(records, document)
    installations = document.get("installations") or []
    folder_numbers = {
        entry["folder"]: number for number, entry in enumerate(installations, start=1)
    }
    verdicts = [entry.get("verdict") for entry in installations]
    summary = (
        f"{len(installations):d} installation(s): "
        f"{verdicts.count('suspicious'):d} suspicious, "
        f"{verdicts.count('sanctioned'):d} sanctioned, "
        f"{verdicts.count('allowlisted'):d} allowlisted; "
        f"{len(events):d} tagged events"
    )
    notes = "".join(f"<li>{_E(note)}</li>" for note in document.get("notes") or [])
    body = [
        "<h1>NetSupport analysis report</h1>",
        f'<p class="meta">Source: <code>{_E(source)}</code><br>'
        f"Generated {_E(generated.strftime('%Y-%m-%d %H:%M:%S UTC'))} by "
        f"plaso-netsupport {_E(__version__)}<br>{_E(summary)}</p>",
        "<h2 id=installations>Installations</h2>",
    ]
    if not installations:
        body.append('<p class="none">No NetSupport installation found.</p>')
    for number, entry in enumerate(installations, start=1):
        body.append(_Installation(number, entry, events))
    body += [
        "<h2 id=timeline>Timeline of NetSupport activity</h2>",
        Charts(document, events),
        "<h2 id=gateways>Gateways</h2>",
        _Gateways(document, events),
        "<h2 id=techniques>ATT&amp;CK techniques</h2>",
        _Techniques(document, events, technique_names),
        "<h2 id=sigma>Sigma rules</h2>",
        _SigmaRules(document, events),
    ]
    if notes:
        body += ["<h2 id=notes>Notes</h2>", f"<ul>{notes}</ul>"]
    body += ["<h2 id=events>Tagged events</h2>", _Events(events, folder_numbers)]
    return (
        "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        "<title>NetSupport analysis report</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
