"""The ForensicArtifacts definitions of the targeted collection (triage --fast).

Checks that the committed YAML is the generated one, that the artifacts
package's own validator accepts it together with the upstream definitions it
names, that no file can match two of its paths (plaso would parse it twice),
and the second pass's filter file and the storage session reader.
"""

import logging
import os

import pytest
import yaml

from artifacts import reader as artifacts_reader
from artifacts import registry as artifacts_registry
from artifacts.scripts import validator as artifacts_validator

from plaso_netsupport import knowledge as knowledge_module
from plaso_netsupport.collection import artifact_definitions
from plaso_netsupport.collection import fast
from plaso_netsupport.collection import targeted
from tests import plaso_run
from tests import scenario_cache

UPSTREAM_DIRECTORY = os.path.join(os.path.dirname(artifacts_reader.__file__), "data")
DEFINITIONS = artifact_definitions.DEFINITIONS_PATH


def _Read(path):
    with open(path, "r", encoding="utf-8") as file_object:
        return file_object.read()


def test_committed_definitions_are_generated():
    assert (
        _Read(DEFINITIONS) == artifact_definitions.Render()
    ), "run python -m plaso_netsupport.collection.artifact_definitions"
    assert artifact_definitions.Main(["--check"]) == 0


def test_check_reports_a_stale_file(tmp_path):
    stale = tmp_path / "stale.yaml"
    stale.write_text(artifact_definitions.Render().replace("client32.ini", "x.ini"))
    assert artifact_definitions.Main(["--check", "--output", str(stale)]) == 1


def test_artifacts_validator_accepts_the_definitions(caplog):
    validator = artifacts_validator.ArtifactDefinitionsValidator()
    caplog.set_level(logging.WARNING)
    # Upstream first: our group names resolve against them, and the
    # duplicate and name checks run across both.
    for name in sorted(os.listdir(UPSTREAM_DIRECTORY)):
        if name.endswith(".yaml"):
            validator.CheckFile(os.path.join(UPSTREAM_DIRECTORY, name))
    caplog.clear()
    assert validator.CheckFile(DEFINITIONS)
    assert not validator.GetUndefinedArtifacts()
    assert not caplog.records, [record.getMessage() for record in caplog.records]


def test_validator_rejects_a_bad_definition(tmp_path, caplog):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        _Read(DEFINITIONS).replace("\\**7\\", "\\**11\\", 1), encoding="utf-8"
    )
    caplog.set_level(logging.WARNING)
    assert not artifacts_validator.ArtifactDefinitionsValidator().CheckFile(str(bad))
    assert "recursion depth" in caplog.text


def test_group_names_exist_and_use_only_file_sources():
    registry = artifacts_registry.ArtifactDefinitionsRegistry()
    reader = artifacts_reader.YamlArtifactsReader()
    registry.ReadFromDirectory(reader, UPSTREAM_DIRECTORY)
    registry.ReadFromFile(reader, DEFINITIONS)

    def Leaves(name):
        definition = registry.GetDefinitionByName(name)
        assert definition is not None, name
        for source in definition.sources:
            if source.type_indicator == "ARTIFACT_GROUP":
                for member in source.names:
                    yield from Leaves(member)
            else:
                yield name, source.type_indicator

    for group in (
        artifact_definitions.TRIAGE_GROUP,
        artifact_definitions.EXPORT_GROUP,
    ):
        leaves = dict(Leaves(group))
        # A registry key source would restrict plaso to those keys of a hive.
        assert set(leaves.values()) == {"FILE"}, leaves
        for name in (
            "WindowsEventLogs",
            "WindowsPrefetchFiles",
            "WindowsAMCacheHveFile",
            "WindowsSystemRegistryFiles",
            "NTFSMFTFiles",
            "NTFSUSNJournal",
            "NTFSLogFile",
            "NetSupportKitFiles",
            "NetSupportUserProfileFiles",
        ):
            assert name in leaves, (group, name)


