#!/usr/bin/env python3
"""Benchmarks of plaso-netsupport against stock plaso (run by `make bench`).

Every number is a ratio of two sides measured in the same run, with the
sides alternated (round-robin, the starting side rotating each round) and the
median of N runs taken:

1. extraction: log2timeline --parsers win7 with the extension loaded versus
   with PLASO_NETSUPPORT_DISABLE=1 (stock plaso), on one OS directory source
   holding copies of real EVTX logs, registry hives, prefetch files, a
   NetSupport kit and many small generated files;
2. analysis: psort -o null on a fresh copy of a >= 200,000 event storage file
   with (a) a no-op analysis plugin, (b) plaso's tagging plugin with a
   NetSupport tag file, (c) the netsupport plugin and (d) the netsupport
   plugin with --netsupport-no-sigma; wall time, events/s and peak RSS;
3. scaling: the netsupport plugin at 1/4, 1/2 and all of that size;
4. PE extraction: log2timeline --parsers win7 with and without the extension
   on an OS directory of thousands of PE files (most outside \\Windows\\):
   copies of real PEs (pip's launchers, setuptools' launchers, Debian's
   Microsoft-signed shimx64.efi.signed) with small variations, and forge PEs
   with version resources, four sides: the extension, stock, the extension
   without pe_version_info, and the extension with a do-nothing parser in
   its place that produces the same event data without reading the files
   (benchmarks/noop_pe_parser.py: plaso's own cost of one event data per PE);
5. PE files on a volume: the extraction source of 1. plus the PE files of 4.

The results go to stdout and benchmarks/RESULTS.md. --quick runs reduced
sizes (for a smoke test or a short time budget).

Usage: .venv/bin/python benchmarks/run.py [--quick] [--runs N] [--keep]
"""

import argparse
import datetime
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import psutil

BENCHMARK_DIRECTORY = os.path.dirname(os.path.abspath(__file__))
REPOSITORY_ROOT = os.path.dirname(BENCHMARK_DIRECTORY)
BIN_DIRECTORY = os.path.dirname(sys.executable)
REAL_WINDOWS = os.environ.get(
    "PLASO_NETSUPPORT_REAL_WINDOWS",
    os.path.join(os.path.dirname(REPOSITORY_ROOT), "shared", "real-windows"),
)
TAG_FILE = os.path.join(BENCHMARK_DIRECTORY, "netsupport_tags.txt")
RESULTS_FILE = os.path.join(BENCHMARK_DIRECTORY, "RESULTS.md")

# psort through a wrapper so that the no-op plugin is registered in psort's
# main process (and inherited by the analysis process under fork).
PSORT_WRAPPER = (
    "import sys, benchmarks.noop_plugin; from plaso.scripts import psort; "
    "sys.argv[0] = 'psort'; sys.exit(psort.Main() is False)"
)

# log2timeline through a wrapper that registers the do-nothing PE parser
# (benchmarks/noop_pe_parser.py): plaso's own cost of one event data per PE.
LOG2TIMELINE_WRAPPER = (
    "import sys, benchmarks.noop_pe_parser; from plaso.scripts import log2timeline; "
    "sys.argv[0] = 'log2timeline'; sys.exit(log2timeline.Main() is False)"
)
PE_SIDES = ("extension", "stock", "without_parser", "noop_parser")

CLIENT32_INI = (
    "0x6e8ac1d1\r\n[Client]\r\n_present=1\r\nAlwaysOnTop=0\r\nRoomSpec=Eval\r\n"
    "silent=1\r\nSysTray=0\r\nSecurityKey2=dgAAAPpMkI7ke494fKEQRUoablcA\r\n"
    "[HTTP]\r\nCMPI=60\r\nGatewayAddress=bench-gateway.example:443\r\n"
    "GSK=FM:L@JAG<O;F=KEA9E?FEB\r\nPort=443\r\n"
)
NSM_LIC = (
    "; NetSupport License File.\r\n; Generated on 08:27 - 24/01/2014\r\n\r\n"
    "[[Enforce]]\r\n\r\n[_License]\r\ncontrol_only=0\r\nexpiry=\r\ninactive=0\r\n"
    "licensee=BENCH\r\nmaxslaves=100\r\nos2=1\r\nproduct=10\r\n"
    "serial_no=NSM000000\r\nshrink_wrap=0\r\ntransport=0\r\n"
)

# Sizes: (full, quick).
SIZES = {
    # 10 copies of System.evtx + System2.evtx: 52,030 EVTX records.
    "extraction_evtx_copies": (10, 1),
    "extraction_small_files": (20000, 2000),
    "analysis_events": (200000, 50000),
    # An extraction run takes about 2.5 minutes here: two per side keep
    # make bench under 20 minutes.
    "extraction_runs": (2, 3),
    # PE files in the PE-heavy source; a fifth of them under Windows.
    # About 1.5 minutes per extraction run here; 3 sides x 2 runs.
    "pe_files": (2000, 300),
    "pe_extraction_runs": (2, 1),
    "runs": (3, 3),
    "scaling_runs": (1, 1),
}


def Log(message):
    """Prints a progress line."""
    print(message, flush=True)


def Script(name):
    """Returns the path of a console script of this environment."""
    return os.path.join(BIN_DIRECTORY, name)


class Measurement:
    """Wall time and peak RSS of one command run."""

    def __init__(self, wall, main_rss, child_rss, returncode):
        self.wall = wall
        self.main_rss = main_rss
        self.child_rss = child_rss
        self.returncode = returncode


