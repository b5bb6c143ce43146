"""Candidate pruning: the literal strings a rule's condition requires.

A rule whose condition can only be true when some field holds one of a few
literal strings need not be evaluated on events where none of them occurs.
RequiredLiterals() derives, from pySigma's parsed condition tree, a set of
alternatives {(field name lower-case or None for "any field", literal)} with
the guarantee: condition true => at least one literal occurs (after Fold()) in
Fold() of one value of a field of that name (compared case-insensitively).
It returns None where no such set exists (the rule stays on the slow path).

    * AND: the requirement of one child (the probably most selective: long
      literals, fields that are not constant per log); NOT: none;
    * OR (also `1 of`, value lists, several conditions): the union, none if
      a child has none;
    * strings (all modifiers that yield SigmaString / SigmaExpansion:
      contains, startswith, endswith, all, windash, base64, base64offset,
      wide, cased): the plain text where the compiler compares lower-cased
      text, else the longest run of ASCII characters between wildcards;
    * re, cidr, numbers, comparisons, null, exists, fieldref: none.

Literal.Scanner runs one Aho-Corasick pass (pyahocorasick) per field value
over the literals of that field name and returns the rules worth evaluating.

Why Fold(): the evaluator matches case-insensitively with str.lower() and, for
wildcard patterns, with re.IGNORECASE, which also equates "i" with "ı" and
"İ", "s" with "ſ", "k" with the Kelvin sign. Fold() is str.lower() followed by
a per-character map of those to ASCII, so (1) a text that str.lower() finds is
found by Fold() and (2) an ASCII literal that re.IGNORECASE finds is found in
Fold(value) (tests/test_sigma_prefilter.py checks every code point). Regex
patterns and cased strings therefore contribute ASCII literals only.
"""

import re

from sigma import conditions as sigma_conditions
from sigma import types as sigma_types

try:
    import ahocorasick
except ImportError:  # pragma: no cover - a dependency; evaluate every rule
    ahocorasick = None

# Applied after str.lower(): the characters re.IGNORECASE equates with an
# ASCII letter but str.lower() does not; "İ".lower() is "i" + U+0307.
_FOLD_TABLE = {0x131: "i", 0x17F: "s", 0x307: None}

_ASCII_RUN = re.compile(r"[\x00-\x7f]+")

# An AND prefers the child whose shortest literal is longest, up to this.
_LONG_LITERAL = 8


def Fold(text):
    """Returns text folded for literal search (see the module docstring)."""
    folded = text.lower()
    if folded.isascii():
        return folded
    return folded.translate(_FOLD_TABLE)


def _LowerPath(value):
    """True if the compiler matches this string with str.lower() (no regex).

    Mirrors compiler._WildcardPredicate: no wildcard (equality), or one plain
    part with "*" before and/or after it (contains / startswith / endswith).
    """
    if isinstance(value, sigma_types.SigmaCasedString):
        return False
    multi = sigma_types.SpecialChars.WILDCARD_MULTI
    parts = list(value.s)
    plain = [part for part in parts if isinstance(part, str)]
    specials = [part for part in parts if not isinstance(part, str)]
    if not specials:
        return True
    if len(plain) != 1 or any(part != multi for part in specials):
        return False
    return parts[0] == multi or parts[-1] == multi


def _StringLiteral(value):
    """Returns a folded literal every match of a SigmaString contains, or None.

    Where the compiler compares lower-cased text, the whole plain text (any
    characters); otherwise the longest run of ASCII characters of a plain part.
    """
    if _LowerPath(value):
        text = "".join(part for part in value.s if isinstance(part, str))
        return Fold(text) or None
    best = ""
    for part in value.s:
        if isinstance(part, str):
            for run in _ASCII_RUN.findall(part):
                if len(run) > len(best):
                    best = run
    return best.lower() or None


