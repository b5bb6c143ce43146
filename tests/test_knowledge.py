"""The knowledge file: well-formed, consistent, and the docs generated from it."""

import os

from plaso_netsupport import knowledge
from plaso_netsupport.analysis import paths
from plaso_netsupport.knowledge import docs

DOCS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "docs", "indicators.md")


def test_attack_labels():
    assert knowledge.AttackLabels("T1543.003") == ["attack_t1543", "attack_t1543_003"]
    assert knowledge.AttackLabels("T1105") == ["attack_t1105"]


def test_every_technique_is_named_and_has_its_parent():
    data = knowledge.Load().data
    for techniques in data["evidence_techniques"].values():
        for technique in techniques:
            assert technique in data["techniques"]
            assert technique.partition(".")[0] in data["techniques"]


def test_labels_for_evidence_kinds():
    known = knowledge.Load()
    assert known.LabelsFor("service_install") == ["attack_t1543", "attack_t1543_003"]
    assert known.LabelsFor("no_such_kind") == []
    assert "client32.ini" in known.config_file_names
    assert "nsm.lic" in known.licence_file_names
    assert "netsupport\\netinstall" in known.registry_lookalike_keys


def test_docs_are_current():
    with open(DOCS, encoding="utf-8") as file_object:
        assert (
            file_object.read() == docs.Render()
        ), "regenerate: python -m plaso_netsupport.knowledge.docs > docs/indicators.md"


def test_path_normalisation():
    assert paths.Normalise("C:\\Users\\A\\x.exe") == "\\users\\a\\x.exe"
    assert paths.Normalise("/Users/A/x.exe") == "\\users\\a\\x.exe"
    assert paths.Normalise("\\??\\C:\\Windows\\x.sys") == "\\windows\\x.sys"
    assert (
        paths.Normalise("\\DEVICE\\HARDDISKVOLUME2\\USERS\\A\\X.EXE")
        == "\\users\\a\\x.exe"
    )
    assert paths.Normalise("%APPDATA%\\kit\\client32.exe") == (
        "\\users\\*\\appdata\\roaming\\kit\\client32.exe"
    )
    assert (
        paths.ExecutableOfCommand(
            '"C:\\Program Files (x86)\\NetSupport\\NetSupport Manager\\client32.exe" /* *'
        )
        == "\\program files (x86)\\netsupport\\netsupport manager\\client32.exe"
    )
    assert paths.ExecutableOfCommand("C:\\x y\\a.exe -q") == "\\x y\\a.exe"
    assert paths.FolderMatches(
        "\\users\\bob\\appdata\\roaming\\kit", "\\users\\*\\appdata\\roaming\\kit"
    )


def test_legitimate_and_drop_patterns():
    data = knowledge.Load().data
    legitimate = paths.CompilePatterns(data["legitimate_install_paths"])
    drop = paths.CompilePatterns(data["drop_locations"])
    assert legitimate.match("\\program files (x86)\\netsupport\\netsupport manager")
    assert not legitimate.match("\\programdata\\netsupport")
    assert drop.match("\\users\\bob\\appdata\\roaming\\msedgesandbox")
    assert drop.match("\\programdata\\schcache")
