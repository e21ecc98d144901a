"""The console's Data, Billing and Invoices sections (issue #14): data/console/operations.py at
the access layer, and the pages Deliveries, Billing and Issue invoices with AppTest.

Each test works on its own copy of the small UI demo store (tests/browser_support.py: 2025-04
issued, 2025-05 and 2025-06 drafts), because uploading, billing and issuing write to it.
The uploaded file is one hand-made FOCUS row: AWS usage of Contoso's production account
(200000000011, mapped to Contoso, a customer of MSP One) under a payer account the demo has not
delivered (100000000777), so it adds to Contoso's June instead of replacing a delivery:
BilledCost 1000.00 USD.
"""
from __future__ import annotations

import csv
import email
import io
import re
import shutil
import socket
import time
from datetime import date
from decimal import Decimal
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from streamlit.testing.v1 import AppTest

from components.auth import AUTH_KEY, session_record
from components.money import fmt
from data.console import operations as op
from data.credit_notes import CreditNoteError
from data.store import ROOT, connect
from pricing.money import round_line
from queries.scope import ScopeError, scope_for_user
from tests.browser_support import restore_env, set_env, ui_env, ui_store
from tests.conftest import FOCUS_12_COLUMNS, focus_row

OPEN = "2025-06"          # the demo's month to date: drafts only
DRAFTS = "2025-05"        # a complete month of drafts
ISSUED = "2025-04"        # issued by ui_store()
NEW_PAYER = "100000000777"


def focus_bytes(*, cost: str = "1000.00", payer: str = NEW_PAYER, gz: bool = False) -> bytes:
    row = focus_row(
        BillingAccountId=payer, SubAccountId="200000000011", InvoiceId="INV-UPLOAD-1",
        BillingPeriodStart="2025-06-01T00:00:00Z", BillingPeriodEnd="2025-07-01T00:00:00Z",
        ChargePeriodStart="2025-06-02T00:00:00Z", ChargePeriodEnd="2025-06-02T01:00:00Z",
        BilledCost=cost, EffectiveCost=cost, ListCost="1200.00", ContractedCost=cost)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FOCUS_12_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    data = buf.getvalue().encode("utf-8")
    if gz:
        import gzip
        return gzip.compress(data)
    return data


NOT_FOCUS = b"date,amount,memo\n2025-06-01,12.50,coffee\n"


@pytest.fixture
def db(tmp_path) -> Path:
    """A copy of the UI demo store for this test alone."""
    source = ui_store().apptest_db
    path = tmp_path / "store" / "tierline.duckdb"
    path.parent.mkdir()
    shutil.copyfile(source, path)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, path.with_name(path.name + ".wal"))
    return path


@pytest.fixture
def con(db):
    c = connect(db)
    yield c
    c.close()


@pytest.fixture
def app_env(db):
    old = set_env(ui_env(db))
    yield db
    restore_env(old)


def scope(con, username: str):
    return scope_for_user(con, username)


def landed(con) -> tuple[int, int]:
    return (con.execute("select count(*) from landing_focus").fetchone()[0],
            con.execute("select count(*) from deliveries").fetchone()[0])


def draft_total(con, seller: str, buyer: str, period: str) -> Decimal:
    return con.execute("select total from invoices where seller = ? and buyer = ? and x_Period = ? "
                       "and status = 'draft'", [seller, buyer, f"{period}-01"]).fetchone()[0]


# --- the access layer: data ----------------------------------------------------------------------

def test_an_upload_lands_as_a_delivery_and_reprices_its_period(con):
    before = draft_total(con, "msp-one", "contoso", OPEN)
    dist = scope(con, "dist-admin")
    seen: list[float] = []
    outcome = op.ingest_upload(con, dist, "aws-june.csv", focus_bytes(),
                               progress=lambda f, m: seen.append(f))
    assert outcome.status == "loaded" and outcome.rows == 1 and outcome.focus_version == "1.2"
    assert [r.period.strftime("%Y-%m") for r in outcome.runs] == [OPEN]
    assert all(r.ok for r in outcome.runs)
    assert seen == sorted(seen) and seen[-1] == 1.0            # the bar never goes back
    # Contoso's June draft grew: 1000.00 USD of AWS usage, priced in EUR on MSP One's plan
    assert draft_total(con, "msp-one", "contoso", OPEN) > before
    listed = op.deliveries(con, dist)
    assert listed[0]["file"] == "aws-june.csv" and listed[0]["loaded_by"] == "dist-admin"
    assert listed[0]["totals"] == {"USD": Decimal("1000.00")} and listed[0]["status"] == "active"
    # the same bytes again: already loaded, nothing changes
    again = op.ingest_upload(con, dist, "copy.csv", focus_bytes(), reprice=False)
    assert again.status == "already_loaded" and again.ingest_id == outcome.ingest_id


