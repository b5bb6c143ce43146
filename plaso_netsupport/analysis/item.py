"""The collector's items: one per event data that may be NetSupport evidence.

An analysis of millions of events keeps tens or hundreds of thousands of
candidate items (issue 17), so an item is small: slots, strings shared with
the other items (sys.intern), event log values reduced to what is read later
(event_log_handlers.py), and its events packed into one bytes object
(sequence number, timestamp, description code) from which the identifiers,
timestamps and descriptions are rebuilt when read.
"""

import struct
import sys

from acstore.containers import interface as containers_interface

from plaso_netsupport.analysis import paths

# Text kept per item (script blocks, shortcut arguments): script blocks are
# at most 32 KiB of text per record on Windows.
MAXIMUM_TEXT_SIZE = 256 * 1024

# An event of an item: event sequence number, timestamp, description code.
_PACKED_EVENT = struct.Struct("<qqH")
_PACKED_EVENT_SIZE = _PACKED_EVENT.size

# Timestamp descriptions by code (plaso's definitions: a few dozen).
_DESCRIPTIONS = []
_DESCRIPTION_CODES = {}


def _DescriptionCode(description):
    code = _DESCRIPTION_CODES.get(description)
    if code is None and len(_DESCRIPTIONS) < 0xFFFF:
        code = len(_DESCRIPTIONS)
        _DESCRIPTIONS.append(sys.intern(description))
        _DESCRIPTION_CODES[_DESCRIPTIONS[code]] = code
    return code


def PackEvent(identifier, timestamp, description):
    """Returns an event as packed in an item's events, or None if it does not pack.

    Args:
      identifier (AttributeContainerIdentifier): event identifier.
      timestamp (int): timestamp in microseconds.
      description (str): timestamp description.
    """
    sequence_number = getattr(identifier, "sequence_number", None)
    code = _DescriptionCode(description)
    if (
        type(sequence_number) is int  # noqa: E721
        and type(timestamp) is int  # noqa: E721
        and code is not None
        and getattr(identifier, "name", None) == "event"
        and -(2**63) <= sequence_number < 2**63
        and -(2**63) <= timestamp < 2**63
    ):
        return _PACKED_EVENT.pack(sequence_number, timestamp, code)
    return None


def UnpackEvents(packed):
    """Yields (identifier, timestamp, description) of packed events."""
    for sequence_number, timestamp, code in _PACKED_EVENT.iter_unpack(packed):
        yield (
            containers_interface.AttributeContainerIdentifier(
                name="event", sequence_number=sequence_number
            ),
            timestamp,
            _DESCRIPTIONS[code],
        )


def Intern(text):
    """Returns the shared copy of a string (other values unchanged)."""
    return sys.intern(text) if type(text) is str else text  # noqa: E721


class Item:
    """An event (or the events of one event data) that may be evidence.

    Attributes:
      role (str): what the event is: file, process, run, lnk, service, ...
      data_type (str): plaso data type.
      event_identifiers (list[AttributeContainerIdentifier]): events.
      timestamps (list[int]): their timestamps, in microseconds.
      timestamp_descriptions (list[str]): the events' timestamp
          descriptions, in the order of timestamps.
      path (str): normalised path of the file the event is about, or "".
      folder (str): its folder.
      name (str): its file name.
      display_path (str): the path as on the evidence (original case, drive
          letter as the event gives it, else none), or "".
      values (dict): role-specific values (for event log items, a new dict
          on every read: change them through the collector, not the dict).
      description (str): short text for the report.
      sigma (tuple|None): Sigma rule matches.
      source (str|None): coverage source of the item's events.
    """

    __slots__ = (
        "role",
        "data_type",
        "path",
        "display_path",
        "folder",
        "name",
        "description",
        "sigma",
        "source",
        "_values",
        "_value_names",
        "_events",
    )

    def __init__(
        self, role, data_type, path="", values=None, description="", display_path=""
    ):
        self.role = role
        self.data_type = Intern(data_type)
        self.path = Intern(path)
        folder, name = paths.Split(path) if path else ("", "")
        self.folder, self.name = Intern(folder), Intern(name)
        if display_path and paths.Normalise(display_path) != path:
            display_path = ""
        self.display_path = Intern(
            paths.Display(display_path or path, default_drive="")
        )
        self._values = values or {}
        self._value_names = None
        self.description = description
        self.sigma = None
        self.source = None
        # Packed events (bytes), or a list of (identifier, timestamp,
        # description) for events that do not pack.
        self._events = b""

    @property
    def values(self):
        """dict: role-specific values."""
        if self._value_names is None:
            return self._values
        return dict(zip(self._value_names, self._values))

    def Compact(self, value_names):
        """Keeps only the named values, as a tuple.

        Args:
          value_names (tuple[str]): names, shared by the items of a role.
        """
        self._values = tuple(self._values[name] for name in value_names)
        self._value_names = value_names

    def AddEvent(self, identifier, timestamp, description):
        """Adds one event of the item.

        Args:
          identifier (AttributeContainerIdentifier): event identifier.
          timestamp (int): timestamp in microseconds.
          description (str): timestamp description.
        """
        if type(self._events) is bytes:  # noqa: E721
            packed = PackEvent(identifier, timestamp, description)
            if packed is not None:
                self._events += packed
                return
            self._events = list(self._Events())
        self._events.append((identifier, timestamp, description))

    def _Events(self):
        events = self._events
        if type(events) is not bytes:  # noqa: E721
            yield from events
            return
        yield from UnpackEvents(events)

    @property
    def number_of_events(self):
        """int: number of events."""
        events = self._events
        if type(events) is bytes:  # noqa: E721
            return len(events) // _PACKED_EVENT_SIZE
        return len(events)

    @property
    def event_identifiers(self):
        """list[AttributeContainerIdentifier]: identifiers of the events."""
        return [identifier for identifier, _, _ in self._Events()]

    @property
    def timestamps(self):
        """list[int]: timestamps of the events, in microseconds."""
        events = self._events
        if type(events) is bytes:  # noqa: E721
            return [entry[1] for entry in _PACKED_EVENT.iter_unpack(events)]
        return [timestamp for _, timestamp, _ in events]

    @property
    def timestamp_descriptions(self):
        """list[str]: descriptions of the timestamps, in their order."""
        events = self._events
        if type(events) is bytes:  # noqa: E721
            return [
                _DESCRIPTIONS[entry[2]] for entry in _PACKED_EVENT.iter_unpack(events)
            ]
        return [description for _, _, description in events]
