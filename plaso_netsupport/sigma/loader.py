"""Reads Sigma rule files into compiled rules, indexed for the engine.

Load() walks the rule directories (*.yml, *.yaml, sorted), refuses with a
one-line problem what cannot be evaluated on one Windows event log record at
a time (files over MAXIMUM_RULE_FILE_SIZE, invalid YAML, correlation rules,
filters, duplicate ids, logsources that no event log records), compiles each
condition with compiler.py, and indexes the rules by event identifier and
channel (logsources.Targets) and by the literals the prefilter looks for
(prefilter.py). The engine (engine.py) evaluates them.
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

from sigma import collection as sigma_collection
from sigma import exceptions as sigma_exceptions
from sigma import filters as sigma_filters
from sigma import correlations as sigma_correlations
from sigma.rule import SigmaRule

RULE_FILE_EXTENSIONS = (".yml", ".yaml")

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Rule files larger than this are refused (a Sigma rule is a few KiB).
MAXIMUM_RULE_FILE_SIZE = 1024 * 1024

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


class CompiledRule:
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


class LoadedState:
    """Everything the engine builds from the rule directories."""

    def __init__(self):
        self.problems = []
        self.rules = []
        # event identifier -> [(channel lower-case or None, CompiledRule)]
        self.by_event_identifier = {}
        # rules that can match any event identifier: [(channel or None, rule)]
        self.any_event_identifier = []
        self.scanner = prefilter.Scanner()
        # rules without a required literal (always evaluated on candidates)
        self.slow_path = []
        # event identifier -> _Plan, built on first use
        self.plans = {}


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


def Load(directories, builtin_directory):
    """Loads and compiles the rules of the directories, in order.

    Args:
      directories (list[str]): absolute rule directory paths.
      builtin_directory (str): the directory of our own rules: its rules are
          NetSupport rules whatever their tags.

    Returns:
      LoadedState: rules, indexes and problems.
    """
    state = LoadedState()
    builtin_directory = os.path.normcase(os.path.realpath(builtin_directory))
    seen_identifiers = {}
    for directory in directories:
        if not os.path.isdir(directory):
            state.problems.append(f"{directory}: not a directory")
            continue
        builtin = os.path.normcase(os.path.realpath(directory)) == builtin_directory
        for path in _ListRuleFiles(directory):
            _LoadFile(state, path, builtin, seen_identifiers)

    event_identifiers = set(state.by_event_identifier)
    state.event_identifiers = frozenset(event_identifiers)
    return state


def _LoadFile(state, path, builtin, seen_identifiers):
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
        if not any(error in (getattr(item, "errors", None) or []) for item in items):
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
                state.problems.append(f"{path}: rule {name!r}: {_FormatError(error)}")
            continue
        try:
            _AddRule(state, item, path, builtin, seen_identifiers)
        except compiler.UnsupportedError as exception:
            state.problems.append(f"{path}: rule {name!r}: unsupported: {exception}")
        except Exception as exception:  # pylint: disable=broad-except
            state.problems.append(f"{path}: rule {name!r}: {_FormatError(exception)}")


def _AddRule(state, rule, path, builtin, seen_identifiers):
    if rule.detection is None or not getattr(rule.detection, "detections", None):
        raise compiler.UnsupportedError("the rule has no detection")
    targets = logsources.Targets(rule.logsource)

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

    info = _RuleInfo(rule, path, builtin)
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
    compiled = CompiledRule(info, predicate, len(state.rules), literals)
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
