"""Helpers for billing tests: a store from an inline config and inline FOCUS rows."""
from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

from data.config import import_config, parse_config
from data.ingest import ingest_file
from data.store import connect

FOCUS_HEADER = [
    "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodStart",
    "ChargePeriodEnd", "ProviderName", "PublisherName", "InvoiceIssuerName", "InvoiceId",
    "ServiceCategory", "ServiceName", "SkuId", "SkuPriceId", "RegionId", "RegionName", "ResourceId",
    "SubAccountId", "SubAccountName", "ListCost", "ListUnitPrice", "ContractedCost", "ContractedUnitPrice",
    "BilledCost", "EffectiveCost", "PricingQuantity", "PricingUnit", "PricingCategory",
    "ConsumedQuantity", "ConsumedUnit", "CommitmentDiscountId", "CommitmentDiscountStatus",
    "CommitmentDiscountCategory", "CommitmentDiscountType", "CommitmentDiscountName",
    "AvailabilityZone", "ResourceName", "ResourceType", "Tags", "PricingCurrency", "BillingAccountType",
    "SubAccountType",
]


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
