"""Tests for the PE version information and Authenticode parser.

Inputs: PE files written by the forge (tests/forge/pe.py), pip's distlib
launcher t64.exe (a real PE from PyPI with a version resource) and Debian's
shim-signed shimx64.efi.signed (a real PE signed by Microsoft, fetched by
tests/real_pe.py), plus damaged copies of them made here.
"""

import datetime
import hashlib
import os
import random
import re
import struct

import pefile
import pytest

from asn1crypto import cms as asn1_cms
from dfvfs.lib import definitions as dfvfs_definitions
from dfvfs.path import factory as path_spec_factory
from plaso.filters import parser_filter
from plaso.lib import errors
from plaso.parsers import manager
from plaso.parsers import presets

from plaso_netsupport.parsers import bounded_data
from plaso_netsupport.parsers import pe_authenticode
from plaso_netsupport.parsers import pe_version_info
from tests import parser_helpers
from tests import real_pe
from tests.forge import pe as forge_pe

COMPILE_TIME = datetime.datetime(2016, 3, 1, 12, 34, 56, tzinfo=datetime.timezone.utc)

VERSION_INFO = forge_pe.CLIENT32_VERSION_INFO

EXPECTED_VERSION_ATTRIBUTES = {
    "company_name": "NetSupport Ltd",
    "file_description": "NetSupport Client Application",
    "file_version": "V12.10",
    "internal_name": "client32",
    "legal_copyright": "Copyright (c) 2016, NetSupport Ltd",
    "original_filename": "client32.exe",
    "product_name": "NetSupport Remote Control",
    "product_version": "12.10.4.1",
}

SIGNATURE_ATTRIBUTES = (
    "signer_subject",
    "signer_issuer",
    "signer_common_name",
    "signer_serial_number",
    "signing_time",
    "digest_algorithm",
    "digest_matches",
)

# shimx64.efi.signed: the leaf certificate of Microsoft's UEFI third-party
# signing chain (checked against the certificates in the file by
# testShimSignerIsLeafCertificate).
SHIM_SIGNER_CN = "Microsoft Windows UEFI Driver Publisher"
SHIM_SIGNER_SUBJECT = (
    "CN=Microsoft Windows UEFI Driver Publisher, O=Microsoft Corporation, "
    "L=Redmond, ST=Washington, C=US"
)
SHIM_ISSUER = (
    "CN=Microsoft Corporation UEFI CA 2011, O=Microsoft Corporation, "
    "L=Redmond, ST=Washington, C=US"
)


def _Parse(path, parser_class=pe_version_info.PEVersionInfoParser):
    return parser_helpers.ParseFile(parser_class(), path)


def _Write(directory, data, name="sample.exe"):
    path = os.path.join(directory, name)
    with open(path, "wb") as file_object:
        file_object.write(data)
    return path


def _OnlyEventData(result):
    assert len(result.event_data) == 1
    event_data = result.event_data[0]
    assert event_data.data_type == "netsupport:pe:version_info"
    return event_data


def _Warnings(result):
    return [warning.message for warning in result.warnings]


def _SecurityDirectoryOffset(data):
    """Offset of the Certificate Table data directory entry (via pefile)."""
    pe_object = pefile.PE(data=bytes(data), fast_load=True)
    entry = pe_object.OPTIONAL_HEADER.DATA_DIRECTORY[4]
    return entry.get_file_offset()


def _WithCertificateTable(data, table, declared_size=None):
    """Appends a certificate table to a PE and points the directory at it."""
    data = bytearray(data)
    data.extend(b"\x00" * (-len(data) % 8))
    offset = len(data)
    data.extend(table)
    size = len(table) if declared_size is None else declared_size
    struct.pack_into("<II", data, _SecurityDirectoryOffset(data), offset, size)
    return bytes(data)


def _ShimData():
    with open(real_pe.ShimPath(), "rb") as file_object:
        return bytearray(file_object.read())


