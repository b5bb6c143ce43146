"""FILETIME: the Windows time stamp every forge writer needs."""

import datetime

EPOCH = datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc)


def FromDateTime(value, naive_is_utc=False):
    """Converts a datetime to a FILETIME integer.

    Args:
      value (datetime.datetime): time, or None for "not set" (0).
      naive_is_utc (bool): True to take a naive datetime as UTC; otherwise a
          naive datetime is refused.

    Returns:
      int: 100-nanosecond intervals since 1601-01-01 00:00:00 UTC.

    Raises:
      ValueError: for a naive datetime without naive_is_utc.
    """
    if value is None:
        return 0
    if value.tzinfo is None or value.utcoffset() is None:
        if not naive_is_utc:
            raise ValueError("datetimes must be timezone aware")
        value = value.replace(tzinfo=datetime.timezone.utc)
    delta = value - EPOCH
    return (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10
