"""Prints the newest netsupport analysis report stored in a plaso file.

Usage: python -m plaso_netsupport.show_report CASE.plaso [--json]

psort and pinfo show the report too, but re-wrap its text in a table; this
prints it as written.
"""

import json
import sys

from plaso.storage import factory as storage_factory

from plaso_netsupport.analysis import report


def ReadReports(storage_file):
    """Returns the texts of the netsupport reports in a storage file."""
    reader = storage_factory.StorageFactory.CreateStorageReaderForFile(storage_file)
    if reader is None:
        raise ValueError(f"not a plaso storage file: {storage_file}")
    try:
        return [
            analysis_report.text or ""
            for analysis_report in reader.GetAttributeContainers("analysis_report")
            if analysis_report.plugin_name == "netsupport"
        ]
    finally:
        reader.Close()


def Main(argv=None):
    """Prints the newest report; exit code 2 when there is none."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    try:
        texts = ReadReports(argv[0])
    except (OSError, ValueError) as exception:
        sys.stderr.write(f"error: {exception}\n")
        return 2
    if not texts:
        sys.stderr.write(f"error: no netsupport analysis report in {argv[0]}\n")
        return 2
    if "--json" in argv[1:]:
        print(json.dumps(report.ParseReportText(texts[-1]), indent=2, sort_keys=True))
    else:
        print(texts[-1].partition(report.JSON_MARKER)[0])
    return 0


if __name__ == "__main__":
    sys.exit(Main())
