"""Credit notes (issue #11, item 7): limits, numbering, access, margin, documents.

Two stores. The hand-built channel of tests/test_scope.py (r1 issued R1-000002 to c1: subtotal
1045.00 USD, tax 20 % = 209.00, total 1254.00; R1-000001 to c1 in April: 100.00 + 20.00), for the
limits worked by hand. The demo installation (2026-03 issued, branded), for the command, the PDF,
the reports and the accounting files."""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from data.credit_notes import CreditNoteError, issue_credit_note
from data.invoicing import issue_invoices
from queries import scope
from queries.scope import ScopeError
from tests.demo_support import issued_demo_store
from tests.test_scope import P, build_store

D = Decimal
ROOT = Path(__file__).resolve().parent.parent


def notes_count(con) -> int:
    return con.execute("SELECT count(*) FROM credit_notes").fetchone()[0]


def audit_count(con) -> int:
    return con.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def credit(con, number="R1-000002", **kw):
    kw.setdefault("reason", "service outage on 3 May")
    kw.setdefault("issued_by", "test")
    return issue_credit_note(con, invoice_number=number, **kw)


@pytest.fixture
def con():
    c = build_store()
    yield c
    c.close()


# --- limits, worked by hand -------------------------------------------------------------------------

def test_two_partial_notes_then_one_above_what_remains_is_refused_and_full_credits_the_rest(con):
    first = credit(con, amount="100.00")
    assert (first["number"], first["amount"], first["tax"], first["total"]) == (
        "CN-R1-000001", D("100.00"), D("20.00"), D("120.00"))               # 20 % of 100.00
    second = credit(con, amount="200.50")
    assert (second["number"], second["tax"], second["total"], second["remaining"]) == (
        "CN-R1-000002", D("40.10"), D("240.60"), D("744.50"))               # 1045.00 − 100.00 − 200.50
    before = (notes_count(con), audit_count(con))
    with pytest.raises(CreditNoteError, match=r"^The amount 744\.51 USD is more than what remains to credit on "
                                              r"invoice R1-000002: 744\.50 USD \(its subtotal 1045\.00 USD less "
                                              r"300\.50 USD credited before\)\.$"):
        credit(con, amount="744.51")
    assert (notes_count(con), audit_count(con)) == before                  # nothing half-written
    rest = credit(con, full=True, reason="the rest")
    assert (rest["number"], rest["amount"], rest["tax"], rest["remaining"]) == (
        "CN-R1-000003", D("744.50"), D("148.90"), D("0.00"))
    stored = con.execute("SELECT sum(amount) FROM credit_notes WHERE invoice_id = ?", [rest["invoice_id"]]).fetchone()[0]
    assert stored == D("1045.00")                                           # never more than the subtotal
    for more in (dict(amount="0.01"), dict(full=True)):
        with pytest.raises(CreditNoteError, match="has nothing left to credit"):
            credit(con, **more)


@pytest.mark.parametrize("number, kw, says", [
    ("R9-000001", dict(amount="1.00"), r"^There is no issued invoice numbered 'R9-000001'\.$"),
    ("draft-2026-05-r1-c2", dict(amount="1.00"),
     r"^Invoice 'draft-2026-05-r1-c2' is a draft \(r1 to c2, 2026-05\); only an issued invoice can be credited"),
    ("R1-000002", dict(amount="10.005"), r"^The amount 10\.005 has more decimal places than USD's 2\.$"),
    ("R1-000002", dict(amount="0"), r"^The amount to credit must be more than zero, got 0 USD\.$"),
    ("R1-000002", dict(amount="-5.00"), r"^The amount to credit must be more than zero"),
    ("R1-000002", dict(amount="ten"), r"^The amount to credit 'ten' is not a number"),
    ("R1-000002", dict(amount="NaN"), r"is not a number"),
    ("R1-000002", dict(amount=10.5), r"^The amount to credit must be an exact decimal"),
    ("R1-000002", dict(amount="1045.01"), r"more than what remains to credit on invoice R1-000002: 1045\.00 USD"),
    ("R1-000002", dict(amount="1.00", reason="  \n "), r"^A credit note needs a reason"),
    ("R1-000002", dict(amount="1.00", full=True), r"not both\.$"),
    ("R1-000002", dict(), r"^Give the amount to credit"),
])
def test_refusals_are_one_sentence_and_store_nothing(con, number, kw, says):
    before = (notes_count(con), audit_count(con))
    with pytest.raises(CreditNoteError, match=says) as err:
        credit(con, number, **kw)
    assert str(err.value).count(". ") == 0 or "python cli.py" in str(err.value)
    assert (notes_count(con), audit_count(con)) == before


