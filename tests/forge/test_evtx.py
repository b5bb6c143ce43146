"""Tests of the EVTX writer against libevtx (pyevtx) and python-evtx."""

import base64
import datetime
import io
import struct
import xml.etree.ElementTree as ElementTree

import Evtx.Evtx as python_evtx
import pyevtx
import pytest

from . import evtx

UTC = datetime.timezone.utc
T0 = datetime.datetime(2024, 5, 14, 9, 30, 0, 123456, tzinfo=UTC)
EVENTLOG_NS = "http://manifests.microsoft.com/win/2004/08/windows/eventlog"
SCM_GUID = "{555908d1-a6d7-4695-8e1e-26931d2012f4}"
SECURITY_GUID = "{54849625-5478-4994-a5ba-3e3b0328c30d}"
POWERSHELL_GUID = "{a0c1853b-5c40-4b15-8766-3cf1c58f985a}"


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def system_records():
    scm = {
        "provider": "Service Control Manager",
        "provider_guid": SCM_GUID,
        "event_source_name": "Service Control Manager",
        "qualifiers": 16384,
        "keywords": 0x8080000000000000,
        "process_id": 652,
        "thread_id": 4120,
    }
    return [
        {
            **scm,
            "event_id": 7045,
            "time": at(0),
            "security_user_id": "S-1-5-21-3623811015-3361044348-30300820-1013",
            "data": {
                "ServiceName": "Client32",
                "ImagePath": "C:\\ProgramData\\Sup\\client32.exe /* ü",
                "ServiceType": "user mode service",
                "StartType": "auto start",
                "AccountName": "LocalSystem",
            },
        },
        {
            **scm,
            "event_id": 7036,
            "time": at(1),
            "data": {"param1": "Client32", "param2": "running"},
            "binary": "Client32/4".encode("utf-16-le"),
        },
        {
            "event_id": 104,
            "provider": "Microsoft-Windows-Eventlog",
            "provider_guid": "{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}",
            "time": at(2),
            "level": 4,
            "keywords": 0x8000000000000000,
            "security_user_id": "S-1-5-18",
            "user_data": {
                "element": "LogFileCleared",
                "namespace": EVENTLOG_NS,
                "fields": {
                    "SubjectUserName": "admin",
                    "SubjectDomainName": "WKS-01",
                    "Channel": "System",
                    "BackupPath": "",
                },
            },
        },
    ]


def security_records():
    security = {
        "provider": "Microsoft-Windows-Security-Auditing",
        "provider_guid": SECURITY_GUID,
        "keywords": 0x8020000000000000,
        "process_id": 4,
        "thread_id": 8,
    }
    return [
        {
            **security,
            "event_id": 4688,
            "version": 2,
            "task": 13312,
            "time": at(10),
            "record_number": 1001,
            "data": {
                "SubjectUserSid": "S-1-5-18",
                "SubjectUserName": "WKS-01$",
                "SubjectDomainName": "WORKGROUP",
                "SubjectLogonId": "0x3e7",
                "NewProcessId": "0x1a2c",
                "NewProcessName": "C:\\ProgramData\\Sup\\client32.exe",
                "TokenElevationType": "%%1936",
                "ProcessId": "0x2b0",
                "CommandLine": "",
                "TargetUserSid": "S-1-0-0",
                "TargetUserName": "-",
                "TargetDomainName": "-",
                "TargetLogonId": "0x0",
                "ParentProcessName": "C:\\Windows\\System32\\services.exe",
                "MandatoryLabel": "S-1-16-16384",
            },
        },
        {
            **security,
            "event_id": 4672,
            "task": 12548,
            "time": at(11),
            "record_number": 1002,
            "data": {
                "SubjectUserSid": "S-1-5-18",
                "SubjectUserName": "SYSTEM",
                "SubjectDomainName": "NT AUTHORITY",
                "SubjectLogonId": "0x3e7",
                "PrivilegeList": "SeAssignPrimaryTokenPrivilege\n\t\t\tSeTcbPrivilege",
            },
        },
        {
            "event_id": 1102,
            "provider": "Microsoft-Windows-Eventlog",
            "provider_guid": "{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}",
            "time": at(12),
            "record_number": 1003,
            "level": 4,
            "task": 104,
            "keywords": 0x4020000000000000,
            "computer": "DC-01.corp.local",
            "user_data": {
                "element": "LogFileCleared",
                "namespace": EVENTLOG_NS,
                "fields": {
                    "SubjectUserSid": "S-1-5-21-1-2-3-500",
                    "SubjectUserName": "Administrator",
                    "SubjectDomainName": "WKS-01",
                    "SubjectLogonId": "0x4b3c1",
                },
            },
        },
    ]


