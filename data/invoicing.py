"""Invoices of a billing run: the drafts it assembles (pricing.invoice, checked against what the
store holds, a buyer whose invoice cannot be drafted named in a problem), writing them, and
issuing a period's drafts (numbers, immutability, audit). data/billing.py calls the first two
inside its transaction; `issue_invoices` is the CLI's and the app's door to issuing.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Mapping

import duckdb
import pyarrow as pa

from data.audit import record_audit
from data.config import MAX_AMOUNT, MAX_TIER_START
from data.store import transaction
from pricing.invoice import Invoice, InvoiceLine, assemble_invoice, service_label
from pricing.money import HUNDRED, ZERO, calc, ledger
from queries import run

if TYPE_CHECKING:
    from data.billing import BillingSummary
    from pricing.hierarchy import Org
    from pricing.plans import Plan
    from pricing.tiers import TierResult

# What an invoice, its lines and the ledger can hold: DECIMAL(38,10).
STORE_LIMIT = Decimal("1e28")
STORE_PLACES = 10


@dataclass(frozen=True)
class Draft:
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


def _amounts(invoice: Invoice) -> list[Decimal]:
    return [invoice.subtotal, invoice.tax, invoice.total,
            *(x for line in invoice.lines for x in (line.unrounded, line.amount))]


def _invoice_fits(invoice: Invoice) -> bool:
    """Every amount of `invoice` fits its DECIMAL(38,10) column. Only the fees are computed in
    Python with more places than the ledger's; every other amount is a sum of ledger values or
    rounded, so its size is all there is to check (one pass over the amounts, per invoice)."""
    amounts = _amounts(invoice)
    if not all(x.is_finite() for x in amounts) or max(map(abs, amounts)) >= STORE_LIMIT:
        return False
    return all(_fits(line.unrounded) for line in invoice.lines if line.kind == "fee")


def _draft_problem(seller: str, buyer: str, period: date, org: Org, plan: Plan, bucket: dict,
                   tier: TierResult | None, invoice: Invoice | None, error: Exception | None) -> dict:
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


def assemble_drafts(con: duckdb.DuckDBPyConnection, run_id: int, period: date, orgs: Mapping[str, Org],
                     plans: Mapping[str, Plan], tier_results: dict[str, TierResult],
                     summary: BillingSummary) -> list[Draft]:
    """Every (seller, buyer) invoice of the run, assembled and checked; a buyer whose invoice
    cannot be drafted or stored becomes a problem of `summary` naming that buyer."""
    issued = {(s, b) for s, b in run(con, "inv_issued_pairs", {"period": period})}
    sums: dict[tuple[str, str], dict] = {}

    def invoice_body(seller: str, buyer: str) -> dict:
        """What one draft invoice adds up (created empty on first use)."""
        bucket = sums.get((seller, buyer))
        if bucket is None:
            bucket = sums[(seller, buyer)] = {"service": {}, "credit": defaultdict(lambda: ZERO), "usage": ZERO}
        return bucket

    sums_rows = run(con, "fct_invoice_sums", {"run_id": run_id})
    for seller, buyer, treatment, provider, service, charge_class, corrects, price, _rows in sums_rows:
        bucket = invoice_body(seller, buyer)
        if treatment == "passed_credit":
            bucket["credit"][provider] += price
        else:
            key = (provider, service_label(service, charge_class, corrects))
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

    drafts: list[Draft] = []
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
        if invoice is None or not _invoice_fits(invoice):
            summary.problems.append(_draft_problem(seller, buyer, period, buyer_org, plan, bucket,
                                                   tier_results.get(buyer), invoice, error))
            continue
        drafts.append(Draft(seller, buyer, invoice, (seller, buyer) in issued))
    return drafts


def write_drafts(con: duckdb.DuckDBPyConnection, run_id: int, period: date, drafts: list[Draft],
                  summary: BillingSummary) -> None:
    """Replace the period's drafts by `drafts` (restatements for the issued ones)."""
    run(con, "inv_delete_draft_lines", {"period": period})
    run(con, "inv_delete_drafts", {"period": period})
    run(con, "inv_restatements_delete", {"period": period})
    next_id = run(con, "inv_next_ids")[0][0]
    invoices: list[tuple[int, Draft]] = []
    totals: dict[tuple[str, str], dict] = {}
    for draft in drafts:
        seller, invoice = draft.seller, draft.invoice
        if draft.issued:
            # The issued invoice stays as it is; remember what it would say now.
            run(con, "inv_restatement_insert", {"period": period, "seller": seller, "buyer": draft.buyer,
                                                "run_id": run_id, "currency": invoice.currency,
                                                "subtotal": invoice.subtotal})
            summary.invoices_kept_issued += 1
            continue
        invoices.append((next_id, draft))
        next_id += 1
        t = totals.setdefault((seller, invoice.currency), {"seller": seller, "currency": invoice.currency,
                                                           "invoices": 0, "subtotal": ZERO, "tax": ZERO,
                                                           "total": ZERO})
        t["invoices"] += 1
        t["subtotal"] += invoice.subtotal
        t["tax"] += invoice.tax
        t["total"] += invoice.total
        summary.invoices_drafted += 1
    summary.totals = [totals[k] for k in sorted(totals)]
    # Columns built one at a time (about 110,000 lines on a 7,000-customer month).
    count = len(invoices)
    inv_cols = {
        "invoice_id": [i for i, _ in invoices], "run_id": [run_id] * count, "x_Period": [period] * count,
        "seller": [d.seller for _, d in invoices], "buyer": [d.buyer for _, d in invoices],
        "currency": [d.invoice.currency for _, d in invoices], "status": ["draft"] * count,
        "number": [None] * count,
        "subtotal": [d.invoice.subtotal for _, d in invoices],
        "tax_rate_pct": [d.invoice.tax_rate_pct for _, d in invoices],
        "tax": [d.invoice.tax for _, d in invoices], "total": [d.invoice.total for _, d in invoices],
        "issued_at": [None] * count, "issued_by": [None] * count,
    }
    numbered = [(i, line_no, line) for i, d in invoices for line_no, line in enumerate(d.invoice.lines, start=1)]
    line_cols = {
        "invoice_id": [i for i, _, _ in numbered], "line_no": [no for _, no, _ in numbered],
        "kind": [line.kind for _, _, line in numbered], "description": [line.description for _, _, line in numbered],
        "ProviderName": [line.provider for _, _, line in numbered],
        "ServiceName": [line.service for _, _, line in numbered],
        "unrounded": [line.unrounded for _, _, line in numbered], "amount": [line.amount for _, _, line in numbered],
        "detail": [json.dumps(line.detail, default=str) if line.detail else None for _, _, line in numbered],
    }

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