def test_paths_come_from_the_knowledge_file():
    knowledge = knowledge_module.Load()
    kit_paths = artifact_definitions.KitFilePaths(knowledge)
    for name in knowledge.kit_files:
        assert any(path.lower().endswith("\\" + name) for path in kit_paths), name
    install = artifact_definitions.InstallFolderPaths(knowledge)
    for location in knowledge.data["legitimate_install_paths"]:
        base = artifact_definitions.Base(location)
        assert any(artifact_definitions.Covers(path, base) for path in install)
    # Every drop location's kit folders, one to DROP_DEPTH levels down.
    for location in knowledge.data["drop_locations"]:
        base = artifact_definitions.Base(location).replace("*", "someone")
        for depth in range(1, artifact_definitions.DROP_DEPTH + 1):
            folder = base + "\\kit" * depth
            assert any(
                _Matches(glob, folder + "\\client32.ini")
                for path in kit_paths
                for glob in artifact_definitions.ExpandGlobstars(path)
            ), folder


def _Matches(glob, path):
    import fnmatch  # pylint: disable=import-outside-toplevel

    glob_segments = [s for s in glob.lower().split("\\") if s]
    path_segments = [s for s in path.lower().split("\\") if s]
    return len(glob_segments) == len(path_segments) and all(
        fnmatch.fnmatchcase(p, g) for g, p in zip(glob_segments, path_segments)
    )


def test_no_file_matches_two_paths():
    assert artifact_definitions.TriageOverlaps() == []


def test_overlap_check_finds_overlaps():
    overlaps = artifact_definitions.Overlaps
    assert overlaps(["\\Users\\Public\\*\\a.ini", "\\Users\\*\\Documents\\a.ini"])
    assert overlaps(["\\Users\\**3\\a.ini", "\\Users\\x\\y\\a.ini"])
    assert overlaps(["\\ProgramData\\x\\a.ini"], folders=["\\ProgramData\\*"])
    assert not overlaps(["\\Users\\*\\*.lnk", "\\Users\\*\\client32.exe"])
    assert not overlaps(["\\Users\\*\\a.ini", "\\Users\\*\\*\\a.ini"])
    assert not overlaps(["\\Windows\\Temp\\a.ini"], folders=["\\Program Files\\x"])


def test_globstars_expand_as_plaso_does():
    assert artifact_definitions.ExpandGlobstars("\\a\\**3\\b") == [
        "\\a\\*\\b",
        "\\a\\*\\*\\b",
        "\\a\\*\\*\\*\\b",
    ]
    assert len(artifact_definitions.ExpandGlobstars("\\a\\**1\\b")) == 10
    assert len(artifact_definitions.ExpandGlobstars("\\a\\**")) == 10


def test_extraction_arguments():
    assert fast.ExtractionArguments() == [
        "--custom_artifact_definitions",
        DEFINITIONS,
        "--artifact_filters",
        "NetSupportTriage",
    ]

    class Arguments:  # pylint: disable=too-few-public-methods
        artifact_filters = "WindowsRunKeys"
        artifact_filters_file = None

    from plaso_netsupport.plaso_commands import (  # pylint: disable=import-outside-toplevel
        UsageError,
    )

    with pytest.raises(UsageError, match="--fast selects"):
        fast.ExtractionArguments(Arguments())


def _Paths(*paths):
    collected = {}
    for path in paths:
        segments = [s for s in path.split("\\") if s]
        collected[tuple(s.lower() for s in segments)] = segments
    return collected


def test_filter_file_walks_down_to_the_kit_folder():
    collected = _Paths(
        "\\ProgramData\\CtfMonCache\\client32.ini",
        "\\ProgramData\\CtfMonCache\\NSM.LIC",
        "\\ProgramData\\Other\\x.txt",
        "\\Users\\bob\\AppData\\Roaming\\Kit (1)\\PCICL32.DLL",
    )
    folders = fast.KitFolders(collected)
    assert sorted(folders) == [
        ("programdata", "ctfmoncache"),
        ("users", "bob", "appdata", "roaming", "kit (1)"),
    ]
    include, exclude = yaml.safe_load_all(fast.FilterFileText(folders, collected))
    assert include["type"] == "include" and exclude["type"] == "exclude"
    assert include["paths"] == ["\\\\ProgramData", "\\\\Users"]
    assert exclude["paths"] == [
        "\\\\ProgramData\\\\(?!(?:CtfMonCache)$).+",
        "\\\\Users\\\\(?!(?:bob)$).+",
        "\\\\Users\\\\bob\\\\(?!(?:AppData)$).+",
        "\\\\Users\\\\bob\\\\AppData\\\\(?!(?:Roaming)$).+",
        "\\\\Users\\\\bob\\\\AppData\\\\Roaming\\\\(?!(?:Kit\\ \\(1\\))$).+",
        "\\\\ProgramData\\\\CtfMonCache\\\\client32\\.ini",
        "\\\\ProgramData\\\\CtfMonCache\\\\NSM\\.LIC",
        "\\\\Users\\\\bob\\\\AppData\\\\Roaming\\\\Kit\\ \\(1\\)\\\\PCICL32\\.DLL",
    ]


