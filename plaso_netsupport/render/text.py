"""The findings document as plain text for a terminal, and the compact timeline."""

from plaso_netsupport.render import common

_WIDTH = 100


def _Clip(text, width):
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _Coverage(document):
    coverage = document.get("coverage") or {}
    lines = ["Coverage", "  " + common.CoverageStatement(document)]
    for entry in coverage.get("sources") or []:
        mark = "yes" if entry.get("present") else "NO "
        lines.append(
            f"  [{mark}] {entry.get('title') or entry.get('source')}: "
            f"{int(entry.get('events') or 0):d} events"
        )
    for entry in coverage.get("missing") or []:
        lines.append(f"  missing: {entry.get('consequence') or entry.get('source')}")
    return lines


def _Installation(entry, titles):
    verdict = common.VERDICT_TITLES.get(entry.get("verdict"), entry.get("verdict"))
    activity = entry.get("activity") or {}
    lines = [
        "",
        f"{entry.get('id')} [{verdict}] {entry.get('folder')}  (score {entry.get('score', 0)})",
        f"  activity: {activity.get('first')} .. {activity.get('last')} "
        f"({int(activity.get('events') or 0):d} events)",
    ]
    if activity.get("preserved_first"):
        lines.append(
            f"  archive times (preserved by the kit, not activity here): "
            f"{activity.get('preserved_first')} .. {activity.get('preserved_last')}"
        )
    executions = entry.get("executions") or []
    if executions:
        lines.append(
            f"  executions: {len(executions):d} (first {executions[0].get('time')}, "
            f"last {executions[-1].get('time')})"
        )
    for binary in entry.get("binaries") or []:
        identity = common.IDENTITY_TITLES.get(
            binary.get("identity"), binary.get("identity")
        )
        lines.append(f"  binary: {binary.get('path')} ({identity})")
    if entry.get("gateways"):
        key = "yes" if entry.get("gateway_security_key") else "no"
        gateways = ", ".join(
            f"{gateway.get('address')} ({gateway.get('role')})"
            for gateway in entry["gateways"]
        )
        lines.append(f"  gateways: {gateways} (security key: {key})")
    if entry.get("settings"):
        settings = ", ".join(f"{k}={v}" for k, v in sorted(entry["settings"].items()))
        lines.append(f"  settings: {settings}")
    for licence in entry.get("licences") or []:
        lines.append(
            f"  licence: {licence.get('licensee')} serial {licence.get('serial_no')}"
        )
    if entry.get("services"):
        lines.append("  services: " + ", ".join(entry["services"]))
    for persistence in entry.get("persistence") or []:
        lines.append(f"  persistence: {common.PersistenceText(persistence)}")
    if entry.get("parent_processes"):
        lines.append("  started by: " + ", ".join(entry["parent_processes"]))
    allowlist = entry.get("allowlist")
    if allowlist:
        lines.append(
            f"  allowlisted: {allowlist.get('entry')} {allowlist.get('value')}: "
            f"{allowlist.get('reason')} (review by {allowlist.get('review_date')})"
        )
    for finding in entry.get("findings") or []:
        sign = {"suspicious": "+", "benign": "-"}.get(finding.get("direction"), " ")
        weight = f" (+{finding.get('weight')})" if finding.get("weight") else ""
        evidence = ", ".join(finding.get("evidence") or []) or "no evidence"
        lines.append(f"  {sign} {finding.get('text')}{weight} [{evidence}]")
    return lines


def Render(document, source=""):
    """Renders the findings document as text."""
    titles = common.ReasonTitles()
    names = common.TechniqueNames()
    lines = ["NetSupport analysis report"]
    if source:
        lines.append(f"Source: {source}")
    lines += ["", *_Coverage(document), "", common.Conclusion(document)]
    for entry in document.get("installations") or []:
        lines += _Installation(entry, titles)
    if document.get("techniques"):
        lines += ["", "ATT&CK techniques (tagged events):"]
        for technique, count in document["techniques"].items():
            lines.append(f"  {technique} {names.get(technique, '')}: {int(count):d}")
    if document.get("sigma_rules"):
        lines += ["", "Sigma rules (matched events):"]
        for rule in document["sigma_rules"]:
            lines.append(
                f"  [{rule.get('level')}] {rule.get('title')} ({rule.get('id')}): "
                f"{int(rule.get('events') or 0):d}"
            )
            for line in common.SigmaOnlyLines(rule, "    "):
                text = line.lstrip()
                indent = line[: len(line) - len(text)]
                lines.append(indent + _Clip(text, _WIDTH - len(indent)))
    for note in document.get("notes") or []:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


def ShortLabels(labels):
    """Labels for the compact timeline: without "netsupport" (every line has it),
    without a technique's parent next to its sub-technique, Sigma rule ids cut
    to 8 characters. The exact labels are in the report and the CSV/JSONL."""
    labels = [str(label) for label in labels if label != "netsupport"]
    parents = {label.rsplit("_", 1)[0] for label in labels if label.count("_") == 2}
    shown = []
    for label in labels:
        if label.startswith("attack_") and label in parents:
            continue
        if label.startswith("sigma_") and len(label) > 14:
            label = label[:14] + "…"
        shown.append(label)
    return shown


def _Runs(evidence):
    """Groups consecutive entries that differ only in their time description.

    plaso gives an event log record two events (creation and written time,
    usually the same second) and a file up to four: one line says it once.
    """
    runs = []
    for entry in evidence:
        key = (
            entry.get("time"),
            entry.get("data_type"),
            entry.get("summary"),
            entry.get("installation"),
            tuple(entry.get("labels") or []),
        )
        if runs and runs[-1][0] == key:
            runs[-1][1].append(entry)
        else:
            runs.append((key, [entry]))
    return [entries for _, entries in runs]


def RenderTimeline(document, width=_WIDTH):
    """The compact timeline: one line per tagged event, in time order.

    time, evidence id(s), installation, source, description; the summary;
    the labels (without the ever-present "netsupport"). Entries that differ
    only in their time description share a line.
    """
    lines = []
    titles = common.SourceTitles(document)
    for entries in _Runs(document.get("evidence") or []):
        first = entries[0]
        labels = ShortLabels(first.get("labels") or [])
        identifiers = ",".join(str(entry.get("id")) for entry in entries)
        descriptions = " + ".join(
            dict.fromkeys(str(entry.get("timestamp_desc") or "") for entry in entries)
        )
        source = titles.get(first.get("source"), first.get("source")) or "-"
        lines.append(
            f"{common.ShortTime(first.get('time'))}  {identifiers} "
            f"{first.get('installation') or '-'}  {_Clip(source, 30)}: "
            f"{_Clip(descriptions, 45)}"
        )
        lines.append(f"    {_Clip(first.get('summary') or '', width)}")
        if labels:
            lines.append(f"    [{' '.join(labels)}]")
    if not lines:
        lines.append(common.Conclusion(document))
    return "\n".join(lines) + "\n"
