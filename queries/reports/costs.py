"""A customer's month at its own price (the portal's breakdown and drill-down): sums by
dimension, the FOCUS rows behind them with each row's price, and the sub-accounts to pick from.

Every read is about one edge (parent → customer), checked by queries.scope.edge first. Money as
`Decimal`: ledger sums unrounded (DECIMAL(38,10)); a row's price is its share of its pricing
group's price (docs/pricing.md §8). Sums of shares (the daily breakdown, a cost-group user's
breakdowns) are taken in SQL by rpt_portal_spend in exact integer arithmetic; a single row's share
(the drill-down, the FOCUS export) in Python (row_share), because DuckDB divides DECIMALs as
DOUBLE.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from pricing.money import ZERO
from queries import sql
from queries.reports.common import check_limit, records, row_share
from queries.scope import Edge, Scope, ScopeError, check_period, check_whole_invoice, edge, own_org, seller_view

COST_BY = ("service", "provider", "sub_account", "region", "category", "day")
COST_GROUP_TAG = "cost_group"          # the Tags key that names a row's cost group

_DIMENSIONS = {
    "service": ["ProviderName", "ServiceName"],
    "provider": ["ProviderName"],
    "sub_account": ["SubAccountId"],
    "region": ["RegionId"],
    "category": ["ServiceCategory"],
    "day": ["day"],
}


def customer_sub_accounts(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any,
                          period: Any = None) -> list[str]:
    """The sub-accounts on customer_id's edge (in one billed period, or any): widget choices."""
    on = edge(con, scope, customer_id)
    p = check_period(con, scope, period) if period is not None else None
    rows = con.execute(sql("rpt_customer_sub_accounts"), {
        "seller": on.seller, "buyer": on.buyer, "customers": on.customers, "period": p,
    }).fetchall()
    return [r[0] for r in rows]


def _check_sub_account(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: str,
                       sub_account: Any) -> None:
    if sub_account is None:
        return
    if not isinstance(sub_account, str) or sub_account not in customer_sub_accounts(con, scope, customer_id):
        raise ScopeError("That sub-account is not one of this customer's.")


def _row_params(on: Edge, p: date, *, grain: str, limit: int | None, sub_account: str | None,
                service: str | None, show_list: bool, show_cost: bool) -> dict[str, Any]:
    return {"period": p, "seller": on.seller, "buyer": on.buyer, "customers": on.customers,
            "cost_groups": on.cost_groups, "sub_account": sub_account, "service": service,
            "grain": grain, "limit": limit, "show_list": show_list, "show_cost": show_cost}


def customer_costs(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any, *,
                   by: str = "service", sub_account: str | None = None) -> pd.DataFrame:
    """customer_id's month at its own price (the ledger, buyer = customer_id), summed by `by`
    ∈ service (ProviderName, ServiceName) | provider | sub_account (SubAccountId) | region
    (RegionId) | category (ServiceCategory) | day. Columns: the dimension column(s), currency,
    price (Decimal, unrounded), price_chart (float, for charts only). Fees are invoice lines and
    are not in it. 'day', and every breakdown for a cost-group user, is built from the FOCUS rows
    (each row's pro-rata share of its group, docs/pricing.md §8), summed in SQL (rpt_portal_spend):
    to the last of the ledger's 10 places what summing row_share per (group, day) gives."""
    if by not in COST_BY:
        raise ValueError(f"by must be one of {', '.join(COST_BY)}")
    on = edge(con, scope, customer_id)
    p = check_period(con, scope, period)
    _check_sub_account(con, scope, customer_id, sub_account)
    dims = _DIMENSIONS[by]
    if by != "day" and on.cost_groups is None:
        found = records(con.execute(sql("rpt_customer_costs"), {
            "period": p, "seller": on.seller, "buyer": on.buyer, "customers": on.customers,
            "sub_account": sub_account, "service": None, "region": None, "by": by}))
    else:
        found = records(con.execute(sql("rpt_portal_spend"), spend_params(
            on, p, by=by, sub_account=sub_account)))
        for r in found:
            r["day"] = r["x_Day"]
        if by != "day":
            found.sort(key=lambda d: (-d["price"], *(str(d[k]) for k in dims)))
    data = [{**{d: r[d] for d in dims}, "currency": r["x_BuyerCurrency"], "price": r["price"]}
            for r in found]
    frame = pd.DataFrame(data, columns=[*dims, "currency", "price"])
    frame["price"] = frame["price"].astype(object)
    frame["price_chart"] = [float(v) for v in frame["price"]]
    return frame


