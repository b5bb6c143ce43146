"""Every output rendered from one hand-written findings document (schema 3).

tests/render_data/findings_v2.json holds a suspicious, a sanctioned and an
allowlisted installation, coverage with missing sources, evidence of every
source, Sigma rules, notes and hostile strings; findings_v2_none.json is a
source in which nothing was found. The renderers read only the document, so
these tests need no plaso run; the HTML is also checked as headless Chromium
renders it.
"""

import json
import os
import re

import pytest

from plaso_netsupport import render
from plaso_netsupport import storage
from plaso_netsupport.render import chart
from plaso_netsupport.render import html_report
from plaso_netsupport.render import markdown
from plaso_netsupport.render import navigator
from plaso_netsupport.render import text
from tests import scenario_cache
from tests.test_html_report import (
    IMG,
    SCRIPT,
    TITLE,
    AssertAnchorsResolve,
    AssertInert,
    DocumentTitle,
    DumpDom,
    Elements,
    needs_chromium,
)

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "render_data")


def Load(name="findings_v2.json"):
    """Returns a fixture document."""
    with open(os.path.join(DATA, name), encoding="utf-8") as file_object:
        return json.load(file_object)


@pytest.fixture(name="document")
def _Document():
    return Load()


@pytest.fixture(name="nothing")
def _Nothing():
    return Load("findings_v2_none.json")


def test_fixture_follows_the_schema(document):
    """The fixture is what the producer writes: ids resolve, lists sorted."""
    evidence_ids = [entry["id"] for entry in document["evidence"]]
    assert evidence_ids == [f"E{n}" for n in range(1, len(evidence_ids) + 1)]
    times = [entry["time"] for entry in document["evidence"]]
    assert times == sorted(times)
    assert [i["id"] for i in document["installations"]] == ["I1", "I2", "I3"]
    for installation in document["installations"]:
        for finding in installation["findings"]:
            assert set(finding["evidence"]) <= set(evidence_ids)
    sources = [entry["source"] for entry in document["coverage"]["sources"]]
    assert len(sources) == 13 and sources[0] == "file_system"
    assert {e["source"] for e in document["evidence"]} <= set(sources)


# Text.


def test_text_opens_with_coverage(document):
    output = text.Render(document, source="case.plaso")
    lines = output.splitlines()
    assert lines[:4] == [
        "NetSupport analysis report",
        "Source: case.plaso",
        "",
        "Coverage",
    ]
    assert lines[4] == (
        "  5278 events examined (2018-06-21T10:11:12.000000Z .. "
        "2026-03-12T00:00:00.000000Z) from 11 of 13 evidence sources; "
        "2 plaso extraction warning(s)."
    )
    assert "  [NO ] USN change journal: 0 events" in lines
    assert (
        "  missing: no Sysmon event log: process creation with hashes and network "
        "connections cannot be seen" in lines
    )
    assert output.index("Coverage") < output.index("I1 [SUSPICIOUS]")
    assert "I1 [SUSPICIOUS] C:\\ProgramData\\SchCache  (score 11)" in lines
    assert (
        "I2 [SANCTIONED] C:\\Program Files (x86)\\NetSupport\\NetSupport Manager"
        in output
    )
    assert "I3 [ALLOWLISTED] D:\\Tools\\NSM  (score 0)" in lines
    assert (
        "  archive times (preserved by the kit, not activity here): "
        "2018-06-21T10:11:12.000000Z .. 2018-06-21T10:11:12.000000Z" in lines
    )
    assert (
        "  executions: 2 (first 2026-03-10T09:43:30.000000Z, last "
        "2026-03-11T08:00:00.000000Z)" in lines
    )
    assert (
        "  + client binary renamed to fontdrvhost.exe (+3) [E14, E15, E20, E21]"
        in lines
    )


def test_text_says_what_was_examined_when_nothing_found(nothing):
    output = text.Render(nothing)
    assert (
        "No NetSupport installation found in what was examined; not examined: "
        "USN change journal, NTUSER.DAT hives, Amcache hive, Security event log, "
        "System event log, PowerShell event logs, Sysmon event log, Prefetch files, "
        "Shortcuts (LNK) and jump lists, PE executables." in output.splitlines()
    )
    assert "1232 events examined" in output
    assert "plaso extraction warnings: unknown" in output
    assert output.count("  missing: ") == 10


