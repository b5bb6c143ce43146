"""Compiles pySigma's parsed condition tree into Python predicates.

pySigma parses the rule and applies the value modifiers (contains, startswith,
endswith, all, windash, base64, base64offset, wide/utf16*, cased, re with its
i/m/s flags, cidr, exists, gt/gte/lt/lte, fieldref). What reaches us is a tree
of ConditionAND / ConditionOR / ConditionNOT nodes with field = value leaves
whose values are typed (SigmaString with wildcards, SigmaRegularExpression,
SigmaCIDRExpression, SigmaExpansion, ...). This module turns the tree into a
nest of closures over a `fields` dict (see plaso_netsupport/evtx.py), once per rule, so that
matching an event is plain Python string operations.

Semantics (as Sigma backends for Windows logs implement them):
    * strings match case-insensitively (the `cased` modifier matches exactly);
        `*` and `?` are wildcards, `\\*` `\\?` literal;
    * `re` is an unanchored search, case-sensitive unless `re|i`;
    * a missing field matches nothing except `null` / `exists: false`;
    * keywords (values without a field) are case-insensitive substring /
        wildcard searches over all field values.

Anything else raises UnsupportedError naming the construct.
"""

import ipaddress
import re

from sigma import conditions as sigma_conditions
from sigma import types as sigma_types


class UnsupportedError(Exception):
    """A construct of a rule the evaluator cannot evaluate."""


# Longest field value a pattern is applied to (bounds regex time on hostile
# input; Windows event data values are far shorter).
MAXIMUM_VALUE_LENGTH = 256 * 1024


# The engine stores the original (un-aliased) fields under this key, so that
# keyword searches do not visit aliases twice.
KEYWORD_VALUES_KEY = "\x00fields"


def _WildcardPredicate(parts, cased):
    """Returns a predicate str -> bool for a SigmaString's parts."""
    multi = sigma_types.SpecialChars.WILDCARD_MULTI
    single = sigma_types.SpecialChars.WILDCARD_SINGLE
    for part in parts:
        if not isinstance(part, (str, sigma_types.SpecialChars)):
            raise UnsupportedError(
                f"unresolved placeholder {getattr(part, 'name', part)!r} "
                "(the expand modifier needs a processing pipeline)"
            )

    plain = [part for part in parts if isinstance(part, str)]
    specials = [part for part in parts if not isinstance(part, str)]
    text = "".join(plain)
    folded = text if cased else text.lower()

    if not specials:
        if cased:
            return lambda value: value == text
        return lambda value: value.lower() == folded

    if single not in specials and len(plain) == 1:
        # Only "*" wildcards around one plain part: contains / startswith / endswith.
        starts = parts[0] == multi
        ends = parts[-1] == multi
        inner = [part for part in parts if part != multi]
        if len(inner) == 1 and (starts or ends):
            if not cased:
                if starts and ends:
                    return lambda value: folded in value.lower()
                if starts:
                    return lambda value: value.lower().endswith(folded)
                return lambda value: value.lower().startswith(folded)
            if starts and ends:
                return lambda value: text in value
            if starts:
                return lambda value: value.endswith(text)
            return lambda value: value.startswith(text)
    if plain == [] and all(part == multi for part in parts):
        return lambda value: True

    pattern = []
    for part in parts:
        if part == multi:
            pattern.append(".*")
        elif part == single:
            pattern.append(".")
        else:
            pattern.append(re.escape(part))
    flags = re.DOTALL if cased else re.DOTALL | re.IGNORECASE
    compiled = re.compile("".join(pattern), flags)
    return lambda value: compiled.fullmatch(value) is not None


