"""Normalises the Windows paths that plaso events carry.

Paths reach the analysis in many shapes: "\\Users\\x\\client32.exe" from NTFS,
"/Users/x/client32.exe" from TSK, "C:\\Users\\..." in the registry,
"\\DEVICE\\HARDDISKVOLUME2\\USERS\\..." in prefetch, "\\??\\C:\\..." in
services, '"C:\\...\\client32.exe" /* *' in command lines and
"%APPDATA%\\x\\client32.exe" in Run keys. Everything is compared in one form:
lower case, backslashes, volume-relative ("\\users\\x\\client32.exe").
"""

import re

_DEVICE_PREFIX = re.compile(
    r"^(?:\\\\\?\\|\\\?\?\\|\\\\\.\\)?"  # \\?\ or \??\ or \\.\
    r"(?:\\device\\harddiskvolume\d+|[a-z]:|\\systemroot)?",
    re.IGNORECASE,
)

# Environment variables and where they point, volume-relative. "*" stands for
# the user name; such a path is matched against folders by its tail.
_VARIABLES = {
    "%systemroot%": r"\windows",
    "%windir%": r"\windows",
    "%systemdrive%": "",
    "%programdata%": r"\programdata",
    "%allusersprofile%": r"\programdata",
    "%programfiles%": r"\program files",
    "%programfiles(x86)%": r"\program files (x86)",
    "%public%": r"\users\public",
    "%appdata%": r"\users\*\appdata\roaming",
    "%localappdata%": r"\users\*\appdata\local",
    "%temp%": r"\users\*\appdata\local\temp",
    "%tmp%": r"\users\*\appdata\local\temp",
    "%userprofile%": r"\users\*",
    "%homepath%": r"\users\*",
}
_VARIABLE = re.compile(r"%[a-z0-9_()]+%", re.IGNORECASE)

_EXECUTABLE_IN_COMMAND = re.compile(
    # Like CreateProcess: an unquoted path may hold spaces up to the first
    # executable extension.
    r'^\s*(?:"([^"]+)"|(.+?\.(?:exe|com|bat|cmd|lnk|dll|scr|ps1|js|vbs))(?=\s|$)|(\S+))',
    re.IGNORECASE,
)


def Normalise(path):
    """Returns a path in the one comparable form, or "" for no path.

    Args:
      path (str): path as an event holds it.

    Returns:
      str: lower-case, backslash-separated, volume-relative path.
    """
    if not path or not isinstance(path, str):
        return ""
    path = path.strip().strip('"').replace("/", "\\").lower()
    if "%" in path:
        path = _VARIABLE.sub(
            lambda match: _VARIABLES.get(match.group(0), match.group(0)), path
        )
    path = _DEVICE_PREFIX.sub("", path, count=1)
    if path and not path.startswith("\\"):
        path = "\\" + path
    while "\\\\" in path:
        path = path.replace("\\\\", "\\")
    return path.rstrip("\\")


_DRIVE = re.compile(r"^([a-z]):", re.IGNORECASE)


def Display(path, default_drive="C:"):
    """Returns a path as an examiner reads it: original case, with drive.

    Same clean-up as Normalise (backslashes, no device prefix, variables
    expanded) but the case is kept. A drive letter the evidence gives is kept
    (upper case); a volume-relative path gets default_drive.

    Args:
      path (str): path as an event holds it.
      default_drive (str): drive of volume-relative paths ("" for none).

    Returns:
      str: display path, or "" for no path.
    """
    if not path or not isinstance(path, str):
        return ""
    path = path.strip().strip('"').replace("/", "\\")
    if "%" in path:
        path = _VARIABLE.sub(
            lambda match: _VARIABLES.get(match.group(0).lower(), match.group(0)),
            path,
        )
    path = re.sub(r"^(?:\\\\\?\\|\\\?\?\\|\\\\\.\\)", "", path)
    drive = default_drive
    match = _DRIVE.match(path)
    if match:
        drive = match.group(1).upper() + ":"
        path = path[2:]
    else:
        path = re.sub(
            r"^(?:\\device\\harddiskvolume\d+|\\systemroot(?=\\))",
            lambda match: "\\Windows" if "systemroot" in match.group(0).lower() else "",
            path,
            flags=re.IGNORECASE,
        )
    if path and not path.startswith("\\"):
        path = "\\" + path
    while "\\\\" in path:
        path = path.replace("\\\\", "\\")
    return drive + path.rstrip("\\")


def Split(path):
    """Splits a normalised path into its folder and its file name."""
    folder, _, name = path.rpartition("\\")
    return folder, name


def ExecutableOfCommand(command):
    """Returns the normalised executable path a command line starts.

    Args:
      command (str): command line, service image path or Run value data.

    Returns:
      str: normalised path of the executable, or "".
    """
    if not command or not isinstance(command, str):
        return ""
    match = _EXECUTABLE_IN_COMMAND.match(command)
    if not match:
        return ""
    return Normalise(match.group(1) or match.group(2) or match.group(3))


def FolderMatches(folder, pattern_folder):
    """Determines if a folder equals a folder that may contain "*" segments."""
    if "*" not in pattern_folder:
        return folder == pattern_folder
    parts = folder.split("\\")
    pattern_parts = pattern_folder.split("\\")
    if len(parts) != len(pattern_parts):
        return False
    return all(
        pattern == "*" or pattern == part for part, pattern in zip(parts, pattern_parts)
    )


def CompilePatterns(patterns):
    """Compiles knowledge-file path patterns ("*" = within one segment)."""
    compiled = []
    for pattern in patterns:
        pattern = Normalise(pattern)
        regex = "".join(
            "[^\\\\]*" if character == "*" else re.escape(character)
            for character in pattern
        )
        compiled.append(regex)
    if not compiled:
        return re.compile(r"(?!x)x")
    return re.compile(r"^(?:" + "|".join(compiled) + r")(?:\\|$)")
