"""Former name of analysis/findings.py, kept for the modules that still import it.

show_report.py and triage.py read the report through this name until the
renderers read the findings document from analysis/findings.py directly.
"""

from plaso_netsupport.analysis.findings import (  # noqa: F401
    JSON_MARKER,
    ParseReportText,
    RenderText,
    TechniqueOfLabel,
)
from plaso_netsupport.knowledge import AttackLabels  # noqa: F401
