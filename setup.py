"""Installs the autoload .pth and .start files next to the package.

setup.cfg holds the metadata; this file only adds the two start-up files to
the root of the wheel, which setuptools cannot express declaratively.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

_START_UP_FILES = ("plaso_netsupport.pth", "plaso_netsupport.start")


class BuildPyWithStartUpFiles(build_py):
    """Copies the .pth and .start files into the root of the build."""

    def run(self):
        super().run()
        for name in _START_UP_FILES:
            self.copy_file(name, os.path.join(self.build_lib, name))


setup(cmdclass={"build_py": BuildPyWithStartUpFiles})
