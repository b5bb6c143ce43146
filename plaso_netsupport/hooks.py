"""Adds our timeliner, formatter and preset definitions to the stock tools.

plaso reads these definitions from files in its data directory and offers no
way to add more. We wrap the three readers so that, after plaso has read its
own files, our definitions are added. A stock definition is never overridden
or dropped: a data type or preset name that plaso already defines wins.

The wraps are idempotent: Install() may be called any number of times.

Tag storage (InstallAnalysis, psort's main process only): a re-analysis of a
storage file must leave what pinfo shows as after one analysis. plaso 20260720
appends a new analysis report per run and adds every merged tag's labels to
the stored per-label counts (event_label_count) even when the event already
carried them, so a second run doubled the counts. Our wrap of the merge
updates the stored netsupport report in place instead of adding another,
counts only labels an event did not yet have, and fills in the coverage facts
only the storage file knows (its extraction warnings, a targeted extraction).
"""

import collections
import os
import sys

from plaso.engine import timeliner
from plaso.engine import yaml_timeliner_file
from plaso.parsers import presets
from plaso.storage import writer as storage_writer

_PARSERS_DIRECTORY = os.path.join(os.path.dirname(__file__), "parsers")

TIMELINER_FILE = os.path.join(_PARSERS_DIRECTORY, "timeliner.yaml")
FORMATTERS_FILE = os.path.join(_PARSERS_DIRECTORY, "formatters.yaml")
PRESETS_FILE = os.path.join(_PARSERS_DIRECTORY, "presets.yaml")

# Our parsers join these stock presets, so that a default log2timeline run on
# a Windows image (win7 and winxp include win_gen) runs them.
WINDOWS_PRESETS = ("win_gen",)

# Our parsers without the netsupport_ prefix (they serve any case, not only
# NetSupport ones); they join the Windows presets too.
GENERIC_PARSERS = ("pe_version_info",)

_MARKER = "_plaso_netsupport_wrapped"


def _Wrap(cls, name, make_wrapper):
    """Replaces cls.name by make_wrapper(original), once."""
    original = getattr(cls, name)
    if getattr(original, _MARKER, False):
        return
    wrapper = make_wrapper(original)
    setattr(wrapper, _MARKER, True)
    wrapper.__doc__ = original.__doc__
    wrapper.__name__ = original.__name__
    setattr(cls, name, wrapper)


def AddTimelinerDefinitions(event_data_timeliner):
    """Adds our timeliner definitions to a timeliner, without overriding."""
    reader = yaml_timeliner_file.YAMLTimelinerConfigurationFile()
    for definition in reader.ReadFromFile(TIMELINER_FILE):
        if definition.data_type in event_data_timeliner._attribute_mappings:
            continue
        event_data_timeliner._attribute_mappings[definition.data_type] = (
            definition.attribute_mappings
        )
        if definition.place_holder_event:
            event_data_timeliner._place_holder_event.add(definition.data_type)


def AddMessageFormatters(mediator):
    """Adds our message formatters to an output mediator, without overriding."""
    # pylint: disable=import-outside-toplevel
    from plaso.formatters import manager as formatters_manager
    from plaso.formatters import yaml_formatters_file

    reader = yaml_formatters_file.YAMLFormattersFile()
    for message_formatter in reader.ReadFromFile(FORMATTERS_FILE):
        if message_formatter.data_type in mediator._message_formatters:
            continue
        for identifier in message_formatter.custom_helpers:
            helper = formatters_manager.FormattersManager.GetEventFormatterHelper(
                identifier
            )
            if helper:
                message_formatter.AddHelper(helper)
        mediator._message_formatters[message_formatter.data_type] = message_formatter
        mediator._source_mappings[message_formatter.data_type] = (
            message_formatter.source_mapping
        )


def AddPresets(presets_manager):
    """Adds our presets and joins our parsers to the Windows presets."""
    with open(PRESETS_FILE, "r", encoding="utf-8") as file_object:
        our_presets = list(presets_manager._ReadPresetsFromFileObject(file_object))

    for preset in our_presets:
        presets_manager._definitions.setdefault(preset.name, preset)

    our_parsers = [
        name
        for preset in our_presets
        if preset.name == "netsupport"
        for name in preset.parsers
        if name.startswith("netsupport_") or name in GENERIC_PARSERS
    ]
    for preset_name in WINDOWS_PRESETS:
        preset = presets_manager._definitions.get(preset_name)
        if preset is None:
            continue
        for name in our_parsers:
            if name not in preset.parsers:
                preset.parsers.append(name)