def script_text(number):
    """Script blocks of many lengths, non-ASCII text and a few long ones."""
    if number % 60 == 0:
        return "function Invoke-Ünïcode { 'Zoë ü 日本' }\r\n" * 150
    if number % 41 == 40:
        return "Get-Item <&>" * 100
    return "Zoë ü 日本 abcdefghijklmnopqrstuvwxyz0123456789"[: number % 41]


def powershell_records(count=320):
    return [
        {
            "event_id": 4104,
            "provider": "Microsoft-Windows-PowerShell",
            "provider_guid": POWERSHELL_GUID,
            "time": at(100 + number) + datetime.timedelta(microseconds=number),
            "version": 1,
            "level": 5 if number % 3 else 3,
            "task": 2,
            "opcode": 15,
            "keywords": 0,
            "process_id": 5000 + number,
            "thread_id": 6000 + number,
            "security_user_id": "S-1-5-21-1-2-3-1001",
            "activity_id": f"{{{number:08x}-1111-2222-3333-444444444444}}",
            "data": {
                "MessageNumber": 1,
                "MessageTotal": number % 5 + 1,
                "ScriptBlockText": script_text(number),
                "ScriptBlockId": f"{{{number:08x}-0000-4000-8000-000000000000}}",
                "Path": "C:\\Users\\zoë\\" * (number % 3),
            },
        }
        for number in range(count)
    ]


def expected_values(record, as_xml=False):
    """Returns EventData/UserData values as strings, in document order.

    Args:
        record (dict): record given to the writer.
        as_xml (bool): True to normalise line ends as an XML parser does.
    """
    if "user_data" in record:
        values = list(record["user_data"]["fields"].values())
    elif record.get("data") is not None:
        values = list(record["data"].values())
    else:
        values = list(record.get("data_list") or [])
    values = [str(value) for value in values]
    if as_xml:
        values = [value.replace("\r\n", "\n").replace("\r", "\n") for value in values]
    return values


def local_name(tag):
    return tag.rsplit("}", 1)[-1]


def parse_xml(text):
    """Parses event XML into (system dict, payload [(name, text)])."""
    root = ElementTree.fromstring(text)
    system = {}
    payload = []
    for child in root:
        name = local_name(child.tag)
        if name == "System":
            for element in child:
                system[local_name(element.tag)] = (element.text, element.attrib)
        elif name == "EventData":
            for element in child:
                key = element.get("Name", local_name(element.tag))
                payload.append((key, element.text or ""))
        elif name == "UserData":
            for element in child[0]:
                payload.append((local_name(element.tag), element.text or ""))
    return system, payload


def read_pyevtx(data):
    evtx_file = pyevtx.file()
    evtx_file.open_file_object(io.BytesIO(data))
    records = []
    for record in evtx_file.records:
        strings = [record.get_string(i) or "" for i in range(record.number_of_strings)]
        records.append(
            {
                "identifier": record.identifier,
                "event_identifier": record.event_identifier,
                "qualifiers": record.event_identifier_qualifiers,
                "written_time": record.written_time,
                "creation_time": record.creation_time,
                "source_name": record.source_name,
                "computer_name": record.computer_name,
                "user_security_identifier": record.user_security_identifier,
                "level": record.event_level,
                "strings": strings,
                "xml": record.get_xml_string(),
            }
        )
    evtx_file.close()
    return records


def read_python_evtx(data, tmp_path):
    path = tmp_path / "file.evtx"
    path.write_bytes(data)
    with python_evtx.Evtx(str(path)) as log:
        header = log.get_file_header()
        assert header.verify()
        chunks = list(header.chunks())
        assert all(chunk.verify() for chunk in chunks)
        records = [
            {
                "record_num": record.record_num(),
                "timestamp": record.timestamp(),
                "xml": record.xml(),
            }
            for record in log.records()
        ]
    return len(chunks), records


def naive(value):
    return value.astimezone(UTC).replace(tzinfo=None)


