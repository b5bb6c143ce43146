"""Reads the netsupport findings document back from a plaso storage file.

The analysis stores its document as the text of plaso's analysis report
(plaso keeps only the text when it reads a report back); every command that
shows a report reads it through ReadDocument.
"""

import os

from plaso_netsupport.analysis import findings
from plaso_netsupport.errors import UsageError

SQLITE_MAGIC = b"SQLite format 3\x00"


def IsStorageFile(path):
    """True if path is a regular file that starts like a plaso storage file."""
    if os.path.isdir(path):
        return False
    with open(path, "rb") as file_object:
        return file_object.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def CheckStorage(path):
    """Checks that path is a readable plaso storage file (UsageError if not)."""
    if not os.path.lexists(path):
        raise UsageError(f"no such storage file: {path}")
    if os.path.isdir(path):
        raise UsageError(f"not a plaso storage file (a directory): {path}")
    try:
        with open(path, "rb") as file_object:
            magic = file_object.read(len(SQLITE_MAGIC))
    except OSError as exception:
        raise UsageError(
            f"cannot read {path}: {exception.strerror or exception}"
        ) from None
    if magic != SQLITE_MAGIC:
        raise UsageError(f"not a plaso storage file: {path}")


def ReadReports(storage_file):
    """Returns the texts of the netsupport reports in a storage file, oldest first."""
    # Imported here: plaso's storage takes a second to import.
    from plaso.storage import factory  # pylint: disable=import-outside-toplevel

    reader = factory.StorageFactory.CreateStorageReaderForFile(storage_file)
    if reader is None:
        raise ValueError(f"not a plaso storage file: {storage_file}")
    try:
        return [
            analysis_report.text or ""
            for analysis_report in reader.GetAttributeContainers("analysis_report")
            if analysis_report.plugin_name == "netsupport"
        ]
    finally:
        reader.Close()


def CountEvents(storage_file):
    """Returns the number of events in a storage file."""
    from plaso.storage import factory  # pylint: disable=import-outside-toplevel

    reader = factory.StorageFactory.CreateStorageReaderForFile(storage_file)
    if reader is None:
        raise ValueError(f"not a plaso storage file: {storage_file}")
    try:
        return reader.GetNumberOfAttributeContainers("event")
    finally:
        reader.Close()


def ReadStoredDocument(storage_path):
    """Returns the newest netsupport document of a storage file, as stored.

    Raises:
      UsageError: when the file is no storage file or holds no report.
    """
    CheckStorage(storage_path)
    try:
        texts = ReadReports(storage_path)
    except Exception as exception:  # pylint: disable=broad-except
        # plaso raises a variety of errors on damaged or foreign SQLite files.
        message = str(exception).splitlines()[0] if str(exception) else ""
        raise UsageError(
            f"cannot read plaso storage file {storage_path}"
            + (f": {message}" if message else "")
        ) from None
    documents = []
    for text in texts:
        try:
            document = findings.ParseReportText(text)
        except ValueError:
            document = None
        if document:
            documents.append(document)
    if not documents:
        raise UsageError(
            f"no netsupport analysis report in {storage_path}; run "
            f"'psort --analysis netsupport -o null {storage_path}' or "
            f"'plaso-netsupport triage' first"
        )
    return documents[-1]


def ReadDocument(storage_path):
    """Returns the newest findings document of a storage file (current schema).

    Raises:
      UsageError: when there is none, or it was written by an older analysis.
    """
    document = ReadStoredDocument(storage_path)
    if not findings.IsCurrent(document):
        raise UsageError(
            f"the netsupport report in {storage_path} has schema version "
            f"{document.get('schema_version', 1)}, this version reads "
            f"{findings.SCHEMA_VERSION}; run 'psort --analysis netsupport -o null "
            f"{storage_path}' again"
        )
    return document


# dfVFS type indicators of file systems (what an image must yield).
FILE_SYSTEM_TYPES = frozenset(
    ["APFS", "EXT", "FAT", "HFS", "NTFS", "TSK", "XFS", "EXT4", "EXFAT", "MODI"]
)


def HasFileSystem(storage_file):
    """True if any event came from inside a file system of the source.

    A disk image plaso could not open (an empty or damaged file, a wrong
    partition choice) is processed as one single file: every path
    specification is then of type OS.
    """
    from plaso.storage import factory  # pylint: disable=import-outside-toplevel

    reader = factory.StorageFactory.CreateStorageReaderForFile(storage_file)
    if reader is None:
        raise ValueError(f"not a plaso storage file: {storage_file}")
    try:
        for stream in reader.GetAttributeContainers("event_data_stream"):
            path_spec = getattr(stream, "path_spec", None)
            while path_spec is not None:
                if path_spec.type_indicator in FILE_SYSTEM_TYPES:
                    return True
                path_spec = getattr(path_spec, "parent", None)
        return False
    finally:
        reader.Close()