def RunMeasured(arguments, env=None, cwd=None, interval=0.1):
    """Runs a command, sampling the RSS of its process tree.

    Returns:
      Measurement: wall time, peak RSS of the main process and the largest
          peak RSS of any child process (the analysis or worker process).
    """
    environment = dict(os.environ)
    environment.update(env or {})
    start = time.perf_counter()
    process = psutil.Popen(
        [str(argument) for argument in arguments],
        env=environment,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    main_rss = 0
    child_rss = {}
    while process.poll() is None:
        try:
            main_rss = max(main_rss, process.memory_info().rss)
            for child in process.children(recursive=True):
                try:
                    rss = child.memory_info().rss
                except psutil.Error:
                    continue
                child_rss[child.pid] = max(child_rss.get(child.pid, 0), rss)
        except psutil.Error:
            pass
        time.sleep(interval)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, arguments))} exited {process.returncode}:\n{stderr[-3000:]}"
        )
    return Measurement(
        wall, main_rss, max(child_rss.values(), default=0), process.returncode
    )


def CountContainers(storage_file, container_type):
    """Returns the number of containers of a type (event, event_tag) stored."""
    from plaso.storage import factory  # pylint: disable=import-outside-toplevel

    reader = factory.StorageFactory.CreateStorageReaderForFile(storage_file)
    try:
        return reader.GetNumberOfAttributeContainers(container_type)
    finally:
        reader.Close()


