"""Damaged images: plaso finishes, the damage is visible, intact traces are found.

The committed damaged scenario (test_data/images/damaged.E01, checked by
test_analysis_scenarios.py) covers a truncated hive and an EVTX file with a
corrupt chunk. This module damages the RAT image rat_drop.E01 at test time
(tests/damage.py), where its NetSupport kit sits in
\\Users\\amoreau\\AppData\\Roaming\\MsEdgeSandbox with client32.ini pointing at
nohakob-cdn.icu:443:

* a corrupt NTFS MFT entry of a file outside the kit, in the raw disk;
* E01 files cut short at several points;
* an E01 chunk whose compressed data is corrupted, size unchanged.

What plaso 20260720 (libewf 20140813 tools, pyewf / pyfsntfs of the venv) does
is written in each test's docstring. Every run of a stock tool has a 120 s
timeout (no hang) and its output must hold no Python traceback.
"""

import subprocess

import pytest

from plaso.storage import factory as storage_factory

from tests import damage
from tests import plaso_run
from tests import scenario_cache

pytestmark = pytest.mark.e2e

RAT_IMAGE = scenario_cache.ImagePath("rat_drop")
KIT = "\\Users\\amoreau\\AppData\\Roaming\\MsEdgeSandbox"
GATEWAY = "nohakob-cdn.icu"
PARSERS = "win7,netsupport"
TIMEOUT = 120
# A FILETIME of 0 (1601-01-01) in plaso's microseconds since 1970.
FILETIME_ZERO = -11644473600000000

# The victim of the MFT test: a file outside the kit, with a PE parsed from it
# and a sibling in its directory.
MFT_VICTIM = "\\Program Files\\7-Zip\\7z.exe"
VICTIM_DIRECTORY = "\\Program Files\\7-Zip"
MFT_SIBLING = "\\Program Files\\7-Zip\\readme.txt"
UNRELATED_DIRECTORY_FILE = "\\Program Files\\Windows Defender\\MsMpEng.exe"


def _Output(result):
    return f"{result.stdout}\n{result.stderr}"


def _AssertNoTraceback(result):
    output = _Output(result)
    assert "Traceback (most recent call last)" not in output, output[-4000:]


def _Extract(directory, source, check=True):
    """Runs log2timeline (default multi-process mode) on a source."""
    storage = directory / "case.plaso"
    result = plaso_run.Log2Timeline(
        storage,
        source,
        "--parsers",
        PARSERS,
        cwd=directory,
        timeout=TIMEOUT,
        check=check,
    )
    _AssertNoTraceback(result)
    return storage, result


def _Analyse(directory, storage):
    result = plaso_run.Analyse(storage, cwd=directory, timeout=TIMEOUT)
    _AssertNoTraceback(result)


def _Read(storage):
    """Returns (events, warnings) of a storage file.

    events: dicts of the event data attributes plus timestamp, timestamp_desc,
    labels (a set) and location (of the file the event data came from).
    warnings: (location, parser chain, message).
    """
    reader = storage_factory.StorageFactory.CreateStorageReaderForFile(str(storage))
    try:
        labels = {}
        for event_tag in reader.GetAttributeContainers("event_tag"):
            identifier = event_tag.GetEventIdentifier().CopyToString()
            labels[identifier] = set(event_tag.labels)
        locations = {}
        for stream in reader.GetAttributeContainers("event_data_stream"):
            location = getattr(stream.path_spec, "location", None)
            locations[stream.GetIdentifier().CopyToString()] = location
        event_data = {}
        for container in reader.GetAttributeContainers("event_data"):
            values = dict(container.GetAttributes())
            stream = container.GetEventDataStreamIdentifier()
            if stream:
                values["location"] = locations.get(stream.CopyToString())
            event_data[container.GetIdentifier().CopyToString()] = values
        events = []
        for event in reader.GetAttributeContainers("event"):
            record = dict(event_data[event.GetEventDataIdentifier().CopyToString()])
            record["timestamp"] = event.timestamp
            record["timestamp_desc"] = event.timestamp_desc
            record["labels"] = labels.get(event.GetIdentifier().CopyToString(), set())
            events.append(record)
    finally:
        reader.Close()
    return events, plaso_run.ExtractionWarnings(storage)


def _Text(value):
    if isinstance(value, (list, tuple)):
        return "\n".join(str(item) for item in value)
    return str(value or "")


def _Of(events, data_type, field, substring):
    return [
        event
        for event in events
        if event.get("data_type") == data_type
        and substring.lower() in _Text(event.get(field)).lower()
    ]


