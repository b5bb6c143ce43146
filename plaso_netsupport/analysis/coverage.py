"""Counts what the timeline could show: events per evidence source.

The analysis plugin calls Count() for every event of the storage file, so the
work per event is constant and small: one dict lookup by data type decides
the source for nearly every event; only registry and event log records take
a second lookup, by the file name of their hive or log, because their data
type does not say which hive or log they come from. A data type seen for the
first time is classified once, by the knowledge file's coverage_sources and,
for registry plugins' own data types, by the parser chain ("winreg/...").

The sources, their titles and what their absence hides are data: section
coverage_sources of knowledge/netsupport.yaml.
"""

import re

# Resolvers for data types whose source depends on the file they come from.
_BY_HIVE = "hive"
_BY_LOG = "log"

_EVTX_DATA_TYPE = "windows:evtx:record"
_ARCHIVED_LOG = re.compile(r"^archive-(.+)-\d{4}(?:-\d+){6}\.evtx$")
_REGISTRY_PARSER = "winreg"


def _FileName(event_data_stream):
    """Returns the lower-case file name of an event data stream, or ""."""
    path_spec = getattr(event_data_stream, "path_spec", None)
    while path_spec is not None:
        location = getattr(path_spec, "location", None)
        if location:
            return location.replace("\\", "/").rpartition("/")[2].lower()
        path_spec = getattr(path_spec, "parent", None)
    return ""


class CoverageCounter:
    """Counts events per evidence source and the time span of all events."""

    def __init__(self, knowledge):
        """Initializes the counter.

        Args:
          knowledge (Knowledge): NetSupport knowledge.
        """
        self._sources = knowledge.coverage_sources
        self._by_data_type = {_EVTX_DATA_TYPE: _BY_LOG}
        self._by_hive = {}
        self._by_log = {}
        for entry in self._sources:
            for data_type in entry.get("data_types") or []:
                self._by_data_type[data_type] = entry["source"]
            for file_name in entry.get("hive_files") or []:
                self._by_hive[file_name] = entry["source"]
            for file_name in entry.get("log_files") or []:
                self._by_log[file_name] = entry["source"]
        self.counts = {entry["source"]: 0 for entry in self._sources}
        self.events_examined = 0
        self.first_timestamp = None
        self.last_timestamp = None

    def _Classify(self, event_data):
        """Returns the resolver or source of a data type seen the first time."""
        parser_chain = getattr(event_data, "_parser_chain", None) or ""
        if parser_chain.partition("/")[0] == _REGISTRY_PARSER:
            return _BY_HIVE
        return None

    def _LogSource(self, file_name):
        """Returns the source of an event log not seen before, or None.

        Windows names a log archived when full ("archive the log when full")
        or at clearing Archive-<log>-<date and time>.evtx, such as
        Archive-Security-2026-03-10-10-19-30-412.evtx.
        """
        match = _ARCHIVED_LOG.match(file_name)
        if match:
            return self._by_log.get(f"{match.group(1)}.evtx")
        return None

    def Count(self, event, event_data, event_data_stream):
        """Counts one event.

        Args:
          event (EventObject): event.
          event_data (EventData): event data.
          event_data_stream (EventDataStream): event data stream, or None.

        Returns:
          str: the source key of the event, or None when it belongs to no
              counted source.
        """
        self.events_examined += 1
        timestamp = event.timestamp
        # 0 is plaso's "Not a time" place holder and negative times are
        # mostly FILETIME 0 (1601): neither is a point in the timeline.
        if timestamp and timestamp > 0:
            if self.first_timestamp is None or timestamp < self.first_timestamp:
                self.first_timestamp = timestamp
            if self.last_timestamp is None or timestamp > self.last_timestamp:
                self.last_timestamp = timestamp

        data_type = event_data.data_type
        try:
            source = self._by_data_type[data_type]
        except KeyError:
            source = self._by_data_type[data_type] = self._Classify(event_data)
        if source is _BY_HIVE:
            source = self._by_hive.get(_FileName(event_data_stream))
        elif source is _BY_LOG:
            file_name = _FileName(event_data_stream)
            try:
                source = self._by_log[file_name]
            except KeyError:
                source = self._by_log[file_name] = self._LogSource(file_name)
        if source is not None:
            self.counts[source] += 1
        return source

    def Sources(self):
        """Returns the sources in report order: [(entry, number of events)]."""
        return [(entry, self.counts[entry["source"]]) for entry in self._sources]
