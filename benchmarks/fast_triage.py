#!/usr/bin/env python3
"""Benchmark: plaso-netsupport triage versus triage --fast (run by `make bench`).

Builds (or reuses) a large OS directory source: every file of the forge's
rat_drop scenario image (exported with image_export: hives, event logs,
prefetch, the NetSupport kit in %APPDATA%) plus generated noise: many small
files in system, program and user folders (a share of them in drop locations
such as %LOCALAPPDATA%, where the fast pass has to look) and a few large
sparse files. Runs the full triage and the fast triage once each and writes
wall time, event counts and whether the findings (installations, verdicts,
gateways) are identical to the fast-triage section of benchmarks/RESULTS.md.

Usage: .venv/bin/python benchmarks/fast_triage.py [--files N] [--gib G]
       [--source DIR] [--work-directory DIR]
Defaults: 200,000 noise files and 4 GiB of sparse files (full scale).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPOSITORY)

IMAGE = os.path.join(REPOSITORY, "test_data", "images", "rat_drop.E01")
RESULTS_FILE = os.path.join(REPOSITORY, "benchmarks", "RESULTS.md")
BEGIN = "<!-- fast-triage: benchmarks/fast_triage.py -->"
END = "<!-- /fast-triage -->"
# Where the noise goes: (folder, share of the files). The user folders are
# drop locations the fast pass searches (kit file names, 7 levels deep).
NOISE_FOLDERS = (
    ("Windows\\WinSxS", 0.35),
    ("Program Files\\Vendor", 0.25),
    ("Users\\amoreau\\AppData\\Local\\Packages", 0.2),
    ("Users\\amoreau\\Documents\\Projects", 0.1),
    ("ProgramData\\Vendor\\Cache", 0.1),
)


def Log(message):
    sys.stdout.write(f"[{datetime.datetime.now():%H:%M:%S}] {message}\n")
    sys.stdout.flush()


def Script(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def _Marker(directory):
    return os.path.join(directory, ".netsupport-bench-source.json")


def BuildSource(directory, files, gib):
    """Builds the source directory, or reuses one built with the same sizes."""
    wanted = {"files": files, "gib": gib, "image": os.path.basename(IMAGE)}
    try:
        with open(_Marker(directory), "r", encoding="utf-8") as file_object:
            if json.load(file_object) == wanted:
                Log(f"reusing source {directory}")
                return
    except (OSError, ValueError):
        pass
    shutil.rmtree(directory, ignore_errors=True)
    export = directory + ".export"
    shutil.rmtree(export, ignore_errors=True)
    Log(f"image_export {IMAGE}")
    subprocess.run(
        [Script("image_export"), "--quiet", "--unattended", "-w", export, IMAGE],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.move(export, directory)
    Log(f"writing {files:,d} noise files and {gib} GiB of sparse files")
    written = 0
    for folder, share in NOISE_FOLDERS:
        count = int(files * share)
        base = os.path.join(directory, *folder.split("\\"))
        for index in range(count):
            # 100 files per folder, 100 folders per parent: a realistic tree.
            path = os.path.join(
                base, f"pkg{index // 10000:03d}", f"dir{index // 100:05d}"
            )
            if index % 100 == 0:
                os.makedirs(path, exist_ok=True)
            with open(os.path.join(path, f"file{index:06d}.dat"), "wb") as handle:
                handle.write(b"noise %d\n" % index)
            written += 1
    media = os.path.join(directory, "Users", "amoreau", "Videos")
    os.makedirs(media, exist_ok=True)
    for index in range(int(gib)):
        with open(os.path.join(media, f"recording{index}.mp4"), "wb") as handle:
            handle.truncate(2**30)
    with open(_Marker(directory), "w", encoding="utf-8") as file_object:
        json.dump(wanted, file_object)
    Log(f"source ready: {written:,d} noise files")


def CountFiles(directory):
    total = size = 0
    for root, _, names in os.walk(directory):
        for name in names:
            total += 1
            try:
                size += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total, size


def Triage(source, output, fast):
    command = [
        Script("plaso-netsupport"),
        "triage",
        source,
        "-o",
        output,
        "--force",
        "--status-view",
        "none",
    ]
    if fast:
        command.append("--fast")
    shutil.rmtree(output, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def Summary(output):
    from plaso.storage import factory  # pylint: disable=import-outside-toplevel
    from plaso_netsupport.collection import (
        targeted,
    )  # pylint: disable=import-outside-toplevel
    from plaso_netsupport.storage import (
        ReadDocument,
    )  # pylint: disable=import-outside-toplevel
    from tests import findings_comparison  # pylint: disable=import-outside-toplevel

    storage = os.path.join(output, "case.plaso")
    reader = factory.StorageFactory.CreateStorageReaderForFile(storage)
    try:
        events = reader.GetNumberOfAttributeContainers("event")
        tags = reader.GetNumberOfAttributeContainers("event_tag")
    finally:
        reader.Close()
    document = ReadDocument(storage)
    findings = findings_comparison.Installations(document)
    return {
        "events": events,
        "tags": tags,
        "findings": findings,
        "targeted": targeted.IsTargeted(storage),
    }


def WriteResults(text, path=RESULTS_FILE):
    try:
        with open(path, "r", encoding="utf-8") as file_object:
            current = file_object.read()
    except OSError:
        current = "# plaso-netsupport benchmark results\n"
    section = f"{BEGIN}\n{text}{END}\n"
    if BEGIN in current and END in current:
        head, _, rest = current.partition(BEGIN)
        _, _, tail = rest.partition(END + "\n")
        current = head + section + tail
    else:
        current = current.rstrip("\n") + "\n\n" + section
    with open(path, "w", encoding="utf-8") as file_object:
        file_object.write(current)


def Main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200000)
    parser.add_argument("--gib", type=int, default=4)
    parser.add_argument("--work-directory", default=None)
    parser.add_argument("--source", default=None, help="source directory (reused)")
    parser.add_argument("--results", default=RESULTS_FILE)
    arguments = parser.parse_args()
    work = arguments.work_directory or tempfile.mkdtemp(prefix="netsupport-fast-")
    os.makedirs(work, exist_ok=True)
    source = arguments.source or os.path.join(work, "source")
    BuildSource(source, arguments.files, arguments.gib)
    files, size = CountFiles(source)
    Log(f"source: {files:,d} files, {size / 2**30:.1f} GiB (apparent)")
    Log("triage --fast")
    fast_wall = Triage(source, os.path.join(work, "fast"), fast=True)
    fast = Summary(os.path.join(work, "fast"))
    Log(f"  {fast_wall:.1f} s, {fast['events']:,d} events")
    Log("triage (full)")
    full_wall = Triage(source, os.path.join(work, "full"), fast=False)
    full = Summary(os.path.join(work, "full"))
    Log(f"  {full_wall:.1f} s, {full['events']:,d} events")
    ratio = fast_wall / full_wall
    same = fast["findings"] == full["findings"]
    Log(f"fast/full wall time: {ratio:.3f} (target <= 0.10); same findings: {same}")
    text = (
        "## Fast triage: plaso-netsupport triage --fast vs triage\n\n"
        f"* Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%dT%H:%M:%SZ}\n"
        f"* Machine: {os.cpu_count()} CPUs, {platform.platform()}, shared with "
        "other jobs (wall times are upper bounds)\n"
        f"* Source: OS directory, every file of the forge image rat_drop.E01 "
        f"(image_export) plus {arguments.files:,d} noise files and "
        f"{arguments.gib} GiB of sparse files: {files:,d} files, "
        f"{size / 2**30:.1f} GiB apparent size\n"
        f"* Command: `python benchmarks/fast_triage.py --files {arguments.files} "
        f"--gib {arguments.gib}` (part of `make bench`)\n\n"
        "| Run | Wall time (s) | Events | Tags | Targeted |\n|---|---|---|---|---|\n"
        f"| triage | {full_wall:.1f} | {full['events']:,d} | {full['tags']:,d} "
        f"| {full['targeted']} |\n"
        f"| triage --fast | {fast_wall:.1f} | {fast['events']:,d} | "
        f"{fast['tags']:,d} | {fast['targeted']} |\n\n"
        f"**fast/full wall time: {ratio:.3f}** (target <= 0.10: "
        f"{'meets target' if ratio <= 0.10 else 'MISSES target'}); "
        f"findings identical: **{same}** "
        f"({len(full['findings'])} installation(s): "
        + "; ".join(
            f"{entry['folder']} {entry['verdict']}"
            for entry in map(json.loads, full["findings"])
        )
        + ")\n"
    )
    text += (
        "\nOn a directory source the host's last-access times change when a run "
        "reads the kit files, so the tagged events of the two runs differ in those "
        "times only; the analysis also reports the kit twice on a directory source "
        "(once under the host path of the file system events, once under the "
        "Windows path of the registry and event-log events), in both runs alike.\n"
    )
    if arguments.files < 200000:
        text += (
            f"\nReduced size ({arguments.files:,d} < 200,000 files): a proof "
            "that the benchmark works, not the full-scale measurement.\n"
        )
    WriteResults(text, arguments.results)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(Main())