def issue_invoices(con: duckdb.DuckDBPyConnection, period: date | str, *, seller: str | None = None,
                   issued_by: str = "cli", org: str | None = None,
                   check: Callable[[list[tuple]], None] | None = None) -> list[tuple[str, str, Decimal, str]]:
    """Issue the period's drafts (of one seller, or all): sequential numbers per seller
    (`SELLER-000001`, or the seller's branding `invoice_prefix` + 000001), status 'issued',
    audit-logged. One transaction. Returns [(number, buyer, total, currency)].
    `check(drafts)`, when given, sees the drafts about to be issued — (invoice_id, seller, buyer,
    total, currency) — inside the transaction; raising there issues nothing (the console checks
    that they are still the drafts the user confirmed)."""
    from data.billing import parse_period  # the CLI's wording for a bad period (billing imports us)
    from data.config import current_config, invoice_prefixes
    period = parse_period(period)
    issued: list[tuple[str, str, Decimal, str]] = []
    with transaction(con):
        drafts = run(con, "inv_drafts_to_issue", {"period": period, "seller": seller})
        if check is not None:
            check(drafts)
        # the prefix in force when the number is given; an issued number never changes again
        prefixes = invoice_prefixes(current_config(con)) if drafts else {}
        counters: dict[str, int] = {}
        for invoice_id, inv_seller, buyer, total, currency in drafts:
            if inv_seller not in counters:
                counters[inv_seller] = run(con, "inv_issued_count", {"seller": inv_seller})[0][0]
            counters[inv_seller] += 1
            number = f"{prefixes.get(inv_seller, inv_seller.upper() + '-')}{counters[inv_seller]:06d}"
            run(con, "inv_issue", {"invoice_id": invoice_id, "number": number, "issued_by": issued_by})
            record_audit(con, username=issued_by, org=org, action="invoice_issue", target=number,
                         detail=f"{buyer} {period:%Y-%m} total {total} {currency}")
            issued.append((number, buyer, total, currency))
    return issued