def test_a_redelivery_says_what_it_replaced(con):
    dist = scope(con, "dist-admin")
    first = op.ingest_upload(con, dist, "june-v1.csv.gz", focus_bytes(gz=True), reprice=False)
    second = op.ingest_upload(con, dist, "june-v2.csv", focus_bytes(cost="900.00"), reprice=False)
    assert second.status == "replaced" and second.replaced == (first.ingest_id,)
    by_id = {d["id"]: d for d in op.deliveries(con, dist)}
    assert by_id[second.ingest_id]["replaces"] == [first.ingest_id]
    assert by_id[first.ingest_id]["replaced_by"] == [second.ingest_id]
    assert by_id[first.ingest_id]["status"] == "replaced" and by_id[first.ingest_id]["active_rows"] == 0


def test_a_file_that_is_not_focus_is_refused_with_ingest_s_sentence_and_nothing_lands(con):
    dist = scope(con, "dist-admin")
    before = landed(con)
    outcome = op.ingest_upload(con, dist, "expenses.csv", NOT_FOCUS)
    assert outcome.status == "refused" and not outcome.runs
    assert outcome.error.startswith("expenses.csv: missing mandatory FOCUS columns ")
    assert "Nothing was stored" in outcome.error and "tierline-upload-" not in outcome.error
    assert landed(con) == before
    refused = op.rejected_files(con, dist)
    assert refused[0]["file"] == "expenses.csv" and refused[0]["reason"] == outcome.error
    assert refused[0]["source"] == "upload" and refused[0]["by"] == "dist-admin"


@pytest.mark.parametrize("name, data, sentence", [
    ("costs.xlsx", b"PK\x03\x04rest", "not a FOCUS file Tierline reads"),
    ("costs.parquet", b"not parquet at all", "is named .parquet but is not a Parquet file"),
    ("empty.csv", b"", "the file is empty"),
])
def test_other_bad_files_are_one_sentence(con, name, data, sentence):
    before = landed(con)
    outcome = op.ingest_upload(con, scope(con, "dist-admin"), name, data)
    assert outcome.status == "refused" and sentence in outcome.error
    assert landed(con) == before


def test_upload_names_and_sizes_are_checked_on_the_server(con, monkeypatch):
    dist = scope(con, "dist-admin")
    outcome = op.ingest_upload(con, dist, "../../etc/aws-june.csv", focus_bytes(), reprice=False)
    assert outcome.status == "loaded" and op.deliveries(con, dist)[0]["file"] == "aws-june.csv"
    with pytest.raises(op.OperationError, match="has no name"):
        op.ingest_upload(con, dist, "../", b"x")
    monkeypatch.setattr(op, "MAX_UPLOAD_BYTES", 10)
    with pytest.raises(op.OperationError, match="an upload is at most 200 MB"):
        op.ingest_upload(con, dist, "big.csv", focus_bytes())


@pytest.mark.parametrize("username", ["msp-admin", "dist-leader", "dist-am"])
def test_only_the_root_s_admins_upload_and_run_billing(con, username):
    who = scope(con, username)
    before = landed(con)
    with pytest.raises(ScopeError):
        op.ingest_upload(con, who, "aws-june.csv", focus_bytes())
    with pytest.raises(ScopeError):
        op.deliveries(con, who)
    with pytest.raises(ScopeError):
        op.run_period(con, who, OPEN)
    with pytest.raises(ScopeError):
        op.run_overview(con, who, OPEN)
    assert landed(con) == before


# --- the access layer: billing -------------------------------------------------------------------