def _AssertKitFound(events, tagged):
    """The kit's configuration, Run key and prefetch are in the timeline.

    tagged: the storage went through psort --analysis netsupport, so each of
    them must also carry the netsupport label.
    """
    configs = [
        event
        for event in _Of(
            events, "netsupport:client32_ini:config", "path", KIT + "\\client32.ini"
        )
        if event.get("gateway") == GATEWAY and event.get("gateway_port") == 443
    ]
    runs = _Of(events, "windows:registry:run", "entries", KIT + "\\client32.exe")
    prefetch = _Of(events, "windows:prefetch:execution", "executable", "CLIENT32.EXE")
    found_by_name = {"client32.ini": configs, "Run key": runs, "prefetch": prefetch}
    for name, found in found_by_name.items():
        assert found, f"kit {name} event missing"
        if tagged:
            untagged = [event for event in found if "netsupport" not in event["labels"]]
            assert not untagged, f"kit {name} event not tagged: {untagged[0]}"


def _RatImageBytes():
    with open(RAT_IMAGE, "rb") as file_object:
        return file_object.read()


@pytest.fixture(scope="module")
def rat_disk():
    """The raw disk of rat_drop.E01 (bytes)."""
    return damage.ReadMedia(RAT_IMAGE)


@pytest.mark.parametrize(
    "keep_signature", [False, True], ids=["garbage_record", "broken_fixup"]
)
def test_corrupt_mft_entry(tmp_path, rat_disk, keep_signature):
    """The MFT record of \\Program Files\\7-Zip\\7z.exe is overwritten.

    What plaso does (raw image, log2timeline and psort both exit 0, the kit is
    found and tagged either way):

    * garbage_record (the whole 1 KiB record is random, signature "BAAD"):
      NO extraction warning. libfsntfs treats the entry as empty; the file is
      still listed through its directory's index, so plaso emits its four
      fs:stat events with FILETIME 0 (1601-01-01) and a meaningless size; its
      content is not parsed (no pe_coff:file). Its sibling readme.txt is intact.
    * broken_fixup ("FILE" header kept, attributes garbage, fixup mismatch):
      one extraction warning on the parent directory \\Program Files\\7-Zip
      ("unable to retrieve sub file entry ... unable to retrieve MFT entry: 79").
      The file is absent — and so are the directory's other entries (its
      sibling readme.txt) and the directory's own fs:stat events, because
      dfVFS stops listing the directory at the failing entry.
    """
    disk = bytearray(rat_disk)
    ntfs = damage.Ntfs(disk)
    number = ntfs.FindRecord(MFT_VICTIM)
    assert ntfs.FindRecord(KIT + "\\client32.ini") != number
    ntfs.CorruptRecord(number, keep_signature=keep_signature, seed=number)
    assert ntfs.Record(number) is None or keep_signature
    raw = tmp_path / "disk.raw"
    raw.write_bytes(disk)
    del disk

    storage, _ = _Extract(tmp_path, raw)
    _Analyse(tmp_path, storage)
    events, warnings = _Read(storage)

    _AssertKitFound(events, tagged=True)
    # Damage stays local: another Program Files directory is listed as usual.
    assert _Of(events, "fs:stat", "filename", UNRELATED_DIRECTORY_FILE)

    # The corrupt record's content is lost...
    assert not _Of(events, "pe_coff:file", "location", MFT_VICTIM)
    # ...and its metadata is not passed off as real: a warning names it (or its
    # directory), or it is absent, or its times are the FILETIME 0 placeholder.
    victim_warnings = [
        warning
        for warning in warnings
        if warning[0].lower() in (MFT_VICTIM.lower(), VICTIM_DIRECTORY.lower())
    ]
    victim_stats = _Of(events, "fs:stat", "filename", MFT_VICTIM)
    assert victim_warnings or all(
        event["timestamp"] == FILETIME_ZERO for event in victim_stats
    ), victim_stats
    if keep_signature:
        assert victim_warnings, warnings
        assert any(f"MFT entry: {number}" in warning[2] for warning in victim_warnings)
        assert not victim_stats
    else:
        # Observed: no warning; the file is listed with FILETIME 0 times.
        assert _Of(events, "fs:stat", "filename", MFT_SIBLING)


def _CutPoints(data):
    image = damage.E01(data)
    table2, after_table2 = image.Section("table2")
    return {
        "50_percent": len(data) * 50 // 100,
        "90_percent": len(data) * 90 // 100,
        "inside_table2": (table2 + after_table2) // 2,
        "after_table": table2,
    }