def _ShimSignedData(data):
    pe_object = pefile.PE(data=bytes(data), fast_load=True)
    entry = pe_object.OPTIONAL_HEADER.DATA_DIRECTORY[4]
    length = struct.unpack_from("<I", data, entry.VirtualAddress)[0]
    der = bytes(data[entry.VirtualAddress + 8 : entry.VirtualAddress + length])
    return pe_object, asn1_cms.ContentInfo.load(der)["content"]


def testRegisteredAndInPresets():
    parsers = manager.ParsersManager.GetParserObjects("pe_version_info")
    assert isinstance(parsers["pe_version_info"], pe_version_info.PEVersionInfoParser)
    presets_manager = presets.ParserPresetsManager()
    presets_manager.ReadFromFile(
        os.path.join(parser_helpers.PLASO_DATA_LOCATION, "presets.yaml")
    )
    for preset_name in ("netsupport", "win_gen"):
        preset = presets_manager.GetPresetByName(preset_name)
        assert "pe_version_info" in preset.parsers, preset_name
    win7 = parser_filter.ParserFilterExpressionHelper().ExpandPresets(
        presets_manager, "win7"
    )
    assert "pe_version_info" in win7.split(",")


def testFormatSpecification():
    specification = pe_version_info.PEVersionInfoParser.GetFormatSpecification()
    assert [
        (signature.pattern, signature.offset) for signature in specification.signatures
    ] == [(b"MZ", 0)]


def testForgeVersionStrings(tmp_path):
    """Every StringFileInfo string, exactly; an unsigned file says so."""
    for machine in ("i386", "amd64"):
        path = _Write(
            tmp_path,
            forge_pe.build_pe(COMPILE_TIME, VERSION_INFO, machine=machine),
            f"{machine}.exe",
        )
        result = _Parse(path)

        assert _Warnings(result) == []
        event_data = _OnlyEventData(result)
        for name, value in EXPECTED_VERSION_ATTRIBUTES.items():
            assert getattr(event_data, name) == value, (machine, name)
        assert event_data.signature_status == "unsigned"
        for name in SIGNATURE_ATTRIBUTES:
            assert getattr(event_data, name) is None, name


def testForgeWithoutVersionResource(tmp_path):
    """A PE without a version resource still gets its (empty) event."""
    path = _Write(tmp_path, forge_pe.build_pe(COMPILE_TIME))
    result = _Parse(path)

    assert _Warnings(result) == []
    event_data = _OnlyEventData(result)
    for name in EXPECTED_VERSION_ATTRIBUTES:
        assert getattr(event_data, name) is None
    assert event_data.signature_status == "unsigned"


def testPlaceHolderEvent(tmp_path):
    """Without a signing time the timeliner makes one "Not a time" event."""
    path = _Write(tmp_path, forge_pe.build_pe(COMPILE_TIME, VERSION_INFO))
    result = _Parse(path)
    events = parser_helpers.RunTimeliner(result.storage_writer)

    assert len(events) == 1
    assert events[0].timestamp == 0
    assert events[0].timestamp_desc == "Not a time"


def testPipLauncherVersionStrings():
    """A real PE from PyPI: pip's vendored distlib launcher t64.exe."""
    result = _Parse(real_pe.PipLauncherPath())

    assert _Warnings(result) == []
    event_data = _OnlyEventData(result)
    assert event_data.company_name == "Simple Launcher User"
    assert event_data.product_name == "Simple Launcher"
    assert event_data.file_description == "Simple Launcher Executable"
    assert event_data.original_filename == "t64.exe"
    assert event_data.internal_name == "t64.exe"
    assert event_data.legal_copyright == "Copyright (C) Simple Launcher User"
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", event_data.file_version)
    assert event_data.product_version == event_data.file_version
    assert event_data.signature_status == "unsigned"