def _ValueLiterals(value):
    """Returns {literal} one of which a matching value contains, or None."""
    if isinstance(value, sigma_types.SigmaExpansion):
        literals = set()
        for item in value.values:
            item_literals = _ValueLiterals(item)
            if item_literals is None:
                return None
            literals |= item_literals
        return literals or None
    if isinstance(value, sigma_types.SigmaString):
        literal = _StringLiteral(value)
        return None if literal is None else {literal}
    return None


# Fields that hold the same value on every record of a log (the engine's
# channel / event identifier index already covers them): poor filters.
_CONSTANT_FIELDS = frozenset(
    ["provider_name", "provider_guid", "eventsourcename", "channel", "eventid"]
)


def _Score(alternatives):
    """Sort key: lower is (probably) more selective."""
    shortest = min(len(literal) for _, literal in alternatives)
    constant = any(field in _CONSTANT_FIELDS for field, _ in alternatives)
    # Short literals (".exe") occur everywhere; past 8 characters, fewer
    # alternatives win.
    return (constant, -min(shortest, _LONG_LITERAL), len(alternatives))


def RequiredLiterals(node):
    """Returns frozenset{(field lower-case or None, literal)} or None."""
    if isinstance(node, sigma_conditions.ConditionAND):
        best = None
        for arg in node.args:
            alternatives = RequiredLiterals(arg)
            if alternatives and (best is None or _Score(alternatives) < _Score(best)):
                best = alternatives
        return best
    if isinstance(node, sigma_conditions.ConditionOR):
        union = set()
        for arg in node.args:
            alternatives = RequiredLiterals(arg)
            if not alternatives:
                return None
            union |= alternatives
        return frozenset(union) or None
    if isinstance(node, sigma_conditions.ConditionFieldEqualsValueExpression):
        literals = _ValueLiterals(node.value)
        if not literals:
            return None
        field = node.field.lower()
        return frozenset((field, literal) for literal in literals)
    if isinstance(node, sigma_conditions.ConditionValueExpression):
        literals = _ValueLiterals(node.value)
        if not literals:
            return None
        return frozenset((None, literal) for literal in literals)
    return None


def UnionOfConditions(trees):
    """Returns the requirement of a rule with several conditions (an OR)."""
    union = set()
    for tree in trees:
        alternatives = RequiredLiterals(tree)
        if not alternatives:
            return None
        union |= alternatives
    return frozenset(union) or None


class Scanner:
    """Finds, in one pass per field value, the rules whose literals occur."""

    def __init__(self):
        # field lower-case (None: any field) -> {literal: set(rule numbers)}
        self._literals = {}
        self._automata = None

    @staticmethod
    def Available():
        return ahocorasick is not None

    def Add(self, rule_number, alternatives):
        for field, literal in alternatives:
            self._literals.setdefault(field, {}).setdefault(literal, set()).add(
                rule_number
            )
        self._automata = None

    def _Build(self):
        automata = {}
        for field, literals in self._literals.items():
            automaton = ahocorasick.Automaton()
            for literal, rule_numbers in literals.items():
                automaton.add_word(literal, tuple(sorted(rule_numbers)))
            automaton.make_automaton()
            automata[field] = automaton
        self._any_field = automata.pop(None, None)
        self._automata = automata
        return automata

    def Hits(self, fields, to_text):
        """Returns the set of rule numbers whose literals occur in the fields.

        Args:
            fields (dict[str, object]): the event's fields (original names).
            to_text (callable): the evaluator's value -> text conversion.
        """
        automata = self._automata
        if automata is None:
            automata = self._Build()
        any_field = self._any_field
        hits = set()
        texts = []
        for name, value in fields.items():
            automaton = automata.get(name.lower())
            if automaton is None and any_field is None:
                continue
            text = to_text(value)
            if not text:
                continue
            text = Fold(text)
            if automaton is not None:
                for _, rule_numbers in automaton.iter(text):
                    hits.update(rule_numbers)
            if any_field is not None:
                texts.append(text)
        if texts:
            # One pass over all values; a literal found across the separator
            # only adds a candidate, never loses one.
            for _, rule_numbers in any_field.iter("\x00".join(texts)):
                hits.update(rule_numbers)
        return hits
