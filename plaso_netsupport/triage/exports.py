"""The files triage writes in this process: reports, Navigator layer, Timesketch.

report.json, report.md, report.html and attack-layer.json come from the
findings document only; timesketch.jsonl converts psort's json_line export
of the NetSupport-tagged events (Timesketch imports it with the tags intact).
Every file is written to NAME.partial first and renamed, so a file with its
final name is complete.
"""

import datetime
import json
import os

from plaso_netsupport import render
from plaso_netsupport.render import navigator

_TIMESKETCH_SKIPPED = frozenset(
    ["__container_type__", "__type__", "date_time", "pathspec", "tag", "timestamp"]
)
REPORT_FILES = {
    "report.json": "json",
    "report.md": "md",
    "report.html": "html",
}


def WriteText(path, text):
    """Writes text to path atomically (path.partial, then rename)."""
    temporary = path + ".partial"
    try:
        with open(temporary, "w", encoding="utf-8", newline="\n") as file_object:
            file_object.write(text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def ReadJsonLines(path):
    """Reads psort json_line output."""
    records = []
    with open(path, "r", encoding="utf-8") as file_object:
        for line in file_object:
            if line.strip():
                records.append(json.loads(line))
    return records


def Labels(record):
    """Returns the labels of a json_line record ("tag" is an event_tag dict)."""
    tag = record.get("tag")
    if isinstance(tag, dict):
        labels = tag.get("labels") or []
    elif isinstance(tag, list):
        labels = tag
    else:
        labels = []
    return [str(label) for label in labels]


def _IsoTime(timestamp):
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    try:
        moment = epoch + datetime.timedelta(microseconds=int(timestamp or 0))
    except (OverflowError, ValueError, TypeError):
        moment = epoch
    return moment.isoformat(timespec="microseconds")


def _Scalar(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    return value


def TimesketchRecord(record):
    """Converts a psort json_line record into a Timesketch JSONL record.

    Timesketch needs message, datetime (ISO 8601) and timestamp_desc; tag is a
    list of labels. Scalars and lists of scalars are kept; nested containers
    (path specification, date and time values) are dropped.
    """
    converted = {}
    for key, value in record.items():
        if key in _TIMESKETCH_SKIPPED or key.startswith("__") or value is None:
            continue
        if isinstance(value, (str, int, float, bool)):
            converted[key] = _Scalar(value)
        elif isinstance(value, (list, tuple)) and all(
            isinstance(item, (str, int, float, bool)) for item in value
        ):
            converted[key] = [str(_Scalar(item)) for item in value]
    try:
        timestamp = int(record.get("timestamp") or 0)
    except (TypeError, ValueError):
        timestamp = 0
    converted["timestamp"] = timestamp
    converted["datetime"] = _IsoTime(timestamp)
    converted["timestamp_desc"] = str(record.get("timestamp_desc") or "Unknown Time")
    converted["message"] = str(
        record.get("message") or record.get("display_name") or ""
    )
    converted["tag"] = Labels(record)
    return converted


def WriteTimesketch(records, path):
    """Writes the Timesketch JSONL of psort json_line records."""
    WriteText(
        path,
        "".join(
            json.dumps(TimesketchRecord(record), sort_keys=True) + "\n"
            for record in records
        ),
    )


def WriteReports(document, output_directory, source):
    """Writes report.json, report.md, report.html and attack-layer.json."""
    for name, output_format in REPORT_FILES.items():
        WriteText(
            os.path.join(output_directory, name),
            render.Render(document, output_format, source=source),
        )
    layer = navigator.Render(
        document, name=f"NetSupport triage: {os.path.basename(source)}"[:200]
    )
    WriteText(
        os.path.join(output_directory, "attack-layer.json"),
        json.dumps(layer, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
    )