def test_filter_file_of_a_directory_source_excludes_absolute_paths():
    collected = _Paths("\\ProgramData\\Kit\\client32.ini")
    text = fast.FilterFileText(
        fast.KitFolders(collected), collected, source_directory="/cases/c1"
    )
    include, exclude = yaml.safe_load_all(text)
    assert include["paths"] == ["\\\\ProgramData"]
    assert exclude["paths"] == [
        "\\\\ProgramData\\\\(?!(?:Kit)$).+",
        "\\\\ProgramData\\\\Kit\\\\client32\\.ini",
        "\\\\cases\\\\c1\\\\ProgramData\\\\(?!(?:Kit)$).+",
        "\\\\cases\\\\c1\\\\ProgramData\\\\Kit\\\\client32\\.ini",
    ]


def test_filter_file_leaves_out_what_pass_one_collected_whole():
    knowledge_paths = _Paths(
        # An install folder: log2timeline processed everything below it.
        "\\Program Files (x86)\\NetSupport\\NetSupport Manager\\client32.exe",
        # A stray kit-named file in a drop location or a profile folder.
        "\\Users\\bob\\AppData\\Local\\Temp\\client32.ini",
        "\\Users\\bob\\client32.ini",
        "\\ProgramData\\NSM.LIC",
    )
    folders = fast.KitFolders(knowledge_paths)
    assert sorted(folders) == [
        ("program files (x86)", "netsupport", "netsupport manager")
    ]
    assert fast.FilterFileText(folders, knowledge_paths) is None
    # A folder collected in pass 1 (with everything below it).
    collected = _Paths("\\ProgramData\\Kit", "\\ProgramData\\Kit\\client32.ini")
    assert fast.FilterFileText(fast.KitFolders(collected), collected) is None


def test_installation_folders_from_the_report():
    document = {
        "installations": [
            {"folder": "\\programdata\\ctfmoncache"},
            {"folder": "C:\\Intel\\Logs"},
            {"folder": "\\tmp\\source\\programdata\\kit"},
        ]
    }
    folders = fast.InstallationFolders(document)
    assert ("intel", "logs") in folders and ("programdata", "ctfmoncache") in folders
    folders = fast.InstallationFolders(document, source_directory="/tmp/source")
    assert ("programdata", "kit") in folders


def test_second_pass_command_replaces_the_collection_options():
    first = [
        "log2timeline",
        "--logfile",
        "a.log.gz",
        "--storage_file",
        "case.plaso",
        "--workers",
        "2",
        *fast.ExtractionArguments(),
        "image.E01",
    ]
    second = fast.SecondPassCommand(first, "f.yaml", "b.log.gz", "case.plaso")
    assert second == [
        "log2timeline",
        "--workers",
        "2",
        "--logfile",
        "b.log.gz",
        "--storage_file",
        "case.plaso",
        "--filter_file",
        "f.yaml",
        "image.E01",
    ]


def test_is_targeted(tmp_path):
    assert targeted.IsTargeted(scenario_cache.Extracted("decoys")) is False
    storage = str(tmp_path / "targeted.plaso")
    plaso_run.Log2Timeline(
        storage,
        scenario_cache.ImagePath("decoys"),
        "--single_process",
        *fast.ExtractionArguments(),
        cwd=str(tmp_path),
    )
    assert targeted.IsTargeted(storage) is True
    garbage = tmp_path / "garbage.plaso"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    assert targeted.IsTargeted(str(garbage)) is None
    assert targeted.IsTargeted(str(tmp_path / "missing.plaso")) is None
