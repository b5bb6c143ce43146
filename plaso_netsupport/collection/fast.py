"""`plaso-netsupport triage --fast`: targeted extraction in two passes.

Pass 1: log2timeline --custom_artifact_definitions netsupport_artifacts.yaml
        --artifact_filters NetSupportTriage (NetSupport's own files by name and
        location, and the Windows sources the analysis reads).
Pass 2: a renamed client (or any other file) beside the kit files of pass 1
        was not collected, since only kit file names are. Each kit folder
        found in pass 1 (a folder holding a kit-named file, or the folder of
        an installation the analysis sees in the pass 1 events, which also
        covers kits outside every known location that left execution, Run key
        or service traces) is collected completely by a second log2timeline
        run into the same storage file, with a filter file that includes the
        folder and its files and excludes every file pass 1 collected, so no
        event is stored twice.

triage.py calls ExtractionArguments() for pass 1 and SecondPass() after it.

Size: one feature in the order it runs (pass 1 arguments, what pass 1
collected, the kit folders, the filter file that excludes it, the pass 2
command, SecondPass()); the filter file and the collected paths share one
path form, so they read best side by side. Split the filter-file builder
(KitFolders .. FilterFileText) into its own module if this grows.
"""

import os
import re
import shutil

import yaml

from plaso_netsupport import knowledge as knowledge_module
from plaso_netsupport.collection import artifact_definitions

FILTER_FILE_NAME = "netsupport_kit_folders.yaml"
# Options of the pass 1 command that pass 2 replaces (all take a value).
_PASS_ONE_OPTIONS = frozenset(
    [
        "--custom_artifact_definitions",
        "--artifact_filters",
        "--artifact_filters_file",
        "--filter_file",
        "--logfile",
        "--storage_file",
    ]
)
_FILE_DATA_TYPES = frozenset(["fs:stat", "fs:stat:ntfs"])


def _UsageError():
    from plaso_netsupport.errors import (  # pylint: disable=import-outside-toplevel
        UsageError,
    )

    return UsageError


def ExtractionArguments(arguments=None):
    """Returns the log2timeline options of the targeted pass 1.

    Raises:
      UsageError: if the examiner gave artifact filters too: a Windows
          Registry key source among them would make plaso parse only those
          keys of every hive, and the analysis would miss services and Run
          keys.
    """
    if arguments is not None and (
        getattr(arguments, "artifact_filters", None)
        or getattr(arguments, "artifact_filters_file", None)
    ):
        raise _UsageError()(
            "--fast selects the artifact filters itself (NetSupportTriage); "
            "leave out --artifact_filters and --artifact_filters_file"
        )
    return [
        "--custom_artifact_definitions",
        artifact_definitions.DEFINITIONS_PATH,
        "--artifact_filters",
        artifact_definitions.TRIAGE_GROUP,
    ]


def _SplitLocation(location, source_directory=None):
    """Returns the path segments of a location, relative to the source.

    Args:
      location (str): dfVFS location: "\\Users\\..." in an image, a host
          path when the source is a directory.
      source_directory (Optional[str]): the source, when it is a directory.

    Returns:
      list[str]: segments, or None if the location is outside the source.
    """
    if source_directory:
        source_directory = os.path.abspath(source_directory)
        if location != source_directory and not location.startswith(
            source_directory.rstrip(os.sep) + os.sep
        ):
            return None
        location = location[len(source_directory) :]
    return [segment for segment in re.split(r"[\\/]", location) if segment]


def CollectedPaths(storage_path, source_directory=None):
    """Returns the paths (lower-case segment tuples) of files in the storage.

    Every file plaso processed has an event data stream (its path
    specification); file system events name the file too.
    """
    from plaso.storage import factory  # pylint: disable=import-outside-toplevel

    reader = factory.StorageFactory.CreateStorageReaderForFile(storage_path)
    paths = {}
    try:
        for stream in reader.GetAttributeContainers("event_data_stream"):
            location = getattr(getattr(stream, "path_spec", None), "location", None)
            segments = _SplitLocation(location or "", source_directory)
            if segments:
                paths.setdefault(tuple(s.lower() for s in segments), segments)
        for event_data in reader.GetAttributeContainers("event_data"):
            if event_data.data_type not in _FILE_DATA_TYPES:
                continue
            filename = getattr(event_data, "filename", None) or ""
            segments = _SplitLocation(filename, source_directory)
            if segments and ":" not in segments[-1]:
                paths.setdefault(tuple(s.lower() for s in segments), segments)
    finally:
        reader.Close()
    return paths


