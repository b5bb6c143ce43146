"""Tests for the PE writer against pefile and plaso's pe parser."""

import datetime

import pefile
import pytest
from plaso.parsers import pe as plaso_pe

from .pe import CLIENT32_VERSION_INFO, build_pe
from .plaso_helpers import parse_with_plaso_and_warnings

COMPILE_TIME = datetime.datetime(2016, 3, 1, 12, 34, 56, tzinfo=datetime.timezone.utc)

VERSION_INFO = CLIENT32_VERSION_INFO

IMPORTS = [
    ("PCICL32.dll", ["_NSMClient32@8"]),
    ("KERNEL32.dll", ["GetModuleHandleA", "ExitProcess"]),
]


def _string_file_info(pe_object):
    """Returns the StringFileInfo tables of a pefile object as str dicts."""
    tables = {}
    for file_info in pe_object.FileInfo[0]:
        if file_info.Key == b"StringFileInfo":
            for string_table in file_info.StringTable:
                tables[string_table.LangID.decode()] = {
                    key.decode(): value.decode()
                    for key, value in string_table.entries.items()
                }
    return tables


@pytest.mark.parametrize("machine", ["i386", "amd64"])
@pytest.mark.parametrize("dll", [False, True])
def test_pefile_reads_back(machine, dll):
    data = build_pe(
        COMPILE_TIME, VERSION_INFO, machine=machine, dll=dll, imports=IMPORTS
    )
    pe_object = pefile.PE(data=data)

    assert pe_object.get_warnings() == []
    assert pe_object.verify_checksum()
    assert pe_object.FILE_HEADER.TimeDateStamp == int(COMPILE_TIME.timestamp())
    assert pe_object.is_dll() == dll
    assert pe_object.PE_TYPE == (
        pefile.OPTIONAL_HEADER_MAGIC_PE_PLUS
        if machine == "amd64"
        else pefile.OPTIONAL_HEADER_MAGIC_PE
    )
    assert _string_file_info(pe_object) == {"040904b0": VERSION_INFO}

    fixed = pe_object.VS_FIXEDFILEINFO[0]
    assert fixed.Signature == 0xFEEF04BD
    assert (fixed.FileVersionMS, fixed.FileVersionLS) == (12 << 16 | 10, 0)
    assert (fixed.ProductVersionMS, fixed.ProductVersionLS) == (
        12 << 16 | 10,
        4 << 16 | 1,
    )
    assert fixed.FileType == (2 if dll else 1)

    imported = [
        (entry.dll.decode(), [symbol.name.decode() for symbol in entry.imports])
        for entry in pe_object.DIRECTORY_ENTRY_IMPORT
    ]
    assert imported == IMPORTS
    assert pe_object.get_imphash()

    # The resource directories carry the compile time, for pe_coff:resource.
    (version_type,) = pe_object.DIRECTORY_ENTRY_RESOURCE.entries
    assert version_type.id == pefile.RESOURCE_TYPE["RT_VERSION"]
    assert version_type.directory.struct.TimeDateStamp == int(COMPILE_TIME.timestamp())


def test_minimal_and_padding():
    minimal = build_pe(COMPILE_TIME)
    assert pefile.PE(data=minimal).get_warnings() == []
    assert len(minimal) <= 1024

    padded = build_pe(COMPILE_TIME, VERSION_INFO, padding=300_000)
    assert 300_000 < len(padded) < 302_000
    pe_object = pefile.PE(data=padded)
    assert pe_object.get_warnings() == []
    assert pe_object.verify_checksum()


def test_deterministic():
    assert build_pe(COMPILE_TIME, VERSION_INFO, imports=IMPORTS) == build_pe(
        COMPILE_TIME, VERSION_INFO, imports=IMPORTS
    )


def test_naive_time_rejected():
    with pytest.raises(ValueError):
        build_pe(datetime.datetime(2016, 3, 1))


@pytest.mark.parametrize("machine", ["i386", "amd64"])
def test_plaso_pe_parser(tmp_path, machine):
    path = tmp_path / "client32.exe"
    path.write_bytes(
        build_pe(COMPILE_TIME, VERSION_INFO, machine=machine, imports=IMPORTS)
    )
    event_data, warnings = parse_with_plaso_and_warnings(plaso_pe.PEParser(), path)
    assert warnings == []

    by_type = {}
    for item in event_data:
        by_type.setdefault(item.data_type, []).append(item)

    (file_data,) = by_type["pe_coff:file"]
    assert file_data.creation_time.CopyToDateTimeString() == "2016-03-01 12:34:56"
    assert file_data.pe_type == "Executable (EXE)"
    # plaso keeps the NUL padding of the 8-byte section names.
    section_names = [name.rstrip("\x00") for name in file_data.section_names]
    assert section_names == [".text", ".rdata", ".rsrc"]
    assert file_data.imphash

    # plaso 20260720 reads TimeDateStamp from pefile's ResourceDirData instead of
    # its .struct, so it never yields pe_coff:resource; check any that appear.
    for resource_data in by_type.get("pe_coff:resource", []):
        assert resource_data.identifier == 16  # RT_VERSION
        assert resource_data.modification_time.CopyToDateTimeString() == (
            "2016-03-01 12:34:56"
        )

    imports = by_type["pe_coff:dll_import"]
    assert [item.name for item in imports] == ["PCICL32.dll", "KERNEL32.dll"]
    assert all(not item.delayed_import for item in imports)