def WriteKit(directory):
    """Writes a NetSupport kit (config, licence, client) into a directory."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "client32.ini"), "w", newline="") as file_object:
        file_object.write(CLIENT32_INI)
    with open(os.path.join(directory, "NSM.LIC"), "w", newline="") as file_object:
        file_object.write(NSM_LIC)
    for name in ("PCICL32.DLL", "client32.exe", "HTCTL32.DLL"):
        with open(os.path.join(directory, name), "wb") as file_object:
            file_object.write(b"MZ" + b"\x00" * 510)


def BuildExtractionSource(directory, evtx_copies, small_files):
    """Builds an OS directory source shaped like a Windows volume."""
    logs = os.path.join(directory, "Windows", "System32", "winevt", "Logs")
    os.makedirs(logs)
    for index in range(evtx_copies):
        for name in ("System.evtx", "System2.evtx"):
            shutil.copyfile(
                os.path.join(REAL_WINDOWS, "evtx", name),
                os.path.join(logs, f"{index:02d}-{name}"),
            )
    config = os.path.join(directory, "Windows", "System32", "config")
    os.makedirs(config)
    shutil.copyfile(
        os.path.join(REAL_WINDOWS, "regf", "SAM"), os.path.join(config, "SAM")
    )
    for user, hive in (("alice", "NTUSER.DAT"), ("bob", "NTUSER-WIN7.DAT")):
        user_directory = os.path.join(directory, "Users", user)
        os.makedirs(user_directory)
        shutil.copyfile(
            os.path.join(REAL_WINDOWS, hive), os.path.join(user_directory, "NTUSER.DAT")
        )
    amcache = os.path.join(directory, "Windows", "AppCompat", "Programs")
    os.makedirs(amcache)
    shutil.copyfile(
        os.path.join(REAL_WINDOWS, "winreg", "Amcache.hve"),
        os.path.join(amcache, "Amcache.hve"),
    )
    shutil.copytree(
        os.path.join(REAL_WINDOWS, "winprefetch"),
        os.path.join(directory, "Windows", "Prefetch"),
    )
    WriteKit(os.path.join(directory, "Users", "alice", "AppData", "Roaming", "kit"))
    for index in range(small_files):
        folder = os.path.join(
            directory, "Data", f"d{index // 1000:03d}", f"e{(index // 100) % 10:d}"
        )
        if index % 100 == 0:
            os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"file{index:06d}.txt"), "w") as file_object:
            file_object.write(f"generated file {index:d}\n")


def BuildAnalysisStore(work_directory, name, target_events):
    """Extracts a storage file of at least target_events events (EVTX copies)."""
    storage_file = os.path.join(work_directory, f"{name}.plaso")
    if os.path.exists(storage_file):
        return storage_file, CountContainers(storage_file, "event")
    source = os.path.join(work_directory, f"{name}-source")
    logs = os.path.join(source, "Windows", "System32", "winevt", "Logs")
    os.makedirs(logs)
    WriteKit(os.path.join(source, "Users", "Public", "kit"))
    # System.evtx: 5,009 records, 2 events each (written and creation times).
    copies = max(1, math.ceil(target_events / 10018))
    for index in range(copies):
        shutil.copyfile(
            os.path.join(REAL_WINDOWS, "evtx", "System.evtx"),
            os.path.join(logs, f"{index:03d}-System.evtx"),
        )
    Log(f"  building {name}: {copies} copies of System.evtx")
    measurement = RunMeasured(
        [
            Script("log2timeline"), "--status_view", "none", "--quiet",
            "--parsers", "winevtx,filestat", "--storage_file", storage_file, source,
        ],
        cwd=work_directory,
    )  # fmt: skip
    shutil.rmtree(source)
    events = CountContainers(storage_file, "event")
    Log(f"  {name}: {events:,d} events in {measurement.wall:.1f} s")
    return storage_file, events


def Alternate(sides, runs, measure):
    """Runs measure(side) runs times per side, rotating the order each round.

    Returns:
      dict[str, list[Measurement]]: measurements per side.
    """
    results = {side: [] for side in sides}
    for round_index in range(runs):
        shift = round_index % len(sides)
        for side in sides[shift:] + sides[:shift]:
            measurement = measure(side)
            results[side].append(measurement)
            Log(
                f"    round {round_index + 1}/{runs} {side:<14s} {measurement.wall:7.2f} s"
                f"  main {measurement.main_rss / 2**20:6.0f} MiB"
                f"  child {measurement.child_rss / 2**20:6.0f} MiB"
            )
    return results


def Median(measurements, attribute="wall"):
    """Returns the median of an attribute of measurements."""
    return statistics.median(
        getattr(measurement, attribute) for measurement in measurements
    )


def MeasureExtraction(work_directory, name, source, side, pe_counts=False):
    """Runs log2timeline --parsers win7 once for one side of a comparison.

    Sides: "extension"; "stock" (PLASO_NETSUPPORT_DISABLE=1);
    "without_parser" (the extension with --parsers win7,!pe_version_info:
    separates the parser from the extension's fixed cost, its import in every
    process); "noop_parser" (pe_version_info replaced by bench_noop_pe,
    benchmarks/noop_pe_parser.py: plaso's own cost of one event data per PE).

    Returns:
      Measurement: with cpu (CPU seconds of the log2timeline process tree,
          less disturbed than wall time by other load), load (1-minute load
          average before and after), events and version_info_events.
    """
    storage_file = os.path.join(work_directory, f"{name}-{side}.plaso")
    if os.path.exists(storage_file):
        os.remove(storage_file)
    env = {"PLASO_NETSUPPORT_DISABLE": "1" if side == "stock" else "0"}
    command, parsers = [Script("log2timeline")], "win7"
    if side == "without_parser":
        parsers = "win7,!pe_version_info"
    elif side == "noop_parser":
        command = [sys.executable, "-c", LOG2TIMELINE_WRAPPER]
        parsers = "win7,!pe_version_info,bench_noop_pe"
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [REPOSITORY_ROOT, os.environ.get("PYTHONPATH")])
        )
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()[0]
    measurement = RunMeasured(
        [
            *command, "--status_view", "none", "--quiet",
            "--parsers", parsers, "--storage_file", storage_file, source,
        ],
        env=env,
        cwd=work_directory,
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    measurement.cpu = (after.ru_utime + after.ru_stime) - (
        usage.ru_utime + usage.ru_stime
    )
    # CPU times grow too on a loaded machine (shared caches and cores).
    measurement.load = (load_before, os.getloadavg()[0])
    Log(
        f"      CPU time {measurement.cpu:.1f} s, load average "
        f"{measurement.load[0]:.1f} -> {measurement.load[1]:.1f}"
    )
    measurement.events = CountContainers(storage_file, "event")
    measurement.version_info_events = (
        CountVersionInfo(storage_file) if pe_counts else None
    )
    os.remove(storage_file)
    return measurement


def Compare(work_directory, name, source, sides, runs, pe_counts=False):
    """Runs the sides alternately; returns results, event counts and ratios."""
    results = Alternate(
        list(sides),
        runs,
        lambda side: MeasureExtraction(work_directory, name, source, side, pe_counts),
    )
    comparison = {
        "results": results,
        "events": {side: results[side][-1].events for side in sides},
        "version_info_events": {
            side: results[side][-1].version_info_events for side in sides if pe_counts
        },
        "ratio": Median(results["extension"]) / Median(results["stock"]),
        "cpu_ratio": Median(results["extension"], "cpu")
        / Median(results["stock"], "cpu"),
        # Round by round (the sides of a round ran back to back): less
        # sensitive to load that drifts over the whole benchmark.
        "paired_cpu_ratio": statistics.median(
            extension.cpu / stock.cpu
            for extension, stock in zip(results["extension"], results["stock"])
        ),
    }
    if "noop_parser" in sides:
        comparison["noop_ratio"] = Median(results["noop_parser"]) / Median(
            results["stock"]
        )
        comparison["noop_cpu_ratio"] = Median(results["noop_parser"], "cpu") / Median(
            results["stock"], "cpu"
        )
        comparison["extension_over_noop_cpu"] = Median(
            results["extension"], "cpu"
        ) / Median(results["noop_parser"], "cpu")
    return comparison


def BenchmarkExtraction(work_directory, evtx_copies, small_files, runs, pe_files=0):
    """Extension versus stock log2timeline on the same source and parsers.

    With pe_files, the source is the volume-shaped one plus the PE-heavy
    source's files (a fifth under Windows\\System32 and SysWOW64, the rest
    under Program Files): PE files among the other files of a volume.
    """
    name = "pe-volume" if pe_files else "extraction"
    source = os.path.join(work_directory, f"{name}-source")
    if not os.path.isdir(source):
        Log(f"  building source: {evtx_copies} x 2 EVTX, {small_files:,d} small files")
        BuildExtractionSource(source, evtx_copies, small_files)
        if pe_files:
            Log(f"  adding {pe_files:,d} PE files")
            BuildPESource(source, pe_files)
    # With PE files, the do-nothing parser side too: plaso's own share.
    sides = (
        ("extension", "stock", "noop_parser") if pe_files else ("extension", "stock")
    )
    comparison = Compare(work_directory, name, source, sides, runs, bool(pe_files))
    comparison.update(
        evtx_copies=evtx_copies, small_files=small_files, pe_files=pe_files
    )
    return comparison


def RealPEFiles():
    """Returns the real PE files the PE-heavy source copies: (path, signed)."""
    sys.path.insert(0, REPOSITORY_ROOT)
    from tests import real_pe  # pylint: disable=import-outside-toplevel

    site_packages = os.path.dirname(os.path.dirname(real_pe.PipLauncherPath()))
    site_packages = os.path.dirname(os.path.dirname(site_packages))
    unsigned = sorted(
        os.path.join(folder, name)
        for pattern_folder in ("pip/_vendor/distlib", "setuptools")
        for folder in [os.path.join(site_packages, pattern_folder)]
        if os.path.isdir(folder)
        for name in os.listdir(folder)
        if name.endswith(".exe")
    )
    return unsigned, real_pe.ShimPath()


def BuildPESource(directory, pe_files):
    """Builds an OS directory source with pe_files PE files.

    A fifth goes under Windows\\System32 and Windows\\SysWOW64 (skipped by
    pe_version_info, parsed by plaso's pe). Outside: 2% exact copies of the
    signed shimx64.efi.signed (1 MiB each: the digest is computed), 2% of them
    with one byte changed, 36% copies of pip's and setuptools' launchers with a
    few bytes of overlay appended (so no two files are equal) and 40% forge PEs
    with version resources and varied strings and sizes.
    """
    sys.path.insert(0, REPOSITORY_ROOT)
    from tests.forge import pe as forge_pe  # pylint: disable=import-outside-toplevel

    unsigned, shim = RealPEFiles()
    with open(shim, "rb") as file_object:
        shim_data = file_object.read()
    launchers = []
    for path in unsigned:
        with open(path, "rb") as file_object:
            launchers.append(file_object.read())
    compile_time = datetime.datetime(2020, 5, 4, 3, 2, 1, tzinfo=datetime.timezone.utc)
    counts = {"windows": 0, "shim": 0, "shim_changed": 0, "launcher": 0, "forge": 0}
    for index in range(pe_files):
        kind = index % 50
        if kind < 10:
            folder = os.path.join(
                directory, "Windows", ("System32", "SysWOW64")[index % 2]
            )
            name, data = f"sys{index:05d}.dll", launchers[index % len(launchers)]
            counts["windows"] += 1
        else:
            folder = os.path.join(
                directory, "Program Files", f"Vendor{index % 97:02d}", f"App{index % 7}"
            )
            if kind == 10:
                name, data = f"boot{index:05d}.efi", shim_data
                counts["shim"] += 1
            elif kind == 11:
                changed = bytearray(shim_data)
                changed[4096 + index % 1024] ^= 0x01
                name, data = f"boot{index:05d}.efi", bytes(changed)
                counts["shim_changed"] += 1
            elif kind < 30:
                data = launchers[index % len(launchers)] + index.to_bytes(4, "little")
                name = f"launcher{index:05d}.exe"
                counts["launcher"] += 1
            else:
                data = forge_pe.build_pe(
                    compile_time,
                    {
                        "CompanyName": f"Vendor {index % 97:d} Ltd",
                        "FileDescription": f"Application {index:d}",
                        "FileVersion": f"1.{index % 10:d}.{index:d}.0",
                        "OriginalFilename": f"app{index:d}.exe",
                        "ProductName": f"Product {index % 13:d}",
                        "ProductVersion": f"1.{index % 10:d}",
                    },
                    machine=("i386", "amd64")[index % 2],
                    padding=(index % 16) * 4096,
                )
                name = f"app{index:05d}.exe"
                counts["forge"] += 1
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "wb") as file_object:
            file_object.write(data)
    return counts


def BenchmarkPEExtraction(work_directory, pe_files, runs):
    """Extension versus stock log2timeline on the PE-heavy source."""
    source = os.path.join(work_directory, "pe-source")
    counts_file = os.path.join(work_directory, "pe-source-counts.json")
    if not os.path.isdir(source):
        Log(f"  building source: {pe_files:,d} PE files")
        counts = BuildPESource(source, pe_files)
        with open(counts_file, "w", encoding="utf-8") as file_object:
            json.dump(counts, file_object)
    elif os.path.isfile(counts_file):
        with open(counts_file, "r", encoding="utf-8") as file_object:
            counts = json.load(file_object)
    else:
        counts = None
    size = sum(
        os.path.getsize(os.path.join(folder, name))
        for folder, _, names in os.walk(source)
        for name in names
    )
    comparison = Compare(work_directory, "pe", source, PE_SIDES, runs, True)
    results = comparison["results"]
    Log("  import CPU time per process, extension vs stock")
    import_cost = MeasureImportCost()
    for kind, sides in import_cost.items():
        Log(
            f"    {kind}: extension {sides['extension'] * 1000:.0f} ms, "
            f"stock {sides['stock'] * 1000:.0f} ms"
        )
    Log("  parser CPU time, in process")
    parser_cost = MeasureParserCost(source)
    Log(
        f"    pe_version_info {parser_cost['cpu']['pe_version_info']:.2f} s, "
        f"pe {parser_cost['cpu']['pe']:.2f} s over {parser_cost['files']:,d} files"
    )
    comparison.update(
        parser_cost=parser_cost,
        minimum_ratio=min(m.wall for m in results["extension"])
        / min(m.wall for m in results["stock"]),
        import_cost=import_cost,
        parser_ratio=Median(results["extension"]) / Median(results["without_parser"]),
        parser_cpu_ratio=Median(results["extension"], "cpu")
        / Median(results["without_parser"], "cpu"),
        pe_files=pe_files,
        counts=counts,
        size=size,
    )
    return comparison


# What a log2timeline main process and an extraction worker import (a worker
# started with spawn or forkserver imports it anew; with fork it inherits).
IMPORT_PROBES = {
    "log2timeline main process": (
        "from plaso.cli import log2timeline_tool; import plaso.parsers, plaso.analysis"
    ),
    "extraction worker": "import plaso.multi_process.extraction_process",
}


def MeasureImportCost(runs=5):
    """CPU time of the imports of a process, extension vs stock (min of runs).

    Returns:
      dict[str, dict[str, float]]: seconds per probe and side.
    """
    results = {}
    for kind, statement in IMPORT_PROBES.items():
        code = (
            "import time; start = time.process_time(); "
            f"{statement}; print(time.process_time() - start)"
        )
        times = {"extension": [], "stock": []}
        for _ in range(runs):
            for side in times:
                environment = dict(os.environ)
                environment["PLASO_NETSUPPORT_DISABLE"] = (
                    "1" if side == "stock" else "0"
                )
                output = subprocess.run(
                    [sys.executable, "-c", code],
                    env=environment,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                times[side].append(float(output))
        results[kind] = {side: min(values) for side, values in times.items()}
    return results


def MeasureParserCost(source):
    """CPU time of pe_version_info and of plaso's pe parser over the source.

    Wall-clock ratios on a shared machine are noisy; this measures, in this
    process, the parsers alone on every PE file (each parser as the extractor
    runs it: only where its filters match), with time.process_time().

    Returns:
      dict[str, object]: files, CPU seconds per parser and the slowest file.
    """
    sys.path.insert(0, REPOSITORY_ROOT)
    # pylint: disable=import-outside-toplevel
    from plaso.parsers import pe as plaso_pe
    from plaso_netsupport.parsers import pe_version_info
    from tests import parser_helpers

    parsers = {
        "pe_version_info": pe_version_info.PEVersionInfoParser(),
        "pe": plaso_pe.PEParser(),
    }
    (windows_filter,) = pe_version_info.PEVersionInfoParser.FILTERS
    paths = sorted(
        os.path.join(folder, name)
        for folder, _, names in os.walk(source)
        for name in names
    )
    cpu = {name: 0.0 for name in parsers}
    slowest = (0.0, None)
    for path in paths:
        for name, parser in parsers.items():
            start = time.process_time()
            if name == "pe_version_info":
                # The path-only filter, as the extractor applies it.
                path_spec = parser_helpers.path_spec_factory.Factory.NewPathSpec(
                    parser_helpers.dfvfs_definitions.TYPE_INDICATOR_OS, location=path
                )
                if pe_version_info.IsInWindowsDirectory(path_spec):
                    cpu[name] += time.process_time() - start
                    continue
                parser_helpers.ParseFile(parser, path)
            else:
                parser_helpers.ParseFile(parser, path)
            elapsed = time.process_time() - start
            cpu[name] += elapsed
            if name == "pe_version_info" and elapsed > slowest[0]:
                slowest = (elapsed, os.path.relpath(path, source))
    del windows_filter
    return {"files": len(paths), "cpu": cpu, "slowest": slowest}


def CountVersionInfo(storage_file):
    """Returns the number of netsupport:pe:version_info event data stored."""
    from plaso.storage import factory  # pylint: disable=import-outside-toplevel

    reader = factory.StorageFactory.CreateStorageReaderForFile(storage_file)
    try:
        return sum(
            1
            for event_data in reader.GetAttributeContainers("event_data")
            if event_data.data_type == "netsupport:pe:version_info"
        )
    finally:
        reader.Close()


ANALYSIS_VARIANTS = {
    "noop": ["--analysis", "bench_noop"],
    "tagging": ["--analysis", "tagging", "--tagging-file", TAG_FILE],
    "netsupport": ["--analysis", "netsupport"],
    "netsupport_nosigma": ["--analysis", "netsupport", "--netsupport-no-sigma"],
}


def RunAnalysis(work_directory, storage_file, variant):
    """Runs psort -o null with an analysis variant on a fresh storage copy."""
    copy = os.path.join(work_directory, f"analysis-{variant}.plaso")
    shutil.copyfile(storage_file, copy)
    env = {
        "PYTHONPATH": os.pathsep.join(
            filter(None, [REPOSITORY_ROOT, os.environ.get("PYTHONPATH")])
        )
    }
    try:
        measurement = RunMeasured(
            [
                sys.executable, "-c", PSORT_WRAPPER, "--status_view", "none", "--quiet",
                *ANALYSIS_VARIANTS[variant], "-o", "null", copy,
            ],
            env=env,
            cwd=work_directory,
        )  # fmt: skip
        measurement.tags = CountContainers(copy, "event_tag")
    finally:
        os.remove(copy)
    return measurement


def CheckNoOpWrapper(work_directory, storage_file):
    """Checks that psort through the wrapper knows the no-op plugin."""
    result = subprocess.run(
        [sys.executable, "-c", PSORT_WRAPPER, "--analysis", "list"],
        env=dict(os.environ, PYTHONPATH=REPOSITORY_ROOT),
        cwd=work_directory,
        capture_output=True,
        text=True,
        check=False,
    )
    if "bench_noop" not in result.stdout:
        raise RuntimeError(
            f"no-op plugin not registered:\n{result.stdout}\n{result.stderr}"
        )


def BenchmarkAnalysis(work_directory, storage_file, events, runs):
    """Analysis variants on fresh copies of one storage file."""
    CheckNoOpWrapper(work_directory, storage_file)
    variants = list(ANALYSIS_VARIANTS)
    results = Alternate(
        variants,
        runs,
        lambda variant: RunAnalysis(work_directory, storage_file, variant),
    )
    summary = {}
    for variant in variants:
        wall = Median(results[variant])
        summary[variant] = {
            "wall": wall,
            "events_per_second": events / wall,
            "child_rss": max(m.child_rss for m in results[variant]),
            "main_rss": max(m.main_rss for m in results[variant]),
            "tags": results[variant][-1].tags,
            "walls": [m.wall for m in results[variant]],
        }
    return {
        "events": events,
        "summary": summary,
        "ours_noop": summary["netsupport"]["wall"] / summary["noop"]["wall"],
        "ours_tagging": summary["netsupport"]["wall"] / summary["tagging"]["wall"],
        "nosigma_noop": summary["netsupport_nosigma"]["wall"] / summary["noop"]["wall"],
        "nosigma_tagging": summary["netsupport_nosigma"]["wall"]
        / summary["tagging"]["wall"],
    }


def BenchmarkScaling(work_directory, stores, runs, known=None):
    """The netsupport plugin's analysis time at several storage sizes."""
    rows = []
    for name, storage_file, events in stores:
        if known and known[0] == events:
            walls = known[1]
        else:
            walls = [
                RunAnalysis(work_directory, storage_file, "netsupport").wall
                for _ in range(runs)
            ]
            Log(f"    {name}: {', '.join(f'{wall:.2f}' for wall in walls)} s")
        wall = statistics.median(walls)
        rows.append(
            {"events": events, "wall": wall, "us_per_event": wall / events * 1e6}
        )
    # Marginal cost per event between the smallest and largest store, which
    # removes psort's fixed start-up cost.
    marginal = None
    if len(rows) > 1 and rows[-1]["events"] > rows[0]["events"]:
        marginal = (
            (rows[-1]["wall"] - rows[0]["wall"])
            / (rows[-1]["events"] - rows[0]["events"])
            * 1e6
        )
    return {"rows": rows, "marginal_us_per_event": marginal}


def MachineDescription():
    """Returns a dict describing the machine and software versions."""
    cpu_model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file_object:
            for line in file_object:
                if line.startswith("model name"):
                    cpu_model = line.partition(":")[2].strip()
                    break
    except OSError:
        pass
    import plaso  # pylint: disable=import-outside-toplevel

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model,
        "ram_gib": psutil.virtual_memory().total / 2**30,
        "python": platform.python_version(),
        "plaso": plaso.__version__,
        "platform": platform.platform(),
    }


