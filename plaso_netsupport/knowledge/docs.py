"""Writes docs/indicators.md from the knowledge file.

Usage: python -m plaso_netsupport.knowledge.docs > docs/indicators.md

The documentation of what the tool looks for is generated, so that it cannot
drift from what the code reads; a test checks the committed file is current.
"""

import sys

from plaso_netsupport import knowledge


def _Table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [str(cell).replace("|", "\\|") for cell in row]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def Render(data=None):
    """Returns the Markdown documentation of the knowledge file."""
    data = data or knowledge.Load().data
    lines = [
        "# NetSupport indicators",
        "",
        "Generated from `plaso_netsupport/knowledge/netsupport.yaml` by",
        "`python -m plaso_netsupport.knowledge.docs`; edit the YAML, not this file.",
        "",
        "## Kit files",
        "",
    ]
    lines += _Table(
        ["File", "Role", "Weight", "Notes"],
        [
            (
                f"`{name}`",
                value.get("role", ""),
                value.get("weight", ""),
                "often renamed" if value.get("renamable") else "",
            )
            for name, value in data["kit_files"].items()
        ],
    )
    lines += [
        "",
        f"A folder with at least {data['kit_folder_min_strong_files']} strong kit files,",
        "or a NetSupport configuration or licence, is a kit folder.",
        "",
        "## Legitimate install paths",
        "",
    ]
    lines += [f"- `{path}`" for path in data["legitimate_install_paths"]]
    lines += ["", "## Drop locations", ""]
    lines += [f"- `{path}`" for path in data["drop_locations"]]
    lines += ["", "## Registry", ""]
    lines += [
        f"- `HKLM|HKCU\\Software\\(WOW6432Node\\)?{key}`"
        for key in data["registry_vendor_keys"]
    ]
    lines += ["", "Not NetSupport Ltd:", ""]
    lines += [
        f"- `{entry['key']}`: {entry['vendor']}"
        for entry in data["registry_lookalike_keys"]
    ]
    lines += ["", "## Services", ""]
    lines += _Table(
        ["Name", "Display name"],
        [(service["name"], service["display_name"]) for service in data["services"]],
    )
    lines += ["", "## Event IDs", ""]
    lines += _Table(
        ["Evidence", "Channel", "Event ID"],
        [
            (kind, entry["channel"], entry["id"])
            for kind, entries in data["event_ids"].items()
            for entry in entries
        ],
    )
    lines += ["", "## ATT&CK mapping", ""]
    lines += _Table(
        ["Evidence", "Techniques", "Labels"],
        [
            (
                kind,
                ", ".join(
                    f"{technique} {data['techniques'].get(technique, {}).get('name', '')}"
                    for technique in techniques
                ),
                ", ".join(
                    f"`{label}`"
                    for technique in techniques
                    for label in knowledge.AttackLabels(technique)
                ),
            )
            for kind, techniques in data["evidence_techniques"].items()
        ],
    )
    lines += ["", "## Licences seen in RAT campaigns", ""]
    lines += _Table(
        ["Licensee", "Serial"],
        [
            (entry.get("licensee") or "", entry.get("serial") or "")
            for entry in data.get("abused_licences") or []
        ],
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(Render())
