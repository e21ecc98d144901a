"""The customer's cost portal (issue #12, docs/portal.md): the month at a glance (the invoice so
far, a forecast with its method named, the change against the same days of the month before,
how fresh the data is), the trends, the breakdowns by any dimension or tag, the top resources,
the filters a page or a shared URL may ask for, and the seller's brand.

Every function takes the user's `Scope` and checks the edge (queries.scope.edge) and the period
first; every filter value, whether it came from a widget or from a URL, is checked against what
the buyer's own rows hold (`check_filters`) and a foreign one is a `ScopeError`: a sentence, never
data. Money is `Decimal`: sums of the rows' exact shares (rpt_portal_spend, exact integer
arithmetic in SQL), the invoice's own rounded figures for totals.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from pricing.forecast import forecast_month, month_end, previous_period, same_days_change
from pricing.money import ZERO, D, round_line
from queries import sql
from queries.reports.common import check_limit, records
from queries.reports.costs import spend_params
from queries.reports.invoices import _invoices, edge_invoice, summary_of
from queries.scope import Edge, Scope, ScopeError, check_period, check_whole_invoice, edge, visible_periods

SPEND_BY = ("provider", "service", "category", "region", "sub_account", "tag", "resource",
            "day", "day_provider", "day_service")
LEDGER_BY = {"provider", "service", "category", "region", "sub_account"}   # at group grain
MONTHS = 12
TOP_RESOURCES = 20

_COLUMNS = {   # the dimension columns of each breakdown, as rpt_portal_spend names them
    "provider": ["ProviderName"],
    "service": ["ProviderName", "ServiceName"],
    "category": ["ServiceCategory"],
    "region": ["RegionId"],
    "sub_account": ["SubAccountId"],
    "tag": ["x_TagValue"],
    "resource": ["ProviderName", "ServiceName", "ResourceId", "ResourceName"],
    "day": ["day"],
    "day_provider": ["day", "ProviderName"],
    "day_service": ["day", "ServiceName"],
}

NOT_SUB_ACCOUNT = "That sub-account is not one of this customer's."
NOT_SERVICE = "That service is not one this customer used this month."
NOT_REGION = "That region is not one this customer used this month."
NOT_TAG_KEY = "That tag key is not on this customer's rows this month."
NOT_TAG_VALUE = "That tag value is not on this customer's rows this month."


@dataclass(frozen=True)
class Filters:
    """What the portal's rows are narrowed to (None: all). `untagged`: the rows without a value
    for `tag_key`; `tag_value` and `untagged` need a `tag_key`, and exclude each other."""

    sub_account: str | None = None
    service: str | None = None
    region: str | None = None
    tag_key: str | None = None
    tag_value: str | None = None
    untagged: bool = False

    @property
    def rows_only(self) -> bool:
        """A tag filter narrows rows within a pricing group: only the row path can answer it."""
        return self.tag_value is not None or self.untagged

    def as_tuple(self) -> tuple:
        """Plain values, for a cache key."""
        return (self.sub_account, self.service, self.region, self.tag_key, self.tag_value,
                self.untagged)


NO_FILTERS = Filters()


def tag_path(key: str) -> str:
    """A tag key as the JSON pointer json_extract_string reads exactly ('~' and '/' escaped)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _month(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any,
           period: Any) -> tuple[Edge, date]:
    return edge(con, scope, customer_id), check_period(con, scope, period)


# --- filters ----------------------------------------------------------------------------------

def filter_options(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any,
                   period: Any) -> dict:
    """What the filters may offer for customer_id's month, from the rows the user may see:
    {sub_accounts, services, regions: [str], tags: {key: [values]}} (sorted; a tag key is listed
    even when it only appears without a value: its rows are "untagged")."""
    on, p = _month(con, scope, customer_id, period)
    found = con.execute(sql("rpt_portal_values"), {
        "period": p, "seller": on.seller, "buyer": on.buyer, "customers": on.customers,
        "cost_groups": on.cost_groups}).fetchall()
    out: dict[str, Any] = {"sub_accounts": [], "services": [], "regions": [], "tags": {}}
    plural = {"sub_account": "sub_accounts", "service": "services", "region": "regions"}
    for kind, key, value in found:
        if kind == "tag":
            values = out["tags"].setdefault(key, [])
            if value is not None:
                values.append(value)
        else:
            out[plural[kind]].append(value)
    return out