def test_text_timeline_is_compact(document):
    output = text.RenderTimeline(document)
    lines = output.splitlines()
    assert len(lines) <= 3 * len(document["evidence"])
    assert max(len(line) for line in lines) <= 110
    assert lines[0] == "2018-06-21 10:11:12  E1 I1  PE executables: Creation Time"
    # Entries that differ only in their time description share one line.
    document["evidence"][1]["time"] = document["evidence"][0]["time"]
    document["evidence"][1].update(
        {
            key: document["evidence"][0][key]
            for key in ("data_type", "summary", "labels", "installation")
        },
        timestamp_desc="Content Modification Time",
    )
    merged = text.RenderTimeline(document).splitlines()
    assert merged[0] == (
        "2018-06-21 10:11:12  E1,E2 I1  PE executables: Creation Time + "
        "Content Modification Time"
    )
    assert len(merged) == len(lines) - 3
    # The ever-present "netsupport" label is left out; the others are shown.
    assert "[attack_t1219_002 netsupport_suspicious]" in lines[2]
    assert text.ShortLabels(
        ["attack_t1036", "attack_t1036_003", "netsupport",
         "sigma_6917537f_7811_4e64_9cdc_ee7c58d2316d"]
    ) == ["attack_t1036_003", "sigma_6917537f…"]  # fmt: skip
    assert " netsupport " not in output


# JSON.


def test_json_is_the_document(document):
    output = render.Render(document, "json")
    assert json.loads(output) == document
    assert output == render.Render(Load(), "json")
    assert output.endswith("}\n")


# Markdown.


def test_markdown_keeps_evidence_in_code_spans(document):
    output = markdown.Render(document, source=SCRIPT)
    outside = re.sub(r"(`+) .*? \1", "", output)
    outside = re.sub(r'<a id="e\d+"></a>', "", outside)
    assert "<" not in outside, [line for line in outside.splitlines() if "<" in line]
    assert "[T1219.002](https://attack.mitre.org/techniques/T1219/002/)" in output
    assert "**bold**" not in outside and "\\*\\*bold\\*\\*" in output
    # Findings link to evidence anchors that exist.
    links = set(re.findall(r"\]\(#(e\d+)\)", output))
    anchors = set(re.findall(r'<a id="(e\d+)"></a>', output))
    assert links and links <= anchors


def test_markdown_opens_with_coverage(document, nothing):
    output = markdown.Render(document)
    assert output.index("## Coverage") < output.index("## I1 SUSPICIOUS")
    assert "| USN change journal | **no** | 0 |" in output
    output = markdown.Render(nothing)
    assert output.splitlines()[2].startswith(
        "**No NetSupport installation found in what was examined; not examined:"
    )


# HTML.


def test_html_is_inert_and_linked(document):
    output = html_report.Render(document, source=SCRIPT)
    AssertInert(output)
    AssertAnchorsResolve(output)
    assert "<script" not in output.lower() and "<img" not in output.lower()
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in output
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; '
        'style-src &#39;unsafe-inline&#39;; img-src data:">' in output
    )
    assert f"<title>{TITLE}</title>" in output
    # Every finding's evidence is a link to its row.
    for installation in document["installations"]:
        for finding in installation["findings"]:
            for identifier in finding["evidence"]:
                assert f'href="#evidence-{identifier}"' in output
    assert output.count('<tr id="evidence-E') == len(document["evidence"])


def test_html_autoescaping_is_on():
    environment = html_report._Environment()  # pylint: disable=protected-access
    assert environment.autoescape is True
    template = environment.from_string("{{ value }}")
    assert template.render(value=IMG) == (
        "&lt;img src=x onerror=document.title=&#39;pwned&#39;&gt;"
    )


def test_html_opens_with_coverage(document, nothing):
    output = html_report.Render(document)
    assert output.index('id="coverage"') < output.index('id="installations"')
    assert "<td>USN change journal</td><td>NO</td>" in output
    output = html_report.Render(nothing)
    assert (
        "No NetSupport installation found in what was examined; not examined: "
        in output
    )
    assert "1232 events examined" in output


def test_html_evidence_rows_show_summaries(document):
    output = html_report.Render(document)
    row = re.search(r'<tr id="evidence-E14">.*?</tr>', output, re.S).group(0)
    cleaned = row.replace("<wbr>", "")
    assert (
        "4688 new process C:\\ProgramData\\SchCache\\fontdrvhost.exe, parent" in cleaned
    )
    assert "<Event" not in output and "&lt;Event" not in output


def test_html_breaks_only_after_separators(document):
    """No mid-token breaks: <wbr> only after \\ / , ; = and no CSS break-all."""
    output = html_report.Render(document)
    assert "break-all" not in output and "overflow-wrap:anywhere" not in output
    positions = [match.start() for match in re.finditer("<wbr>", output)]
    assert positions
    for position in positions:
        assert output[position - 1] in "\\/,;=", output[position - 20 : position + 10]


def test_html_chart_scales_to_the_activity_window(document):
    output = html_report.Render(document)
    (svg,) = re.findall(r'<svg id="chart-I1".*?</svg>', output, re.S)
    ticks = re.findall(r'class="tick">([^<]+)<', svg)
    assert ticks[0].startswith("03-10") and ticks[-1].startswith("03-11"), ticks
    # The PE compile time of 2018 is outside the window and said so.
    assert "1 evidence entry of I1 outside its activity window" in output
    marks = re.findall(r'<a href="#evidence-(E\d+)"><circle', svg)
    assert "E1" not in marks and "E14" in marks
    (overview,) = re.findall(r'<svg id="chart-all".*?</svg>', output, re.S)
    assert (
        'href="#evidence-E1"' in overview and "Not tied to an installation" in overview
    )


