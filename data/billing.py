"""The billing run: price a period on every edge of the hierarchy and draft its invoices.

The heavy lifting is SQL over the store (queries/fct_*.sql): the period's pricing groups (kept
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
from typing import Callable

import duckdb
import pyarrow as pa

from data.audit import record_audit, record_store_audit
from data.config import MAX_AMOUNT, MAX_TIER_START, current_config, to_pricing
from data.groups import Grouping, current_grouping, ensure_groups
from data.store import transaction
from pricing.hierarchy import edges_for
from pricing.invoice import InvoiceLine, assemble_invoice, service_label
from pricing.money import HUNDRED, ZERO, calc, ledger
from pricing.periods import PERIOD_EXAMPLE, parse_period as read_period
from pricing.tiers import apply_tiers
from queries import run

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


def _edges_table(orgs, plans) -> pa.Table:
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
    doc = current_config(con)
    if doc is None:
        raise BillingError("no configuration in the store: run `python cli.py config import FILE` first")
    orgs, plans, _fx = to_pricing(doc)
    version = run(con, "cfg_current_version")[0][0]
    step = progress or (lambda f, m: None)
    grouping = current_grouping(con)
    max_depth = max((len(edges_for(orgs, o.id)) for o in orgs.values() if o.kind == "customer"), default=0)

    run(con, "run_fast_inserts")
    try:
        summary = _run(con, period, orgs, plans, version, grouping, max_depth, step, run_by)
    finally:
        run(con, "run_reset_inserts")
    step(1.0, f"run {summary.run_id} {summary.status}")
    return summary


def _run(con, period, orgs, plans, version, grouping: Grouping, max_depth, step,
         run_by: str) -> BillingSummary:
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
        run(con, "fct_exceptions_unassigned", {"run_id": run_id, **p})
        con.register("edges_src", _edges_table(orgs, plans))
        try:
            run(con, "fct_edges_load", {"run_id": run_id, **p})
        finally:
            con.unregister("edges_src")
        tier_results: dict[str, object] = {}
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
        drafts: list[_Draft] = []
        if not summary.problems:
            # Every invoice is assembled (and checked against the columns) before anything is
            # replaced: one buyer whose invoice cannot be stored fails the run with a problem
            # naming that buyer, and the ledger and drafts of the period stay as they were.
            step(0.85, "drafting invoices")
            drafts = _assemble_drafts(con, run_id, period, orgs, plans, tier_results, summary)
        if summary.problems:
            summary.status = "failed"
            for table in ("fct_prices", "fct_groups", "fct_accounts", "fct_edges"):
                run(con, f"{table}_drop_run", {"run_id": run_id})
        else:
            step(0.90, "replacing the period's ledger")
            for table in ("fct_prices", "fct_groups", "fct_accounts", "fct_edges"):
                run(con, f"{table}_keep_run", {"run_id": run_id, **p})
            step(0.95, "storing the draft invoices")
            _write_drafts(con, run_id, period, drafts, summary)
        run(con, "run_finish", {
            "run_id": run_id, "status": summary.status, "rows_priced": summary.rows_priced,
            "rows_unassigned": summary.rows_unassigned, "rows_unpriced": summary.rows_unpriced,
            "summary": json.dumps(summary.to_json()),
        })
        record_store_audit(con, username=run_by, action="billing_run", target=f"{period:%Y-%m}",
                           detail=f"run {run_id} {summary.status}: {summary.rows_priced:,} rows priced, "
                                  f"{summary.rows_unpriced:,} unpriced, {summary.invoices_drafted} drafts")
    return summary


def _summarise(con, run_id: int, period: date) -> BillingSummary:
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


# What an invoice, its lines and the ledger can hold: DECIMAL(38,10).
STORE_LIMIT = Decimal("1e28")
STORE_PLACES = 10


@dataclass(frozen=True)
class _Draft:
    seller: str
    buyer: str
    invoice: object              # pricing.invoice.Invoice
    issued: bool                 # the period's invoice of this pair is issued: restate only


def _fits(value: Decimal | None) -> bool:
    """A DECIMAL(38,10) column can hold `value` exactly."""
    if value is None:
        return True
    if not value.is_finite() or abs(value) >= STORE_LIMIT:
        return False
    exponent = value.as_tuple().exponent
    return not isinstance(exponent, int) or exponent >= -STORE_PLACES or value == ledger(value)


def _amounts(invoice) -> list[Decimal]:
    return [invoice.subtotal, invoice.tax, invoice.total,
            *(x for line in invoice.lines for x in (line.unrounded, line.amount))]


def _draft_problem(seller: str, buyer: str, period: date, org, plan, bucket: dict, tier,
                   invoice, error: Exception | None) -> dict:
    """One sentence naming the buyer, its seller and what broke its invoice: a field of its plan
    (when one is beyond what the store holds) or else its own usage of the period."""
    with calc():
        cause = None
        for i, fee in enumerate(plan.fees):
            if fee.amount is not None and not (ZERO <= fee.amount < MAX_AMOUNT):
                cause = (f"plan {plan.id!r} fees[{i}].amount is {fee.amount} (allowed: below "
                         f"{MAX_AMOUNT:,f})")
            elif fee.pct_of_usage is not None and not (
                    ZERO <= fee.pct_of_usage <= HUNDRED
                    and _fits(fee.pct_of_usage / HUNDRED * bucket["usage"])):
                cause = (f"plan {plan.id!r} fees[{i}].pct_of_usage is {fee.pct_of_usage} % of a "
                         f"usage of {bucket['usage']}")
            if cause:
                break
        if cause is None and tier is not None and plan.tiers is not None:
            for i, band in enumerate(plan.tiers.bands):
                if not (ZERO <= band.start < MAX_TIER_START and ZERO <= band.discount_pct <= HUNDRED):
                    cause = (f"plan {plan.id!r} tiers.bands[{i}] starts at {band.start} with "
                             f"{band.discount_pct} % off")
                    break
        if cause is None:
            usage = [v for v in (*bucket["service"].values(), *bucket["credit"].values())]
            largest = max(usage, key=abs, default=ZERO)
            cause = (f"its usage this period adds up to {largest} on one line" if not _fits(largest)
                     else f"its lines with the fees of plan {plan.id!r} add up to "
                          f"{invoice.total if invoice is not None else 'more'}")
    why = f" ({type(error).__name__})" if error is not None else ""
    return {
        "kind": "invoice", "buyer": buyer, "rows": 0, "billed_cost": None, "currency": org.currency,
        "detail": (f"the {period:%Y-%m} invoice of {buyer} from {seller} cannot be drafted: {cause}, "
                   f"beyond what an invoice amount can be (below 10^28 {org.currency}, at most "
                   f"{STORE_PLACES} decimal places){why}; nothing of this run was kept: correct "
                   f"the plan or the provider data and run again"),
    }


def _assemble_drafts(con, run_id, period, orgs, plans, tier_results,
                     summary: BillingSummary) -> list[_Draft]:
    """Every (seller, buyer) invoice of the run, assembled and checked; a buyer whose invoice
    cannot be drafted or stored becomes a problem of `summary` naming that buyer."""
    issued = {(s, b) for s, b in run(con, "inv_issued_pairs", {"period": period})}
    sums: dict[tuple[str, str], dict] = {}

    def invoice_body(seller: str, buyer: str) -> dict:
        """What one draft invoice adds up (created empty on first use)."""
        return sums.setdefault((seller, buyer), {"service": {}, "credit": defaultdict(lambda: ZERO),
                                                 "usage": ZERO})

    sums_rows = run(con, "fct_invoice_sums", {"run_id": run_id})
    for seller, buyer, treatment, provider, service, charge_class, price, _rows in sums_rows:
        bucket = invoice_body(seller, buyer)
        if treatment == "passed_credit":
            bucket["credit"][provider] += price
        else:
            key = (provider, service_label(service, charge_class))
            bucket["service"][key] = bucket["service"].get(key, ZERO) + price
            if treatment == "priced":
                bucket["usage"] += price
    # Edges with no rows still get an invoice when the buyer's plan has a fixed fee.
    for org in orgs.values():
        if org.parent and org.plan and any(f.amount is not None for f in plans[org.plan].fees):
            invoice_body(org.parent, org.id)
    # Issued invoices are restated even when their rows are gone …
    for pair in issued:
        invoice_body(*pair)
    # … and an earlier issued invoice that was restated puts a correction on the next draft.
    corrections: dict[tuple[str, str], list[InvoiceLine]] = defaultdict(list)
    for seller, buyer, corrects, number, _ccy, delta in run(con, "inv_pending_corrections", {"period": period}):
        corrections[(seller, buyer)].append(InvoiceLine(
            "correction", f"Correction to {corrects:%Y-%m} (invoice {number})", delta, delta,
            detail={"corrects_period": corrects.isoformat(), "invoice_number": number}))
        invoice_body(seller, buyer)

    drafts: list[_Draft] = []
    for (seller, buyer), bucket in sorted(sums.items()):
        buyer_org = orgs[buyer]
        plan = plans[buyer_org.plan]
        invoice, error = None, None
        try:
            invoice = assemble_invoice(
                seller=seller, buyer=buyer, period=period, currency=buyer_org.currency,
                tax_rate_pct=buyer_org.tax_rate_pct, service_sums=bucket["service"],
                credit_sums=dict(bucket["credit"]), priced_usage=bucket["usage"],
                fees=plan.fees, tier=tier_results.get(buyer),
                corrections=() if (seller, buyer) in issued else corrections.get((seller, buyer), ()),
            )
        except ArithmeticError as exc:        # decimal overflow or invalid operation
            error = exc
        if invoice is None or not all(_fits(x) for x in _amounts(invoice)):
            summary.problems.append(_draft_problem(seller, buyer, period, buyer_org, plan, bucket,
                                                   tier_results.get(buyer), invoice, error))
            continue
        drafts.append(_Draft(seller, buyer, invoice, (seller, buyer) in issued))
    return drafts


def _write_drafts(con, run_id, period, drafts: list[_Draft], summary: BillingSummary) -> None:
    """Replace the period's drafts by `drafts` (restatements for the issued ones)."""
    run(con, "inv_delete_draft_lines", {"period": period})
    run(con, "inv_delete_drafts", {"period": period})
    run(con, "inv_restatements_delete", {"period": period})
    next_id = run(con, "inv_next_ids")[0][0]
    inv_cols, line_cols = defaultdict(list), defaultdict(list)
    totals: dict[tuple[str, str], dict] = {}
    for draft in drafts:
        seller, buyer, invoice = draft.seller, draft.buyer, draft.invoice
        if draft.issued:
            # The issued invoice stays as it is; remember what it would say now.
            run(con, "inv_restatement_insert", {"period": period, "seller": seller, "buyer": buyer,
                                                "run_id": run_id, "currency": invoice.currency,
                                                "subtotal": invoice.subtotal})
            summary.invoices_kept_issued += 1
            continue
        invoice_id = next_id
        next_id += 1
        for name, value in (("invoice_id", invoice_id), ("run_id", run_id), ("x_Period", period),
                            ("seller", seller), ("buyer", buyer), ("currency", invoice.currency),
                            ("status", "draft"), ("number", None), ("subtotal", invoice.subtotal),
                            ("tax_rate_pct", invoice.tax_rate_pct), ("tax", invoice.tax),
                            ("total", invoice.total), ("issued_at", None), ("issued_by", None)):
            inv_cols[name].append(value)
        for line_no, line in enumerate(invoice.lines, start=1):
            for name, value in (("invoice_id", invoice_id), ("line_no", line_no), ("kind", line.kind),
                                ("description", line.description), ("ProviderName", line.provider),
                                ("ServiceName", line.service), ("unrounded", line.unrounded),
                                ("amount", line.amount),
                                ("detail", json.dumps(line.detail, default=str) if line.detail else None)):
                line_cols[name].append(value)
        t = totals.setdefault((seller, invoice.currency), {"seller": seller, "currency": invoice.currency,
                                                           "invoices": 0, "subtotal": ZERO, "tax": ZERO,
                                                           "total": ZERO})
        t["invoices"] += 1
        t["subtotal"] += invoice.subtotal
        t["tax"] += invoice.tax
        t["total"] += invoice.total
        summary.invoices_drafted += 1
    summary.totals = [totals[k] for k in sorted(totals)]

    money = pa.decimal128(38, 10)
    inv_schema = pa.schema([
        ("invoice_id", pa.int64()), ("run_id", pa.int64()), ("x_Period", pa.date32()),
        ("seller", pa.string()), ("buyer", pa.string()), ("currency", pa.string()),
        ("status", pa.string()), ("number", pa.string()), ("subtotal", money),
        ("tax_rate_pct", pa.decimal128(9, 4)), ("tax", money), ("total", money),
        ("issued_at", pa.timestamp("us")), ("issued_by", pa.string()),
    ])
    line_schema = pa.schema([
        ("invoice_id", pa.int64()), ("line_no", pa.int32()), ("kind", pa.string()),
        ("description", pa.string()), ("ProviderName", pa.string()), ("ServiceName", pa.string()),
        ("unrounded", money), ("amount", money), ("detail", pa.string()),
    ])
    con.register("new_invoices", pa.table({n: inv_cols[n] for n in inv_schema.names}, schema=inv_schema))
    con.register("new_lines", pa.table({n: line_cols[n] for n in line_schema.names}, schema=line_schema))
    try:
        run(con, "inv_insert_invoices")
        run(con, "inv_insert_lines")
    finally:
        con.unregister("new_invoices")
        con.unregister("new_lines")


