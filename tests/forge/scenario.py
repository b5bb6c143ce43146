"""Scenario YAML -> raw disk (MBR + NTFS) -> EnCase E01, byte-identical.

Usage:
  python -m tests.forge.scenario build test_data/scenarios/rat_drop.yaml -o test_data/images/rat_drop.E01
  python -m tests.forge.scenario build-all [--out-dir DIR]
  python -m tests.forge.scenario list FILE.yaml      # print the planned entries

The format is documented in tests/forge/README.md.
"""

import argparse
import datetime
import glob
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

from tests.forge import disk as disk_mod
from tests.forge import ntfs as ntfs_mod

UTC = datetime.timezone.utc
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIO_DIR = os.path.join(REPO, "test_data", "scenarios")
IMAGE_DIR = os.path.join(REPO, "test_data", "images")
_REEXEC_MARK = "NSFORGE_UNDER_FAKETIME"

CONTENT_KINDS = ("text", "hex", "fill", "pe", "prefetch", "lnk", "registry", "evtx")
TIME_KEYS = ("created", "modified", "accessed", "entry_modified")


class ScenarioError(ValueError):
    pass


# --------------------------------------------------------------------------
# time helpers
def as_time(value, where="?"):
    """YAML time (datetime, date string) -> aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        dt = value
    elif isinstance(value, datetime.date):
        dt = datetime.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        v = value.strip().replace("T", " ").rstrip("Z")
        try:
            dt = datetime.datetime.fromisoformat(v)
        except ValueError as exc:
            raise ScenarioError(f"{where}: bad time {value!r}") from exc
    else:
        raise ScenarioError(f"{where}: bad time {value!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _times_of(entry, default, where):
    """Returns the four NTFS times of an entry dict, or None for all unset."""
    base = as_time(entry.get("time"), where)
    got = {k: as_time(entry.get(k), where) for k in TIME_KEYS}
    if base is None and not any(got.values()):
        return None
    created = got["created"] or base or default
    modified = got["modified"] or base or created
    latest = max(created, modified)
    return {
        "created": created,
        "modified": modified,
        "accessed": got["accessed"] or base or latest,
        "entry_modified": got["entry_modified"] or base or latest,
    }


def _hex(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return bytes.fromhex("".join(str(value).split()))


# --------------------------------------------------------------------------
# content generators
def _text_bytes(entry, where):
    text = entry["text"]
    enc = str(entry.get("encoding", "utf-8")).lower()
    newline = entry.get("newline", "crlf")
    if newline == "crlf":
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    elif newline != "lf":
        raise ScenarioError(f"{where}: newline must be crlf or lf")
    if enc in ("utf-16", "utf-16-bom", "utf-16le-bom"):
        return b"\xff\xfe" + text.encode("utf-16-le")
    if enc == "utf-16-le":
        return text.encode("utf-16-le")
    if enc in ("utf-8", "utf-8-sig", "cp1252", "ascii", "latin-1"):
        return text.encode(enc)
    raise ScenarioError(f"{where}: unsupported encoding {enc}")


def _fill_bytes(entry, seed):
    size = int(entry["size"])
    kind = entry.get("fill", "zero")
    if kind == "zero":
        return b"", size
    if kind == "random":
        return random.Random(seed).randbytes(size), None
    raise ScenarioError(f"fill must be zero or random, not {kind!r}")


def _gen_pe(spec):
    from tests.forge import pe

    return pe.build_pe(
        as_time(spec["compile_time"]),
        version_info=(
            {k: str(v) for k, v in spec["version_info"].items()}
            if spec.get("version_info")
            else None
        ),
        machine=spec.get("machine", "i386"),
        dll=bool(spec.get("dll", False)),
        imports=[(d, list(f)) for d, f in (spec.get("imports") or {}).items()] or None,
        padding=int(spec.get("padding", 0)),
    )


def _gen_prefetch(spec, scenario):
    from tests.forge import prefetch

    kwargs = dict(
        run_times=[as_time(t) for t in spec["run_times"]],
        run_count=spec.get("run_count"),
        directories=tuple(spec.get("directories") or ()),
        version=int(spec.get("version", 26)),
    )
    vol = scenario.get("volume_device_path")
    dev = (spec.get("volume_device_path") or vol or "\\DEVICE\\HARDDISKVOLUME2").rstrip(
        "\\"
    )
    mapped = []
    for m in spec.get("mapped_files") or ():
        m = str(m)
        if not m.upper().startswith("\\DEVICE\\"):
            m = dev + "\\" + m.split(":", 1)[-1].lstrip("\\")
        mapped.append(m.upper())
    kwargs["mapped_files"] = tuple(mapped)
    if spec.get("volume_device_path") or vol:
        kwargs["volume_device_path"] = spec.get("volume_device_path") or vol
    serial = spec.get("volume_serial", scenario.get("volume_serial"))
    if serial is not None:
        kwargs["volume_serial"] = int(serial)
    vct = spec.get("volume_creation_time", scenario.get("volume_creation_time"))
    if vct is not None:
        kwargs["volume_creation_time"] = as_time(vct)
    return prefetch.build_prefetch(
        spec["executable"], spec["executable_path"], **kwargs
    )


def prefetch_name(spec, scenario):
    from tests.forge import prefetch

    vol = spec.get("volume_device_path") or scenario.get("volume_device_path")
    kwargs = {"volume_device_path": vol} if vol else {}
    return prefetch.prefetch_file_name(
        spec["executable"], spec["executable_path"], **kwargs
    )


def _gen_lnk(spec, scenario):
    from tests.forge import lnk

    kwargs = {
        k: spec[k]
        for k in (
            "arguments",
            "working_directory",
            "description",
            "icon_location",
            "relative_path",
            "volume_label",
        )
        if spec.get(k) is not None
    }
    if spec.get("target_times"):
        tt = spec["target_times"]
        if isinstance(tt, dict):
            tt = [tt.get("created"), tt.get("accessed"), tt.get("modified")]
        kwargs["target_times"] = tuple(as_time(v) for v in tt)
    if spec.get("target_size") is not None:
        kwargs["target_size"] = int(spec["target_size"])
    serial = spec.get("volume_serial", scenario.get("volume_serial"))
    if serial is not None:
        kwargs["volume_serial"] = int(serial)
    return lnk.build_lnk(spec["target_path"], **kwargs)


def _reg_value(v, where):
    typ = v.get("type", "REG_SZ")
    data = v.get("data")
    if (
        typ in ("REG_BINARY", "REG_NONE")
        and data is not None
        and not isinstance(data, bytes)
    ):
        data = _hex(data)
    elif typ in ("REG_DWORD", "REG_QWORD"):
        data = int(data)
    elif typ == "REG_MULTI_SZ":
        data = list(data or [])
    elif typ in ("REG_SZ", "REG_EXPAND_SZ"):
        data = "" if data is None else str(data)
    return {"name": str(v.get("name", "")), "type": typ, "data": data}


def _gen_registry(spec, where):
    from tests.forge import regf

    keys = []
    for k in spec.get("keys") or []:
        keys.append(
            {
                "path": k["path"],
                "last_written": as_time(k["last_written"], where),
                "values": [_reg_value(v, where) for v in (k.get("values") or [])],
            }
        )
    data = regf.build_hive(
        keys,
        spec.get("hive_type", "other"),
        root_last_written=as_time(spec.get("root_last_written"), where),
    )
    if spec.get("truncate") is not None:
        data = data[: _cut(spec["truncate"], len(data))]
    return data


def _cut(value, length):
    if isinstance(value, float) and 0 < value < 1:
        return int(length * value)
    return int(value)


def _gen_evtx(spec, scenario, where):
    from tests.forge import evtx

    raw_records = list(spec.get("records") or [])
    for rep in spec.get("repeat") or []:
        # {count, start, every_seconds, record}: `count` copies of `record`
        start = as_time(rep["start"], where)
        for i in range(int(rep["count"])):
            r = dict(rep["record"])
            r["time"] = start + datetime.timedelta(
                seconds=i * int(rep.get("every_seconds", 60))
            )
            raw_records.append(r)
    raw_records.sort(key=lambda r: as_time(r["time"], where))
    records = []
    for r in raw_records:
        r = dict(r)
        r["time"] = as_time(r["time"], where)
        for k in (
            "keywords",
            "level",
            "version",
            "task",
            "opcode",
            "qualifiers",
            "process_id",
            "thread_id",
            "record_number",
            "event_id",
        ):
            if isinstance(r.get(k), str):
                r[k] = int(r[k], 0)
        if "binary" in r and not isinstance(r["binary"], bytes):
            r["binary"] = _hex(r["binary"])
        if "binary_utf16" in r:
            r["binary"] = (str(r.pop("binary_utf16")) + "\0").encode("utf-16-le")
        records.append(r)
    data = evtx.build_evtx(
        records,
        spec["channel"],
        computer=spec.get("computer") or scenario.get("hostname", "WKS-01"),
    )
    if spec.get("corrupt_chunk") is not None:
        data = evtx.corrupt_chunk(data, chunk_index=int(spec["corrupt_chunk"]))
    if spec.get("truncate") is not None:
        data = data[: _cut(spec["truncate"], len(data))]
    return data


def _latest_inner_time(entry):
    """Latest time inside a generated artifact (for default file times)."""
    times = []
    if "registry" in entry:
        times += [
            as_time(k["last_written"]) for k in entry["registry"].get("keys") or []
        ]
    if "evtx" in entry:
        times += [as_time(r["time"]) for r in entry["evtx"].get("records") or []]
        for rep in entry["evtx"].get("repeat") or []:
            times.append(
                as_time(rep["start"])
                + datetime.timedelta(
                    seconds=(int(rep["count"]) - 1) * int(rep.get("every_seconds", 60))
                )
            )
    if "prefetch" in entry:
        times += [as_time(t) for t in entry["prefetch"]["run_times"]]
    return max(times) if times else None


def _earliest_inner_time(entry):
    times = []
    if "evtx" in entry:
        times += [as_time(r["time"]) for r in entry["evtx"].get("records") or []]
    if "prefetch" in entry:
        times += [as_time(t) for t in entry["prefetch"]["run_times"]]
    return min(times) if times else None


# --------------------------------------------------------------------------
# planning
class Entry:
    def __init__(self, path, is_dir):
        self.path = path  # \A\B (volume-relative, backslashes)
        self.is_dir = is_dir
        self.explicit = False
        self.times = None
        self.flags = 0
        self.data = b""
        self.size = None
        self.streams = {}
        self.deleted = None
        self.usn = False
        self.children = []

    @property
    def depth(self):
        return self.path.count("\\")


def _norm_path(p):
    p = str(p).replace("/", "\\").strip()
    if not p.startswith("\\"):
        p = "\\" + p
    return p.rstrip("\\") or "\\"


def _zone_identifier(spec):
    if isinstance(spec, (int, str)) and not isinstance(spec, dict):
        spec = {"zone_id": int(spec)}
    lines = ["[ZoneTransfer]", f"ZoneId={int(spec.get('zone_id', 3))}"]
    if spec.get("referrer_url"):
        lines.append(f"ReferrerUrl={spec['referrer_url']}")
    if spec.get("host_url"):
        lines.append(f"HostUrl={spec['host_url']}")
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def load(path):
    with open(path, "r", encoding="utf-8") as f:
        scenario = yaml.safe_load(f)
    if not isinstance(scenario, dict) or "entries" not in scenario:
        raise ScenarioError(f"{path}: not a scenario (no 'entries')")
    scenario.setdefault("name", os.path.splitext(os.path.basename(path))[0])
    included = []
    for inc in scenario.get("include") or []:
        included += _load_include(path, inc)
    # `kits:` reuse a set of files under another folder (see README)
    extra = []
    for inc in scenario.get("kits") or []:
        extra += _load_include(path, inc)
    scenario["entries"] = list(scenario["entries"]) + extra
    # the scenario's own entries override included ones with the same path
    own = {_norm_path(e["path"]).lower() for e in scenario["entries"] if e.get("path")}
    scenario["entries"] = [
        e
        for e in included
        if not e.get("path") or _norm_path(e["path"]).lower() not in own
    ] + list(scenario["entries"])
    return scenario


def _load_include(scenario_path, inc):
    """Entries of an included file. `inc` is a file name, or a dict with
    file, into (folder prefix for relative paths), created (default creation
    time), rename ({old name: new name}), exclude ([names]) and override
    ({name: {key: value}})."""
    if isinstance(inc, str):
        inc = {"file": inc}
    inc_path = os.path.join(
        os.path.dirname(os.path.abspath(scenario_path)), inc["file"]
    )
    with open(inc_path, "r", encoding="utf-8") as f:
        part = yaml.safe_load(f)
    out = []
    rename = {k.lower(): v for k, v in (inc.get("rename") or {}).items()}
    exclude = {x.lower() for x in inc.get("exclude") or []}
    override = {k.lower(): v for k, v in (inc.get("override") or {}).items()}
    for entry in part.get("entries") or []:
        entry = dict(entry)
        p = entry.get("path")
        if p and inc.get("into") and not p.startswith(("\\", "/")):
            if p.lower() in exclude:
                continue
            entry.update(override.get(p.lower(), {}))
            p = rename.get(p.lower(), p)
            entry["path"] = inc["into"].rstrip("\\") + "\\" + p
        if (
            inc.get("created") is not None
            and "created" not in entry
            and "time" not in entry
        ):
            entry["created"] = inc["created"]
        out.append(entry)
    return out


def plan(scenario):
    """Resolves entries, generates content, fills in directory times."""
    name = scenario["name"]
    default_time = as_time(
        scenario.get("defaults", {}).get("time")
        or scenario.get("disk", {}).get("formatted"),
        "defaults.time",
    )
    if default_time is None:
        raise ScenarioError("defaults.time (or disk.formatted) is required")
    entries = {}

    def get(path, is_dir):
        key = path.lower()
        e = entries.get(key)
        if e is None:
            e = entries[key] = Entry(path, is_dir)
        elif e.is_dir != is_dir:
            raise ScenarioError(f"{path}: used as file and directory")
        return e

    for raw in scenario["entries"]:
        if not isinstance(raw, dict):
            raise ScenarioError(f"bad entry {raw!r}")
        where = raw.get("path") or "?"
        kinds = [k for k in CONTENT_KINDS if k in raw and not (k == "fill")]
        if "size" in raw and "fill" not in raw:
            raw = dict(raw, fill="zero")
        if "fill" in raw:
            kinds.append("fill")
        is_dir = raw.get("type") == "dir"
        if is_dir and kinds:
            raise ScenarioError(f"{where}: a directory has no content")
        if len(kinds) > 1:
            raise ScenarioError(f"{where}: several content kinds {kinds}")
        path = raw.get("path")
        if path is None and "prefetch" in raw:
            path = "\\Windows\\Prefetch\\" + prefetch_name(raw["prefetch"], scenario)
        elif path is not None and path.endswith(("\\", "/")) and "prefetch" in raw:
            path = path + prefetch_name(raw["prefetch"], scenario)
        if path is None:
            raise ScenarioError(f"entry without path: {raw!r}")
        path = _norm_path(path)
        where = path
        e = get(path, is_dir)
        if e.explicit:
            raise ScenarioError(f"{path}: listed twice")
        e.explicit = True
        seed = f"{name}:{path.lower()}"
        kind = kinds[0] if kinds else None
        if kind == "text":
            e.data = _text_bytes(raw, where)
        elif kind == "hex":
            e.data = _hex(raw["hex"])
        elif kind == "fill":
            e.data, e.size = _fill_bytes(raw, seed)
        elif kind == "pe":
            e.data = _gen_pe(raw["pe"])
        elif kind == "prefetch":
            e.data = _gen_prefetch(raw["prefetch"], scenario)
        elif kind == "lnk":
            e.data = _gen_lnk(raw["lnk"], scenario)
        elif kind == "registry":
            e.data = _gen_registry(raw["registry"], where)
        elif kind == "evtx":
            e.data = _gen_evtx(raw["evtx"], scenario, where)
        if raw.get("append_hex"):
            e.data += _hex(raw["append_hex"])
        if raw.get("sparse_size") is not None:
            e.size = int(raw["sparse_size"])

        times = _times_of(raw, default_time, where)
        if is_dir:
            e.dir_times = {
                k: as_time(raw.get(k) or raw.get("time"), where) for k in TIME_KEYS
            }
            times = None
        if times is None and not is_dir:
            inner_first = _earliest_inner_time(raw)
            inner_last = _latest_inner_time(raw)
            if inner_last is not None:
                created = inner_first or default_time
                if kind == "registry":
                    created = default_time
                if kind == "prefetch":
                    # the prefetch file is written ~10 s after a run
                    created = created + datetime.timedelta(seconds=10)
                    inner_last = inner_last + datetime.timedelta(seconds=10)
                created = min(created, inner_last)
                times = {
                    "created": created,
                    "modified": inner_last,
                    "accessed": inner_last,
                    "entry_modified": inner_last,
                }
            else:
                times = _times_of({"time": default_time}, default_time, where)
        e.times = times
        flags = 0
        for fl in raw.get("attributes") or []:
            flags |= ntfs_mod.ATTRIBUTE_FLAGS[fl]
        if raw.get("hidden"):
            flags |= ntfs_mod.FILE_ATTR_HIDDEN
        if raw.get("system"):
            flags |= ntfs_mod.FILE_ATTR_SYSTEM
        e.flags = flags
        if raw.get("zone_identifier") is not None:
            e.streams["Zone.Identifier"] = _zone_identifier(raw["zone_identifier"])
        for sname, sspec in (raw.get("streams") or {}).items():
            e.streams[sname] = (
                _text_bytes(sspec, where) if "text" in sspec else _hex(sspec["hex"])
            )
        if raw.get("deleted") is not None:
            e.deleted = as_time(raw["deleted"], where)
            if is_dir:
                raise ScenarioError(f"{path}: only files can be deleted")
        e.usn = raw.get("usn")

    # implicit parent directories
    for e in list(entries.values()):
        parts = e.path.strip("\\").split("\\")
        for i in range(1, len(parts)):
            get("\\" + "\\".join(parts[:i]), True)
    entries.setdefault("\\", Entry("\\", True))
    for e in list(entries.values()):
        if e.path == "\\":
            continue
        if e.path.count("\\") > 1:
            parent = entries[e.path.rsplit("\\", 1)[0].lower()]
            parent.children.append(e)
        else:
            entries["\\"].children.append(e)

    def first_created(e):
        t = e.times["created"] if e.times else None
        for c in e.children:
            ct = first_created(c)
            t = ct if t is None or ct < t else t
        return t or default_time

    def fill_dir(e):
        for c in e.children:
            if c.is_dir:
                fill_dir(c)
        if e.path == "\\":
            return
        given = getattr(e, "dir_times", None) or {}
        stamps = [c.times["created"] for c in e.children] + [
            c.deleted for c in e.children if c.deleted
        ]
        created = given.get("created") or first_created(e)
        last = max([created] + stamps)
        modified = given.get("modified") or last
        e.times = {
            "created": created,
            "modified": modified,
            "accessed": given.get("accessed") or modified,
            "entry_modified": given.get("entry_modified") or modified,
        }

    root = entries.get("\\")
    if root:
        fill_dir(root)
    result = [e for e in entries.values() if e.path != "\\"]
    result.sort(key=lambda e: (e.times["created"], e.depth, e.path.lower()))
    # a parent must exist before its child even if its planned time is later
    seen, ordered = set(), []

    def add(e):
        if e.path.lower() in seen:
            return
        parent = e.path.rsplit("\\", 1)[0]
        if parent:
            add(entries[parent.lower()])
        seen.add(e.path.lower())
        ordered.append(e)

    for e in result:
        add(e)
    return ordered


# --------------------------------------------------------------------------
# building
def _usn_records(volume, ordered, scenario, refs):
    spec = scenario.get("usn_journal") or {}
    prefixes = [_norm_path(p).lower() for p in spec.get("include") or []]
    rows = []
    for e in ordered:
        wanted = (
            e.usn
            if e.usn is not None
            else any(
                e.path.lower() == p or e.path.lower().startswith(p + "\\")
                for p in prefixes
            )
        )
        if not wanted:
            continue
        ref = refs[e.path.lower()]
        parent = e.path.rsplit("\\", 1)[0] or "\\"
        pref = refs.get(parent.lower()) or volume.file_reference(
            parent.replace("\\", "/") or "/"
        )
        name = e.path.rsplit("\\", 1)[1]
        attrs = (0x10 if e.is_dir else 0x20) | e.flags
        t = e.times["created"]
        if e.is_dir:
            rows.append((t, 0, ref, pref, 0x100, name, attrs))
            rows.append((t, 1, ref, pref, 0x80000100, name, attrs))
        else:
            rows.append((t, 0, ref, pref, 0x100, name, attrs))
            if e.data or e.size:
                rows.append((t, 1, ref, pref, 0x102, name, attrs))
            done = max(t, e.times["modified"])
            rows.append(
                (
                    done,
                    2,
                    ref,
                    pref,
                    0x80000102 if (e.data or e.size) else 0x80000100,
                    name,
                    attrs,
                )
            )
        if e.deleted:
            rows.append((e.deleted, 3, ref, pref, 0x80000200, name, attrs))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [(r[2], r[3], r[0], r[4], r[5], r[6]) for r in rows]


def build_volume(scenario, ordered, volume_path, clock):
    dsk = scenario.get("disk", {})
    size = int(dsk.get("size_mib", 32)) << 20
    formatted = as_time(dsk.get("formatted") or scenario["defaults"]["time"])
    ntfs_mod.mkntfs(
        volume_path,
        size,
        label=dsk.get("label", "Windows"),
        clock=clock,
        when=formatted.replace(tzinfo=None),
    )
    vol = ntfs_mod.NtfsVolume(volume_path, clock)
    refs = {}
    try:
        for e in ordered:
            p = e.path.replace("\\", "/")
            refs[e.path.lower()] = vol.create(
                p,
                e.is_dir,
                data=e.data,
                streams=e.streams,
                size=e.size,
                created=e.times["created"],
            )
            if not e.is_dir:
                vol.set_meta(p, e.times, e.flags)
        if scenario.get("usn_journal"):
            spec = scenario["usn_journal"]
            rows = _usn_records(vol, ordered, scenario, refs)
            vol.create_usn_journal(
                ntfs_mod.build_usn_stream(rows),
                int(spec.get("journal_id", 0x01DC000000000000)),
                created=as_time(spec.get("created") or formatted),
            )
        for e in sorted((e for e in ordered if e.deleted), key=lambda e: e.deleted):
            vol.delete(e.path.replace("\\", "/"), when=e.deleted)
        for e in sorted((e for e in ordered if e.is_dir), key=lambda e: -e.depth):
            vol.set_meta(e.path.replace("\\", "/"), e.times, e.flags)
        acquired = as_time(scenario.get("case", {}).get("acquired"))
        if acquired:
            clock.set(acquired)
    finally:
        vol.umount()


def reexec_under_faketime(argv):
    """Re-runs this module under libfaketime (frozen clock moved via a file)."""
    if os.environ.get(_REEXEC_MARK):
        return None
    reason = ntfs_mod.tools_available()
    if reason:
        raise SystemExit(f"cannot build images: {reason}")
    fd, stamp = tempfile.mkstemp(prefix="nsforge-clock-")
    os.write(fd, b"2026-01-01 00:00:00\n")
    os.close(fd)
    env = dict(os.environ)
    env.update(
        {
            _REEXEC_MARK: "1",
            "LD_PRELOAD": ntfs_mod.FAKETIME_LIB,
            "FAKETIME_TIMESTAMP_FILE": stamp,
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "FAKETIME_DONT_RESET": "1",
            "TZ": "UTC",
            "PYTHONPATH": REPO + os.pathsep + env.get("PYTHONPATH", ""),
        }
    )
    env.pop("FAKETIME", None)
    try:
        return subprocess.call(
            [sys.executable, "-m", "tests.forge.scenario"] + argv, env=env, cwd=REPO
        )
    finally:
        os.unlink(stamp)


def build(scenario_path, out_e01, keep_raw=None):
    scenario = load(scenario_path)
    ordered = plan(scenario)
    clock = ntfs_mod.FakeClock()
    if not clock.active:
        print(
            "warning: not under libfaketime, output will not be reproducible",
            file=sys.stderr,
        )
    workdir = tempfile.mkdtemp(prefix="nsforge-")
    try:
        volume = os.path.join(workdir, "volume.raw")
        raw = os.path.join(workdir, "disk.raw")
        build_volume(scenario, ordered, volume, clock)
        dsk = scenario.get("disk", {})
        sig = int(
            dsk.get(
                "disk_signature",
                int.from_bytes(
                    hashlib.sha256(scenario["name"].encode()).digest()[:4], "little"
                ),
            )
        )
        disk_mod.write_raw_disk(volume, raw, sig)
        if keep_raw:
            shutil.copyfile(raw, keep_raw)
        case = {
            k: str(v)
            for k, v in (scenario.get("case") or {}).items()
            if k != "acquired"
        }
        acquired = as_time(
            (scenario.get("case") or {}).get("acquired")
        ) or datetime.datetime.now(UTC)
        os.makedirs(os.path.dirname(os.path.abspath(out_e01)), exist_ok=True)
        disk_mod.ewfacquire(
            raw, out_e01, case, clock.env(acquired.replace(tzinfo=None))
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return out_e01


def bundled_scenarios():
    return sorted(
        p
        for p in glob.glob(os.path.join(SCENARIO_DIR, "*.yaml"))
        if not p.endswith(".truth.yaml")
    )


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="python -m tests.forge.scenario")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build one scenario into an E01")
    b.add_argument("scenario")
    b.add_argument("-o", "--output", required=True, help="output .E01 path")
    b.add_argument("--raw", help="also keep the raw disk image here")
    ba = sub.add_parser("build-all", help="rebuild every bundled scenario")
    ba.add_argument("--out-dir", default=IMAGE_DIR)
    ls = sub.add_parser("list", help="print the planned entries of a scenario")
    ls.add_argument("scenario")
    args = ap.parse_args(argv)

    if args.cmd == "list":
        for e in plan(load(args.scenario)):
            t = e.times
            print(
                f"{'D' if e.is_dir else 'F'} {e.path} {len(e.data) if not e.size else e.size} "
                f"c={t['created']:%Y-%m-%d %H:%M:%S} m={t['modified']:%Y-%m-%d %H:%M:%S}"
                f"{' deleted=' + format(e.deleted, '%Y-%m-%d %H:%M:%S') if e.deleted else ''}"
            )
        return 0

    rc = reexec_under_faketime(argv)
    if rc is not None:
        return rc
    if args.cmd == "build":
        start = time.monotonic()
        build(args.scenario, args.output, keep_raw=args.raw)
        print(
            f"{args.output}: {os.path.getsize(args.output)} bytes, "
            f"sha256 {disk_mod.sha256_file(args.output)}, {time.monotonic() - start:.1f} s"
        )
    else:
        for path in bundled_scenarios():
            name = os.path.splitext(os.path.basename(path))[0]
            out = os.path.join(args.out_dir, name + ".E01")
            start = time.monotonic()
            build(path, out)
            print(
                f"{out}: {os.path.getsize(out)} bytes, sha256 {disk_mod.sha256_file(out)}, "
                f"{time.monotonic() - start:.1f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
