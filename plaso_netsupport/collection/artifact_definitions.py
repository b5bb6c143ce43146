"""ForensicArtifacts definitions for a targeted NetSupport collection.

The definitions are generated from the knowledge file (kit file names,
install and drop locations), so the names and paths still have one source:

  python -m plaso_netsupport.collection.artifact_definitions          # rewrite
  python -m plaso_netsupport.collection.artifact_definitions --check  # compare

The committed netsupport_artifacts.yaml must equal the generated text (a test
checks it). Path syntax is plaso's artifact globbing: "*" matches within one
path segment, "**N" matches 1 to N segments (never zero, and "**1" means 10),
paths are case-insensitive and start at the volume root.
"""

import argparse
import fnmatch
import os
import sys

import yaml

from plaso_netsupport import knowledge as knowledge_module

DEFINITIONS_PATH = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "netsupport_artifacts.yaml"
)

# Names of the definitions; NetSupportTriage is the one to pass to
# log2timeline --artifact_filters or image_export --artifact_filters.
KIT_FILES = "NetSupportKitFiles"
INSTALL_FOLDERS = "NetSupportInstallFolders"
INSTALL_FOLDER_CONTENTS = "NetSupportInstallFolderContents"
TRIAGE_GROUP = "NetSupportTriage"
EXPORT_GROUP = "NetSupportTriageExport"

# How deep below a drop location a kit folder may be (1..N folder levels).
DROP_DEPTH = 3
# How deep below an install folder files are collected.
INSTALL_DEPTH = 6

# Upstream ForensicArtifacts definitions (artifacts package data) holding the
# Windows sources the analysis reads. Only FILE sources: a Windows Registry
# key source would make plaso parse only those keys of every hive.
UPSTREAM_SOURCES = (
    # Event logs (.evt and every .evtx): services 7045/7035/7036/7040, 4688,
    # 4697, 4672, 1102/104 and PowerShell 4104.
    "WindowsEventLogs",
    # Execution.
    "WindowsPrefetchFiles",
    "WindowsAMCacheHveFile",
    # SYSTEM, SOFTWARE, SAM, SECURITY (services, Run keys, NetSupport keys,
    # AppCompatCache) and their transaction logs (for examiners who export).
    "WindowsSystemRegistryFilesAndTransactionLogs",
    # Deleted kit files and archives.
    "WindowsRecycleBinMetadata",
    # NTFS metadata: the change journal ($UsnJrnl:$J), $MFT and $LogFile.
    "NTFSUSNJournal",
    "NTFSMFTFiles",
    "NTFSLogFile",
)

# Per-user sources with literal paths instead of the upstream definitions
# WindowsUserRegistryFilesAndTransactionLogs, WindowsStartupFolders and
# WindowsUserRecentFiles: plaso expands %%users.*%% only for the profiles
# preprocessing found in the ProfileList, so a profile folder without an entry
# there (a deleted or copied account, or a forge test image) would be
# skipped. Paths must not overlap each other or the kit file paths: plaso
# collects (and parses) a file once per matching path.
USER_PROFILE_PATHS = (
    "\\Users\\*\\NTUSER.DAT",
    "\\Users\\*\\NTUSER.DAT.LOG1",
    "\\Users\\*\\NTUSER.DAT.LOG2",
    "\\Users\\*\\AppData\\Local\\Microsoft\\Windows\\UsrClass.dat",
    "\\Users\\*\\AppData\\Local\\Microsoft\\Windows\\UsrClass.dat.LOG1",
    "\\Users\\*\\AppData\\Local\\Microsoft\\Windows\\UsrClass.dat.LOG2",
    "\\Users\\*\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\*",
    "\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\*",
    "\\Users\\*\\AppData\\Roaming\\Microsoft\\Windows\\Recent\\*.lnk",
    "\\Users\\*\\Desktop\\*.lnk",
)
USER_PROFILE_FILES = "NetSupportUserProfileFiles"

_HEADER = """\
# ForensicArtifacts definitions for a targeted NetSupport collection.
# GENERATED from plaso_netsupport/knowledge/netsupport.yaml by
# `python -m plaso_netsupport.collection.artifact_definitions`: do not edit.
#
# log2timeline --custom_artifact_definitions THIS_FILE \\
#     --artifact_filters NetSupportTriage --storage_file case.plaso IMAGE
# image_export --custom_artifact_definitions THIS_FILE \\
#     --artifact_filters NetSupportTriage -w export/ IMAGE
"""


def _Segments(path):
    return [segment for segment in path.split("\\") if segment]


def _Join(segments):
    return "\\" + "\\".join(segments)


