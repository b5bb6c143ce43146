"""Writes a one-rule Sigma directory for tests that state a detection inline."""

import textwrap

_TEMPLATE = """\
title: {title}
id: {identifier}
logsource:
        product: windows
        {logsource}
detection:
{detection}
level: low
{extra}
"""


def WriteRuleDirectory(
    tmp_path,
    detection,
    logsource="category: process_creation",
    title="Inline Test Rule",
    identifier="5e060b81-b804-4d34-9751-14f4e99367b5",
    extra="",
):
    """Writes tmp_path/rules/rule.yml; returns the directory (str)."""
    rule = _TEMPLATE.format(
        title=title,
        identifier=identifier,
        logsource=logsource,
        detection=textwrap.indent(textwrap.dedent(detection), "    "),
        extra=extra,
    )
    directory = tmp_path / "rules"
    directory.mkdir(exist_ok=True)
    (directory / "rule.yml").write_text(rule, encoding="utf-8")
    return str(directory)