def test_chart_window_padding():
    first = chart.ParseTime("2026-03-10T09:00:00.000000Z")
    assert first == 1773133200000000
    assert chart.ParseTime("not a time") is None and chart.ParseTime(None) is None


@needs_chromium
def test_chromium_renders_fixture_inert(document, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(html_report.Render(document, source=SCRIPT), encoding="utf-8")
    dom = DumpDom(path)
    assert "<script" not in dom.lower() and "<img" not in dom.lower()
    assert DocumentTitle(dom) == TITLE
    assert '<svg id="chart-I1"' in dom and '<svg id="chart-all"' in dom
    assert [tag for tag, _ in Elements(dom)].count("section") == 3


# ATT&CK Navigator layer.


def test_navigator_scores_by_kind_and_verdict(document):
    layer = navigator.Render(document)
    scores = {item["techniqueID"]: item["score"] for item in layer["techniques"]}
    counts = {
        item["techniqueID"]: int(item["metadata"][0]["value"])
        for item in layer["techniques"]
    }
    # One Run value of the suspicious installation outweighs many kit events.
    assert scores["T1547.001"] == 100 and counts["T1547.001"] == 2
    assert scores["T1219.002"] == 70 and counts["T1219.002"] == 20
    # Evidence of the sanctioned installation only: weak colour.
    assert scores["T1569.002"] == 10 and scores["T1543.003"] == 90
    # A log cleared, tied to no installation: weak factor.
    assert scores["T1070.001"] == 50
    assert layer["gradient"]["maxValue"] == 100
    assert layer["versions"]["layer"] == "4.5"
    assert all(re.match(r"^T\d{4}(\.\d{3})?$", t) for t in scores)


def test_navigator_of_nothing(nothing):
    layer = navigator.Render(nothing)
    assert layer["techniques"] == []


def test_render_dispatch_and_extensions(document):
    assert (
        render.FormatOfPath("x.HTML") == "html" and render.FormatOfPath("x.md") == "md"
    )
    assert render.FormatOfPath("x.pdf") is None
    with pytest.raises(ValueError):
        render.Render(document, "pdf")


# Every bundled scenario, rendered from its real findings document.


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("scenario", scenario_cache.Scenarios())
def test_every_scenario_renders(scenario):
    """The document of each bundled image renders in every format, inert and linked.

    The extraction and analysis are scenario_cache's, shared with the analysis
    and findings tests of the same session; rendering takes well under a second.
    """
    storage_file, _ = scenario_cache.Analysed(scenario)
    document = storage.ReadDocument(storage_file)
    output = html_report.Render(document, source=scenario)
    AssertInert(output)
    AssertAnchorsResolve(output)
    assert output.index('id="coverage"') < output.index('id="installations"')
    assert output.count('<tr id="evidence-') == len(document["evidence"])
    assert json.loads(render.Render(document, "json")) == document
    report = text.Render(document)
    assert report.splitlines()[2] == "Coverage"
    if not document["installations"]:
        assert "No NetSupport installation found in what was examined" in report
    markdown.Render(document)
    layer = navigator.Render(document)
    assert {t["techniqueID"] for t in layer["techniques"]} == set(
        document["techniques"]
    )
    assert len(text.RenderTimeline(document).splitlines()) <= 3 * max(
        len(document["evidence"]), 1
    )


def test_sigma_only_events_counted_with_examples_and_filter(document):
    """Schema 3: events tagged by Sigma alone show as count, examples, filter."""
    label = "sigma_8f0e1a2b_3c4d_4e5f_8a9b_0c1d2e3f4a5b"
    plain = text.Render(document, source="case.plaso")
    assert (
        "    2 of them tagged by Sigma rules alone, not in the evidence (2 examples)"
        in plain.splitlines()
    )
    assert f"      psort filter for all: tag contains '{label}'" in plain.splitlines()
    assert plain.count("      e.g. 2026-03-10 09:5") == 2
    page = html_report.Render(document, source="case.plaso")
    assert "onerror=alert(1)>" not in page and "&lt;img src=x" in page
    assert page.count("of them tagged by Sigma rules alone") == 1
    assert "tag contains &#39;" + label + "&#39;" in page
    notes = markdown.Render(document, source="case.plaso")
    assert "psort filter for all: tag contains 'sigma\\_8f0e1a2b" in notes
    # Examples as code spans, as every summary in Markdown.
    assert (
        "- 2026-03-10 09:50:00 ` event 4688, Security <img src=x onerror=alert(1)> `"
        in notes.splitlines()
    )
    # The ATT&CK layer keeps the technique of the Sigma-only events.
    assert navigator.Scores(document)["T1087.001"][1] == 2
    # No other rule claims Sigma-only events.
    assert [
        rule["id"] for rule in document["sigma_rules"] if rule["sigma_only_events"]
    ] == ["8f0e1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"]
