"""No module a newcomer cannot read in one sitting, unless it says why.

Issue 13: every Python module of plaso_netsupport/ and of the OpenRelik
worker's src/ stays at or under MAXIMUM_LINES, or its module docstring holds
a line that starts with "Size:" and gives the reason it is one module (the
next engineer then knows the length was chosen, and what a split would cost).
"""

import ast
import os

import pytest

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRECTORIES = (
    os.path.join(REPOSITORY, "plaso_netsupport"),
    os.path.join(REPOSITORY, "openrelik-worker-netsupport", "src"),
)
MAXIMUM_LINES = 400
MARKER = "Size:"

# Modules being split on another branch while this rule holds on main (none
# now); a branch that lists one here removes it when the split merges.
IN_PROGRESS = frozenset()


def _Modules():
    """Returns the repository-relative paths of the checked modules."""
    modules = []
    for directory in DIRECTORIES:
        for root, dirnames, filenames in os.walk(directory):
            dirnames[:] = sorted(name for name in dirnames if name != "__pycache__")
            for filename in sorted(filenames):
                if filename.endswith(".py"):
                    path = os.path.join(root, filename)
                    modules.append(os.path.relpath(path, REPOSITORY))
    return modules


def SizeReason(source):
    """Returns the text after the "Size:" line of a module docstring, or None."""
    docstring = ast.get_docstring(ast.parse(source)) or ""
    for line in docstring.splitlines():
        if line.strip().startswith(MARKER):
            reason = line.strip()[len(MARKER) :].strip()
            return reason or None
    return None


def test_the_rule_finds_the_modules():
    modules = _Modules()
    assert "plaso_netsupport/analysis/correlate.py" in modules
    assert "openrelik-worker-netsupport/src/triage_run.py" in modules
    assert IN_PROGRESS <= set(modules)


def test_size_reason_is_read_from_the_docstring_only():
    assert SizeReason('"""Title.\n\nSize: one state machine.\n"""\n') == (
        "one state machine."
    )
    assert SizeReason('"""Title.\n\nSize:\n"""\n') is None
    assert SizeReason('"""Title."""\n# Size: in a comment\n') is None
    assert SizeReason('x = "Size: in a string"\n') is None


@pytest.mark.parametrize("module", _Modules())
def test_module_is_short_or_says_why(module):
    with open(os.path.join(REPOSITORY, module), encoding="utf-8") as file_object:
        source = file_object.read()
    lines = source.count("\n")
    if lines <= MAXIMUM_LINES or module in IN_PROGRESS:
        return
    assert SizeReason(source), (
        f"{module} has {lines:d} lines (over {MAXIMUM_LINES:d}): split it by "
        f'responsibility, or give the reason in a "{MARKER}" line of its '
        "module docstring"
    )