def check_with_pyevtx(data, records, channel, computer="WKS-01"):
    read = read_pyevtx(data)
    assert len(read) == len(records)
    for position, (record, got) in enumerate(zip(records, read), start=1):
        number = record.get("record_number", position)
        assert got["identifier"] == number
        assert got["event_identifier"] == record["event_id"]
        assert got["qualifiers"] == record.get("qualifiers")
        assert got["written_time"] == naive(record["time"])
        assert got["creation_time"] == naive(record["time"])
        assert got["source_name"] == record["provider"]
        assert got["computer_name"] == record.get("computer", computer)
        assert got["user_security_identifier"] == record.get("security_user_id")
        assert got["level"] == record.get("level", 0)
        binary = record.get("binary")
        tail = [binary.hex().upper()] if binary is not None else []
        assert got["strings"] == expected_values(record) + tail

        system, payload = parse_xml(got["xml"])
        assert system["Channel"][0] == channel
        assert system["EventRecordID"][0] == str(number)
        assert system["Version"][0] == str(record.get("version", 0))
        assert system["Keywords"][0] == f"0x{record.get('keywords', 0):016x}"
        assert system["Execution"][1] == {
            "ProcessID": str(record.get("process_id", 0)),
            "ThreadID": str(record.get("thread_id", 0)),
        }
        provider = system["Provider"][1]
        assert provider["Name"] == record["provider"]
        if record.get("provider_guid"):
            assert provider["Guid"].lower() == record["provider_guid"].lower()
        if record.get("event_source_name"):
            assert provider["EventSourceName"] == record["event_source_name"]
        names = [name for name, _ in payload]
        if "data" in record:
            assert names[: len(record["data"])] == list(record["data"])
        if "user_data" in record:
            assert names == list(record["user_data"]["fields"])
        assert [text for _, text in payload] == expected_values(record, True) + tail
    return read


def check_with_python_evtx(data, records, tmp_path, channel):
    number_of_chunks, read = read_python_evtx(data, tmp_path)
    assert len(read) == len(records)
    for position, (record, got) in enumerate(zip(records, read), start=1):
        number = record.get("record_number", position)
        assert got["record_num"] == number
        # python-evtx converts FILETIMEs through floats: allow a few microseconds.
        delta = got["timestamp"].astimezone(UTC) - record["time"]
        assert abs(delta.total_seconds()) <= 5e-6
        system, payload = parse_xml(got["xml"])
        assert system["EventID"][0] == str(record["event_id"])
        assert system["Channel"][0] == channel
        assert system["EventRecordID"][0] == str(number)
        assert system["Provider"][1]["Name"] == record["provider"]
        binary = record.get("binary")
        tail = [base64.b64encode(binary).decode()] if binary is not None else []
        assert [text for _, text in payload] == expected_values(record, True) + tail
        if "data" in record:
            assert [name for name, _ in payload][: len(record["data"])] == list(
                record["data"]
            )
    return number_of_chunks


def test_system_log(tmp_path):
    records = system_records()
    data = evtx.build_evtx(records, "System")
    read = check_with_pyevtx(data, records, "System")
    assert "<Binary>43006C00" in read[1]["xml"]
    assert 'EventSourceName="Service Control Manager"' in read[0]["xml"]
    assert f'xmlns="{EVENTLOG_NS}"' in read[2]["xml"]
    assert check_with_python_evtx(data, records, tmp_path, "System") == 1


def test_security_log(tmp_path):
    records = security_records()
    data = evtx.build_evtx(records, "Security", computer="WKS-01.corp.local")
    check_with_pyevtx(data, records, "Security", "WKS-01.corp.local")
    check_with_python_evtx(data, records, tmp_path, "Security")
    # The file header's next record number follows the highest record number.
    assert struct.unpack_from("<Q", data, 24)[0] == 1004


def test_powershell_log_spans_chunks(tmp_path):
    records = powershell_records()
    data = evtx.build_evtx(records, "Microsoft-Windows-PowerShell/Operational")
    assert max(len(script_text(n)) for n in range(320)) > 4000
    assert (len(data) - 4096) % 65536 == 0
    check_with_pyevtx(data, records, "Microsoft-Windows-PowerShell/Operational")
    number_of_chunks = check_with_python_evtx(
        data, records, tmp_path, "Microsoft-Windows-PowerShell/Operational"
    )
    assert number_of_chunks >= 2
    ranges = evtx.chunk_record_numbers(data)
    assert len(ranges) == number_of_chunks
    assert ranges[0][0] == 1 and ranges[-1][1] == 320
    assert all(ranges[i][1] + 1 == ranges[i + 1][0] for i in range(len(ranges) - 1))


