"""Whether a plaso storage file holds a targeted (filtered) extraction."""


def IsTargeted(storage_path):
    """Reads the sessions of a storage file: were collection filters used?

    Args:
      storage_path (str): plaso storage file.

    Returns:
      bool | None: True if any extraction session used artifact filters or a
          filter file (the collection was targeted, files outside the filters
          were never looked at), False if none did, None if the storage file
          cannot be read or holds no session.
    """
    from plaso.storage import factory  # pylint: disable=import-outside-toplevel

    try:
        reader = factory.StorageFactory.CreateStorageReaderForFile(storage_path)
    except Exception:  # pylint: disable=broad-except
        # plaso raises a variety of errors on damaged or foreign files.
        return None
    if reader is None:
        return None
    try:
        sessions = list(reader.GetAttributeContainers("session"))
    except Exception:  # pylint: disable=broad-except
        return None
    finally:
        reader.Close()
    if not sessions:
        return None
    return any(
        getattr(session, "artifact_filters", None)
        or getattr(session, "filter_file", None)
        for session in sessions
    )
