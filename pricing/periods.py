"""Billing periods: a period is a calendar month, named by its first day (date(2026, 5, 1)).

`parse_period` is the one reader of a period written by a person (the CLI's --period, a URL
parameter, a widget, a configuration value). Pure: no I/O. Callers that speak to someone else
(the CLI, the configuration's problem list) catch its ValueError and say it in their own words.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

# 'YYYY-MM', or a day of that month 'YYYY-MM-DD' (the month it falls in); spaces around allowed.
_PERIOD = re.compile(r"^\s*(\d{4})-(\d{2})(?:-(\d{2}))?\s*$")
PERIOD_EXAMPLE = "2026-05"


def parse_period(value: Any) -> date:
    """'2026-05', '2026-05-17', a date or a datetime → date(2026, 5, 1), the first of its month.
    ValueError for anything else: a month outside 1–12, a day its month does not have, another
    format, another type."""
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    if isinstance(value, str):
        m = _PERIOD.match(value)
        if m:
            year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
            try:
                date(year, month, day)
                return date(year, month, 1)
            except ValueError:
                pass
    raise ValueError(f"A period looks like {PERIOD_EXAMPLE}.")
