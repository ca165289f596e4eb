"""Calculated query cost, close to Shopify's published rules.

Scalars and enums cost 0; an object that is a Node costs 1 (payloads, edges, user errors and
other plain objects cost 0); a connection costs 2 plus its page size times one node; a mutation
root field costs 10 on top of what it selects. The requested cost assumes every page is full;
the actual cost walks the data that came back, so short pages and nulls are refunded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)

MUTATION_COST = 10
_UNSET = object()


def _fields(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode | None,
    parent: GraphQLNamedType,
    fragments: dict[str, FragmentDefinitionNode],
) -> Iterator[tuple[GraphQLNamedType, FieldNode]]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield parent, selection
        elif isinstance(selection, InlineFragmentNode):
            cond = selection.type_condition
            target = schema.get_type(cond.name.value) if cond else parent
            yield from _fields(schema, selection.selection_set, target or parent, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                target = schema.get_type(fragment.type_condition.name.value) or parent
                yield from _fields(schema, fragment.selection_set, target, fragments)


def _argument(field: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for arg in field.arguments or ():
        if arg.name.value == name:
            return value_from_ast_untyped(arg.value, variables)
    return None


def _key(field: FieldNode) -> str:
    return field.alias.value if field.alias else field.name.value


def _child(data: Any, field: FieldNode) -> Any:
    if data is _UNSET:
        return _UNSET
    if isinstance(data, dict):
        return data.get(_key(field))
    return None


def _is_node(named: GraphQLNamedType) -> bool:
    if isinstance(named, GraphQLInterfaceType):
        return named.name == "Node"
    return isinstance(named, GraphQLObjectType) and any(i.name == "Node" for i in named.interfaces)


class _Calculator:
    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection(self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None, data: Any) -> int:
        total = 0
        for ptype, field in _fields(self.schema, selection_set, parent, self.fragments):
            fields = getattr(ptype, "fields", {})
            definition = fields.get(field.name.value)
            if definition is None:  # __typename and friends are free
                continue
            total += self.field(definition.type, field, _child(data, field))
        return total

    def field(self, gtype: Any, field: FieldNode, data: Any) -> int:
        named = get_named_type(gtype)
        if is_leaf_type(named) or data is None:
            return 0
        if named.name.endswith("Connection"):
            return self.connection(named, field, data)
        inner = gtype.of_type if isinstance(gtype, GraphQLNonNull) else gtype
        if isinstance(inner, GraphQLList):
            if data is _UNSET:
                ids = _argument(field, "ids", self.variables) if field.name.value == "nodes" else None
                count = len(ids) if isinstance(ids, list) else 1
                return count * self.object(named, field.selection_set, _UNSET)
            costs = [self.object(named, field.selection_set, item) for item in data if item is not None]
            # Shopify prices a plain list like one element; only nodes(ids:) pays per element.
            return sum(costs) if field.name.value == "nodes" else max(costs, default=0)
        return self.object(named, field.selection_set, data)

    def object(self, named: GraphQLNamedType, selection_set: SelectionSetNode | None, data: Any) -> int:
        return (1 if _is_node(named) else 0) + self.selection(named, selection_set, data)

    def connection(self, named: GraphQLNamedType, field: FieldNode, data: Any) -> int:
        fields = cast(GraphQLObjectType, named).fields
        node_type = get_named_type(fields["nodes"].type)
        edge_type = get_named_type(fields["edges"].type)
        best = 0
        for ptype, child in _fields(self.schema, field.selection_set, named, self.fragments):
            name = child.name.value
            if name not in ("edges", "nodes") or ptype is not named:
                continue
            items: list[tuple[SelectionSetNode | None, Any]] = []
            value = _child(data, child)
            if name == "nodes":
                if value is _UNSET:
                    items = [(child.selection_set, _UNSET)]
                else:
                    items = [(child.selection_set, v) for v in value or ()]
            else:
                for etype, node_field in _fields(self.schema, child.selection_set, edge_type, self.fragments):
                    if node_field.name.value != "node" or etype is not edge_type:
                        continue
                    if value is _UNSET:
                        items.append((node_field.selection_set, _UNSET))
                    else:
                        items.extend((node_field.selection_set, _child(e, node_field)) for e in value or ())
            if data is _UNSET:
                size = _argument(field, "first", self.variables) or _argument(field, "last", self.variables)
                per_node = max((self.object(node_type, s, _UNSET) for s, _ in items), default=0)
                best = max(best, int(size or 0) * per_node)
            else:
                best = max(best, sum(int(self.object(node_type, s, v)) for s, v in items if v is not None))
        return 2 + best


def _operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    data: Any,
) -> int:
    mutation = operation.operation == OperationType.MUTATION
    root = schema.mutation_type if mutation else schema.query_type
    if root is None:
        return 0
    calc = _Calculator(schema, fragments, variables)
    total = 0
    for _, field in _fields(schema, operation.selection_set, root, fragments):
        definition = root.fields.get(field.name.value)
        if definition is None:
            continue
        total += (MUTATION_COST if mutation else 0) + calc.field(definition.type, field, _child(data, field))
    return total


def size_variables(operation: OperationDefinitionNode) -> tuple[str, ...]:
    """The variables that can change the requested cost: those feeding first, last or ids."""
    names: list[str] = []

    def walk(node: Any) -> None:
        for arg in getattr(node, "arguments", None) or ():
            if arg.name.value in ("first", "last", "ids") and isinstance(arg.value, VariableNode):
                names.append(arg.value.name.value)
        selection_set = getattr(node, "selection_set", None)
        for child in selection_set.selections if selection_set else ():
            walk(child)

    walk(operation)
    return tuple(dict.fromkeys(names))


def requested_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> int:
    return _operation_cost(schema, operation, fragments, variables, _UNSET)


def actual_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    data: dict[str, Any] | None,
) -> int:
    return _operation_cost(schema, operation, fragments, variables, data or {})
