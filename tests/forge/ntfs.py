"""Build an NTFS volume image with libntfs-3g through ctypes.

No FUSE and no kernel mount: mkntfs formats a sparse file, libntfs-3g opens
it in-process and creates directories, files, named streams, times, flags and
deleted entries. Reproducibility comes from libfaketime (see ``FakeClock``):
the fake clock is moved to each entry's creation time before ``ntfs_create``
so that the ``$FILE_NAME`` times are deterministic too.

Layout facts (checked for ntfs-3g 2022.10.3 on x86_64):
  struct ntfs_inode: mft_no@0, mrec@8, vol@16, state@24, flags(le32)@32,
  creation_time@80, last_data_change_time@88, last_mft_change_time@96,
  last_access_time@104.
"""

import ctypes
import ctypes.util
import datetime
import os
import struct
import subprocess

from tests.forge import filetime

LIBNTFS_NAMES = ("libntfs-3g.so.89", "libntfs-3g.so")
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

AT_DATA = 0x80
S_IFDIR = 0o040000
S_IFREG = 0o100000

FILE_ATTR_READONLY = 0x0001
FILE_ATTR_HIDDEN = 0x0002
FILE_ATTR_SYSTEM = 0x0004
FILE_ATTR_ARCHIVE = 0x0020
FILE_ATTR_NOT_CONTENT_INDEXED = 0x2000

ATTRIBUTE_FLAGS = {
    "readonly": FILE_ATTR_READONLY,
    "hidden": FILE_ATTR_HIDDEN,
    "system": FILE_ATTR_SYSTEM,
    "archive": FILE_ATTR_ARCHIVE,
    "not_content_indexed": FILE_ATTR_NOT_CONTENT_INDEXED,
}

# struct ntfs_inode offsets.
_OFF_VOL = 16
_OFF_STATE = 24
_OFF_FLAGS = 32
_OFF_CRTIME = 80
_OFF_MTIME = 88
_OFF_CTIME = 96
_OFF_ATIME = 104
# ntfs_inode_state_bits
_NI_DIRTY = 0
_NI_FILENAME_DIRTY = 3
_NI_TIMES_SET = 5

MFT_RECORD_SIZE = 1024


class NtfsError(RuntimeError):
    """libntfs-3g call failed."""


def to_filetime(value):
    """datetime (aware UTC or naive = UTC) -> FILETIME int (100 ns)."""
    return filetime.FromDateTime(value, naive_is_utc=True)


def load_libntfs():
    last = None
    for name in LIBNTFS_NAMES:
        try:
            return ctypes.CDLL(name, use_errno=True)
        except OSError as exc:  # pragma: no cover - depends on host
            last = exc
    path = ctypes.util.find_library("ntfs-3g")
    if path:
        return ctypes.CDLL(path, use_errno=True)
    raise NtfsError(f"libntfs-3g not found: {last}")


