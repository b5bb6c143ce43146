"""Tests for the LNK writer against pylnk, pyfwsi and plaso's lnk parser."""

import datetime
import io

import pyfwsi
import pylnk
import pytest
from plaso.parsers import winlnk

from .lnk import build_lnk
from .plaso_helpers import parse_with_plaso_and_warnings

UTC = datetime.timezone.utc
TARGET = "C:\\ProgramData\\SchCache\\updater.exe"
TIMES = (
    datetime.datetime(2024, 5, 1, 9, 0, 1, 500000, tzinfo=UTC),
    datetime.datetime(2024, 5, 2, 9, 0, 2, tzinfo=UTC),
    datetime.datetime(2024, 5, 3, 9, 0, 4, tzinfo=UTC),
)
ARGUMENTS = {
    "arguments": "/silent -connect 203.0.113.7:443",
    "working_directory": "C:\\ProgramData\\SchCache",
    "description": "Windows Update Helper",
    "icon_location": "%SystemRoot%\\System32\\shell32.dll",
    "relative_path": "..\\..\\..\\..\\..\\ProgramData\\SchCache\\updater.exe",
    "target_times": TIMES,
    "target_size": 123456,
    "volume_serial": 0xC0FFEE42,
    "volume_label": "OS",
}


def _open(data):
    lnk_file = pylnk.file()
    lnk_file.open_file_object(io.BytesIO(data))
    return lnk_file


@pytest.mark.parametrize(
    "target", [TARGET, "D:\\Users\\Zoë\\Documents\\Résumé draft.exe"]
)
def test_pylnk_reads_back(target):
    lnk_file = _open(build_lnk(target, **ARGUMENTS))
    assert lnk_file.local_path == target
    assert lnk_file.command_line_arguments == ARGUMENTS["arguments"]
    assert lnk_file.working_directory == ARGUMENTS["working_directory"]
    assert lnk_file.description == ARGUMENTS["description"]
    assert lnk_file.icon_location == ARGUMENTS["icon_location"]
    assert lnk_file.relative_path == ARGUMENTS["relative_path"]
    assert lnk_file.volume_label == "OS"
    assert lnk_file.drive_serial_number == 0xC0FFEE42
    assert lnk_file.drive_type == 3  # DRIVE_FIXED
    assert lnk_file.file_size == 123456
    assert lnk_file.file_creation_time == TIMES[0].replace(tzinfo=None)
    assert lnk_file.file_access_time == TIMES[1].replace(tzinfo=None)
    assert lnk_file.file_modification_time == TIMES[2].replace(tzinfo=None)

    # The target ID list: My Computer, the volume, then one item per segment.
    items = pyfwsi.item_list()
    items.copy_from_byte_stream(lnk_file.link_target_identifier_data)
    items = list(items.items)
    assert isinstance(items[0], pyfwsi.root_folder)
    assert items[0].shell_folder_identifier == "20d04fe0-3aea-1069-a2d8-08002b30309d"
    assert isinstance(items[1], pyfwsi.volume)
    assert items[1].name == target[:3]
    long_names = [item.extension_blocks[0].long_name for item in items[2:]]
    assert long_names == target[3:].split("\\")
    target_item = items[-1]
    assert target_item.file_size == 123456
    # FAT times have a 2-second granularity.
    assert target_item.modification_time == datetime.datetime(2024, 5, 3, 9, 0, 4)
    assert target_item.extension_blocks[0].creation_time == datetime.datetime(
        2024, 5, 1, 9, 0, 0
    )
    lnk_file.close()


def test_minimal():
    lnk_file = _open(build_lnk(TARGET))
    assert lnk_file.local_path == TARGET
    assert lnk_file.command_line_arguments is None
    assert lnk_file.working_directory is None
    assert lnk_file.description is None
    assert lnk_file.volume_label == "Windows"
    assert lnk_file.drive_serial_number == 0x1234ABCD
    assert lnk_file.get_file_creation_time_as_integer() == 0
    lnk_file.close()


def test_deterministic():
    assert build_lnk(TARGET, **ARGUMENTS) == build_lnk(TARGET, **ARGUMENTS)


def test_plaso_lnk_parser(tmp_path):
    path = tmp_path / "updater.lnk"
    path.write_bytes(build_lnk(TARGET, **ARGUMENTS))
    event_data, warnings = parse_with_plaso_and_warnings(winlnk.WinLnkParser(), path)
    assert warnings == []

    (link,) = [item for item in event_data if item.data_type == "windows:lnk:link"]

    # plaso escapes backslashes in the path-like strings it reports.
    def escaped(value):
        return value.replace("\\", "\\\\")

    assert link.local_path == escaped(TARGET)
    assert link.link_target == "<My Computer> " + escaped(TARGET)
    assert link.command_line_arguments == ARGUMENTS["arguments"]
    assert link.working_directory == escaped(ARGUMENTS["working_directory"])
    assert link.description == ARGUMENTS["description"]
    assert link.icon_location == escaped(ARGUMENTS["icon_location"])
    assert link.relative_path == escaped(ARGUMENTS["relative_path"])
    assert link.volume_label == "OS"
    assert link.drive_serial_number == 0xC0FFEE42
    assert link.file_size == 123456
    assert link.creation_time.CopyToDateTimeString() == "2024-05-01 09:00:01.5000000"
    assert link.access_time.CopyToDateTimeString() == "2024-05-02 09:00:02.0000000"
    assert link.modification_time.CopyToDateTimeString() == (
        "2024-05-03 09:00:04.0000000"
    )

    # Only the target's shell item has times, so it is the only shell item event.
    (shell_item,) = [
        item for item in event_data if item.data_type == "windows:shell_item:file_entry"
    ]
    assert shell_item.long_name == "updater.exe"
    assert shell_item.shell_item_path == "<My Computer> " + escaped(TARGET)
