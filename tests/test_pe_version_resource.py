"""Differential tests: our version resource reader against pefile.

pe_image and pe_version_resource replace pefile in the pe_version_info
parser (pefile cost 0.5 ms of the parser's 0.7 ms per file). They follow
pefile 2024.8.26 rule for rule; these tests hold them to it: on real PE files
no one here wrote (pip's and setuptools' launchers from PyPI, Debian's
shimx64.efi.signed), on forge PEs and on reproducible random mutations of
them, the StringTable read must be byte for byte the one pefile reads (the
reference below is the parser's former pefile code).
"""

import datetime
import io
import os
import random
import struct

import pefile
import pytest

from plaso_netsupport.parsers import bounded_data
from plaso_netsupport.parsers import pe_image
from plaso_netsupport.parsers import pe_version_resource
from tests import real_pe
from tests.forge import pe as forge_pe

COMPILE_TIME = datetime.datetime(2021, 6, 7, 8, 9, 10, tzinfo=datetime.timezone.utc)

VERSION_INFO = forge_pe.CLIENT32_VERSION_INFO

# Characters beyond ASCII, a surrogate pair (pefile turns each half into its
# own escaped character) and an empty value.
UNUSUAL_VERSION_INFO = {
    "CompanyName": "Société Générale Ünïcödé",
    "FileDescription": "Launcher \U0001f680 rocket",
    "ProductName": "",
    "OriginalFilename": "x" * 300,
}

_NO_LIMIT = 1 << 40


class _VersionEntry:
    """An IMAGE_RESOURCE_DATA_ENTRY as pefile's parse_version_information
    wants it."""

    def __init__(self, offset_to_data, size):
        self.OffsetToData = offset_to_data  # pylint: disable=invalid-name
        self.Size = size  # pylint: disable=invalid-name


def _Headers(data):
    """The parser's own header reading (shared by both sides), or None."""
    try:
        headers = pe_image.ReadHeaders(
            lambda offset, size: data[offset : offset + size], len(data), 64 * 1024
        )
    except pe_image.FormatError:
        return None
    if not headers.resource_rva or not headers.resource_size:
        return None
    return headers


def _PefileStrings(data):
    """The first non-empty StringTable as read with pefile (the reference)."""
    headers = _Headers(data)
    if headers is None:
        return None
    try:
        pe_object = pefile.PE(data=data, fast_load=True)
        pe_object.get_section_by_rva(headers.resource_rva)
        directory_rva = headers.resource_rva
        for level in range(3):
            header = pe_object.get_data(directory_rva, 16)
            if len(header) != 16:
                return None
            number_of_entries = min(
                int.from_bytes(header[12:14], "little")
                + int.from_bytes(header[14:16], "little"),
                4096,
            )
            entries = pe_object.get_data(directory_rva + 16, number_of_entries * 8)
            if len(entries) != number_of_entries * 8:
                return None
            target = None
            for index in range(number_of_entries):
                name = int.from_bytes(entries[index * 8 : index * 8 + 4], "little")
                if level > 0 or name == pefile.RESOURCE_TYPE["RT_VERSION"]:
                    target = int.from_bytes(
                        entries[index * 8 + 4 : index * 8 + 8], "little"
                    )
                    break
            if target is None or bool(target & 0x80000000) != (level < 2):
                return None
            directory_rva = headers.resource_rva + (target & 0x7FFFFFFF)
        data_entry = pe_object.get_data(directory_rva, 8)
        if len(data_entry) != 8:
            return None
        pe_object.parse_version_information(
            _VersionEntry(
                int.from_bytes(data_entry[:4], "little"),
                int.from_bytes(data_entry[4:], "little"),
            )
        )
    except Exception:  # pylint: disable=broad-except
        # The parser's former code: any pefile error, no strings.
        return None
    for file_info_list in getattr(pe_object, "FileInfo", None) or []:
        for file_info in file_info_list:
            for string_table in getattr(file_info, "StringTable", None) or []:
                if string_table.entries:
                    return dict(string_table.entries)
    return None


def _OurStrings(data):
    """The first non-empty StringTable as pe_version_resource reads it."""
    headers = _Headers(data)
    if headers is None:
        return None
    file_object = io.BytesIO(data)
    data_slice = bounded_data.BoundedDataSlice(
        file_object, len(data), _NO_LIMIT, _NO_LIMIT
    )
    try:
        image = pe_image.PEImage(data_slice, headers)
        image.GetSection(headers.resource_rva)
        version_resource = pe_version_resource.FindVersionResource(
            image, headers.resource_rva, 4096
        )
        if version_resource is None:
            return None
        return pe_version_resource.ReadVersionStrings(
            image, data_slice, *version_resource, 1 << 20
        )
    except (pe_image.FormatError, pe_version_resource.VersionResourceError):
        return None


def _RealFiles():
    """pip's and setuptools' launchers of this environment, and the shim."""
    site_packages = os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.dirname(real_pe.PipLauncherPath())))
    )
    paths = []
    for folder in ("pip/_vendor/distlib", "setuptools"):
        folder = os.path.join(site_packages, folder)
        paths.extend(
            os.path.join(folder, name)
            for name in sorted(os.listdir(folder))
            if name.endswith(".exe")
        )
    paths.append(real_pe.ShimPath())
    return paths