def test_numbers_follow_each_seller_s_own_sequence_and_the_currency_s_places(con):
    assert issue_invoices(con, P, seller="r2", issued_by="test")           # c3 (USD), c4 (JPY, 10 %)
    jpy = con.execute("SELECT number FROM invoices WHERE seller = 'r2' AND buyer = 'c4' AND status = 'issued'"
                      ).fetchone()[0]
    usd = con.execute("SELECT number FROM invoices WHERE seller = 'r2' AND buyer = 'c3' AND status = 'issued'"
                      ).fetchone()[0]
    assert credit(con, amount="10.00")["number"] == "CN-R1-000001"
    with pytest.raises(CreditNoteError, match=r"^The amount 100\.5 has more decimal places than JPY's 0\.$"):
        credit(con, jpy, amount="100.5")
    yen = credit(con, jpy, amount="105")
    assert (yen["number"], yen["amount"], yen["tax"], yen["total"]) == ("CN-R2-000001", D("105"), D("11"), D("116"))
    assert credit(con, usd, amount="1.00")["number"] == "CN-R2-000002"
    assert credit(con, "R1-000001", amount="1.00")["number"] == "CN-R1-000002"   # April: r1's sequence goes on
    assert con.execute("SELECT x_Period FROM credit_notes WHERE number = 'CN-R1-000002'").fetchone()[0] == date(2026, 4, 1)


def test_the_audit_log_records_it_under_the_seller(con):
    note = credit(con, amount="50.00", issued_by="ron")
    entry = con.execute("SELECT username, org, target, detail, after FROM audit_log "
                        "WHERE action = 'credit_note_issue'").fetchall()
    assert len(entry) == 1
    username, org, target, detail, after = entry[0]
    assert (username, org, target) == ("ron", "r1", note["number"])
    assert detail == "credits invoice R1-000002 (c1 2026-05): 50.00 + tax 10.00 = 60.00 USD; reason: service outage on 3 May"
    assert json.loads(after)["total"] == "60.00"
    entries = scope.audit_entries(con, scope.scope_for_user(con, "ron")).to_dict("records")
    seen = [e["target"] for e in entries if e["action"] == "credit_note_issue"]
    assert seen == [note["number"]]


# --- who may issue, who may see -------------------------------------------------------------------

@pytest.mark.parametrize("username, error, says", [
    ("cat", ScopeError, "Only administrators of r1 may issue credit notes"),        # the buyer sees it
    ("rlead", ScopeError, "Only administrators of r1 may issue credit notes"),      # a leader of the seller
    ("ram", ScopeError, "Only administrators of r1 may issue credit notes"),        # its account manager
    ("rita", CreditNoteError, "There is no issued invoice numbered 'R1-000002' that you may see."),
    ("ana", CreditNoteError, "There is no issued invoice numbered 'R1-000002' that you may see."),
])
def test_only_an_admin_of_the_seller_may_issue_and_others_learn_nothing(con, username, error, says):
    with pytest.raises(error, match=says):
        credit(con, amount="1.00", scope=scope.scope_for_user(con, username), issued_by=username)
    assert notes_count(con) == 0
    ok = credit(con, amount="1.00", scope=scope.scope_for_user(con, "ron"), issued_by="ron")
    assert ok["number"] == "CN-R1-000001"


def test_a_credit_note_is_seen_exactly_by_those_who_see_its_invoice(con):
    from queries.reports.invoices import credit_notes
    note = credit(con, amount="100.00")
    for username in ("ron", "rlead", "ram", "cat"):
        seen = credit_notes(con, scope.scope_for_user(con, username), P)
        assert [n["number"] for n in seen] == [note["number"]], username
        report = [i for i in scope.invoice_report(con, scope.scope_for_user(con, username), P) if i["buyer"] == "c1"]
        assert report[0]["credit_notes"] == [{"number": "CN-R1-000001", "invoice": "R1-000002", "amount": "100.00",
                                              "tax": "20.00", "total": "120.00",
                                              "reason": "service outage on 3 May"}], username
    for username in ("cora", "rita", "ken", "ana", "lea", "dam", "cg"):    # another customer, seller, the distributor
        who = scope.scope_for_user(con, username)
        assert credit_notes(con, who) == [], username
        assert all("credit_notes" not in i for i in scope.invoice_report(con, who, P)), username


# --- margins --------------------------------------------------------------------------------------