def Mark(value, target, strict=False):
    """Returns a pass/fail mark for a ratio and its target."""
    passed = value < target if strict else value <= target
    return "meets target" if passed else "MISSES target"


def FormatSideTable(result, sides):
    """Formats the per-side table of an extraction result as Markdown lines."""
    mib = 2**20
    ext = result["results"]
    lines = [
        "| Side | Events | pe_version_info event data | Wall times (s) | Median (s) | CPU times (s) | Median CPU (s) | Load averages | Peak RSS main / worker (MiB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for side in sides:
        walls = ", ".join(f"{m.wall:.1f}" for m in ext[side])
        version_info = result["version_info_events"].get(side)
        lines.append(
            f"| {side} | {result['events'].get(side, 0):,d} | "
            f"{'-' if version_info is None else f'{version_info:,d}'} | {walls} | "
            f"{Median(ext[side]):.1f} | "
            f"{', '.join(f'{m.cpu:.1f}' for m in ext[side])} | "
            f"{Median(ext[side], 'cpu'):.1f} | "
            f"{', '.join(f'{m.load[0]:.1f}-{m.load[1]:.1f}' for m in ext[side])} | "
            f"{max(m.main_rss for m in ext[side]) / mib:.0f} / "
            f"{max(m.child_rss for m in ext[side]) / mib:.0f} |"
        )
    return lines


def FormatPEReport(pe_extraction):
    """Formats the PE extraction results as Markdown lines."""
    mib = 2**20
    counts = pe_extraction["counts"] or {}
    ext = pe_extraction["results"]
    lines = [
        "## PE extraction: log2timeline --parsers win7, extension vs stock",
        "",
        f"Source: an **OS directory** of {pe_extraction['pe_files']:,d} PE files "
        f"({pe_extraction['size'] / mib:.0f} MiB): {counts.get('windows', 0):,d} under "
        "`Windows\\System32` and `Windows\\SysWOW64` (skipped by `pe_version_info`), "
        f"{counts.get('shim', 0):,d} copies of Debian's Microsoft-signed "
        f"`shimx64.efi.signed` (1 MiB, digest computed), "
        f"{counts.get('shim_changed', 0):,d} copies of it with one byte changed, "
        f"{counts.get('launcher', 0):,d} copies of pip's and setuptools' launchers "
        "with a 4-byte overlay each, and "
        f"{counts.get('forge', 0):,d} forge PEs with version resources (0-60 KiB "
        "padding), under `Program Files`. Stock = `PLASO_NETSUPPORT_DISABLE=1`.",
        "",
    ]
    lines += FormatSideTable(pe_extraction, PE_SIDES)
    cost = pe_extraction["parser_cost"]
    stock_median = Median(ext["stock"])
    lines += [
        "",
        f"**Ratio extension/stock: {pe_extraction['ratio']:.3f}** (target <= 1.03: "
        f"{Mark(pe_extraction['ratio'], 1.03)}); ratio of the fastest runs: "
        f"{pe_extraction['minimum_ratio']:.3f}; ratio of the median CPU times of the "
        f"log2timeline process trees: **{pe_extraction['cpu_ratio']:.3f}**; median of "
        "the round-by-round CPU ratios (sides run back to back): "
        f"**{pe_extraction['paired_cpu_ratio']:.3f}**.",
        "",
        "Import CPU time per process (minimum of 5, `time.process_time()`): "
        + "; ".join(
            f"{kind}: extension {sides['extension'] * 1000:.0f} ms, stock "
            f"{sides['stock'] * 1000:.0f} ms"
            for kind, sides in pe_extraction["import_cost"].items()
        )
        + ".",
        "",
        "`without_parser` is the extension with `--parsers win7,!pe_version_info`: "
        "extension/without_parser isolates this parser (and its events) from the "
        "extension's fixed cost: wall "
        f"**{pe_extraction['parser_ratio']:.3f}**, CPU "
        f"**{pe_extraction['parser_cpu_ratio']:.3f}**.",
        "",
        "`noop_parser` replaces `pe_version_info` by `bench_noop_pe` "
        "(benchmarks/noop_pe_parser.py): selected the same way, it produces one "
        "fixed `netsupport:pe:version_info` event data per file without reading "
        "it, so noop_parser/stock is plaso's own cost of one more event data per "
        "PE file, the floor under any parser that reports every PE file: wall "
        f"**{pe_extraction['noop_ratio']:.3f}**, CPU "
        f"**{pe_extraction['noop_cpu_ratio']:.3f}**; extension/noop_parser CPU "
        f"(what reading the files adds) **{pe_extraction['extension_over_noop_cpu']:.3f}**.",
        "",
        "Parser CPU time measured in one process (`time.process_time()`, each parser "
        f"alone on all {cost['files']:,d} files, filters applied as the extractor does): "
        f"`pe_version_info` {cost['cpu']['pe_version_info']:.2f} s "
        f"({cost['cpu']['pe_version_info'] / cost['files'] * 1000:.2f} ms per file, "
        f"slowest {cost['slowest'][0] * 1000:.1f} ms: `{cost['slowest'][1]}`), "
        f"plaso's `pe` {cost['cpu']['pe']:.2f} s. Our parser's CPU time is "
        f"{cost['cpu']['pe_version_info'] / stock_median * 100:.1f}% of the stock "
        "median wall time (log2timeline runs two worker processes).",
        "",
    ]
    return lines


def FormatExtractionReport(extraction):
    """Formats an extension-vs-stock extraction result as Markdown lines."""
    pe_files = extraction.get("pe_files")
    lines = [
        "## Extraction: log2timeline --parsers win7, extension vs stock"
        + (f", with {pe_files:,d} PE files" if pe_files else ""),
        "",
        "Source: an **OS directory** (not an E01) built in a temp dir: "
        f"{extraction['evtx_copies']} copies each of the real `System.evtx` and "
        "`System2.evtx`, the SAM, two NTUSER.DAT and Amcache.hve hives, 6 prefetch "
        f"files, a NetSupport kit (client32.ini, NSM.LIC, ...) and "
        f"{extraction['small_files']:,d} small generated files in nested folders"
        + (
            f", plus the {pe_files:,d} PE files of the PE-heavy source below (a "
            "fifth under `Windows\\System32` and `SysWOW64`, the rest under "
            "`Program Files`)"
            if pe_files
            else ""
        )
        + ". Stock = the same tool with `PLASO_NETSUPPORT_DISABLE=1` (the extension "
        "is not loaded; `win7` then expands to the stock parsers only).",
        "",
    ]
    lines += FormatSideTable(extraction, list(extraction["results"]))
    lines += [
        "",
        f"**Ratio extension/stock: {extraction['ratio']:.3f}** (target <= 1.03: "
        f"{Mark(extraction['ratio'], 1.03)}); ratio of the median CPU times of the "
        f"log2timeline process trees: **{extraction['cpu_ratio']:.3f}**; median of "
        "the round-by-round CPU ratios: "
        f"**{extraction['paired_cpu_ratio']:.3f}**.",
        "",
    ]
    if "noop_ratio" in extraction:
        lines += [
            "`noop_parser`: the extension with `bench_noop_pe` in place of "
            "`pe_version_info` (one fixed event data per PE file, nothing read): "
            f"noop_parser/stock wall **{extraction['noop_ratio']:.3f}**, CPU "
            f"**{extraction['noop_cpu_ratio']:.3f}**; extension/noop_parser CPU "
            f"**{extraction['extension_over_noop_cpu']:.3f}**.",
            "",
        ]
    return lines


def FormatReport(
    arguments,
    machine,
    extraction,
    analysis,
    scaling,
    elapsed,
    pe_extraction=None,
    pe_volume=None,
):
    """Formats the results as Markdown."""
    mib = 2**20
    lines = [
        "# plaso-netsupport benchmark results",
        "",
        f"* Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"* Mode: {'**--quick** (reduced sizes)' if arguments.quick else 'full'};"
        f" {arguments.runs_description} (median), sides alternated with a"
        f" rotating start; total benchmark time {elapsed / 60:.1f} min",
        f"* Machine: {machine['nproc']} CPUs ({machine['cpu']}), "
        f"{machine['ram_gib']:.1f} GiB RAM, {machine['platform']}",
        f"* Python {machine['python']}, plaso {machine['plaso']}, "
        "multiprocessing start method: fork (the 3.11 default)",
        "* Command: `.venv/bin/python benchmarks/run.py"
        + (" --quick" if arguments.quick else "")
        + "` (`make bench`)",
        *[f"* Note: {note}" for note in arguments.note],
        "",
    ]
    for part in (extraction, pe_volume):
        if part:
            lines += FormatExtractionReport(part)
    if pe_extraction:
        lines += FormatPEReport(pe_extraction)
    if analysis:
        lines += [
            f"## Analysis: psort -o null on {analysis['events']:,d} events",
            "",
            "Storage file: log2timeline `--parsers winevtx,filestat` over copies of the "
            "real `System.evtx` plus a small NetSupport kit; each psort run works on a "
            'fresh copy. psort runs as `python -c "import benchmarks.noop_plugin; '
            'from plaso.scripts import psort; psort.Main()"` (PYTHONPATH=repo) for '
            "every variant. Peak RSS: sampled every 0.1 s over the process tree; "
            "'analysis' is the largest child (the plugin process), 'main' is psort.",
            "",
            "| Variant | Wall times (s) | Median (s) | Events/s | Peak RSS analysis / main (MiB) | Tags |",
            "|---|---|---|---|---|---|",
        ]
        names = {
            "noop": "(a) no-op plugin",
            "tagging": "(b) stock tagging + netsupport_tags.txt",
            "netsupport": "(c) netsupport",
            "netsupport_nosigma": "(d) netsupport --netsupport-no-sigma",
        }
        for variant, row in analysis["summary"].items():
            walls = ", ".join(f"{wall:.1f}" for wall in row["walls"])
            lines.append(
                f"| {names[variant]} | {walls} | {row['wall']:.1f} | "
                f"{row['events_per_second']:,.0f} | {row['child_rss'] / mib:.0f} / "
                f"{row['main_rss'] / mib:.0f} | {row['tags']:,d} |"
            )
        lines += [
            "",
            f"* **ours/no-op: {analysis['ours_noop']:.3f}** (target <= 1.15: "
            f"{Mark(analysis['ours_noop'], 1.15)})",
            f"* **ours/tagging: {analysis['ours_tagging']:.3f}** (target < 1: "
            f"{Mark(analysis['ours_tagging'], 1.0, strict=True)})",
            f"* ours without Sigma/no-op: {analysis['nosigma_noop']:.3f}; "
            f"ours without Sigma/tagging: {analysis['nosigma_tagging']:.3f}",
            "",
        ]
    if scaling:
        lines += [
            "## Scaling: netsupport plugin, psort -o null",
            "",
            "| Events | Median wall (s) | Time per event (µs) |",
            "|---|---|---|",
        ]
        for row in scaling["rows"]:
            lines.append(
                f"| {row['events']:,d} | {row['wall']:.1f} | {row['us_per_event']:.1f} |"
            )
        if scaling["marginal_us_per_event"] is not None:
            lines += [
                "",
                f"Marginal time per event (smallest to largest, start-up removed): "
                f"{scaling['marginal_us_per_event']:.1f} µs. Linear scaling means the "
                "per-event times stay roughly constant (the smallest size carries "
                "psort's fixed start-up cost).",
            ]
        lines.append("")
    lines.append("")
    return "\n".join(lines)


def Main():
    """Runs the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes")
    parser.add_argument("--runs", type=int, default=None, help="runs per side")
    parser.add_argument("--work-directory", default=None, help="keep stores here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--only",
        choices=["extraction", "analysis", "scaling", "pe_extraction", "pe_volume"],
        action="append",
        help="run only these parts (repeatable)",
    )  # fmt: skip
    parser.add_argument("--results", default=RESULTS_FILE, help="Markdown output file")
    parser.add_argument(
        "--note", action="append", default=[], help="note for RESULTS.md"
    )
    arguments = parser.parse_args()

    size_index = 1 if arguments.quick else 0
    sizes = {name: values[size_index] for name, values in SIZES.items()}
    analysis_runs = arguments.runs or sizes["runs"]
    extraction_runs = arguments.runs or sizes["extraction_runs"]
    arguments.runs_description = (
        f"{extraction_runs} extraction and {analysis_runs} analysis runs per side"
    )
    parts = set(
        arguments.only
        or ["extraction", "analysis", "scaling", "pe_extraction", "pe_volume"]
    )

    work_directory = arguments.work_directory or tempfile.mkdtemp(
        prefix="netsupport-bench-"
    )
    os.makedirs(work_directory, exist_ok=True)
    started = time.perf_counter()
    machine = MachineDescription()
    Log(f"work directory: {work_directory}")
    Log(f"machine: {machine}")
    extraction = analysis = scaling = pe_extraction = pe_volume = None
    try:
        if "pe_extraction" in parts:
            Log("== PE extraction (log2timeline --parsers win7): extension vs stock")
            pe_extraction = BenchmarkPEExtraction(
                work_directory,
                sizes["pe_files"],
                arguments.runs or sizes["pe_extraction_runs"],
            )
            Log(
                f"  ratio extension/stock: {pe_extraction['ratio']:.3f} (target <= 1.03)"
            )
        if "pe_volume" in parts:
            Log("== extraction with PE files (log2timeline --parsers win7)")
            pe_volume = BenchmarkExtraction(
                work_directory,
                sizes["extraction_evtx_copies"],
                sizes["extraction_small_files"],
                arguments.runs or sizes["pe_extraction_runs"],
                pe_files=sizes["pe_files"],
            )
            Log(f"  ratio extension/stock: {pe_volume['ratio']:.3f} (target <= 1.03)")
        if "extraction" in parts:
            Log("== extraction (log2timeline --parsers win7): extension vs stock")
            extraction = BenchmarkExtraction(
                work_directory,
                sizes["extraction_evtx_copies"],
                sizes["extraction_small_files"],
                extraction_runs,
            )
            Log(f"  ratio extension/stock: {extraction['ratio']:.3f} (target <= 1.03)")

        target = sizes["analysis_events"]
        if parts & {"analysis", "scaling"}:
            Log("== storage files")
            store_full = BuildAnalysisStore(work_directory, f"store-{target}", target)
        if "analysis" in parts:
            Log(f"== analysis (psort -o null) on {store_full[1]:,d} events")
            analysis = BenchmarkAnalysis(
                work_directory, store_full[0], store_full[1], analysis_runs
            )
            for variant, row in analysis["summary"].items():
                Log(
                    f"  {variant:<20s} {row['wall']:7.2f} s {row['events_per_second']:9,.0f} ev/s"
                    f"  analysis RSS {row['child_rss'] / 2**20:5.0f} MiB  tags {row['tags']:,d}"
                )
            Log(f"  ours/no-op: {analysis['ours_noop']:.3f} (target <= 1.15)")
            Log(f"  ours/tagging: {analysis['ours_tagging']:.3f} (target < 1)")
            Log(f"  ours-no-sigma/no-op: {analysis['nosigma_noop']:.3f}")
        if "scaling" in parts:
            Log("== scaling (netsupport plugin)")
            stores = []
            for fraction in (4, 2):
                storage_file, events = BuildAnalysisStore(
                    work_directory, f"store-{target // fraction}", target // fraction
                )
                stores.append((f"1/{fraction}", storage_file, events))
            stores.append(("full", store_full[0], store_full[1]))
            known = None
            if analysis:
                known = (analysis["events"], analysis["summary"]["netsupport"]["walls"])
            scaling = BenchmarkScaling(
                work_directory, stores, sizes["scaling_runs"], known=known
            )
            for row in scaling["rows"]:
                Log(
                    f"  {row['events']:9,d} events {row['wall']:7.2f} s "
                    f"{row['us_per_event']:6.1f} µs/event"
                )
            if scaling["marginal_us_per_event"] is not None:
                Log(f"  marginal: {scaling['marginal_us_per_event']:.1f} µs/event")
    finally:
        if not arguments.keep and not arguments.work_directory:
            shutil.rmtree(work_directory, ignore_errors=True)

    elapsed = time.perf_counter() - started
    report = FormatReport(
        arguments,
        machine,
        extraction,
        analysis,
        scaling,
        elapsed,
        pe_extraction,
        pe_volume,
    )
    with open(arguments.results, "w", encoding="utf-8") as file_object:
        file_object.write(report)
    Log(f"== done in {elapsed / 60:.1f} min; results written to {arguments.results}")
    return 0


if __name__ == "__main__":
    sys.exit(Main())
