"""Sigma rule evaluation on plaso `windows:evtx:record` event data.

Usage (by the analysis plugin):

    from plaso_netsupport.sigma import engine
    sigma_engine = engine.SigmaEngine.FromDirectories(
            [engine.BUILTIN_RULES_DIRECTORY, *examiner_dirs])
    sigma_engine.problems           # ["path/rule.yml: reason", ...]
    sigma_engine.rules              # [SigmaRuleInfo, ...]
    sigma_engine.event_identifiers  # frozenset[int]
    sigma_engine.slow_path_rules    # [SigmaRuleInfo] evaluated without pruning
    matches = sigma_engine.MatchEventData(event_data)   # [RuleMatch, ...]
    fields = engine.EvtxFields(event_data)

Rules are parsed by pySigma (rule format, modifiers, conditions) and its
parsed condition tree is compiled into Python predicates (compiler.py);
loader.py reads the rule files, refuses what cannot be evaluated and builds
the indexes this module evaluates with. The engine keeps only the directory list when pickled; rules are (re)compiled on
first use in each process.

Rules are indexed by event identifier and channel: an event whose
event_identifier no rule can match costs one dict lookup; the xml_string is
parsed only for events some rule could match. Among those candidates, a rule
is evaluated only if the event holds one of the literal strings its condition
requires (prefilter.py: one Aho-Corasick pass per field value); rules without
such a literal are always evaluated (`slow_path_rules`). The matches are
exactly those of evaluating every candidate (SigmaEngine(prune=False)).
Logsource tables: logsources.py (from pySigma's Windows/Sysmon pipelines).
"""

import os

from plaso_netsupport.sigma import compiler
from plaso_netsupport.sigma import loader
from plaso_netsupport.sigma import prefilter
from plaso_netsupport import evtx as fields_module

BUILTIN_RULES_DIRECTORY = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "rules"
)

DATA_TYPE = fields_module.DATA_TYPE
EvtxFields = fields_module.EvtxFields


class _Plan:
    """The candidate rules for one event identifier, split for pruning.

    slow: [(position, channel, rule)] evaluated on every such event;
    pruned: {rule number: [(position, channel, rule)]} evaluated only when the
    scanner finds one of the rule's literals. Positions keep load order.
    """

    __slots__ = ("slow", "pruned")

    def __init__(self, candidates, prune):
        self.slow = []
        self.pruned = {}
        for position, (channel, compiled) in enumerate(candidates):
            entry = (position, channel, compiled)
            if prune and compiled.literals is not None:
                self.pruned.setdefault(compiled.number, []).append(entry)
            else:
                self.slow.append(entry)


