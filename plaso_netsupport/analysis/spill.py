"""Candidate items that can matter only for a kit folder, kept on disk.

Most process creations and service installs the collector keeps are there
only because their image is outside the Windows directory: they become
evidence only if their folder turns out to be a kit folder (or, for a
process, if a kit process started it), which is known only when every event
has been seen. On a timeline of millions of events they are most of the
collector's items (issue 17), so the collector writes each of them to a
temporary file of the analysis process (never near the evidence) and keeps
in memory one bit per event data (to find an item's further events).

When every event has been seen, the kit folders are found from the items in
memory (spilled items play no part in that: no kit file name is spilled) and
Select() reads the file once, replaying the correlator's process chains in
time order: it brings back the items in a kit folder, the processes a chain
member started, the process creations, exits and logoffs that end a chain
member, and the special privileges (4672) of a chain member's logon session. Every other
spilled item would be judged "no evidence" by evidence_kinds.py without any
effect on the other items, so leaving it out changes nothing. Each item comes
back in its place among the items in memory, so ties in time order keep
their order. Memory then grows with the evidence, not with the candidates.
"""

import marshal
import struct
import tempfile

from acstore.containers import interface as containers_interface

from plaso_netsupport.analysis import item as item_module
from plaso_netsupport.analysis import paths

# Record kinds of the spill file.
_ITEM = 0
_EVENT = 1

_LENGTH = struct.Struct("<I")

# Roles that may be spilled.
SPILLED_ROLES = frozenset(["process", "process_end", "service_install", "privileges"])

# Value name tuples, shared by the items read back.
_VALUE_NAMES = {}


