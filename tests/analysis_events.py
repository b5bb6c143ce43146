"""Builds plaso events for the analysis unit tests, with plaso's own containers.

Each builder returns a list of (event, event data, event data stream) triples,
the arguments of Collector.Collect(), made from plaso's real event data
classes (or, for the PE version information of the sibling parser, plaso's
generic EventData with that parser's attributes) and dfVFS path specs.
"""

import calendar
import datetime
import itertools
from xml.sax import saxutils

from dfvfs.lib import definitions as dfvfs_definitions
from dfvfs.path import factory as path_spec_factory
from plaso.containers import events
from plaso.parsers import pe
from plaso.parsers import winevtx
from plaso.parsers import winlnk
from plaso.parsers import winprefetch
from plaso.parsers.winreg_plugins import amcache
from plaso.parsers.winreg_plugins import run
from plaso.parsers.winreg_plugins import services

from plaso_netsupport import knowledge as knowledge_module
from plaso_netsupport.analysis import collector
from plaso_netsupport.analysis import correlate
from plaso_netsupport.parsers import client32_ini
from plaso_netsupport.parsers import nsm_lic

_counter = itertools.count(1)


def Timestamp(text):
    """Returns the plaso timestamp of "YYYY-MM-DD HH:MM:SS" (UTC)."""
    moment = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    return calendar.timegm(moment.timetuple()) * 1000000


def _Event(time, description):
    event = events.EventObject()
    event.timestamp = Timestamp(time)
    event.timestamp_desc = description
    return event


def _Stream(location):
    if not location:
        return None
    os_path_spec = path_spec_factory.Factory.NewPathSpec(
        dfvfs_definitions.TYPE_INDICATOR_OS, location="/images/test.raw"
    )
    tsk_path_spec = path_spec_factory.Factory.NewPathSpec(
        dfvfs_definitions.TYPE_INDICATOR_TSK, location=location, parent=os_path_spec
    )
    stream = events.EventDataStream()
    stream.path_spec = tsk_path_spec
    return stream


def _Triples(event_data, times, location=None):
    stream = _Stream(location)
    return [
        (_Event(time, description), event_data, stream) for time, description in times
    ]


def File(path, created="2026-03-10 09:42:10", modified=None, **attributes):
    """fs:stat events of a file (TSK path, forward slashes, as plaso gives it)."""
    event_data = events.EventData(data_type="fs:stat")
    event_data.filename = path.replace("\\", "/")
    event_data.file_entry_type = attributes.pop("file_entry_type", "file")
    event_data.is_allocated = attributes.pop("is_allocated", True)
    event_data.inode = attributes.pop("inode", next(_counter))
    for name, value in attributes.items():
        setattr(event_data, name, value)
    times = [(created, "Creation Time")]
    if modified:
        times.append((modified, "Content Modification Time"))
    return _Triples(event_data, times)


def DllImport(path, dll_name, time="2019-10-11 14:26:55"):
    """pe_coff:dll_import of a PE file."""
    event_data = pe.PEDLLImportEventData()
    event_data.name = dll_name
    event_data.delayed_import = False
    return _Triples(event_data, [(time, "Content Modification Time")], path)


def PEFile(path, imphash, time="2019-10-11 14:26:55"):
    """pe_coff:file of a PE file (imphash)."""
    event_data = pe.PEFileEventData()
    event_data.imphash = imphash
    event_data.pe_type = "Executable (EXE)"
    return _Triples(event_data, [(time, "Creation Time")], path)


def VersionInfo(path, time="2019-10-11 14:30:00", **values):
    """netsupport:pe:version_info of a PE file (see briefs/pe-fields.md)."""
    event_data = events.EventData(data_type="netsupport:pe:version_info")
    for name in (
        "company_name",
        "product_name",
        "file_description",
        "original_filename",
        "internal_name",
        "signer_common_name",
        "signer_subject",
    ):
        setattr(event_data, name, values.get(name))
    event_data.signature_status = values.get("signature_status", "unsigned")
    return _Triples(event_data, [(time, "Signing Time")], path)


def Prefetch(executable, path_hint, mapped_files, runs):
    """windows:prefetch:execution with one event per run time."""
    event_data = winprefetch.WinPrefetchExecutionEventData()
    event_data.executable = executable
    event_data.path_hints = [path_hint] if path_hint else []
    event_data.mapped_files = mapped_files
    event_data.run_count = len(runs)
    times = [(runs[0], "Last Time Executed")]
    times += [(time, "Previous Last Time Executed") for time in runs[1:]]
    return _Triples(event_data, times)


def Amcache(full_path, time="2026-03-10 09:43:40", **values):
    """windows:registry:amcache file entry."""
    event_data = amcache.AMCacheFileEventData()
    event_data.full_path = full_path
    for name, value in values.items():
        setattr(event_data, name, value)
    return _Triples(event_data, [(time, "Last Written Time")])


def RunKey(key_path, name, command, time="2026-03-10 09:42:20"):
    """windows:registry:run value."""
    event_data = run.RunKeyEventData()
    event_data.key_path = key_path
    event_data.entries = [f"{name}: {command}"]
    return _Triples(event_data, [(time, "Content Modification Time")])


