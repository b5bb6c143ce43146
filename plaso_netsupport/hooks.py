"""Adds our timeliner, formatter and preset definitions to the stock tools.

plaso reads these definitions from files in its data directory and offers no
way to add more. We wrap the three readers so that, after plaso has read its
own files, our definitions are added. A stock definition is never overridden
or dropped: a data type or preset name that plaso already defines wins.

The wraps are idempotent: Install() may be called any number of times.
"""

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
