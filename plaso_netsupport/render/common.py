"""What every renderer shares: names, titles, links and sentences.

The renderers read only the findings document (schema 3); this module adds
what the knowledge file says about it (technique names, titles of reason
codes) and the sentences every output must say the same way, such as the
coverage statement that accompanies "no NetSupport found".
"""

import re

from plaso_netsupport.knowledge import Load as LoadKnowledge

ATTACK_URL = "https://attack.mitre.org/techniques/{0:s}/"
TECHNIQUE_PATTERN = re.compile(r"^T\d{4}(\.\d{3})?$")
# Evidence and installation ids ("E12", "I1") become anchors only if plain.
IDENTIFIER_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,15}$")
VERDICTS = ("suspicious", "weak", "sanctioned", "allowlisted")
VERDICT_TITLES = {
    "suspicious": "SUSPICIOUS",
    "weak": "WEAK EVIDENCE",
    "sanctioned": "SANCTIONED",
    "allowlisted": "ALLOWLISTED",
    "none": "NONE",
}
IDENTITY_TITLES = {
    "client": "the client (identified)",
    "renamed_client": "the client, renamed",
    "vendor": "a vendor binary, not the client",
    "unidentified": "not identified",
}

# Chart lanes and display categories: (category, caption, colour).
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
_EXECUTION_SOURCES = frozenset(["prefetch", "amcache", "evtx_security", "evtx_sysmon"])


def TechniqueNames():
    """Returns {technique ID: name} from the knowledge file."""
    techniques = LoadKnowledge().data.get("techniques") or {}
    return {key: (value or {}).get("name", "") for key, value in techniques.items()}


def ReasonTitles():
    """Returns {reason code: title}: a "title" in verdict_reasons, else the code.

    The knowledge file's texts are templates (the finding's own "text" is the
    filled-in sentence); the title only names the kind of finding.
    """
    reasons = LoadKnowledge().data.get("verdict_reasons") or {}
    titles = {}
    for code, value in reasons.items():
        title = value.get("title") if isinstance(value, dict) else None
        titles[code] = str(title) if title else str(code).replace("_", " ")
    return titles


def TechniqueUrl(technique):
    """Returns the ATT&CK page of a technique ID, or None if it is malformed."""
    if not TECHNIQUE_PATTERN.match(str(technique or "")):
        return None
    return ATTACK_URL.format(technique.replace(".", "/"))


def TechniqueOfLabel(label):
    """Maps "attack_t1543_003" to "T1543.003"; None for other labels."""
    if not str(label).startswith("attack_t"):
        return None
    technique = label[len("attack_") :].upper().replace("_", ".", 1)
    return technique if TECHNIQUE_PATTERN.match(technique) else None


def TechniqueLabel(technique):
    """Maps "T1219.002" to its label "attack_t1219_002"."""
    return "attack_" + str(technique).lower().replace(".", "_")


def Category(evidence):
    """The display category of an evidence entry, from its labels and source."""
    labels = set(evidence.get("labels") or [])
    if labels & {"attack_t1070_004", "attack_t1070_001"}:
        return "deletion"
    if "attack_t1547" in labels:
        return "persistence"
    if labels & {"attack_t1543", "attack_t1569"}:
        return "service"
    if labels & {"attack_t1059", "attack_t1036"}:
        return "execution"
    source = evidence.get("source")
    data_type = str(evidence.get("data_type") or "")
    if source in ("prefetch", "amcache") or data_type.startswith(
        ("windows:prefetch", "windows:registry:amcache")
    ):
        return "execution"
    if data_type.startswith("netsupport:") or "attack_t1573" in labels:
        return "configuration"
    if source in ("file_system", "usn_journal", "pe", "lnk"):
        return "install"
    if source in _EXECUTION_SOURCES:
        return "execution"
    return "other"


def EvidenceById(document):
    """Returns {evidence id: evidence entry}."""
    return {entry["id"]: entry for entry in document.get("evidence") or []}


def VerdictCounts(document):
    """Returns {verdict: number of installations} for the four verdicts."""
    verdicts = [entry.get("verdict") for entry in document.get("installations") or []]
    return {verdict: verdicts.count(verdict) for verdict in VERDICTS}


