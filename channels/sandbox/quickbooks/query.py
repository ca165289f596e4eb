"""The QuickBooks query language, as much of it as the hub uses.

    SELECT * | COUNT(*) | field, ... FROM Entity
        [WHERE field op value [AND ...]] [ORDERBY field [ASC|DESC], ...]
        [STARTPOSITION n] [MAXRESULTS m]

Operators are =, <, >, <=, >=, IN (...) and LIKE with % wildcards. QuickBooks has no OR, no
JOIN and no !=; its parser rejects them (fault 4000), and a property that is not queryable is a
validation fault (4001). String comparisons ignore case, as QuickBooks' do. Without MAXRESULTS a
page holds 100 rows; more than 1000 is cut to 1000. Name-list entities (Item, Customer, Vendor,
Account) return only active rows unless the query filters on Active, which is QuickBooks'
documented default (`WHERE Active IN (true, false)` gets both).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from .faults import QboFault, query_invalid, query_parse
from .formats import decimal_of, parse_datetime

DEFAULT_PAGE = 100
MAX_PAGE = 1000

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<string>'(?:\\.|''|[^'\\])*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<op><=|>=|!=|<>|[=<>(),*])""",
    re.VERBOSE,
)
_KEYWORDS = frozenset(
    {"SELECT", "FROM", "WHERE", "AND", "OR", "ORDERBY", "ORDER", "BY", "ASC", "DESC", "STARTPOSITION",
     "MAXRESULTS", "IN", "LIKE", "COUNT", "JOIN", "TRUE", "FALSE", "NOT", "ITERATOR"}
)  # fmt: skip
_COMPARISONS = ("=", "<", ">", "<=", ">=")


@dataclass
class Token:
    kind: str  # KEYWORD, IDENT, STRING, NUMBER, OP, EOF
    text: str
    column: int


@dataclass
class Condition:
    field: str
    op: str  # =, <, >, <=, >=, IN, LIKE
    values: list[Any]


@dataclass
class Query:
    entity: str
    count: bool = False
    fields: list[str] | None = None  # None: SELECT *
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int = DEFAULT_PAGE
    max_given: bool = False


