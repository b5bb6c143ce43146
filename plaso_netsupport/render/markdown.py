"""The findings document as Markdown.

Evidence is shown literally in code spans (HTML in it stays inert in every
Markdown renderer); free text is HTML-escaped and its Markdown punctuation
backslash-escaped.
"""

from plaso_netsupport.render import common


def Code(value):
    """Inline code span whose fence is longer than any backtick run inside."""
    text = " ".join(str(value).split())
    longest = run = 0
    for character in text:
        run = run + 1 if character == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if text else "``"


def Text(value):
    """Free text: HTML escaped and Markdown punctuation backslash-escaped."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(
        "\\" + character if character in "\\`*_{}[]()#+!|~" else character
        for character in text
    )


def _Link(identifier):
    identifier = str(identifier)
    if common.IDENTIFIER_PATTERN.match(identifier):
        return f"[{identifier}](#{identifier.lower()})"
    return Text(identifier)


def _Coverage(document):
    coverage = document.get("coverage") or {}
    lines = [
        "## Coverage",
        "",
        Text(common.CoverageStatement(document)),
        "",
        "| Evidence source | Present | Events |",
        "|---|---|---|",
    ]
    for entry in coverage.get("sources") or []:
        lines.append(
            f"| {Text(entry.get('title') or entry.get('source'))} | "
            f"{'yes' if entry.get('present') else '**no**'} | "
            f"{int(entry.get('events') or 0):d} |"
        )
    missing = coverage.get("missing") or []
    if missing:
        lines += ["", "Not examined:", ""]
        lines += [
            f"- {Text(entry.get('consequence') or entry.get('source'))}"
            for entry in missing
        ]
    return lines


def _Installation(entry):
    verdict = common.VERDICT_TITLES.get(entry.get("verdict"), entry.get("verdict"))
    activity = entry.get("activity") or {}
    lines = [
        "",
        f"## {Text(entry.get('id'))} {Text(verdict)}: {Code(entry.get('folder'))}",
        "",
        f"- Score: {int(entry.get('score') or 0):d}",
        f"- Activity: {Code(activity.get('first'))} .. {Code(activity.get('last'))} "
        f"({int(activity.get('events') or 0):d} events)",
    ]
    if activity.get("preserved_first"):
        lines.append(
            f"- Archive times (preserved by the kit): "
            f"{Code(activity.get('preserved_first'))} .. "
            f"{Code(activity.get('preserved_last'))}"
        )
    executions = entry.get("executions") or []
    if executions:
        lines.append(
            f"- Executions: {len(executions):d} (first "
            f"{Code(executions[0].get('time'))}, last {Code(executions[-1].get('time'))})"
        )
    for binary in entry.get("binaries") or []:
        identity = common.IDENTITY_TITLES.get(
            binary.get("identity"), binary.get("identity")
        )
        lines.append(f"- Binary: {Code(binary.get('path'))} ({Text(identity)})")
    key = "yes" if entry.get("gateway_security_key") else "no"
    for gateway in entry.get("gateways") or []:
        lines.append(
            f"- Gateway: {Code(gateway.get('address'))} ({Text(gateway.get('role'))}, "
            f"security key: {key})"
        )
    for name, value in sorted((entry.get("settings") or {}).items()):
        lines.append(f"- Setting: {Code(f'{name}={value}')}")
    for licence in entry.get("licences") or []:
        lines.append(
            f"- Licence: {Code(licence.get('licensee'))} serial "
            f"{Code(licence.get('serial_no'))}"
        )
    for service in entry.get("services") or []:
        lines.append(f"- Service: {Code(service)}")
    for persistence in entry.get("persistence") or []:
        lines.append(f"- Persistence: {Code(common.PersistenceText(persistence))}")
    for parent in entry.get("parent_processes") or []:
        lines.append(f"- Started by: {Code(parent)}")
    allowlist = entry.get("allowlist")
    if allowlist:
        lines.append(
            f"- Allowlisted by {Text(allowlist.get('entry'))} "
            f"{Code(allowlist.get('value'))}: {Text(allowlist.get('reason'))} "
            f"(review by {Text(allowlist.get('review_date'))})"
        )
    findings = entry.get("findings") or []
    if findings:
        lines += [
            "",
            "| Finding | Direction | Weight | Evidence |",
            "|---|---|---|---|",
        ]
        for finding in findings:
            evidence = ", ".join(
                _Link(identifier) for identifier in finding.get("evidence") or []
            )
            lines.append(
                f"| {Text(finding.get('text'))} | {Text(finding.get('direction'))} | "
                f"{int(finding.get('weight') or 0):d} | {evidence or 'none'} |"
            )
    return lines


def Render(document, source=""):
    """Renders the findings document as Markdown."""
    names = common.TechniqueNames()
    lines = ["# NetSupport analysis report", ""]
    if source:
        lines += [f"Source: {Code(source)}", ""]
    lines += [f"**{Text(common.Conclusion(document))}**", ""]
    lines += _Coverage(document)
    for entry in document.get("installations") or []:
        lines += _Installation(entry)
    techniques = document.get("techniques") or {}
    if techniques:
        lines += [
            "",
            "## ATT&CK techniques",
            "",
            "| Technique | Name | Tagged events |",
            "|---|---|---|",
        ]
        for technique, count in techniques.items():
            url = common.TechniqueUrl(technique)
            cell = f"[{technique}]({url})" if url else Text(technique)
            lines.append(
                f"| {cell} | {Text(names.get(technique, ''))} | {int(count):d} |"
            )
    rules = document.get("sigma_rules") or []
    if rules:
        lines += [
            "",
            "## Sigma rules",
            "",
            "| Rule | Level | Events |",
            "|---|---|---|",
        ]
        for rule in rules:
            lines.append(
                f"| {Text(rule.get('title'))} ({Code(rule.get('id'))}) | "
                f"{Text(rule.get('level'))} | {int(rule.get('events') or 0):d} |"
            )
        for rule in rules:
            sentence = common.SigmaOnlyText(rule)
            if not sentence:
                continue
            lines += ["", f"{Text(rule.get('title'))}: {Text(sentence)}", ""]
            for example in rule.get("examples") or []:
                lines.append(
                    f"- {Text(common.ShortTime(example.get('time')))} "
                    f"{Code(example.get('summary'))}"
                )
    notes = document.get("notes") or []
    if notes:
        lines += ["", "## Notes", ""] + [f"- {Text(note)}" for note in notes]
    evidence = document.get("evidence") or []
    if evidence:
        lines += [
            "",
            "## Evidence",
            "",
            "| Id | Time (UTC) | Description | Source | Inst. | Summary |",
            "|---|---|---|---|---|---|",
        ]
        titles = common.SourceTitles(document)
        for entry in evidence:
            identifier = str(entry.get("id"))
            anchor = (
                f'<a id="{identifier.lower()}"></a>'
                if common.IDENTIFIER_PATTERN.match(identifier)
                else ""
            )
            lines.append(
                f"| {anchor}{Text(identifier)} | "
                f"{Text(common.ShortTime(entry.get('time')))} | "
                f"{Text(entry.get('timestamp_desc'))} | "
                f"{Text(titles.get(entry.get('source'), entry.get('source')))} | "
                f"{Text(entry.get('installation') or '-')} | "
                f"{Code(entry.get('summary'))} |"
            )
    return "\n".join(lines) + "\n"
