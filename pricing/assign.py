"""Which customer a FOCUS row belongs to (docs/pricing.md §1), in plain Python.

The reference for the SQL run's account decisions (queries/ledger/fct_stage_accounts.sql): the first
match wins, in this order —
1. a tag rule `{tag: K, value: V}`: the row's `Tags` JSON object has key K with the string V;
2. a sub-account mapping `{provider, sub_account_id}`;
3. a billing-account mapping `{provider, billing_account_id}`;
within one kind, the first mapping of the configuration wins. A mapping with `from`/`to` applies
when from ≤ ChargePeriodStart::DATE < to (the charge start as a UTC date; open ends where absent).
Provider `Tax` rows are never assigned (the root's own). No I/O: `Tags` arrives as text (or an
already parsed mapping) and is only parsed here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Iterable, Mapping, Sequence


@dataclass(frozen=True, slots=True)
class AccountMapping:
    """One entry of the configuration's `account_mappings`, in configuration order.

    Exactly one way of naming rows is set: (provider, sub_account_id), (provider,
    billing_account_id) or (tag, value), as data.config.MappingSpec validates."""

    customer: str
    provider: str | None = None
    sub_account_id: str | None = None
    billing_account_id: str | None = None
    tag: str | None = None
    value: str | None = None
    valid_from: date | None = None          # inclusive
    valid_to: date | None = None            # exclusive

    @property
    def kind(self) -> str:
        if self.tag is not None:
            return "tag"
        return "sub_account" if self.sub_account_id is not None else "billing_account"

    def holds_on(self, day: date | None) -> bool:
        """The mapping's dates include `day` (a row without a charge day is outside a dated one)."""
        if self.valid_from is None and self.valid_to is None:
            return True
        if day is None:
            return False
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day < self.valid_to)


KIND_ORDER = ("tag", "sub_account", "billing_account")


def charge_day(value: object) -> date | None:
    """ChargePeriodStart as the UTC date landing stores it (naive timestamps are UTC already)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
    else:
        raise TypeError(f"ChargePeriodStart must be a date, a datetime or ISO text, got {value!r}")
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.date()


def tag_values(tags: object) -> Mapping[str, object]:
    """The row's Tags as a mapping: {} when absent or not a JSON object."""
    if tags is None or tags == "":
        return {}
    if isinstance(tags, Mapping):
        return tags
    if isinstance(tags, (str, bytes)):
        parsed = json.loads(tags)
        return parsed if isinstance(parsed, dict) else {}
    raise TypeError(f"Tags must be JSON text or a mapping, got {type(tags).__name__}")


def _tag_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)   # 1.50 arrives as 1.5: its shortest text, as DuckDB renders it
    return None          # null (and nested values: a rule's value is text) never match


def _matches(m: AccountMapping, row: Mapping[str, object], tags: Mapping[str, object]) -> bool:
    if m.kind == "tag":
        # Tag values are compared as text, as the SQL run reads them (json_extract_string): a
        # JSON string as it is, a number or boolean a provider sent unquoted as its JSON text.
        value = _tag_text(tags.get(m.tag))  # type: ignore[arg-type]
        return value == m.value and (m.provider is None or m.provider == row.get("ProviderName"))
    if m.provider != row.get("ProviderName"):
        return False
    if m.kind == "sub_account":
        return m.sub_account_id == row.get("SubAccountId")
    return m.billing_account_id == row.get("BillingAccountId")


def assign_customer(row: Mapping[str, object], mappings: Sequence[AccountMapping]) -> str | None:
    """The customer of one FOCUS row (docs/pricing.md §1), None when nothing matches or the row
    is provider tax. `mappings` in configuration order: tag rules and account mappings together."""
    if row.get("ChargeCategory") == "Tax":
        return None
    day = charge_day(row.get("ChargePeriodStart"))
    tags = tag_values(row.get("Tags")) if any(m.kind == "tag" for m in mappings) else {}
    for kind in KIND_ORDER:
        for m in mappings:
            if m.kind == kind and m.holds_on(day) and _matches(m, row, tags):
                return m.customer
    return None


def assign_rows(rows: Iterable[Mapping[str, object]], mappings: Sequence[AccountMapping]) -> list[dict]:
    """The rows with `x_CustomerId` set by `assign_customer` (copies; the input is not changed)."""
    return [{**row, "x_CustomerId": assign_customer(row, mappings)} for row in rows]