def _tokens(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            char = text[pos]
            raise query_parse(
                f"Invalid content. Lexical error at line 1, column {pos + 1}.  "
                f'Encountered: "{char}" ({ord(char)}), after : ""'
            )
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "ident" and value.upper() in _KEYWORDS:
            tokens.append(Token("KEYWORD", value.upper(), pos + 1))
        elif kind != "space":
            tokens.append(Token(kind.upper(), value, pos + 1))
        pos = match.end()
    tokens.append(Token("EOF", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def fail(self, token: Token) -> QboFault:
        if token.kind == "EOF":
            shown = '"<EOF>"'
        elif token.kind == "KEYWORD":
            shown = f'" <{token.text}> "{token.text} ""'
        elif token.kind == "IDENT":
            shown = f'" <IDENTIFIER> "{token.text} ""'
        else:
            shown = f'" "{token.text}" "{token.text} ""'
        return query_parse(f"Encountered {shown} at line 1, column {token.column}.")

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        if token.kind == "KEYWORD" and token.text in words:
            self.pos += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise self.fail(self.peek())

    def expect_op(self, op: str) -> None:
        token = self.take()
        if token.kind != "OP" or token.text != op:
            raise self.fail(token)

    def ident(self) -> str:
        token = self.take()
        if token.kind != "IDENT":
            raise self.fail(token)
        return token.text

    def integer(self) -> int:
        token = self.take()
        if token.kind != "NUMBER" or "." in token.text:
            raise self.fail(token)
        return int(token.text)

    def value(self) -> Any:
        token = self.take()
        if token.kind == "STRING":
            inner = token.text[1:-1]
            return re.sub(r"\\(.)", r"\1", inner).replace("''", "'")
        if token.kind == "NUMBER":
            return Decimal(token.text)
        if token.kind == "KEYWORD" and token.text in ("TRUE", "FALSE"):
            return token.text == "TRUE"
        raise self.fail(token)

    def parse(self) -> Query:
        if self.peek().kind == "EOF":
            raise query_parse("The query provided was empty")
        self.expect_keyword("SELECT")
        count = False
        fields: list[str] | None = None
        if self.keyword("COUNT"):
            self.expect_op("(")
            self.expect_op("*")
            self.expect_op(")")
            count = True
        elif self.peek().kind == "OP" and self.peek().text == "*":
            self.take()
        else:
            fields = [self.ident()]
            while self.peek().kind == "OP" and self.peek().text == ",":
                self.take()
                fields.append(self.ident())
        self.expect_keyword("FROM")
        query = Query(entity=self.ident(), count=count, fields=fields)
        if self.keyword("WHERE"):
            query.conditions.append(self.condition())
            while self.keyword("AND"):
                query.conditions.append(self.condition())
        seen: set[str] = set()
        while self.peek().kind != "EOF":
            token = self.peek()
            if token.kind != "KEYWORD" or token.text in seen:
                raise self.fail(token)
            if self.keyword("ORDERBY") or (self.keyword("ORDER") and self._by()):
                seen.add("ORDERBY")
                query.order.append(self.order_term())
                while self.peek().kind == "OP" and self.peek().text == ",":
                    self.take()
                    query.order.append(self.order_term())
            elif self.keyword("STARTPOSITION"):
                seen.add("STARTPOSITION")
                query.start = max(1, self.integer())
            elif self.keyword("MAXRESULTS"):
                seen.add("MAXRESULTS")
                query.max_results = max(0, min(MAX_PAGE, self.integer()))
                query.max_given = True
            else:
                raise self.fail(token)
        return query

    def _by(self) -> bool:
        self.expect_keyword("BY")
        return True

    def order_term(self) -> tuple[str, bool]:
        name = self.ident()
        if self.keyword("DESC"):
            return name, True
        self.keyword("ASC")
        return name, False

    def condition(self) -> Condition:
        name = self.ident()
        token = self.take()
        if token.kind == "OP" and token.text in _COMPARISONS:
            return Condition(name, token.text, [self.value()])
        if token.kind == "KEYWORD" and token.text == "IN":
            self.expect_op("(")
            values = [self.value()]
            while self.peek().kind == "OP" and self.peek().text == ",":
                self.take()
                values.append(self.value())
            self.expect_op(")")
            return Condition(name, "IN", values)
        if token.kind == "KEYWORD" and token.text == "LIKE":
            pattern = self.value()
            if not isinstance(pattern, str):
                raise self.fail(self.tokens[self.pos - 1])
            return Condition(name, "LIKE", [pattern])
        raise self.fail(token)


def parse(text: str) -> Query:
    return _Parser(text).parse()


# --------------------------------------------------------------------------------------------
# Evaluation

_NUMERIC = re.compile(r"-?\d+(?:\.\d+)?")


def field_value(obj: dict[str, Any], path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, dict) and "value" in value:  # a reference compares by its id
        return value["value"]
    return value


class _Operand:
    """A literal from the query, prepared once for comparing with many rows."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.number = None if isinstance(raw, bool) else decimal_of(raw)
        self.text = str(raw).lower() if isinstance(raw, bool) else str(raw).casefold()
        self._when: datetime | None = None

    def when(self) -> datetime:
        if self._when is None:
            parsed = self.raw if isinstance(self.raw, datetime) else parse_datetime(str(self.raw))
            if parsed is None:
                raise query_invalid(f"Invalid date/time value: {self.raw}")
            self._when = parsed
        return self._when


def _order(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def _compare(left: Any, right: _Operand) -> int | None:
    """-1/0/1 as QuickBooks would order the two, or None when they cannot be compared."""
    if left is None:
        return None
    if isinstance(left, str):
        if right.number is not None and _NUMERIC.fullmatch(left):
            return _order(Decimal(left), right.number)
        return _order(left.casefold(), right.text)
    if isinstance(left, bool):
        other = right.raw if isinstance(right.raw, bool) else right.text == "true"
        return _order(left, other)
    if isinstance(left, datetime):
        return _order(left, right.when())
    if isinstance(left, int | float):
        if right.number is None:
            return None
        return _order(Decimal(str(left)), right.number)
    return _order(str(left).casefold(), right.text)


def _like(pattern: str) -> re.Pattern[str]:
    regex = "^" + ".*".join(re.escape(part) for part in pattern.split("%")) + "$"
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


_TESTS: dict[str, Callable[[int], bool]] = {
    "=": lambda r: r == 0,
    "<": lambda r: r < 0,
    ">": lambda r: r > 0,
    "<=": lambda r: r <= 0,
    ">=": lambda r: r >= 0,
}


def _predicate(
    cond: Condition, time_of: Callable[[dict[str, Any], str], Any]
) -> Callable[[dict[str, Any]], bool]:
    name = cond.field
    if name.startswith("MetaData."):

        def value(obj: dict[str, Any]) -> Any:
            return time_of(obj, name)

    elif "." in name:

        def value(obj: dict[str, Any]) -> Any:
            return field_value(obj, name)

    else:

        def value(obj: dict[str, Any]) -> Any:
            found = obj.get(name)
            return found["value"] if isinstance(found, dict) and "value" in found else found

    if cond.op == "LIKE":
        pattern = _like(str(cond.values[0]))
        return lambda obj: (left := value(obj)) is not None and pattern.match(str(left)) is not None
    operands = [_Operand(v) for v in cond.values]
    if cond.op == "IN":
        return lambda obj: any(_compare(value(obj), operand) == 0 for operand in operands)
    operand, test = operands[0], _TESTS[cond.op]

    def generic(obj: dict[str, Any]) -> bool:
        result = _compare(value(obj), operand)
        return result is not None and test(result)

    if cond.op == "=" and "." not in name and operand.number is None and not isinstance(operand.raw, bool):
        text = operand.text

        def equals(obj: dict[str, Any]) -> bool:  # the hub's lookups by Sku or Name, kept cheap
            found = obj.get(name)
            return found.casefold() == text if isinstance(found, str) else generic(obj)

        return equals
    return generic


def _sort_key(obj: dict[str, Any], name: str) -> tuple[int, Any]:
    value = field_value(obj, name)
    if value is None:
        return (2, "")
    if isinstance(value, str):
        if _NUMERIC.fullmatch(value):
            return (0, Decimal(value))
        return (1, value.casefold())
    if isinstance(value, bool):
        return (1, str(value).lower())
    if isinstance(value, int | float):
        return (0, Decimal(str(value)))
    return (1, str(value).casefold())


def _candidates(
    objects: Mapping[str, dict[str, Any]], conditions: list[Condition]
) -> Iterable[dict[str, Any]]:
    """Rows worth testing: a condition on Id picks them by key instead of a scan."""
    for cond in conditions:
        if cond.field == "Id" and cond.op in ("=", "IN"):
            keys = {str(v).removesuffix(".0") if isinstance(v, Decimal) else str(v) for v in cond.values}
            return [objects[key] for key in sorted(keys) if key in objects]
    return objects.values()


def run(
    query: Query,
    entity: str,
    objects: Mapping[str, dict[str, Any]],
    *,
    filterable: frozenset[str],
    name_list: bool,
    time_of: Callable[[dict[str, Any], str], Any],
) -> dict[str, Any]:
    """The `QueryResponse` for a parsed query over one entity's objects (keyed by Id)."""
    for cond in query.conditions:
        if cond.field not in filterable:
            raise query_invalid(f"property '{cond.field}' is not queryable")
    conditions = list(query.conditions)
    if name_list and not any(cond.field == "Active" for cond in conditions):
        conditions.append(Condition("Active", "=", [True]))
    tests = [_predicate(cond, time_of) for cond in conditions]
    rows = [obj for obj in _candidates(objects, conditions) if all(test(obj) for test in tests)]
    if query.count:
        return {"totalCount": len(rows)}
    rows.sort(key=partial(_sort_key, name="Id"))
    for name, descending in reversed(query.order):
        rows.sort(key=partial(_sort_key, name=name), reverse=descending)
    page = rows[query.start - 1 : query.start - 1 + query.max_results]
    if not page:
        return {}
    if query.fields is not None:
        page = [_project(obj, query.fields) for obj in page]
    return {entity: page, "startPosition": query.start, "maxResults": len(page)}


def _project(obj: dict[str, Any], names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        top = name.split(".")[0]
        if top in obj:
            out[top] = obj[top]
    out["domain"] = obj.get("domain", "QBO")
    out["sparse"] = True
    return out
