"""Wrap an NTFS volume in an MBR disk and an EnCase 6 E01.

Reproducibility: ewfacquire writes the acquisition and system dates into the
E01 header; it runs with libfaketime frozen at the case's acquisition time
(``FakeClock.env``), which makes the E01 byte-identical across rebuilds.
"""

import hashlib
import os
import shutil
import struct
import subprocess
import tempfile

SECTOR = 512
PARTITION_START = 2048


def _chs(lba, heads=255, spt=63):
    cyl = lba // (heads * spt)
    if cyl > 1023:
        return b"\xfe\xff\xff"
    head = (lba // spt) % heads
    sector = lba % spt + 1
    return bytes([head, ((cyl >> 2) & 0xC0) | sector, cyl & 0xFF])


def build_mbr(volume_sectors, disk_signature, start=PARTITION_START, ptype=0x07):
    mbr = bytearray(SECTOR)
    struct.pack_into("<I", mbr, 440, disk_signature & 0xFFFFFFFF)
    entry = bytearray(16)
    entry[0] = 0x80
    entry[1:4] = _chs(start)
    entry[4] = ptype
    entry[5:8] = _chs(start + volume_sectors - 1)
    struct.pack_into("<II", entry, 8, start, volume_sectors)
    mbr[446:462] = entry
    mbr[510:512] = b"\x55\xaa"
    return bytes(mbr)


def write_raw_disk(volume_path, raw_path, disk_signature):
    """raw = MBR + zero gap + volume (sparse where the volume is sparse)."""
    vol_size = os.path.getsize(volume_path)
    assert vol_size % SECTOR == 0
    with open(raw_path, "wb") as out:
        out.write(build_mbr(vol_size // SECTOR, disk_signature))
        out.truncate(PARTITION_START * SECTOR)
        out.seek(PARTITION_START * SECTOR)
        with open(volume_path, "rb") as vol:
            zero = bytes(1 << 20)
            while True:
                chunk = vol.read(1 << 20)
                if not chunk:
                    break
                if chunk == zero[: len(chunk)]:
                    out.seek(len(chunk), os.SEEK_CUR)
                else:
                    out.write(chunk)
        out.truncate(PARTITION_START * SECTOR + vol_size)


def ewfacquire(raw_path, out_e01, case, env):
    """Runs ewfacquire; `case` keys: case_number, description, evidence_number,
    examiner, notes. Writes exactly `out_e01` (must end in .E01)."""
    exe = shutil.which("ewfacquire") or "/usr/bin/ewfacquire"
    if not out_e01.endswith(".E01"):
        raise ValueError("output must end with .E01")
    tmpdir = tempfile.mkdtemp(
        prefix="ewf-", dir=os.path.dirname(os.path.abspath(out_e01))
    )
    try:
        target = os.path.join(tmpdir, "image")
        cmd = [
            exe,
            "-u",
            "-q",
            "-t",
            target,
            "-f",
            "encase6",
            "-c",
            "deflate:best",
            "-C",
            case.get("case_number", ""),
            "-D",
            case.get("description", ""),
            "-E",
            case.get("evidence_number", ""),
            "-e",
            case.get("examiner", ""),
            "-N",
            case.get("notes", ""),
            "-m",
            "fixed",
            "-M",
            "physical",
            "-d",
            "sha1",
            raw_path,
        ]
        proc = subprocess.run(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        if proc.returncode != 0 or not os.path.exists(target + ".E01"):
            raise RuntimeError(
                f"ewfacquire failed: {proc.stderr.decode(errors='replace')}"
                f"{proc.stdout.decode(errors='replace')[-2000:]}"
            )
        os.replace(target + ".E01", out_e01)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
