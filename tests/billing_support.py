"""Helpers for billing tests: a store from an inline config and inline FOCUS rows."""
from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import yaml

from data import focus
from data.config import import_config, parse_config
from data.ingest import ingest_file
from data.store import connect

FOCUS_HEADER = [c for c in focus.FOCUS_12_COLUMNS if c not in focus.LANDED_ELSEWHERE]


def focus_row(*, period: str = "2026-05", provider: str = "AWS", account: str = "100000000001",
              sub: str | None = "200000000001", category: str = "Usage", service: str = "AmazonEC2",
              service_category: str = "Compute", sku: str | None = "SKU-1", region: str | None = "us-east-1",
              list_cost: str = "0", contracted: str | None = None, billed: str = "0",
              effective: str | None = None, currency: str = "USD", invoice: str | None = "INV-1",
              charge_class: str | None = None, commitment_id: str | None = None,
              commitment_status: str | None = None, tags: str | None = None, day: int = 1) -> dict:
    """One FOCUS 1.2 row as strings, with sensible defaults for everything a test doesn't care about."""
    y, m = (int(x) for x in period.split("-"))
    start = f"{y:04d}-{m:02d}-01T00:00:00Z"
    end = f"{y + (m == 12):04d}-{(m % 12) + 1:02d}-01T00:00:00Z"
    row = {h: "" for h in FOCUS_HEADER}
    row.update({
        "BillingAccountId": account, "BillingAccountName": "Payer", "BillingCurrency": currency,
        "BillingPeriodStart": start, "BillingPeriodEnd": end, "ChargeCategory": category,
        "ChargeClass": charge_class or "", "ChargeDescription": f"{service} {category}",
        "ChargeFrequency": "Usage-Based",
        "ChargePeriodStart": f"{y:04d}-{m:02d}-{day:02d}T00:00:00Z",
        "ChargePeriodEnd": f"{y:04d}-{m:02d}-{day:02d}T01:00:00Z",
        "ProviderName": provider, "PublisherName": provider, "InvoiceIssuerName": provider,
        "InvoiceId": invoice or "", "ServiceCategory": service_category, "ServiceName": service,
        "SkuId": sku or "", "RegionId": region or "", "SubAccountId": sub or "",
        "ListCost": list_cost, "ContractedCost": contracted if contracted is not None else list_cost,
        "BilledCost": billed, "EffectiveCost": effective if effective is not None else billed,
        "CommitmentDiscountId": commitment_id or "", "CommitmentDiscountStatus": commitment_status or "",
        "Tags": tags or "", "PricingCurrency": currency,
    })
    return row


