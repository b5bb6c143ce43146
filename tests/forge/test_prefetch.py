"""Tests for the Prefetch writer against pyscca and plaso's prefetch parser."""

import datetime
import io
import struct

import pyscca
import pytest
from plaso.parsers import winprefetch

from .plaso_helpers import parse_with_plaso_and_warnings
from .prefetch import build_prefetch, prefetch_file_name, prefetch_hash

UTC = datetime.timezone.utc
VOLUME = "\\DEVICE\\HARDDISKVOLUME2"
EXE_DIR = "\\USERS\\ALICE\\APPDATA\\ROAMING\\X"
EXE_PATH = "C:\\Users\\Alice\\AppData\\Roaming\\X\\client32.exe"
EXE_DEVICE_PATH = f"{VOLUME}{EXE_DIR}\\CLIENT32.EXE"
MAPPED_FILES = [
    f"{VOLUME}\\WINDOWS\\SYSTEM32\\NTDLL.DLL",
    f"{VOLUME}\\WINDOWS\\SYSTEM32\\KERNEL32.DLL",
    EXE_DEVICE_PATH,
    f"{VOLUME}{EXE_DIR}\\PCICL32.DLL",
]
RUN_TIMES = [
    datetime.datetime(2024, 5, 1, 10, 0, 9 - index, 123456, tzinfo=UTC)
    for index in range(9)
]
VOLUME_CREATION_TIME = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)


def _build(version, **kwargs):
    arguments = {
        "run_times": RUN_TIMES,
        "run_count": 7,
        "mapped_files": MAPPED_FILES,
        "volume_serial": 0xDEADBEEF,
        "volume_creation_time": VOLUME_CREATION_TIME,
        "version": version,
    }
    arguments.update(kwargs)
    return build_prefetch("CLIENT32.EXE", EXE_PATH, **arguments)


def test_prefetch_hash_known_values():
    # Values of real Windows 7 Prefetch files and of libscca's XP example.
    assert prefetch_hash(f"{VOLUME}\\WINDOWS\\SYSTEM32\\CMD.EXE") == 0x4A81B364
    assert prefetch_hash(f"{VOLUME}\\Windows\\System32\\notepad.exe") == 0xD8414F97
    xp_path = "\\DEVICE\\HARDDISKVOLUME1\\WINDOWS\\NOTEPAD.EXE"
    assert prefetch_hash(xp_path, algorithm="xp") == 0x189578DA


def test_prefetch_file_name():
    expected = f"CLIENT32.EXE-{prefetch_hash(EXE_DEVICE_PATH):08X}.pf"
    assert prefetch_file_name("client32.exe", EXE_PATH) == expected
    # The directory, a volume-relative path or a device path give the same name.
    assert prefetch_file_name(
        "client32.exe", "C:\\Users\\Alice\\AppData\\Roaming\\X"
    ) == (expected)
    assert prefetch_file_name("CLIENT32.EXE", EXE_DIR) == expected
    assert prefetch_file_name("CLIENT32.EXE", EXE_DEVICE_PATH) == expected


@pytest.mark.parametrize("version", [23, 26])
def test_pyscca_reads_back(version):
    data = _build(version)
    scca_file = pyscca.file()
    scca_file.open_file_object(io.BytesIO(data))
    try:
        assert scca_file.format_version == version
        assert scca_file.executable_filename == "CLIENT32.EXE"
        assert scca_file.prefetch_hash == prefetch_hash(EXE_DEVICE_PATH)
        assert scca_file.run_count == 7
        number_of_run_times = 8 if version == 26 else 1
        run_times = [
            scca_file.get_last_run_time(index) for index in range(number_of_run_times)
        ]
        expected = [value.replace(tzinfo=None) for value in RUN_TIMES]
        assert run_times == expected[:number_of_run_times]
        assert list(scca_file.filenames) == MAPPED_FILES
        assert [entry.filename for entry in scca_file.file_metrics_entries] == (
            MAPPED_FILES
        )
        (volume,) = scca_file.volumes
        assert volume.device_path == VOLUME
        assert volume.serial_number == 0xDEADBEEF
        assert volume.creation_time == VOLUME_CREATION_TIME.replace(tzinfo=None)
    finally:
        scca_file.close()
    assert struct.unpack_from("<I", data, 12)[0] == len(data)


