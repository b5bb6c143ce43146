"""Sigma logsources and field names as pySigma's Windows and Sysmon pipelines define them.

Also: SigmaHQ's Windows rules (DRL 1.1, SigmaHQ contributors; read from
../shared/sigmahq-rules beside the clone) all load, or their refusal names
what cannot be evaluated.
"""

import collections
import glob
import os
import sys

import pytest
import yaml

from sigma.pipelines import common as pipeline_common
from sigma.pipelines.sysmon import sysmon as pipeline_sysmon
from sigma.pipelines.windows import windows as pipeline_windows

from plaso_netsupport import evtx
from plaso_netsupport.sigma import engine
from plaso_netsupport.sigma import logsources

DATA = os.path.join(os.path.dirname(__file__), "sigma_data")
sys.path.insert(0, DATA)
import evtx_events as ev  # noqa: E402  pylint: disable=wrong-import-position
import inline_rule  # noqa: E402  pylint: disable=wrong-import-position

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIGMAHQ_WINDOWS = os.environ.get(
    "PLASO_NETSUPPORT_SIGMAHQ_WINDOWS",
    os.path.join(os.path.dirname(REPOSITORY), "shared", "sigmahq-rules", "windows"),
)
needs_sigmahq = pytest.mark.skipif(
    not os.path.isdir(SIGMAHQ_WINDOWS),
    reason=f"SigmaHQ rules snapshot not found at {SIGMAHQ_WINDOWS}",
)

SYSMON = "Microsoft-Windows-Sysmon/Operational"
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# What a refusal of a SigmaHQ Windows rule may name: a Sigma feature the
# one-event-at-a-time evaluator cannot evaluate, or a category no event log
# records.
ACCEPTED_REFUSALS = (
    "correlation rules",
    "Sigma filters",
    "is recorded by Microsoft-Windows-Kernel-File ETW events, not by an event log",
)