def _AtOrAboveDropLocation(lower, knowledge):
    """True if a folder is a drop location (e.g. %TEMP%) or a folder above one."""
    for location in knowledge.data["drop_locations"]:
        base = [
            segment.lower()
            for segment in artifact_definitions.Base(location).split("\\")
            if segment
        ]
        if len(lower) <= len(base) and all(
            artifact_definitions.SegmentsIntersect(a, b) for a, b in zip(lower, base)
        ):
            return True
    return False


def KitFolders(collected_paths, knowledge=None):
    """Folders (segment lists) of the collected files named like kit files.

    A kit-named file directly in a drop location (e.g. a stray client32.ini in
    %TEMP% or in a profile folder) does not make the whole location a kit
    folder; the analysis still names it if it holds an installation.
    """
    knowledge = knowledge or knowledge_module.Load()
    folders = {}
    for lower, segments in collected_paths.items():
        if len(lower) > 1 and lower[-1] in knowledge.kit_files:
            if not _AtOrAboveDropLocation(lower[:-1], knowledge):
                folders.setdefault(lower[:-1], segments[:-1])
    return folders


def InstallationFolders(document, source_directory=None):
    """Folders (segment lists) of the installations in an analysis report."""
    folders = {}
    prefix = None
    if source_directory:
        prefix = [
            segment.lower()
            for segment in re.split(r"[\\/]", os.path.abspath(source_directory))
            if segment
        ]
    for installation in (document or {}).get("installations") or []:
        segments = [
            segment
            for segment in re.split(r"[\\/]", installation.get("folder") or "")
            if segment
        ]
        if segments and re.match(r"^[a-z]:$", segments[0], re.I):
            segments = segments[1:]
        if prefix and [s.lower() for s in segments[: len(prefix)]] == prefix:
            segments = segments[len(prefix) :]
        if segments:
            folders.setdefault(tuple(s.lower() for s in segments), segments)
    return folders


def _CompletelyCollected(segments):
    """True if pass 1 collected the folder whole (an install folder)."""
    path = "\\" + "\\".join(segments)
    knowledge = knowledge_module.Load()
    return any(
        artifact_definitions.Covers(location, path)
        for location in artifact_definitions.InstallFolderPaths(knowledge)
    )


def _Regex(segments):
    return "\\\\" + "\\\\".join(re.escape(segment) for segment in segments)


def _Pending(folders, collected_paths):
    """Kit folders pass 1 did not collect whole (sorted segment lists)."""
    pending = {}
    for lower, segments in sorted(folders.items()):
        # A collected folder was processed with everything below it.
        if any(
            lower[:length] in collected_paths for length in range(1, len(lower) + 1)
        ):
            continue
        if _CompletelyCollected(segments):
            continue
        pending[lower] = segments
    # A folder below another pending one comes with it.
    return {
        lower: segments
        for lower, segments in pending.items()
        if not any(other != lower and lower[: len(other)] == other for other in pending)
    }


def FilterFileText(folders, collected_paths, source_directory=None):
    """Returns a plaso filter file collecting the kit folders pass 1 missed.

    plaso processes every entry below a collected folder. The filter includes
    the top folder of each kit folder's path (e.g. \\Users) and excludes, on
    the way down, every sibling of the path: the folders above a kit folder
    give their own file system entry only (the analysis resolves change
    journal records by their parent folder's entry), the kit folder gives
    everything below it except the files pass 1 collected.

    On a directory source, plaso matches included paths relative to the
    source but excluded ones against the absolute path, so each exclusion is
    written both ways.

    Args:
      folders (dict[tuple[str], list[str]]): kit folders.
      collected_paths (dict[tuple[str], list[str]]): what pass 1 collected.
      source_directory (Optional[str]): the source, when it is a directory.

    Returns:
      str: YAML text, or None if there is nothing to collect.
    """
    pending = _Pending(folders, collected_paths)
    if not pending:
        return None
    children = {}
    for lower, segments in pending.items():
        for length in range(1, len(lower)):
            children.setdefault(lower[:length], {})[lower[length]] = segments[length]
    tops = {lower[:1]: segments[:1] for lower, segments in pending.items()}
    include = [_Regex(segments) for _, segments in sorted(tops.items())]
    exclude = []
    for parent_lower, names in sorted(children.items()):
        if parent_lower in pending:
            continue
        parent = pending.get(parent_lower)
        if parent is None:
            # The spelling of the parent, from any pending folder below it.
            parent = next(
                segments[: len(parent_lower)]
                for lower, segments in pending.items()
                if lower[: len(parent_lower)] == parent_lower
            )
        allowed = "|".join(re.escape(name) for _, name in sorted(names.items()))
        exclude.append(_Regex(parent) + f"\\\\(?!(?:{allowed})$).+")
    for lower, segments in sorted(pending.items()):
        for path_lower, path_segments in sorted(collected_paths.items()):
            if len(path_lower) > len(lower) and path_lower[: len(lower)] == lower:
                exclude.append(_Regex(path_segments))
    if source_directory:
        prefix = _Regex(
            [
                segment
                for segment in os.path.abspath(source_directory).split(os.sep)
                if segment
            ]
        )
        exclude += [prefix + path for path in exclude]
    documents = [
        {
            "description": "NetSupport kit folders found by the targeted pass",
            "type": "include",
            "path_separator": "\\",
            "paths": include,
        }
    ]
    if exclude:
        documents.append(
            {
                "description": "Siblings on the way down, files of the targeted pass",
                "type": "exclude",
                "path_separator": "\\",
                "paths": exclude,
            }
        )
    return yaml.safe_dump_all(documents, sort_keys=False, width=1000)