def _text(value: Any, refusal: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ScopeError(refusal)
    return value


def check_filters(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any,
                  filters: Any) -> Filters:
    """`filters` when every value in it is one the user's rows of customer_id's month hold;
    ScopeError (one sentence, the value never repeated) for anything else."""
    if filters is None:
        return NO_FILTERS
    if not isinstance(filters, Filters):
        raise ValueError("filters must be a Filters value")
    if filters == NO_FILTERS:
        _month(con, scope, customer_id, period)
        return filters
    options = filter_options(con, scope, customer_id, period)
    sub = _text(filters.sub_account, NOT_SUB_ACCOUNT)
    if sub is not None and sub not in options["sub_accounts"]:
        raise ScopeError(NOT_SUB_ACCOUNT)
    service = _text(filters.service, NOT_SERVICE)
    if service is not None and service not in options["services"]:
        raise ScopeError(NOT_SERVICE)
    region = _text(filters.region, NOT_REGION)
    if region is not None and region not in options["regions"]:
        raise ScopeError(NOT_REGION)
    key = _text(filters.tag_key, NOT_TAG_KEY)
    if key is not None and key not in options["tags"]:
        raise ScopeError(NOT_TAG_KEY)
    value = _text(filters.tag_value, NOT_TAG_VALUE)
    if not isinstance(filters.untagged, bool):
        raise ScopeError(NOT_TAG_VALUE)
    if (value is not None or filters.untagged) and key is None:
        raise ScopeError("Pick a tag key before a tag value.")
    if value is not None and (filters.untagged or value not in options["tags"][key]):
        raise ScopeError(NOT_TAG_VALUE)
    return filters


# --- spend ------------------------------------------------------------------------------------

def spend(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any, *,
          by: str, filters: Filters | None = None, limit: int | None = None) -> pd.DataFrame:
    """customer_id's month at its own price summed by `by` ∈ SPEND_BY, narrowed by `filters`.
    Columns: the dimension columns (_COLUMNS: 'day' a date, 'x_TagValue' None for untagged),
    currency, price (Decimal, unrounded), price_chart (float, charts only), rows. Largest first
    (by day: in date order). 'tag' needs filters.tag_key. Fees are invoice lines, not in it."""
    if by not in SPEND_BY:
        raise ValueError(f"by must be one of {', '.join(SPEND_BY)}")
    if limit is not None:
        check_limit(limit)
    on, p = _month(con, scope, customer_id, period)
    return _spend(con, scope, customer_id, on, p, by=by, filters=filters, limit=limit)


def _key_only(by: str, filters: Filters | None) -> bool:
    """Spend by a tag key's values with no other filter: the spend read itself checks the key."""
    return (by == "tag" and isinstance(filters, Filters) and filters.tag_key is not None
            and filters == Filters(tag_key=filters.tag_key))


def _spend(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, on: Edge, p: date, *,
           by: str, filters: Filters | None, limit: int | None) -> pd.DataFrame:
    """`spend` for an edge and period the caller has checked (_month)."""
    key_only = _key_only(by, filters)
    if key_only:        # one read, not two: the rows say whether the key is on any of them
        f = Filters(tag_key=_text(filters.tag_key, NOT_TAG_KEY))
    elif filters is None or filters == NO_FILTERS:
        f = NO_FILTERS
    else:
        f = check_filters(con, scope, customer_id, p, filters)
    if by == "tag" and f.tag_key is None:
        raise ValueError("Pick a tag key to see spend by its values.")
    dims = _COLUMNS[by]
    if by in LEDGER_BY and on.cost_groups is None and not f.rows_only:   # group grain: exact sums
        found = records(con.execute(sql("rpt_customer_costs"), {
            "period": p, "seller": on.seller, "buyer": on.buyer, "customers": on.customers,
            "sub_account": f.sub_account, "service": f.service, "region": f.region,
            "by": by}))
        if limit is not None:
            found = found[:limit]
        for r in found:
            r["x_Rows"] = r["x_RowCount"]
    else:
        found = records(con.execute(sql("rpt_portal_spend"), spend_params(
            on, p, by=by, sub_account=f.sub_account, service=f.service, region=f.region,
            tag_path=tag_path(f.tag_key) if f.tag_key is not None else None,
            tag_value=f.tag_value, untagged=f.untagged, limit=limit)))
        if key_only and not any(r["x_KeyRows"] for r in found):
            raise ScopeError(NOT_TAG_KEY)   # as check_filters: not a key of the rows it may see
    data = []
    for r in found:
        r["day"] = r.get("x_Day")
        row = {d: r[d] for d in dims}
        row.update(currency=r["x_BuyerCurrency"], price=r["price"], rows=int(r["x_Rows"]))
        data.append(row)
    frame = pd.DataFrame(data, columns=[*dims, "currency", "price", "rows"])
    frame["price"] = frame["price"].astype(object)
    frame["price_chart"] = [float(v) for v in frame["price"]]
    return frame


def top_resources(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any, *,
                  filters: Filters | None = None, limit: int = TOP_RESOURCES) -> pd.DataFrame:
    """The resources with the highest price this month (ResourceId None: rows without one)."""
    return spend(con, scope, customer_id, period, by="resource", filters=filters, limit=limit)


def daily(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any, *,
          stack: str | None = None, filters: Filters | None = None) -> dict:
    """The month's spend per charge day ({'frame', 'corrections', 'currency'}): `frame` holds the
    days of the month (stacked by 'provider' or 'service', or not), `corrections` the sum of the
    rows the month holds for days of earlier months (provider corrections, docs/pricing.md), which
    no day of this month's chart shows."""
    by = {None: "day", "provider": "day_provider", "service": "day_service"}.get(stack)
    if by is None:
        raise ValueError("stack must be provider, service or nothing")
    on, p = _month(con, scope, customer_id, period)
    frame = _spend(con, scope, customer_id, on, p, by=by, filters=filters, limit=None)
    inside = frame["day"].map(lambda d: p <= d <= month_end(p)) if len(frame) else frame["day"]
    corrections = sum((v for v in frame.loc[~inside.astype(bool), "price"]), ZERO) if len(frame) else ZERO
    kept = frame[inside.astype(bool)].reset_index(drop=True) if len(frame) else frame
    currency = frame["currency"].iloc[0] if len(frame) else on.buyer_org.currency
    return {"frame": kept, "corrections": corrections, "currency": currency}


def _daily_amounts(con: duckdb.DuckDBPyConnection, scope: Scope, on: Edge, p: date) -> dict[date, Decimal]:
    rows = records(con.execute(sql("rpt_portal_spend"), spend_params(on, p, by="day")))
    return {r["x_Day"]: r["price"] for r in rows}


# --- the month at a glance --------------------------------------------------------------------

def freshness(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any) -> list[dict]:
    """Per provider of customer_id's month: {provider, through (date), loaded_at (UTC datetime),
    text: 'AWS through 30 Nov, loaded 1 Dec 06:10 UTC'}."""
    return _freshness(con, *_month(con, scope, customer_id, period))


def _freshness(con: duckdb.DuckDBPyConnection, on: Edge, p: date) -> list[dict]:
    out = []
    for provider, through, loaded in con.execute(sql("rpt_portal_freshness"), {
            "period": p, "seller": on.seller, "buyer": on.buyer,
            "customers": on.customers}).fetchall():
        text = provider
        if through is not None:
            text += f" through {through.day} {through:%b}"
        if loaded is not None:
            text += f", loaded {loaded.day} {loaded:%b %H:%M} UTC"
        out.append({"provider": provider, "through": through, "loaded_at": loaded, "text": text})
    return out


def _through(p: date, fresh: list[dict]) -> date | None:
    """The latest charge day loaded in the month (corrections of earlier months do not count)."""
    days = [f["through"] for f in fresh if f["through"] is not None and p <= f["through"]]
    return min(max(days), month_end(p)) if days else None


def _fees(invoice: dict | None) -> tuple[Decimal, Decimal]:
    """(fixed fees, Σ percentage-of-usage fee rates) on the invoice's fee lines."""
    fixed, pct = ZERO, ZERO
    for line in (invoice or {}).get("lines", []):
        detail = line.get("detail") or {}
        if line["kind"] == "fee" and detail.get("type") == "fixed":
            fixed += line["amount"]
        elif line["kind"] == "fee" and detail.get("type") == "pct_of_usage":
            pct += D(detail["pct"])
    return fixed, pct


def _forecast(p: date, summary: dict, invoice: dict | None, fresh: list[dict],
              days: dict[date, Decimal]) -> dict:
    """The forecast from what the caller read once: the summary, its invoice (edge_invoice: the
    fee lines and the tax rate), the freshness and the daily amounts."""
    currency = summary["currency"]
    if summary["final"]:
        total = summary["total"]
        return {"expected": total, "low": total, "high": total, "currency": currency,
                "method": f"Invoice {summary['number']} is issued: the month is final.",
                "rate": None, "window": None, "remaining_days": 0, "complete": True,
                "actual": total}
    fixed, pct = _fees(invoice)
    tax_rate = invoice["tax_rate_pct"] if invoice else ZERO
    result = forecast_month(period=p, through=_through(p, fresh), daily=days,
                            spent=summary["subtotal"] - fixed, fixed_fees=fixed,
                            currency=currency, tax_rate_pct=D(tax_rate), fee_pct=pct)
    return {**result.as_dict(), "actual": summary["total"]}


def forecast(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any) -> dict:
    """The forecast of customer_id's invoice total for the period (pricing.forecast):
    {expected, low, high (Decimal, the invoice's currency, tax included as the invoice adds it),
    method (the sentence), currency, actual (the invoice total so far), rate, window,
    remaining_days, complete}. An issued month's forecast is its invoice. Needs the whole
    invoice: ScopeError for a cost-group user or a partly assigned account manager."""
    on, p = _month(con, scope, customer_id, period)
    check_whole_invoice(scope, on)
    invoice = edge_invoice(con, scope, on, p)
    return _forecast(p, summary_of(on, p, invoice), invoice, _freshness(con, on, p),
                     _daily_amounts(con, scope, on, p))


def month_glance(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any) -> dict:
    """customer_id's month at a glance: {summary (customer_summary: THE invoice total so far),
    forecast (as `forecast`), change ({current, previous, change, pct, days, previous_days,
    currency} of usage against the same days of the previous month, or None when that month is
    not billed or was in another currency), freshness (as `freshness`), through (the latest
    charge day loaded, or None)}. Needs the whole invoice (ScopeError as `forecast`)."""
    on, p = _month(con, scope, customer_id, period)
    check_whole_invoice(scope, on)
    invoice = edge_invoice(con, scope, on, p)      # each thing read once (docs/performance.md)
    summary = summary_of(on, p, invoice)
    fresh = _freshness(con, on, p)
    days = _daily_amounts(con, scope, on, p)
    through = month_end(p) if summary["final"] else _through(p, fresh)
    change = None
    before = previous_period(p)
    if through is not None and before in visible_periods(con, scope):
        previous = records(con.execute(sql("rpt_portal_spend"), spend_params(on, before, by="day")))
        if all(r["x_BuyerCurrency"] == summary["currency"] for r in previous):
            c = same_days_change(current=days, previous={r["x_Day"]: r["price"] for r in previous},
                                 through=through, currency=summary["currency"])
            change = {"current": c.current, "previous": c.previous, "change": c.change,
                      "pct": c.pct, "days": c.days, "previous_days": c.previous_days,
                      "currency": c.currency}
    return {"summary": summary, "forecast": _forecast(p, summary, invoice, fresh, days),
            "change": change, "freshness": fresh, "through": through}


def months(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any,
           count: int = MONTHS) -> list[dict]:
    """The last `count` months up to the period, from the invoices themselves (issued, or the
    current draft): [{period, number, status, subtotal, tax, total, currency, total_chart}],
    oldest first. Needs the whole invoice (ScopeError as `forecast`)."""
    on, p = _month(con, scope, customer_id, period)
    check_whole_invoice(scope, on)
    found = [r for r in _invoices(con, scope, buyer=on.buyer)
             if r["seller"] == on.seller and r["x_Period"] <= p]
    latest = sorted(found, key=lambda r: r["x_Period"])[-count:]
    out = []
    for r in latest:
        ccy = r["currency"]
        total = round_line(r["total"], ccy)
        out.append({"period": r["x_Period"], "number": r["number"], "status": r["status"],
                    "subtotal": round_line(r["subtotal"], ccy), "tax": round_line(r["tax"], ccy),
                    "total": total, "currency": ccy, "total_chart": float(total)})
    return out


# --- the brand --------------------------------------------------------------------------------

def brand(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any) -> dict:
    """The brand the portal shows for customer_id: the SELLER's on that edge (a reseller's
    customer sees its reseller, never the distributor above it): {seller, display_name, accent
    ('#RRGGBB'), logo (a data: URI, or None), customer, customer_name, viewing_as (True when the
    user's own organisation is the seller: an administrator or account manager opening a
    customer)}."""
    from data.config import current_seller_branding  # the configuration in force

    on = edge(con, scope, customer_id)
    b = current_seller_branding(con, on.seller)
    if b is None:
        raise ScopeError("No configuration has been imported yet; import one first.")
    logo = None
    if b.logo is not None:
        logo = f"data:{b.logo.mime};base64,{base64.b64encode(b.logo.data).decode('ascii')}"
    return {"seller": on.seller, "display_name": b.display_name, "accent": b.accent_colour,
            "logo": logo, "customer": on.buyer, "customer_name": on.buyer_org.name,
            "viewing_as": not on.own}

