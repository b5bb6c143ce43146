"""Thin alias of `plaso-netsupport report`, kept for existing scripts.

python -m plaso_netsupport.show_report STORAGE          the text report
python -m plaso_netsupport.show_report STORAGE --json   the stored findings
                                                        document (JSON)
"""

import json
import os
import sys

from plaso_netsupport import cli


def Main(argv=None):
    """Prints the report of a storage file; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = cli.ArgumentParser(
        prog="python -m plaso_netsupport.show_report",
        description="Print the netsupport report of an analysed storage file "
        "(alias of: plaso-netsupport report STORAGE --format text|json).",
    )
    parser.add_argument("storage_file", metavar="STORAGE", help="plaso storage file")
    parser.add_argument(
        "--json", action="store_true", help="print the findings document as JSON"
    )
    try:
        options = parser.parse_args(argv)
        if options.json:
            # The document exactly as the analysis stored it.
            document = cli.storage.ReadStoredDocument(options.storage_file)
            sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
            return 0
    except cli.UsageError as exception:
        sys.stderr.write(f"{parser.prog}: error: {exception}\n")
        return 2
    except BrokenPipeError:
        # The reader (head, less) went away: quiet, as in cli.Main.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return cli.Main(["report", options.storage_file, "--format", "text"])


if __name__ == "__main__":
    sys.exit(Main())