@pytest.mark.parametrize("cut", ["50_percent", "90_percent", "inside_table2"])
def test_truncated_e01_unreadable(tmp_path, cut):
    """An E01 cut inside its chunk data or its table2 section.

    What plaso does: log2timeline exits 1 within ~3 s with "Unable to scan
    source with error: ..." and libewf's error chain (cut in the chunk data,
    50 % and 90 %: libewf opens the file, but without the table at the end no
    chunk can be located, "unable to retrieve chunk data for offset: 0"; cut
    inside table2: "pyewf_handle_open: unable to open handle"). No traceback,
    no hang. The volume is unreadable, so there are no traces to find.
    A plaso that learns to read what it can instead must exit 0 with
    warnings and still find the kit (the other branch below).
    """
    data = _RatImageBytes()
    image = tmp_path / "rat_drop.E01"
    image.write_bytes(data[: _CutPoints(data)[cut]])

    storage, result = _Extract(tmp_path, image, check=False)
    if result.returncode != 0:
        output = _Output(result)
        assert "Unable to scan source" in output, output[-4000:]
        assert "ewf" in output.lower(), output[-4000:]
    else:
        events, warnings = _Read(storage)
        assert warnings
        _AssertKitFound(events, tagged=False)


def test_truncated_e01_after_table(tmp_path):
    """An E01 cut after its table section (table2, data, digest, hash, done lost).

    What plaso does: every chunk is still located through the table, so
    log2timeline exits 0, reads the whole volume and finds every trace — and
    records no warning that the image is incomplete (ewfverify does fail:
    no stored hash).
    """
    data = _RatImageBytes()
    image = tmp_path / "rat_drop.E01"
    image.write_bytes(data[: _CutPoints(data)["after_table"]])
    verify = subprocess.run(
        ["ewfverify", "-q", str(image)], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert verify.returncode != 0

    storage, result = _Extract(tmp_path, image, check=False)
    assert result.returncode == 0, _Output(result)[-4000:]
    events, _ = _Read(storage)
    _AssertKitFound(events, tagged=False)


def _ChunkOfNonKitExecutables(data, ntfs, chunk_size):
    """Returns (chunk index, paths) of a chunk that holds only the $DATA of
    executables outside the kit (no MFT, directory index, hive or log)."""
    paths = damage.Ntfs.Paths(ntfs.Entries())
    chunk_count = len(damage.E01(data).Chunks())
    for chunk, owners in sorted(ntfs.ChunkOwners(chunk_size).items()):
        names = [paths.get(number, "") for number, _ in owners]
        if (
            chunk < chunk_count
            and all(kind == damage.ATTRIBUTE_DATA for _, kind in owners)
            and all(name.lower().endswith((".exe", ".dll")) for name in names)
            and not any(name.lower().startswith(KIT.lower()) for name in names)
        ):
            return chunk, sorted(names)
    raise AssertionError("no chunk holds only non-kit executables")


def test_corrupt_e01_chunk(tmp_path, rat_disk):
    """Inverted bytes inside one chunk's compressed data, size unchanged.

    The chunk (32 KiB, 64 sectors) is chosen from the NTFS layout: it holds
    only data of executables outside the kit (\\Windows\\System32\\notepad.exe,
    svchost.exe, wscript.exe, part of kernel32.dll, msedge.exe on this image).
    ewfverify reports exactly its 64 sectors as a sector validation error.

    What plaso does: libewf returns the chunk zero-filled and pyewf reports
    nothing, so log2timeline and psort exit 0 with NO extraction warning; the
    files whose PE header was in the chunk simply get no pe_coff:file event.
    Everything outside the chunk is found; the kit is tagged.
    """
    data = _RatImageBytes()
    ntfs = damage.Ntfs(rat_disk)
    chunk_size = 64 * damage.SECTOR  # ewfinfo: 64 sectors per chunk
    chunk, names = _ChunkOfNonKitExecutables(data, ntfs, chunk_size)
    image = damage.E01(data)
    image.CorruptChunk(chunk)
    corrupt = tmp_path / "rat_drop.E01"
    corrupt.write_bytes(image.data)
    assert len(image.data) == len(data)

    verify = subprocess.run(
        ["ewfverify", str(corrupt)], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert verify.returncode != 0
    first_sector = chunk * 64
    assert f"{first_sector} - {first_sector + 63}" in verify.stdout, verify.stdout

    storage, _ = _Extract(tmp_path, corrupt)
    _Analyse(tmp_path, storage)
    events, _ = _Read(storage)

    _AssertKitFound(events, tagged=True)
    # The chunk was really read: an executable whose data starts in it lost
    # its PE metadata; one outside it kept it.
    starts_in_chunk = [
        name for name in names if _FirstChunk(ntfs, name, chunk_size) == chunk
    ]
    assert starts_in_chunk
    for name in starts_in_chunk:
        assert not _Of(events, "pe_coff:file", "location", name), name
    assert _Of(events, "pe_coff:file", "location", MFT_VICTIM)
    # The files themselves are still listed.
    for name in names:
        assert _Of(events, "fs:stat", "filename", name), name


def _FirstChunk(ntfs, path, chunk_size):
    entries = ntfs.Entries()
    number = ntfs.FindRecord(path)
    for kind, runs in entries[number][2]:
        if kind == damage.ATTRIBUTE_DATA and runs:
            offset = damage.PARTITION_START + runs[0][0] * ntfs.cluster_size
            return offset // chunk_size
    return None