def tools_available():
    """Returns a reason string if the toolchain is missing, else None."""
    import shutil

    for tool in ("mkntfs", "ewfacquire"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            return f"{tool} not installed"
    if not os.path.exists(FAKETIME_LIB):
        return "libfaketime not installed"
    try:
        load_libntfs()
    except NtfsError as exc:
        return str(exc)
    return None


class FakeClock:
    """Moves the libfaketime clock of this process (and its children).

    Works when the process runs with LD_PRELOAD=libfaketime,
    FAKETIME_TIMESTAMP_FILE=<file> and FAKETIME_NO_CACHE=1 (see
    ``scenario.reexec_under_faketime``). Without it, set() is a no-op and
    the image will contain the real 'now' in $FILE_NAME times.
    """

    def __init__(self):
        self.path = os.environ.get("FAKETIME_TIMESTAMP_FILE")
        self.active = bool(self.path) and FAKETIME_LIB in os.environ.get(
            "LD_PRELOAD", ""
        )
        self.current = None

    def set(self, when):
        if when.tzinfo is not None:
            when = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        self.current = when
        if not self.path:
            return
        with open(self.path, "w", encoding="ascii") as f:
            f.write(when.strftime("%Y-%m-%d %H:%M:%S") + "\n")

    def env(self, when=None):
        """Environment for a child process with the clock frozen at `when`."""
        env = dict(os.environ)
        when = when or self.current
        if when is not None:
            env["LD_PRELOAD"] = FAKETIME_LIB
            env["FAKETIME"] = when.strftime("%Y-%m-%d %H:%M:%S")
            env.pop("FAKETIME_TIMESTAMP_FILE", None)
            env.pop("FAKETIME_NO_CACHE", None)
        return env


def _utf16(name):
    data = name.encode("utf-16-le")
    buf = ctypes.create_string_buffer(data, len(data) + 2)
    return buf, len(data) // 2


def mkntfs(path, size, label="Windows", clock=None, when=None):
    """Creates a sparse file of `size` bytes and formats it as NTFS."""
    with open(path, "wb") as f:
        f.truncate(size)
    env = clock.env(when) if clock else dict(os.environ)
    subprocess.run(
        [
            "mkntfs",
            "-F",
            "-Q",
            "-q",
            "-L",
            label,
            "-c",
            "4096",
            "-s",
            "512",
            "-p",
            "2048",
            "-H",
            "255",
            "-S",
            "63",
            path,
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


class NtfsVolume:
    """An NTFS volume file mounted in-process by libntfs-3g."""

    def __init__(self, path, clock=None):
        self.path = path
        self.clock = clock or FakeClock()
        lib = self.lib = load_libntfs()
        vp = ctypes.c_void_p
        lib.ntfs_mount.restype = vp
        lib.ntfs_mount.argtypes = [ctypes.c_char_p, ctypes.c_ulong]
        lib.ntfs_umount.argtypes = [vp, ctypes.c_int]
        lib.ntfs_pathname_to_inode.restype = vp
        lib.ntfs_pathname_to_inode.argtypes = [vp, vp, ctypes.c_char_p]
        lib.ntfs_create.restype = vp
        lib.ntfs_create.argtypes = [
            vp,
            ctypes.c_uint32,
            ctypes.c_char_p,
            ctypes.c_uint8,
            ctypes.c_uint32,
        ]
        lib.ntfs_inode_close.argtypes = [vp]
        lib.ntfs_inode_close_in_dir.argtypes = [vp, vp]
        lib.ntfs_attr_open.restype = vp
        lib.ntfs_attr_open.argtypes = [vp, ctypes.c_uint32, vp, ctypes.c_uint32]
        lib.ntfs_attr_pwrite.restype = ctypes.c_int64
        lib.ntfs_attr_pwrite.argtypes = [
            vp,
            ctypes.c_int64,
            ctypes.c_int64,
            ctypes.c_char_p,
        ]
        lib.ntfs_attr_truncate.argtypes = [vp, ctypes.c_int64]
        lib.ntfs_attr_close.argtypes = [vp]
        lib.ntfs_attr_add.argtypes = [
            vp,
            ctypes.c_uint32,
            ctypes.c_char_p,
            ctypes.c_uint8,
            ctypes.c_char_p,
            ctypes.c_int64,
        ]
        lib.ntfs_inode_mark_dirty.argtypes = [vp]
        lib.ntfs_delete.argtypes = [
            vp,
            ctypes.c_char_p,
            vp,
            vp,
            ctypes.c_char_p,
            ctypes.c_uint8,
        ]
        lib.ntfs_mft_records_write.argtypes = [vp, ctypes.c_uint64, ctypes.c_int64, vp]
        self.at_unnamed = ctypes.c_void_p.in_dll(lib, "AT_UNNAMED")
        self.at_unnamed_addr = ctypes.addressof(self.at_unnamed)
        self.vol = lib.ntfs_mount(path.encode(), 0)
        if not self.vol:
            raise NtfsError(f"ntfs_mount({path}) failed: errno {ctypes.get_errno()}")

    # -- low level -------------------------------------------------------
    def _open(self, path):
        ni = self.lib.ntfs_pathname_to_inode(
            self.vol, None, _ntfs_path(path).encode("utf-8")
        )
        if not ni:
            raise NtfsError(f"no such path in volume: {path}")
        self._guard(ni)
        return ni

    def _guard(self, ni):
        vol = ctypes.c_void_p.from_address(ni + _OFF_VOL).value
        if vol != self.vol:
            raise NtfsError(
                "struct ntfs_inode layout differs from the expected one (vol@16)"
            )

    def _close(self, ni, dir_ni=None):
        if dir_ni:
            rc = self.lib.ntfs_inode_close_in_dir(ni, dir_ni)
        else:
            rc = self.lib.ntfs_inode_close(ni)
        if rc:
            raise NtfsError(f"ntfs_inode_close failed: errno {ctypes.get_errno()}")

    def _set_times_ni(self, ni, created, modified, accessed, entry_modified):
        for off, value in (
            (_OFF_CRTIME, created),
            (_OFF_MTIME, modified),
            (_OFF_CTIME, entry_modified),
            (_OFF_ATIME, accessed),
        ):
            ctypes.c_int64.from_address(ni + off).value = to_filetime(value)
        state = ctypes.c_ulong.from_address(ni + _OFF_STATE)
        state.value = (state.value | (1 << _NI_FILENAME_DIRTY)) & ~(1 << _NI_TIMES_SET)
        self.lib.ntfs_inode_mark_dirty(ni)

    def _or_flags(self, ni, flags):
        fl = ctypes.c_uint32.from_address(ni + _OFF_FLAGS)
        fl.value |= flags
        state = ctypes.c_ulong.from_address(ni + _OFF_STATE)
        state.value |= 1 << _NI_FILENAME_DIRTY
        self.lib.ntfs_inode_mark_dirty(ni)

    def _write_data(self, ni, data, stream=None, size=None):
        if stream:
            name, nlen = _utf16(stream)
            if self.lib.ntfs_attr_add(ni, AT_DATA, name, nlen, None, 0):
                raise NtfsError(
                    f"ntfs_attr_add({stream}) failed: errno {ctypes.get_errno()}"
                )
            na = self.lib.ntfs_attr_open(
                ni, AT_DATA, ctypes.cast(name, ctypes.c_void_p), nlen
            )
        else:
            na = self.lib.ntfs_attr_open(ni, AT_DATA, self.at_unnamed_addr, 0)
        if not na:
            raise NtfsError(f"ntfs_attr_open failed: errno {ctypes.get_errno()}")
        try:
            if data:
                pos = 0
                while pos < len(data):
                    chunk = data[pos : pos + (1 << 20)]
                    n = self.lib.ntfs_attr_pwrite(na, pos, len(chunk), chunk)
                    if n <= 0:
                        raise NtfsError(
                            f"ntfs_attr_pwrite failed: errno {ctypes.get_errno()}"
                        )
                    pos += n
            if size is not None and size > len(data or b""):
                if self.lib.ntfs_attr_truncate(na, size):
                    raise NtfsError(
                        f"ntfs_attr_truncate failed: errno {ctypes.get_errno()}"
                    )
        finally:
            self.lib.ntfs_attr_close(na)

    # -- public ------------------------------------------------------------
    def create(self, path, is_dir, data=b"", streams=None, size=None, created=None):
        """Creates a file or directory; its parent must exist."""
        parent, name = _split(path)
        if created is not None:
            self.clock.set(created)
        dir_ni = self._open(parent)
        uname, nlen = _utf16(name)
        ni = self.lib.ntfs_create(
            dir_ni, 0, uname, nlen, S_IFDIR if is_dir else S_IFREG
        )
        if not ni:
            err = ctypes.get_errno()
            self._close(dir_ni)
            raise NtfsError(f"ntfs_create({path}) failed: errno {err}")
        self._guard(ni)
        try:
            if not is_dir:
                if data or size:
                    self._write_data(ni, data, size=size)
                for sname, sdata in (streams or {}).items():
                    self._write_data(ni, sdata, stream=sname)
            mft_no = ctypes.c_uint64.from_address(ni).value
            mrec = ctypes.c_void_p.from_address(ni + 8).value
            seq = ctypes.c_uint16.from_address(mrec + 16).value
        finally:
            if is_dir:
                self._close(ni)
            else:
                self._close(ni, dir_ni)
            self._close(dir_ni)
        return mft_no | (seq << 48)

    def file_reference(self, path):
        ni = self._open(path)
        try:
            mft_no = ctypes.c_uint64.from_address(ni).value
            mrec = ctypes.c_void_p.from_address(ni + 8).value
            seq = ctypes.c_uint16.from_address(mrec + 16).value
        finally:
            self._close(ni)
        return mft_no | (seq << 48)

    def create_usn_journal(
        self,
        j_data,
        journal_id,
        max_size=32 << 20,
        allocation_delta=8 << 20,
        created=None,
    ):
        """Creates \\$Extend\\$UsnJrnl with a $Max and a $J stream.

        Must be called before delete(): it allocates an MFT record and clusters."""
        if created is not None:
            self.clock.set(created)
        dir_ni = self._open("/$Extend")
        uname, nlen = _utf16("$UsnJrnl")
        ni = self.lib.ntfs_create(dir_ni, 0, uname, nlen, S_IFREG)
        if not ni:
            err = ctypes.get_errno()
            self._close(dir_ni)
            raise NtfsError(f"ntfs_create($UsnJrnl) failed: errno {err}")
        try:
            self._guard(ni)
            self._write_data(
                ni,
                struct.pack("<QQQq", max_size, allocation_delta, journal_id, 0),
                stream="$Max",
            )
            self._write_data(ni, j_data, stream="$J")
            self._or_flags(ni, FILE_ATTR_HIDDEN | FILE_ATTR_SYSTEM | FILE_ATTR_ARCHIVE)
            if created is not None:
                self._set_times_ni(ni, created, created, created, created)
        finally:
            self._close(ni, dir_ni)
            self._close(dir_ni)

    def set_meta(self, path, times=None, flags=0):
        """Sets the 4 $STANDARD_INFORMATION times (dict) and ORs attribute flags."""
        ni = self._open(path)
        try:
            if flags:
                self._or_flags(ni, flags)
            if times:
                self._set_times_ni(
                    ni,
                    times["created"],
                    times["modified"],
                    times["accessed"],
                    times["entry_modified"],
                )
        finally:
            self._close(ni)

    def delete(self, path, when=None, keep_record=True):
        """Unlinks a file. With keep_record the MFT record is written back
        afterwards, marked not-in-use, so it stays readable as a deleted entry
        (as Windows leaves it). Call after all files are created: the freed
        record and clusters must not be reused."""
        parent, name = _split(path)
        if when is not None:
            self.clock.set(when)
        ni = self._open(path)
        mft_no = ctypes.c_uint64.from_address(ni).value
        mrec = ctypes.c_void_p.from_address(ni + 8).value
        record = bytearray(ctypes.string_at(mrec, MFT_RECORD_SIZE))
        dir_ni = self._open(parent)
        uname, nlen = _utf16(name)
        if self.lib.ntfs_delete(
            self.vol, _ntfs_path(path).encode(), ni, dir_ni, uname, nlen
        ):
            raise NtfsError(f"ntfs_delete({path}) failed: errno {ctypes.get_errno()}")
        if keep_record:
            (flags,) = struct.unpack_from("<H", record, 22)
            struct.pack_into("<H", record, 22, flags & ~0x0001)
            (seq,) = struct.unpack_from("<H", record, 16)
            struct.pack_into("<H", record, 16, (seq + 1) & 0xFFFF or 1)
            buf = ctypes.create_string_buffer(bytes(record), MFT_RECORD_SIZE)
            if self.lib.ntfs_mft_records_write(self.vol, mft_no, 1, buf) != 0:
                raise NtfsError(f"ntfs_mft_records_write({mft_no}) failed")
        return mft_no

    def umount(self):
        if self.vol:
            if self.lib.ntfs_umount(self.vol, 0):
                raise NtfsError(f"ntfs_umount failed: errno {ctypes.get_errno()}")
            self.vol = None


def _ntfs_path(path):
    p = path.replace("\\", "/")
    if not p.startswith("/"):
        p = "/" + p
    return p


def _split(path):
    p = _ntfs_path(path).rstrip("/")
    parent, _, name = p.rpartition("/")
    return parent or "/", name


# USN_REASON flags
USN_REASON_DATA_OVERWRITE = 0x00000001
USN_REASON_DATA_EXTEND = 0x00000002
USN_REASON_FILE_CREATE = 0x00000100
USN_REASON_FILE_DELETE = 0x00000200
USN_REASON_RENAME_OLD_NAME = 0x00001000
USN_REASON_RENAME_NEW_NAME = 0x00002000
USN_REASON_BASIC_INFO_CHANGE = 0x00008000
USN_REASON_CLOSE = 0x80000000
USN_PAGE_SIZE = 4096


def usn_record_v2(
    usn,
    file_reference,
    parent_reference,
    when,
    reason,
    name,
    file_attributes=FILE_ATTR_ARCHIVE,
    source_info=0,
    security_id=0,
):
    """Returns one USN_RECORD_V2, padded to 8 bytes."""
    uname = name.encode("utf-16-le")
    size = (60 + len(uname) + 7) & ~7
    rec = (
        struct.pack(
            "<IHHQQQqIIIIHH",
            size,
            2,
            0,
            file_reference,
            parent_reference,
            usn,
            to_filetime(when),
            reason,
            source_info,
            security_id,
            file_attributes,
            len(uname),
            60,
        )
        + uname
    )
    return rec + bytes(size - len(rec))


def build_usn_stream(records):
    """records: (file_reference, parent_reference, when, reason, name, attrs) in
    journal order -> $J bytes (USN = offset in the stream)."""
    out = bytearray()
    for file_ref, parent_ref, when, reason, name, attrs in records:
        size = len(usn_record_v2(0, file_ref, parent_ref, when, reason, name, attrs))
        # like Windows, never let a record cross a 4 KiB journal page
        if len(out) // USN_PAGE_SIZE != (len(out) + size - 1) // USN_PAGE_SIZE:
            out += bytes(USN_PAGE_SIZE - len(out) % USN_PAGE_SIZE)
        out += usn_record_v2(len(out), file_ref, parent_ref, when, reason, name, attrs)
    return bytes(out)
