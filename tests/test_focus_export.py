"""The buyer's own FOCUS 1.2 export (data/focus_export.py, docs/focus-export.md): the buyer's rows
at the buyer's price, adding up to its invoice lines; never the seller's cost; bad input is one
sentence, a non-zero exit and no file; and the FinOps Foundation's validator accepts the file
except for the rules docs/focus-export.md shows to be wrong."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data.billing import run_billing
from data.demo import build_demo
from data.focus_export import EXPORT_COLUMNS, ExportError, export_focus, focus_rows, line_key
from data.store import connect
from pricing.money import round_line
from queries import scope
from queries.reports.costs import customer_focus_rows

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 5, 20)
PERIOD = "2026-04"


def org_scope(con, org_id: str) -> scope.Scope:
    """An admin of `org_id`: it may export each of its direct buyers."""
    return scope.Scope(username=f"export-{org_id}", org_id=org_id, roles=frozenset({"admin"}),
                       visible_orgs=scope._subtree(con, org_id))


def cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", str(db), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("focus-export")
    db = tmp / "demo.duckdb"
    con = connect(db)
    summary = build_demo(con, as_of=AS_OF, seed=11, rows=4000, out_dir=tmp / "files")
    for period in summary["periods"]:
        assert run_billing(con, period).ok
    con.close()
    return db


def test_rows_add_up_to_every_invoice_line_exactly_and_to_the_cent(demo_db):
    """Every invoice of every period: Σ BilledCost of the rows on each service and credit line
    is the line's unrounded sum EXACTLY (each group's rounding residue sits on one of its rows),
    so rounded once it is the line's amount. Fees and corrections of earlier invoices are lines
    of the invoice, not rows."""
    con = connect(demo_db, read_only=True)
    checked = 0
    try:
        invoices = con.execute("SELECT invoice_id, x_Period, seller, buyer, currency FROM rpt_current_invoices"
                               ).fetchall()
        for invoice_id, period, seller, buyer, currency in invoices:
            rows, _ = focus_rows(con, org_scope(con, seller), buyer, period)
            sums = defaultdict(Decimal)
            for r in rows:
                assert r["BilledCost"] == r["EffectiveCost"] == r["ContractedCost"]
                assert r["BillingCurrency"] == currency and r["ChargeCategory"] != "Tax"
                sums[line_key(r)] += r["BilledCost"]
            lines = {}
            for kind, provider, service, unrounded, amount in con.execute(
                    "SELECT kind, ProviderName, ServiceName, unrounded, amount FROM invoice_lines "
                    "WHERE invoice_id = ? AND kind IN ('service', 'credit')", [invoice_id]).fetchall():
                lines[(kind, provider, service if kind == "service" else None)] = (unrounded, amount)
            assert {k for k, v in sums.items() if v} <= set(lines), invoice_id
            for key, (unrounded, amount) in lines.items():
                assert sums[key] == unrounded, (invoice_id, key)
                assert round_line(sums[key], currency) == amount, (invoice_id, key)
            checked += 1
    finally:
        con.close()
    assert checked > 100


def test_the_file_is_focus_with_decimal_money_and_no_seller_cost(demo_db, tmp_path):
    con = connect(demo_db, read_only=True)
    try:
        root = scope.system_scope(con)
        out = tmp_path / "msp-one.parquet"
        result = export_focus(con, root, "msp-one", PERIOD, out)
        read = customer_focus_rows(con, root, "msp-one", PERIOD)
    finally:
        con.close()
    table = pq.read_table(out)
    assert tuple(table.column_names) == EXPORT_COLUMNS
    for name in ("BilledCost", "EffectiveCost", "ContractedCost", "ListCost", "ListUnitPrice"):
        assert table.schema.field(name).type == pa.decimal128(38, 10)
    assert table.schema.field("ChargePeriodStart").type == pa.timestamp("us", tz="UTC")
    data = table.to_pylist()
    assert len(data) == result.rows > 100
    assert {r["BillingCurrency"] for r in data} == {"USD"}
    assert {r["InvoiceIssuerName"] for r in data} == {"Northwind Distribution"}
    assert {r["BillingAccountId"] for r in data} == {"msp-one"}
    assert {r["InvoiceId"] for r in data} == {None}            # a draft has no number yet
    assert {r["ContractedUnitPrice"] for r in data} == {None}
    assert {r["ProviderName"] for r in data} <= {"AWS", "Microsoft", "Google Cloud"}
    # The seller's cost (the provider's charge, the ledger's x_Cost) never leaves the scoped read.
    assert read and not set(read[0]) & {"BilledCost", "EffectiveCost", "ContractedCost",
                                         "ContractedUnitPrice", "x_Cost", "x_CostSeller"}
    assert sum(r["BilledCost"] for r in data) == result.billed_cost
    assert not list(tmp_path.glob(".*.tmp"))


def test_issued_invoice_number_is_the_invoice_id(demo_db, tmp_path):
    from data.invoicing import issue_invoices
    con = connect(demo_db)
    try:
        issued = {buyer: number for number, buyer, _t, _c in issue_invoices(con, "2026-03", seller="msp-one")}
        result = export_focus(con, scope.scope_for_user(con, "contoso-user"), "contoso", "2026-03",
                              tmp_path / "contoso.parquet")
    finally:
        con.close()
    ids = set(pq.read_table(tmp_path / "contoso.parquet").column("InvoiceId").to_pylist())
    assert ids == {issued["contoso"]} and result.invoice_number == issued["contoso"]
    assert set(pq.read_table(tmp_path / "contoso.parquet").column("BillingCurrency").to_pylist()) == {"EUR"}


def test_cli_writes_the_file_and_says_what_it_holds(demo_db, tmp_path):
    out = tmp_path / "fabrikam.parquet"
    proc = cli("export", "focus", "--buyer", "fabrikam", "--period", PERIOD, "--out", str(out),
               "--as", "msp-admin", db=demo_db)
    assert proc.returncode == 0, proc.stderr
    assert re.match(r"wrote \d+ FOCUS rows to .*fabrikam\.parquet: BilledCost \d+\.\d\d USD", proc.stdout)
    assert pq.read_table(out).num_rows > 0


@pytest.mark.parametrize("args, status, message", [
    (["--buyer", "nobody"], 1, "'nobody' is not a customer"),
    (["--buyer", "contoso"], 1, "'contoso' is not a customer"),          # MSP One's, not the root's
    (["--buyer", "fabrikam", "--as", "contoso-user"], 1, "'fabrikam' is not a customer"),
    (["--buyer", "msp-one", "--period", "2019-01"], 1, "2019-01 has not been billed yet"),
    (["--buyer", "msp-one", "--period", "April"], 1, "2026-05"),
    (["--buyer", "msp-one", "--as", "ghost"], 2, "there is no user 'ghost'"),
    (["--buyer", "msp-one", "--out", "missing-folder/x.parquet"], 1, "does not exist"),
])
def test_bad_input_is_one_sentence_a_status_and_no_file(demo_db, tmp_path, args, status, message):
    given = dict(zip(args[::2], args[1::2]))
    given = {"--period": PERIOD, "--out": "x.parquet", **given}
    given["--out"] = str(tmp_path / given["--out"])
    argv = [x for pair in given.items() for x in pair]
    proc = cli("export", "focus", *argv, db=demo_db)
    assert proc.returncode == status, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith("error: ") and message in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not list(tmp_path.rglob("*.parquet")) and not list(tmp_path.rglob(".*.tmp"))


def test_a_period_without_an_invoice_and_a_failed_write_leave_no_file(demo_db, tmp_path, monkeypatch):
    import data.focus_export as fx
    con = connect(demo_db, read_only=True)
    try:
        root = scope.system_scope(con)
        out = tmp_path / "x.parquet"
        with monkeypatch.context() as m:
            m.setattr(fx, "invoices", lambda *a, **k: [])
            with pytest.raises(ExportError, match="There is no 2026-04 invoice from northwind to msp-one"):
                export_focus(con, root, "msp-one", PERIOD, out)

        def broken(table, where):
            Path(where).write_bytes(b"half")
            raise OSError(28, "No space left on device")
        out.write_bytes(b"the previous export")
        with monkeypatch.context() as m:
            m.setattr(fx.pq, "write_table", broken)
            with pytest.raises(ExportError, match="No space left on device"):
                export_focus(con, root, "msp-one", PERIOD, out)
    finally:
        con.close()
    assert out.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["x.parquet"]


# --------------------------------------------------------------------------------------------
# The FinOps Foundation's validator (focus-validator on PyPI) needs Python 3.12: it runs in a
# venv of its own, outside the app's (.venv-validator, git-ignored; $TIERLINE_VALIDATOR_VENV).
# Pinned: focus-validator 2.2.1 pulls pyarrow 26, which needs NumPy 2 while the validator pins
# NumPy 1.26, so pyarrow is held at 21. With --block-download it validates against the rule
# model it ships (model-1.2.0.1.json), offline.

VALIDATOR_PINS = ("focus-validator==2.2.1", "pyarrow==21.0.0")
# Rules docs/focus-export.md shows to be wrong (the spec's words there): BilledCost-C-005-C for
# any reseller's file; InvoiceId-C-004-C, which holds no condition and so fails every issued row
# (its twin C-005-C fails every draft row); and the one SHOULD rule about the providers' own
# PricingUnit values, which the export keeps as delivered, with the MUST aggregate the validator
# fails along with it.
EXPECTED_FAILURES = {"BilledCost-C-005-C", "BilledCost-C-000-M", "InvoiceId-C-004-C",
                     "PricingUnit-C-003-O", "PricingUnit-C-000-M"}


def python312() -> str | None:
    found = shutil.which("python3.12")
    if found:
        return found
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(pyenv.glob("3.12*/bin/python3.12"), reverse=True):
        return str(candidate)
    return None


def validator_venv() -> Path:
    venv = Path(os.environ.get("TIERLINE_VALIDATOR_VENV", ROOT / ".venv-validator"))
    tool = venv / "bin" / "focus-validator"
    if tool.exists():
        return venv
    py = python312()
    if py is None:
        pytest.fail("the FOCUS validator needs Python 3.12 (pyenv install 3.12), none was found")
    subprocess.run([py, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *VALIDATOR_PINS], check=True, timeout=900)
    return venv


@pytest.mark.slow
def test_the_focus_validator_accepts_the_export_except_the_rules_documented_wrong(demo_db, tmp_path):
    """Marked slow: the first run creates the validator's venv (pip install, a minute or more);
    with the venv in place the run takes about 10 s."""
    venv = validator_venv()
    con = connect(demo_db)
    try:
        from data.invoicing import issue_invoices
        issue_invoices(con, PERIOD, seller="msp-one")          # InvoiceId is set once issued
        out = tmp_path / "contoso.parquet"
        export_focus(con, scope.scope_for_user(con, "msp-admin"), "contoso", PERIOD, out)
    finally:
        con.close()
    # The validator reads its currency list by a path relative to its site-packages.
    site = next((venv / "lib").glob("python3.12/site-packages"))
    proc = subprocess.run([str(venv / "bin" / "focus-validator"), "--block-download", "--validate-version",
                           "1.2", "--data-file", str(out)], capture_output=True, text=True, cwd=site,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = re.search(r"Total: (\d+) \| Pass: (\d+) \| Fail: (\d+)", proc.stdout)
    assert summary, proc.stdout[-2000:]
    failed = set(re.findall(r"❌ (\S+): FAIL", proc.stdout))
    assert failed <= EXPECTED_FAILURES, failed - EXPECTED_FAILURES
    assert int(summary.group(2)) > 100
