"""The subset of Shopify's search syntax the connections' `query` argument needs.

Supported: `field:value`, comparisons `field:>value` (also >=, <, <=), quoted values, a trailing
`*` for prefix matches, negation with a leading `-` or `NOT`, implicit AND, and `OR` between
terms. Bare words match the resource's default text fields. Unknown fields are ignored, as
Shopify ignores them (it adds a search warning this sandbox does not emit). Parentheses are not
supported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

_TERM = re.compile(r"^(?P<neg>-)?(?:(?P<field>[A-Za-z_][\w.]*):)?(?P<op>>=|<=|>|<)?(?P<value>.*)$", re.S)


@dataclass(frozen=True)
class Term:
    field: str | None
    op: str
    value: str
    negate: bool


class UnknownField(KeyError):
    """Raised by a resource's field getter for a field it does not search on."""


def _tokens(query: str) -> list[str]:
    tokens: list[str] = []
    current = ""
    quote = ""
    for char in query:
        if quote:
            current += char
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
            current += char
        elif char.isspace():
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    if current:
        tokens.append(current)
    return tokens


@lru_cache(maxsize=512)
def parse(query: str | None) -> tuple[tuple[Term, ...], ...]:
    """An OR of AND groups; an empty query is one empty group, which matches everything."""
    groups: list[list[Term]] = [[]]
    negate_next = False
    for token in _tokens(query or ""):
        if token == "OR":
            groups.append([])
            continue
        if token == "AND":
            continue
        if token == "NOT":
            negate_next = True
            continue
        match = _TERM.match(token)
        if match is None:  # pragma: no cover - the pattern accepts every string
            continue
        value = match["value"]
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        groups[-1].append(Term(match["field"], match["op"] or "=", value, bool(match["neg"]) or negate_next))
        negate_next = False
    return tuple(tuple(group) for group in groups if group) or ((),)


def exact_values(query: str | None, field: str) -> set[str] | None:
    """The values a query pins `field` to (plain `field:value` in its only group), so callers can
    start from an index instead of a scan; None when the query does not pin it."""
    groups = parse(query)
    if len(groups) != 1:
        return None
    for term in groups[0]:
        if term.field == field and term.op == "=" and not term.negate and not term.value.endswith("*"):
            return {term.value.casefold()}
    return None


def _as_datetime(text: str) -> datetime | None:
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _compare(actual: Any, op: str, wanted: Any) -> bool:
    if op == ">":
        return bool(actual > wanted)
    if op == ">=":
        return bool(actual >= wanted)
    if op == "<":
        return bool(actual < wanted)
    if op == "<=":
        return bool(actual <= wanted)
    return bool(actual == wanted)


def _term_matches(actual: Any, term: Term) -> bool:
    if isinstance(actual, list | tuple):
        return any(_term_matches(one, term) for one in actual)
    if actual is None:
        return False
    if isinstance(actual, bool):
        return term.value.lower() == str(actual).lower()
    if isinstance(actual, datetime):
        wanted_time = _as_datetime(term.value)
        return wanted_time is not None and _compare(actual, term.op, wanted_time)
    if isinstance(actual, int):
        try:
            wanted_number = int(term.value.rsplit("/", 1)[-1])  # accepts gids for id fields
        except ValueError:
            return False
        return _compare(actual, term.op, wanted_number)
    text = str(actual).casefold()
    wanted = term.value.casefold()
    if wanted.endswith("*"):
        return text.startswith(wanted[:-1])
    if term.op != "=":
        return _compare(text, term.op, wanted)
    return text == wanted


def matcher(query: str | None, fields: Callable[[Any, str | None], Any]) -> Callable[[Any], bool]:
    """A predicate over resources; `fields(resource, name)` returns a field's value (name None:
    the default text fields as a list) or raises UnknownField."""
    groups = parse(query)

    def matches(resource: Any) -> bool:
        for group in groups:
            ok = True
            for term in group:
                try:
                    actual = fields(resource, term.field)
                except UnknownField:
                    continue
                if term.field is None:
                    hit = any(term.value.casefold().rstrip("*") in str(v).casefold() for v in actual)
                else:
                    hit = _term_matches(actual, term)
                if hit == term.negate:
                    ok = False
                    break
            if ok:
                return True
        return False

    return matches