@pytest.mark.parametrize("length", list(range(0, 41)) + [1000, 1001, 4097])
def test_string_lengths(length):
    # Each length shifts the end of stream byte to a different alignment.
    text = ("Zoë ü 日本 " * 500)[:length]
    records = [
        {
            "event_id": 1,
            "provider": "P" * (length % 7 + 1),
            "time": at(length),
            "data": {"Text": text, "Ascii": "a" * length},
            "data_list": None,
        },
        {"event_id": 2, "provider": "Q", "time": at(1), "data_list": [text, "x"]},
        {"event_id": 3, "provider": "R", "time": at(2)},
    ]
    data = evtx.build_evtx(records, "Application", computer="C" * (length % 5 + 1))
    read = read_pyevtx(data)
    assert [record["strings"] for record in read] == [
        [text, "a" * length],
        [text, "x"],
        [],
    ]


def test_integer_values():
    records = [
        {
            "event_id": 5,
            "provider": "P",
            "time": at(0),
            "data": {"Small": 7, "Large": 2**40, "Text": "t"},
        }
    ]
    read = read_pyevtx(evtx.build_evtx(records, "Application"))
    assert read[0]["strings"] == ["7", str(2**40), "t"]


def test_deterministic():
    records = system_records() + security_records()
    assert evtx.build_evtx(records, "System") == evtx.build_evtx(records, "System")


def test_record_too_large():
    # Two 60,000-byte strings overflow the 16-bit size of a template value.
    record = {"event_id": 1, "provider": "P", "time": at(0)}
    record["data_list"] = ["y" * 30000, "z" * 30000]
    with pytest.raises(ValueError):
        evtx.build_evtx([record], "Application")


def test_corrupt_chunk(tmp_path):
    records = powershell_records()
    data = evtx.build_evtx(records, "Microsoft-Windows-PowerShell/Operational")
    ranges = evtx.chunk_record_numbers(data)
    damaged = evtx.corrupt_chunk(data, chunk_index=1)
    assert len(damaged) == len(data)
    # Header and the other chunks are unchanged.
    chunk_start = 4096 + 65536
    assert damaged[:chunk_start] == data[:chunk_start]
    assert damaged[chunk_start + 65536 :] == data[chunk_start + 65536 :]
    assert (
        damaged[chunk_start : chunk_start + 512]
        == data[chunk_start : chunk_start + 512]
    )

    path = tmp_path / "damaged.evtx"
    path.write_bytes(damaged)
    with python_evtx.Evtx(str(path)) as log:
        header = log.get_file_header()
        assert header.verify()
        assert [chunk.verify() for chunk in header.chunks()] == [
            index != 1 for index in range(len(ranges))
        ]

    evtx_file = pyevtx.file()
    evtx_file.open_file_object(io.BytesIO(damaged))
    first, last = ranges[1]
    readable = {}
    for index in range(evtx_file.number_of_records):
        try:
            record = evtx_file.get_record(index)
            readable[record.identifier] = record.get_xml_string()
        except OSError:
            continue
    for index in range(evtx_file.number_of_recovered_records):
        try:
            record = evtx_file.get_recovered_record(index)
            assert not first <= record.identifier <= last
        except OSError:
            continue
    evtx_file.close()

    intact = [n for n in range(1, 321) if not first <= n <= last]
    assert sorted(readable) == intact
    for number in intact:
        _, payload = parse_xml(readable[number])
        text = script_text(number - 1).replace("\r\n", "\n")
        assert payload[2] == ("ScriptBlockText", text)

    with pytest.raises(ValueError):
        evtx.corrupt_chunk(data, chunk_index=len(ranges))


def test_plaso_winevtx_parser(tmp_path):
    from plaso.parsers import winevtx

    from .plaso_helpers import parse_with_plaso_and_warnings

    path = tmp_path / "System.evtx"
    records = system_records()
    path.write_bytes(evtx.build_evtx(records, "System"))
    event_data, warnings = parse_with_plaso_and_warnings(winevtx.WinEvtxParser(), path)
    assert not warnings
    assert [data.event_identifier for data in event_data] == [7045, 7036, 104]
    assert event_data[0].strings == expected_values(records[0])
    assert '<Data Name="ServiceName">Client32</Data>' in event_data[0].xml_string

    # A damaged chunk costs its records, with a warning each, and no others.
    path = tmp_path / "damaged.evtx"
    data = evtx.build_evtx(powershell_records(), "PowerShell")
    path.write_bytes(evtx.corrupt_chunk(data, chunk_index=0))
    first, last = evtx.chunk_record_numbers(data)[0]
    event_data, warnings = parse_with_plaso_and_warnings(winevtx.WinEvtxParser(), path)
    assert len(event_data) == 320 - (last - first + 1)
    assert len(warnings) == last - first + 1
