"""push_qty(listing) = clamp(floor(available * percent) - buffer, 0, max_listed), 0 below a threshold."""

from __future__ import annotations

from decimal import Decimal

import pytest

from channels.models import Connection
from channels.push import push_quantity


@pytest.mark.parametrize(
    ("available", "settings", "expected"),
    [
        (Decimal(10), {}, 10),
        (Decimal("10.9"), {}, 10),  # fractional master quantities round down
        (Decimal(-3), {}, 0),  # oversold lists nothing
        (Decimal(0), {}, 0),
        (Decimal(10), {"buffer": 2}, 8),
        (Decimal(1), {"buffer": 2}, 0),
        (Decimal(10), {"percent": 50}, 5),
        (Decimal(7), {"percent": 50}, 3),
        (Decimal(10), {"percent": 50, "buffer": 1}, 4),
        (Decimal(100), {"max_listed": 25}, 25),
        (Decimal(4), {"zero_below": 5}, 0),
        (Decimal(5), {"zero_below": 5}, 5),
    ],
)
def test_push_quantity(available, settings, expected):
    connection = Connection(**{"percent": 100, "buffer": 0, "max_listed": None, "zero_below": 0, **settings})
    assert push_quantity(available=available, connection=connection) == expected
