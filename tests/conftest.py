"""Shared fixtures: a fresh migrated store, and a writer for small FOCUS files."""
from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import Callable

import pytest

from data import focus
from data.store import connect

#: A FOCUS 1.2 Cost and Usage header: the spec's columns that landing keeps (data/focus.py).
FOCUS_12_COLUMNS = [c for c in focus.FOCUS_12_COLUMNS if c not in focus.LANDED_ELSEWHERE]


def focus_row(**overrides: str) -> dict[str, str]:
    """One FOCUS 1.2 row as strings (AWS, account 100000000001, May 2026, USD); override any column."""
    row = {c: "" for c in FOCUS_12_COLUMNS}
    row.update({
        "ProviderName": "AWS", "PublisherName": "AWS", "InvoiceIssuerName": "AWS", "InvoiceId": "INV-1",
        "BillingAccountId": "100000000001", "BillingAccountName": "Payer", "BillingAccountType": "Payer Account",
        "SubAccountId": "200000000001", "SubAccountName": "dev", "SubAccountType": "Linked Account",
        "BillingPeriodStart": "2026-05-01T00:00:00Z", "BillingPeriodEnd": "2026-06-01T00:00:00Z",
        "ChargePeriodStart": "2026-05-01T00:00:00Z", "ChargePeriodEnd": "2026-05-01T01:00:00Z",
        "ChargeCategory": "Usage", "ChargeDescription": "EC2 usage", "ChargeFrequency": "Usage-Based",
        "BilledCost": "8.50", "EffectiveCost": "8.50", "ListCost": "10.00", "ContractedCost": "9.00",
        "ListUnitPrice": "0.10", "ContractedUnitPrice": "0.09", "PricingCategory": "Standard",
        "PricingQuantity": "100", "PricingUnit": "Hours", "PricingCurrency": "USD", "BillingCurrency": "USD",
        "ConsumedQuantity": "100", "ConsumedUnit": "Hours", "ServiceName": "AmazonEC2",
        "ServiceCategory": "Compute", "ServiceSubcategory": "Virtual Machines", "SkuId": "SKU-1",
        "SkuMeter": "Usage", "SkuPriceId": "SP-1", "ResourceId": "i-1", "RegionId": "us-east-1",
        "RegionName": "US East", "Tags": '{"team":"a"}',
    })
    row.update(overrides)
    return row


@pytest.fixture
def store(tmp_path):
    """A fresh, migrated store (DuckDB file in tmp_path)."""
    con = connect(tmp_path / "store.duckdb")
    yield con
    con.close()


@pytest.fixture
def focus_csv(tmp_path) -> Callable[..., Path]:
    """focus_csv(rows, name="focus.csv", columns=None) → Path: writes FOCUS rows (dicts of strings;
    default columns: FOCUS_12_COLUMNS, or the first row's keys) as CSV, gzip when the name ends
    with .gz. `rows` may also be an int: that many default rows (one hour each)."""
    def write(rows: list[dict] | int = 1, name: str = "focus.csv", columns: list[str] | None = None) -> Path:
        if isinstance(rows, int):
            rows = [focus_row(ChargePeriodStart=f"2026-05-01T{h % 24:02d}:00:00Z", ResourceId=f"i-{h}")
                    for h in range(rows)]
        cols = columns or (list(rows[0]) if rows else FOCUS_12_COLUMNS)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = buf.getvalue().encode("utf-8")
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        return path
    return write
