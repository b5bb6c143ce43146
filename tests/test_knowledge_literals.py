"""The knowledge file is the one source of NetSupport names, keys and event IDs.

Every string and number constant in plaso_netsupport/**/*.py outside the
knowledge package is checked against the literals the knowledge file defines:
kit file names, service names, vendor and product strings, registry keys,
identity strings and hashes, abused licences, and the event identifiers the
analysis reads. Docstrings and comments may name them (they explain); code
must read them from knowledge/netsupport.yaml. The few that must stay are
listed in ALLOWED with the reason.
"""

import ast
import os
import re

import yaml

from plaso_netsupport import knowledge

PACKAGE_DIRECTORY = os.path.dirname(os.path.abspath(knowledge.__file__)).rpartition(
    os.sep
)[0]

# (module path relative to plaso_netsupport/, literal) -> why it may stay.
ALLOWED = {
    # Parser and plugin DESCRIPTION texts: what the parser reads, for
    # `log2timeline --parsers list`; no matching happens on them.
    ("parsers/client32_ini.py", "client32.ini"): "parser description",
    ("parsers/client32_ini.py", "Client32"): "parser description",
    ("parsers/client32_ini.py", "NetSupport Manager"): "parser description",
    ("parsers/nsm_lic.py", "nsm.lic"): "parser description",
    ("parsers/nsm_lic.py", "NetSupport Manager"): "parser description",
    ("parsers/winreg_netsupport.py", "NetSupport Manager"): "plugin description",
    ("parsers/winreg_netsupport.py", "NetSupport School"): "plugin description",
    # Windows event layouts for EVTX field extraction (field names by
    # position): general Windows knowledge, not NetSupport indicators.
    **{
        ("evtx.py", str(identifier)): "EVTX field layouts"
        for identifier in (104, 1102, 4104, 4688, 4697, 7035, 7036, 7040, 7045)
    },
    # Sigma's process_termination logsource on the Security log (Sigma's
    # table, general Windows knowledge); 4689 is in event_ids for the
    # collector's process lifetimes.
    ("sigma/logsources.py", "4689"): "Sigma logsource table",
    # The description text of our artifact definition (branch fast).
    ("collection/artifact_definitions.py", "NetSupport Ltd"): "artifact description",
}


def _Literals(data):
    """Returns (strings, event identifiers) the knowledge file defines."""
    strings = set(data["kit_files"])
    for service in data["services"]:
        strings.update([service["name"], service["display_name"]])
    strings.update(data["oem_products"])
    strings.update(data["registry_vendor_keys"])
    strings.update(entry["key"] for entry in data["registry_lookalike_keys"])
    strings.update(data["registry_profile_keys"])
    strings.update(data["vendor_domains"])
    strings.update(data["renamed_client_names_seen"])
    for values in data["pe_identity"].values():
        strings.update(str(value) for value in values or [])
    for licence in data["abused_licences"]:
        strings.update(
            str(licence[key]) for key in ("licensee", "serial") if licence.get(key)
        )
    identifiers = {
        entry["id"] for entries in data["event_ids"].values() for entry in entries
    }
    return strings, identifiers


def _Docstrings(tree):
    nodes = set()
    for node in ast.walk(tree):
        if isinstance(
            node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                nodes.add(id(body[0].value))
    return nodes


def _Modules(package_directory):
    knowledge_directory = os.path.join(package_directory, "knowledge")
    for directory, directories, file_names in os.walk(package_directory):
        directories[:] = sorted(
            name
            for name in directories
            if os.path.join(directory, name) != knowledge_directory
            and name != "__pycache__"
        )
        for file_name in sorted(file_names):
            if file_name.endswith(".py"):
                yield os.path.join(directory, file_name)


def Offenders(package_directory=PACKAGE_DIRECTORY):
    """Returns [(module, line, literal)] of NetSupport literals in code."""
    with open(knowledge.KNOWLEDGE_FILE, "r", encoding="utf-8") as file_object:
        strings, identifiers = _Literals(yaml.safe_load(file_object))
    # A literal counts as a whole token: "client32" in "client32.exe" does,
    # in "client32_ini" (our data type names) it does not.
    patterns = [
        (
            literal,
            re.compile(
                r"(?<![a-z0-9_])" + re.escape(literal.lower()) + r"(?![a-z0-9_])"
            ),
        )
        for literal in sorted(strings)
    ]
    number = re.compile(
        r"(?<![0-9])(" + "|".join(map(str, sorted(identifiers))) + r")(?![0-9])"
    )
    offenders = []
    for path in _Modules(package_directory):
        module = os.path.relpath(path, package_directory).replace(os.sep, "/")
        with open(path, "r", encoding="utf-8") as file_object:
            tree = ast.parse(file_object.read(), filename=path)
        docstrings = _Docstrings(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or id(node) in docstrings:
                continue
            value = node.value
            if isinstance(value, str):
                lowered = value.lower()
                for literal, pattern in patterns:
                    if pattern.search(lowered):
                        offenders.append((module, node.lineno, literal))
                for match in number.finditer(value):
                    offenders.append((module, node.lineno, match.group(1)))
            elif (
                isinstance(value, int)
                and not isinstance(value, bool)
                and value in identifiers
            ):
                offenders.append((module, node.lineno, str(value)))
    return offenders


def test_literal_list_comes_from_the_knowledge_file():
    """The check knows the literals it looks for (a guard against an empty list)."""
    with open(knowledge.KNOWLEDGE_FILE, "r", encoding="utf-8") as file_object:
        strings, identifiers = _Literals(yaml.safe_load(file_object))
    assert {"client32.exe", "pcicl32.dll", "Client32", "NetSupport Ltd"} <= strings
    assert {4688, 7045, 4104} <= identifiers


def test_the_check_finds_a_literal(tmp_path):
    """A kit name or event ID written into a module is found."""
    module = tmp_path / "plaso_netsupport" / "bad.py"
    module.parent.mkdir()
    (tmp_path / "plaso_netsupport" / "knowledge").mkdir()
    module.write_text(
        '"""Reads client32.ini (a docstring may name it)."""\n'
        "# A comment may name NSM.LIC.\n"
        'NAME = "Client32.ini"\n'
        "EVENT = 7045\n"
        'DATA_TYPE = "netsupport:client32_ini:config"\n',
        encoding="utf-8",
    )
    found = Offenders(str(tmp_path / "plaso_netsupport"))
    assert found == [
        ("bad.py", 3, "Client32"),
        ("bad.py", 3, "client32.ini"),
        ("bad.py", 4, "7045"),
    ]


def test_no_netsupport_literal_outside_the_knowledge_package():
    """Code reads NetSupport names, keys and event IDs from the knowledge file."""
    unexpected = sorted(
        f"plaso_netsupport/{module}:{line}: {literal!r}"
        for module, line, literal in Offenders()
        if (module, literal) not in ALLOWED
    )
    assert not unexpected, (
        "NetSupport literals in code; read them from knowledge/netsupport.yaml "
        "(or add them to ALLOWED with the reason):\n" + "\n".join(unexpected)
    )


def test_every_allowed_literal_still_occurs():
    """An ALLOWED entry whose literal left the code must go, or it hides a return."""
    found = {(module, literal) for module, _, literal in Offenders()}
    stale = sorted(
        f"{module}: {literal!r}"
        for module, literal in ALLOWED
        if (module, literal) not in found
    )
    assert not stale, "stale ALLOWED entries:\n" + "\n".join(stale)