def testShimSignature():
    """Debian's shimx64.efi.signed: Microsoft's signature, digest matches."""
    path = real_pe.ShimPath()
    result = _Parse(path)

    assert _Warnings(result) == []
    event_data = _OnlyEventData(result)
    assert event_data.signature_status == "digest matches"
    assert event_data.digest_matches is True
    assert event_data.digest_algorithm == "sha256"
    assert event_data.signer_common_name == SHIM_SIGNER_CN
    assert event_data.signer_subject == SHIM_SIGNER_SUBJECT
    assert event_data.signer_issuer == SHIM_ISSUER
    assert re.fullmatch(r"[0-9a-f]+", event_data.signer_serial_number)

    # The signing time is the RFC 3161 timestamp's genTime.
    _, signed_data = _ShimSignedData(_ShimData())
    token = None
    for attribute in signed_data["signer_infos"][0]["unsigned_attrs"]:
        if attribute["type"].dotted == "1.3.6.1.4.1.311.3.3.1":
            token = attribute["values"][0]
    assert token is not None
    tst_info = token["content"]["encap_content_info"]["content"].parsed
    gen_time = tst_info["gen_time"].native
    assert event_data.signing_time.CopyToDateTimeString() == gen_time.strftime(
        "%Y-%m-%d %H:%M:%S.%f"
    )

    events = parser_helpers.RunTimeliner(result.storage_writer)
    assert [event.timestamp_desc for event in events] == ["Signing Time"]


def testShimSignerIsLeafCertificate():
    """The signer is the certificate matching issuer+serial, not the CA."""
    _, signed_data = _ShimSignedData(_ShimData())
    signer_identifier = signed_data["signer_infos"][0]["sid"].chosen
    certificates = [choice.chosen for choice in signed_data["certificates"]]
    assert len(certificates) >= 2
    leaf = [
        certificate
        for certificate in certificates
        if certificate.serial_number == signer_identifier["serial_number"].native
    ]
    assert len(leaf) == 1
    event_data = _OnlyEventData(_Parse(real_pe.ShimPath()))
    assert event_data.signer_serial_number == format(leaf[0].serial_number, "x")
    assert leaf[0].subject.native["common_name"] == event_data.signer_common_name


def testShimOneByteChanged(tmp_path):
    """One byte changed in a section: the digest no longer matches."""
    data = _ShimData()
    pe_object = pefile.PE(data=bytes(data), fast_load=True)
    section = pe_object.sections[0]
    data[section.PointerToRawData + 100] ^= 0x01
    result = _Parse(_Write(tmp_path, data, "shim.efi"))

    event_data = _OnlyEventData(result)
    assert event_data.signature_status == "digest mismatch"
    assert event_data.digest_matches is False
    assert event_data.signer_common_name == SHIM_SIGNER_CN


def testShimExcludedFieldsChanged(tmp_path):
    """CheckSum is not part of the Authenticode digest."""
    data = _ShimData()
    pe_object = pefile.PE(data=bytes(data), fast_load=True)
    checksum_offset = pe_object.OPTIONAL_HEADER.get_file_offset() + 64
    data[checksum_offset] ^= 0xFF
    result = _Parse(_Write(tmp_path, data, "shim.efi"))

    assert _OnlyEventData(result).signature_status == "digest matches"


def testShimSignedDigestEdited(tmp_path):
    """A digest edited in the signature breaks the messageDigest attribute."""
    data = _ShimData()
    _, signed_data = _ShimSignedData(data)
    content = signed_data["encap_content_info"]["content"]
    indirect_data = content.parse(pe_authenticode.SpcIndirectDataContent)
    digest = indirect_data["message_digest"]["digest"].native
    offset = data.find(digest)
    assert offset > 0
    data[offset] ^= 0x01
    result = _Parse(_Write(tmp_path, data, "shim.efi"))

    event_data = _OnlyEventData(result)
    assert event_data.signature_status == (
        "damaged: message digest attribute does not match the content"
    )
    assert event_data.digest_matches is None
    assert _Warnings(result) == [
        "Authenticode signature: message digest attribute does not match the content"
    ]


