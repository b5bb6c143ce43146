"""The findings document as one self-contained HTML page.

One HTML file without JavaScript and without external resources (inline CSS,
inline SVG charts computed here) under a strict Content-Security-Policy. The
page is the Jinja2 template templates/report.html.j2 with autoescaping on:
everything from the evidence -- folders, gateways, licensees, summaries,
labels -- is escaped by Jinja2; the only markup built here is the <wbr> the
`breakable` filter puts after path separators (so long paths wrap between
components, never inside a name). Links are "#evidence-E12" and
"#installation-I1" anchors for identifiers that match a strict pattern and
exist in the document, and ATT&CK pages for technique IDs that match one.
"""

import datetime
import functools
import os
import re

import jinja2
import markupsafe

from plaso_netsupport.render import chart as chart_module
from plaso_netsupport.render import common
from plaso_netsupport.render import navigator

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
MAX_LINKS = 25
_BREAK_AFTER = re.compile(r"(?<=[\\/,;=])")


def Breakable(value):
    """Escapes a value and lets it wrap after path separators only."""
    if value is None:
        return ""
    parts = _BREAK_AFTER.split(str(value))
    return markupsafe.Markup("<wbr>").join(markupsafe.escape(part) for part in parts)


@functools.lru_cache(maxsize=1)
def _Environment():
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    environment.filters["breakable"] = Breakable
    return environment


def _Rows(entry):
    activity = entry.get("activity") or {}
    rows = [
        (
            "Activity (on this system)",
            f"{activity.get('first')} .. {activity.get('last')} "
            f"({int(activity.get('events') or 0):d} events)",
        )
    ]
    if activity.get("preserved_first"):
        rows.append(
            (
                "Archive times (preserved)",
                f"{activity.get('preserved_first')} .. {activity.get('preserved_last')}",
            )
        )
    for binary in entry.get("binaries") or []:
        identity = common.IDENTITY_TITLES.get(
            binary.get("identity"), binary.get("identity")
        )
        how = ", ".join(binary.get("identity_evidence") or [])
        rows.append(
            ("Binary", f"{binary.get('path')} ({identity}{'; ' + how if how else ''})")
        )
    if entry.get("gateways"):
        key = "yes" if entry.get("gateway_security_key") else "no"
        rows.append(
            (
                "Gateways",
                ", ".join(
                    f"{gateway.get('address')} ({gateway.get('role')})"
                    for gateway in entry["gateways"]
                )
                + f"; security key: {key}",
            )
        )
    if entry.get("settings"):
        rows.append(
            (
                "Settings",
                ", ".join(f"{k}={v}" for k, v in sorted(entry["settings"].items())),
            )
        )
    for licence in entry.get("licences") or []:
        rows.append(
            ("Licence", f"{licence.get('licensee')} serial {licence.get('serial_no')}")
        )
    if entry.get("services"):
        rows.append(("Services", ", ".join(entry["services"])))
    for persistence in entry.get("persistence") or []:
        rows.append(
            (
                "Persistence",
                common.PersistenceText(persistence),
            )
        )
    if entry.get("parent_processes"):
        rows.append(("Started by", ", ".join(entry["parent_processes"])))
    if entry.get("kit_files"):
        rows.append(("Kit files", ", ".join(entry["kit_files"])))
    allowlist = entry.get("allowlist")
    if allowlist:
        rows.append(
            (
                "Allowlisted",
                f"{allowlist.get('entry')} {allowlist.get('value')}: "
                f"{allowlist.get('reason')} (review by {allowlist.get('review_date')})",
            )
        )
    return rows