def test_a_run_reports_its_counts_unpriced_and_unassigned(con):
    dist = scope(con, "dist-admin")
    assert [p.strftime("%Y-%m") for p in op.billable_periods(con, dist)] == [OPEN, DRAFTS, ISSUED]
    summary = op.run_period(con, dist, OPEN)
    assert summary.ok and summary.invoices_drafted > 0
    view = op.run_overview(con, dist, OPEN)
    assert view["latest"]["run_id"] == summary.run_id and view["latest"]["status"] == "ok"
    assert view["latest"]["rows_priced"] == summary.rows_priced
    assert view["latest"]["invoices_drafted"] == summary.invoices_drafted
    assert sum(t["invoices"] for t in view["totals"]) == summary.invoices_drafted
    assert view["unassigned_cost"] == {c: round_line(v, c) for c, v in summary.unassigned_cost.items()}
    for ccy, total in view["unassigned_cost"].items():      # the rows add up to the total shown
        assert sum(u["billed_cost"] for u in view["unassigned"] if u["currency"] == ccy) == total
    assert sum(u["rows"] for u in view["unassigned"]) == summary.rows_unassigned
    assert view["unpriced"] == []
    with pytest.raises(op.OperationError, match="There is no provider data for 2031-01"):
        op.run_period(con, dist, "2031-01")
    with pytest.raises(op.OperationError, match="A period looks like 2026-05"):
        op.run_period(con, dist, "June")


def test_a_failed_run_shows_its_unpriced_groups_with_the_reason(con):
    """Without an FX rate for June, every row billed across currencies cannot be priced: the run
    fails, names each group's reason, and the drafts stay as they were."""
    dist = scope(con, "dist-admin")
    drafts_before = con.execute("select count(*), sum(total) from invoices where x_Period = '2025-06-01'").fetchone()
    con.execute("delete from cfg_fx_rates where period = '2025-06-01'")
    summary = op.run_period(con, dist, OPEN)
    assert not summary.ok
    view = op.run_overview(con, dist, OPEN)
    assert view["latest"]["status"] == "failed" and view["unpriced"]
    assert all(u["reason"] for u in view["unpriced"])
    assert {u["kind"] for u in view["unpriced"]} == {"no_fx"}
    assert con.execute("select count(*), sum(total) from invoices where x_Period = '2025-06-01'").fetchone() \
        == drafts_before


# --- the access layer: invoices ------------------------------------------------------------------

def test_an_admin_reviews_and_issues_only_its_own_organisation_s_drafts(con):
    msp = scope(con, "msp-admin")
    view = op.review(con, msp, DRAFTS)
    assert view["drafts"] and {i["seller"] for i in view["drafts"]} == {"msp-one"}
    count = len(view["drafts"])
    totals = {c: t["total"] for c, t in view["draft_totals"].items()}
    assert sum(t["count"] for t in view["draft_totals"].values()) == count
    others_before = con.execute("select count(*) from invoices where x_Period = '2025-05-01' "
                                "and seller <> 'msp-one' and status = 'draft'").fetchone()[0]
    with pytest.raises(op.OperationError, match="changed since you confirmed them"):
        op.issue(con, msp, DRAFTS, confirmed_count=count + 1, confirmed_totals=totals)
    issued = op.issue(con, msp, DRAFTS, confirmed_count=count, confirmed_totals=totals)
    assert len(issued) == count and all(n.startswith("MSP1-") for n, *_ in issued)
    assert con.execute("select count(*) from invoices where x_Period = '2025-05-01' and seller <> 'msp-one' "
                       "and status = 'draft'").fetchone()[0] == others_before
    with pytest.raises(op.OperationError, match="no draft invoices of yours"):
        op.issue(con, msp, DRAFTS, confirmed_count=0, confirmed_totals={})


def test_drafts_that_change_between_review_and_issue_are_not_issued(con, monkeypatch):
    """The confirmation is checked again inside the issue's transaction: drafts a billing run
    replaced after the review (here: the review is made to see one invoice fewer) stay drafts."""
    msp = scope(con, "msp-admin")
    view = op.review(con, msp, DRAFTS)
    stale = {**view, "drafts": view["drafts"][1:]}
    stale_totals = {c: t["total"] for c, t in op._totals(stale["drafts"]).items()}
    monkeypatch.setattr(op, "review", lambda *_a, **_k: {**stale, "draft_totals": op._totals(stale["drafts"])})
    with pytest.raises(op.OperationError, match="changed since you confirmed them"):
        op.issue(con, msp, DRAFTS, confirmed_count=len(stale["drafts"]), confirmed_totals=stale_totals)
    assert con.execute("select count(*) from invoices where x_Period = '2025-05-01' and seller = 'msp-one' "
                       "and status = 'issued'").fetchone()[0] == 0


