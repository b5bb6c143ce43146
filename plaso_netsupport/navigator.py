"""Builds an ATT&CK Navigator layer (layer format 4.5) from the report.

Scores are the numbers of tagged events per technique, so the Navigator's
gradient shows where the evidence is. Open the file in the ATT&CK Navigator
("Open Existing Layer" > "Upload from local").
"""

import re

from plaso_netsupport.html_report import TechniqueNames, TechniqueUrl

LAYER_VERSION = "4.5"
NAVIGATOR_VERSION = "5.1.0"
ATTACK_VERSION = "17"
TECHNIQUE_PATTERN = re.compile(r"^T\d{4}(\.\d{3})?$")


def BuildLayer(
    document, name="NetSupport triage", description="", technique_names=None
):
    """Returns the Navigator layer as a JSON-serialisable dict.

    Args:
      document (dict): report document (report.ParseReportText).
      name (str): layer name.
      description (str): layer description.
      technique_names (dict[str, str]): ATT&CK names; knowledge file if None.
    """
    technique_names = TechniqueNames() if technique_names is None else technique_names
    counts = {
        str(technique): int(count)
        for technique, count in (document.get("techniques") or {}).items()
        if TECHNIQUE_PATTERN.match(str(technique))
    }
    parents_with_subs = {
        technique.split(".")[0] for technique in counts if "." in technique
    }
    techniques = []
    for technique in sorted(counts):
        folders = [
            entry["folder"]
            for entry in document.get("installations") or []
            if technique in (entry.get("techniques") or {})
        ]
        comment = f"{counts[technique]:d} tagged event(s)"
        if technique_names.get(technique):
            comment = f"{technique_names[technique]}: {comment}"
        if folders:
            comment += "; installations: " + ", ".join(folders)
        entry = {
            "techniqueID": technique,
            "score": counts[technique],
            "color": "",
            "comment": comment,
            "enabled": True,
            "metadata": [],
            "links": [{"label": "ATT&CK", "url": TechniqueUrl(technique)}],
            "showSubtechniques": technique in parents_with_subs,
        }
        techniques.append(entry)
    maximum = max(counts.values(), default=1)
    installations = document.get("installations") or []
    verdicts = [entry.get("verdict") for entry in installations]
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
            f"NetSupport evidence found by plaso-netsupport: {len(installations):d} "
            f"installation(s), {verdicts.count('suspicious'):d} suspicious. "
            "Scores are numbers of tagged events."
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
            "maxValue": maximum,
        },
        "legendItems": [
            {"label": "few tagged events", "color": "#fff3b0"},
            {"label": "many tagged events", "color": "#c62828"},
        ],
        "metadata": [
            {"name": "generator", "value": "plaso-netsupport"},
        ],
        "links": [],
        "showTacticRowBackground": False,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
        "selectVisibleTechniques": False,
    }
