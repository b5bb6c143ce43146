"""What the evidence of an installation says: runs, activity, display paths.

After every item is judged, each installation gets the folder and binary
paths as they appear on the evidence (case kept, with the drive), its runs
(run times of its binaries, those closer than execution_merge_seconds merged
into one), and its activity window on this system, apart from the times the
kit brought along from elsewhere (compile, signing and licence generation
times, modification times older than the file's creation here).
"""

from plaso_netsupport.analysis import model
from plaso_netsupport.analysis import paths

# Data types whose timestamps are run times of the executable.
_RUN_TIME_DATA_TYPES = frozenset(
    [
        "windows:prefetch:execution",
        "windows:evtx:record",
        "windows:registry:bam",
        "windows:registry:userassist",
    ]
)


def Summarise(installation, kit_names, merge_microseconds):
    """Fills executions, activity and preserved times, display paths.

    Args:
      installation (Installation): installation with its evidence items.
      kit_names (frozenset[str]): the kit file names (lower case).
      merge_microseconds (int): runs closer than this are one run.
    """
    _DisplayPaths(installation)
    _Executions(installation, kit_names, merge_microseconds)
    _Activity(installation)


def _DisplayPaths(installation):
    display = ""
    drive = ""
    for item in installation.evidence_items:
        if not item.display_path or item.folder != installation.folder:
            continue
        folder_display = item.display_path.rpartition("\\")[0]
        if folder_display[1:2] == ":":
            drive = drive or folder_display[:2]
            folder_display = folder_display[2:]
        if item.role in ("file", "pe", "version_info") and (
            not display or display.lower() == display
        ):
            display = folder_display
        elif not display:
            display = folder_display
    if not display or display.lower() != installation.folder:
        display = paths.Display(installation.folder, default_drive="")
    installation.folder_display = (drive or "C:") + display
    for binary in installation.binaries:
        binary_display = installation.kit_files.get(binary.path) or ""
        name = binary_display.rpartition("\\")[2] or binary.name
        binary.name = name
        binary.path = f"{installation.folder_display}\\{name}"


def _Executions(installation, kit_names, merge_microseconds):
    """Run times of the installation's binaries, one per run."""
    runs = []
    binary_names = {binary.name.lower() for binary in installation.binaries}
    for item in installation.evidence_items:
        if item.data_type not in _RUN_TIME_DATA_TYPES:
            continue
        if item.role == "prefetch":
            if item.values["executable"] not in binary_names | kit_names:
                continue
        elif item.role == "process":
            if item.folder != installation.folder:
                continue
        elif item.role != "execution_trace":
            continue
        for timestamp in item.timestamps:
            if timestamp:
                runs.append((timestamp, item))
    runs.sort(key=lambda run: run[0])
    executions = []
    for timestamp, item in runs:
        if executions and timestamp - executions[-1].timestamp <= merge_microseconds:
            if item not in executions[-1].items:
                executions[-1].items.append(item)
            continue
        description = (
            item.description
            if item.role == "prefetch"
            else f"process {item.display_path or item.path}"
        )
        executions.append(model.Execution(timestamp, [item], description))
    installation.executions = executions


def _Activity(installation):
    """Activity on this system versus times the kit carries from elsewhere."""
    activity, preserved = [], []
    creation = {}
    for item in installation.evidence_items:
        if not item.path or item.data_type.startswith("pe_coff:"):
            continue
        for timestamp, description in zip(item.timestamps, item.timestamp_descriptions):
            if timestamp and "creation" in description.lower():
                creation[item.path] = min(timestamp, creation.get(item.path, timestamp))
    for item in installation.evidence_items:
        if item.path and (installation.folder + "\\").startswith(item.path + "\\"):
            # The kit folder's own entry (or a vendor folder above it)
            # may be older than the kit: %TEMP%, a reused folder.
            continue
        for timestamp, description in zip(item.timestamps, item.timestamp_descriptions):
            if not timestamp:
                continue
            if _IsPreserved(item, timestamp, description, creation.get(item.path)):
                preserved.append(timestamp)
            else:
                activity.append(timestamp)
    installation.timestamps = activity
    if activity:
        installation.activity_first = min(activity)
        installation.activity_last = max(activity)
    if preserved:
        installation.preserved_first = min(preserved)
        installation.preserved_last = max(preserved)


def _IsPreserved(item, timestamp, description, creation):
    """Determines if a time comes with the kit rather than from this system.

    PE compile, link and signing times, licence generation times and file
    modification times older than the file's creation here (kept by the
    archive the kit was unpacked from).

    Args:
      item (Item): item.
      timestamp (int): one of its timestamps.
      description (str): that timestamp's description.
      creation (int|None): earliest creation time of the item's file.
    """
    data_type = item.data_type
    description = description.lower()
    if data_type.startswith("pe_coff:") or data_type == "netsupport:pe:version_info":
        return True
    if "link" in description and data_type.startswith("windows:registry:amcache"):
        return True
    if data_type.startswith("netsupport:nsm_lic") and "generat" in description:
        return True
    if "modification" in description and creation is not None and timestamp < creation:
        return True
    return False