def _MakeReadConfigurationFile(original):
    def _ReadConfigurationFile(self):
        original(self)
        AddTimelinerDefinitions(self)

    return _ReadConfigurationFile


def _MakeReadFromDirectory(original):
    def ReadMessageFormattersFromDirectory(self, path):
        original(self, path)
        AddMessageFormatters(self)

    return ReadMessageFormattersFromDirectory


def _MakeReadFromFile(original):
    def ReadMessageFormattersFromFile(self, path, override_existing=False):
        original(self, path, override_existing=override_existing)
        if not override_existing:
            # plaso's own formatters.yaml; a custom file comes with override.
            AddMessageFormatters(self)

    return ReadMessageFormattersFromFile


def _MakeReadPresets(original):
    def ReadFromFile(self, path):
        original(self, path)
        AddPresets(self)

    return ReadFromFile


def _MakeAddOrUpdateEventTag(original):
    def AddOrUpdateEventTag(self, event_tag):
        # plaso 20260720 tests the subset the wrong way round and drops the new
        # labels of a re-analysis whose labels are a superset of the stored
        # ones. Merge them ourselves, then let plaso do its bookkeeping.
        existing = self._GetCachedEventTag(event_tag.GetEventIdentifier())
        if existing is not None and not set(event_tag.labels).issubset(existing.labels):
            existing.AddLabels(event_tag.labels)
            self._store.UpdateAttributeContainer(existing)
        original(self, event_tag)

    return AddOrUpdateEventTag


# Our artifact definition for a targeted (--fast) extraction.
TARGETED_ARTIFACT = "NetSupportTriage"
_REPORT_CONTAINER_TYPE = "analysis_report"
_EVENT_TAG_CONTAINER_TYPE = "event_tag"


class _MergeWriter:
    """The storage writer as the analysis merge sees it (psort main process).

    Delegates everything to the real writer except adding our analysis
    report (which replaces the stored one) and merging event tags (whose
    labels already on the event are remembered, not to be counted again).
    """

    def __init__(self, storage_writer):
        self._storage_writer = storage_writer
        self.repeated_labels = collections.Counter()

    def __getattr__(self, name):
        return getattr(self._storage_writer, name)

    def AddOrUpdateEventTag(self, event_tag):
        """Merges an event tag, remembering the labels it already had."""
        existing = self._storage_writer._GetCachedEventTag(
            event_tag.GetEventIdentifier()
        )
        if existing is not None:
            for label in set(event_tag.labels).intersection(existing.labels):
                self.repeated_labels[label] += 1
        self._storage_writer.AddOrUpdateEventTag(event_tag)

    def AddAttributeContainer(self, container):
        """Adds a container; our report replaces the stored one."""
        if (
            container.CONTAINER_TYPE != _REPORT_CONTAINER_TYPE
            or getattr(container, "plugin_name", None) != "netsupport"
        ):
            self._storage_writer.AddAttributeContainer(container)
            return
        container.text = _CompleteReportText(self._storage_writer, container.text)
        stored = [
            report
            for report in self._storage_writer.GetAttributeContainers(
                _REPORT_CONTAINER_TYPE
            )
            if report.plugin_name == "netsupport"
        ]
        if not stored:
            self._storage_writer.AddAttributeContainer(container)
            return
        # The newest stored report (readers take the last) becomes this one.
        current = stored[-1]
        for name in ("text", "time_compiled", "event_filter", "analysis_counter"):
            setattr(current, name, getattr(container, name, None))
        if not _UpdateStoredReport(self._storage_writer, current):
            self._storage_writer.AddAttributeContainer(container)