def spend_params(on: Edge, p: date, *, by: str, sub_account: str | None = None,
                 service: str | None = None, region: str | None = None,
                 tag_path: str | None = None, tag_value: str | None = None,
                 untagged: bool = False, limit: int | None = None) -> dict[str, Any]:
    """The bound parameters of rpt_portal_spend for an edge the caller has checked."""
    return {"period": p, "seller": on.seller, "buyer": on.buyer, "customers": on.customers,
            "cost_groups": on.cost_groups, "sub_account": sub_account, "service": service,
            "region": region, "tag_path": tag_path, "tag_value": tag_value,
            "untagged": untagged, "by": by, "limit": limit}


def customer_rows(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any, period: Any, *,
                  limit: int = 500, sub_account: str | None = None,
                  service: str | None = None) -> pd.DataFrame:
    """The FOCUS rows behind customer_id's month with each row's price (docs/pricing.md §8):
    ChargePeriodStart, ProviderName, ServiceName, SkuId, ResourceId, ResourceName, RegionId,
    SubAccountId, ChargeCategory, quantity, unit, price (Decimal, the buyer's currency), currency;
    plus ListCost and BillingCurrency for users of a reseller or distributor (list prices are
    usage), and BilledCost, EffectiveCost for the root (its own cost). Never a seller's x_Cost."""
    check_limit(limit)
    if service is not None and not isinstance(service, str):
        raise ValueError("service must be a service name")
    on = edge(con, scope, customer_id)
    p = check_period(con, scope, period)
    _check_sub_account(con, scope, customer_id, sub_account)
    me = own_org(con, scope)
    show_list = me.kind != "customer" and seller_view(scope)
    show_cost = me.is_root and not on.own
    params = _row_params(on, p, grain="row", limit=limit, sub_account=sub_account, service=service,
                         show_list=show_list, show_cost=show_cost)
    cols = ["ChargePeriodStart", "ProviderName", "ServiceName", "SkuId", "ResourceId", "ResourceName",
            "RegionId", "SubAccountId", "ChargeCategory", "quantity", "unit", "price", "currency"]
    if show_list:
        cols += ["ListCost", "BillingCurrency"]
    if show_cost:
        cols += ["BilledCost", "EffectiveCost"]
    data = []
    for r in records(con.execute(sql("rpt_customer_rows"), params)):
        r["quantity"], r["unit"] = r["ConsumedQuantity"], r["ConsumedUnit"]
        r["currency"] = r["x_BuyerCurrency"]
        r["price"] = row_share(r["x_PriceBuyer"], r["x_RowBasis"], r["x_GroupBasis"],
                               r["x_Rows"], r["x_GroupRows"])
        data.append({c: r[c] for c in cols})
    frame = pd.DataFrame(data, columns=cols)
    for c in ("price", "quantity", "ListCost", "BilledCost", "EffectiveCost"):
        if c in frame:
            frame[c] = frame[c].astype(object)
    return frame


def customer_focus_rows(con: duckdb.DuckDBPyConnection, scope: Scope, customer_id: Any,
                        period: Any) -> list[dict]:
    """Every FOCUS row of customer_id's month with its exact share of its pricing group's price,
    for the customer's own FOCUS export (data/focus_export.py, docs/focus-export.md).

    The whole edge only (ScopeError for a cost-group user or a partial account manager, as for
    the invoice the rows add up to). Each dict holds the landed FOCUS columns except the
    provider's cost (BilledCost, EffectiveCost, ContractedCost, ContractedUnitPrice: the seller's
    cost, never read out), x_Treatment, x_FxRate, x_BuyerCurrency, x_GroupId and `x_Share`: the
    row's share (docs/pricing.md §8, 10 places) with the group's rounding residue put on the row
    with the largest share, so that the shares of a group add up to its x_PriceBuyer EXACTLY and
    the rows of an invoice line to that line's unrounded amount. Tax rows and retained credits
    are not the buyer's and are not in it."""
    on = edge(con, scope, customer_id)
    p = check_period(con, scope, period)
    check_whole_invoice(scope, on)
    found = records(con.execute(sql("rpt_customer_focus"), {
        "period": p, "seller": on.seller, "buyer": on.buyer, "customers": on.customers}))
    by_group: dict[int, list[dict]] = defaultdict(list)
    for r in found:
        r["x_Share"] = row_share(r["x_PriceBuyer"], r["x_RowBasis"], r["x_GroupBasis"], 1,
                                 r["x_GroupRows"])
        by_group[r["x_GroupId"]].append(r)
    for rows in by_group.values():
        residue = rows[0]["x_PriceBuyer"] - sum((r["x_Share"] for r in rows), ZERO)
        if residue:
            largest = max(rows, key=lambda r: (abs(r["x_Share"]), -r["x_Rid"]))
            largest["x_Share"] += residue
    for r in found:
        for hidden in ("x_RowBasis", "x_GroupBasis", "x_GroupRows", "x_PriceBuyer"):
            del r[hidden]
    return found
