"""Round-trips the sandbox's dataclass state through JSON-able dicts for snapshots.

Only the shapes the store uses are supported: primitives, datetimes, nested dataclasses and
lists/dicts of them, each possibly optional.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from functools import cache
from typing import Any


def dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def load(hint: Any, data: Any) -> Any:
    """Rebuild a value of type `hint` from what `dump` produced."""
    if data is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return load(inner[0], data)
    if origin is list:
        (item,) = typing.get_args(hint)
        return [load(item, v) for v in data]
    if origin is dict:
        key, item = typing.get_args(hint)
        return {load(key, k): load(item, v) for k, v in data.items()}
    if hint is datetime:
        return datetime.fromisoformat(data)
    if hint is date:
        return date.fromisoformat(data)
    if hint is int:
        return int(data)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        return hint(**{name: load(hints[name], value) for name, value in data.items() if name in hints})
    return data
