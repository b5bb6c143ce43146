"""Reads the values of a plaso Windows EVTX record by name.

plaso keeps an EVTX record's EventData and UserData only as the raw event XML
(xml_string) and as an ordered list of values (strings). Values are read by
their Data Name from the XML, with a fallback to positions where the XML is
missing. The XML comes from the evidence: it is parsed with defusedxml, size
bounded, and a record that does not parse yields no values.
"""

from defusedxml import ElementTree

_NAMESPACE = "{http://schemas.microsoft.com/win/2004/08/events/event}"

# A record's XML is a few KiB; a PowerShell script block can be 32 KiB of text
# per record. Larger XML is not from Windows: skip it.
MAXIMUM_XML_SIZE = 1024 * 1024

# Positions of named values for records whose XML is unavailable.
_POSITIONS = {
    4688: (
        "SubjectUserSid",
        "SubjectUserName",
        "SubjectDomainName",
        "SubjectLogonId",
        "NewProcessId",
        "NewProcessName",
        "TokenElevationType",
        "ProcessId",
        "CommandLine",
        "TargetUserSid",
        "TargetUserName",
        "TargetDomainName",
        "TargetLogonId",
        "ParentProcessName",
        "MandatoryLabel",
    ),
    4672: (
        "SubjectUserSid",
        "SubjectUserName",
        "SubjectDomainName",
        "SubjectLogonId",
        "PrivilegeList",
    ),
    7045: ("ServiceName", "ImagePath", "ServiceType", "StartType", "AccountName"),
    7036: ("param1", "param2"),
    7035: ("param1", "param2"),
    7040: ("param1", "param2", "param3", "param4"),
    4104: ("MessageNumber", "MessageTotal", "ScriptBlockText", "ScriptBlockId", "Path"),
}


def EventValues(event_data):
    """Returns the named values of an EVTX record.

    Args:
      event_data (EventData): plaso event data of type windows:evtx:record.

    Returns:
      dict[str, str]: values by name: EventData Data names (unnamed ones as
          param1, param2, ...), UserData child elements, "Binary", and from
          the System part "Channel", "Provider_Name" and "Computer".
    """
    xml_string = getattr(event_data, "xml_string", None)
    if xml_string and len(xml_string) <= MAXIMUM_XML_SIZE:
        values = _ValuesFromXML(xml_string)
        if values is not None:
            return values
    return _ValuesFromStrings(event_data)


def _ValuesFromXML(xml_string):
    try:
        root = ElementTree.fromstring(xml_string)
    except Exception:  # pylint: disable=broad-except
        # Hostile or damaged XML (entities, truncation): no values.
        return None
    values = {}
    system = root.find(f"{_NAMESPACE}System")
    if system is not None:
        channel = system.find(f"{_NAMESPACE}Channel")
        if channel is not None and channel.text:
            values["Channel"] = channel.text
        computer = system.find(f"{_NAMESPACE}Computer")
        if computer is not None and computer.text:
            values["Computer"] = computer.text
        provider = system.find(f"{_NAMESPACE}Provider")
        if provider is not None:
            values["Provider_Name"] = provider.get("Name") or ""
    event_data = root.find(f"{_NAMESPACE}EventData")
    if event_data is not None:
        for index, element in enumerate(event_data.iter(f"{_NAMESPACE}Data")):
            name = element.get("Name") or f"param{index + 1:d}"
            values[name] = element.text or ""
        binary = event_data.find(f"{_NAMESPACE}Binary")
        if binary is not None and binary.text:
            values["Binary"] = binary.text
    user_data = root.find(f"{_NAMESPACE}UserData")
    if user_data is not None:
        for container in user_data:
            for element in container:
                name = element.tag.rpartition("}")[2]
                values[name] = element.text or ""
    return values


def _ValuesFromStrings(event_data):
    strings = getattr(event_data, "strings", None) or []
    names = _POSITIONS.get(getattr(event_data, "event_identifier", None), ())
    values = {}
    for index, value in enumerate(strings):
        name = names[index] if index < len(names) else f"param{index + 1:d}"
        values[name] = value or ""
    return values


def DecodeBinaryString(hex_string):
    """Decodes the UTF-16LE text that service events carry in Binary."""
    try:
        text = bytes.fromhex(hex_string).decode("utf-16-le", errors="replace")
    except (TypeError, ValueError):
        return ""
    return text.split("\x00", 1)[0]