def Summary(document):
    """One line: installations by verdict."""
    installations = document.get("installations") or []
    counts = VerdictCounts(document)
    parts = [f"{counts[verdict]:d} {verdict}" for verdict in VERDICTS]
    return f"{len(installations):d} installation(s): " + ", ".join(parts)


def SourceTitles(document):
    """Returns {coverage source key: title}."""
    coverage = document.get("coverage") or {}
    return {
        entry.get("source"): entry.get("title") or entry.get("source")
        for entry in coverage.get("sources") or []
    }


def CoverageStatement(document):
    """What was examined, in one sentence; every output opens with it."""
    coverage = document.get("coverage") or {}
    events = coverage.get("events_examined")
    sources = coverage.get("sources") or []
    present = [entry for entry in sources if entry.get("present")]
    if events is None:
        examined = "The number of events examined is unknown"
    else:
        examined = f"{int(events):d} events examined"
    span = ""
    if coverage.get("first_event") or coverage.get("last_event"):
        span = f" ({coverage.get('first_event')} .. {coverage.get('last_event')})"
    statement = (
        f"{examined}{span} from {len(present):d} of {len(sources):d} evidence sources"
    )
    warnings = coverage.get("extraction_warnings")
    if warnings is None:
        statement += "; plaso extraction warnings: unknown"
    else:
        statement += f"; {int(warnings):d} plaso extraction warning(s)"
    if coverage.get("targeted"):
        statement += "; targeted extraction (NetSupportTriage artifacts only)"
    return statement + "."


def Conclusion(document):
    """The overall finding in one sentence, never without what was examined."""
    installations = document.get("installations") or []
    if installations:
        return f"NetSupport found: {Summary(document)}."
    missing = (document.get("coverage") or {}).get("missing") or []
    titles = SourceTitles(document)
    sentence = "No NetSupport installation found in what was examined"
    if document.get("evidence"):
        sentence += f" ({len(document['evidence']):d} tagged event(s) tie to none)"
    if missing:
        sentence += "; not examined: " + ", ".join(
            str(titles.get(entry.get("source"), entry.get("source")))
            for entry in missing
        )
    return sentence + "."


def FindingTitle(finding, titles):
    """The title of a finding's reason code ("" without a code)."""
    code = str(finding.get("code") or "")
    return titles.get(code) or code.replace("_", " ")


def PersistenceText(persistence):
    """ "run_key: HKCU\\...\\Run = value" from a persistence entry."""
    text = str(persistence.get("where") or "")
    if persistence.get("value"):
        text += f" = {persistence['value']}"
    if persistence.get("kind"):
        text = f"{str(persistence['kind']).replace('_', ' ')}: {text}"
    return text


def ShortTime(value):
    """ "2026-03-10T09:43:12.000000Z" -> "2026-03-10 09:43:12"."""
    if not value:
        return "-"
    return str(value).replace("T", " ")[:19]


def SigmaOnlyText(rule):
    """Returns the sentence on a rule's events tagged by Sigma alone, or ""."""
    count = int(rule.get("sigma_only_events") or 0)
    if not count:
        return ""
    examples = len(rule.get("examples") or [])
    return (
        f"{count:d} of them tagged by Sigma rules alone, not in the evidence "
        f"({examples:d} examples); psort filter for all: {rule.get('filter')}"
    )


def SigmaOnlyLines(rule, indent, format_time=None):
    """Returns text lines: the count, the psort filter and the examples.

    Args:
      rule (dict): sigma_rules entry of a findings document.
      indent (str): indentation of the lines.
      format_time (Optional[callable]): formats an example's time (default
          ShortTime).
    """
    format_time = format_time or ShortTime
    count = int(rule.get("sigma_only_events") or 0)
    if not count:
        return []
    examples = rule.get("examples") or []
    lines = [
        f"{indent}{count:d} of them tagged by Sigma rules alone, not in the "
        f"evidence ({len(examples):d} examples)",
        f"{indent}  psort filter for all: {rule.get('filter')}",
    ]
    for example in examples:
        lines.append(
            f"{indent}  e.g. {format_time(example.get('time'))} {example.get('summary')}"
        )
    return lines