def _Read(path):
    with open(path, "rb") as file_object:
        return file_object.read()


def _ForgeFiles():
    """Forge PEs: both machines, with and without version strings, a DLL."""
    return [
        forge_pe.build_pe(COMPILE_TIME, VERSION_INFO, machine="i386"),
        forge_pe.build_pe(COMPILE_TIME, VERSION_INFO, machine="amd64", padding=4096),
        forge_pe.build_pe(COMPILE_TIME, UNUSUAL_VERSION_INFO, machine="amd64"),
        forge_pe.build_pe(COMPILE_TIME, VERSION_INFO, dll=True),
        forge_pe.build_pe(COMPILE_TIME),
    ]


def _Mutations(data, seed, count, start=2, end=None):
    """Yields copies of data with 1-8 bytes overwritten in [start, end)."""
    end = len(data) if end is None else end
    generator = random.Random(seed)
    for _ in range(count):
        mutated = bytearray(data)
        for _ in range(generator.randint(1, 8)):
            if generator.random() < 0.6 and start < 1024:
                offset = generator.randrange(start, min(end, 1024))
            else:
                offset = generator.randrange(start, end)
            mutated[offset] = generator.randrange(256)
        yield bytes(mutated)


def _ResourceSection(data):
    """File offsets [start, end) of the section holding the resources."""
    pe_object = pefile.PE(data=data, fast_load=True)
    rva = pe_object.OPTIONAL_HEADER.DATA_DIRECTORY[2].VirtualAddress
    section = pe_object.get_section_by_rva(rva)
    return section.PointerToRawData, section.PointerToRawData + section.SizeOfRawData


def testRealFiles():
    """Real PEs: identical strings; t64.exe's are the ones expected."""
    with_strings = 0
    for path in _RealFiles():
        data = _Read(path)
        ours = _OurStrings(data)
        assert ours == _PefileStrings(data), path
        with_strings += ours is not None
    assert with_strings >= 6

    strings = _OurStrings(_Read(real_pe.PipLauncherPath()))
    assert strings[b"OriginalFilename"] == b"t64.exe"
    assert strings[b"CompanyName"] == b"Simple Launcher User"


def testForgeFiles():
    for data in _ForgeFiles():
        assert _OurStrings(data) == _PefileStrings(data)

    expected = {key.encode(): value.encode() for key, value in VERSION_INFO.items()}
    assert _OurStrings(_ForgeFiles()[0]) == expected
    unusual = _OurStrings(_ForgeFiles()[2])
    assert unusual[b"CompanyName"] == "Société Générale Ünïcödé".encode()
    # pefile's way with a surrogate pair: two escaped halves.
    assert unusual[b"FileDescription"] == b"Launcher \\ud83d\\ude80 rocket"
    assert unusual[b"ProductName"] == b""
    assert unusual[b"OriginalFilename"] == b"x" * 300


def _CheckMutations(inputs):
    """Compares both readers on mutated inputs; returns how many had strings."""
    with_strings = 0
    for index, data in enumerate(inputs):
        ours = _OurStrings(data)
        assert ours == _PefileStrings(data), index
        with_strings += ours is not None
    return with_strings


def _SignedForge():
    """A forge PE with the shim's certificate table appended (no match)."""
    data = bytearray(forge_pe.build_pe(COMPILE_TIME, VERSION_INFO))
    shim = _Read(real_pe.ShimPath())
    table_offset = (
        pefile.PE(data=shim, fast_load=True).OPTIONAL_HEADER.DATA_DIRECTORY[4]
    ).VirtualAddress
    table = shim[table_offset:]
    data.extend(b"\x00" * (-len(data) % 8))
    offset = len(data)
    data.extend(table)
    entry = pefile.PE(data=bytes(data), fast_load=True).OPTIONAL_HEADER.DATA_DIRECTORY[
        4
    ]
    struct.pack_into("<II", data, entry.get_file_offset(), offset, len(table))
    return bytes(data)


def testHeaderMutations():
    """The 300 mutations of the parser's crash test (mostly in the headers)."""
    inputs = []
    for seed, data in enumerate(
        [
            forge_pe.build_pe(COMPILE_TIME, VERSION_INFO, machine="amd64"),
            _SignedForge(),
        ]
    ):
        inputs.extend(_Mutations(data, seed, 150))
    assert _CheckMutations(inputs) > 150


@pytest.mark.parametrize("source", ["forge", "t64"])
def testResourceMutations(source):
    """Mutations inside the resource section: the version walk itself."""
    if source == "forge":
        data = forge_pe.build_pe(COMPILE_TIME, VERSION_INFO, machine="amd64")
    else:
        data = _Read(real_pe.PipLauncherPath())
    start, end = _ResourceSection(data)
    unmutated = _OurStrings(data)
    inputs = list(_Mutations(data, 100 + len(source), 200, start, end))
    assert _CheckMutations(inputs) > 50
    # The mutations reach the strings, not only bytes no one reads.
    assert sum(1 for data in inputs if _OurStrings(data) != unmutated) > 20