def _SegmentCovers(pattern, segment):
    """True if every name segment can match also matches pattern."""
    pattern, segment = pattern.lower(), segment.lower()
    if pattern == segment or pattern == "*":
        return True
    return "*" not in segment and fnmatch.fnmatchcase(segment, pattern)


def SegmentsIntersect(first, second):
    """True if some name matches both segment patterns (single-"*" aware)."""
    first, second = first.lower(), second.lower()
    if first == second:
        return True
    if "*" not in first:
        return fnmatch.fnmatchcase(first, second)
    if "*" not in second:
        return fnmatch.fnmatchcase(second, first)
    first_prefix, _, first_suffix = first.partition("*")
    second_prefix, _, second_suffix = second.partition("*")
    first_suffix = first_suffix.replace("*", "")
    second_suffix = second_suffix.replace("*", "")
    return (
        first_prefix.startswith(second_prefix) or second_prefix.startswith(first_prefix)
    ) and (first_suffix.endswith(second_suffix) or second_suffix.endswith(first_suffix))


def Covers(pattern, path):
    """True if pattern (a folder pattern) covers path and everything below it."""
    pattern, path = _Segments(pattern), _Segments(path)
    return len(pattern) <= len(path) and all(
        _SegmentCovers(a, b) for a, b in zip(pattern, path)
    )


def _Uncovered(patterns):
    """Drops the folder patterns another one covers (keeps the first of equals)."""
    kept = []
    for index, pattern in enumerate(patterns):
        if not any(
            Covers(other, pattern)
            and (not Covers(pattern, other) or other_index < index)
            for other_index, other in enumerate(patterns)
            if other_index != index
        ):
            kept.append(pattern)
    return kept


def ExpandGlobstars(path):
    """Expands "**N" as plaso does: 1 to N segments, "**" and "**1" mean 10."""
    segments = path.split("\\")
    for index, segment in enumerate(segments):
        if segment.startswith("**"):
            depth = int(segment[2:]) if segment[2:].isdigit() else 10
            depth = 10 if depth <= 1 else depth
            return [
                "\\".join(segments[:index] + ["*"] * count + segments[index + 1 :])
                for count in range(1, depth + 1)
            ]
    return [path]


def Overlaps(paths, folders=()):
    """Pairs of paths some file would match both of.

    plaso would collect, parse and store such a file twice. Paths of folders
    are collected with everything below them.
    """
    expanded = []
    for path in list(folders) + list(paths):
        expanded.extend((path, _Segments(glob)) for glob in ExpandGlobstars(path))
    overlaps = []
    for index, (path, segments) in enumerate(expanded):
        for other_path, other in expanded[index + 1 :]:
            if len(other) == len(segments) and all(
                SegmentsIntersect(a, b) for a, b in zip(segments, other)
            ):
                overlaps.append((path, other_path))
    for folder in folders:
        prefix = _Segments(folder)
        for path, segments in expanded:
            if len(segments) > len(prefix) and all(
                SegmentsIntersect(a, b) for a, b in zip(prefix, segments)
            ):
                overlaps.append((folder, path))
    return overlaps


def Base(pattern):
    """Returns a knowledge path pattern without its trailing "\\*"."""
    return pattern[:-2] if pattern.endswith("\\*") else pattern


def KitFilePaths(knowledge):
    """Paths of kit files (by name) in the drop locations, any folder level.

    Drop locations below another one are left out (it covers them), and the
    locations that share a top folder (the per-user ones below \\Users) are
    merged into one recursive path over that folder, deep enough for each:
    the kit is then searched there more widely than the knowledge file says,
    but no file can match two paths.
    """
    all_bases = [Base(location) for location in knowledge.data["drop_locations"]]
    bases = _Uncovered(all_bases)
    groups = {}
    for base in bases:
        groups.setdefault(_Segments(base)[0].lower(), []).append(base)
    globs = []
    for members in groups.values():
        # Deep enough for every location the group covers (e.g. %TEMP% below
        # %LOCALAPPDATA%).
        covered = [
            base
            for base in all_bases
            if any(Covers(member, base) for member in members)
        ]
        if len(members) == 1:
            depth = (
                max(len(_Segments(base)) for base in covered)
                - len(_Segments(members[0]))
                + DROP_DEPTH
            )
            globs.append(members[0])
            globs.append(f"{members[0]}\\**{depth:d}")
        else:
            root = _Segments(members[0])[0]
            depth = max(len(_Segments(base)) - 1 for base in covered) + DROP_DEPTH
            globs.append(f"\\{root}\\**{depth:d}")
    return [f"{glob}\\{name}" for glob in globs for name in sorted(knowledge.kit_files)]