def test_the_margin_falls_by_exactly_the_amount_credited_in_the_invoice_s_period(con):
    ron = scope.scope_for_user(con, "ron")
    before = scope.margin_report(con, ron, P)
    by_customer = {r["customer"]: r for r in scope.margin_breakdown(con, ron, P, by="customer")}
    april = scope.margin_report(con, ron, "2026-04")
    credit(con, amount="100.00")
    credit(con, amount="45.55")
    after = scope.margin_report(con, ron, P)
    assert [(D(a["revenue"]) - D(b["revenue"]), a["cost"], D(a["margin"]) - D(b["margin"]))
            for a, b in zip(after, before)] == [(D("-145.55"), b["cost"], D("-145.55")) for b in before]
    assert after[0]["revenue"] == "2539.45"                                  # 2685.00 − 145.55
    customers = {r["customer"]: r for r in scope.margin_breakdown(con, ron, P, by="customer")}
    assert D(customers["c1"]["revenue"]) == D(by_customer["c1"]["revenue"]) - D("145.55")
    assert customers["c2"] == by_customer["c2"]
    for by in ("provider", "service"):
        parts = scope.margin_breakdown(con, ron, P, by=by)
        assert sum(D(r["revenue"]) for r in parts) == D(after[0]["revenue"]), by
        assert D("-145.55") == sum(D(r["revenue"]) for r in parts if r["provider"] == "(credit notes)")
    assert scope.margin_report(con, ron, "2026-04") == april                 # only the invoice's period


def test_the_reference_engine_takes_credit_notes_off_revenue():
    from pricing.engine import BillingResult
    result = BillingResult(ledger=(), invoices=(), issues=(), provider_tax_rows=())
    assert result.margins() == []
    margins = result.margins([{"seller": "r1", "currency": "USD", "amount": D("145.55")}])
    assert margins == [{"org": "r1", "currency": "USD", "revenue": D("-145.55"), "cost": D("0.00"),
                        "margin": D("-145.55")}]


# --- on the demo installation: the command, the PDF, the reports and the accounting files ---------

AS_OF = date(2026, 5, 20)
CLOSED = "2026-03"


