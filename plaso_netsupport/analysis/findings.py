"""The findings document (schema version 3): built once, read by every renderer.

The analysis decides once; this module turns its result into one JSON
document (see docs/findings-schema.md for every field) and stores it as the
text of plaso's analysis report: a readable summary, the line "JSON:", then
the JSON. Text, JSON, Markdown, HTML and the ATT&CK Navigator layer read only
this document (ParseReportText), never the events or the reason texts.
The entry of each installation is built in installation_entry.py.

Why an analysis report and not analysis result containers
(AnalysisMediator.ProduceAnalysisResult): plaso 20260720 merges only the
container types listed in AnalysisTaskMergeHelper._CONTAINER_TYPES
(multi_process/merge_helpers.py: event tags, reports, warnings and its two
browser result types) from the plugin's task store into the storage file, so
a container type of ours would be dropped at the merge (tried: a registered
container type produced in CompileReport left no table in the storage file);
pinfo and psort show only those two hard-coded result types. A report is merged, printed by psort
and pinfo, and read back with its text intact (other report attributes are
dropped on read, and a non-empty analysis_counter crashes pinfo).
"""

import json

from plaso_netsupport.analysis.evidence import FormatTime
from plaso_netsupport.analysis.installation_entry import InstallationEntry
from plaso_netsupport.render.common import SigmaOnlyLines

SCHEMA = "plaso_netsupport.findings"
SCHEMA_VERSION = 3
PLUGIN_NAME = "netsupport"
JSON_MARKER = "\nJSON:\n"

SUSPICIOUS = "suspicious"
SANCTIONED = "sanctioned"
ALLOWLISTED = "allowlisted"
WEAK = "weak"
NONE = "none"

# The overall verdict is the first of these that an installation has.
_VERDICT_ORDER = (SUSPICIOUS, SANCTIONED, ALLOWLISTED, WEAK)


def TechniqueOfLabel(label):
    """Maps "attack_t1543_003" back to "T1543.003"."""
    technique = label[len("attack_") :].upper()
    return technique.replace("_", ".", 1)


def OverallVerdict(installations, has_evidence):
    """Returns the verdict of the whole system."""
    verdicts = {entry["verdict"] for entry in installations}
    for verdict in _VERDICT_ORDER:
        if verdict in verdicts:
            return verdict
    return WEAK if has_evidence else NONE


def CoverageEntry(counter, targeted=None, extraction_warnings=None):
    """Returns the coverage section from a CoverageCounter."""
    sources = []
    missing = []
    for entry, events in counter.Sources():
        sources.append(
            {
                "source": entry["source"],
                "title": entry["title"],
                "present": events > 0,
                "events": events,
            }
        )
        if not events:
            missing.append(
                {"source": entry["source"], "consequence": entry["consequence"]}
            )
    return {
        "events_examined": counter.events_examined,
        "first_event": FormatTime(counter.first_timestamp),
        "last_event": FormatTime(counter.last_timestamp),
        "targeted": targeted,
        "sources": sources,
        "missing": missing,
        "extraction_warnings": extraction_warnings,
    }


def BuildDocument(
    installations,
    evidence,
    coverage,
    label_counts,
    technique_counts,
    sigma_rules,
    notes,
    tool_version,
    sigma_only_events=0,
):
    """Builds the findings document.

    Args:
      installations (list[dict]): InstallationEntry() results, in folder order.
      evidence (EvidenceList): numbered evidence records.
      coverage (dict): CoverageEntry() result.
      label_counts (Counter): tagged events per label.
      technique_counts (Counter): tagged events per technique.
      sigma_rules (list[dict]): per matched rule: id, title, level, label,
          events, sigma_only_events, examples, filter (sigma_summary.py).
      notes (Iterable[str]): rule problems, expired allowlist entries, ...
      tool_version (str): plaso-netsupport version.
      sigma_only_events (Optional[int]): events tagged by Sigma rules
          outside NetSupport alone (not in the evidence list).

    Returns:
      dict: JSON-serialisable document.
    """
    evidence_entries = evidence.ToList()
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "plugin": PLUGIN_NAME,
        "tool_version": tool_version,
        "verdict": OverallVerdict(installations, bool(evidence_entries)),
        "coverage": coverage,
        "installations": installations,
        "evidence": evidence_entries,
        "sigma_only_events": sigma_only_events,
        "labels": dict(sorted(label_counts.items())),
        "techniques": dict(sorted(technique_counts.items())),
        "sigma_rules": sorted(
            sigma_rules, key=lambda rule: (rule["id"] or "", rule["title"] or "")
        ),
        "notes": sorted(set(notes)),
    }


def _CoverageLines(coverage):
    lines = [
        f"Coverage: {coverage['events_examined']:d} events examined"
        + (
            f" ({coverage['first_event']} .. {coverage['last_event']})"
            if coverage["first_event"]
            else ""
        ),
    ]
    if coverage.get("targeted"):
        lines.append("  targeted extraction (NetSupport triage artifacts only)")
    warnings = coverage.get("extraction_warnings")
    lines.append(
        "  extraction warnings: " + ("unknown" if warnings is None else f"{warnings:d}")
    )
    for source in coverage["sources"]:
        mark = "x" if source["present"] else " "
        lines.append(f"  [{mark}] {source['title']}: {source['events']:d} events")
    for entry in coverage["missing"]:
        lines.append(f"  missing: {entry['consequence']}")
    return lines


