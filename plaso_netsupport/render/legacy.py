"""TEMPORARY: reads a schema 1 report document as schema 2.

Only until the schema 2 producer (analysis/findings.py) is merged: the
smallest mapping so that the renderers, which read schema 2 only, work on
storage files analysed by the schema 1 plugin. No evidence list, no coverage
(schema 1 records neither); reasons become findings without a code.
"""

import re

_SIGMA = re.compile(r"^(?P<title>.*) \((?P<id>[0-9a-fA-F-]{36})\)\s*$")


def Upgrade(document):
    """Returns a schema 2 view of a schema 1 document."""
    installations = []
    for number, entry in enumerate(document.get("installations") or [], start=1):
        installations.append(
            {
                "id": f"I{number:d}",
                "folder": entry.get("folder"),
                "verdict": entry.get("verdict"),
                "score": 0,
                "findings": [
                    {
                        "code": "",
                        "direction": "info",
                        "weight": 0,
                        "parameters": {},
                        "text": reason,
                        "evidence": [],
                    }
                    for reason in entry.get("reasons") or []
                ],
                "allowlist": (
                    {"entry": "", "value": "", "reason": entry["allowlist_reason"]}
                    if entry.get("allowlist_reason")
                    else None
                ),
                "activity": {
                    "first": entry.get("first_activity"),
                    "last": entry.get("last_activity"),
                    "events": entry.get("events") or 0,
                    "preserved_first": None,
                    "preserved_last": None,
                },
                "executions": [
                    {"time": execution.get("time"), "evidence": []}
                    for execution in entry.get("executions") or []
                ],
                "binaries": [
                    {
                        "path": name,
                        "name": name,
                        "identity": "client",
                        "identity_evidence": [],
                        "evidence": [],
                    }
                    for name in entry.get("client_names") or []
                ]
                + [
                    {
                        "path": name,
                        "name": name,
                        "identity": "renamed_client",
                        "identity_evidence": [],
                        "evidence": [],
                    }
                    for name in entry.get("renamed_client_names") or []
                ],
                "kit_files": entry.get("kit_files") or [],
                "gateways": [
                    {
                        "address": gateway,
                        "role": "primary" if index == 0 else "secondary",
                    }
                    for index, gateway in enumerate(entry.get("gateways") or [])
                ],
                "gateway_security_key": bool(entry.get("gateway_security_key")),
                "settings": {
                    setting: "" for setting in entry.get("stealth_settings") or []
                },
                "licences": entry.get("licences") or [],
                "services": entry.get("services") or [],
                "persistence": [
                    {"kind": "", "where": text, "value": "", "evidence": []}
                    for text in entry.get("persistence") or []
                ],
                "parent_processes": entry.get("parent_processes") or [],
                "techniques": entry.get("techniques") or {},
            }
        )
    rules = []
    for rule, count in (document.get("sigma_rules") or {}).items():
        match = _SIGMA.match(str(rule))
        rules.append(
            {
                "id": match.group("id") if match else "",
                "title": match.group("title") if match else str(rule),
                "level": "",
                "events": count,
            }
        )
    verdicts = [entry["verdict"] for entry in installations]
    overall = next(
        (
            v
            for v in ("suspicious", "weak", "sanctioned", "allowlisted")
            if v in verdicts
        ),
        "none",
    )
    return {
        "schema": "plaso_netsupport.findings",
        "schema_version": 2,
        "plugin": "netsupport",
        "tool_version": None,
        "verdict": overall,
        "coverage": {
            "events_examined": None,
            "first_event": None,
            "last_event": None,
            "targeted": False,
            "sources": [],
            "missing": [],
            "extraction_warnings": None,
        },
        "installations": installations,
        "evidence": [],
        "labels": document.get("labels") or {},
        "techniques": document.get("techniques") or {},
        "sigma_rules": rules,
        "notes": document.get("notes") or [],
    }
