"""The findings document as an ATT&CK Navigator layer (layer format 4.5).

A technique's score says how much its evidence matters, not how many events
carry it: one Run value of a suspicious installation outweighs a hundred
file-stat events of a sanctioned one. Score = kind score of the technique
(knowledge file, `evidence_techniques` and `navigator_kind_scores`: the
strongest kind of evidence that shows it) x verdict factor (the worst
verdict among the installations its evidence belongs to). Event counts go
into the comment. Open the file in the ATT&CK Navigator ("Open Existing
Layer" > "Upload from local").
"""

from plaso_netsupport.knowledge import Load as LoadKnowledge
from plaso_netsupport.render import common

LAYER_VERSION = "4.5"
NAVIGATOR_VERSION = "5.1.0"
ATTACK_VERSION = "17"
# Verdict factors: how far an installation's evidence should colour the map.
# Evidence tied to no installation (a log cleared near NetSupport traces)
# counts as weak.
VERDICT_FACTORS = {
    "suspicious": 1.0,
    "weak": 0.5,
    None: 0.5,
    "sanctioned": 0.2,
    "allowlisted": 0.1,
}
DEFAULT_KIND_SCORE = 40


def TechniqueKindScores():
    """Returns {technique: score of the strongest kind of evidence showing it}."""
    data = LoadKnowledge().data
    kind_scores = data.get("navigator_kind_scores") or {}
    scores = {}
    for kind, techniques in (data.get("evidence_techniques") or {}).items():
        score = int(kind_scores.get(kind, DEFAULT_KIND_SCORE))
        for technique in techniques or []:
            for name in (technique, technique.split(".")[0]):
                scores[name] = max(scores.get(name, 0), score)
    return scores


def Scores(document, kind_scores=None):
    """Returns {technique: (score, events, installation ids)} of a document."""
    kind_scores = TechniqueKindScores() if kind_scores is None else kind_scores
    verdicts = {
        entry.get("id"): entry.get("verdict")
        for entry in document.get("installations") or []
    }
    factors = {}
    events = {}
    owners = {}
    for evidence in document.get("evidence") or []:
        installation = evidence.get("installation")
        factor = VERDICT_FACTORS.get(verdicts.get(installation), 0.5)
        for label in evidence.get("labels") or []:
            technique = common.TechniqueOfLabel(label)
            if not technique:
                continue
            factors[technique] = max(factors.get(technique, 0.0), factor)
            events[technique] = events.get(technique, 0) + 1
            if installation:
                owners.setdefault(technique, set()).add(installation)
    # Events tagged by Sigma alone (schema 3) are not in the evidence: each
    # rule's techniques are the ATT&CK labels on every one of its examples.
    for rule in document.get("sigma_rules") or []:
        examples = rule.get("examples") or []
        count = int(rule.get("sigma_only_events") or 0)
        if not count or not examples:
            continue
        labels = set.intersection(*(set(e.get("labels") or []) for e in examples))
        for label in sorted(labels):
            technique = common.TechniqueOfLabel(label)
            if not technique:
                continue
            factors[technique] = max(factors.get(technique, 0.0), VERDICT_FACTORS[None])
            events[technique] = events.get(technique, 0) + count
    return {
        technique: (
            round(kind_scores.get(technique, DEFAULT_KIND_SCORE) * factors[technique]),
            events[technique],
            sorted(owners.get(technique, ())),
        )
        for technique in sorted(factors)
    }


def Render(document, name="NetSupport triage", description="", technique_names=None):
    """Returns the Navigator layer as a JSON-serialisable dict."""
    technique_names = (
        common.TechniqueNames() if technique_names is None else technique_names
    )
    scores = Scores(document)
    folders = {
        entry.get(
            "id"
        ): f"{entry.get('id')} {entry.get('verdict')} {entry.get('folder')}"
        for entry in document.get("installations") or []
    }
    parents_with_subs = {
        technique.split(".")[0] for technique in scores if "." in technique
    }
    techniques = []
    for technique, (score, count, owners) in scores.items():
        comment = f"{count:d} tagged event(s)"
        if technique_names.get(technique):
            comment = f"{technique_names[technique]}: {comment}"
        if owners:
            comment += "; installations: " + "; ".join(
                folders.get(owner, owner) for owner in owners
            )
        techniques.append(
            {
                "techniqueID": technique,
                "score": score,
                "color": "",
                "comment": comment,
                "enabled": True,
                "metadata": [{"name": "tagged events", "value": str(count)}],
                "links": [{"label": "ATT&CK", "url": common.TechniqueUrl(technique)}],
                "showSubtechniques": technique in parents_with_subs,
            }
        )
    installations = document.get("installations") or []
    return {
        "name": name,
        "versions": {
            "attack": ATTACK_VERSION,
            "navigator": NAVIGATOR_VERSION,
            "layer": LAYER_VERSION,
        },
        "domain": "enterprise-attack",
        "description": description
        or (
            f"NetSupport evidence found by plaso-netsupport: {common.Summary(document)}. "
            "Scores: strength of the kind of evidence x verdict of its installation "
            "(100 = persistence or log clearing by a suspicious installation)."
        ),
        "filters": {"platforms": ["Windows"]},
        "sorting": 3,
        "layout": {
            "layout": "side",
            "aggregateFunction": "max",
            "showID": True,
            "showName": True,
            "showAggregateScores": False,
            "countUnscored": False,
            "expandedSubtechniques": "annotated",
        },
        "hideDisabled": False,
        "techniques": techniques,
        "gradient": {
            "colors": ["#fff3b0ff", "#f28e2bff", "#c62828ff"],
            "minValue": 0,
            "maxValue": 100,
        },
        "legendItems": [
            {"label": "sanctioned or weak evidence", "color": "#fff3b0"},
            {
                "label": "strong evidence of a suspicious installation",
                "color": "#c62828",
            },
        ],
        "metadata": [
            {"name": "generator", "value": "plaso-netsupport"},
            {"name": "installations", "value": str(len(installations))},
        ],
        "links": [],
        "showTacticRowBackground": False,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
        "selectVisibleTechniques": False,
    }