def _InstallationLines(entry, evidence_by_id):
    activity = entry["activity"]
    lines = [
        "",
        f"{entry['id']} [{entry['verdict'].upper()}] {entry['folder']}"
        f" (score {entry['score']:d})",
        f"  activity: {activity['first']} .. {activity['last']}"
        f" ({activity['events']:d} events)",
    ]
    if activity["preserved_first"]:
        lines.append(
            f"  archive/compile times: {activity['preserved_first']} .. "
            f"{activity['preserved_last']}"
        )
    for binary in entry["binaries"]:
        lines.append(f"  binary: {binary['path']} ({binary['identity']})")
    if entry["gateways"]:
        key = "yes" if entry["gateway_security_key"] else "no"
        lines.append(
            "  gateways: "
            + ", ".join(
                f"{gateway['address']} ({gateway['role']})"
                for gateway in entry["gateways"]
            )
            + f" (security key: {key})"
        )
    for licence in entry["licences"]:
        lines.append(f"  licence: {licence['licensee']} serial {licence['serial_no']}")
    if entry["services"]:
        lines.append("  services: " + ", ".join(entry["services"]))
    for persistence in entry["persistence"]:
        value = f" = {persistence['value']}" if persistence["value"] else ""
        lines.append(f"  persistence: {persistence['where']}{value}")
    if entry["executions"]:
        first, last = entry["executions"][0], entry["executions"][-1]
        lines.append(
            f"  executions: {len(entry['executions']):d} "
            f"(first {first['time']}, last {last['time']})"
        )
    if entry["parent_processes"]:
        lines.append("  started by: " + ", ".join(entry["parent_processes"]))
    if entry["allowlist"]:
        lines.append(f"  allowlisted: {entry['allowlist']['reason']}")
    for finding in entry["findings"]:
        weight = f" +{finding['weight']:d}" if finding["weight"] else ""
        references = ", ".join(finding["evidence"][:5])
        if len(finding["evidence"]) > 5:
            references += f", ... ({len(finding['evidence']):d})"
        lines.append(
            f"  - [{finding['direction']}{weight}] {finding['text']}"
            + (f" [{references}]" if references else "")
        )
    return lines


def RenderText(document, technique_names):
    """Renders the document as the readable part of the stored report text.

    Args:
      document (dict): the findings document.
      technique_names (dict[str, str]): ATT&CK technique names by identifier.

    Returns:
      str: report text: readable summary, JSON_MARKER, the JSON document.
    """
    installations = document["installations"]
    verdicts = [entry["verdict"] for entry in installations]
    lines = [
        f"NetSupport analysis report (findings schema {document['schema_version']:d})",
        "",
        f"Verdict: {document['verdict']}",
        (
            f"Installations: {len(installations):d} "
            f"(suspicious: {verdicts.count(SUSPICIOUS):d}, "
            f"sanctioned: {verdicts.count(SANCTIONED):d}, "
            f"allowlisted: {verdicts.count(ALLOWLISTED):d}, "
            f"weak: {verdicts.count(WEAK):d})"
        ),
        f"Evidence: {len(document['evidence']):d} tagged events",
    ]
    if document.get("sigma_only_events"):
        lines.append(
            f"Tagged by Sigma rules alone (not in the evidence): "
            f"{document['sigma_only_events']:d} events, see Sigma rules"
        )
    lines.append("")
    lines.extend(_CoverageLines(document["coverage"]))
    if not installations and not document["evidence"]:
        missing = len(document["coverage"]["missing"])
        lines.extend(
            [
                "",
                "No NetSupport traces found in the sources examined above"
                + (
                    f" ({missing:d} sources missing)."
                    if missing
                    else " (every source present)."
                ),
            ]
        )
    evidence_by_id = {entry["id"]: entry for entry in document["evidence"]}
    for entry in installations:
        lines.extend(_InstallationLines(entry, evidence_by_id))
    if document["techniques"]:
        lines.extend(["", "ATT&CK techniques (tagged events):"])
        for technique, count in document["techniques"].items():
            name = technique_names.get(technique, "")
            lines.append(f"  {technique} {name}: {count:d}")
    if document["sigma_rules"]:
        lines.extend(["", "Sigma rules (matched events):"])
        for rule in document["sigma_rules"]:
            lines.append(
                f"  {rule['title']} ({rule['id']}, {rule['level']}): "
                f"{rule['events']:d}"
            )
            # The stored text keeps the examples' full times.
            lines.extend(SigmaOnlyLines(rule, "    ", format_time=str))
    if document["labels"]:
        lines.extend(["", "Labels (tagged events, this analysis):"])
        for label, count in document["labels"].items():
            lines.append(f"  {label}: {count:d}")
    for note in document["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines) + JSON_MARKER + DumpDocument(document)


def DumpDocument(document):
    """Returns the document as JSON text, the same bytes for the same document."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False)


def ParseReportText(text):
    """Reads the JSON document back from a stored report text.

    Returns:
      dict: the document, or None when the text holds none.
    """
    if not text or JSON_MARKER not in text:
        return None
    try:
        document = json.loads(text.rpartition(JSON_MARKER)[2])
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def IsCurrent(document):
    """Determines if a parsed document has the schema this code writes."""
    return bool(document) and document.get("schema_version") == SCHEMA_VERSION


def ReplaceCoverageFacts(text, technique_names, **facts):
    """Returns a report text with coverage facts only storage knows filled in.

    psort's main process calls this (hooks.py) when it merges our report into
    the storage file: there the extraction warnings and sessions are known.
    """
    document = ParseReportText(text)
    if document is None or not IsCurrent(document):
        return text
    document["coverage"].update(facts)
    return RenderText(document, technique_names)


__all__ = [
    "BuildDocument",
    "CoverageEntry",
    "InstallationEntry",
    "JSON_MARKER",
    "ParseReportText",
    "RenderText",
    "SCHEMA_VERSION",
    "TechniqueOfLabel",
]