def _UpdateStoredReport(storage_writer, report):
    """Rewrites a stored analysis report; returns False when it cannot.

    acstore can update only containers with a SCHEMA, and plaso's reports
    have none: they are one serialised (and maybe compressed) _data column.
    This writes that column as plaso's SQLite store writes a new one
    (plaso/storage/sqlite/sqlite_file.py _WriteNewAttributeContainer).
    """
    # pylint: disable=protected-access
    store = getattr(storage_writer, "_store", None)
    cursor = getattr(store, "_cursor", None)
    identifier = report.GetIdentifier()
    if (
        cursor is None
        or identifier is None
        or not hasattr(store, "_SerializeAttributeContainer")
    ):
        return False
    import sqlite3  # pylint: disable=import-outside-toplevel
    import zlib  # pylint: disable=import-outside-toplevel

    from plaso.lib import definitions  # pylint: disable=import-outside-toplevel

    store._CommitWriteCache(_REPORT_CONTAINER_TYPE)
    serialized_data = store._SerializeAttributeContainer(report)
    if store.compression_format == definitions.COMPRESSION_FORMAT_ZLIB:
        serialized_data = sqlite3.Binary(zlib.compress(serialized_data))
    try:
        cursor.execute(
            f"UPDATE {_REPORT_CONTAINER_TYPE:s} SET _data = ? WHERE _identifier = ?",
            (serialized_data, identifier.sequence_number),
        )
    except sqlite3.Error:
        return False
    return cursor.rowcount == 1


def _CompleteReportText(storage_writer, text):
    """Fills the coverage facts of the storage file into our report text."""
    # pylint: disable=import-outside-toplevel
    from plaso_netsupport import knowledge
    from plaso_netsupport.analysis import findings

    targeted = False
    for session in storage_writer.GetSessions():
        artifact_filters = getattr(session, "artifact_filters", None) or []
        if isinstance(artifact_filters, str):
            artifact_filters = artifact_filters.split(",")
        if TARGETED_ARTIFACT in [name.strip() for name in artifact_filters]:
            targeted = True
    warnings = storage_writer.GetNumberOfAttributeContainers("extraction_warning")
    return findings.ReplaceCoverageFacts(
        text,
        knowledge.Load().technique_names,
        extraction_warnings=warnings,
        targeted=targeted,
    )


def _MakeMergeAttributeContainers(original):
    def _MergeAttributeContainers(self, storage_writer, merge_helper):
        merge_writer = _MergeWriter(storage_writer)
        number_of_containers = original(self, merge_writer, merge_helper)
        # The engine adds these counts to the stored event_label_count.
        counter = self._event_labels_counter
        for label, repeated in merge_writer.repeated_labels.items():
            counter[label] -= repeated
            counter["total"] -= repeated
        for label in [label for label, count in counter.items() if count <= 0]:
            del counter[label]
        return number_of_containers

    return _MergeAttributeContainers


def InstallAnalysis():
    """Wraps psort's analysis merge (tag storage); safe to call more than once."""
    from plaso.multi_process import (
        analysis_engine,
    )  # pylint: disable=import-outside-toplevel

    _Wrap(
        analysis_engine.AnalysisMultiProcessEngine,
        "_MergeAttributeContainers",
        _MakeMergeAttributeContainers,
    )


def InstallOutput():
    """Adds our message formatters to psort's output; call once plaso.output is
    imported (plaso_netsupport_autoload does, as do Install() and the tests)."""
    from plaso.output import (
        mediator as output_mediator,
    )  # pylint: disable=import-outside-toplevel

    _Wrap(
        output_mediator.OutputMediator,
        "ReadMessageFormattersFromDirectory",
        _MakeReadFromDirectory,
    )
    _Wrap(
        output_mediator.OutputMediator,
        "ReadMessageFormattersFromFile",
        _MakeReadFromFile,
    )


def Install():
    """Installs all wraps; safe to call more than once.

    The output wraps are installed now only if plaso's output is already
    imported: extraction workers never need it.
    """
    _Wrap(
        timeliner.EventDataTimeliner,
        "_ReadConfigurationFile",
        _MakeReadConfigurationFile,
    )
    _Wrap(presets.ParserPresetsManager, "ReadFromFile", _MakeReadPresets)
    _Wrap(storage_writer.StorageWriter, "AddOrUpdateEventTag", _MakeAddOrUpdateEventTag)
    if "plaso.output.mediator" in sys.modules:
        InstallOutput()
    if "plaso.multi_process.analysis_engine" in sys.modules:
        InstallAnalysis()
