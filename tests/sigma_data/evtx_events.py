"""Builds plaso windows:evtx:record event data the way plaso's winevtx parser does."""

from xml.sax import saxutils

from plaso.containers import events

_NS = "http://schemas.microsoft.com/win/2004/08/events/event"

PROVIDERS = {
    "System": ("Service Control Manager", "{555908d1-a6d7-4695-8e1e-26931d2012f4}"),
    "Security": (
        "Microsoft-Windows-Security-Auditing",
        "{54849625-5478-4994-a5ba-3e3b0328c30d}",
    ),
    "Microsoft-Windows-PowerShell/Operational": (
        "Microsoft-Windows-PowerShell",
        "{a0c1853b-5c40-4b15-8766-3cf1c58f985a}",
    ),
    "Microsoft-Windows-Sysmon/Operational": (
        "Microsoft-Windows-Sysmon",
        "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}",
    ),
}

_RECORD = [1000]


def EventXml(
    channel,
    event_identifier,
    data,
    provider=None,
    computer="WS01.corp.local",
    binary=None,
    user_data=None,
):
    provider_name, guid = PROVIDERS.get(
        channel, (provider or "Test", "{00000000-0000-0000-0000-000000000000}")
    )
    if provider:
        provider_name = provider
    _RECORD[0] += 1
    parts = [
        f'<Event xmlns="{_NS}"><System>',
        f'<Provider Name="{saxutils.escape(provider_name)}" Guid="{guid}"/>',
        f"<EventID>{event_identifier}</EventID><Version>0</Version><Level>4</Level>",
        "<Task>0</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords>",
        '<TimeCreated SystemTime="2026-03-01T10:00:00.000000000Z"/>',
        f"<EventRecordID>{_RECORD[0]}</EventRecordID><Correlation/>",
        '<Execution ProcessID="4" ThreadID="8"/>',
        f"<Channel>{saxutils.escape(channel)}</Channel><Computer>{computer}</Computer>",
        '<Security UserID="S-1-5-18"/></System>',
    ]
    if user_data is not None:
        parts.append(
            '<UserData><LogFileCleared xmlns="http://manifests.microsoft.com/win/2004/08/windows/eventlog">'
        )
        for name, value in user_data:
            parts.append(f"<{name}>{saxutils.escape(value)}</{name}>")
        parts.append("</LogFileCleared></UserData>")
    else:
        parts.append("<EventData>")
        for name, value in data:
            if value is None or value == "":
                parts.append(f'<Data Name="{name}"/>' if name else "<Data/>")
            elif name:
                parts.append(f'<Data Name="{name}">{saxutils.escape(value)}</Data>')
            else:
                parts.append(f"<Data>{saxutils.escape(value)}</Data>")
        if binary:
            parts.append(f"<Binary>{binary}</Binary>")
        parts.append("</EventData>")
    parts.append("</Event>")
    return "".join(parts)


def MakeEventData(
    channel,
    event_identifier,
    data,
    provider=None,
    xml=True,
    binary=None,
    user_data=None,
    xml_string=None,
):
    """Returns EventData like plaso's WinEvtxRecordEventData.

    data: list of (name, value) in record order.
    """
    provider_name, guid = PROVIDERS.get(channel, (provider or "Test", None))
    if provider:
        provider_name = provider
    event_data = events.EventData(data_type="windows:evtx:record")
    event_data.event_identifier = event_identifier
    event_data.event_level = 4
    event_data.event_version = 0
    event_data.source_name = provider_name
    event_data.provider_identifier = guid
    event_data.hostname = "WS01.corp.local"
    event_data.message_identifier = event_identifier
    event_data.record_number = _RECORD[0]
    values = [value for _, value in (user_data or data)]
    strings = [None if value in (None, "") else value for value in values]
    if binary:
        strings.append(binary)
    event_data.strings = strings
    event_data.user_sid = "S-1-5-18"
    if xml_string is not None:
        event_data.xml_string = xml_string
    elif xml:
        event_data.xml_string = EventXml(
            channel,
            event_identifier,
            data,
            provider=provider,
            binary=binary,
            user_data=user_data,
        )
    else:
        event_data.xml_string = None
    return event_data


