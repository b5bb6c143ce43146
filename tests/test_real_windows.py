"""Real Windows evidence without NetSupport: nothing tagged, no parser errors.

../shared/real-windows holds event logs, hives, prefetch files, shortcuts, a
change journal and Recycle Bin entries from plaso's own test data, recorded
on real systems. None holds a NetSupport trace.
"""

import os

import pytest

from plaso.storage import factory as storage_factory

from tests import plaso_run

REAL_WINDOWS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "..",
    "shared",
    "real-windows",
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.path.isdir(REAL_WINDOWS), reason="../shared/real-windows is absent"
    ),
]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    directory = tmp_path_factory.mktemp("real_windows")
    storage = str(directory / "real.plaso")
    plaso_run.Log2Timeline(
        storage, REAL_WINDOWS, "--parsers", "win7,netsupport", cwd=directory
    )
    plaso_run.Analyse(storage, cwd=directory)
    return directory, storage


def test_nothing_tagged(analysed):
    directory, storage = analysed
    records = plaso_run.JsonLines(
        storage,
        str(directory / "tagged.jsonl"),
        "tag contains 'netsupport'",
        cwd=directory,
    )
    assert records == []
    everything = plaso_run.JsonLines(
        storage, str(directory / "all.jsonl"), cwd=directory
    )
    data_types = {record["data_type"] for record in everything}
    # The analysis saw the kinds of evidence it examines.
    for data_type in ("windows:evtx:record", "windows:prefetch:execution", "fs:stat"):
        assert data_type in data_types


def test_no_warnings_from_our_code(analysed):
    _, storage = analysed
    reader = storage_factory.StorageFactory.CreateStorageReaderForFile(storage)
    try:
        warnings = [
            f"{warning.parser_chain}: {warning.message}"
            for container_type in ("extraction_warning", "analysis_warning")
            for warning in reader.GetAttributeContainers(container_type)
            if "netsupport" in str(getattr(warning, "parser_chain", "") or "")
            or getattr(warning, "plugin_name", None) == "netsupport"
        ]
        reports = [
            report.text
            for report in reader.GetAttributeContainers("analysis_report")
            if report.plugin_name == "netsupport"
        ]
    finally:
        reader.Close()
    assert warnings == []
    assert (
        reports and "No NetSupport traces found in the sources examined" in reports[-1]
    )