def _directory_strings(data):
    """Reads the directory strings with the libscca format document's offsets."""
    volumes_offset = struct.unpack_from("<I", data, 84 + 24)[0]
    directories_offset, count = struct.unpack_from("<II", data, volumes_offset + 28)
    offset = volumes_offset + directories_offset
    strings = []
    for _ in range(count):
        (length,) = struct.unpack_from("<H", data, offset)
        strings.append(data[offset + 2 : offset + 2 + length * 2].decode("utf-16-le"))
        assert data[offset + 2 + length * 2 : offset + 4 + length * 2] == b"\x00\x00"
        offset += 4 + length * 2
    return strings


def test_directory_strings():
    assert _directory_strings(_build(23)) == [
        f"{VOLUME}\\USERS",
        f"{VOLUME}\\USERS\\ALICE",
        f"{VOLUME}\\USERS\\ALICE\\APPDATA",
        f"{VOLUME}\\USERS\\ALICE\\APPDATA\\ROAMING",
        f"{VOLUME}{EXE_DIR}",
        f"{VOLUME}\\WINDOWS",
        f"{VOLUME}\\WINDOWS\\SYSTEM32",
    ]
    explicit = [f"{VOLUME}\\WINDOWS"]
    assert _directory_strings(_build(26, directories=explicit)) == explicit


def test_executable_added_and_upper_cased():
    data = build_prefetch(
        "client32.exe",
        EXE_PATH,
        RUN_TIMES[:1],
        mapped_files=[f"{VOLUME}\\Windows\\System32\\ntdll.dll"],
    )
    scca_file = pyscca.file()
    scca_file.open_file_object(io.BytesIO(data))
    assert list(scca_file.filenames) == [
        f"{VOLUME}\\WINDOWS\\SYSTEM32\\NTDLL.DLL",
        EXE_DEVICE_PATH,
    ]
    assert scca_file.run_count == 1
    scca_file.close()


def test_deterministic():
    assert _build(26) == _build(26)


@pytest.mark.parametrize("version", [23, 26])
def test_plaso_prefetch_parser(tmp_path, version):
    path = tmp_path / prefetch_file_name("CLIENT32.EXE", EXE_PATH)
    path.write_bytes(
        _build(
            version,
            mapped_files=MAPPED_FILES[:3]
            + [(MAPPED_FILES[3], 0x0003000000001234)],  # MFT entry 0x1234, seq 3
        )
    )
    event_data, warnings = parse_with_plaso_and_warnings(
        winprefetch.WinPrefetchParser(), path
    )
    assert warnings == []

    (execution,) = [
        item for item in event_data if item.data_type == "windows:prefetch:execution"
    ]
    assert execution.executable == "CLIENT32.EXE"
    assert execution.run_count == 7
    assert execution.version == version
    assert execution.prefetch_hash == prefetch_hash(EXE_DEVICE_PATH)
    assert execution.mapped_files == MAPPED_FILES[:3] + [f"{MAPPED_FILES[3]} [4660-3]"]
    assert execution.path_hints == [f"{EXE_DIR}\\CLIENT32.EXE"]
    assert execution.volume_device_paths == [VOLUME]
    assert execution.volume_serial_numbers == [0xDEADBEEF]
    assert execution.last_run_time.CopyToDateTimeString() == (
        "2024-05-01 10:00:09.1234560"
    )
    if version == 26:
        previous = [
            value.CopyToDateTimeString() for value in execution.previous_run_times
        ]
        assert previous == [
            f"2024-05-01 10:00:0{second}.1234560" for second in range(8, 1, -1)
        ]
    else:
        assert execution.previous_run_times is None

    (volume,) = [
        item for item in event_data if item.data_type == "windows:volume:creation"
    ]
    assert volume.creation_time.CopyToDateTimeString() == "2020-01-02 03:04:05.0000000"
    assert volume.device_path == VOLUME
    assert volume.serial_number == 0xDEADBEEF