def ToText(value):
    """Returns a field value as text, or None."""
    if value is None:
        return None
    if isinstance(value, str):
        return (
            value
            if len(value) <= MAXIMUM_VALUE_LENGTH
            else value[:MAXIMUM_VALUE_LENGTH]
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _ToNumber(value):
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    try:
        if text[:2].lower() == "0x":
            return int(text, 16)
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


def _ValuePredicate(value):
    """Returns a predicate over a field's value (text) for a Sigma value."""
    if isinstance(value, sigma_types.SigmaExpansion):
        predicates = [_ValuePredicate(item) for item in value.values]
        return lambda text: any(predicate(text) for predicate in predicates)

    if isinstance(value, sigma_types.SigmaString):
        cased = isinstance(value, sigma_types.SigmaCasedString)
        return _WildcardPredicate(list(value.s), cased)

    if isinstance(value, sigma_types.SigmaRegularExpression):
        flags = 0
        for flag in value.flags:
            flags |= sigma_types.SigmaRegularExpression.sigma_to_python_flags[flag]
        try:
            compiled = re.compile(str(value.regexp), flags)
        except re.error as exception:
            raise UnsupportedError(
                f"regular expression {str(value.regexp)!r}: {exception}"
            )
        return lambda text: compiled.search(text) is not None

    if isinstance(value, sigma_types.SigmaBool):
        expected = "true" if value.boolean else "false"
        return lambda text: text.strip().lower() in (
            expected,
            "1" if value.boolean else "0",
        )

    if isinstance(value, sigma_types.SigmaTimestampPart):
        raise UnsupportedError(
            "timestamp part modifiers (minute, hour, ...) are not supported"
        )

    if isinstance(value, sigma_types.SigmaNumber):
        number = value.number
        expected_text = str(number)

        def _Number(text):
            if text == expected_text:
                return True
            return _ToNumber(text) == number

        return _Number

    if isinstance(value, sigma_types.SigmaCIDRExpression):
        network = value.network

        def _Cidr(text):
            try:
                return ipaddress.ip_address(text.strip().strip("[]")) in network
            except ValueError:
                return False

        return _Cidr

    if isinstance(value, sigma_types.SigmaCompareExpression):
        number = value.number.number
        operator = value.op
        operators = sigma_types.CompareOperators
        comparisons = {
            operators.LT: lambda left: left < number,
            operators.LTE: lambda left: left <= number,
            operators.GT: lambda left: left > number,
            operators.GTE: lambda left: left >= number,
            operators.NEQ: lambda left: left != number,
        }
        comparison = comparisons[operator]

        def _Compare(text):
            left = _ToNumber(text)
            return left is not None and comparison(left)

        return _Compare

    raise UnsupportedError(f"value type {type(value).__name__} is not supported")


def _FieldGetter(field_name):
    """Returns a function fields -> text or None (exact name, then case-insensitive)."""
    lowered = field_name.lower()

    def _Get(fields):
        value = fields.get(field_name)
        if value is None:
            # The engine adds lower-case aliases of every field name.
            value = fields.get(lowered)
        return ToText(value)

    return _Get


def _CompileFieldEquals(node):
    get = _FieldGetter(node.field)
    value = node.value

    if isinstance(value, sigma_types.SigmaNull):

        def _Null(fields):
            text = get(fields)
            return text is None or text == ""

        return _Null

    if isinstance(value, sigma_types.SigmaExists):
        expected = bool(value.exists)
        return lambda fields: (get(fields) is not None) == expected

    if isinstance(value, sigma_types.SigmaFieldReference):
        other = _FieldGetter(value.field)
        starts, ends = value.starts_with, value.ends_with

        def _Reference(fields):
            left, right = get(fields), other(fields)
            if left is None or right is None:
                return False
            left, right = left.lower(), right.lower()
            if starts and ends:
                return right in left
            if starts:
                return left.startswith(right)
            if ends:
                return left.endswith(right)
            return left == right

        return _Reference

    predicate = _ValuePredicate(value)

    def _Field(fields):
        text = get(fields)
        return text is not None and predicate(text)

    return _Field


def _CompileKeyword(node):
    value = node.value
    if isinstance(value, sigma_types.SigmaString) and not isinstance(
        value, sigma_types.SigmaCasedString
    ):
        parts = list(value.s)
        multi = sigma_types.SpecialChars.WILDCARD_MULTI
        # A keyword is a full-text search: surround it with implicit wildcards.
        if not parts or parts[0] != multi:
            parts.insert(0, multi)
        if parts[-1] != multi:
            parts.append(multi)
        predicate = _WildcardPredicate(parts, False)
    else:
        predicate = _ValuePredicate(value)

    def _Keyword(fields):
        for candidate in fields.get(KEYWORD_VALUES_KEY, fields).values():
            text = ToText(candidate)
            if text is not None and predicate(text):
                return True
        return False

    return _Keyword


def Compile(node):
    """Compiles a pySigma condition tree into a predicate fields -> bool.

    Raises:
        UnsupportedError: for constructs this evaluator does not support.
    """
    if node is None:
        raise UnsupportedError("the condition is empty")
    if isinstance(node, sigma_conditions.ConditionAND):
        children = tuple(Compile(arg) for arg in node.args)
        return lambda fields: all(child(fields) for child in children)
    if isinstance(node, sigma_conditions.ConditionOR):
        children = tuple(Compile(arg) for arg in node.args)
        return lambda fields: any(child(fields) for child in children)
    if isinstance(node, sigma_conditions.ConditionNOT):
        child = Compile(node.args[0])
        return lambda fields: not child(fields)
    if isinstance(node, sigma_conditions.ConditionFieldEqualsValueExpression):
        return _CompileFieldEquals(node)
    if isinstance(node, sigma_conditions.ConditionValueExpression):
        return _CompileKeyword(node)
    raise UnsupportedError(f"condition element {type(node).__name__} is not supported")


def RequiredEventIdentifiers(node):
    """Returns the EventID values a condition tree requires, or None if any.

    Used to index rules: a rule whose condition is `EventID: 7045 and ...`
    can only match events with identifier 7045.
    """
    if isinstance(node, sigma_conditions.ConditionFieldEqualsValueExpression):
        if node.field.lower() == "eventid":
            value = node.value
            if isinstance(value, sigma_types.SigmaNumber) and not isinstance(
                value, sigma_types.SigmaTimestampPart
            ):
                return {int(value.number)}
            if (
                isinstance(value, sigma_types.SigmaString)
                and not value.contains_special()
            ):
                try:
                    return {int(value.to_plain())}
                except ValueError:
                    return None
        return None
    if isinstance(node, sigma_conditions.ConditionAND):
        result = None
        for arg in node.args:
            required = RequiredEventIdentifiers(arg)
            if required is not None:
                result = required if result is None else result & required
        return result
    if isinstance(node, sigma_conditions.ConditionOR):
        result = set()
        for arg in node.args:
            required = RequiredEventIdentifiers(arg)
            if required is None:
                return None
            result |= required
        return result
    return None
