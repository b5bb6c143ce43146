"""One installation of the findings document (see docs/findings-schema.md).

InstallationEntry() turns an installation of the correlator (model.py) into
its entry: findings with their evidence identifiers, allowlist entry,
activity window, runs, binaries, kit files, gateways, settings, licences,
services, persistence and parent processes, every list in a stable order so
that two analyses of the same storage give the same bytes. It also reads
dicts and the older model shapes (reason texts without codes, runs as
(timestamp, description) tuples, persistence as text), which the renderer
tests build by hand; findings.py assembles the whole document.
"""

import json

from plaso_netsupport.analysis.evidence import FormatTime
from plaso_netsupport.analysis.evidence import WithDrive

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
