"""Sigma rule counts, and the events tagged by Sigma alone, summarised.

With SigmaHQ's rules a tenth of a timeline's events can match some rule
(issue 17). An event that only Sigma rules outside NetSupport match is no
NetSupport evidence: it is tagged (sigma_<rule id> and the rule's ATT&CK
labels) as soon as the analysis sees it, counted per rule and per label, and
only the first MAXIMUM_EXAMPLES of each rule (in evidence order: time, data
type, summary, event identifier) are kept as examples in the findings
document, with the psort filter that lists them all. Events tagged
netsupport keep their full evidence records.
"""

import collections

from plaso_netsupport.analysis import evidence as evidence_module

# Examples per rule in the findings document.
MAXIMUM_EXAMPLES = 10


def RuleLabel(match):
    """Returns the sigma_ label of a rule match (the loader adds it last)."""
    for label in reversed(match.labels):
        if label.startswith("sigma_"):
            return label
    return ""


def FilterOf(label):
    """Returns the psort filter that selects the events with a label."""
    return f"tag contains '{label}'"


class SigmaSummary:
    """Matched rules, and the events only Sigma rules outside NetSupport tag.

    Attributes:
      label_counts (Counter): Sigma-only events per label.
      sigma_only_events (int): Sigma-only events.
    """

    def __init__(self, maximum_examples=MAXIMUM_EXAMPLES):
        self._maximum_examples = maximum_examples
        self._rules = {}
        self._examples = collections.defaultdict(list)
        # Per rule, the time of the last of a full set of examples.
        self._thresholds = {}
        self.label_counts = collections.Counter()
        self.sigma_only_events = 0

    def _Rule(self, match):
        rule = self._rules.get(match.rule_id)
        if rule is None:
            rule = {
                "id": match.rule_id,
                "title": match.title,
                "level": match.level,
                "label": RuleLabel(match),
                "events": 0,
                "sigma_only_events": 0,
            }
            self._rules[match.rule_id] = rule
        return rule

    def CountMatch(self, match, number_of_events):
        """Counts the events of an item a rule matched (any item)."""
        self._Rule(match)["events"] += number_of_events

    def AddSigmaOnly(self, item, labels, matches):
        """Counts and samples the events of an item only Sigma tags.

        Args:
          item (Item): item with its events (all of them Sigma-only).
          labels (list[str]): the events' labels.
          matches (Iterable[RuleMatch]): the rule matches that tag them.
        """
        number_of_events = item.number_of_events
        self.sigma_only_events += number_of_events
        for label in labels:
            self.label_counts[label] += number_of_events
        records = None
        first = None
        for match in matches:
            rule = self._Rule(match)
            rule["events"] += number_of_events
            rule["sigma_only_events"] += number_of_events
            threshold = self._thresholds.get(match.rule_id)
            if threshold is not None:
                if first is None:
                    first = min(item.timestamps or [0])
                if first > threshold:
                    # Later than every kept example: psort's time order
                    # makes this the common case.
                    continue
            examples = self._examples[match.rule_id]
            if records is None:
                evidence = evidence_module.EvidenceList()
                evidence.Add(item, item.source, labels, None)
                records = evidence.Records()
            examples.extend(records)
            if len(examples) >= 2 * self._maximum_examples:
                self._Trim(match.rule_id, examples)

    def _Trim(self, rule_id, examples):
        examples.sort(key=evidence_module.EvidenceRecord.SortKey)
        del examples[self._maximum_examples :]
        if len(examples) == self._maximum_examples:
            self._thresholds[rule_id] = examples[-1].timestamp or 0

    def Rules(self):
        """Returns the sigma_rules entries of the findings document."""
        rules = []
        for rule_id, rule in self._rules.items():
            examples = self._examples.get(rule_id, [])
            self._Trim(rule_id, examples)
            entry = dict(rule)
            entry["filter"] = FilterOf(rule["label"])
            entry["examples"] = [_Example(record) for record in examples]
            rules.append(entry)
        return rules


def _Example(record):
    entry = record.ToDict()
    del entry["id"]
    del entry["installation"]
    return entry
