"""How QuickBooks writes times and numbers.

QuickBooks renders times in the company's time zone with a numeric offset: MetaData times to
the second (`2026-03-02T09:14:05-08:00`), the response `time` to the millisecond. Sandbox
companies live in US Pacific time, so this one does too. Quantities and amounts are JSON numbers;
whole numbers come out without a fraction, as QuickBooks prints them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

COMPANY_TZ = ZoneInfo("America/Los_Angeles")


def _offset(local: datetime) -> str:
    raw = local.strftime("%z")  # -0800
    return raw[:3] + ":" + raw[3:]


def qbo_time(when: datetime, *, millis: bool = False) -> str:
    local = when.astimezone(COMPANY_TZ)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        text += f".{local.microsecond // 1000:03d}"
    return text + _offset(local)


def qbo_epoch(epoch: float) -> str:
    return qbo_time(datetime.fromtimestamp(epoch, UTC))


def company_date(when: datetime) -> str:
    return when.astimezone(COMPANY_TZ).date().isoformat()


def parse_datetime(text: str) -> datetime | None:
    """An ISO date or date-time as QuickBooks accepts it in queries and `changedSince`.

    A bare date means midnight in the company's zone; a time without an offset is company time.
    """
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), COMPANY_TZ)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=COMPANY_TZ)
    return parsed


def is_date(text: Any) -> bool:
    if not isinstance(text, str) or len(text) != 10:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


MAX_MAGNITUDE = 15  # digits before the point; QuickBooks' amounts and quantities stay far below


def decimal_of(value: Any) -> Decimal | None:
    """A JSON number (or numeric string, which QuickBooks also accepts) as a Decimal.

    None for anything else, including numbers too large to be a real amount or quantity, so that
    arithmetic on them cannot overflow.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        if not result.is_finite() or (result and result.adjusted() >= MAX_MAGNITUDE):
            return None
        return result
    return None


def num(value: Decimal) -> int | float:
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def money(value: Decimal) -> int | float:
    return num(value.quantize(Decimal("0.01")))
