"""Money on screen: a Decimal and its currency in, text out. No float anywhere here.

The amounts pages show are already rounded where docs/pricing.md says (invoice lines); this
module only quantizes for display to the currency's minor unit (pricing.money.minor_unit, the
one table of minor units) and adds thousands separators.
"""
from __future__ import annotations

from decimal import Decimal

import pandas as pd

from pricing.money import D, minor_unit, round_line


def as_decimal(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError(f"money is never a float here: {value!r}")
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return D(value)


def number(amount, currency: str) -> str:
    """'9,500.00' (USD), '1,235' (JPY), '1.250' (KWD); empty text for no amount."""
    value = as_decimal(amount)
    if value is None:
        return ""
    q = round_line(value, currency)   # the one rounding rule, to the currency's minor unit
    if q == 0:
        q = abs(q)  # never show -0.00
    return f"{q:,.{minor_unit(currency)}f}"


def fmt(amount, currency: str) -> str:
    """'USD 9,500.00'."""
    text = number(amount, currency)
    return f"{currency} {text}" if text else ""


def format_columns(df: pd.DataFrame, columns, currency: str | None = None,
                   currency_column: str = "currency") -> pd.DataFrame:
    """A copy of `df` whose money `columns` are display text in their currency (one currency
    for all rows, or each row's own from `currency_column`)."""
    out = df.copy()
    for col in columns:
        if col not in out.columns:
            continue
        if currency is not None:
            out[col] = [number(v, currency) for v in out[col]]
        else:
            out[col] = [number(v, c) for v, c in zip(out[col], out[currency_column])]
    return out


def percent(value) -> str:
    """'20 %', '8.875 %' from a Decimal rate (no trailing zeros, no exponent)."""
    d = as_decimal(value)
    if d is None:
        return ""
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} %"


def plain(value) -> str:
    """A quantity as text without the ledger's trailing zeros: '21.1358', '12', ''."""
    d = as_decimal(value)
    if d is None:
        return ""
    text = format(d, ",f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