def reprice_after_ingest(con: duckdb.DuckDBPyConnection, results, *,
                         progress: Progress | None = None, run_by: str = "system") -> list[BillingSummary]:
    """Price again what new deliveries changed (DOMAIN §7: while a period is open, every ingest
    re-prices it): the periods the loaded files touched, and every later period that still has
    drafts, so that corrections of issued invoices reach the next invoice. Nothing happens
    before a configuration is imported. `results` are data.ingest.IngestResult."""
    if current_config(con) is None:
        return []
    touched = sorted({p for r in results if r.status != "already_loaded" for p in r.periods})
    if not touched:
        return []
    later = [r[0] for r in run(con, "run_later_open_periods", {"period": touched[0]})]
    return [run_billing(con, p, progress=progress, run_by=run_by)
            for p in sorted(set(touched) | set(later))]


def issue_invoices(con: duckdb.DuckDBPyConnection, period: date | str, *, seller: str | None = None,
                   issued_by: str = "cli", org: str | None = None) -> list[tuple[str, str, Decimal, str]]:
    """Issue the period's drafts (of one seller, or all): sequential numbers per seller
    (`SELLER-000001`), status 'issued', audit-logged. One transaction. Returns
    [(number, buyer, total, currency)]."""
    period = parse_period(period)
    issued: list[tuple[str, str, Decimal, str]] = []
    with transaction(con):
        drafts = run(con, "inv_drafts_to_issue", {"period": period, "seller": seller})
        counters: dict[str, int] = {}
        for invoice_id, inv_seller, buyer, total, currency in drafts:
            if inv_seller not in counters:
                counters[inv_seller] = run(con, "inv_issued_count", {"seller": inv_seller})[0][0]
            counters[inv_seller] += 1
            number = f"{inv_seller.upper()}-{counters[inv_seller]:06d}"
            run(con, "inv_issue", {"invoice_id": invoice_id, "number": number, "issued_by": issued_by})
            record_audit(con, username=issued_by, org=org, action="invoice_issue", target=number,
                         detail=f"{buyer} {period:%Y-%m} total {total} {currency}")
            issued.append((number, buyer, total, currency))
    return issued
