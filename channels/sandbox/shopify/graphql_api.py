"""POST /admin/api/<version>/graphql.json: parse, validate, price, throttle, execute.

Documents are parsed and validated once per (schema shape, query text) and cached, which keeps a
small query well under a millisecond. The cost bucket is charged the requested cost before the
query runs and refunded the difference once the actual cost is known; every answer carries
`extensions.cost`. Syntax, validation and variable errors are answered with HTTP 200 and no cost,
as Shopify does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, TypeGuard

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    execute,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.utilities import get_operation_ast
from werkzeug.wrappers import Request, Response

from channels.sandbox.kit import ApiError, json_response

from . import gql_errors, resolvers, schema
from .cost import actual_cost, requested_cost, size_variables
from .views import GqlContext

if TYPE_CHECKING:
    from .app import ShopifySandbox

MAX_QUERY_COST = 1000
MAX_QUERY_BYTES = 1_000_000
DOCS = "https://shopify.dev/api/usage/rate-limits"


@cache
def executable_schema(era: str) -> GraphQLSchema:
    return resolvers.bind(schema.schema_for(era))


@lru_cache(maxsize=1024)
def _prepare(era: str, query: str) -> tuple[DocumentNode | None, tuple[dict[str, Any], ...]]:
    try:
        document = parse(query, max_tokens=50_000)
    except GraphQLError as exc:
        return None, (gql_errors.syntax_error(exc),)
    errors = validate(executable_schema(era), document)
    return document, tuple(gql_errors.validation_error(e) for e in errors)


def _never_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    """Every resolver here is synchronous; saying so spares graphql-core a check per field."""
    return False


@lru_cache(maxsize=4096)
def _requested_cost(
    era: str, query: str, operation_name: str | None, sizes: tuple[tuple[str, Any], ...]
) -> int:
    """Requested cost depends only on the document and the page-size variables, so it is cached."""
    document, _ = _prepare(era, query)
    assert document is not None
    operation = get_operation_ast(document, operation_name)
    assert operation is not None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    variables = {name: [None] * value[0] if isinstance(value, tuple) else value for name, value in sizes}
    return requested_cost(executable_schema(era), operation, fragments, variables)


@lru_cache(maxsize=1024)
def _size_variable_names(era: str, query: str, operation_name: str | None) -> tuple[str, ...]:
    document, _ = _prepare(era, query)
    operation = get_operation_ast(document, operation_name) if document else None
    return size_variables(operation) if operation else ()


def _sizes(names: tuple[str, ...], values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    sizes = []
    for name in names:
        value = values.get(name)
        # Lists (ids) only count by length; a tuple marks one, to stay hashable.
        sizes.append((name, (len(value),) if isinstance(value, list) else value))
    return tuple(sizes)


def _root_fields(operation: OperationDefinitionNode) -> list[FieldNode]:
    return [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]


class GraphQLEndpoint:
    def __init__(self, platform: ShopifySandbox) -> None:
        self.platform = platform

    def _read(self, request: Request) -> tuple[str, dict[str, Any], str | None]:
        if request.content_length and request.content_length > MAX_QUERY_BYTES:
            raise ApiError(json_response({"errors": "Request body too large"}, status=413))
        raw = request.get_data(as_text=True)
        if request.mimetype == "application/graphql":
            return raw, {}, None
        try:
            body = json.loads(raw) if raw else None
        except ValueError as exc:
            raise ApiError(json_response({"errors": "Invalid JSON in request body"}, status=400)) from exc
        if not isinstance(body, dict):
            body = {}
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            raise ApiError(
                json_response({"errors": {"query": "Required parameter missing or invalid"}}, status=400)
            )
        variables = body.get("variables") or {}
        if isinstance(variables, str):
            try:
                variables = json.loads(variables)
            except ValueError:
                variables = None
        if not isinstance(variables, dict):
            raise ApiError(json_response({"errors": {"variables": "Invalid variables"}}, status=400))
        name = body.get("operationName")
        return query, variables, name if isinstance(name, str) and name else None

    def handle(self, request: Request, version: str) -> Response:
        platform = self.platform
        era = schema.era_of(version)
        query, variables, operation_name = self._read(request)
        document, errors = _prepare(era, query)
        if errors or document is None:
            return self._answer({"errors": list(errors)}, version)
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f'No operation named "{operation_name}"'
                if operation_name
                else "An operation name is required"
            )
            return self._answer({"errors": [{"message": message}]}, version)
        gql_schema = executable_schema(era)
        coerced = get_variable_values(gql_schema, operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            problems = [gql_errors.variable_error(e, operation, variables) for e in coerced]
            return self._answer({"errors": problems}, version)
        values = coerced.coerced
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        roots = _root_fields(operation)
        fault = None
        for field in roots:
            platform.note_operation(request, field.name.value)
            fault = fault or platform.take_operation_fault(request, field.name.value)
        names = _size_variable_names(era, query, operation_name)
        requested = _requested_cost(era, query, operation_name, _sizes(names, values))
        if requested > MAX_QUERY_COST:
            return self._answer(self._too_costly(requested), version)
        if fault == "error":
            return platform.fault_response("error", request)
        if fault == "timeout":
            time.sleep(platform.knobs.timeout_seconds)
            return Response("upstream timeout", status=504)
        with platform.lock:
            now = platform.clock.now()
            bucket = platform.cost_bucket
            if fault == "throttle" or not bucket.try_spend(requested, now):
                bucket.refill(now)
                return self._answer(self._throttled(requested), version)
            size_errors = self._size_errors(gql_schema, roots, coerced)
            if size_errors:
                cost = {
                    "requestedQueryCost": requested,
                    "actualQueryCost": requested,
                    "throttleStatus": bucket.status(),
                }
                return self._answer({"errors": size_errors, "extensions": {"cost": cost}}, version)
            context = GqlContext(platform, platform.store, request, version, era, now)
            result = execute(
                gql_schema,
                document,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
                is_awaitable=_never_awaitable,
            )
            assert isinstance(result, ExecutionResult)
            actual = min(requested, actual_cost(gql_schema, operation, fragments, values, result.data))
            bucket.refund(requested - actual)
            cost = {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": bucket.status(),
            }
            events = list(context.events)
        platform.publish(events)
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [gql_errors.execution_error(e) for e in result.errors]
        payload["data"] = result.data
        payload["extensions"] = {"cost": cost}
        if fault == "lost":
            time.sleep(platform.knobs.timeout_seconds)
            return Response("upstream timeout", status=504)
        return self._answer(payload, version)

    def _size_errors(
        self, gql_schema: GraphQLSchema, roots: list[FieldNode], variables: VariableValues
    ) -> list[dict[str, Any]]:
        mutation = gql_schema.mutation_type
        errors: list[dict[str, Any]] = []
        for field in roots:
            path = resolvers.SIZE_LIMITS.get(field.name.value)
            if path is None or mutation is None or field.name.value not in mutation.fields:
                continue
            try:
                args = get_argument_values(mutation.fields[field.name.value], field, variables)
            except GraphQLError:
                continue
            value: Any = args
            for part in path:
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, list) and len(value) > resolvers.MAX_INPUT:
                loc = field.loc.source.get_location(field.loc.start) if field.loc else None
                errors.append(
                    {
                        "message": f"The input array size of {len(value)} is greater than the maximum "
                        f"allowed of {resolvers.MAX_INPUT}.",
                        "locations": [{"line": loc.line, "column": loc.column}] if loc else [],
                        "path": [field.name.value, *path],
                        "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
                    }
                )
        return errors

    def _throttled(self, requested: int) -> dict[str, Any]:
        status = self.platform.cost_bucket.status()
        return {
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": DOCS}}],
            "extensions": {
                "cost": {"requestedQueryCost": requested, "actualQueryCost": None, "throttleStatus": status}
            },
        }

    def _too_costly(self, requested: int) -> dict[str, Any]:
        message = (
            f"Query cost is {requested}, which exceeds the single query max cost limit "
            f"({MAX_QUERY_COST}).\n\n"
            "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
            "cost of a query is calculated.\n\n"
            "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
            "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
        )
        with self.platform.lock:
            self.platform.cost_bucket.refill(self.platform.clock.now())
            status = self.platform.cost_bucket.status()
        return {
            "errors": [
                {
                    "message": message,
                    "extensions": {
                        "code": "MAX_COST_EXCEEDED",
                        "cost": requested,
                        "maxCost": MAX_QUERY_COST,
                        "documentation": DOCS,
                    },
                }
            ],
            "extensions": {
                "cost": {"requestedQueryCost": requested, "actualQueryCost": None, "throttleStatus": status}
            },
        }

    def _answer(self, payload: dict[str, Any], version: str) -> Response:
        return json_response(payload, headers=self.platform.api_headers(version))

    def throttled_response(self, request: Request, version: str) -> Response:
        """The answer for a scripted or random throttle fault."""
        with self.platform.lock:
            self.platform.cost_bucket.refill(self.platform.clock.now())
        return self._answer(self._throttled(0), version)
