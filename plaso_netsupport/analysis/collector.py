"""Collects the events that may be NetSupport evidence, cheaply.

The analysis sees every event of the storage file, nearly all of which have
nothing to do with NetSupport. The collector looks at an event's data type
first (one dict lookup) and returns at once for every type it has no handler
for. Handlers keep a compact Item for each event that *might* be evidence;
what it is evidence of is only decided when all events have been seen
(correlate.py), because a renamed client is recognised from files, processes
and settings that can come later in the timeline.

Memory grows with the number of candidate items (executables, shortcuts and
folders outside the Windows directory, NetSupport-named files, process
creations outside it, service and script events), not with other events. In
the analysis plugin, the process and service candidates that can matter only
for a kit folder (and process ends and special privileges) wait in a
temporary file instead (spill.py, Items()), and events only Sigma rules
outside NetSupport match are handed back to be tagged at once (Collect()).
Each item kept is small: an event log item keeps only the values the correlator
and the findings document read (_KEPT_VALUES, not the record's ~35 fields),
repeated strings and process keys are shared, and an item's events are packed
into one bytes object (sequence number, timestamp, description code).

The work is split by what it reads: file_handlers.py (file system, PE,
execution traces, shortcuts, NetSupport's own files), registry_handlers.py
(Run keys, services, vendor keys) and event_log_handlers.py (event log
records, process lifetimes) are mixins of Collector; item.py holds the item.

Items keep what the identity model and the report need: PE imports (plaso's
pe_coff:dll_import "name"), imphashes, PE version information and signer
(netsupport:pe:version_info), Amcache company/product/description, paths as
on the evidence (display_path) and each event's timestamp description. Process
creations are kept only while their process lives: a 4689 exit, a logoff
(4634, 4647) of the process's session or a new 4688 with the same process id
ends it (a process_end item tells the correlator).
"""

import re

from plaso_netsupport.analysis import event_log_handlers
from plaso_netsupport.analysis import file_handlers
from plaso_netsupport.analysis import registry_handlers
from plaso_netsupport.analysis import spill as spill_module
from plaso_netsupport.analysis.item import Item  # noqa: F401 (the item type)


def CompileTokens(words):
    """Compiles words and phrases that must match as whole tokens.

    "rm " matches "rm x" and "rm" at the end of a text, never "form x";
    "Remove-Item" never matches inside "Remove-ItemProperty".

    Args:
      words (Iterable[str]): words or phrases, matched case-insensitively.

    Returns:
      re.Pattern: pattern, or one that never matches for no words.
    """
    words = sorted({word.strip().lower() for word in words if word.strip()})
    if not words:
        return re.compile(r"(?!x)x")
    alternatives = []
    for word in words:
        # Boundaries only where the word itself starts or ends with a word
        # character ("\\CurrentVersion\\Run" may follow any text).
        prefix = r"(?<![\w\-.$])" if re.match(r"\w", word) else ""
        suffix = r"(?![\w\-])" if re.match(r"\w", word[-1]) else ""
        alternatives.append(prefix + re.escape(word) + suffix)
    return re.compile("|".join(alternatives), re.IGNORECASE)


