"""Errors the command line reports as one line (no traceback, no usage text)."""


class UsageError(Exception):
    """An error the examiner can fix; reported as one line, exit code 2."""


class NothingExamined(Exception):
    """The source yielded nothing to examine (no file system); exit code 3."""
