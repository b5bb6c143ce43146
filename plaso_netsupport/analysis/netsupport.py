"""Analysis plugin that finds, tags and reports NetSupport traces."""

import collections

from plaso.analysis import interface
from plaso.analysis import manager
from plaso.containers import events

from plaso_netsupport import knowledge as knowledge_module
from plaso_netsupport.analysis import collector
from plaso_netsupport.analysis import correlate
from plaso_netsupport.analysis import report

_VERDICT_LABELS = {
    correlate.SUSPICIOUS: "netsupport_suspicious",
    correlate.ALLOWLISTED: "netsupport_allowlisted",
}


class NetSupportAnalysisPlugin(interface.AnalysisPlugin):
    """Tags NetSupport Manager / NetSupport RAT traces with ATT&CK labels.

    Every event that is evidence of NetSupport software gets the label
    netsupport plus the ATT&CK technique labels of what it shows; the events
    of an installation judged malicious get netsupport_suspicious, those of
    one the examiner's allowlist sanctions netsupport_allowlisted. The report
    lists the installations with their verdicts and reasons.
    """

    NAME = "netsupport"

    def __init__(self):
        """Initializes the plugin; the knowledge is loaded on first use."""
        super().__init__()
        self._allowlist = None
        self._collector = None
        self._sigma_directories = []
        self._sigma_builtin = True
        self._problems = []
        self._today = None

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
        if self._collector is None:
            sigma_engine = None
            if self._sigma_builtin or self._sigma_directories:
                sigma_engine = self._LoadSigma()
            self._collector = collector.Collector(
                knowledge_module.Load(), sigma_engine=sigma_engine
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
        (self._collector or self._GetCollector()).Collect(
            event, event_data, event_data_stream
        )

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
        knowledge = knowledge_module.Load()
        items = list(self._GetCollector().items.values())
        correlator = correlate.Correlator(knowledge, allowlist=self._allowlist)
        evidence = correlator.Correlate(items)
        correlator.Judge(today=self._today)

        # Events that tie to no installation take the worst verdict seen.
        verdicts = {
            installation.verdict for installation in correlator.installations.values()
        }
        system_verdict = None
        if correlate.SUSPICIOUS in verdicts:
            system_verdict = correlate.SUSPICIOUS

        label_counts = collections.Counter()
        technique_counts = collections.Counter()
        sigma_counts = collections.Counter()
        tagged = {}
        for item, installation, kinds in evidence:
            verdict = installation.verdict if installation else system_verdict
            tagged[id(item)] = (
                item,
                installation,
                self._Labels(knowledge, kinds, verdict),
            )

        for item in items:
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
                sigma_counts[f"{match.title} ({match.rule_id})"] += len(
                    item.event_identifiers
                )

        for item, installation, labels in tagged.values():
            if not labels:
                continue
            number_of_events = len(item.event_identifiers)
            for label in labels:
                label_counts[label] += number_of_events
                if label.startswith("attack_"):
                    technique = report.TechniqueOfLabel(label)
                    technique_counts[technique] += number_of_events
                    if installation is not None:
                        installation.techniques[technique] += number_of_events
            if installation is not None:
                installation.event_count += len(item.event_identifiers)
            for event_identifier in item.event_identifiers:
                event_tag = events.EventTag()
                event_tag.SetEventIdentifier(event_identifier)
                event_tag.AddLabels(labels)
                analysis_mediator.ProduceEventTag(event_tag)

        document = report.BuildDocument(
            correlator, label_counts, technique_counts, sigma_counts, self._problems
        )
        technique_names = {
            technique: value.get("name", "")
            for technique, value in knowledge.data["techniques"].items()
        }
        analysis_report = super().CompileReport(analysis_mediator)
        analysis_report.text = report.RenderText(document, technique_names)
        # pinfo 20260720 crashes on a non-empty counter and both tools hide the
        # text when one is set: the counts live in the text.
        analysis_report.analysis_counter = None
        return analysis_report


manager.AnalysisPluginManager.RegisterPlugin(NetSupportAnalysisPlugin)