class Collector(
    file_handlers.FileHandlers,
    registry_handlers.RegistryHandlers,
    event_log_handlers.EventLogHandlers,
):
    """Keeps the candidate items, keyed by event data identifier."""

    def __init__(self, knowledge, sigma_engine=None, spill=False, stream_sigma=False):
        """Initializes a collector.

        Args:
          knowledge (Knowledge): NetSupport knowledge.
          sigma_engine (Optional[SigmaEngine]): Sigma rules to evaluate on
              event log records.
          spill (Optional[bool]): True to keep the process and service items
              that can matter only for a kit folder in a temporary file
              (spill.py); Items() brings back those that do.
          stream_sigma (Optional[bool]): True to keep no item for an event
              that only Sigma rules outside NetSupport match: Collect()
              returns it to the caller, which tags it at once.
        """
        self._knowledge = knowledge
        self._spilled = spill_module.SpilledItems() if spill else None
        self._stream_sigma = stream_sigma
        # Names whose items are never spilled: they make a folder a kit
        # folder or a binary the client (kit_folders.py, identity.py).
        self._unspilled_names = (
            frozenset(knowledge.kit_files)
            | frozenset(knowledge.client_file_names)
            | frozenset(
                name.lower()
                for name in knowledge.data["pe_identity"]["client_children"]
            )
        )
        self._last_timestamp = None
        self._in_time_order = True
        self._kit_names = frozenset(knowledge.kit_files)
        self._sigma_engine = sigma_engine
        # Words that tie a script to NetSupport: kit file names, and their
        # stems where long enough not to occur inside ordinary words.
        self._script_tokens = CompileTokens(
            ["netsupport"]
            + list(knowledge.strong_kit_file_names)
            + [
                name.rpartition(".")[0]
                for name in knowledge.strong_kit_file_names
                if len(name.rpartition(".")[0]) >= 7
            ]
        )
        self._kept_processes = set()
        # Event identifier -> item role, from the knowledge file's event_ids.
        self._event_roles = {
            identifier: event_log_handlers.EVENT_ROLES[roles[0]]
            for identifier, roles in knowledge.event_roles.items()
            if roles[0] in event_log_handlers.EVENT_ROLES
        }
        # Shared process keys and Sigma matches: items name the same ones.
        self._shared_keys = {}
        self._shared_matches = {}
        self._vendor_name = re.compile(
            r"\bnetsupport (?:ltd|manager|school|client)|"
            + "|".join(
                re.escape(name.lower()) for name in knowledge.data["oem_products"]
            )
        )
        self._vendor_companies = frozenset(
            name.lower().rstrip(".")
            for name in knowledge.data["pe_identity"]["company_names"]
        )
        # Process lifetimes: (computer, process id) of kept processes, and the
        # kept processes of each logon session.
        self._process_logons = {}
        self._logon_processes = {}
        self.items = {}
        self._handlers = {
            "fs:stat": self._File,
            "fs:stat:ntfs": self._File,
            "fs:ntfs:usn_change": self._UsnChange,
            "windows:metadata:deleted_item": self._RecycleBin,
            "pe_coff:file": self._PortableExecutable,
            "pe_coff:dll_import": self._PortableExecutable,
            "windows:prefetch:execution": self._Prefetch,
            "windows:registry:run": self._Run,
            "windows:registry:service": self._Service,
            "windows:registry:key_value": self._RegistryKey,
            "windows:registry:amcache": self._ExecutionPath,
            "windows:registry:appcompatcache": self._ExecutionPath,
            "windows:registry:bam": self._ExecutionPath,
            "windows:registry:userassist": self._UserAssist,
            "windows:lnk:link": self._Link,
            "windows:evtx:record": self._EventLogRecord,
            "netsupport:client32_ini:config": self._Configuration,
            "netsupport:nsm_lic:licence": self._Licence,
            "netsupport:registry:key": self._NetSupportRegistry,
            "netsupport:pe:version_info": self._VersionInfo,
        }

    @property
    def data_types(self):
        """frozenset[str]: data types the collector looks at."""
        return frozenset(self._handlers)

    def Collect(self, event, event_data, event_data_stream, source=None):
        """Looks at one event; constant, cheap work for uninteresting ones.

        Args:
          event (EventObject): event.
          event_data (EventData): event data.
          event_data_stream (EventDataStream): event data stream.
          source (Optional[str]): coverage source of the event.

        Returns:
          Item: with stream_sigma, the item of an event only Sigma rules
              outside NetSupport match (kept nowhere), else None.
        """
        handler = self._handlers.get(event_data.data_type)
        if handler is None:
            return None
        timestamp = event.timestamp
        if self._in_time_order and self._last_timestamp is not None:
            try:
                self._in_time_order = timestamp >= self._last_timestamp
            except TypeError:
                self._in_time_order = False
        self._last_timestamp = timestamp
        key = event.GetEventDataIdentifier()
        if key is None:
            key = (None, id(event_data))
        elif key.name == "event_data" and type(key.sequence_number) is int:  # noqa
            # An int is a fifth of the identifier's string.
            key = key.sequence_number
        else:
            key = key.CopyToString()
        description = getattr(event, "timestamp_desc", "") or ""
        item = self.items.get(key)
        if item is None:
            spilled = self._spilled
            if spilled is not None and key in spilled:
                spilled.AddEvent(key, event.GetIdentifier(), timestamp, description)
                return None
            item = handler(event_data, event_data_stream)
            if item is None:
                return None
            item.source = source
            item.AddEvent(event.GetIdentifier(), timestamp, description)
            if self._stream_sigma and item.role == "sigma" and self._Streamed(item):
                return item
            if (
                spilled is not None
                and item.name not in self._unspilled_names
                and spilled.CanSpill(key, item)
            ):
                try:
                    spilled.Add(key, item, len(self.items))
                    return None
                except ValueError:
                    # A value marshal cannot write: kept in memory.
                    pass
            self.items[key] = item
            return None
        item.AddEvent(event.GetIdentifier(), timestamp, description)
        return None

    @staticmethod
    def _Streamed(item):
        """Whether a Sigma-only item's matches are all outside NetSupport."""
        return all(
            not match.context_required and "netsupport" not in match.labels
            for match in item.sigma or ()
        )

    def Items(self, is_root=None):
        """Returns the items, with the spilled ones that can matter.

        Args:
          is_root (Optional[callable]): is_root(path, name) is True for an
              image in a kit folder or with a kit name; required when items
              were spilled.

        Returns:
          list[Item]: items in the order they were created.
        """
        items = list(self.items.values())
        spilled = self._spilled
        if spilled is None or not spilled.number_of_items:
            return items
        if self._in_time_order:
            keys = spilled.Select(items, is_root)
        else:
            # Not psort's time order: the correlator's order is not the
            # order of creation, so every item comes back.
            keys = spilled.AllKeys()
        merged = []
        index = 0
        for position, item in spilled.Read(keys):
            merged.extend(items[index:position])
            index = max(index, position)
            merged.append(item)
        merged.extend(items[index:])
        return merged

    @property
    def number_of_spilled_items(self):
        """int: items written to the spill file."""
        return self._spilled.number_of_items if self._spilled is not None else 0

    def Close(self):
        """Removes the spill file."""
        if self._spilled is not None:
            self._spilled.Close()
