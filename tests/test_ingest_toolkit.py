"""Files from the FinOps sample-data generator (focus-data-toolkit) ingest, and the store's totals
equal totals computed from the files by an independent reader (Python csv + Decimal)."""
from __future__ import annotations

import csv
import gzip
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from data.ingest import IngestError, ingest_file, ingest_paths, list_deliveries
from pricing.money import LEDGER_QUANTUM, ledger

MONEY = ("ListCost", "BilledCost", "EffectiveCost", "ContractedCost")
CASES = [(provider, version) for provider in ("aws", "azure", "gcp") for version in ("1.2", "1.3")]


def generate(out: Path, provider: str, version: str, rows: int, seed: int) -> Path:
    """Run the toolkit's CLI (`python -m focus_data_toolkit`, the same as .venv/bin/focus-toolkit)."""
    subprocess.run([sys.executable, "-m", "focus_data_toolkit", "generate", "--provider", provider,
                    "--focus-version", version, "--rows", str(rows), "--seed", str(seed), "--out", str(out)],
                   check=True, capture_output=True, text=True, timeout=120)
    (cost_file,) = out.glob("focus_*_cost_and_usage_*.csv")
    return cost_file


def file_totals(path: Path) -> tuple[dict, dict, int]:
    """Independent of DuckDB: per BillingCurrency, the sum of each money column with every value
    rounded once to the ledger's 10 places (what DECIMAL(38,10) stores), and the exact sum."""
    ledger_sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: {m: Decimal(0) for m in MONEY})
    exact_sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: {m: Decimal(0) for m in MONEY})
    n = 0
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            n += 1
            for m in MONEY:
                value = Decimal(row[m])
                ledger_sums[row["BillingCurrency"]][m] += ledger(value)
                exact_sums[row["BillingCurrency"]][m] += value
    return dict(ledger_sums), dict(exact_sums), n


def store_totals(con, ingest_id: int) -> dict[str, dict[str, Decimal]]:
    out = {}
    for ccy, *sums in con.execute(
            f"SELECT BillingCurrency, {', '.join(f'sum({m})' for m in MONEY)} FROM landing_focus "
            "WHERE x_IngestId = ? GROUP BY 1", [ingest_id]).fetchall():
        out[ccy] = dict(zip(MONEY, sums))
    return out


@pytest.mark.parametrize("provider, version", CASES)
def test_toolkit_files_ingest_with_exact_totals(store, tmp_path, provider, version):
    path = generate(tmp_path / "out", provider, version, rows=400, seed=11)
    result = ingest_file(store, path, loaded_by="test")
    assert (result.status, result.focus_version) == ("loaded", version)

    expected, exact, n = file_totals(path)
    assert result.rows == n
    assert store_totals(store, result.ingest_id) == expected
    # the ledger quantum is the only difference from the exact sums: at most half a quantum a row
    for ccy, sums in exact.items():
        for m in MONEY:
            assert abs(expected[ccy][m] - sums[m]) <= n * LEDGER_QUANTUM / 2

    # the delivery records answer the same totals
    (delivery,) = [d for d in list_deliveries(store) if d["id"] == result.ingest_id]
    assert delivery["rows"] == n and delivery["version"] == version
    assert {c: {m: t[m] for m in MONEY} for c, t in delivery["totals"].items()} == expected
    assert sum(t["rows"] for t in delivery["totals"].values()) == n

    # ids stayed text, nothing lost its provider
    ids = {r[0] for r in store.execute("SELECT DISTINCT BillingAccountId FROM landing_focus").fetchall()}
    with path.open(newline="", encoding="utf-8") as fh:
        assert ids == {r["BillingAccountId"] for r in csv.DictReader(fh)}
    assert store.execute("SELECT count(*) FROM landing_focus WHERE ProviderName IS NULL "
                         "OR ServiceProviderName IS NULL").fetchone()[0] == 0


def test_toolkit_file_as_gzip_and_parquet(store, tmp_path):
    """The same toolkit rows through the two other readers: gzip CSV, and Parquet written by pyarrow."""
    path = generate(tmp_path / "out", "azure", "1.3", rows=300, seed=5)
    expected, _, n = file_totals(path)
    gz = tmp_path / "azure.csv.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    strings = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={name: pa.string() for name in path.open().readline().strip().split(",")}))
    parquet = tmp_path / "azure.parquet"
    pq.write_table(strings, parquet)
    results = [ingest_file(store, p) for p in (gz, parquet)]
    assert [r.status for r in results] == ["loaded", "replaced"]
    for r in results:
        assert r.rows == n and store.execute(
            "SELECT count(*) FROM delivery_slices WHERE x_IngestId = ?", [r.ingest_id]).fetchone()[0] > 0
    assert store_totals(store, results[1].ingest_id) == expected
    assert store.execute("SELECT count(*) FROM landing_focus").fetchone()[0] == n   # the parquet replaced the gzip


def test_toolkit_output_folder_skips_the_contract_commitment_file(store, tmp_path):
    """A 1.3 output folder also holds a Contract Commitment dataset: in a folder it is skipped with
    a notice and the Cost and Usage file loads; named on its own it is refused."""
    generate(tmp_path / "out", "gcp", "1.3", rows=50, seed=3)
    results = ingest_paths(store, tmp_path / "out")
    by_status = {r.status: r for r in results}
    assert set(by_status) == {"loaded", "skipped"}
    assert "Contract Commitment" in by_status["skipped"].notices[0]
    assert store.execute("SELECT count(*) FROM landing_focus").fetchone()[0] == 50
    commitment = next((tmp_path / "out").glob("*contract_commitment*"))
    with pytest.raises(IngestError, match=r"focus_1_3_contract_commitment_gcp\.csv: is a FOCUS Contract Commitment"):
        ingest_paths(store, commitment)