def test_an_admin_of_one_reseller_never_sees_or_credits_another_s_invoices(con):
    msp, bc = scope(con, "msp-admin"), scope(con, "bc-admin")
    theirs = op.review(con, bc, ISSUED)["issued"]
    assert theirs and all(i["seller"] == "britcloud" for i in theirs)
    mine = op.review(con, msp, ISSUED)
    assert all(i["seller"] == "msp-one" for i in [*mine["drafts"], *mine["issued"]])
    assert not {i["invoice_id"] for i in theirs} & {i["invoice_id"] for i in mine["issued"]}
    with pytest.raises(CreditNoteError, match="that you may see"):
        op.credit(con, msp, invoice_number=theirs[0]["number"], amount="1.00", reason="not mine")
    with pytest.raises(ScopeError):
        op.review(con, scope(con, "msp-leader"), ISSUED)


def test_a_credit_note_needs_a_reason_and_credits_the_seller_s_invoice(con):
    msp = scope(con, "msp-admin")
    invoice = op.review(con, msp, ISSUED)["issued"][0]
    with pytest.raises(CreditNoteError, match="needs a reason"):
        op.credit(con, msp, invoice_number=invoice["number"], amount="10.00", reason="  ")
    note = op.credit(con, msp, invoice_number=invoice["number"], amount="10.00", reason="SLA credit")
    assert note["number"].startswith("CN-") and note["amount"] == Decimal("10.00")
    assert note["invoice_number"] == invoice["number"] and note["reason"] == "SLA credit"


# --- AppTest ------------------------------------------------------------------------------------

