"""Analysis plugin that finds, tags and reports NetSupport traces.

The plugin decides once and stores one findings document (schema version 3,
analysis/findings.py) as the text of its analysis report; every renderer
reads that document. A report rather than analysis result containers,
because plaso 20260720 merges only its own result types into the storage
file (see analysis/findings.py).
"""

import collections

from plaso.analysis import interface
from plaso.analysis import manager
from plaso.containers import events

import plaso_netsupport
from plaso_netsupport.analysis import model

# The knowledge, collection, correlation and findings modules (and the Sigma
# engine with pySigma) are imported when the plugin is created, not here (the
# verdict names come from model.py, which imports only the standard library):
# every process that imports plaso.analysis registers the plugin, including
# log2timeline's, and few of them run it.

# Evidence kinds of files at a place on disk (the others are system-wide).
_LOCATED_KINDS = frozenset(["kit_file", "configuration", "gateway_security_key"])


_VERDICT_LABELS = {
    model.SUSPICIOUS: "netsupport_suspicious",
    model.ALLOWLISTED: "netsupport_allowlisted",
}


class NetSupportAnalysisPlugin(interface.AnalysisPlugin):
    """Tags NetSupport Manager / NetSupport RAT traces with ATT&CK labels.

    Every event that is evidence of NetSupport software gets the label
    netsupport plus the ATT&CK technique labels of what it shows; the events
    of an installation judged malicious get netsupport_suspicious, those of
    one the examiner's allowlist sanctions netsupport_allowlisted. The report
    holds the findings document: coverage, installations with their verdicts
    and findings, and one evidence record per tagged event.
    """

    NAME = "netsupport"

    def __init__(self):
        """Initializes the plugin; the knowledge is loaded on first use."""
        super().__init__()
        self._allowlist = None
        self._collector = None
        self._coverage = None
        self._sigma_directories = []
        self._sigma_builtin = True
        self._problems = []
        self._sigma_summary = None
        self._today = None
        # pylint: disable=import-outside-toplevel,unused-import
        # The modules the plugin works with, imported now that it is needed
        # (the methods import them again from sys.modules).
        from plaso_netsupport.analysis import collector  # noqa: F401
        from plaso_netsupport.analysis import correlate  # noqa: F401
        from plaso_netsupport.analysis import coverage  # noqa: F401
        from plaso_netsupport.analysis import evidence  # noqa: F401
        from plaso_netsupport.analysis import findings  # noqa: F401

        # psort builds the plugin in its main process: from there the report
        # replaces an earlier one and gets the storage's coverage facts.
        from plaso_netsupport import hooks

        hooks.InstallAnalysis()

    def SetAllowlist(self, allowlist):
        """Sets the examiner's allowlist (Allowlist)."""
        self._allowlist = allowlist

    def SetSigmaRuleDirectories(self, directories, use_builtin=True):
        """Adds directories of the examiner's own Sigma rules."""
        self._sigma_directories = list(directories)
        self._sigma_builtin = use_builtin

    def SetReferenceDate(self, today):
        """Sets the date allowlist review dates are compared with (tests)."""
        self._today = today

    def _GetCollector(self):
        # pylint: disable=import-outside-toplevel
        from plaso_netsupport import knowledge
        from plaso_netsupport.analysis import collector

        if self._collector is None:
            sigma_engine = None
            if self._sigma_builtin or self._sigma_directories:
                sigma_engine = self._LoadSigma()
            # Candidates that can matter only for a kit folder wait on disk,
            # and events only Sigma rules outside NetSupport match are tagged
            # at once (issue 17: memory flat in the number of events).
            self._collector = collector.Collector(
                knowledge.Load(),
                sigma_engine=sigma_engine,
                spill=True,
                stream_sigma=True,
            )
        return self._collector

    def _LoadSigma(self):
        try:
            from plaso_netsupport.sigma import (
                engine,
            )  # pylint: disable=import-outside-toplevel
        except ImportError as exception:  # pragma: no cover
            self._problems.append(f"Sigma evaluation unavailable: {exception}")
            return None
        directories = list(self._sigma_directories)
        if self._sigma_builtin:
            directories.insert(0, engine.BUILTIN_RULES_DIRECTORY)
        sigma_engine = engine.SigmaEngine.FromDirectories(directories)
        self._problems.extend(sigma_engine.problems)
        return sigma_engine

    def ExamineEvent(self, analysis_mediator, event, event_data, event_data_stream):
        """Keeps the events that may be NetSupport evidence.

        Args:
          analysis_mediator (AnalysisMediator): mediates interactions between
              analysis plugins and other components, such as storage and dfVFS.
          event (EventObject): event.
          event_data (EventData): event data.
          event_data_stream (EventDataStream): event data stream.
        """
        # Constant work per event: a counter and a dict lookup or two.
        source = (self._coverage or self._GetCoverage()).Count(
            event, event_data, event_data_stream
        )
        streamed = (self._collector or self._GetCollector()).Collect(
            event, event_data, event_data_stream, source
        )
        if streamed is not None:
            # Only Sigma rules outside NetSupport match it: tagged now, counted
            # and sampled, never kept (sigma_summary.py).
            labels = []
            for match in streamed.sigma:
                for label in match.labels:
                    if label not in labels:
                        labels.append(label)
            self._ProduceEventTags(analysis_mediator, streamed, labels)
            self._GetSigmaSummary().AddSigmaOnly(streamed, labels, streamed.sigma)

    def _GetSigmaSummary(self):
        # pylint: disable=import-outside-toplevel
        from plaso_netsupport.analysis import sigma_summary

        if self._sigma_summary is None:
            self._sigma_summary = sigma_summary.SigmaSummary()
        return self._sigma_summary

    @staticmethod
    def _ProduceEventTags(analysis_mediator, item, labels):
        for event_identifier in item.event_identifiers:
            event_tag = events.EventTag()
            event_tag.SetEventIdentifier(event_identifier)
            event_tag.AddLabels(labels)
            analysis_mediator.ProduceEventTag(event_tag)

    def _GetCoverage(self):
        # pylint: disable=import-outside-toplevel
        from plaso_netsupport import knowledge
        from plaso_netsupport.analysis import coverage

        if self._coverage is None:
            self._coverage = coverage.CoverageCounter(knowledge.Load())
        return self._coverage

    def _Labels(self, knowledge, kinds, verdict):
        labels = ["netsupport"]
        for kind in kinds:
            for label in knowledge.LabelsFor(kind):
                if label not in labels:
                    labels.append(label)
        verdict_label = _VERDICT_LABELS.get(verdict)
        if verdict_label:
            labels.append(verdict_label)
        return labels

    def CompileReport(self, analysis_mediator):
        """Correlates the kept events, tags the evidence and builds the report.

        Args:
          analysis_mediator (AnalysisMediator): mediates interactions between
              analysis plugins and other components, such as storage and dfVFS.

        Returns:
          AnalysisReport: report.
        """
        # pylint: disable=import-outside-toplevel
        from plaso_netsupport import knowledge as knowledge_module
        from plaso_netsupport.analysis import correlate
        from plaso_netsupport.analysis import evidence as evidence_module
        from plaso_netsupport.analysis import findings

        knowledge = knowledge_module.Load()
        collector = self._GetCollector()
        items = collector.Items(
            correlate.KitImages(knowledge, collector.items.values())
        )
        collector.Close()
        correlator = correlate.Correlator(knowledge, allowlist=self._allowlist)
        correlated = correlator.Correlate(items)
        correlator.Judge(today=self._today)

        # Events that tie to no installation take the worst verdict seen.
        verdicts = {
            installation.verdict for installation in correlator.installations.values()
        }
        system_verdict = None
        if correlate.SUSPICIOUS in verdicts:
            system_verdict = correlate.SUSPICIOUS

        tagged = {}
        for item, installation, kinds in correlated:
            if installation:
                verdict = installation.verdict
            elif set(kinds) <= _LOCATED_KINDS:
                # A kit file in a folder that is no installation: the verdicts
                # judge installations, so none applies to it.
                verdict = None
            else:
                verdict = system_verdict
            tagged[id(item)] = (
                item,
                installation,
                self._Labels(knowledge, kinds, verdict),
            )

        summary = self._GetSigmaSummary()
        sigma_only = set()
        for item in items:
            counted = []
            for match in item.sigma or []:
                if match.context_required and not correlator.installations:
                    continue
                entry = tagged.get(id(item))
                if entry is None:
                    labels = []
                    if "netsupport" in match.labels:
                        labels = ["netsupport"]
                        if system_verdict:
                            labels.append(_VERDICT_LABELS[system_verdict])
                    entry = (item, None, labels)
                    tagged[id(item)] = entry
                for label in match.labels:
                    if label not in entry[2]:
                        entry[2].append(label)
                counted.append(match)
            if not counted:
                continue
            labels = tagged[id(item)][2]
            if "netsupport" in labels:
                for match in counted:
                    summary.CountMatch(match, item.number_of_events)
            else:
                # Tagged by Sigma rules outside NetSupport alone.
                sigma_only.add(id(item))
                summary.AddSigmaOnly(item, labels, counted)

        # I1, I2, ... in folder order.
        identifiers = {
            id(correlator.installations[folder]): f"I{index:d}"
            for index, folder in enumerate(sorted(correlator.installations), start=1)
        }
        label_counts = collections.Counter()
        technique_counts = collections.Counter()
        installation_techniques = collections.defaultdict(collections.Counter)
        installation_events = collections.Counter()
        evidence = evidence_module.EvidenceList()
        for item, installation, labels in tagged.values():
            if not labels:
                continue
            if id(item) in sigma_only:
                self._ProduceEventTags(analysis_mediator, item, labels)
                continue
            identifier = identifiers.get(id(installation))
            number_of_events = len(item.event_identifiers)
            evidence.Add(item, item.source, labels, identifier)
            for label in labels:
                label_counts[label] += number_of_events
                if label.startswith("attack_"):
                    technique = findings.TechniqueOfLabel(label)
                    technique_counts[technique] += number_of_events
                    if identifier:
                        installation_techniques[identifier][
                            technique
                        ] += number_of_events
            if identifier:
                installation_events[identifier] += number_of_events
                # The model's own counters (analysis/model.py).
                installation.event_count += number_of_events
                for label in labels:
                    if label.startswith("attack_"):
                        installation.techniques[
                            findings.TechniqueOfLabel(label)
                        ] += number_of_events
            self._ProduceEventTags(analysis_mediator, item, labels)
        evidence.Number()
        for label, count in summary.label_counts.items():
            label_counts[label] += count
            if label.startswith("attack_"):
                technique_counts[findings.TechniqueOfLabel(label)] += count

        installations = []
        for folder in sorted(correlator.installations):
            installation = correlator.installations[folder]
            identifier = identifiers[id(installation)]
            installations.append(
                findings.InstallationEntry(
                    identifier,
                    installation,
                    evidence,
                    items,
                    installation_techniques[identifier],
                    installation_events[identifier],
                )
            )

        document = findings.BuildDocument(
            installations,
            evidence,
            findings.CoverageEntry(self._GetCoverage()),
            label_counts,
            technique_counts,
            summary.Rules(),
            self._problems + list(getattr(correlator, "notes", [])),
            plaso_netsupport.__version__,
            sigma_only_events=summary.sigma_only_events,
        )
        analysis_report = super().CompileReport(analysis_mediator)
        analysis_report.text = findings.RenderText(document, knowledge.technique_names)
        # pinfo 20260720 crashes on a non-empty counter and both tools hide the
        # text when one is set: the counts live in the text.
        analysis_report.analysis_counter = None
        return analysis_report


manager.AnalysisPluginManager.RegisterPlugin(NetSupportAnalysisPlugin)
