"""The billing run: price a period on every edge of the hierarchy and draft its invoices.

The heavy lifting is SQL over the store (queries/ledger/fct_*.sql): the period's pricing groups (kept
up to date at ingest, data.groups) are assigned to customers, then priced with one statement
per depth of the tree.
Python only does what is per buyer and small: volume tiers (pricing.tiers) and invoice
assembly (pricing.invoice), so the rounding rule lives in one place. docs/pricing.md is the
spec; pricing.engine is the independent pure model a property test compares this with.

A run is one transaction. If any row cannot be priced (no rule, no FX rate), or any buyer's
invoice cannot be drafted (an amount beyond what the store holds), the run is recorded as failed
with its problems, each naming the buyer, and the period's ledger and drafts stay as they were.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import duckdb
import pyarrow as pa

from data.alerts import after_run
from data.audit import record_store_audit
from data.config import current_pricing, current_version
from data.gc_pause import paused_gc
from data.groups import Grouping, current_grouping, ensure_groups
from data.invoicing import Draft, assemble_drafts, issue_invoices, write_drafts  # noqa: F401 (issue_invoices: callers import it from here)
from data.store import transaction
from pricing.hierarchy import edges_for
from pricing.money import HUNDRED, ZERO
from pricing.periods import PERIOD_EXAMPLE
from pricing.periods import parse_period as read_period
from pricing.tiers import apply_tiers
from queries import run

if TYPE_CHECKING:
    from data.ingest import IngestResult
    from pricing.hierarchy import Org
    from pricing.plans import Plan
    from pricing.tiers import TierResult

Progress = Callable[[float, str], None]


class BillingError(RuntimeError):
    """A run that cannot start (no configuration, bad period)."""


@dataclass
class BillingSummary:
    run_id: int
    period: date
    status: str                                   # ok | failed
    rows_priced: int = 0
    rows_unassigned: int = 0
    rows_unpriced: int = 0
    unassigned_cost: dict[str, Decimal] = field(default_factory=dict)    # currency → BilledCost
    totals: list[dict] = field(default_factory=list)   # [{seller, currency, invoices, subtotal, tax, total}]
    problems: list[dict] = field(default_factory=list)  # unpriced groups: kind, buyer, detail, rows, cost
    invoices_drafted: int = 0
    invoices_kept_issued: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict:
        def s(v):
            return str(v) if isinstance(v, Decimal) else v
        return {
            "run_id": self.run_id, "period": self.period.strftime("%Y-%m"), "status": self.status,
            "rows_priced": self.rows_priced, "rows_unassigned": self.rows_unassigned,
            "rows_unpriced": self.rows_unpriced,
            "unassigned_cost": {k: str(v) for k, v in self.unassigned_cost.items()},
            "totals": [{k: s(v) for k, v in t.items()} for t in self.totals],
            "problems": [{k: s(v) for k, v in p.items()} for p in self.problems],
            "invoices_drafted": self.invoices_drafted,
            "invoices_kept_issued": self.invoices_kept_issued,
        }


def parse_period(text: str | date) -> date:
    """'2026-05', a day of that month or a date → date(2026, 5, 1), as pricing.periods reads
    it; otherwise a BillingError in the words the CLI prints."""
    try:
        return read_period(text)
    except ValueError as exc:
        raise BillingError(f"period must look like {PERIOD_EXAMPLE}, got {text!r}") from exc


def _edges_table(orgs: Mapping[str, Org], plans: Mapping[str, Plan]) -> pa.Table:
    cols = defaultdict(list)
    for org in orgs.values():
        if org.kind != "customer":
            continue
        for depth, seller, buyer in edges_for(orgs, org.id):
            plan = plans[orgs[buyer].plan]
            share = plan.commitment_share_pct / HUNDRED if plan.commitment_share_pct is not None else ZERO
            cols["x_CustomerId"].append(org.id)
            cols["x_Depth"].append(depth)
            cols["x_SellerId"].append(seller)
            cols["x_BuyerId"].append(buyer)
            cols["plan_id"].append(plan.id)
            cols["buyer_ccy"].append(orgs[buyer].currency)
            cols["seller_ccy"].append(orgs[seller].currency)
            cols["credits"].append(plan.credits)
            cols["commitments"].append(plan.commitments)
            cols["share_frac"].append(share)
    schema = pa.schema([
        ("x_CustomerId", pa.string()), ("x_Depth", pa.int32()), ("x_SellerId", pa.string()),
        ("x_BuyerId", pa.string()), ("plan_id", pa.string()), ("buyer_ccy", pa.string()),
        ("seller_ccy", pa.string()), ("credits", pa.string()), ("commitments", pa.string()),
        ("share_frac", pa.decimal128(20, 10)),
    ])
    return pa.table({name: cols[name] for name in schema.names}, schema=schema)


def run_billing(con: duckdb.DuckDBPyConnection, period: date | str, *,
                progress: Progress | None = None, run_by: str = "system") -> BillingSummary:
    """Price `period` and replace its draft invoices atomically, audited as `run_by` (action
    `billing_run`). See the module docstring."""
    period = parse_period(period)
    objects = current_pricing(con)
    if objects is None:
        raise BillingError("no configuration in the store: run `python cli.py config import FILE` first")
    orgs, plans = objects
    version = run(con, "cfg_current_version")[0][0]
    step = progress or (lambda f, m: None)
    grouping = current_grouping(con)
    max_depth = max((len(edges_for(orgs, o.id)) for o in orgs.values() if o.kind == "customer"), default=0)

    run(con, "run_fast_inserts")
    try:
        summary = _run(con, period, orgs, plans, version, grouping, max_depth, step, run_by)
    finally:
        run(con, "run_reset_inserts")
    after_run(con, summary)     # budget and partner-credit alerts: after the transaction, never fail it
    step(1.0, f"run {summary.run_id} {summary.status}")
    return summary


def _run(con: duckdb.DuckDBPyConnection, period: date, orgs: Mapping[str, Org], plans: Mapping[str, Plan],
         version: int, grouping: Grouping, max_depth: int, step: Progress, run_by: str) -> BillingSummary:
    """The run itself, in one transaction (see run_billing)."""
    with transaction(con):
        run_id = run(con, "run_start", {"period": period, "config_version": version,
                                        "tag_keys": list(grouping.tag_keys)})[0][0]
        p = {"period": period}
        ensure_groups(con, period, grouping, progress=lambda m: step(0.05, m))
        step(0.30, "assigning rows to customers")
        cut = {"run_id": run_id, **p, "grouping": grouping.signature, "tag_keys": list(grouping.tag_keys)}
        run(con, "fct_stage_accounts", cut)
        run(con, "fct_stage_assign", cut)
        run(con, "fct_commit_coverage", {"run_id": run_id, **p})   # which commitment covered whom (#15)
        run(con, "fct_exceptions_unassigned", {"run_id": run_id, **p})
        con.register("edges_src", _edges_table(orgs, plans))
        try:
            run(con, "fct_edges_load", {"run_id": run_id, **p})
        finally:
            con.unregister("edges_src")
        tier_results: dict[str, TierResult] = {}
        for depth in range(1, max_depth + 1):
            step(0.35 + 0.45 * depth / max(max_depth, 1), f"pricing edges of depth {depth}")
            run(con, "fct_price_edge", {"depth": depth, "run_id": run_id, **p})
            run(con, "fct_exceptions_unpriced", {"run_id": run_id, **p})
            factors = {"x_BuyerId": [], "factor": []}
            for buyer, subtotal in run(con, "fct_tier_subtotals"):
                result = apply_tiers(plans[orgs[buyer].plan].tiers, subtotal)
                tier_results[buyer] = result
                factors["x_BuyerId"].append(buyer)
                factors["factor"].append(result.factor)
            con.register("tier_src", pa.table(factors, schema=pa.schema(
                [("x_BuyerId", pa.string()), ("factor", pa.decimal128(20, 12))])))
            run(con, "fct_tier_factors_load")
            con.unregister("tier_src")
            run(con, "fct_apply_tiers", {"run_id": run_id, **p})

        summary = _summarise(con, run_id, period)
        drafts: list[Draft] = []
        if not summary.problems:
            # Every invoice is assembled (and checked against the columns) before anything is
            # replaced: one buyer whose invoice cannot be stored fails the run with a problem
            # naming that buyer, and the ledger and drafts of the period stay as they were.
            step(0.85, "drafting invoices")
            with paused_gc():
                drafts = assemble_drafts(con, run_id, period, orgs, plans, tier_results, summary)
        if summary.problems:
            summary.status = "failed"
            for table in ("fct_prices", "fct_groups", "fct_accounts", "fct_edges"):
                run(con, f"{table}_drop_run", {"run_id": run_id})
        else:
            step(0.90, "replacing the period's ledger")
            for table in ("fct_prices", "fct_groups", "fct_accounts", "fct_edges"):
                run(con, f"{table}_keep_run", {"run_id": run_id, **p})
            step(0.95, "storing the draft invoices")
            with paused_gc():
                write_drafts(con, run_id, period, drafts, summary)
        run(con, "run_finish", {
            "run_id": run_id, "status": summary.status, "rows_priced": summary.rows_priced,
            "rows_unassigned": summary.rows_unassigned, "rows_unpriced": summary.rows_unpriced,
            "summary": json.dumps(summary.to_json()),
        })
        record_store_audit(con, username=run_by, action="billing_run", target=f"{period:%Y-%m}",
                           detail=f"run {run_id} {summary.status}: {summary.rows_priced:,} rows priced, "
                                  f"{summary.rows_unpriced:,} unpriced, {summary.invoices_drafted} drafts")
    return summary


def _summarise(con: duckdb.DuckDBPyConnection, run_id: int, period: date) -> BillingSummary:
    summary = BillingSummary(run_id=run_id, period=period, status="ok")
    summary.rows_priced = int(run(con, "fct_rows_priced", {"run_id": run_id})[0][0])
    for kind, rows, cost, ccy in run(con, "run_counts", {"run_id": run_id}):
        if kind == "unassigned":
            summary.rows_unassigned += int(rows)
            summary.unassigned_cost[ccy] = summary.unassigned_cost.get(ccy, ZERO) + cost
    problems = run(con, "run_problems", {"run_id": run_id})
    for kind, buyer, detail, rows, cost, ccy in problems:
        summary.rows_unpriced += int(rows)
        summary.problems.append({"kind": kind, "buyer": buyer, "detail": detail, "rows": int(rows),
                                 "billed_cost": cost, "currency": ccy})
    return summary


def reprice_after_ingest(con: duckdb.DuckDBPyConnection, results: Sequence[IngestResult], *,
                         progress: Progress | None = None, run_by: str = "system") -> list[BillingSummary]:
    """Price again what new deliveries changed (DOMAIN §7: while a period is open, every ingest
    re-prices it): the periods the loaded files touched, and every later period that still has
    drafts, so that corrections of issued invoices reach the next invoice. Nothing happens
    before a configuration is imported. `results` are data.ingest.IngestResult."""
    if current_version(con) is None:
        return []
    touched = sorted({p for r in results if r.status != "already_loaded" for p in r.periods})
    if not touched:
        return []
    later = [r[0] for r in run(con, "run_later_open_periods", {"period": touched[0]})]
    return [run_billing(con, p, progress=progress, run_by=run_by)
            for p in sorted(set(touched) | set(later))]