def SecondPassCommand(first_command, filter_path, log_path, storage_path):
    """Returns the pass 2 log2timeline command, derived from the pass 1 one."""
    command = [first_command[0]]
    index = 1
    # The source is the last argument.
    while index < len(first_command) - 1:
        argument = first_command[index]
        if argument in _PASS_ONE_OPTIONS:
            index += 2
            continue
        command.append(argument)
        index += 1
    command += [
        "--logfile",
        log_path,
        "--storage_file",
        storage_path,
        "--filter_file",
        filter_path,
        first_command[-1],
    ]
    return command


def _ReadReport(storage_path):
    from plaso_netsupport import (  # pylint: disable=import-outside-toplevel
        storage as storage_module,
    )
    from plaso_netsupport.errors import (  # pylint: disable=import-outside-toplevel
        UsageError,
    )

    try:
        return storage_module.ReadStoredDocument(storage_path)
    except UsageError:
        return {}


def SecondPass(
    run, first_command, storage_path, source, work_directory, analysis_command
):
    """Collects the kit folders pass 1 found but did not collect completely.

    Args:
      run (callable): run(step, command, log_path) runs a child process (the
          triage Runner's Run, which handles interruption and failures).
      first_command (list[str]): the pass 1 log2timeline command.
      storage_path (str): the storage file pass 1 wrote; pass 2 appends.
      source (str): the evidence source.
      work_directory (str): where scratch and log files go.
      analysis_command (callable): analysis_command(storage, log_path) returns
          the psort --analysis netsupport command line (plaso_commands builds
          every plaso command line; this module only derives pass 2 from pass 1).

    Returns:
      list[str]: the folders collected in pass 2 (empty if none).
    """
    source_directory = source if os.path.isdir(source) else None
    log_directory = os.path.join(work_directory, "logs")
    os.makedirs(log_directory, exist_ok=True)
    collected = CollectedPaths(storage_path, source_directory)
    folders = KitFolders(collected)

    # The analysis of a scratch copy names installation folders that hold no
    # kit-named file (a renamed client seen only in prefetch, 4688 or a Run
    # key): they are collected too.
    scratch = os.path.join(work_directory, ".netsupport-pass1.plaso")
    shutil.copyfile(storage_path, scratch)
    try:
        run(
            "kit folder analysis (psort --analysis netsupport, scratch copy)",
            analysis_command(
                scratch, os.path.join(log_directory, "psort-pass1.log.gz")
            ),
            os.path.join(log_directory, "psort-pass1.log.gz"),
        )
        for lower, segments in InstallationFolders(
            _ReadReport(scratch), source_directory
        ).items():
            folders.setdefault(lower, segments)
    finally:
        if os.path.exists(scratch):
            os.remove(scratch)

    text = FilterFileText(folders, collected, source_directory)
    if text is None:
        return []
    filter_path = os.path.join(log_directory, FILTER_FILE_NAME)
    with open(filter_path, "w", encoding="utf-8") as file_object:
        file_object.write(text)
    log_path = os.path.join(log_directory, "log2timeline-pass2.log.gz")
    run(
        "extraction of the kit folders (log2timeline --filter_file)",
        SecondPassCommand(first_command, filter_path, log_path, storage_path),
        log_path,
    )
    return [
        "\\" + "\\".join(segments)
        for _, segments in sorted(_Pending(folders, collected).items())
    ]
