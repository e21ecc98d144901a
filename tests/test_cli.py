"""The headless door, as a user runs it: real processes, exit statuses, messages, JSON."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, db: Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", str(db), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"cli {args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    db = tmp / "demo.duckdb"
    out = cli("demo", "--as-of", "2026-05-20", "--rows", "3000", "--out", str(tmp / "files"), db=db)
    assert out.stdout.count("ok,") == 3, out.stdout
    return db


def test_reports_are_json_with_exact_decimal_strings(demo_db):
    invoices = json.loads(cli("report", "invoices", "--period", "2026-04", "--json", db=demo_db).stdout)
    assert invoices and all(set(i) == {"seller", "buyer", "period", "currency", "lines", "subtotal", "tax",
                                       "total", "status"} for i in invoices)
    for inv in invoices:
        assert isinstance(inv["total"], str) and inv["status"] == "draft" and inv["period"] == "2026-04"
        assert Decimal(inv["subtotal"]) == sum(Decimal(line["amount"]) for line in inv["lines"])
    margins = json.loads(cli("report", "margins", "--period", "2026-04", "--json", db=demo_db).stdout)
    assert margins and {"org", "currency", "revenue", "cost", "margin"} <= set(margins[0])
    reconcile = json.loads(cli("report", "reconcile", "--period", "2026-04", "--json", db=demo_db).stdout)
    assert reconcile and all(Decimal(r["difference"]) == 0 for r in reconcile)
    assert {"provider", "invoice_id", "billing_account_id", "currency", "provider_total", "assigned",
            "unassigned", "retained_credits", "provider_tax", "difference"} == set(reconcile[0])


def test_bill_prints_counts_totals_and_unassigned_cost(demo_db):
    out = cli("bill", "--period", "2026-05", db=demo_db).stdout
    assert "rows priced" in out and "unassigned cost" in out and "northwind" in out


def test_bad_period_is_one_sentence_and_status_1(demo_db):
    proc = cli("bill", "--period", "May 2026", db=demo_db, check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("error: period must look like 2026-05")
    assert "Traceback" not in proc.stderr


def test_bad_file_names_the_file_and_column_and_stores_nothing(tmp_path):
    db = tmp_path / "s.duckdb"
    bad = tmp_path / "bad.csv"
    bad.write_text("BillingAccountId,BilledCost\n1,abc\n")
    proc = cli("ingest", str(bad), db=db, check=False)
    assert proc.returncode == 1 and "bad.csv" in proc.stderr and "Traceback" not in proc.stderr
    assert cli("deliveries", db=db).stdout.strip() == ""          # nothing was stored


def test_config_errors_name_file_path_and_what_is_allowed(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(textwrap.dedent("""\
        root: {id: nw, name: NW, kind: distributor, currency: USD}
        organizations:
          - {id: acme, name: Acme, kind: customer, parent: nowhere, currency: USD, plan: p}
        plans:
          - {id: p, owner: nw, rules: [{basis: lst, discount_pct: 5}]}
        """))
    proc = cli("config", "import", str(cfg), db=tmp_path / "s.duckdb", check=False)
    assert proc.returncode == 1
    assert "c.yaml" in proc.stderr and "plans[0].rules[0].basis" in proc.stderr and "allowed" in proc.stderr
    assert "organizations[0].parent" in proc.stderr


def test_a_busy_store_says_what_to_do(tmp_path):
    db = tmp_path / "busy.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""\
        import sys, duckdb
        con = duckdb.connect({str(db)!r})
        print("ready", flush=True)
        sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        proc = cli("deliveries", db=db, check=False)
        assert proc.returncode == 3
        assert "in use by another process" in proc.stderr and "inbox" in proc.stderr
    finally:
        holder.communicate("\n", timeout=30)


def test_hash_password_prints_a_hash_at_the_one_cost(tmp_path):
    import bcrypt

    from data.auth import BCRYPT_COST, bcrypt_cost
    done = subprocess.run([sys.executable, "cli.py", "hash-password"], input="tierline-demo\n",
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    hashed = done.stdout.strip()
    assert bcrypt.checkpw(b"tierline-demo", hashed.encode()) and bcrypt_cost(hashed) == BCRYPT_COST
    empty = subprocess.run([sys.executable, "cli.py", "hash-password"], input="\n",
                           capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert empty.returncode == 1 and "must be 1 to 72 bytes" in empty.stderr and not empty.stdout