def Render(document, source="", generated=None, version=None):
    """Renders the findings document as HTML.

    Args:
      document (dict): findings document, schema 3.
      source (str): what was examined (shown, escaped).
      generated (datetime.datetime): generation time, UTC; now if None.
      version (str): our version; the package's if None.
    """
    if version is None:
        from plaso_netsupport import (  # pylint: disable=import-outside-toplevel
            __version__ as version,
        )
    generated = generated or datetime.datetime.now(datetime.timezone.utc)
    titles = common.ReasonTitles()
    names = common.TechniqueNames()
    coverage = document.get("coverage") or {}
    evidence_ids = {
        entry.get("id")
        for entry in document.get("evidence") or []
        if common.IDENTIFIER_PATTERN.match(str(entry.get("id")))
    }
    installations = []
    anchors = {}
    for number, entry in enumerate(document.get("installations") or [], start=1):
        identifier = str(entry.get("id") or f"#{number:d}")
        anchor = (
            identifier
            if common.IDENTIFIER_PATTERN.match(identifier)
            else f"n{number:d}"
        )
        anchors[identifier] = anchor
        verdict = str(entry.get("verdict") or "")
        caption = f"{identifier} [{common.VERDICT_TITLES.get(verdict, verdict)}] {entry.get('folder')}"
        if len(caption) > 60:
            caption = caption[:28] + "…" + caption[-31:]
        installations.append(
            {
                "id": identifier,
                "anchor": anchor,
                "folder": entry.get("folder"),
                "css": verdict if verdict in common.VERDICTS else "other",
                "verdict_title": common.VERDICT_TITLES.get(verdict, verdict.upper()),
                "score": entry.get("score", 0),
                "caption": caption,
                "activity": entry.get("activity") or {},
                "rows": _Rows(entry),
                "findings": [
                    {
                        "title": common.FindingTitle(finding, titles),
                        "text": finding.get("text"),
                        "direction": finding.get("direction"),
                        "direction_class": (
                            finding.get("direction")
                            if finding.get("direction") in ("suspicious", "benign")
                            else "info"
                        ),
                        "weight": finding.get("weight", 0),
                        "evidence": list(finding.get("evidence") or []),
                    }
                    for finding in entry.get("findings") or []
                ],
                "executions": [
                    {"time": e.get("time"), "evidence": list(e.get("evidence") or [])}
                    for e in entry.get("executions") or []
                ],
            }
        )
    source_titles = common.SourceTitles(document)
    evidence = []
    for entry in document.get("evidence") or []:
        evidence.append(
            {
                "id": str(entry.get("id")),
                "time": common.ShortTime(entry.get("time")),
                "timestamp": chart_module.ParseTime(entry.get("time")),
                "timestamp_desc": entry.get("timestamp_desc") or "",
                "source": source_titles.get(entry.get("source"), entry.get("source")),
                "category": common.Category(entry),
                "installation": entry.get("installation"),
                "summary": str(entry.get("summary") or ""),
                "labels": [str(label) for label in entry.get("labels") or []],
            }
        )
    scores = navigator.Scores(document)
    techniques = []
    for technique, count in (document.get("techniques") or {}).items():
        labels = {common.TechniqueLabel(technique)}
        techniques.append(
            {
                "id": technique,
                "url": common.TechniqueUrl(technique),
                "name": names.get(technique, ""),
                "count": count,
                "score": scores.get(technique, (0,))[0],
                "evidence": [e["id"] for e in evidence if labels & set(e["labels"])],
            }
        )
    rules = []
    for rule in document.get("sigma_rules") or []:
        label = "sigma_" + str(rule.get("id") or "").lower().replace("-", "_")
        rules.append(
            {
                "title": rule.get("title"),
                "level": rule.get("level"),
                "id": rule.get("id"),
                "events": rule.get("events", 0),
                "evidence": [e["id"] for e in evidence if label in e["labels"]],
                "sigma_only": common.SigmaOnlyText(rule),
                "examples": [
                    {
                        "time": common.ShortTime(example.get("time")),
                        "summary": example.get("summary"),
                    }
                    for example in rule.get("examples") or []
                ],
            }
        )
    gateways = [
        {
            "address": gateway.get("address"),
            "role": gateway.get("role"),
            "installation": installation["id"],
            "anchor": installation["anchor"],
            "folder": entry.get("folder"),
            "key": "yes" if entry.get("gateway_security_key") else "no",
        }
        for entry, installation in zip(
            document.get("installations") or [], installations
        )
        for gateway in entry.get("gateways") or []
    ]
    missing = {
        entry.get("source"): entry.get("consequence")
        for entry in coverage.get("missing") or []
    }
    sources = [
        {
            "title": entry.get("title") or entry.get("source"),
            "present": bool(entry.get("present")),
            "events": int(entry.get("events") or 0),
            "consequence": missing.get(entry.get("source"), ""),
        }
        for entry in coverage.get("sources") or []
    ]
    template = _Environment().get_template("report.html.j2")
    verdict = document.get("verdict")
    evidence_view = [
        dict(e, category=common.CATEGORY_CAPTIONS[e["category"]]) for e in evidence
    ]
    return template.render(
        csp=CONTENT_SECURITY_POLICY,
        source=source,
        generated=generated.strftime("%Y-%m-%d %H:%M:%S UTC"),
        version=version,
        schema_version=document.get("schema_version"),
        tool_version=document.get("tool_version"),
        conclusion=common.Conclusion(document),
        overall_class=verdict if verdict in common.VERDICTS else "other",
        coverage_statement=common.CoverageStatement(document),
        sources=sources,
        summary=common.Summary(document),
        installations=installations,
        installation_anchors=anchors,
        charts=chart_module.Charts(installations, evidence),
        legend=[(caption, colour) for _, caption, colour in common.CATEGORIES],
        gateways=gateways,
        techniques=techniques,
        rules=rules,
        notes=document.get("notes") or [],
        evidence=evidence_view,
        evidence_ids=evidence_ids,
        max_links=MAX_LINKS,
    )
