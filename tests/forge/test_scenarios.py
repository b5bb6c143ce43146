"""Tests of the bundled scenarios and their committed E01 images.

1. Rebuilding every scenario gives a byte-identical E01 (needs mkntfs,
   ewfacquire, libfaketime and libntfs-3g; skipped with the reason otherwise).
2. log2timeline + psort over each committed image (once per scenario per
   session) shows every planned artifact with its planned times and paths,
   and no extraction warnings except the ones a scenario declares
   (`expected_warnings`, scenario damaged).
3. The selectors of each NAME.truth.yaml are well formed and match events.
"""

import datetime
import os
import subprocess
import sys

import pytest
import yaml

from tests import plaso_run
from tests import eval as truth_eval
from tests import scenario_cache
from tests.forge import disk as disk_mod
from tests.forge import ntfs as ntfs_mod
from tests.forge import scenario as sc

SCENARIOS = [os.path.splitext(os.path.basename(p))[0] for p in sc.bundled_scenarios()]
BIN = os.path.dirname(sys.executable)
TIME_DESC = {
    "created": "Creation Time",
    "modified": "Content Modification Time",
    "accessed": "Last Access Time",
    "entry_modified": "Metadata Modification Time",
}
HIVE_PREFIX = {
    "system": "HKEY_LOCAL_MACHINE\\System",
    "software": "HKEY_LOCAL_MACHINE\\Software",
    "ntuser": "HKEY_CURRENT_USER",
    "sam": "HKEY_LOCAL_MACHINE\\SAM",
    "security": "HKEY_LOCAL_MACHINE\\Security",
}


def _scenario_path(name):
    return os.path.join(sc.SCENARIO_DIR, name + ".yaml")


def _image_path(name):
    return os.path.join(sc.IMAGE_DIR, name + ".E01")


def _micros(dt):
    return int(
        (dt - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc))
        / datetime.timedelta(microseconds=1)
    )


def _second(ts):
    return ts // 1_000_000


# --------------------------------------------------------------------------
# 1. reproducibility
@pytest.mark.parametrize("name", SCENARIOS)
def test_rebuild_is_byte_identical(name, tmp_path):
    reason = ntfs_mod.tools_available()
    if reason:
        pytest.skip(f"image toolchain missing: {reason}")
    out = tmp_path / (name + ".E01")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.forge.scenario",
            "build",
            _scenario_path(name),
            "-o",
            str(out),
        ],
        cwd=sc.REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert disk_mod.sha256_file(out) == disk_mod.sha256_file(_image_path(name)), (
        f"{name}: rebuilt E01 differs from test_data/images/{name}.E01 "
        f"(rebuild with `python -m tests.forge.scenario build-all` and commit)"
    )


def test_images_are_small():
    total = sum(os.path.getsize(_image_path(n)) for n in SCENARIOS)
    assert total < 5 * 1024 * 1024, total


# --------------------------------------------------------------------------
# 2. plaso over the committed images
_CACHE = {}


@pytest.fixture(scope="module")
def timeline():
    """Events of each scenario, from the session-wide extraction cache."""

    def get(name):
        if name not in _CACHE:
            storage = scenario_cache.Extracted(name)
            jsonl = storage + ".all.jsonl"
            # Warnings are read with plaso's storage reader: `pinfo --output_format
            # json` is not valid JSON and `pinfo -v` exits 1 when warning messages
            # hold control characters (scenario damaged).
            events = plaso_run.JsonLines(storage, jsonl, cwd=os.path.dirname(storage))
            _CACHE[name] = (events, {"storage": storage})
        return _CACHE[name]

    return get


def _expected_artifacts(name):
    """Yields (description, predicate) for every planned artifact."""
    scenario = sc.load(_scenario_path(name))
    ordered = sc.plan(scenario)
    usn = scenario.get("usn_journal")
    raw_by_path = {}
    for raw in scenario["entries"]:
        if raw.get("path"):
            raw_by_path[sc._norm_path(raw["path"]).lower()] = raw
        elif "prefetch" in raw:
            raw_by_path[
                (
                    "\\Windows\\Prefetch\\"
                    + sc.prefetch_name(raw["prefetch"], scenario)
                ).lower()
            ] = raw
    for e in ordered:
        raw = raw_by_path.get(e.path.lower(), {})
        if e.deleted:
            yield (
                f"no allocated fs:stat for deleted {e.path}",
                ("absent", "fs:stat", {"filename": e.path}),
            )
            if usn and _usn_included(scenario, e.path):
                yield (
                    f"USN FILE_DELETE of {e.path}",
                    ("usn", e.path.rsplit("\\", 1)[1], 0x200, e.deleted),
                )
            continue
        for key, desc in TIME_DESC.items():
            yield (
                f"fs:stat {key} of {e.path}",
                (
                    "event",
                    "fs:stat",
                    {"filename": e.path, "timestamp_desc": desc},
                    e.times[key],
                ),
            )
        if usn and _usn_included(scenario, e.path):
            yield (
                f"USN FILE_CREATE of {e.path}",
                ("usn", e.path.rsplit("\\", 1)[1], 0x100, e.times["created"]),
            )
        if "pe" in raw:
            yield (
                f"PE compile time of {e.path}",
                (
                    "event",
                    "pe_coff:file",
                    {"display_name": "NTFS:" + e.path},
                    sc.as_time(raw["pe"]["compile_time"]),
                ),
            )
        if "prefetch" in raw:
            for t in raw["prefetch"]["run_times"][:8]:
                yield (
                    f"prefetch run {t} of {raw['prefetch']['executable']}",
                    (
                        "event",
                        "windows:prefetch:execution",
                        {
                            "executable": raw["prefetch"]["executable"].upper(),
                            "display_name": "NTFS:" + e.path,
                        },
                        sc.as_time(t),
                    ),
                )
        if "lnk" in raw:
            yield (
                f"LNK {e.path}",
                (
                    "event",
                    "windows:lnk:link",
                    {
                        "display_name": "NTFS:" + e.path,
                        "local_path": raw["lnk"]["target_path"],
                    },
                    None,
                ),
            )
        if "registry" in raw and raw["registry"].get("truncate") is None:
            prefix = HIVE_PREFIX.get(raw["registry"].get("hive_type"), "")
            for k in raw["registry"].get("keys") or []:
                yield (
                    f"registry key {k['path']} in {e.path}",
                    (
                        "event",
                        None,
                        {
                            "key_path": prefix + "\\" + k["path"],
                            "display_name": "NTFS:" + e.path,
                        },
                        sc.as_time(k["last_written"]),
                    ),
                )
        if "evtx" in raw and raw["evtx"].get("corrupt_chunk") is None:
            for r in raw["evtx"].get("records") or []:
                yield (
                    f"EVTX {r['event_id']} at {r['time']} in {e.path}",
                    (
                        "event",
                        "windows:evtx:record",
                        {
                            "event_identifier": str(r["event_id"]),
                            "display_name": "NTFS:" + e.path,
                        },
                        sc.as_time(r["time"]),
                    ),
                )