def Service7045(name, image_path, xml=True):
    return MakeEventData(
        "System",
        7045,
        [
            ("ServiceName", name),
            ("ImagePath", image_path),
            ("ServiceType", "user mode service"),
            ("StartType", "auto start"),
            ("AccountName", "LocalSystem"),
        ],
        xml=xml,
    )


def Service4697(name, file_name, xml=True):
    return MakeEventData(
        "Security",
        4697,
        [
            ("SubjectUserSid", "S-1-5-21-1-2-3-1001"),
            ("SubjectUserName", "bob"),
            ("SubjectDomainName", "CORP"),
            ("SubjectLogonId", "0x3e7"),
            ("ServiceName", name),
            ("ServiceFileName", file_name),
            ("ServiceType", "0x10"),
            ("ServiceStartType", "2"),
            ("ServiceAccount", "LocalSystem"),
        ],
        xml=xml,
    )


def ServiceControl(event_identifier, params, binary=None, xml=True):
    data = [(f"param{index + 1}", value) for index, value in enumerate(params)]
    return MakeEventData("System", event_identifier, data, binary=binary, xml=xml)


def Process4688(image, parent, command_line=None, xml=True, version=2):
    data = [
        ("SubjectUserSid", "S-1-5-21-1-2-3-1001"),
        ("SubjectUserName", "bob"),
        ("SubjectDomainName", "CORP"),
        ("SubjectLogonId", "0x1a2b3c"),
        ("NewProcessId", "0x1f4"),
        ("NewProcessName", image),
        ("TokenElevationType", "%%1938"),
        ("ProcessId", "0x3e8"),
    ]
    if version >= 1:
        data.append(
            ("CommandLine", command_line if command_line is not None else f'"{image}"')
        )
    if version >= 2:
        data.extend(
            [
                ("TargetUserSid", "S-1-0-0"),
                ("TargetUserName", "-"),
                ("TargetDomainName", "-"),
                ("TargetLogonId", "0x0"),
                ("ParentProcessName", parent),
                ("MandatoryLabel", "S-1-16-8192"),
            ]
        )
    return MakeEventData("Security", 4688, data, xml=xml)


def Sysmon1(image, parent, original_file_name, command_line=""):
    return MakeEventData(
        "Microsoft-Windows-Sysmon/Operational",
        1,
        [
            ("RuleName", "-"),
            ("UtcTime", "2026-03-01 10:00:00.000"),
            ("ProcessGuid", "{11111111-1111-1111-1111-111111111111}"),
            ("ProcessId", "500"),
            ("Image", image),
            ("FileVersion", "14.10"),
            ("Description", "NetSupport Client Application"),
            ("Product", "NetSupport Remote Control"),
            ("Company", "NetSupport Ltd"),
            ("OriginalFileName", original_file_name),
            ("CommandLine", command_line),
            ("CurrentDirectory", "C:\\"),
            ("User", "CORP\\bob"),
            ("IntegrityLevel", "Medium"),
            ("ParentImage", parent),
        ],
    )


def ScriptBlock4104(text, xml=True):
    return MakeEventData(
        "Microsoft-Windows-PowerShell/Operational",
        4104,
        [
            ("MessageNumber", "1"),
            ("MessageTotal", "1"),
            ("ScriptBlockText", text),
            ("ScriptBlockId", "8a1d0f6e-1111-2222-3333-444455556666"),
            ("Path", ""),
        ],
        xml=xml,
    )


def LogCleared1102(xml=True):
    return MakeEventData(
        "Security",
        1102,
        [],
        provider="Microsoft-Windows-Eventlog",
        user_data=[
            ("SubjectUserSid", "S-1-5-21-1-2-3-1001"),
            ("SubjectUserName", "bob"),
            ("SubjectDomainName", "CORP"),
            ("SubjectLogonId", "0x1a2b3c"),
        ],
        xml=xml,
    )


def LogCleared104(xml=True):
    return MakeEventData(
        "System",
        104,
        [],
        provider="Microsoft-Windows-Eventlog",
        user_data=[
            ("SubjectUserName", "bob"),
            ("SubjectDomainName", "CORP"),
            ("Channel", "Application"),
            ("BackupPath", ""),
        ],
        xml=xml,
    )
