"""Writes the analysis report: readable text plus JSON a program reads back.

The report is stored as the text of plaso's analysis report, because plaso
drops any other report attribute when it reads a report back. The JSON part
follows the line "JSON:" and is read back with ParseReportText().
"""

import datetime
import json

from plaso_netsupport.knowledge import AttackLabels

JSON_MARKER = "\nJSON:\n"


def _Time(timestamp):
    if timestamp is None:
        return None
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(
        microseconds=int(timestamp)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def BuildDocument(correlator, label_counts, technique_counts, sigma_counts, problems):
    """Builds the report as a JSON-serialisable document."""
    installations = []
    for folder in sorted(correlator.installations):
        installation = correlator.installations[folder]
        timestamps = [stamp for stamp in installation.timestamps if stamp]
        executions = sorted(installation.executions)
        installations.append(
            {
                "folder": folder,
                "verdict": installation.verdict,
                "reasons": installation.reasons,
                "allowlist_reason": installation.allowlist_reason,
                "first_activity": _Time(min(timestamps)) if timestamps else None,
                "last_activity": _Time(max(timestamps)) if timestamps else None,
                "client_names": sorted(installation.client_names),
                "renamed_client_names": sorted(installation.renamed_names),
                "kit_files": sorted(installation.files),
                "gateways": installation.gateways,
                "gateway_security_key": installation.security_key,
                "stealth_settings": installation.stealth,
                "licences": [
                    {"licensee": licensee, "serial_no": serial}
                    for licensee, serial in installation.licences
                ],
                "services": sorted(installation.services),
                "persistence": sorted(set(installation.persistence)),
                "executions": [
                    {"time": _Time(stamp), "what": what} for stamp, what in executions
                ],
                "parent_processes": sorted(installation.parents),
                "events": installation.event_count,
                "techniques": dict(sorted(installation.techniques.items())),
            }
        )
    return {
        "plugin": "netsupport",
        "installations": installations,
        "labels": dict(sorted(label_counts.items())),
        "techniques": dict(sorted(technique_counts.items())),
        "sigma_rules": dict(sorted(sigma_counts.items())),
        "notes": sorted(set(problems)),
    }


def RenderText(document, technique_names):
    """Renders the report document as text for an examiner."""
    installations = document["installations"]
    verdicts = [entry["verdict"] for entry in installations]
    lines = [
        "NetSupport analysis report",
        "",
        (
            f"Installations: {len(installations):d} "
            f"(suspicious: {verdicts.count('suspicious'):d}, "
            f"sanctioned: {verdicts.count('sanctioned'):d}, "
            f"allowlisted: {verdicts.count('allowlisted'):d})"
        ),
    ]
    if not installations and not document["labels"]:
        lines.append("No NetSupport traces found.")
    for entry in installations:
        lines.extend(
            [
                "",
                f"[{entry['verdict'].upper()}] {entry['folder']}",
                f"  activity: {entry['first_activity']} .. {entry['last_activity']}"
                f" ({entry['events']:d} events)",
            ]
        )
        clients = entry["client_names"] + [
            f"{name} (renamed)" for name in entry["renamed_client_names"]
        ]
        if clients:
            lines.append("  client: " + ", ".join(clients))
        if entry["gateways"]:
            key = "yes" if entry["gateway_security_key"] else "no"
            lines.append(
                "  gateways: "
                + ", ".join(entry["gateways"])
                + f" (security key: {key})"
            )
        for licence in entry["licences"]:
            lines.append(
                f"  licence: {licence['licensee']} serial {licence['serial_no']}"
            )
        if entry["services"]:
            lines.append("  services: " + ", ".join(entry["services"]))
        for persistence in entry["persistence"]:
            lines.append(f"  persistence: {persistence}")
        if entry["executions"]:
            first, last = entry["executions"][0], entry["executions"][-1]
            lines.append(
                f"  executions: {len(entry['executions']):d} "
                f"(first {first['time']}, last {last['time']})"
            )
        if entry["parent_processes"]:
            lines.append("  started by: " + ", ".join(entry["parent_processes"]))
        if entry["allowlist_reason"]:
            lines.append(f"  allowlisted: {entry['allowlist_reason']}")
        for reason in entry["reasons"]:
            lines.append(f"  - {reason}")
    if document["techniques"]:
        lines.extend(["", "ATT&CK techniques (tagged events):"])
        for technique, count in document["techniques"].items():
            name = technique_names.get(technique, "")
            lines.append(f"  {technique} {name}: {count:d}")
    if document["sigma_rules"]:
        lines.extend(["", "Sigma rules (matched events):"])
        for rule, count in document["sigma_rules"].items():
            lines.append(f"  {rule}: {count:d}")
    if document["labels"]:
        lines.extend(["", "Labels (tagged events):"])
        for label, count in document["labels"].items():
            lines.append(f"  {label}: {count:d}")
    for note in document["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines) + JSON_MARKER + json.dumps(document, sort_keys=True)


def ParseReportText(text):
    """Reads the JSON document back from a stored report text."""
    if not text or JSON_MARKER not in text:
        return None
    return json.loads(text.rpartition(JSON_MARKER)[2])


def TechniqueOfLabel(label):
    """Maps "attack_t1543_003" back to "T1543.003"."""
    technique = label[len("attack_") :].upper()
    return technique.replace("_", ".", 1)


__all__ = ["AttackLabels", "BuildDocument", "ParseReportText", "RenderText"]