class SpilledItems:
    """The spilled items of one analysis, in the order they were created.

    Attributes:
      number_of_items (int): items written.
    """

    def __init__(self):
        self._file = None
        self._keys = bytearray()
        self._names = []
        self._names_index = {}
        self.number_of_items = 0

    def __contains__(self, key):
        if type(key) is not int or key < 0:  # noqa: E721
            return False
        index = key >> 3
        return index < len(self._keys) and bool(self._keys[index] & (1 << (key & 7)))

    def _Write(self, record):
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="plaso-netsupport-items-")
        data = marshal.dumps(record)
        self._file.write(_LENGTH.pack(len(data)) + data)

    @staticmethod
    def CanSpill(key, item):
        """Determines if an item and its key can be written to the file."""
        return (
            type(key) is int  # noqa: E721
            and key >= 0
            and item.role in SPILLED_ROLES
            and not item.sigma
            and "*" not in item.path
            and type(item._events) is bytes  # noqa: E721 pylint: disable=W0212
        )

    def Add(self, key, item, position):
        """Writes an item (CanSpill() must be True).

        Args:
          key (int): event data sequence number.
          item (Item): item with its first event.
          position (int): number of items kept in memory before it.
        """
        # pylint: disable=protected-access
        values, names = item._values, item._value_names
        if names is None:
            names = tuple(values)
            values = tuple(values[name] for name in names)
        self._Write(
            (
                _ITEM,
                key,
                position,
                item.role,
                item.data_type,
                item.path,
                item.display_path,
                # Folder and name: split from the path when read back.
                None,
                None,
                item.description,
                item.source,
                self._NamesIndex(names),
                values,
                item._events,
            )
        )
        index = key >> 3
        if index >= len(self._keys):
            self._keys.extend(bytes(index + 1 - len(self._keys) + 4096))
        self._keys[index] |= 1 << (key & 7)
        self.number_of_items += 1

    def _NamesIndex(self, names):
        # The value names of a role, written once per file as a number.
        index = self._names_index.get(names)
        if index is None:
            index = len(self._names)
            self._names.append(names)
            self._names_index[names] = index
        return index

    def AddEvent(self, key, identifier, timestamp, description):
        """Writes a further event of a spilled item."""
        packed = item_module.PackEvent(identifier, timestamp, description)
        if packed is not None:
            self._Write((_EVENT, key, packed))
            return
        # An event that does not pack (not seen in plaso's storage): its
        # identifier as text.
        copy = getattr(identifier, "CopyToString", None)
        self._Write(
            (
                _EVENT,
                key,
                None,
                (copy() if copy else str(identifier), timestamp, str(description)),
            )
        )

    def _Records(self):
        if self._file is None:
            return
        self._file.flush()
        self._file.seek(0)
        while True:
            header = self._file.read(_LENGTH.size)
            if len(header) < _LENGTH.size:
                break
            length = _LENGTH.unpack(header)[0]
            data = self._file.read(length)
            if len(data) < length:
                break
            yield marshal.loads(data)
        self._file.seek(0, 2)

    def Select(self, items, is_root):
        """Returns the keys of the spilled items that can matter.

        Replays the process chains of evidence_kinds.EvidenceKinds in the
        order the items were created (the correlator's time order: psort
        reads events in time order, so items are created in the order of
        their first event; the caller checks that): a process is in a chain
        when it is a root (in a kit folder or with a kit name) or its creator
        is in one; a new process with the id of a chain member, an exit or a
        logoff ends that member.

        Args:
          items (list[Item]): the items in memory, in the order created.
          is_root (callable): is_root(path, name) is True for a process or
              service image in a kit folder or with a kit name.

        Returns:
          set[int]: keys of the items to bring back: roots, chain members and
              the processes whose id ends a chain.
        """
        selected = set()
        chains = set()
        # Logon sessions of chain members: their special privileges (4672)
        # are evidence (evidence_kinds.EvidenceKinds.JudgeLate).
        logon_ids = set()

        def Process(values, root):
            # True when the item has an effect on the chains.
            process_key = values.get("process_key")
            creator_key = values.get("creator_key")
            member = process_key in chains
            chains.discard(process_key)
            if root or (creator_key is not None and creator_key in chains):
                chains.add(process_key)
                for name in ("SubjectLogonId", "TargetLogonId"):
                    logon_id = (values.get(name) or "").lower()
                    if logon_id and logon_id not in ("0x0", "0x3e7"):
                        logon_ids.add(logon_id)
                return True
            return member

        def End(values):
            # True when the item ends a chain member.
            member = False
            for key in values.get("process_keys") or [values.get("process_key")]:
                if key in chains:
                    chains.discard(key)
                    member = True
            return member

        def Memory(item):
            if item.role == "process":
                Process(item.values, is_root(item.path, item.name))
            elif item.role == "process_end":
                End(item.values)

        index = 0
        privileges = False
        for record in self._Records():
            if record[0] != _ITEM:
                continue
            position = record[2]
            while index < position and index < len(items):
                Memory(items[index])
                index += 1
            role = record[3]
            if role == "privileges":
                privileges = True
                continue
            values = dict(zip(self._names[record[11]], record[12]))
            if role == "process_end":
                if End(values):
                    selected.add(record[1])
                continue
            root = is_root(record[5], paths.Split(record[5])[1] if record[5] else "")
            if role == "process":
                if Process(values, root):
                    selected.add(record[1])
            elif root:
                selected.add(record[1])
        if privileges:
            for item in items[index:]:
                Memory(item)
            for record in self._Records():
                if record[0] == _ITEM and record[3] == "privileges":
                    values = dict(zip(self._names[record[11]], record[12]))
                    if values.get("logon_id") in logon_ids:
                        selected.add(record[1])
        return selected

    def AllKeys(self):
        """Returns the keys of every spilled item."""
        return {record[1] for record in self._Records() if record[0] == _ITEM}

    def Read(self, keys):
        """Yields (position, item) of the selected spilled items, in order."""
        items = {}
        order = []
        for record in self._Records():
            if record[0] == _EVENT:
                item = items.get(record[1])
                if item is not None and record[2] is not None:
                    if type(item._events) is bytes:  # noqa: E721 pylint: disable=W0212
                        item._events += record[2]  # pylint: disable=W0212
                    else:
                        item._events.extend(  # pylint: disable=W0212
                            item_module.UnpackEvents(record[2])
                        )
                elif item is not None:
                    text, timestamp, description = record[3]
                    identifier = containers_interface.AttributeContainerIdentifier()
                    identifier.CopyFromString(text)
                    item.AddEvent(identifier, timestamp, description)
                continue
            if record[1] not in keys:
                continue
            item = _Rebuild(record, self._names[record[11]])
            items[record[1]] = item
            order.append((record[2], item))
        return order

    def Close(self):
        """Removes the file."""
        if self._file is not None:
            self._file.close()
            self._file = None


def _Rebuild(record, names):
    # pylint: disable=protected-access
    (
        _,
        _,
        _,
        role,
        data_type,
        path,
        display_path,
        _,
        _,
        description,
        source,
        _,
        values,
        events,
    ) = record
    item = item_module.Item.__new__(item_module.Item)
    intern = item_module.Intern
    item.role = intern(role)
    item.data_type = intern(data_type)
    item.path = intern(path)
    item.display_path = intern(display_path)
    folder, name = paths.Split(path) if path else ("", "")
    item.folder = intern(folder)
    item.name = intern(name)
    item.description = description
    item.sigma = None
    item.source = intern(source)
    names = _VALUE_NAMES.setdefault(names, names)
    item._values = tuple(values)
    item._value_names = names
    item._events = events
    return item