def testShimSignatureValueEdited(tmp_path):
    """An edited RSA signature value does not verify with the signer key."""
    data = _ShimData()
    _, signed_data = _ShimSignedData(data)
    signature = signed_data["signer_infos"][0]["signature"].native
    offset = data.find(signature)
    assert offset > 0
    data[offset + 10] ^= 0x01
    result = _Parse(_Write(tmp_path, data, "shim.efi"))

    event_data = _OnlyEventData(result)
    assert event_data.signature_status == (
        "damaged: signature does not verify with the signer key"
    )


def testDigestSizeLimit():
    """Above the size limit the digest is not computed, and it says so."""

    class SmallLimitParser(pe_version_info.PEVersionInfoParser):
        MAXIMUM_DIGEST_FILE_SIZE = 4096

    result = _Parse(real_pe.ShimPath(), SmallLimitParser)

    event_data = _OnlyEventData(result)
    assert event_data.signature_status == "not checked: file larger than 4096 bytes"
    assert event_data.digest_matches is None
    assert event_data.signer_common_name == SHIM_SIGNER_CN


def testGarbageCertificateTable(tmp_path):
    table = struct.pack("<IHH", 8 + 64, 0x0200, 2) + hashlib.sha512(b"x").digest()
    data = _WithCertificateTable(forge_pe.build_pe(COMPILE_TIME, VERSION_INFO), table)
    result = _Parse(_Write(tmp_path, data))

    event_data = _OnlyEventData(result)
    assert event_data.signature_status.startswith(
        "damaged: unreadable PKCS#7 structure"
    )
    assert event_data.company_name == "NetSupport Ltd"
    assert len(result.warnings) == 1
    assert result.warnings[0].message.startswith(
        "Authenticode signature: unreadable PKCS#7 structure"
    )


@pytest.mark.parametrize(
    "table, declared_size, status",
    [
        # Directory size far beyond the end of the file.
        (b"\x00" * 16, 0x7FFFFFF0, "damaged: certificate table outside the file"),
        # WIN_CERTIFICATE dwLength far beyond the table.
        (
            struct.pack("<IHH", 0x7FFFFFF0, 0x0200, 2) + b"\x00" * 8,
            None,
            "damaged: certificate entry length out of bounds",
        ),
        # An X.509 (type 1) entry only: no PKCS#7 signature.
        (
            struct.pack("<IHH", 16, 0x0200, 1) + b"\x00" * 8,
            None,
            "damaged: no PKCS#7 signature in the certificate table",
        ),
    ],
)
def testDamagedCertificateTableSizes(tmp_path, table, declared_size, status):
    data = _WithCertificateTable(
        forge_pe.build_pe(COMPILE_TIME, VERSION_INFO), table, declared_size
    )
    result = _Parse(_Write(tmp_path, data))

    event_data = _OnlyEventData(result)
    assert event_data.signature_status == status
    assert len(result.warnings) == 1
    assert event_data.original_filename == "client32.exe"


def testCertificateTableSizeLimit(tmp_path):
    class SmallLimitParser(pe_version_info.PEVersionInfoParser):
        MAXIMUM_CERTIFICATE_TABLE_SIZE = 1024

    table = struct.pack("<IHH", 2048, 0x0200, 2) + b"\x30" * 2040
    data = _WithCertificateTable(forge_pe.build_pe(COMPILE_TIME), table)
    result = _Parse(_Write(tmp_path, data), SmallLimitParser)

    assert _OnlyEventData(result).signature_status == (
        "damaged: certificate table of 2048 bytes larger than 1024"
    )


def _ResourceOffsets(data):
    """File offsets of the .rsrc section and of its version data entry."""
    pe_object = pefile.PE(data=bytes(data), fast_load=True)
    section = [s for s in pe_object.sections if s.Name.startswith(b".rsrc")][0]
    # The forge writes three 24-byte directories, then the data entry.
    return section.PointerToRawData, section.PointerToRawData + 72


def testTruncatedResource(tmp_path):
    """A file cut inside its version resource: a warning, still an event."""
    data = forge_pe.build_pe(COMPILE_TIME, VERSION_INFO)
    section_offset, _ = _ResourceOffsets(data)
    result = _Parse(_Write(tmp_path, data[: section_offset + 120]))

    event_data = _OnlyEventData(result)
    assert event_data.signature_status == "unsigned"
    assert event_data.company_name is None
    assert _Warnings(result) == [
        "version resource without version strings (damaged or empty)"
    ]


