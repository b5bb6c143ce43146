"""End to end: the stock log2timeline and psort on real and forged PE files.

The source is an OS directory shaped like a Windows volume, holding Debian's
shimx64.efi.signed (signed by Microsoft; tests/real_pe.py fetches it), a copy
of it with one byte changed in its first section, pip's t64.exe launcher, a
forged renamed NetSupport client and a copy of the signed file inside
Windows\\System32, which the parser must skip.
"""

import os
import shutil

import pefile
import pytest

from tests import plaso_run
from tests import real_pe
from tests.forge import pe as forge_pe
from tests.test_parser_pe_version_info import COMPILE_TIME
from tests.test_parser_pe_version_info import SHIM_ISSUER
from tests.test_parser_pe_version_info import SHIM_SIGNER_CN
from tests.test_parser_pe_version_info import SHIM_SIGNER_SUBJECT
from tests.test_parser_pe_version_info import VERSION_INFO

pytestmark = [pytest.mark.e2e]

DATA_TYPE = "netsupport:pe:version_info"


@pytest.fixture(scope="module")
def Records(tmp_path_factory):
    """Extracts the source once; returns the pe_version_info records by path."""
    directory = tmp_path_factory.mktemp("pe_e2e")
    source = directory / "source"
    downloads = source / "Users" / "alice" / "Downloads"
    downloads.mkdir(parents=True)
    system32 = source / "Windows" / "System32"
    system32.mkdir(parents=True)
    programs = source / "ProgramData" / "Launcher"
    programs.mkdir(parents=True)

    shim = real_pe.ShimPath()
    shutil.copyfile(shim, downloads / "shimx64.efi.signed")
    shutil.copyfile(shim, system32 / "shimx64.efi.signed")
    with open(shim, "rb") as file_object:
        data = bytearray(file_object.read())
    section = pefile.PE(data=bytes(data), fast_load=True).sections[0]
    data[section.PointerToRawData + 100] ^= 0x01
    (downloads / "shim-modified.efi").write_bytes(data)
    shutil.copyfile(real_pe.PipLauncherPath(), programs / "t64.exe")
    (programs / "svchost.exe").write_bytes(
        forge_pe.build_pe(COMPILE_TIME, VERSION_INFO)
    )

    storage = directory / "case.plaso"
    plaso_run.Log2Timeline(
        storage, source, "--parsers", "win7", "--single_process", cwd=directory
    )
    records = plaso_run.JsonLines(
        storage, directory / "out.jsonl", f"data_type is '{DATA_TYPE}'", cwd=directory
    )
    by_path = {}
    for record in records:
        relative = os.path.relpath(record["pathspec"]["location"], source)
        by_path.setdefault(relative.replace(os.sep, "/"), []).append(record)
    warnings = [
        warning
        for warning in plaso_run.ExtractionWarnings(storage)
        if "pe_version_info" in warning[1]
    ]
    return by_path, warnings


def testSignedShim(Records):
    by_path, _ = Records
    (record,) = by_path["Users/alice/Downloads/shimx64.efi.signed"]
    assert record["signature_status"] == "digest matches"
    assert record["digest_matches"] is True
    assert record["signer_common_name"] == SHIM_SIGNER_CN
    assert record["signer_subject"] == SHIM_SIGNER_SUBJECT
    assert record["signer_issuer"] == SHIM_ISSUER
    assert record["digest_algorithm"] == "sha256"
    assert record["timestamp_desc"] == "Signing Time"
    assert record["timestamp"] > 0
    assert "Signature: digest matches" in record["message"]
    assert f"Signer: {SHIM_SIGNER_SUBJECT}" in record["message"]


def testOneByteChanged(Records):
    by_path, _ = Records
    (record,) = by_path["Users/alice/Downloads/shim-modified.efi"]
    assert record["signature_status"] == "digest mismatch"
    assert record["digest_matches"] is False
    assert record["signer_common_name"] == SHIM_SIGNER_CN


def testVersionStrings(Records):
    by_path, _ = Records
    (launcher,) = by_path["ProgramData/Launcher/t64.exe"]
    assert launcher["company_name"] == "Simple Launcher User"
    assert launcher["original_filename"] == "t64.exe"
    assert launcher["signature_status"] == "unsigned"
    assert launcher["timestamp_desc"] == "Not a time"

    (renamed,) = by_path["ProgramData/Launcher/svchost.exe"]
    assert renamed["original_filename"] == "client32.exe"
    assert renamed["company_name"] == "NetSupport Ltd"
    assert renamed["product_name"] == "NetSupport Remote Control"
    assert "digest_matches" not in renamed or renamed["digest_matches"] is None


def testWindowsDirectorySkippedAndNoWarnings(Records):
    by_path, warnings = Records
    assert sorted(by_path) == [
        "ProgramData/Launcher/svchost.exe",
        "ProgramData/Launcher/t64.exe",
        "Users/alice/Downloads/shim-modified.efi",
        "Users/alice/Downloads/shimx64.efi.signed",
    ]
    assert warnings == []
