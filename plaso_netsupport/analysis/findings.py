"""The findings document (schema version 2): built once, read by every renderer.

The analysis decides once; this module turns its result into one JSON
document (see docs/findings-schema.md for every field) and stores it as the
text of plaso's analysis report: a readable summary, the line "JSON:", then
the JSON. Text, JSON, Markdown, HTML and the ATT&CK Navigator layer read only
this document (ParseReportText), never the events or the reason texts.

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
from plaso_netsupport.analysis.evidence import WithDrive

SCHEMA = "plaso_netsupport.findings"
SCHEMA_VERSION = 2
PLUGIN_NAME = "netsupport"
JSON_MARKER = "\nJSON:\n"

SUSPICIOUS = "suspicious"
SANCTIONED = "sanctioned"
ALLOWLISTED = "allowlisted"
WEAK = "weak"
NONE = "none"

# The overall verdict is the first of these that an installation has.
_VERDICT_ORDER = (SUSPICIOUS, SANCTIONED, ALLOWLISTED, WEAK)
_DIRECTION_ORDER = {"suspicious": 0, "benign": 1, "info": 2}

# Until the correlator gives findings with codes (analysis/model.py), its
# reason texts are mapped to codes here: (text prefix, code, direction, weight).
_LEGACY_REASONS = (
    ("kit in a user-writable drop location", "drop_location", "suspicious", 3),
    ("kit outside Program Files", "outside_program_files", "suspicious", 3),
    ("client binary renamed", "renamed_client", "suspicious", 3),
    ("user-level persistence", "user_persistence", "suspicious", 3),
    ("started by a script or Office host", "script_parent", "suspicious", 3),
    ("licence of a known RAT campaign", "abused_licence", "suspicious", 3),
    ("licence serial of a known RAT campaign", "abused_licence", "suspicious", 3),
    ("stealth settings", "stealth_settings", "suspicious", 1),
    ("phones home to gateway", "foreign_gateway", "suspicious", 1),
    ("installed in a NetSupport program folder", "program_folder", "benign", 0),
    ("runs as service", "service", "benign", 0),
    ("allowlist entry expired", "allowlist_expired", "info", 0),
)


def _Get(value, name, default=None):
    """Reads an attribute of a model object or a key of a dict."""
    if isinstance(value, dict):
        return value.get(name, default)
    return getattr(value, name, default)


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


def _LegacyFindings(installation):
    findings = []
    for reason in _Get(installation, "reasons") or []:
        code, direction, weight = "reason", "info", 0
        for prefix, legacy_code, legacy_direction, legacy_weight in _LEGACY_REASONS:
            if reason.startswith(prefix):
                code, direction, weight = legacy_code, legacy_direction, legacy_weight
                break
        findings.append(
            {
                "code": code,
                "direction": direction,
                "weight": weight,
                "parameters": {},
                "text": reason,
                "evidence": [],
            }
        )
    return findings


def _Findings(installation, evidence):
    model_findings = _Get(installation, "findings")
    if model_findings is None:
        findings = _LegacyFindings(installation)
    else:
        findings = []
        for finding in model_findings:
            direction = _Get(finding, "direction") or "info"
            findings.append(
                {
                    "code": _Get(finding, "code"),
                    "direction": direction,
                    "weight": (
                        int(_Get(finding, "weight") or 0)
                        if direction == "suspicious"
                        else 0
                    ),
                    "parameters": dict(_Get(finding, "parameters") or {}),
                    "text": _Get(finding, "text") or "",
                    "evidence": evidence.IdentifiersOf(_Get(finding, "items")),
                }
            )
    findings.sort(
        key=lambda entry: (
            _DIRECTION_ORDER.get(entry["direction"], 3),
            -entry["weight"],
            entry["code"] or "",
            entry["text"],
        )
    )
    return findings


def _Allowlist(installation):
    entry = _Get(installation, "allowlist_entry")
    if entry:
        review_date = _Get(entry, "review_date")
        return {
            "entry": _Get(entry, "key") or _Get(entry, "entry"),
            "value": _Get(entry, "value"),
            "reason": _Get(entry, "reason"),
            "review_date": (
                review_date.isoformat()
                if hasattr(review_date, "isoformat")
                else review_date
            ),
        }
    reason = _Get(installation, "allowlist_reason")
    if reason:
        return {"entry": None, "value": None, "reason": reason, "review_date": None}
    return None


def _Time(value):
    """A model time: plaso timestamp (int) or already formatted text."""
    if value is None or isinstance(value, str):
        return value
    return FormatTime(value)


def _Activity(installation, number_of_events):
    first = _Get(installation, "activity_first")
    last = _Get(installation, "activity_last")
    if first is None and last is None:
        timestamps = [
            stamp for stamp in _Get(installation, "timestamps") or [] if stamp
        ]
        if timestamps:
            first, last = min(timestamps), max(timestamps)
    return {
        "first": _Time(first),
        "last": _Time(last),
        "events": number_of_events,
        "preserved_first": _Time(_Get(installation, "preserved_first")),
        "preserved_last": _Time(_Get(installation, "preserved_last")),
    }


def _Executions(installation, evidence):
    executions = []
    for execution in _Get(installation, "executions") or []:
        if isinstance(execution, tuple):
            # Legacy: (timestamp, description) per record, not per run.
            executions.append({"time": _Time(execution[0]), "evidence": []})
            continue
        time = _Get(execution, "time")
        if time is None:
            time = _Get(execution, "timestamp")
        executions.append(
            {
                "time": _Time(time),
                "evidence": evidence.IdentifiersOf(_Get(execution, "items")),
            }
        )
    executions.sort(key=lambda entry: (entry["time"] or "", entry["evidence"]))
    return executions


def _Binaries(installation, folder, evidence, items):
    binaries = []
    model_binaries = _Get(installation, "binaries")
    if model_binaries is not None:
        for binary in model_binaries:
            binaries.append(
                {
                    "path": _Get(binary, "path"),
                    "name": _Get(binary, "name"),
                    "identity": _Get(binary, "identity"),
                    "identity_evidence": sorted(
                        _Get(binary, "identity_evidence") or []
                    ),
                    "evidence": evidence.IdentifiersOf(_Get(binary, "items")),
                }
            )
    else:
        for identity, names in (
            ("client", _Get(installation, "client_names") or ()),
            ("renamed_client", _Get(installation, "renamed_names") or ()),
        ):
            for name in sorted(names):
                binaries.append(
                    {
                        "path": f"{folder}\\{name}",
                        "name": name,
                        "identity": identity,
                        "identity_evidence": [],
                        "evidence": evidence.IdentifiersOf(
                            [
                                item
                                for item in items
                                if item.name == name
                                and item.folder == installation.folder
                            ]
                        ),
                    }
                )
    binaries.sort(key=lambda entry: (entry["path"] or "", entry["identity"] or ""))
    return binaries


def _Persistence(installation, evidence):
    persistence = []
    entries = _Get(installation, "persistence_entries")
    if not entries:
        entries = _Get(installation, "persistence") or []
    for entry in entries:
        if isinstance(entry, str):
            kind = "startup_folder" if entry.startswith("Startup") else "run_key"
            persistence.append(
                {"kind": kind, "where": entry, "value": None, "evidence": []}
            )
            continue
        persistence.append(
            {
                "kind": _Get(entry, "kind"),
                "where": _Get(entry, "where"),
                "value": _Get(entry, "value"),
                "evidence": evidence.IdentifiersOf(_Get(entry, "items")),
            }
        )
    unique = {json.dumps(entry, sort_keys=True): entry for entry in persistence}
    return [unique[key] for key in sorted(unique)]


def _Gateways(installation):
    gateways = []
    roles = _Get(installation, "gateway_roles") or {}
    for index, gateway in enumerate(_Get(installation, "gateways") or []):
        if isinstance(gateway, str):
            role = roles.get(gateway) or ("primary" if index == 0 else "secondary")
            gateways.append({"address": gateway, "role": role})
        else:
            gateways.append(
                {"address": _Get(gateway, "address"), "role": _Get(gateway, "role")}
            )
    return gateways


def _Licences(installation):
    licences = []
    for licence in _Get(installation, "licences") or []:
        if isinstance(licence, tuple):
            licensee, serial = licence
        else:
            licensee, serial = _Get(licence, "licensee"), _Get(licence, "serial_no")
        licences.append({"licensee": licensee, "serial_no": serial})
    unique = {json.dumps(entry, sort_keys=True): entry for entry in licences}
    return [unique[key] for key in sorted(unique)]


def InstallationEntry(identifier, installation, evidence, items, techniques, events):
    """Returns the document entry of one installation.

    Args:
      identifier (str): "I1", "I2", ...
      installation (object): the correlator's installation.
      evidence (EvidenceList): numbered evidence records.
      items (list[Item]): the collector items.
      techniques (Counter): tagged events per technique of this installation.
      events (int): number of evidence records tied to the installation.
    """
    folder = _Get(installation, "folder_display") or installation.folder
    findings = _Findings(installation, evidence)
    score = _Get(installation, "score")
    if score is None:
        score = sum(
            entry["weight"] for entry in findings if entry["direction"] == "suspicious"
        )
    kit_files = _Get(installation, "kit_files")
    if isinstance(kit_files, dict):
        # Normalised path -> path as on the evidence.
        kit_files = list(kit_files.values())
    elif kit_files is None:
        kit_files = [f"{folder}\\{name}" for name in _Get(installation, "files") or ()]
    settings = _Get(installation, "settings")
    security_key = _Get(installation, "gateway_security_key")
    if security_key is None:
        security_key = bool(_Get(installation, "security_key"))
    return {
        "id": identifier,
        "folder": folder,
        "verdict": installation.verdict,
        "score": score,
        "findings": findings,
        "allowlist": _Allowlist(installation),
        "activity": _Activity(installation, events),
        "executions": _Executions(installation, evidence),
        "binaries": _Binaries(installation, folder, evidence, items),
        "kit_files": sorted(WithDrive(path) for path in kit_files),
        "gateways": _Gateways(installation),
        "gateway_security_key": bool(security_key),
        "settings": dict(sorted((settings or {}).items())),
        "licences": _Licences(installation),
        "services": sorted(str(name) for name in _Get(installation, "services") or ()),
        "persistence": _Persistence(installation, evidence),
        "parent_processes": sorted(
            _Get(installation, "parent_paths") or _Get(installation, "parents") or ()
        ),
        "techniques": dict(sorted(techniques.items())),
    }


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
):
    """Builds the findings document.

    Args:
      installations (list[dict]): InstallationEntry() results, in folder order.
      evidence (EvidenceList): numbered evidence records.
      coverage (dict): CoverageEntry() result.
      label_counts (Counter): tagged events per label.
      technique_counts (Counter): tagged events per technique.
      sigma_rules (list[dict]): {id, title, level, events} per matched rule.
      notes (Iterable[str]): rule problems, expired allowlist entries, ...
      tool_version (str): plaso-netsupport version.

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
        "",
    ]
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
