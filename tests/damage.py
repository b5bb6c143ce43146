"""Damages forge images at test time: MFT entries, E01 files and E01 chunks.

Only the standard library and pyewf; the layout knowledge is the minimum the
forge images need (MBR disk, one NTFS partition at sector 2048, a single-segment
EnCase 6 E01 with one sectors, table and table2 section).

* NTFS: the boot sector gives the cluster size, the $MFT cluster and the MFT
  record size; records are read with their update sequence (fixup) applied, and
  every attribute's data runs are decoded, so that a test can tell which
  clusters (and which E01 chunks) belong to which file and attribute.
* EWF v1 (E01): a 13-byte file header, then sections, each with a 76-byte
  descriptor (type, next offset, size, padding, Adler-32). The table section
  holds the chunk count and a base offset, then one 32-bit entry per chunk
  (bit 31: compressed, bits 0-30: offset of the chunk's data from the base
  offset). A chunk's stored data runs to the next chunk's, the last one to the
  end of the sectors section.
"""

import random
import struct

import pyewf

SECTOR = 512
PARTITION_START = 2048 * SECTOR

ATTRIBUTE_DATA = 0x80
ATTRIBUTE_FILE_NAME = 0x30


def ReadMedia(e01_path):
    """Returns the whole media of an E01 image as bytes (pyewf)."""
    handle = pyewf.handle()
    handle.open([str(e01_path)])
    try:
        return handle.read_buffer_at_offset(handle.get_media_size(), 0)
    finally:
        handle.close()