def testHugeVersionResourceSize(tmp_path):
    """A version resource declaring 4 GiB is read only within the limits."""

    class SmallLimitParser(pe_version_info.PEVersionInfoParser):
        MAXIMUM_RESOURCE_READ_SIZE = 1024

    data = bytearray(forge_pe.build_pe(COMPILE_TIME, VERSION_INFO, padding=8192))
    _, data_entry_offset = _ResourceOffsets(data)
    struct.pack_into("<I", data, data_entry_offset + 4, 0xFFFFFFF0)
    # Overlay data after the resource, so that the declared size reaches it.
    data.extend(bytes(range(256)) * 256)
    result = _Parse(_Write(tmp_path, data), SmallLimitParser)

    event_data = _OnlyEventData(result)
    assert event_data.signature_status == "unsigned"
    assert len(result.warnings) == 1
    assert result.warnings[0].message.startswith(
        "version resource not read: size limit exceeded"
    )


def testBoundedDataSlice(tmp_path):
    path = _Write(tmp_path, bytes(range(256)) * 16)
    with open(path, "rb") as file_object:
        data = bounded_data.BoundedDataSlice(file_object, 4096, 100, 150)
        assert len(data) == 4096
        assert data[0:4] == b"\x00\x01\x02\x03"
        assert data[5] == 5
        assert data[4090:5000] == bytes(range(250, 256))
        with pytest.raises(bounded_data.ReadLimitExceeded):
            data[0:101]
        assert data.find(b"\x40\x41", 0, 100) == 64
        # Like bytes.find: the index in the whole data, not in the range.
        assert data.find(b"\x20\x21", 16, 40) == 32
        with pytest.raises(bounded_data.ReadLimitExceeded):
            data[0:100]


@pytest.mark.parametrize(
    "data",
    [
        b"MZ",
        b"MZ" + b"\x00" * 62,
        b"MZ" + b"\x00" * 58 + struct.pack("<I", 0x7FFFFFFF),
        b"MZ" + b"\x00" * 58 + struct.pack("<I", 64) + b"NE\x00\x00" + b"\x00" * 20,
        # PE32+ whose optional header ends before its data directories.
        b"MZ"
        + b"\x00" * 58
        + struct.pack("<I", 64)
        + b"PE\x00\x00"
        + struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, 100, 0x22)
        + struct.pack("<H", 0x020B)
        + b"\x00" * 98,
    ],
)
def testNotAPE(tmp_path, data):
    with pytest.raises(errors.WrongParser):
        _Parse(_Write(tmp_path, data))


def _PathSpec(type_indicator, location):
    if type_indicator == dfvfs_definitions.TYPE_INDICATOR_OS:
        return path_spec_factory.Factory.NewPathSpec(type_indicator, location=location)
    parent = path_spec_factory.Factory.NewPathSpec(
        dfvfs_definitions.TYPE_INDICATOR_OS, location="/images/c.raw"
    )
    return path_spec_factory.Factory.NewPathSpec(
        type_indicator, location=location, parent=parent
    )


@pytest.mark.parametrize(
    "type_indicator, location, expected",
    [
        (dfvfs_definitions.TYPE_INDICATOR_TSK, "/Windows/System32/cmd.exe", True),
        (dfvfs_definitions.TYPE_INDICATOR_NTFS, "\\WINDOWS\\explorer.exe", True),
        (
            dfvfs_definitions.TYPE_INDICATOR_TSK,
            "/ProgramData/Windows/client32.exe",
            False,
        ),
        (dfvfs_definitions.TYPE_INDICATOR_TSK, "/Users/x/Windows/client32.exe", False),
        (dfvfs_definitions.TYPE_INDICATOR_TSK, "/Windows.old/System32/x.dll", False),
        (dfvfs_definitions.TYPE_INDICATOR_NTFS, "\\client32.exe", False),
        (dfvfs_definitions.TYPE_INDICATOR_OS, "/cases/c/Windows/System32/x.dll", True),
        (dfvfs_definitions.TYPE_INDICATOR_OS, "/cases/c/Windows/SysWOW64/x.dll", True),
        (
            dfvfs_definitions.TYPE_INDICATOR_OS,
            "/cases/c/ProgramData/Windows/x.exe",
            False,
        ),
        (
            dfvfs_definitions.TYPE_INDICATOR_OS,
            "/mnt/windows/Users/x/client32.exe",
            False,
        ),
    ],
)
def testWindowsDirectory(type_indicator, location, expected):
    path_spec = _PathSpec(type_indicator, location)
    assert pe_version_info.IsInWindowsDirectory(path_spec) is expected


