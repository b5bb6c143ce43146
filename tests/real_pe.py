"""Real PE files that no one here wrote, for the pe_version_info tests.

* shimx64.efi.signed from Debian's shim-signed package: a UEFI PE32+ image
  signed by Microsoft (Authenticode, SHA-256, RFC 3161 timestamp). It is
  fetched with `apt-get download` and unpacked with `dpkg-deb -x` (never
  installed) into test_data/cache, which git ignores. `make test-data` (part
  of `make install`) runs this module; the tests call ShimPath(), which
  fetches the file if it is missing.
* t64.exe from pip (PyPI), vendored from distlib: the "Simple Launcher" with a
  VS_VERSIONINFO resource. Every virtualenv has pip.

Usage: python -m tests.real_pe   (fetches the Debian file)
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

_REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CACHE_DIRECTORY = os.path.join(_REPOSITORY_ROOT, "test_data", "cache")

SHIM_PACKAGE = "shim-signed"
SHIM_MEMBER = os.path.join("usr", "lib", "shim", "shimx64.efi.signed")
SHIM_PATH = os.path.join(CACHE_DIRECTORY, SHIM_PACKAGE, "shimx64.efi.signed")


class FetchError(Exception):
    """Raised when a test file cannot be fetched."""


def FetchShim():
    """Downloads shim-signed and extracts shimx64.efi.signed into the cache.

    Returns:
      str: path of shimx64.efi.signed.

    Raises:
      FetchError: if apt-get or dpkg-deb are missing or fail.
    """
    if os.path.isfile(SHIM_PATH):
        return SHIM_PATH
    for tool in ("apt-get", "dpkg-deb"):
        if not shutil.which(tool):
            raise FetchError(f"{tool} not found: a Debian system is needed")
    os.makedirs(os.path.dirname(SHIM_PATH), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE_DIRECTORY) as work_directory:
        result = subprocess.run(
            ["apt-get", "download", "-q", SHIM_PACKAGE],
            cwd=work_directory,
            capture_output=True,
            text=True,
            check=False,
        )
        packages = glob.glob(os.path.join(work_directory, f"{SHIM_PACKAGE}_*.deb"))
        if result.returncode != 0 or len(packages) != 1:
            raise FetchError(
                f"apt-get download {SHIM_PACKAGE} failed ({result.returncode}): "
                f"{result.stderr.strip()[-1000:]} (run apt-get update?)"
            )
        extracted = os.path.join(work_directory, "root")
        subprocess.run(["dpkg-deb", "-x", packages[0], extracted], check=True)
        # Keep the package name and version next to the file, for the record.
        shutil.copyfile(os.path.join(extracted, SHIM_MEMBER), SHIM_PATH + ".partial")
        with open(
            os.path.join(os.path.dirname(SHIM_PATH), "PACKAGE"), "w", encoding="utf-8"
        ) as file_object:
            file_object.write(os.path.basename(packages[0]) + "\n")
        os.replace(SHIM_PATH + ".partial", SHIM_PATH)
    return SHIM_PATH


def ShimPath():
    """Returns the path of shimx64.efi.signed, fetching it when missing."""
    return FetchShim()


def PipLauncherPath():
    """Returns the path of pip's vendored distlib t64.exe launcher."""
    import pip  # pylint: disable=import-outside-toplevel

    return os.path.join(os.path.dirname(pip.__file__), "_vendor", "distlib", "t64.exe")


if __name__ == "__main__":
    try:
        print(FetchShim())
    except FetchError as exception:
        print(f"error: {exception!s}", file=sys.stderr)
        sys.exit(1)