class SigmaEngine:
    """Evaluates Sigma rules on plaso windows:evtx:record event data."""

    def __init__(self, directories=None, prune=True):
        self._directories = [os.path.abspath(path) for path in directories or []]
        self._prune = bool(prune) and prefilter.Scanner.Available()
        self._state = None
        self._last = (None, None, ())
        self.events_evaluated = 0
        self.rule_evaluations = 0

    @classmethod
    def FromDirectories(cls, directories, prune=True):
        """Creates an engine for the rules (*.yml, *.yaml) in the directories.

        The rules are compiled lazily on first use (in the process that uses
        them), so the engine is cheap to create and to pickle.

        Args:
            directories (list[str]): rule directories.
            prune (bool): evaluate a rule only on events that contain one of the
                literals its condition requires (same matches, fewer evaluations).
        """
        return cls(directories, prune=prune)

    def __getstate__(self):
        return {"_directories": list(self._directories), "_prune": self._prune}

    def __setstate__(self, state):
        self._directories = state["_directories"]
        self._prune = state.get("_prune", True) and prefilter.Scanner.Available()
        self._state = None
        self._last = (None, None, ())
        self.events_evaluated = 0
        self.rule_evaluations = 0

    @property
    def directories(self):
        return list(self._directories)

    @property
    def problems(self):
        """list[str]: "path: reason" for rules that could not be loaded."""
        return self._Load().problems

    @property
    def rules(self):
        """list[SigmaRuleInfo]: loaded rules."""
        return self._Load().rules

    @property
    def slow_path_rules(self):
        """list[SigmaRuleInfo]: rules without a required literal (not pruned)."""
        return [compiled.info for compiled in self._Load().slow_path]

    @property
    def event_identifiers(self):
        """frozenset[int]: event identifiers that some rule can match.

        If any_event_identifier is True, some rule can match any identifier and
        the pre-check must not be used.
        """
        return self._Load().event_identifiers

    @property
    def any_event_identifier(self):
        """bool: True if some rule does not restrict the event identifier."""
        return bool(self._Load().any_event_identifier)

    def CouldMatch(self, event_identifier):
        """Returns True if some rule can match an event with this identifier."""
        state = self._Load()
        return bool(state.any_event_identifier) or (
            event_identifier in state.by_event_identifier
        )

    def Compile(self):
        """Loads and compiles the rules now (otherwise done on first use)."""
        self._Load()
        return self

    def _Load(self):
        state = self._state
        if state is None:
            state = loader.Load(self._directories, BUILTIN_RULES_DIRECTORY)
            self._state = state
        return state

    # Matching.

    def MatchEventData(self, event_data):
        """Returns the rules that match a windows:evtx:record event data.

        Args:
            event_data (EventData): plaso event data; attributes read with getattr.

        Returns:
            list[RuleMatch]: matching rules, in load order (empty for other data types).
        """
        state = self._state or self._Load()
        event_identifier = getattr(event_data, "event_identifier", None)
        candidates = state.by_event_identifier.get(event_identifier)
        if candidates is None and not state.any_event_identifier:
            return []
        if getattr(event_data, "data_type", None) != DATA_TYPE:
            return []

        event_fields = EvtxFields(event_data)
        if not event_fields:
            return []
        # plaso hands each record to analysis once per timestamp (creation,
        # written), one after the other: the same fields give the same matches.
        last = self._last
        if last[0] is event_fields and last[1] == event_identifier:
            return [match._replace(labels=list(match.labels)) for match in last[2]]
        channel = (event_fields.get("Channel") or "").lower()

        plan_key = event_identifier if candidates is not None else None
        plan = state.plans.get(plan_key)
        if plan is None:
            if candidates is None:
                candidates = state.any_event_identifier
            elif state.any_event_identifier:
                candidates = candidates + state.any_event_identifier
            plan = _Plan(candidates, self._prune)
            state.plans[plan_key] = plan

        selected = plan.slow
        if plan.pruned:
            pruned = plan.pruned
            hits = [
                entry
                for number in state.scanner.Hits(event_fields, compiler.ToText)
                if number in pruned
                for entry in pruned[number]
            ]
            if hits:
                selected = sorted(selected + hits, key=_Position)

        self.events_evaluated += 1
        evaluation_fields = None
        matches = []
        seen = set()
        for _, rule_channel, compiled in selected:
            if rule_channel is not None and rule_channel != channel:
                continue
            if evaluation_fields is None:
                evaluation_fields = _EvaluationFields(event_fields)
            self.rule_evaluations += 1
            try:
                matched = compiled.predicate(evaluation_fields)
            except Exception:  # pylint: disable=broad-except
                matched = False
            if matched and id(compiled) not in seen:
                seen.add(id(compiled))
                match = compiled.match
                matches.append(match._replace(labels=list(match.labels)))
        self._last = (event_fields, event_identifier, tuple(matches))
        return matches


def _Position(entry):
    return entry[0]


_EVALUATION_CACHE = {"key": None, "fields": None}


def _EvaluationFields(event_fields):
    """Adds lower-case aliases of the field names (cached for the last event)."""
    if _EVALUATION_CACHE["key"] is event_fields:
        return _EVALUATION_CACHE["fields"]
    evaluation_fields = dict(event_fields)
    for name, value in event_fields.items():
        evaluation_fields.setdefault(name.lower(), value)
    evaluation_fields[compiler.KEYWORD_VALUES_KEY] = event_fields
    _EVALUATION_CACHE["key"] = event_fields
    _EVALUATION_CACHE["fields"] = evaluation_fields
    return evaluation_fields
