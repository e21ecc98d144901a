"""Invoices a reseller can send (issue #11): reports and exports in one user's scope, branded
PDFs whose figures are the report's, accounting files whose totals are the invoices', and
refusals that are one sentence and write nothing. On a small demo store (2026-03 issued)."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from data.documents.accounting import JOURNAL_COLUMNS, QUICKBOOKS_COLUMNS, XERO_COLUMNS
from data.documents.common import amount_text, rate_text
from data.documents.export import ExportError, export_period, period_files
from data.store import connect
from queries.scope import ScopeError, scope_for_user, system_scope
from tests.demo_support import issued_demo_store

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 5, 20)
CLOSED = "2026-03"            # issued below
OPEN = "2026-04"              # drafts only
SELLER_ADMINS = {"northwind": "dist-admin", "msp-one": "msp-admin", "cloudhaus": "ch-admin",
                 "britcloud": "bc-admin"}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return issued_demo_store(tmp_path_factory.mktemp("export"), as_of=AS_OF, issue=CLOSED)


@pytest.fixture
def con(db):
    c = connect(db)
    yield c
    c.close()


def cli(*args: str, db: Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", str(db), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"cli {args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def pdf_text(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (a test prerequisite).")
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=data,
                         capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


# --- reports in one user's scope (--as) --------------------------------------------------------

def test_report_as_each_role(db):
    def report(user: str) -> list[dict]:
        return json.loads(cli("report", "invoices", "--period", CLOSED, "--json", "--as", user, db=db).stdout)

    own = report("contoso-user")
    assert [(i["seller"], i["buyer"]) for i in own] == [("msp-one", "contoso")]
    reseller = report("msp-admin")
    pairs = {(i["seller"], i["buyer"]) for i in reseller}
    assert ("northwind", "msp-one") in pairs                      # the invoice it receives
    assert {b for s, b in pairs if s == "msp-one"} >= {"contoso", "fabrikam", "tailspin"}
    assert all(s in ("msp-one", "northwind") for s, _ in pairs)    # never another reseller's
    am = {(i["seller"], i["buyer"]) for i in report("msp-am")}
    assert am == {("msp-one", c) for c in ("contoso", "fabrikam", "tailspin", "wingtip")}
    root_view = json.loads(cli("report", "invoices", "--period", CLOSED, "--json", db=db).stdout)
    assert {i["seller"] for i in root_view} == {"northwind"}
    assert json.loads(cli("report", "margins", "--period", CLOSED, "--json", "--as", "msp-leader",
                          db=db).stdout)[0]["org"] == "msp-one"


@pytest.mark.parametrize("args, says", [
    (("report", "invoices", "--as", "nobody"), "There is no user 'nobody'"),
    (("report", "margins", "--as", "contoso-user"), "Margins are shown to administrators and leaders only."),
    (("report", "reconcile", "--as", "msp-admin"), "Reconciliation is shown to"),
    (("invoices", "export", "--format", "xero", "--out", "x", "--as", "msp-am"),
     "Accounting files are made for the administrators and leaders"),
])
def test_unknown_user_or_role_that_may_not_see_it_is_status_2(db, args, says):
    proc = cli(*args, "--period", CLOSED, db=db, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and says in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


# --- PDFs: the report's figures ------------------------------------------------------------------

def test_pdf_totals_equal_the_report_for_every_invoice_of_the_closed_period(con):
    from queries.reports.invoices import invoice_report, invoices
    seen = 0
    for seller, admin in SELLER_ADMINS.items():
        scope = scope_for_user(con, admin)
        report = [r for r in invoice_report(con, scope, CLOSED) if r["seller"] == seller]
        files = dict(period_files(con, scope, CLOSED, "pdf", seller=seller))
        assert len(files) == len(report)
        details = {(h["seller"], h["buyer"]): h for h in invoices(con, scope, CLOSED)}
        for r in report:
            head = details[(r["seller"], r["buyer"])]
            ccy = r["currency"]
            text = pdf_text(files[f"{head['number']}.pdf"])
            assert f"No. {head['number']}" in text
            assert f"Subtotal {amount_text(Decimal(r['subtotal']), ccy, code=True)}" in text
            assert f"Tax ({rate_text(head['tax_rate_pct'])}%) {amount_text(Decimal(r['tax']), ccy, code=True)}" in text
            assert f"Total due {amount_text(Decimal(r['total']), ccy, code=True)}" in text
            assert f"Amount ({ccy})" in text
            seen += 1
    assert seen == 43                                              # every demo invoice


def test_pdf_carries_the_branding_and_a_draft_says_so(con):
    files = dict(period_files(con, scope_for_user(con, "contoso-user"), CLOSED, "pdf"))
    (name, data), = files.items()
    text = pdf_text(data)
    assert re.fullmatch(r"MSP1-\d{6}\.pdf", name)                 # the seller's invoice_prefix
    assert "MSP One Inc." in text and "Tax ID: US 94-1234567" in text
    assert "accounts@contoso.example" in text and "Amount (EUR)" in text
    draft = pdf_text(period_files(con, scope_for_user(con, "contoso-user"), OPEN, "pdf")[0][1])
    assert "DRAFT" in draft and "not a tax document" in draft


# --- accounting files ------------------------------------------------------------------------------

def test_quickbooks_xero_and_journal_add_up_to_the_invoices(con):
    from queries.reports.invoices import invoices
    scope = scope_for_user(con, "ch-admin")
    issued = [h for h in invoices(con, scope, CLOSED) if h["seller"] == "cloudhaus"]
    subtotals = {h["number"]: h["subtotal"] for h in issued}
    qb, = period_files(con, scope, CLOSED, "quickbooks")
    xero, = period_files(con, scope, CLOSED, "xero")
    journal, = period_files(con, scope, CLOSED, "journal")
    assert qb[0] == "quickbooks-2026-03-cloudhaus.csv"
    assert qb[1].decode().split("\r\n")[0] == ",".join(QUICKBOOKS_COLUMNS)
    assert xero[1].decode().split("\r\n")[0] == ",".join(XERO_COLUMNS)
    assert journal[1].decode().split("\r\n")[0] == ",".join(JOURNAL_COLUMNS)
    for data, number, amount in ((qb[1], "InvoiceNo", "ItemAmount"), (xero[1], "InvoiceNumber", "UnitAmount")):
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for row in rows(data):
            sums[row[number]] += Decimal(row[amount])
        assert sums == subtotals
    xero_rows = rows(xero[1])
    assert {r["AccountCode"] for r in xero_rows} <= {"8400", "8401"}          # CloudHaus's own codes
    assert {r["TaxType"] for r in xero_rows} <= {"19% Umsatzsteuer", "Tax Exempt"}
    debit = credit = Decimal(0)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows(journal[1]):
        debit += Decimal(row["debit"] or 0)
        credit += Decimal(row["credit"] or 0)
        if row["account"] == "1400":
            totals[row["invoice"]] += Decimal(row["debit"] or 0)
    assert debit == credit > 0
    assert totals == {h["number"]: h["total"] for h in issued if h["total"]}


def test_lines_csv_holds_every_visible_line(con):
    scope = scope_for_user(con, "msp-am")
    (name, data), = period_files(con, scope, OPEN, "csv")
    assert name == "invoice-lines-2026-04.csv"
    assert {r["buyer"] for r in rows(data)} == {"contoso", "fabrikam", "tailspin", "wingtip"}
    assert {r["status"] for r in rows(data)} == {"draft"}


# --- the command and its refusals ------------------------------------------------------------------

def test_export_command_writes_the_files(db, tmp_path):
    out = tmp_path / "docs"
    proc = cli("invoices", "export", "--period", CLOSED, "--format", "pdf", "--out", str(out),
               "--seller", "britcloud", "--as", "bc-admin", db=db)
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 12 and all(re.fullmatch(r"BCP-\d{6}\.pdf", n) for n in written)
    assert "12 files written" in proc.stdout
    assert not list(out.glob(".tierline-*"))                       # no temporary left behind
    cli("invoices", "export", "--period", CLOSED, "--format", "journal", "--out", str(out), db=db)
    assert (out / "journal-2026-03-northwind.csv").exists()


@pytest.mark.parametrize("args, says", [
    (("--period", "2026-01", "--format", "pdf"), "2026-01 has not been billed yet."),
    (("--period", CLOSED, "--format", "pdf", "--seller", "no-such-org"), "Unknown seller 'no-such-org'"),
    (("--period", CLOSED, "--format", "pdf", "--invoice", "NWD-999999"), "no invoice numbered 'NWD-999999'"),
    (("--period", OPEN, "--format", "quickbooks"), "No invoice of northwind for 2026-04 is issued yet"),
    (("--period", CLOSED, "--format", "pdf", "--seller", "msp-one"), "no invoices of msp-one for 2026-03"),
])
def test_bad_input_is_one_sentence_status_1_and_writes_nothing(db, tmp_path, args, says):
    out = tmp_path / "out"
    proc = cli("invoices", "export", *args, "--out", str(out), db=db, check=False)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("error: ") and says in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists() or not list(out.iterdir())


def test_a_folder_that_cannot_be_written_is_one_sentence(con, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ExportError, match=r"^Cannot create the output folder .*\.$"):
        export_period(con, system_scope(con), CLOSED, "pdf", blocker / "sub")
    if os.geteuid() == 0:
        return                       # root writes into a read-only folder; the rest needs a user
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ExportError, match=r"^Cannot write to the output folder"):
            export_period(con, system_scope(con), CLOSED, "pdf", locked)
        assert not list(locked.iterdir())
    finally:
        locked.chmod(0o700)


def test_a_forged_invoice_id_is_refused_by_the_scoped_layer(con):
    from data.documents.export import invoice_pdf
    from queries.reports.invoices import invoices
    other = next(h for h in invoices(con, scope_for_user(con, "ch-admin"), CLOSED) if h["seller"] == "cloudhaus")
    with pytest.raises(ScopeError):
        invoice_pdf(con, scope_for_user(con, "msp-admin"), other["invoice_id"])


# --- branding in the configuration -----------------------------------------------------------------

def branded(folder: Path, branding: str) -> Path:
    """tests/test_config.py's EXAMPLE with `branding` (YAML) on the root, written to folder."""
    import yaml

    from tests.test_config import EXAMPLE
    data = yaml.safe_load(EXAMPLE)
    data["root"]["branding"] = yaml.safe_load(branding)
    path = folder / "channel.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_a_logo_file_is_embedded_and_stored_as_a_data_uri(tmp_path):
    from data.config import import_config, load_config, seller_branding
    from data.config.storage import current_config
    (tmp_path / "logo.svg").write_bytes((ROOT / "data" / "demo" / "logo-msp-one.svg").read_bytes())
    doc = load_config(branded(tmp_path, "{logo: logo.svg, accent_colour: '#0B5CAD', payment_terms_days: '14', "
                                        "invoice_prefix: NW-, accounting: {receivable: '1400'}}"))
    assert doc.root.branding.logo.startswith("data:image/svg+xml;base64,")
    con = connect(tmp_path / "s.duckdb")
    import_config(con, doc)
    brand = seller_branding(current_config(con), doc.root.id)
    assert brand.logo is not None and brand.invoice_prefix == "NW-" and brand.credit_note_prefix == "CN-NW-"
    assert brand.payment_terms_days == 14 and brand.accounting.receivable == "1400"
    con.close()


