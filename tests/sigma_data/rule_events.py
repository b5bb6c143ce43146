"""Generates EVTX event data from Sigma rules, for differential tests.

For each rule, events on one of its logsource's channels and event
identifiers whose Data values are built from the rule's own detection items
(wildcards filled, case flipped, letters swapped for the Unicode characters
that case-insensitive matching treats specially), with a random subset of the
items and items of other rules mixed in: many events match, many nearly do.
"""

import glob
import os
import random

import yaml

from sigma import collection as sigma_collection
from sigma import conditions as sigma_conditions
from sigma import types as sigma_types

import evtx_events as ev

from plaso_netsupport.sigma import logsources

# Wildcard fillers and letter swaps that exercise case folding corner cases.
_FILLERS = ["", "x", " -a ", "\\Windows\\", "ı", "İ", "ſ", "\u212a", "Σ", "😀", " "]
_SWAPS = {"i": ["İ", "ı", "I"], "s": ["ſ", "S"], "k": ["\u212a", "K"]}


def _Leaves(node, leaves):
    if isinstance(node, sigma_conditions.ConditionFieldEqualsValueExpression):
        leaves.append((node.field, node.value))
    elif isinstance(node, sigma_conditions.ConditionValueExpression):
        leaves.append((None, node.value))
    else:
        for arg in getattr(node, "args", []) or []:
            _Leaves(arg, leaves)


def _Text(randomiser, text):
    characters = []
    for character in text:
        swaps = _SWAPS.get(character.lower())
        roll = randomiser.random()
        if swaps and roll < 0.05:
            characters.append(randomiser.choice(swaps))
        elif roll < 0.3:
            characters.append(character.swapcase())
        else:
            characters.append(character)
    return "".join(characters)


def Realise(randomiser, value):
    """Returns a text that (mostly) satisfies a pySigma value, or None."""
    if isinstance(value, sigma_types.SigmaExpansion):
        return Realise(randomiser, randomiser.choice(value.values))
    if isinstance(value, sigma_types.SigmaString):
        parts = []
        for part in value.s:
            if isinstance(part, str):
                parts.append(_Text(randomiser, part))
            elif part == sigma_types.SpecialChars.WILDCARD_MULTI:
                parts.append(randomiser.choice(_FILLERS))
            elif part == sigma_types.SpecialChars.WILDCARD_SINGLE:
                parts.append(randomiser.choice("aZ9\\ ı"))
        return "".join(parts)
    if isinstance(value, sigma_types.SigmaNumber):
        return str(value.number)
    return None


class RuleLeaves:
    """A rule's targets [(channel, event ids)] and detection leaves."""

    def __init__(self, targets, leaves):
        self.targets = targets
        self.leaves = leaves


def LoadRuleLeaves(paths):
    """Returns [RuleLeaves] for the rules of the files that have a logsource."""
    rules = []
    for path in paths:
        with open(path, "r", encoding="utf-8") as file_object:
            documents = list(
                yaml.load_all(
                    file_object, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
                )
            )
        collection = sigma_collection.SigmaCollection.from_dicts(
            documents, collect_errors=True, collect_filters=True
        )
        for rule in collection.rules:
            if getattr(rule, "errors", None) or not hasattr(rule, "detection"):
                continue
            try:
                targets = logsources.Targets(rule.logsource)
                leaves = []
                for condition in rule.detection.parsed_condition:
                    _Leaves(condition.parse(), leaves)
            except Exception:  # pylint: disable=broad-except
                continue
            rules.append(RuleLeaves(targets, leaves))
    return rules


def _EventIdentifier(randomiser, leaves, identifiers):
    for field, value in leaves:
        if field and field.lower() == "eventid":
            text = Realise(randomiser, value)
            if text and text.isdigit():
                return int(text)
    if identifiers:
        return randomiser.choice(sorted(identifiers))
    return randomiser.choice([1, 4688, 7045, 4104])


def Events(rules, count, seed=17):
    """Yields count generated windows:evtx:record event data."""
    randomiser = random.Random(seed)
    for _ in range(count):
        rule = randomiser.choice(rules)
        channel, identifiers = randomiser.choice(rule.targets)
        leaves = [leaf for leaf in rule.leaves if randomiser.random() < 0.8]
        for _ in range(randomiser.choice([0, 0, 1, 2])):
            other = randomiser.choice(rules)
            leaves += [leaf for leaf in other.leaves if randomiser.random() < 0.3]
        event_identifier = _EventIdentifier(randomiser, leaves, identifiers)
        data = {}
        for field, value in leaves:
            if not field or field.lower() in ("eventid", "channel"):
                if field is None:
                    text = Realise(randomiser, value)
                    if text is not None:
                        data[f"Keyword{len(data)}"] = text
                continue
            text = Realise(randomiser, value)
            if text is not None:
                data[field] = text
        yield ev.MakeEventData(
            channel or "Application", event_identifier, list(data.items())
        )


def SampleRuleFiles(directory, step):
    """Returns every step-th rule file of a directory tree (sorted)."""
    paths = sorted(glob.glob(os.path.join(directory, "**", "*.yml"), recursive=True))
    return paths[::step]