def _usn_included(scenario, path):
    for p in scenario["usn_journal"].get("include") or []:
        p = sc._norm_path(p).lower()
        if path.lower() == p or path.lower().startswith(p + "\\"):
            return True
    return False


def _match_fields(
    event,
    fields,
    exact=(
        "filename",
        "display_name",
        "executable",
        "key_path",
        "timestamp_desc",
        "event_identifier",
    ),
):
    for k, v in fields.items():
        got = event.get(k)
        if got is None:
            return False
        if k in exact:
            if str(got).lower() != str(v).lower():
                return False
        elif str(v).lower() not in str(got).lower().replace("\\\\", "\\"):
            return False
    return True


@pytest.mark.parametrize("name", SCENARIOS)
def test_planned_artifacts_in_timeline(name, timeline):
    events, _ = timeline(name)
    by_type = {}
    for ev in events:
        by_type.setdefault(ev["data_type"], []).append(ev)
    missing = []
    for desc, spec in _expected_artifacts(name):
        kind = spec[0]
        if kind == "absent":
            _, dt, fields = spec
            if any(
                _match_fields(ev, fields) and ev.get("is_allocated", True)
                for ev in by_type.get(dt, [])
            ):
                missing.append(desc)
        elif kind == "usn":
            _, fname, reason, when = spec
            if not any(
                ev.get("filename", "").lower() == fname.lower()
                and ev.get("update_reason_flags", 0) & reason
                and _second(ev["timestamp"]) == _second(_micros(when))
                for ev in by_type.get("fs:ntfs:usn_change", [])
            ):
                missing.append(desc)
        else:
            _, dt, fields, when = spec
            pool = by_type.get(dt, []) if dt else events
            if not any(
                _match_fields(ev, fields)
                and (when is None or _second(ev["timestamp"]) == _second(_micros(when)))
                for ev in pool
            ):
                missing.append(desc)
    assert (
        not missing
    ), f"{name}: {len(missing)} planned artifacts missing:\n" + "\n".join(missing[:40])


@pytest.mark.parametrize("name", SCENARIOS)
def test_extraction_warnings(name, timeline):
    _, info = timeline(name)
    warnings = [
        (chain, location, message)
        for location, chain, message in plaso_run.ExtractionWarnings(info["storage"])
    ]
    expected = sc.load(_scenario_path(name)).get("expected_warnings") or []
    for exp in expected:
        if exp.get("optional"):
            continue
        assert any(
            p.split("/")[0] == exp["parser"]
            and exp.get("path", "").lower() in loc.lower()
            for p, loc, _ in warnings
        ), f"{name}: expected a warning of {exp['parser']} for {exp.get('path')}: {warnings[:5]}"
    unexpected = [
        w
        for w in warnings
        if not any(
            w[0].split("/")[0] == exp["parser"]
            and exp.get("path", "").lower() in w[1].lower()
            for exp in expected
        )
    ]
    assert not unexpected, f"{name}: unexpected extraction warnings: {unexpected[:10]}"


# --------------------------------------------------------------------------
# 3. truth files
@pytest.mark.parametrize("name", SCENARIOS)
def test_truth_selectors_match_events(name, timeline):
    """Every selector of NAME.truth.yaml matches its count (or >= min) of
    psort's json_line output events (labels are checked by the analysis
    plugin's tests; the format and matching rules live in tests/eval.py)."""
    truth = truth_eval.LoadTruth(name)
    for inst in truth.get("installations") or []:
        assert inst["folder"].startswith("\\")
    events, _ = timeline(name)
    own_types = ("netsupport:",)
    problems = []
    for group in ("tagged", "untagged"):
        for item in truth.get(group) or []:
            sel = item["select"]
            if str(sel.get("data_type", "")).startswith(own_types) and not any(
                str(ev.get("data_type", "")).startswith(own_types) for ev in events
            ):
                continue  # our own parsers are not installed in this environment
            n = sum(1 for ev in events if truth_eval.Matches(ev, sel))
            want = item.get("count", item.get("min", 0 if item.get("optional") else 1))
            if n < want:
                problems.append(f"{group} '{item['name']}': {n} events, want >= {want}")
    if name == "decoys":
        assert not truth.get("tagged"), "decoys must have no tagged selectors"
    assert not problems, f"{name}:\n" + "\n".join(problems)