class Ntfs:
    """The NTFS volume at PARTITION_START of a raw disk (bytes or bytearray)."""

    def __init__(self, disk):
        self.disk = disk
        boot = bytes(disk[PARTITION_START : PARTITION_START + SECTOR])
        if boot[3:11] != b"NTFS    ":
            raise ValueError("no NTFS boot sector at the partition start")
        self.bytes_per_sector = struct.unpack_from("<H", boot, 0x0B)[0]
        self.cluster_size = self.bytes_per_sector * boot[0x0D]
        mft_cluster = struct.unpack_from("<q", boot, 0x30)[0]
        record_size = struct.unpack_from("<b", boot, 0x40)[0]
        self.record_size = (
            1 << -record_size if record_size < 0 else record_size * self.cluster_size
        )
        self.mft_offset = PARTITION_START + mft_cluster * self.cluster_size

    def RecordOffset(self, number):
        """Returns the disk offset of MFT record `number`."""
        return self.mft_offset + number * self.record_size

    def Record(self, number):
        """Returns the record with its fixups applied, or None without "FILE"."""
        offset = self.RecordOffset(number)
        record = bytearray(self.disk[offset : offset + self.record_size])
        if record[:4] != b"FILE":
            return None
        usa_offset, usa_count = struct.unpack_from("<HH", record, 4)
        for index in range(1, usa_count):
            end = index * self.bytes_per_sector
            saved = usa_offset + 2 * index
            record[end - 2 : end] = record[saved : saved + 2]
        return bytes(record)

    @staticmethod
    def Attributes(record):
        """Yields (type, name length, resident flag, attribute bytes)."""
        offset = struct.unpack_from("<H", record, 0x14)[0]
        while offset + 16 <= len(record):
            kind, length = struct.unpack_from("<II", record, offset)
            if kind == 0xFFFFFFFF or length == 0 or offset + length > len(record):
                return
            attribute = record[offset : offset + length]
            yield kind, record[offset + 9], record[offset + 8], attribute
            offset += length

    @staticmethod
    def DataRuns(attribute):
        """Returns the (first cluster, count) runs of a non-resident attribute."""
        runs_offset = struct.unpack_from("<H", attribute, 0x20)[0]
        position, cluster, runs = runs_offset, 0, []
        while position < len(attribute) and attribute[position]:
            header = attribute[position]
            length_size, offset_size = header & 0x0F, header >> 4
            position += 1
            count = int.from_bytes(
                attribute[position : position + length_size], "little"
            )
            position += length_size
            if offset_size:
                cluster += int.from_bytes(
                    attribute[position : position + offset_size], "little", signed=True
                )
                runs.append((cluster, count))
            position += offset_size
        return runs

    def Entries(self, limit=4096):
        """Returns {record number: (parent, name, attribute runs)} of in-use records.

        attribute runs: list of (attribute type, [(first cluster, count)]).
        The name is the long (Win32) $FILE_NAME when there is one.
        """
        entries, misses, number = {}, 0, 0
        while misses < 64 and number < limit:
            record = self.Record(number)
            number += 1
            if record is None:
                misses += 1
                continue
            misses = 0
            names, runs = [], []
            for kind, _, non_resident, attribute in self.Attributes(record):
                if non_resident:
                    runs.append((kind, self.DataRuns(attribute)))
                elif kind == ATTRIBUTE_FILE_NAME:
                    content = attribute[struct.unpack_from("<H", attribute, 0x14)[0] :]
                    parent = struct.unpack_from("<Q", content, 0)[0] & 0xFFFFFFFFFFFF
                    length, namespace = content[0x40], content[0x41]
                    name = content[0x42 : 0x42 + 2 * length].decode("utf-16-le")
                    names.append((namespace == 2, parent, name))  # DOS names last
            if names:
                _, parent, name = sorted(names)[0]
                entries[number - 1] = (parent, name, runs)
        return entries

    @staticmethod
    def Paths(entries):
        """Returns {record number: Windows path} for the records of Entries()."""
        paths = {}
        for number in entries:
            parts, current, seen = [], number, set()
            while current in entries and current != 5 and current not in seen:
                seen.add(current)
                parent, name, _ = entries[current]
                parts.append(name)
                current = parent
            paths[number] = "\\" + "\\".join(reversed(parts))
        return paths

    def FindRecord(self, path):
        """Returns the MFT record number of a path (case-insensitive)."""
        entries = self.Entries()
        for number, candidate in self.Paths(entries).items():
            if candidate.lower() == path.lower():
                return number
        raise KeyError(path)

    def ChunkOwners(self, chunk_size):
        """Returns {chunk index: {(record number, attribute type)}} of the disk."""
        owners = {}
        for number, (_, _, runs) in self.Entries().items():
            for kind, extents in runs:
                for cluster, count in extents:
                    start = PARTITION_START + cluster * self.cluster_size
                    end = start + count * self.cluster_size
                    last = (end - 1) // chunk_size
                    for chunk in range(start // chunk_size, last + 1):
                        owners.setdefault(chunk, set()).add((number, kind))
        return owners

    def CorruptRecord(self, number, keep_signature=False, seed=0):
        """Overwrites MFT record `number` in place (self.disk must be a bytearray).

        keep_signature=False: the whole record is garbage ("BAAD" signature,
        no valid update sequence). keep_signature=True: the header up to the
        first attribute ("FILE", the update sequence array) is kept, the
        attributes are garbage, and no sector ends with the update sequence
        number any more (a fixup mismatch).
        """
        offset = self.RecordOffset(number)
        garbage = bytearray(random.Random(seed).randbytes(self.record_size))
        if keep_signature:
            first_attribute = struct.unpack_from("<H", self.disk, offset + 0x14)[0]
            garbage[:first_attribute] = self.disk[offset : offset + first_attribute]
            usa_offset = struct.unpack_from("<H", self.disk, offset + 4)[0]
            usn = bytes(self.disk[offset + usa_offset : offset + usa_offset + 2])
            sector = self.bytes_per_sector
            for end in range(sector, self.record_size + 1, sector):
                if garbage[end - 2 : end] == usn:
                    garbage[end - 2] ^= 0xFF
        else:
            garbage[:4] = b"BAAD"
        self.disk[offset : offset + self.record_size] = garbage


class E01:
    """A single-segment EWF v1 (EnCase 6) image file held in memory."""

    def __init__(self, data):
        self.data = bytearray(data)
        if bytes(self.data[:8]) != b"EVF\x09\x0d\x0a\xff\x00":
            raise ValueError("not an EWF v1 segment file")
        self.sections = []  # (type, descriptor offset, next offset, size)
        offset = 13
        while offset + 76 <= len(self.data):
            kind, following, size = struct.unpack_from("<16sQQ", self.data, offset)
            kind = kind.rstrip(b"\0").decode("ascii")
            self.sections.append((kind, offset, following, size))
            if kind in ("done", "next") or following <= offset:
                break
            offset = following

    def Section(self, kind):
        """Returns (descriptor offset, next offset) of the first section `kind`."""
        for name, offset, following, _ in self.sections:
            if name == kind:
                return offset, following
        raise KeyError(kind)

    def Chunks(self):
        """Returns [(data offset, stored size, compressed)] of every chunk."""
        sectors_end = self.Section("sectors")[1]
        table = self.Section("table")[0] + 76
        count, _, base = struct.unpack_from("<IIQ", self.data, table)
        entries = struct.unpack_from(f"<{count}I", self.data, table + 24)
        offsets = [(entry & 0x7FFFFFFF) + base for entry in entries]
        ends = offsets[1:] + [sectors_end]
        return [
            (offset, end - offset, bool(entry >> 31))
            for offset, end, entry in zip(offsets, ends, entries)
        ]

    def CorruptChunk(self, index, length=16):
        """Inverts `length` bytes in the middle of a chunk's stored data."""
        offset, size, _ = self.Chunks()[index]
        start = offset + max(0, size // 2 - length // 2)
        for position in range(start, min(start + length, offset + size)):
            self.data[position] ^= 0xFF