def testFilterSkipsWindowsDirectoryWithoutReading(tmp_path):
    """The filter decides on the path alone, before the file is opened."""
    windows = tmp_path / "Windows" / "System32"
    windows.mkdir(parents=True)
    inside = windows / "x.dll"
    inside.write_bytes(forge_pe.build_pe(COMPILE_TIME, VERSION_INFO))
    outside = tmp_path / "x.dll"
    outside.write_bytes(forge_pe.build_pe(COMPILE_TIME, VERSION_INFO))
    (filter_object,) = pe_version_info.PEVersionInfoParser.FILTERS

    class PathOnlyFileEntry:
        def __init__(self, path):
            self.path_spec = _PathSpec(dfvfs_definitions.TYPE_INDICATOR_OS, path)

        def GetFileObject(self):
            raise AssertionError("the filter must not read the file")

    assert filter_object.Match(PathOnlyFileEntry(str(inside))) is False
    assert filter_object.Match(PathOnlyFileEntry(str(outside))) is True


def _Mutations(data, seed, count):
    """Yields copies of data with a few bytes overwritten, reproducibly."""
    generator = random.Random(seed)
    for _ in range(count):
        mutated = bytearray(data)
        for _ in range(generator.randint(1, 8)):
            # Most mutations hit the headers, where the offsets and sizes are.
            if generator.random() < 0.6:
                offset = generator.randrange(2, min(len(mutated), 1024))
            else:
                offset = generator.randrange(2, len(mutated))
            mutated[offset] = generator.randrange(256)
        yield bytes(mutated)


def testMutatedInputsNeverCrash(tmp_path):
    """Random byte changes: WrongParser or one event data, never an exception."""
    signed = _WithCertificateTable(
        forge_pe.build_pe(COMPILE_TIME, VERSION_INFO),
        bytes(
            _ShimData()[
                _ShimSignedData(_ShimData())[0]
                .OPTIONAL_HEADER.DATA_DIRECTORY[4]
                .VirtualAddress :
            ]
        ),
    )
    outcomes = {"wrong_parser": 0, "parsed": 0}
    for seed, data in enumerate(
        [forge_pe.build_pe(COMPILE_TIME, VERSION_INFO, machine="amd64"), signed]
    ):
        for index, mutated in enumerate(_Mutations(data, seed, 150)):
            # A new name each time: dfVFS caches file objects by path.
            path = _Write(tmp_path, mutated, f"mutated{seed:d}-{index:03d}.exe")
            try:
                result = _Parse(path)
            except errors.WrongParser:
                outcomes["wrong_parser"] += 1
                continue
            _OnlyEventData(result)
            outcomes["parsed"] += 1
    assert outcomes["parsed"] > 250


def testRSAKeySizeLimit():
    """Keys beyond the RSA limits are refused before any exponentiation."""

    class SmallLimitParser(pe_version_info.PEVersionInfoParser):
        MAXIMUM_RSA_EXPONENT_BITS = 16

    result = _Parse(real_pe.ShimPath(), SmallLimitParser)

    event_data = _OnlyEventData(result)
    assert event_data.signature_status == (
        "damaged: unsupported RSA key: 2048-bit modulus, 17-bit exponent"
    )
    assert event_data.signer_common_name == SHIM_SIGNER_CN