@pytest.mark.parametrize("branding, says", [
    ("{logo: missing.svg}", "root.branding.logo: logo 'missing.svg' does not exist"),
    ("{logo: ../outside.svg}", "is outside the configuration's folder"),
    ("{accent_colour: blue}", "root.branding.accent_colour: accent_colour must be a colour written #RRGGBB"),
    ("{payment_terms_days: '400'}", "payment_terms_days must be a whole number of days from 0 to 365"),
    ("{invoice_prefix: 'bad prefix'}", "invoice_prefix must be 1 to 24 letters"),
    ("{accounting: {recievable: '1'}}", "unknown accounting setting 'recievable'"),
    ("{logo: 'data:image/png;base64,AAAA'}", "logo is not a PNG file"),
])
def test_bad_branding_is_an_error_naming_the_field(tmp_path, branding, says):
    from data.config import ConfigError, load_config
    (tmp_path.parent / "outside.svg").write_text("<svg width='1' height='1'/>")
    with pytest.raises(ConfigError) as exc:
        load_config(branded(tmp_path, branding))
    assert says in str(exc.value)


def test_billing_email_is_validated(tmp_path):
    import yaml

    from data.config import ConfigError, parse_config
    from tests.test_config import EXAMPLE
    data = yaml.safe_load(EXAMPLE)
    data["organizations"][0]["billing_email"] = "not-an-email"
    with pytest.raises(ConfigError, match=r"organizations\[0\]\.billing_email"):
        parse_config(yaml.safe_dump(data))
    data["root"]["branding"] = {"logo": "logo.svg"}
    data["organizations"][0]["billing_email"] = "ap@example.com"
    with pytest.raises(ConfigError, match="was not read from a file"):
        parse_config(yaml.safe_dump(data))
