"""SVG timeline charts of the HTML report: geometry only, drawn by the template.

Each installation gets a chart scaled to its activity window (evidence of
the installation on this system); a last chart shows all evidence, where
archive and compile times preserved by the kit appear years earlier.
"""

import datetime

from plaso_netsupport.render import common

CATEGORY_COLOURS = {name: colour for name, _, colour in common.CATEGORIES}
_MICROSECONDS_PER_DAY = 86400 * 1000000
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def ParseTime(value):
    """ISO 8601 UTC string -> microseconds since 1970, or None."""
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def _TimeText(timestamp):
    moment = _EPOCH + datetime.timedelta(microseconds=timestamp)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _TickLabel(timestamp, span):
    text = _TimeText(timestamp)
    if span > 3 * 365 * _MICROSECONDS_PER_DAY:
        return text[:7]
    if span > 3 * _MICROSECONDS_PER_DAY:
        return text[:10]
    if span > 10 * 60 * 1000000:
        return text[5:16].replace("T", " ")
    return text[11:19]


def Chart(chart_id, title, bands, start, end, note=""):
    """Computes an SVG timeline: one band per group, one lane per category.

    Args:
      chart_id (str): id of the svg element (not from evidence).
      title (str): caption.
      bands (list[tuple[str, list[dict]]]): (caption, evidence) per band;
          evidence entries carry "timestamp" and "category".
      start, end (int): time range in microseconds.
      note (str): text under the chart.
    """
    categories = [name for name, _, _ in common.CATEGORIES]
    left, right, top, lane_height, band_gap, width = 200, 30, 40, 22, 30, 1180
    plot_width = width - left - right
    span = max(end - start, 1)
    chart = {
        "id": chart_id,
        "title": title,
        "note": note,
        "left": left,
        "top": top,
        "width": width,
        "plot_width": plot_width,
        "bands": [],
    }
    y = top
    for caption, evidence in bands:
        used = [
            name for name in categories if any(e["category"] == name for e in evidence)
        ]
        band = {"caption": caption, "y": y + 14, "lanes": []}
        y += band_gap
        for lane_name in used or ["install"]:
            lane = {
                "caption": common.CATEGORY_CAPTIONS[lane_name],
                "y": y + lane_height // 2,
                "marks": [],
            }
            for entry in evidence:
                if entry["category"] != lane_name:
                    continue
                if not start <= entry["timestamp"] <= end:
                    continue
                fraction = (entry["timestamp"] - start) / span
                lane["marks"].append(
                    {
                        "id": entry["id"],
                        "x": f"{left + fraction * plot_width:.1f}",
                        "colour": CATEGORY_COLOURS[lane_name],
                        "tooltip": f"{entry['id']} {entry['time']} "
                        f"{entry['timestamp_desc']}: {entry['summary'][:200]}",
                    }
                )
            band["lanes"].append(lane)
            y += lane_height
        chart["bands"].append(band)
        y += 8
    chart["axis_y"] = y + 6
    chart["height"] = y + 40
    chart["ticks"] = [
        {
            "x": f"{left + plot_width * step / 6:.1f}",
            "label": _TickLabel(start + span * step // 6, span),
            # The last label ends at the axis end: centred, it would be cut.
            "anchor": "end" if step == 6 else "middle",
        }
        for step in range(7)
    ]
    return chart


def _Window(first, last):
    """Pads an activity window by 5% (at least a minute) on each side."""
    padding = max((last - first) // 20, 60 * 1000000)
    return first - padding, last + padding


def Charts(installations, evidence):
    """Returns the charts: each installation's activity window, then everything."""
    dated = [entry for entry in evidence if entry["timestamp"] is not None]
    charts = []
    for installation in installations:
        mine = [e for e in dated if e["installation"] == installation["id"]]
        first = ParseTime(installation["activity"].get("first"))
        last = ParseTime(installation["activity"].get("last"))
        if not mine or first is None or last is None:
            continue
        start, end = _Window(first, last)
        outside = sum(1 for e in mine if not start <= e["timestamp"] <= end)
        note = ""
        if outside:
            note = (
                f"{outside:d} evidence entr{'y' if outside == 1 else 'ies'} of "
                f"{installation['id']} outside its activity window (archive or "
                f"compile times preserved by the kit, or earlier traces): see the "
                f"chart of all evidence below."
            )
        charts.append(
            Chart(
                f"chart-{installation['anchor']}",
                f"{installation['id']} activity window "
                f"{common.ShortTime(installation['activity'].get('first'))} .. "
                f"{common.ShortTime(installation['activity'].get('last'))}",
                [(installation["caption"], mine)],
                start,
                end,
                note,
            )
        )
    if dated:
        start = min(e["timestamp"] for e in dated)
        end = max(e["timestamp"] for e in dated)
        start, end = _Window(start, end)
        bands = [
            (i["caption"], [e for e in dated if e["installation"] == i["id"]])
            for i in installations
        ]
        unassigned = [
            e
            for e in dated
            if e["installation"] not in {i["id"] for i in installations}
        ]
        if unassigned:
            bands.append(("Not tied to an installation", unassigned))
        charts.append(
            Chart("chart-all", "All tagged NetSupport evidence", bands, start, end)
        )
    return charts
