"""graphql-core's errors reworded the way Shopify's GraphQL server (graphql-ruby) words them.

Shapes come from recorded Shopify answers: PARSE_ERROR for syntax, undefinedField,
selectionMismatch, missingRequiredArguments, argumentNotAccepted for validation, and
INVALID_VARIABLE with `problems` for bad variables. All are answered with HTTP 200. Messages
this module does not recognise keep graphql-core's wording.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, print_ast

logger = logging.getLogger(__name__)


def _locations(error: GraphQLError) -> list[dict[str, int]]:
    return [{"line": loc.line, "column": loc.column} for loc in error.locations or ()]


def syntax_error(error: GraphQLError) -> dict[str, Any]:
    locations = _locations(error)
    where = f" at [{locations[0]['line']}, {locations[0]['column']}]" if locations else ""
    found = re.search(r"(?:found|Unexpected) (.+?)\.?$", error.message)
    token = found.group(1) if found else "token"
    token = "end of file" if token == "<EOF>" else token
    return {
        "message": f"syntax error, unexpected {token}{where}",
        "locations": locations,
        "extensions": {"code": "PARSE_ERROR"},
    }


_VALIDATION_RULES: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"^Field '(\w+)' of type '\[*(\w+)[!\]]*' must have a selection of subfields"),
        lambda m: (
            f"Field must have selections (field '{m[1]}' returns {m[2]} but has no selections. "
            f"Did you mean '{m[1]} {{ ... }}'?)",
            {"code": "selectionMismatch", "nodeName": f"field '{m[1]}'", "typeName": m[2]},
        ),
    ),
    (
        re.compile(r"^Cannot query field '(\w+)' on type '(\w+)'"),
        lambda m: (
            f"Field '{m[1]}' doesn't exist on type '{m[2]}'",
            {"code": "undefinedField", "typeName": m[2], "fieldName": m[1]},
        ),
    ),
    (
        re.compile(r"^Argument '\w+\.(\w+)\((\w+):\)' of type '.+' is required"),
        lambda m: (
            f"Field '{m[1]}' is missing required arguments: {m[2]}",
            {"code": "missingRequiredArguments", "className": "Field", "name": m[1], "arguments": m[2]},
        ),
    ),
    (
        re.compile(r"^Unknown argument '(\w+)' on field '\w+\.(\w+)'"),
        lambda m: (
            f"Field '{m[2]}' doesn't accept argument '{m[1]}'",
            {"code": "argumentNotAccepted", "name": m[2], "typeName": "Field", "argumentName": m[1]},
        ),
    ),
    (
        re.compile(r"^Unknown directive '@(\w+)'"),
        lambda m: (
            f"Directive @{m[1]} is not defined",
            {"code": "undefinedDirective", "directiveName": m[1]},
        ),
    ),
    (
        re.compile(r"^Variable '\$(\w+)' is never used"),
        lambda m: (
            f"Variable ${m[1]} is declared but not used",
            {"code": "variableNotUsed", "variableName": m[1]},
        ),
    ),
    (
        re.compile(r"^(Expected value of type|\w+ cannot represent)"),
        lambda m: (None, {"code": "argumentLiteralsIncompatible"}),
    ),
]


def validation_error(error: GraphQLError) -> dict[str, Any]:
    message, extensions = error.message, None
    for pattern, build in _VALIDATION_RULES:
        match = pattern.search(error.message)
        if match:
            new_message, extensions = build(match)
            message = new_message or message
            break
    result: dict[str, Any] = {"message": message, "locations": _locations(error)}
    if extensions:
        result["extensions"] = extensions
    return result


_VARIABLE = re.compile(r"^Variable '\$(\w+)' has invalid value(?: at (\S+))?: (.*)$", re.S)
_UNKNOWN_FIELD = re.compile(r"^Expected value of type '(\w+)' not to include unknown field '(\w+)'")


def _path(text: str | None) -> list[str | int]:
    parts: list[str | int] = []
    for name, index in re.findall(r"\.(\w+)|\[(\d+)\]", text or ""):
        parts.append(int(index) if index else name)
    return parts


def variable_error(
    error: GraphQLError, operation: OperationDefinitionNode, raw: dict[str, Any]
) -> dict[str, Any]:
    match = _VARIABLE.match(error.message)
    if match is None:
        return {
            "message": error.message,
            "locations": _locations(error),
            "extensions": {"code": "INVALID_VARIABLE"},
        }
    name, path_text, explanation = match.groups()
    path = _path(path_text)
    unknown = _UNKNOWN_FIELD.match(explanation)
    if unknown:
        path.append(unknown[2])
        explanation = f"Field is not defined on {unknown[1]}"
    elif explanation.startswith("Expected a value of non-null type") or explanation.startswith(
        "Expected value of non-null"
    ):
        explanation = "Expected value to not be null"
    type_text = next(
        (print_ast(d.type) for d in operation.variable_definitions or () if d.variable.name.value == name),
        "?",
    )
    where = f" for {'.'.join(str(p) for p in path)} ({explanation})" if path else ""
    return {
        "message": f"Variable ${name} of type {type_text} was provided invalid value{where}",
        "locations": _locations(error),
        "extensions": {
            "code": "INVALID_VARIABLE",
            "value": raw.get(name),
            "problems": [{"path": path, "explanation": explanation}],
        },
    }


def execution_error(error: GraphQLError) -> dict[str, Any]:
    """A resolver's GraphQLError as Shopify shapes it; an unexpected exception is logged and
    answered as Shopify's internal error, never as a crash."""
    original = error.original_error
    if original is not None and not isinstance(original, GraphQLError):
        logger.error("shopify sandbox resolver failed at %s", error.path, exc_info=original)
        return {
            "message": "Internal error. Looks like something went wrong on our end.",
            "locations": _locations(error),
            "path": error.path,
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
    result: dict[str, Any] = {"message": error.message, "locations": _locations(error)}
    if error.extensions:
        result["extensions"] = dict(error.extensions)
    if error.path:
        result["path"] = list(error.path)
    return result