def write_focus(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FOCUS_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def make_store(tmp_path: Path, config: dict, rows: list[dict], name: str = "t"):
    """A fresh store with `config` imported and `rows` ingested through the real ingest path."""
    con = connect(tmp_path / f"{name}.duckdb")
    doc = parse_config(yaml.safe_dump(config, sort_keys=False), source=f"{name}.yaml")
    import_config(con, doc, imported_by="test")
    if rows:
        ingest_file(con, write_focus(tmp_path / f"{name}.csv", rows), loaded_by="test")
    return con


def invoices_by_buyer(con, period: date) -> dict[str, dict]:
    """{buyer: {seller, currency, lines: {description: Decimal}, subtotal, tax, total}} of the period."""
    out: dict[str, dict] = {}
    heads = con.execute(
        "SELECT invoice_id, seller, buyer, currency, subtotal, tax, total FROM invoices WHERE x_Period = ?",
        [period]).fetchall()
    for invoice_id, seller, buyer, ccy, subtotal, tax, total in heads:
        lines = dict(con.execute(
            "SELECT description, amount FROM invoice_lines WHERE invoice_id = ? ORDER BY line_no",
            [invoice_id]).fetchall())
        out[buyer] = {"seller": seller, "currency": ccy, "lines": lines,
                      "subtotal": subtotal, "tax": tax, "total": total}
    return out


def dec(value: str) -> Decimal:
    return Decimal(value)


# ---------------------------------------------------------------------------------------------
# The reference engine as a ledger-level oracle (tests/test_billing_property.py,
# tests/test_ledger_oracle.py): the SQL run's ledger, exceptions and margins next to the ones
# pricing.engine implies for the same configuration and rows.

def reimport(con, config: dict, name: str = "t2") -> None:
    """Import `config` into an existing store (the run then regroups what the new mappings need)."""
    import_config(con, parse_config(yaml.safe_dump(config, sort_keys=False), source=f"{name}.yaml"),
                  imported_by="test")


def engine_inputs(con):
    """(orgs, plans, fx, mappings) of the store's current configuration, as pure model objects."""
    from data.config import current_config, to_pricing
    from pricing.assign import AccountMapping

    doc = current_config(con)
    orgs, plans, fx = to_pricing(doc)
    mappings = [AccountMapping(customer=m.customer, provider=m.provider, sub_account_id=m.sub_account_id,
                               billing_account_id=m.billing_account_id, tag=m.tag, value=m.value,
                               valid_from=m.valid_from, valid_to=m.valid_to)
                for m in doc.account_mappings]
    return orgs, plans, fx, mappings


def model_rows(rows: list[dict]) -> list[dict]:
    """FOCUS rows (strings, as written to the file) as the pure model takes them: Decimal amounts,
    None for empty; no customer (the engine assigns it from the mappings)."""
    out = []
    for r in rows:
        row = {k: (v if v != "" else None) for k, v in r.items()}
        for money in ("ListCost", "ContractedCost", "BilledCost", "EffectiveCost"):
            row[money] = Decimal(r[money])
        out.append(row)
    return out


def ledger_key(entry: dict) -> tuple:
    from pricing.engine import KEY_FIELDS
    return (entry["x_CustomerId"], *(entry[f] for f in KEY_FIELDS), entry["x_Depth"])


def sql_ledger(con, run_id: int) -> dict[tuple, dict]:
    """The run's fct_ledger, one entry per (customer, pricing key, depth), with the engine's columns."""
    from pricing.engine import ledger_columns

    cols = ledger_columns()
    out: dict[tuple, dict] = {}
    ledger = con.table("fct_ledger").filter(duckdb.ColumnExpression("run_id") == duckdb.ConstantExpression(run_id))
    for values in ledger.select(*cols).fetchall():
        entry = dict(zip(cols, values))
        key = ledger_key(entry)
        assert key not in out, f"two ledger rows for one group and edge: {key}"
        out[key] = entry
    return out


def model_ledger(model) -> dict[tuple, dict]:
    from pricing.engine import ledger_columns

    out: dict[tuple, dict] = {}
    for e in model.ledger:
        entry = {c: getattr(e, c) for c in ledger_columns()}
        out[ledger_key(entry)] = entry
    return out


def ledger_differences(got: dict[tuple, dict], want: dict[tuple, dict]) -> list[tuple]:
    """[(key, column, SQL value, engine value)] for every entry or column that differs; Decimals
    compare by value (a DECIMAL(38,10) column and the engine's quantized number are one value)."""
    diffs = []
    for key in sorted(set(got) | set(want), key=repr):
        if key not in got or key not in want:
            diffs.append((key, "(entry)", "present" if key in got else "missing",
                          "present" if key in want else "missing"))
            continue
        for col, value in want[key].items():
            if got[key][col] != value:
                diffs.append((key, col, got[key][col], value))
    return diffs


EXCEPTION_COLUMNS = ("kind", "x_SellerId", "x_BuyerId", "ProviderName", "BillingAccountId", "InvoiceId",
                     "SubAccountId", "ServiceName", "SkuId", "BillingCurrency")


def sql_exceptions(con, run_id: int):
    """The run's fct_exceptions as a multiset of (EXCEPTION_COLUMNS…, rows, BilledCost)."""
    from collections import Counter

    return Counter(con.execute(
        f"SELECT {', '.join(EXCEPTION_COLUMNS)}, x_RowCount, BilledCost FROM fct_exceptions WHERE run_id = ?",
        [run_id]).fetchall())


def model_exceptions(model):
    """The engine's issues summed to fct_exceptions' grain: unassigned per (provider, billing
    account, invoice, sub-account, service, SKU, currency); unpriced also per seller, buyer and
    charge category (fct_exceptions_unpriced.sql)."""
    from collections import Counter

    sums: dict[tuple, list] = {}
    for i in model.issues:
        key = (i.kind, i.seller, i.buyer, i.ProviderName, i.BillingAccountId, i.InvoiceId, i.SubAccountId,
               i.ServiceName, i.SkuId, i.BillingCurrency)
        grain = key if i.kind == "unassigned" else (*key, i.ChargeCategory)
        acc = sums.setdefault(grain, [0, Decimal(0)])
        acc[0] += i.row_count
        acc[1] += i.BilledCost
    return Counter((*grain[:len(EXCEPTION_COLUMNS)], rows, billed) for grain, (rows, billed) in sums.items())


def admin_scope(con, org_id: str):
    """An admin of `org_id` (as tests/test_invariants.py's org_scope)."""
    from queries import scope

    return scope.Scope(username=f"oracle-{org_id}", org_id=org_id, roles=frozenset({"admin"}),
                       visible_orgs=scope._subtree(con, org_id))


def sql_margins(con, period: date, sellers) -> dict[str, dict[str, tuple]]:
    """{org: {currency: (revenue, cost, margin)}} from queries.scope.margin_report, per seller."""
    from queries import scope

    out: dict[str, dict[str, tuple]] = {}
    for org in sellers:
        rows = scope.margin_report(con, admin_scope(con, org), period)
        if rows:
            out[org] = {r["currency"]: (Decimal(r["revenue"]), Decimal(r["cost"]), Decimal(r["margin"]))
                        for r in rows}
    return out


def model_margins(model) -> dict[str, dict[str, tuple]]:
    out: dict[str, dict[str, tuple]] = {}
    for m in model.margins():
        out.setdefault(m["org"], {})[m["currency"]] = (m["revenue"], m["cost"], m["margin"])
    return out


def model_invoices(model) -> dict[str, dict]:
    """The engine's invoices in invoices_by_buyer's shape."""
    return {inv.buyer: {"seller": inv.seller, "currency": inv.currency,
                        "lines": {line.description: line.amount for line in inv.lines},
                        "subtotal": inv.subtotal, "tax": inv.tax, "total": inv.total}
            for inv in model.invoices}


def assert_run_matches_engine(con, period: date, summary, model, sellers) -> str:
    """The SQL run (`summary`, data.billing.BillingSummary) and the engine's BillingResult agree:
    same outcome, exceptions, and (for a run that succeeded) ledger row by row, invoices and
    margins. Returns 'ok' or 'failed' (the run's status) for hypothesis' event()."""
    assert summary.ok == (not model.failed), (summary.status, summary.problems, model.issues)
    assert sql_exceptions(con, summary.run_id) == model_exceptions(model)
    if not summary.ok:
        return "failed"
    assert ledger_differences(sql_ledger(con, summary.run_id), model_ledger(model)) == []
    assert invoices_by_buyer(con, period) == model_invoices(model)
    assert sql_margins(con, period, sellers) == model_margins(model)
    return "ok"