def cli(*args: str, db: Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", str(db), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"cli {args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def pdf_text(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (a test prerequisite).")
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=data,
                         capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


def rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo, 2026-03 issued; then through the command: two credit notes on Contoso's invoice
    from MSP One (the second with --full). Returns the store's path and what was seen before."""
    from data.store import connect
    path = issued_demo_store(tmp_path_factory.mktemp("credit-notes"), as_of=AS_OF, issue=CLOSED)
    con = connect(path)
    try:
        number, subtotal, ccy = con.execute(
            "SELECT number, subtotal, currency FROM invoices WHERE seller = 'msp-one' AND buyer = 'contoso' "
            "AND status = 'issued'").fetchone()
        margin = scope.margin_report(con, scope.scope_for_user(con, "msp-admin"), CLOSED, with_pct=True)
    finally:
        con.close()
    first = cli("credit-note", "--invoice", number, "--amount", "25.00", "--reason", "Duplicate storage charge",
                "--as", "msp-admin", db=path)
    second = cli("credit-note", "--invoice", number, "--full", "--reason", "Goodwill", db=path)
    return {"db": path, "number": number, "subtotal": subtotal, "currency": ccy, "margin": margin,
            "out": (first.stdout, second.stdout)}


def test_the_command_prints_each_note_and_what_is_left(demo):
    first, second = demo["out"]
    ccy, left = demo["currency"], D(demo["subtotal"]) - D("25.00")
    assert first.startswith(f"issued credit note CN-MSP1-000001 against invoice {demo['number']} to contoso: 25.00 + tax ")
    assert first.rstrip().endswith(f"{left:.2f} {ccy} left to credit")
    assert second.startswith(f"issued credit note CN-MSP1-000002 against invoice {demo['number']} to contoso: "
                             f"{left:.2f} + tax ")
    assert second.rstrip().endswith(f"0.00 {ccy} left to credit")


@pytest.mark.parametrize("args, status, says", [
    (("--invoice", "NOPE-000001", "--amount", "1.00"), 1, "There is no issued invoice numbered 'NOPE-000001'."),
    (("--invoice", "{number}", "--amount", "0.01"), 1, "has nothing left to credit"),
    (("--invoice", "{other}", "--amount", "999999999.00"), 1, "is more than what remains to credit on invoice"),
    (("--invoice", "{other}", "--amount", "1.001"), 1, "has more decimal places than"),
    (("--invoice", "{other}", "--amount", "1.00", "--as", "msp-leader"), 2,
     "Only administrators of msp-one may issue credit notes on its invoices."),
    (("--invoice", "{other}", "--amount", "1.00", "--as", "fabrikam-user"), 2, "Only administrators of msp-one"),
    (("--invoice", "{other}", "--amount", "1.00", "--as", "ch-admin"), 1,
     "There is no issued invoice numbered '{other}' that you may see."),
    (("--invoice", "{other}", "--amount", "1.00", "--as", "nobody"), 2, "There is no user 'nobody'"),
])
def test_command_refusals_are_one_sentence_and_write_nothing(demo, args, status, says):
    from data.store import connect
    con = connect(demo["db"], read_only=True)
    other = con.execute("SELECT number FROM invoices WHERE seller = 'msp-one' AND buyer = 'fabrikam' "
                        "AND status = 'issued'").fetchone()[0]
    before = (notes_count(con), audit_count(con))
    con.close()
    fill = {"number": demo["number"], "other": other}
    proc = cli("credit-note", *(a.format(**fill) for a in args), "--reason", "test", db=demo["db"], check=False)
    assert proc.returncode == status, proc.stderr
    assert proc.stderr.startswith("error: ") and says.format(**fill) in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    con = connect(demo["db"], read_only=True)
    assert (notes_count(con), audit_count(con)) == before
    con.close()


def test_pdfs_carry_the_note_the_invoice_and_the_figures(demo, tmp_path):
    out = tmp_path / "pdf"
    cli("invoices", "export", "--period", CLOSED, "--format", "pdf", "--out", str(out), "--as", "contoso-user",
        db=demo["db"])
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"{demo['number']}.pdf", "CN-MSP1-000001.pdf", "CN-MSP1-000002.pdf"])
    from data.documents.common import amount_text
    report = json.loads(cli("report", "invoices", "--period", CLOSED, "--json", "--as", "contoso-user",
                            db=demo["db"]).stdout)
    (invoice,) = report
    notes = {n["number"]: n for n in invoice["credit_notes"]}
    assert set(notes) == {"CN-MSP1-000001", "CN-MSP1-000002"}
    assert sum(D(n["amount"]) for n in notes.values()) == D(invoice["subtotal"])
    ccy = demo["currency"]
    for number, note in notes.items():
        text = pdf_text((out / f"{number}.pdf").read_bytes())
        assert "CREDIT NOTE" in text and f"No. {number}" in text
        assert "CREDITS INVOICE" in text and f"Credit for invoice {demo['number']}" in text
        assert f"Amount credited {amount_text(D(note['amount']), ccy, code=True)}" in text
        assert f"{amount_text(D(note['tax']), ccy, code=True)}" in text
        assert f"Total credited {amount_text(D(note['total']), ccy, code=True)}" in text
        assert note["reason"] in text
    assert D(notes["CN-MSP1-000001"]["amount"]) == D("25.00")


def test_accounting_files_hold_the_notes_and_the_journal_balances(demo):
    from data.documents.export import period_files
    from data.store import connect
    con = connect(demo["db"], read_only=True)
    try:
        who = scope.scope_for_user(con, "msp-admin")
        (_, journal), = period_files(con, who, CLOSED, "journal")
        (_, xero), = period_files(con, who, CLOSED, "xero")
        (_, lines), = period_files(con, who, CLOSED, "csv", seller="msp-one")
        rheinwerk = period_files(con, scope.scope_for_user(con, "rheinwerk-user"), CLOSED, "pdf")
    finally:
        con.close()
    debit = credit_ = D(0)
    per_document: dict[str, list[D]] = defaultdict(lambda: [D(0), D(0)])
    for row in rows(journal):
        debit += D(row["debit"] or 0)
        credit_ += D(row["credit"] or 0)
        per_document[row["invoice"]][0] += D(row["debit"] or 0)
        per_document[row["invoice"]][1] += D(row["credit"] or 0)
    assert debit == credit_ > 0
    assert all(d == c for d, c in per_document.values())
    assert {"CN-MSP1-000001", "CN-MSP1-000002"} <= set(per_document)
    credited = defaultdict(D)
    for row in rows(xero):
        if row["InvoiceNumber"].startswith("CN-"):
            credited[row["InvoiceNumber"]] += D(row["UnitAmount"])
    assert sum(credited.values()) == -D(demo["subtotal"])
    notes = [r for r in rows(lines) if r["document"] == "credit_note"]
    assert {r["credits_invoice"] for r in notes} == {demo["number"]}
    assert all(not n.startswith("CN-") for n, _ in rheinwerk)              # CloudHaus's customer: none of MSP One's


def test_the_margin_report_loses_exactly_the_credited_amount(demo):
    report = json.loads(cli("report", "margins", "--period", CLOSED, "--json", "--as", "msp-admin",
                            db=demo["db"]).stdout)
    before = {m["currency"]: m for m in demo["margin"]}
    after = {m["currency"]: m for m in report}
    ccy = demo["currency"]
    assert D(before[ccy]["revenue"]) - D(after[ccy]["revenue"]) == D(demo["subtotal"])
    assert after[ccy]["cost"] == before[ccy]["cost"]
    assert {k: v for k, v in after.items() if k != ccy} == {k: v for k, v in before.items() if k != ccy}
