"""What a customer's budgets are doing this month (issue #12, item 4): each budget's amount, the
month to date at the customer's price, the forecast, the share used and the thresholds crossed;
and the alerts raised for it.

- A whole-customer budget is compared with the customer's invoice for the month: the draft's
  subtotal while the month is open, the issued subtotal once it is closed (tax is not spend).
- A sub-account budget with that sub-account's part of the month (customer_costs by sub-account);
  a tag-value budget with the rows carrying that tag value (each row's exact share of its pricing
  group, docs/pricing.md §8). Both are rounded once, to the currency's minor unit.
- The forecast is the portal's (`queries.reports.portal.forecast`, whose method the page names);
  a part's forecast is the customer's forecast in proportion to the part's share of the month to
  date, and says so.

Every read is checked by queries.scope (edge, check_period) and needs the whole edge: a budget
covers the customer's whole month, so a user restricted to some cost groups is refused with a
sentence. Writing budgets and raising alerts is data/budgets.py (the write side).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from pricing.money import HUNDRED, ZERO, calc, round_line
from queries import sql
from queries.reports.common import records, row_share
from queries.reports.costs import customer_costs
from queries.reports.invoices import customer_summary
from queries.scope import Edge, Scope, check_period, check_whole_invoice, edge

THRESHOLDS = ("50", "80", "100")        # percent of the budget; 'forecast': forecast above it
PCT_PLACES = Decimal("0.1")


def budget_key(sub_account: str | None, tag_key: str | None, tag_value: str | None) -> str:
    """What a budget covers, as budget_alerts names it (data.config.BudgetSpec.key)."""
    if sub_account is not None:
        return f"sub_account:{sub_account}"
    if tag_key is not None:
        return f"tag:{tag_key}={tag_value}"
    return "customer"


def budget_label(sub_account: str | None, tag_key: str | None, tag_value: str | None) -> str:
    """'Whole month', 'Sub-account 200000000001', 'Tag team = data'."""
    if sub_account is not None:
        return f"Sub-account {sub_account}"
    if tag_key is not None:
        return f"Tag {tag_key} = {tag_value}"
    return "Whole month"


def _whole_edge(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any) -> Edge:
    on = edge(con, scope, customer_id)
    check_whole_invoice(scope, on)
    return on


def customer_budgets(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any) -> list[dict]:
    """customer_id's budgets as the configuration in force sets them: [{budget_no, key, label,
    amount (Decimal), currency, sub_account, tag_key, tag_value}]."""
    on = _whole_edge(con, scope, customer_id)
    return [{**r, "key": budget_key(r["sub_account"], r["tag_key"], r["tag_value"]),
             "label": budget_label(r["sub_account"], r["tag_key"], r["tag_value"])}
            for r in records(con.execute(sql("rpt_budgets"), {"customer": on.buyer}))]


def forecast_of(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: str,
                period: date) -> dict | None:
    """The portal's forecast of the customer's month ({expected, low, high, method, currency}),
    or None when there is none (the portal's forecast is not installed, or has nothing to say)."""
    try:
        from queries.reports import portal
        forecast = portal.forecast
    except (ImportError, AttributeError):
        return None
    try:
        return forecast(con, scope, customer_id, period)
    except (ValueError, LookupError):
        return None


def _tag_actual(con: duckdb.DuckDBPyConnection, on: Edge, p: date, tag_key: str, tag_value: str) -> Decimal:
    total = ZERO
    for r in records(con.execute(sql("rpt_budget_tag_rows"), {
            "period": p, "seller": on.seller, "buyer": on.buyer, "customers": on.customers,
            "tag_key": tag_key, "tag_value": tag_value})):
        total += row_share(r["x_PriceBuyer"], r["x_PartBasis"], r["x_GroupBasis"], r["x_PartRows"],
                           r["x_GroupRows"])
    return total


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    with calc():
        return (part * HUNDRED / whole).quantize(PCT_PLACES)


def budget_status(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any) -> list[dict]:
    """Per budget of customer_id for `period`: {budget_no, key, label, currency, amount, actual,
    forecast, forecast_low, forecast_high, forecast_method (None: no forecast), pct (of the
    budget used, 1 place), crossed (the thresholds of THRESHOLDS reached, e.g. ['50', '80']),
    forecast_over (the forecast is above the budget), alerts (crossed + ['forecast'] when
    forecast_over: what budget_alerts records)}. Money as Decimal at the currency's places.
    ScopeError for a customer or period the user may not see, or a partial view of it."""
    on = _whole_edge(con, scope, customer_id)
    p = check_period(con, scope, period)
    budgets = customer_budgets(con, scope, on.buyer)
    if not budgets:
        return []
    summary = customer_summary(con, scope, on.buyer, p)
    ccy = summary["currency"]
    whole = summary["subtotal"]
    forecast = forecast_of(con, scope, on.buyer, p)
    if forecast is not None and forecast.get("currency") not in (None, ccy):
        forecast = None                      # never compare amounts of two currencies
    if forecast is not None and summary["total"] not in (ZERO, whole):
        # The portal forecasts the invoice total, tax included; a budget is spend before tax,
        # like its actual (the subtotal): the forecast in the month's subtotal-to-total ratio.
        with calc():
            forecast = {**forecast, "method": f"{forecast.get('method')} (before tax, as the budget)",
                        **{k: round_line(forecast[k] * whole / summary["total"], ccy)
                           for k in ("expected", "low", "high") if forecast.get(k) is not None}}
    by_sub: dict[str, Decimal] | None = None
    out = []
    for b in budgets:
        if b["sub_account"] is not None:
            if by_sub is None:
                frame = customer_costs(con, scope, on.buyer, p, by="sub_account")
                by_sub = {s: v for s, v in zip(frame["SubAccountId"], frame["price"])}
            actual = round_line(by_sub.get(b["sub_account"], ZERO), ccy)
        elif b["tag_key"] is not None:
            actual = round_line(_tag_actual(con, on, p, b["tag_key"], b["tag_value"]), ccy)
        else:
            actual = whole
        expected = low = high = method = None
        if forecast is not None:
            method = forecast.get("method")
            if b["key"] == "customer":
                expected, low, high = forecast["expected"], forecast.get("low"), forecast.get("high")
            elif whole != ZERO:
                with calc():
                    expected, low, high = (None if v is None else round_line(v * actual / whole, ccy)
                                           for v in (forecast["expected"], forecast.get("low"),
                                                     forecast.get("high")))
                method = f"{method}, in proportion to this part's share of the month so far"
        comparable = b["currency"] == ccy
        amount = b["amount"]
        crossed = [t for t in THRESHOLDS if comparable and actual * HUNDRED >= amount * Decimal(t)]
        over = comparable and expected is not None and expected > amount
        out.append({
            "budget_no": b["budget_no"], "key": b["key"], "label": b["label"], "currency": b["currency"],
            "sub_account": b["sub_account"], "tag_key": b["tag_key"], "tag_value": b["tag_value"],
            "amount": round_line(amount, b["currency"]), "actual": actual, "forecast": expected,
            "forecast_low": low, "forecast_high": high, "forecast_method": method,
            "pct": _pct(actual, amount) if comparable else None,
            "crossed": crossed, "forecast_over": over,
            "alerts": crossed + (["forecast"] if over else []),
        })
    return out


def budget_alerts(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any,
                  period: Any = None) -> list[dict]:
    """The alerts raised for customer_id's budgets (one period, or all), newest first:
    [{period, key, label, threshold, raised_at, amount, actual, forecast, currency, emailed_to,
    emailed_at, email_error}]. The billing contact's address is the customer's own."""
    on = _whole_edge(con, scope, customer_id)
    p = check_period(con, scope, period) if period is not None else None
    out = []
    for r in records(con.execute(sql("rpt_budget_alerts"), {"customer": on.buyer, "period": p})):
        key = r["budget_key"]
        sub = key.split(":", 1)[1] if key.startswith("sub_account:") else None
        tag = key.split(":", 1)[1].split("=", 1) if key.startswith("tag:") else (None, None)
        out.append({"period": r["x_Period"], "key": key, "label": budget_label(sub, tag[0], tag[1]),
                    "threshold": r["threshold"], "raised_at": r["raised_at"],
                    "amount": round_line(r["amount"], r["currency"]),
                    "actual": round_line(r["actual"], r["currency"]),
                    "forecast": None if r["forecast"] is None else round_line(r["forecast"], r["currency"]),
                    "currency": r["currency"], "emailed_to": r["emailed_to"],
                    "emailed_at": r["emailed_at"], "email_error": r["email_error"]})
    return out


def alert_text(threshold: str) -> str:
    """'crossed 80 % of the budget' / 'forecast above the budget'."""
    return "forecast above the budget" if threshold == "forecast" else f"crossed {threshold} % of the budget"
