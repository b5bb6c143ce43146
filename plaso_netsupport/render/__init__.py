"""Renderers of the findings document: one module per output.

Every renderer reads only the findings document (schema 3, see the README's
"Findings document" section): no renderer correlates events or parses reason
text. text (terminal), json_report, markdown, html_report (Jinja2 template,
autoescaped) and navigator (ATT&CK Navigator layer).
"""

FORMATS = ("text", "json", "md", "html")
# Output file extensions and the format they mean.
EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".json": "json",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
}


def FormatOfPath(path):
    """Returns the format an output file name implies, or None."""
    import os  # pylint: disable=import-outside-toplevel

    return EXTENSIONS.get(os.path.splitext(str(path))[1].lower())


def Render(document, output_format, source=""):
    """Renders the document in one of FORMATS; returns the text."""
    # pylint: disable=import-outside-toplevel
    if output_format == "text":
        from plaso_netsupport.render import text as module
    elif output_format == "json":
        from plaso_netsupport.render import json_report as module
    elif output_format == "md":
        from plaso_netsupport.render import markdown as module
    elif output_format == "html":
        from plaso_netsupport.render import html_report as module
    else:
        raise ValueError(f"unknown format: {output_format}")
    return module.Render(document, source=source)