def Service(name, image_path, display_name=None, time="2025-11-18 15:02:05"):
    """windows:registry:service key."""
    event_data = services.WindowsRegistryServiceEventData()
    event_data.name = name
    event_data.image_path = image_path
    event_data.key_path = f"HKEY_LOCAL_MACHINE\\System\\ControlSet001\\Services\\{name}"
    if display_name:
        event_data.values = [
            {"name": "DisplayName", "data_type": "REG_SZ", "data": display_name}
        ]
    return _Triples(event_data, [(time, "Content Modification Time")])


def Link(location, target, time="2026-02-03 13:05:51"):
    """windows:lnk:link shortcut."""
    event_data = winlnk.WinLnkLinkEventData()
    event_data.local_path = target
    return _Triples(event_data, [(time, "Creation Time")], location)


def Config(path, time="2026-03-10 09:42:10", **values):
    """netsupport:client32_ini:config as our parser makes it."""
    event_data = client32_ini.NetSupportClient32ConfigEventData()
    event_data.path = path
    for name, value in values.items():
        setattr(event_data, name, value)
    return _Triples(event_data, [(time, "Configuration File Creation Time")])


def Licence(path, licensee, serial_no, time="2026-03-10 09:42:10"):
    """netsupport:nsm_lic:licence as our parser makes it."""
    event_data = nsm_lic.NetSupportLicenceEventData()
    event_data.path = path
    event_data.licensee = licensee
    event_data.serial_no = serial_no
    return _Triples(event_data, [(time, "Licence File Creation Time")])


def EventLog(event_identifier, channel, data, time, computer="WS01", provider=None):
    """windows:evtx:record with the XML of a real record of that kind."""
    provider = (
        provider
        or {
            "Security": "Microsoft-Windows-Security-Auditing",
            "System": "Service Control Manager",
            "Microsoft-Windows-PowerShell/Operational": "Microsoft-Windows-PowerShell",
        }[channel]
    )
    data_xml = "".join(
        f'<Data Name="{name}">{saxutils.escape(str(value))}</Data>'
        for name, value in data.items()
    )
    xml_string = (
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">'
        f'<System><Provider Name="{provider}"/><EventID>{event_identifier}</EventID>'
        f"<Channel>{channel}</Channel><Computer>{computer}</Computer></System>"
        f"<EventData>{data_xml}</EventData></Event>"
    )
    event_data = winevtx.WinEvtxRecordEventData()
    event_data.event_identifier = event_identifier
    event_data.source_name = provider
    event_data.xml_string = xml_string
    event_data.strings = [str(value) for value in data.values()]
    event_data.record_number = next(_counter)
    return _Triples(event_data, [(time, "Creation Time")])


def Process(image, parent, pid, parent_pid, time, logon_id="0x3a1f2", **extra):
    """Security 4688 (version 2) process creation."""
    data = {
        "SubjectUserSid": "S-1-5-21-1-2-3-1001",
        "SubjectUserName": "user",
        "SubjectDomainName": "WS01",
        "SubjectLogonId": logon_id,
        "NewProcessId": hex(pid),
        "NewProcessName": image,
        "TokenElevationType": "%%1938",
        "ProcessId": hex(parent_pid),
        "CommandLine": extra.pop("command_line", f'"{image}"'),
        "TargetUserSid": "S-1-0-0",
        "TargetLogonId": "0x0",
        "ParentProcessName": parent,
        "MandatoryLabel": "S-1-16-8192",
    }
    return EventLog(4688, "Security", data, time, **extra)


def ProcessExit(image, pid, time):
    """Security 4689 process exit."""
    data = {
        "SubjectUserSid": "S-1-5-21-1-2-3-1001",
        "SubjectLogonId": "0x3a1f2",
        "Status": "0x0",
        "ProcessId": hex(pid),
        "ProcessName": image,
    }
    return EventLog(4689, "Security", data, time)


def Logoff(logon_id, time, event_identifier=4634):
    """Security 4634 / 4647 logoff."""
    data = {"TargetUserSid": "S-1-5-21-1-2-3-1001", "TargetLogonId": logon_id}
    return EventLog(event_identifier, "Security", data, time)


def ScriptBlock(text, time):
    """PowerShell 4104 script block."""
    data = {
        "MessageNumber": 1,
        "MessageTotal": 1,
        "ScriptBlockText": text,
        "ScriptBlockId": "7e1b1e4c-0000-0000-0000-000000000000",
        "Path": "",
    }
    return EventLog(4104, "Microsoft-Windows-PowerShell/Operational", data, time)


def Collect(*groups, sigma_engine=None):
    """Returns a Collector that has seen the events of the groups, in time order."""
    triples = [triple for group in groups for triple in group]
    triples.sort(key=lambda triple: triple[0].timestamp)
    known = knowledge_module.Load()
    instance = collector.Collector(known, sigma_engine=sigma_engine)
    for event, event_data, stream in triples:
        instance.Collect(event, event_data, stream)
    return instance


def Analyse(*groups, allowlist=None, today=datetime.date(2026, 6, 1)):
    """Collects, correlates and judges; returns (correlator, evidence)."""
    instance = Collect(*groups)
    correlator = correlate.Correlator(knowledge_module.Load(), allowlist=allowlist)
    evidence = correlator.Correlate(list(instance.items.values()))
    correlator.Judge(today=today)
    return correlator, evidence
