"""What two triage runs must agree on: each installation as the examiner reads it.

Used by the fast-vs-full equality test (tests/test_fast_triage.py) and the
fast-triage benchmark (benchmarks/fast_triage.py), so that "identical
findings" means the same in both. Evidence ids are left out: they number
events, which differ between runs.
"""

import json


def Installations(document):
    """Returns the installations of a findings document (schema 3), comparable.

    Returns:
      list[str]: one JSON text per installation, sorted.
    """
    return sorted(
        json.dumps(
            {
                "folder": entry["folder"],
                "verdict": entry.get("verdict"),
                "findings": sorted(item["code"] for item in entry.get("findings", [])),
                "gateways": entry.get("gateways"),
                "binaries": sorted(
                    (item["path"], item["identity"])
                    for item in entry.get("binaries", [])
                ),
                "persistence": sorted(
                    (item.get("kind"), item.get("where"), item.get("value"))
                    for item in entry.get("persistence", [])
                ),
                "services": entry.get("services"),
            },
            sort_keys=True,
        )
        for entry in document.get("installations") or []
    )
