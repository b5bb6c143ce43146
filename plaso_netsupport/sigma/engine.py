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
parsed condition tree is compiled into Python predicates (compiler.py). The
engine keeps only the directory list when pickled; rules are (re)compiled on
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

import dataclasses
import os
import re
import typing

import yaml

from plaso_netsupport import knowledge
from plaso_netsupport.sigma import compiler
from plaso_netsupport.sigma import logsources
from plaso_netsupport.sigma import prefilter
from plaso_netsupport import evtx as fields_module

from sigma import collection as sigma_collection
from sigma import exceptions as sigma_exceptions
from sigma import filters as sigma_filters
from sigma import correlations as sigma_correlations
from sigma.rule import SigmaRule

BUILTIN_RULES_DIRECTORY = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "rules"
)

DATA_TYPE = fields_module.DATA_TYPE
EvtxFields = fields_module.EvtxFields

RULE_FILE_EXTENSIONS = (".yml", ".yaml")

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Rule files larger than this are refused (a Sigma rule is a few KiB).
MAXIMUM_RULE_FILE_SIZE = 1024 * 1024

# Sigma logsource tables, from pySigma's Windows and Sysmon pipelines.
SERVICE_CHANNELS = logsources.SERVICE_CHANNELS
CATEGORY_EVENTS = logsources.CATEGORY_EVENTS

_LABEL_INVALID_CHARACTERS = re.compile(r"[^A-Za-z0-9_]+")
_TECHNIQUE_TAG = re.compile(r"^t\d{4}(\.\d{3})?$")

CONTEXT_ATTRIBUTE = "netsupport_context"
CONTEXT_TAG = "netsupport.context-required"
NETSUPPORT_TAG_NAMESPACE = "netsupport"


def SanitizeLabel(text):
    """Returns text usable as a plaso label ([A-Za-z0-9_] only)."""
    return _LABEL_INVALID_CHARACTERS.sub("_", text).strip("_")


class RuleMatch(typing.NamedTuple):
    """A rule that matched an event."""

    rule_id: str
    title: str
    level: str
    labels: list
    builtin: bool
    context_required: bool


@dataclasses.dataclass
class SigmaRuleInfo:
    """A loaded Sigma rule."""

    id: str
    title: str
    level: str
    tags: list
    labels: list
    path: str
    builtin: bool
    context_required: bool
    status: str = ""
    logsource: str = ""
    techniques: list = dataclasses.field(default_factory=list)

    @property
    def source_path(self):
        return self.path


class _CompiledRule:
    """A rule with its predicate and its number in load order."""

    __slots__ = ("info", "predicate", "match", "number", "literals")

    def __init__(self, info, predicate, number, literals):
        self.info = info
        self.predicate = predicate
        self.number = number
        # frozenset{(field or None, literal)} one of which a match contains,
        # or None: the rule is evaluated on every candidate event (slow path).
        self.literals = literals
        self.match = RuleMatch(
            info.id,
            info.title,
            info.level,
            list(info.labels),
            info.builtin,
            info.context_required,
        )


class _LoadedState:
    """Everything the engine builds from the rule directories."""

    def __init__(self):
        self.problems = []
        self.rules = []
        # event identifier -> [(channel lower-case or None, _CompiledRule)]
        self.by_event_identifier = {}
        # rules that can match any event identifier: [(channel or None, rule)]
        self.any_event_identifier = []
        self.scanner = prefilter.Scanner()
        # rules without a required literal (always evaluated on candidates)
        self.slow_path = []
        # event identifier -> _Plan, built on first use
        self.plans = {}


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


def _RuleLocation(path):
    return sigma_exceptions.SigmaRuleLocation(path)


def _FormatError(error):
    """Returns a one-line description of a pySigma / YAML error."""
    if isinstance(error, yaml.YAMLError):
        return f"invalid YAML: {' '.join(str(error).split())}"
    if isinstance(error, sigma_exceptions.SigmaError):
        text = error.args[0] if error.args else str(error)
        return f"{type(error).__name__}: {' '.join(str(text).split())}"
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def _ListRuleFiles(directory):
    paths = []
    for root, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        for filename in sorted(filenames):
            if filename.lower().endswith(RULE_FILE_EXTENSIONS):
                paths.append(os.path.join(root, filename))
    return paths