def app(page: str, username: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state[AUTH_KEY] = session_record(username, time.time() + 600, method="test")
    at.switch_page(page)
    return at.run()


def texts(at: AppTest, kind: str) -> list[str]:
    return [e.value.replace("\\", "") for e in getattr(at, kind)]


def frame_text(at: AppTest) -> str:
    return "\n".join(d.value.to_csv() for d in at.dataframe)


def test_page_data_upload_a_good_file_and_it_is_listed(app_env):
    at = app("pages/5_Deliveries.py", "dist-admin")
    assert not at.exception and texts(at, "error") == []
    at.file_uploader[0].upload("aws-june.csv", focus_bytes(), "text/csv")
    at.run()
    at.button(key="ops_data_ingest").click().run()
    assert not at.exception, at.exception
    assert texts(at, "error") == []
    success = " ".join(texts(at, "success"))
    assert "aws-june.csv: 1 row loaded as delivery" in success
    assert "Billed 2025-06: run" in " ".join(texts(at, "caption"))
    table = at.dataframe[0].value
    assert table.iloc[0]["file"] == "aws-june.csv" and table.iloc[0]["billed_cost"] == "USD 1,000.00"


def test_page_data_a_file_that_is_not_focus_is_a_sentence_and_nothing_lands(app_env):
    with connect(app_env) as c:
        before = landed(c)
    at = app("pages/5_Deliveries.py", "dist-admin")
    at.file_uploader[0].upload("expenses.csv", NOT_FOCUS, "text/csv")
    at.run()
    at.button(key="ops_data_ingest").click().run()
    assert not at.exception
    (error,) = texts(at, "error")
    assert error.startswith("expenses.csv: missing mandatory FOCUS columns") and "Nothing was stored" in error
    assert "expenses.csv" in frame_text(at)            # listed under the refused files, with its reason
    with connect(app_env) as c:
        assert landed(c) == before


def test_page_billing_run_shows_the_counts(app_env):
    at = app("pages/17_Billing.py", "dist-admin")
    assert not at.exception and texts(at, "error") == []
    assert at.selectbox(key="ops_bill_period").value.strftime("%Y-%m") == OPEN
    at.button(key="ops_bill_run").click().run()
    assert not at.exception and texts(at, "error") == []
    (message,) = texts(at, "success")
    assert message.startswith("Run ") and f"for {OPEN}: ok." in message and "draft invoices" in message
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Status"] == "ok" and int(metrics["Draft invoices"].replace(",", "")) > 0
    assert "Unassigned cost" in " ".join(m.value for m in at.markdown)


def test_page_billing_is_refused_to_a_reseller_admin(app_env):
    at = app("pages/17_Billing.py", "msp-admin")
    assert len(texts(at, "error")) == 1
    assert [b.key for b in at.button] == ["nav_sign_out"]          # no run button


def test_page_issue_with_confirmation_then_credit_note(app_env):
    at = app("pages/18_Issue_invoices.py", "msp-admin")
    assert not at.exception and texts(at, "error") == []
    at.selectbox(key="ops_inv_period").set_value(date(2025, 5, 1)).run()
    drafts = int(next(m.value for m in at.metric if m.label == "Draft invoices"))
    assert drafts > 0
    with connect(app_env) as c:
        totals = op.review(c, scope(c, "msp-admin"), DRAFTS)["draft_totals"]
        others = c.execute("select count(*) from invoices where x_Period = '2025-05-01' "
                           "and seller <> 'msp-one' and status = 'draft'").fetchone()[0]
    assert sum(t["count"] for t in totals.values()) == drafts and others > 0
    at.button(key="ops_inv_issue").click().run()
    (warning,) = texts(at, "warning")
    named = ", ".join(fmt(t["total"], ccy) for ccy, t in totals.items())
    named = " and ".join(named.rsplit(", ", 1))          # 'EUR 1.00, GBP 2.00 and USD 3.00'
    assert warning.startswith(f"Issue {drafts} invoices of MSP One for May 2025, total {named}? ")
    assert at.button(key="ops_inv_issue_yes").label == f"Yes, issue {drafts} invoices"
    at.button(key="ops_inv_issue_yes").click().run()
    assert not at.exception and texts(at, "error") == []
    (done,) = texts(at, "success")
    assert done.startswith(f"Issued {drafts} invoices for May 2025: MSP1-") and done.endswith(f"total {named}.")
    assert next(m.value for m in at.metric if m.label == "Draft invoices") == "0"
    with connect(app_env) as c:                       # another seller's drafts were not touched
        assert c.execute("select count(*) from invoices where x_Period = '2025-05-01' and seller <> 'msp-one' "
                         "and status = 'draft'").fetchone()[0] == others
    # a credit note on one of them, with a reason
    at.text_input(key="ops_inv_cn_amount").input("25.00")
    at.button(key="ops_inv_cn_issue").click().run()
    assert "needs a reason" in " ".join(texts(at, "error"))
    at.text_input(key="ops_inv_cn_reason").input("SLA credit for an outage")
    at.button(key="ops_inv_cn_issue").click().run()
    assert texts(at, "error") == []
    assert any(t.startswith("Issued credit note CN-") for t in texts(at, "success"))


def test_page_issue_shows_no_other_seller_s_invoices(app_env):
    at = app("pages/18_Issue_invoices.py", "ch-admin")
    assert not at.exception and texts(at, "error") == []
    shown = frame_text(at)
    for other in ("MSP1-", "BCP-", "Contoso Ltd", "Fabrikam Inc"):
        assert other not in shown


# --- e-mail ------------------------------------------------------------------------------------

class Recorder:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    old = set_env({"TIERLINE_SMTP_HOST": "127.0.0.1", "TIERLINE_SMTP_PORT": str(port),
                   "TIERLINE_SMTP_TLS": "none", "TIERLINE_SMTP_FROM": "billing@tierline.example"})
    try:
        yield handler
    finally:
        restore_env(old)
        controller.stop()


def test_page_send_by_email(app_env, smtp):
    at = app("pages/18_Issue_invoices.py", "bc-admin")
    at.selectbox(key="ops_inv_period").set_value(date(2025, 4, 1)).run()     # the issued period
    issued = int(next(m.value for m in at.metric if m.label == "Issued invoices"))
    assert issued > 0
    at.button(key="ops_inv_send").click().run()
    assert not at.exception and texts(at, "error") == []
    summary = " ".join([*texts(at, "success"), *texts(at, "warning")])
    assert summary.startswith(f"{issued} invoices: ")
    messages = [email.message_from_bytes(e.original_content, policy=policy.default) for e in smtp.envelopes]
    sent = int(re.search(r"(\d+) sent", summary).group(1))
    assert sent == len(messages) > 0                  # each sent invoice reached the server once
    assert all(m["Subject"].startswith("Invoice BCP-") for m in messages)
    assert all(any(p.get_content_type() == "application/pdf" for p in m.iter_attachments()) for m in messages)