def _AsList(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def test_services_are_the_pipeline_services():
    for service, channels in pipeline_common.windows_logsource_mapping.items():
        assert logsources.SERVICE_CHANNELS[service] == _AsList(channels), service
    extra = set(logsources.SERVICE_CHANNELS) - set(
        pipeline_common.windows_logsource_mapping
    )
    assert extra == set(logsources.SUPPLEMENTARY_SERVICES)


def test_sysmon_categories_are_the_pipeline_categories():
    mapping = pipeline_sysmon.sysmon_generic_logsource_eventid_mapping
    for category, identifiers in mapping.items():
        sysmon_targets = [
            ids
            for channel, ids in logsources.CATEGORY_EVENTS[category]
            if channel == SYSMON
        ]
        assert sysmon_targets == [set(_AsList(identifiers))], category


def test_powershell_and_audit_categories_are_the_pipeline_categories():
    for (
        category,
        info,
    ) in pipeline_windows.windows_generic_category_channel_mapping.items():
        expected = [
            (channel, {info["EventID"]})
            for channel in _AsList(
                pipeline_common.windows_logsource_mapping[info["service"]]
            )
        ]
        assert logsources.CATEGORY_EVENTS[category] == expected, category
    assert ("Security", {4688}) in logsources.CATEGORY_EVENTS["process_creation"]
    # Ours beyond the pipelines: 4689 for process_termination.
    assert logsources.CATEGORY_EVENTS["process_termination"][0] == ("Security", {4689})


def test_process_creation_names_are_the_windows_audit_field_mapping():
    """Field by field against pySigma's windows-audit pipeline."""
    mapping = None
    for item in pipeline_windows.windows_audit_pipeline().items:
        if item.identifier == "windows_audit_fieldmappings":
            mapping = item.transformation.mapping
    assert mapping
    # Details -> NewValue is for registry events (4657), which are not mapped.
    expected = {name: target for name, target in mapping.items() if name != "Details"}
    assert evtx.PROCESS_CREATION_ALIASES == expected

    fields = evtx.EvtxFields(
        ev.Process4688("C:\\x\\a.exe", "C:\\x\\b.exe", "a.exe -x", version=2)
    )
    for name, target in expected.items():
        assert fields[name] == fields[target]


def _Engine(tmp_path, logsource, detection):
    directory = inline_rule.WriteRuleDirectory(
        tmp_path,
        detection,
        logsource=logsource,
        title="Logsource Test Rule",
        identifier="2b0b4f34-5e5a-4a3c-9a1e-1d7c3b9f6a21",
    )
    sigma_engine = engine.SigmaEngine.FromDirectories([directory])
    assert sigma_engine.problems == [], sigma_engine.problems
    return sigma_engine


def test_data_names_with_spaces(tmp_path):
    event_data = ev.MakeEventData(
        "Microsoft-Windows-Windows Defender/Operational",
        1116,
        [
            ("Threat Name", "Trojan:Win32/NetSupport"),
            ("Process Name", "C:\\x\\client32.exe"),
            ("Source Name", "Real-Time Protection"),
        ],
        provider="Microsoft-Windows-Windows Defender",
    )
    fields = evtx.EvtxFields(event_data)
    assert fields["ThreatName"] == fields["Threat Name"] == "Trojan:Win32/NetSupport"
    assert fields["ProcessName"] == "C:\\x\\client32.exe"
    assert fields["SourceName"] == "Real-Time Protection"
    sigma_engine = _Engine(
        tmp_path,
        "service: windefend",
        "sel:\n    EventID: 1116\n    ThreatName|contains: 'NetSupport'\n"
        "condition: sel",
    )
    assert len(sigma_engine.MatchEventData(event_data)) == 1


def test_pipeline_corrections(tmp_path):
    """The behaviour changes the pipelines bring (docs/sigma.md lists them)."""
    file_delete = _Engine(
        tmp_path,
        "category: file_delete",
        "sel:\n    TargetFilename|endswith: '.log'\ncondition: sel",
    )
    for event_identifier, expected in ((23, 1), (26, 0)):
        event_data = ev.MakeEventData(
            SYSMON, event_identifier, [("TargetFilename", "C:\\x\\a.log")]
        )
        assert len(file_delete.MatchEventData(event_data)) == expected

    ps_script = _Engine(
        tmp_path,
        "category: ps_script",
        "sel:\n    ScriptBlockText|contains: 'client32'\ncondition: sel",
    )
    for channel in (
        "Microsoft-Windows-PowerShell/Operational",
        "PowerShellCore/Operational",
    ):
        event_data = ev.MakeEventData(
            channel, 4104, [("ScriptBlockText", "start client32.exe")],
            provider="PowerShellCore",
        )  # fmt: skip
        assert len(ps_script.MatchEventData(event_data)) == 1, channel


@needs_sigmahq
def test_every_sigmahq_windows_logsource_is_mapped():
    services, categories = collections.Counter(), collections.Counter()
    for path in glob.glob(os.path.join(SIGMAHQ_WINDOWS, "**", "*.yml"), recursive=True):
        with open(path, "r", encoding="utf-8") as file_object:
            for document in yaml.load_all(file_object, Loader=SAFE_LOADER):
                logsource = (document or {}).get("logsource") or {}
                if logsource.get("service"):
                    services[logsource["service"]] += 1
                if logsource.get("category"):
                    categories[logsource["category"]] += 1
    assert services and categories
    assert set(services) <= set(logsources.SERVICE_CHANNELS)
    assert set(categories) <= set(logsources.CATEGORY_EVENTS) | set(
        logsources.UNMAPPABLE_CATEGORIES
    )


@needs_sigmahq
def test_every_sigmahq_windows_rule_loads_or_names_the_feature():
    sigma_engine = engine.SigmaEngine.FromDirectories([SIGMAHQ_WINDOWS])
    rule_files = glob.glob(os.path.join(SIGMAHQ_WINDOWS, "**", "*.yml"), recursive=True)
    unexpected = [
        problem
        for problem in sigma_engine.problems
        if not any(reason in problem for reason in ACCEPTED_REFUSALS)
    ]
    assert unexpected == []
    assert len(sigma_engine.rules) + len(sigma_engine.problems) == len(rule_files)
    assert len(sigma_engine.rules) >= len(rule_files) - 10
