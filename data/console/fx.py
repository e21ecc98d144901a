"""FX rates in the admin console (docs/console.md "FX rates"): the rates of a period, the
currency pairs in use that have none, and the periods whose rates are locked.

- The root's admins change rates (one `edit_document` call each: validated as `config import`
  validates, audited, nothing saved on error); other admins read the rates their subtree's
  currencies use.
- A pair is "in use" in a period when rows of that period were landed in one currency
  (BillingCurrency of the active delivery slices) and an organisation is invoiced, or sells, in
  another: the billing run converts every such row (queries/ledger/fct_price_edge.sql).
- A period with an issued invoice is locked (DOMAIN §4): its rates are shown and never changed
  here (`config import` refuses it too: storage._check_locked_rates)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from data.console.document import KEYS, edit_document, orgs_by_id, refuse, subtree_of
from pricing.periods import parse_period
from queries import sql

if TYPE_CHECKING:
    import duckdb

    from queries.scope import Scope


def _require_admin(scope: Scope) -> None:
    from queries.scope import ScopeError

    if not scope.has_role("admin"):
        raise ScopeError("Only an administrator can see and change FX rates.")


def _require_root_admin(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    from queries.scope import ScopeError

    if not is_root_admin(con, scope):
        raise ScopeError("Only an administrator of the organisation running Tierline can "
                         "change FX rates.")


def _document(con: duckdb.DuckDBPyConnection) -> dict:
    from data.config.storage import current_config_data

    return current_config_data(con) or {}


def _period(value: Any) -> dt.date:
    try:
        return parse_period(value)
    except ValueError:
        raise refuse("period", f"{value!r} is not a billing period; allowed: a month written "
                     "YYYY-MM, e.g. 2026-05") from None


def locked_periods(con: duckdb.DuckDBPyConnection) -> set[dt.date]:
    """The periods with an issued invoice: their rates are locked."""
    return {r[0] for r in con.execute(sql("cfg_console_issued_periods")).fetchall()}


def periods(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dt.date]:
    """The periods with rates in the document or landed rows, newest first."""
    _require_admin(scope)
    data = _document(con)
    found = {parse_period(r["period"]) for r in data.get("fx_rates") or []}
    found |= {r[0] for r in con.execute(sql("cfg_console_landed_periods")).fetchall()}
    return sorted(found, reverse=True)


def is_root_admin(con: duckdb.DuckDBPyConnection, scope: Scope) -> bool:
    """True for an admin of the organisation running Tierline: the one who may change rates."""
    data = _document(con)
    return scope.has_role("admin") and (data.get("root") or {}).get("id") == scope.org_id


def rates(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> dict:
    """One period's view: {period, locked, editable, rates: [{from, to, rate (Decimal)}],
    missing: [{from, to, rows, organisations}]}. The root's admins see every rate and every
    missing pair; another admin sees the rates into its subtree's currencies (the ones its
    invoices and costs are converted with) and their missing pairs."""
    _require_admin(scope)
    p = _period(period)
    data = _document(con)
    root_admin = (data.get("root") or {}).get("id") == scope.org_id
    mine = subtree_of(data, scope.org_id)
    orgs = [o for oid, o in orgs_by_id(data).items()
            if (root_admin or oid in mine) and o.get("active", True) not in (False, "false")]
    currencies = {o["currency"] for o in orgs if o.get("currency")}
    landed = {ccy: int(rows) for ccy, rows in
              con.execute(sql("cfg_console_period_currencies"), {"period": p}).fetchall()}
    shown = []
    have = set()
    for r in data.get("fx_rates") or []:
        if parse_period(r["period"]) != p:
            continue
        have.add((r["from"], r["to"]))
        if root_admin or r["to"] in currencies:       # rows are converted INTO these
            shown.append({"from": r["from"], "to": r["to"], "rate": Decimal(str(r["rate"]))})
    missing = []
    for billing_ccy, rows in sorted(landed.items()):
        for ccy in sorted(currencies - {billing_ccy}):
            if (billing_ccy, ccy) not in have:
                who = sorted(o["id"] for o in orgs if o.get("currency") == ccy)
                missing.append({"from": billing_ccy, "to": ccy, "rows": rows,
                                "organisations": who})
    locked = p in locked_periods(con)
    return {"period": p, "locked": locked, "editable": root_admin and not locked,
            "rates": sorted(shown, key=lambda r: (r["from"], r["to"])), "missing": missing}


def _rate(value: Any) -> str:
    """The rate as the document writes it (text), refused with a sentence unless above 0."""
    text = str(value).strip() if value is not None else ""
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise refuse("rate", f"{text!r} is not a number; allowed: a rate above 0, e.g. "
                     "\"0.9200\" (units of 'to' per one 'from')") from None
    if not number.is_finite() or number <= 0:
        raise refuse("rate", f"{text} is not above 0; allowed: a rate above 0, e.g. \"0.9200\" "
                     "(units of 'to' per one 'from')")
    return text


def _not_locked(con: duckdb.DuckDBPyConnection, p: dt.date) -> None:
    if p in locked_periods(con):
        raise refuse("period", f"{p:%Y-%m} is locked: invoices of that period are issued, so its "
                     "rates never change; allowed: an open period")


def set_rate(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any, from_ccy: str,
             to_ccy: str, rate: Any) -> int:
    """Add or change the `from_ccy`→`to_ccy` rate of `period` (root admins, open periods)."""
    _require_root_admin(con, scope)
    p = _period(period)
    text = _rate(rate)
    _not_locked(con, p)
    from_ccy, to_ccy = (str(from_ccy or "").strip().upper(), str(to_ccy or "").strip().upper())
    key = (f"{p:%Y-%m}", from_ccy, to_ccy)

    def change(data: dict) -> None:
        items = data.setdefault("fx_rates", [])
        for item in items:
            if KEYS["fx_rates"](item) == key:
                item["rate"] = text
                return
        items.append({"period": key[0], "from": from_ccy, "to": to_ccy, "rate": text})

    return edit_document(con, scope, change, root_only=True,
                         what=f"FX rate {from_ccy}->{to_ccy} of {p:%Y-%m} set to {text}")


def remove_rate(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any, from_ccy: str,
                to_ccy: str) -> int:
    """Drop one rate of an open period (root admins)."""
    _require_root_admin(con, scope)
    p = _period(period)
    _not_locked(con, p)
    key = (f"{p:%Y-%m}", from_ccy, to_ccy)

    def change(data: dict) -> None:
        before = len(data.get("fx_rates") or [])
        data["fx_rates"] = [r for r in data.get("fx_rates") or [] if KEYS["fx_rates"](r) != key]
        if len(data["fx_rates"]) == before:
            raise refuse("rate", f"there is no {from_ccy}->{to_ccy} rate for {p:%Y-%m}")

    return edit_document(con, scope, change, root_only=True,
                         what=f"FX rate {from_ccy}->{to_ccy} of {p:%Y-%m} removed")