def InstallFolderPaths(knowledge):
    """Paths of the legitimate install folders themselves.

    plaso processes every entry below a directory it collects
    (EventExtractionWorker._ProcessDirectory), so the folder alone yields its
    whole content; a path below it as well would collect files twice.
    """
    return _Uncovered(
        [Base(path) for path in knowledge.data["legitimate_install_paths"]]
    )


def InstallFolderContentPaths(knowledge):
    """Paths of everything below the install folders, for image_export.

    image_export, unlike log2timeline, exports only the entries a path
    matches, not the content of a matched folder.
    """
    paths = []
    for location in InstallFolderPaths(knowledge):
        paths.append(f"{location}\\**{INSTALL_DEPTH:d}")
    return paths


def _FileDefinition(name, doc, paths):
    return {
        "name": name,
        "doc": doc,
        "sources": [
            {"type": "FILE", "attributes": {"paths": list(paths), "separator": "\\"}}
        ],
        "supported_os": ["Windows"],
    }


def _GroupDefinition(name, doc, names):
    return {
        "name": name,
        "doc": doc,
        "sources": [{"type": "ARTIFACT_GROUP", "attributes": {"names": list(names)}}],
        "supported_os": ["Windows"],
    }


def Definitions(knowledge=None):
    """Returns the artifact definitions as a list of dicts (sorted by name)."""
    knowledge = knowledge or knowledge_module.Load()
    group_doc = (
        "What the plaso-netsupport analysis reads: NetSupport's own files, "
        "event logs, prefetch, Amcache, registry hives, Startup, recent and "
        "desktop shortcuts, Recycle Bin metadata and the NTFS metadata files."
    )
    return [
        _FileDefinition(
            INSTALL_FOLDER_CONTENTS,
            f"Everything up to {INSTALL_DEPTH:d} levels below the NetSupport "
            "install folders (for image_export, which does not export the "
            "content of a matched folder).",
            InstallFolderContentPaths(knowledge),
        ),
        _FileDefinition(
            INSTALL_FOLDERS,
            "The folders the NetSupport Ltd installers (and OEM rebrands) "
            "install into; log2timeline processes everything below them.",
            InstallFolderPaths(knowledge),
        ),
        _FileDefinition(
            KIT_FILES,
            "NetSupport kit files (client, configuration, licence, libraries) "
            "by name, in and below the locations RAT kits are dropped into. "
            "A renamed client is found by the kit files beside it.",
            KitFilePaths(knowledge),
        ),
        _GroupDefinition(
            TRIAGE_GROUP,
            group_doc + " For log2timeline --artifact_filters.",
            [INSTALL_FOLDERS, KIT_FILES, USER_PROFILE_FILES, *UPSTREAM_SOURCES],
        ),
        _GroupDefinition(
            EXPORT_GROUP,
            group_doc + " For image_export --artifact_filters.",
            [INSTALL_FOLDER_CONTENTS, KIT_FILES, USER_PROFILE_FILES, *UPSTREAM_SOURCES],
        ),
        _FileDefinition(
            USER_PROFILE_FILES,
            "Per-user registry hives, Startup folders, recent and desktop "
            "shortcuts, for every folder below \\Users (not only the profiles "
            "listed in the registry).",
            USER_PROFILE_PATHS,
        ),
    ]


def TriageOverlaps(knowledge=None):
    """Overlapping paths of our FILE sources in NetSupportTriage (none, tested)."""
    knowledge = knowledge or knowledge_module.Load()
    return Overlaps(
        KitFilePaths(knowledge) + list(USER_PROFILE_PATHS),
        folders=InstallFolderPaths(knowledge),
    )


class _Dumper(yaml.SafeDumper):
    """Indents lists the ForensicArtifacts way."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def Render(knowledge=None):
    """Returns the text of netsupport_artifacts.yaml."""
    documents = [
        yaml.dump(
            definition,
            Dumper=_Dumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            width=1000,
        )
        for definition in Definitions(knowledge)
    ]
    return _HEADER + "".join(f"---\n{document}" for document in documents)


def Main(argv=None):
    """Writes (or with --check compares) the definitions file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the committed file differs from the generated text",
    )
    parser.add_argument("--output", default=DEFINITIONS_PATH)
    options = parser.parse_args(argv)
    text = Render()
    if options.check:
        try:
            with open(options.output, "r", encoding="utf-8") as file_object:
                current = file_object.read()
        except OSError:
            current = None
        if current != text:
            sys.stderr.write(
                f"{options.output} is out of date; run python -m "
                f"plaso_netsupport.collection.artifact_definitions\n"
            )
            return 1
        return 0
    with open(options.output, "w", encoding="utf-8", newline="\n") as file_object:
        file_object.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(Main())