def _LogsourceTargets(logsource):
    """Returns [(channel or None, event ids or None)] for a Sigma logsource.

    Raises:
        compiler.UnsupportedError: if the logsource is not in Windows event logs.
    """
    product = (logsource.product or "").lower()
    category = (logsource.category or "").lower()
    service = (logsource.service or "").lower()
    description = "/".join(part for part in (product, category, service) if part)
    if product and product != "windows":
        raise compiler.UnsupportedError(
            f"logsource {description!r} is not in Windows event logs"
        )

    targets = None
    if category:
        if category in logsources.UNMAPPABLE_CATEGORIES:
            raise compiler.UnsupportedError(
                f"logsource category {category!r} is recorded by "
                f"{logsources.UNMAPPABLE_CATEGORIES[category]}, not by an event log"
            )
        if category not in CATEGORY_EVENTS:
            raise compiler.UnsupportedError(
                f"logsource category {category!r} has no EVTX mapping"
            )
        targets = [(channel, set(ids)) for channel, ids in CATEGORY_EVENTS[category]]
    if service:
        if service not in SERVICE_CHANNELS:
            raise compiler.UnsupportedError(
                f"logsource service {service!r} has no EVTX channel mapping"
            )
        channels = SERVICE_CHANNELS[service]
        if targets is None:
            targets = [(channel, None) for channel in channels]
        else:
            targets = [target for target in targets if target[0] in channels]
            if not targets:
                raise compiler.UnsupportedError(
                    f"logsource {description!r}: category and service do not overlap"
                )
    if targets is None:
        if not product:
            raise compiler.UnsupportedError("logsource is empty")
        targets = [(None, None)]  # product windows: any channel
    return targets


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

    # Loading.

    def _Load(self):
        state = self._state
        if state is not None:
            return state
        state = _LoadedState()
        builtin_directory = os.path.normcase(os.path.realpath(BUILTIN_RULES_DIRECTORY))
        seen_identifiers = {}
        for directory in self._directories:
            if not os.path.isdir(directory):
                state.problems.append(f"{directory}: not a directory")
                continue
            builtin = os.path.normcase(os.path.realpath(directory)) == builtin_directory
            for path in _ListRuleFiles(directory):
                self._LoadFile(state, path, builtin, seen_identifiers)

        event_identifiers = set(state.by_event_identifier)
        state.event_identifiers = frozenset(event_identifiers)
        self._state = state
        return state

    def _LoadFile(self, state, path, builtin, seen_identifiers):
        try:
            if os.path.getsize(path) > MAXIMUM_RULE_FILE_SIZE:
                state.problems.append(
                    f"{path}: file larger than {MAXIMUM_RULE_FILE_SIZE} bytes"
                )
                return
            with open(path, "r", encoding="utf-8") as file_object:
                text = file_object.read()
        except (OSError, UnicodeDecodeError) as exception:
            state.problems.append(f"{path}: cannot read: {exception}")
            return

        try:
            # libyaml's safe loader when present: the same documents, 5x faster
            # (pure-Python YAML parsing is most of the load time of big sets).
            documents = list(yaml.load_all(text, Loader=_SAFE_LOADER))
            rule_collection = sigma_collection.SigmaCollection.from_dicts(
                documents,
                collect_errors=True,
                source=_RuleLocation(path),
                collect_filters=True,
                resolve_references=False,
            )
        except Exception as exception:  # pylint: disable=broad-except
            state.problems.append(f"{path}: {_FormatError(exception)}")
            return

        items = list(rule_collection.rules)
        for error in getattr(rule_collection, "errors", []) or []:
            if not any(
                error in (getattr(item, "errors", None) or []) for item in items
            ):
                state.problems.append(f"{path}: {_FormatError(error)}")
        if not items and not rule_collection.errors:
            state.problems.append(f"{path}: no Sigma rule in the file")

        for item in items:
            name = getattr(item, "title", None) or getattr(item, "name", None) or "?"
            if isinstance(item, sigma_correlations.SigmaCorrelationRule):
                kind = getattr(getattr(item, "type", None), "name", "?").lower()
                state.problems.append(
                    f"{path}: rule {name!r}: correlation rules (type {kind}) are not "
                    "supported: the evaluator sees one event at a time"
                )
                continue
            if isinstance(item, sigma_filters.SigmaFilter):
                state.problems.append(
                    f"{path}: rule {name!r}: Sigma filters (meta-rules) are not supported"
                )
                continue
            if not isinstance(item, SigmaRule):
                state.problems.append(
                    f"{path}: rule {name!r}: unsupported rule type {type(item).__name__}"
                )
                continue
            if item.errors:
                for error in item.errors:
                    state.problems.append(
                        f"{path}: rule {name!r}: {_FormatError(error)}"
                    )
                continue
            try:
                self._AddRule(state, item, path, builtin, seen_identifiers)
            except compiler.UnsupportedError as exception:
                state.problems.append(
                    f"{path}: rule {name!r}: unsupported: {exception}"
                )
            except Exception as exception:  # pylint: disable=broad-except
                state.problems.append(
                    f"{path}: rule {name!r}: {_FormatError(exception)}"
                )

    def _AddRule(self, state, rule, path, builtin, seen_identifiers):
        if rule.detection is None or not getattr(rule.detection, "detections", None):
            raise compiler.UnsupportedError("the rule has no detection")
        targets = _LogsourceTargets(rule.logsource)

        predicates = []
        trees = []
        required = None
        for index, condition in enumerate(rule.detection.parsed_condition):
            tree = condition.parse()
            trees.append(tree)
            predicates.append(compiler.Compile(tree))
            condition_ids = compiler.RequiredEventIdentifiers(tree)
            if index == 0:
                required = condition_ids
            elif required is not None:
                required = None if condition_ids is None else required | condition_ids
        if not predicates:
            raise compiler.UnsupportedError("the rule has no condition")
        if len(predicates) == 1:
            predicate = predicates[0]
        else:
            predicate = lambda fields: any(p(fields) for p in predicates)  # noqa: E731

        info = self._RuleInfo(rule, path, builtin)
        if info.id in seen_identifiers:
            raise compiler.UnsupportedError(
                f"duplicate rule id {info.id} (already loaded from "
                f"{seen_identifiers[info.id]})"
            )

        entries = []
        for channel, logsource_ids in targets:
            if logsource_ids is None:
                ids = required
            elif required is None:
                ids = logsource_ids
            else:
                ids = logsource_ids & required
                if not ids:
                    continue
            entries.append((channel.lower() if channel else None, ids))
        if not entries:
            raise compiler.UnsupportedError(
                "the EventID in the condition is never logged by the logsource"
            )

        seen_identifiers[info.id] = path
        literals = prefilter.UnionOfConditions(trees)
        compiled = _CompiledRule(info, predicate, len(state.rules), literals)
        state.rules.append(info)
        if literals is None:
            state.slow_path.append(compiled)
        else:
            state.scanner.Add(compiled.number, literals)
        for channel, ids in entries:
            if ids is None:
                state.any_event_identifier.append((channel, compiled))
            else:
                for event_identifier in sorted(ids):
                    state.by_event_identifier.setdefault(event_identifier, []).append(
                        (channel, compiled)
                    )

    @staticmethod
    def _RuleInfo(rule, path, builtin):
        tags = [str(tag) for tag in rule.tags or []]
        lowered_tags = [tag.lower() for tag in tags]
        rule_id = str(rule.id) if rule.id else ""
        title = rule.title or ""
        level = rule.level.name.lower() if rule.level else ""
        custom = rule.custom_attributes or {}
        context_value = custom.get(CONTEXT_ATTRIBUTE)
        context_required = CONTEXT_TAG in lowered_tags or (
            str(context_value).lower() in ("required", "true")
        )

        is_netsupport = builtin or any(
            tag.partition(".")[0] == NETSUPPORT_TAG_NAMESPACE for tag in lowered_tags
        )
        labels = ["netsupport"] if is_netsupport else []
        techniques = []
        for tag in lowered_tags:
            namespace, _, name = tag.partition(".")
            if namespace == "attack" and _TECHNIQUE_TAG.match(name):
                techniques.append(name.upper())
                for label in knowledge.AttackLabels(name):
                    if label not in labels:
                        labels.append(label)
        rule_label = "sigma_" + (
            SanitizeLabel(rule_id) or SanitizeLabel(title).lower() or "rule"
        )
        labels.append(rule_label)

        logsource = rule.logsource
        logsource_text = "/".join(
            part
            for part in (logsource.product, logsource.category, logsource.service)
            if part
        )
        status = rule.status.name.lower() if getattr(rule, "status", None) else ""
        return SigmaRuleInfo(
            id=rule_id or rule_label,
            title=title,
            level=level,
            tags=tags,
            labels=labels,
            path=path,
            builtin=builtin,
            context_required=context_required,
            status=status,
            logsource=logsource_text,
            techniques=techniques,
        )

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
