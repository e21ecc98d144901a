"""E-mail delivery of issued invoices (data/delivery.py, `cli.py invoices send`, issue #11)
against a real aiosmtpd server on 127.0.0.1, on a small demo store (2026-03 issued, 2026-04
drafts only). The received messages are parsed and their PDFs read back with pdftotext.

The server runs in aiosmtpd's own thread; `Controller.start()` returns once it answers, so no
test waits or sleeps.
"""
from __future__ import annotations

import email
import os
import shutil
import socket
import subprocess
import sys
from datetime import date
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from data.delivery import SendError, send_period, settings_or_error
from data.documents.common import amount_text
from data.documents.mail import SECRETS_PATH, MailSettings
from data.store import connect
from queries.reports.invoices import invoices
from queries.scope import ScopeError, scope_for_user, system_scope
from tests.demo_support import issued_demo_store

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 5, 20)
CLOSED = "2026-03"            # issued below
OPEN = "2026-04"              # drafts only


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """Accepts every recipient except those in `refuse` (550), records each message."""

    def __init__(self) -> None:
        self.envelopes = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list:
        return [email.message_from_bytes(e.original_content, policy=policy.default) for e in self.envelopes]


@pytest.fixture
def smtp():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def settings_for(port: int) -> MailSettings:
    return MailSettings(host="127.0.0.1", port=port, tls="none", from_address="billing@tierline.example",
                        timeout=10)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return issued_demo_store(tmp_path_factory.mktemp("delivery"), as_of=AS_OF, issue=CLOSED)


@pytest.fixture
def db(built, tmp_path) -> Path:
    """A copy of the demo store per test: sending writes to it."""
    path = tmp_path / "store.duckdb"
    shutil.copy(built, path)
    return path


@pytest.fixture
def con(db):
    c = connect(db)
    yield c
    c.close()


def pdf_text(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (a test prerequisite).")
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=data,
                         capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


def issued_of(con, scope, seller: str) -> dict[str, dict]:
    """{number: invoice header} of the seller's issued invoices in CLOSED."""
    return {h["number"]: h for h in invoices(con, scope, CLOSED)
            if h["seller"] == seller and h["status"] == "issued"}


def contacts(con) -> dict[str, str | None]:
    from data.config import current_config
    return {o.id: o.billing_email for o in current_config(con).organizations_all()}


def deliveries(con) -> list[tuple]:
    return con.execute("SELECT number, sent_to, sent_by, status, error FROM invoice_deliveries "
                       "ORDER BY number, sent_at").fetchall()


def test_every_issued_invoice_goes_once_to_its_billing_contact_with_its_pdf(con, smtp):
    controller, handler = smtp
    msp = scope_for_user(con, "msp-admin")
    want = issued_of(con, msp, "msp-one")
    assert len(want) >= 5
    emails = contacts(con)
    outcomes = send_period(con, CLOSED, settings=settings_for(controller.port), scope=msp, sent_by="msp-admin")
    assert {o["number"]: o["status"] for o in outcomes} == {n: "sent" for n in want}
    assert all(o["to"] == emails[o["buyer"]] and o["error"] is None and o["sent_at"] for o in outcomes)

    messages = handler.messages()
    assert sorted(e.rcpt_tos[0] for e in handler.envelopes) == sorted(emails[h["buyer"]] for h in want.values())
    assert len(messages) == len(want)
    for msg in messages:
        (part,) = list(msg.iter_attachments())
        number = part.get_filename().removesuffix(".pdf")
        head = want[number]
        assert msg["To"] == emails[head["buyer"]]
        assert msg["From"] == "billing@tierline.example"
        assert msg["Subject"] == f"Invoice {number} from MSP One Inc. for March 2026"
        body = msg.get_body(("plain",)).get_content()
        total = amount_text(head["total"], head["currency"])
        assert f"Total: {head['currency']} {total}" in body and "Due by: " in body
        assert part.get_content_type() == "application/pdf"
        data = part.get_content()
        assert data.startswith(b"%PDF")
        text = pdf_text(data)
        assert number in text and total in text

    rows = deliveries(con)
    assert [(n, to, by, st, err) for n, to, by, st, err in rows] == sorted(
        (n, emails[h["buyer"]], "msp-admin", "sent", None) for n, h in want.items())
    audit = con.execute("SELECT org, target, username FROM audit_log WHERE action = 'invoice_sent' "
                        "ORDER BY target").fetchall()
    assert audit == [("msp-one", n, "msp-admin") for n in sorted(want)]


def test_a_second_send_sends_nothing_and_resend_sends_again(con, smtp):
    controller, handler = smtp
    root = system_scope(con)          # Northwind's invoices to its three resellers
    settings = settings_for(controller.port)
    first = send_period(con, CLOSED, settings=settings, scope=root, sent_by="cli")
    assert len(first) == 3 and {o["status"] for o in first} == {"sent"}
    assert len(handler.envelopes) == 3

    again = send_period(con, CLOSED, settings=settings, scope=root, sent_by="cli")
    assert [o["status"] for o in again] == ["skipped"] * 3
    assert [(o["to"], o["sent_at"]) for o in again] == [(o["to"], o["sent_at"]) for o in first]
    assert len(handler.envelopes) == 3           # nothing went out

    resent = send_period(con, CLOSED, settings=settings, scope=root, resend=True, sent_by="cli")
    assert [o["status"] for o in resent] == ["sent"] * 3
    assert len(handler.envelopes) == 6
    counts = con.execute("SELECT number, count(*) FROM invoice_deliveries WHERE status = 'sent' "
                         "GROUP BY number").fetchall()
    assert sorted(c for _, c in counts) == [2, 2, 2]


def test_a_refused_recipient_fails_that_invoice_and_the_others_are_sent(con, smtp):
    controller, handler = smtp
    msp = scope_for_user(con, "msp-admin")
    want = issued_of(con, msp, "msp-one")
    contoso = next(n for n, h in want.items() if h["buyer"] == "contoso")
    handler.refuse = {"accounts@contoso.example"}
    outcomes = {o["number"]: o for o in send_period(con, CLOSED, settings=settings_for(controller.port),
                                                     scope=msp, sent_by="msp-admin")}
    assert outcomes[contoso]["status"] == "failed"
    assert outcomes[contoso]["error"] == (f"The mail server 127.0.0.1:{controller.port} refused the recipient "
                                          f"accounts@contoso.example (550 5.1.1 No such mailbox here).")
    assert {n for n, o in outcomes.items() if o["status"] == "sent"} == set(want) - {contoso}
    assert len(handler.envelopes) == len(want) - 1
    failed = [r for r in deliveries(con) if r[3] == "failed"]
    assert failed == [(contoso, "accounts@contoso.example", "msp-admin", "failed", outcomes[contoso]["error"])]
    assert con.execute("SELECT target FROM audit_log WHERE action = 'invoice_send_failed'").fetchall() == [(contoso,)]

    # the mailbox exists again: only the failed invoice goes out
    handler.refuse = set()
    later = send_period(con, CLOSED, settings=settings_for(controller.port), scope=msp, sent_by="msp-admin")
    assert {o["number"]: o["status"] for o in later} == {n: "sent" if n == contoso else "skipped" for n in want}
    assert handler.envelopes[-1].rcpt_tos == ["accounts@contoso.example"]
    assert len(handler.envelopes) == len(want)


def test_an_unreachable_server_fails_every_invoice_with_one_sentence(con, smtp):
    controller, handler = smtp
    root = system_scope(con)
    port = free_port()                 # nothing listens there
    outcomes = send_period(con, CLOSED, settings=settings_for(port), scope=root, sent_by="cli")
    sentence = f"Could not connect to the mail server 127.0.0.1:{port}: the connection was refused."
    assert [(o["status"], o["error"]) for o in outcomes] == [("failed", sentence)] * 3
    assert [r[3] for r in deliveries(con)] == ["failed"] * 3
    # nothing counts as sent: the next send, to a server that answers, sends all three
    later = send_period(con, CLOSED, settings=settings_for(controller.port), scope=root, sent_by="cli")
    assert [o["status"] for o in later] == ["sent"] * 3 and len(handler.envelopes) == 3


def test_drafts_are_never_sent(con, smtp):
    controller, handler = smtp
    msp = scope_for_user(con, "msp-admin")
    assert {h["status"] for h in invoices(con, msp, OPEN)} == {"draft"}
    with pytest.raises(SendError, match=r"^No invoice of msp-one for 2026-04 is issued yet; only issued "
                                        r"invoices are sent \(python cli.py issue --period 2026-04\)\.$"):
        send_period(con, OPEN, settings=settings_for(controller.port), scope=msp)
    assert handler.envelopes == [] and deliveries(con) == []


def test_a_buyer_without_a_billing_contact_is_reported_and_the_rest_sent(con, smtp):
    from data.config import current_config, import_config
    controller, handler = smtp
    doc = current_config(con)
    orgs = [o.model_copy(update={"billing_email": None}) if o.id == "fabrikam" else o for o in doc.organizations]
    import_config(con, doc.model_copy(update={"organizations": orgs}), imported_by="test")
    msp = scope_for_user(con, "msp-admin")
    outcomes = send_period(con, CLOSED, settings=settings_for(controller.port), scope=msp)
    fabrikam = next(o for o in outcomes if o["buyer"] == "fabrikam")
    assert fabrikam["status"] == "no_contact" and fabrikam["to"] is None
    assert fabrikam["error"] == ("Fabrikam Inc (fabrikam) has no billing_email in the configuration; "
                                 "add one to its organisation and send again.")
    assert all(o["status"] == "sent" for o in outcomes if o is not fabrikam)
    assert len(handler.envelopes) == len(outcomes) - 1
    assert fabrikam["number"] not in {r[0] for r in deliveries(con)}    # nothing was tried


def test_only_the_seller_s_administrators_send_its_invoices(con, smtp):
    controller, handler = smtp
    settings = settings_for(controller.port)
    with pytest.raises(ScopeError, match="sent by the administrators of msp-one only"):
        send_period(con, CLOSED, settings=settings, scope=scope_for_user(con, "msp-am"))
    with pytest.raises(ScopeError, match="sent by the administrators of northwind only"):
        send_period(con, CLOSED, settings=settings, scope=scope_for_user(con, "msp-admin"), seller="northwind")
    with pytest.raises(ScopeError, match="sent by the administrators of msp-one only"):
        send_period(con, CLOSED, settings=settings, scope=system_scope(con), seller="msp-one")
    with pytest.raises(SendError, match=r"Unknown seller 'nobody'"):
        send_period(con, CLOSED, settings=settings, scope=system_scope(con), seller="nobody")
    with pytest.raises(ScopeError, match="2026-09 has not been billed yet"):
        send_period(con, "2026-09", settings=settings, scope=system_scope(con))
    assert handler.envelopes == [] and deliveries(con) == []


def test_no_mail_server_configured_is_one_sentence_naming_the_settings():
    with pytest.raises(SendError, match=r"^No mail server is configured: set TIERLINE_SMTP_HOST and "
                                        r"TIERLINE_SMTP_FROM .* under \[smtp\] in .*secrets\.toml\.$"):
        settings_or_error({}, secrets_path=None)
    with pytest.raises(SendError, match=r"smtp port .* must be a whole number, got 'twenty-five'"):
        settings_or_error({"TIERLINE_SMTP_HOST": "127.0.0.1", "TIERLINE_SMTP_PORT": "twenty-five",
                           "TIERLINE_SMTP_FROM": "billing@tierline.example"}, secrets_path=None)
    settings = settings_or_error({"TIERLINE_SMTP_HOST": "127.0.0.1", "TIERLINE_SMTP_PORT": "2525",
                                  "TIERLINE_SMTP_TLS": "none", "TIERLINE_SMTP_FROM": "b@tierline.example"},
                                 secrets_path=None)
    assert (settings.host, settings.port, settings.tls) == ("127.0.0.1", 2525, "none")


# --- the CLI ------------------------------------------------------------------------------------

def cli(*args: str, db: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TIERLINE_SMTP_")}
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", str(db), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, env={**clean, **env})


def smtp_env(port: int) -> dict[str, str]:
    return {"TIERLINE_SMTP_HOST": "127.0.0.1", "TIERLINE_SMTP_PORT": str(port), "TIERLINE_SMTP_TLS": "none",
            "TIERLINE_SMTP_FROM": "billing@tierline.example"}


def test_cli_sends_skips_resends_and_reports_a_refused_recipient(db, smtp):
    controller, handler = smtp
    env = smtp_env(controller.port)
    first = cli("invoices", "send", "--period", CLOSED, "--as", "msp-admin", db=db, env=env)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    sent = [ln for ln in lines if ln.startswith("sent ")]
    assert len(sent) == len(handler.envelopes) >= 5
    assert any(ln.endswith("to contoso <accounts@contoso.example>") for ln in sent)
    assert lines[-1] == f"{len(sent)} invoices: {len(sent)} sent"

    again = cli("invoices", "send", "--period", CLOSED, "--as", "msp-admin", db=db, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == f"{len(sent)} invoices: {len(sent)} skipped"
    assert len(handler.envelopes) == len(sent)

    handler.refuse = {"accounts@contoso.example"}
    resent = cli("invoices", "send", "--period", CLOSED, "--as", "msp-admin", "--resend", db=db, env=env)
    assert resent.returncode == 1
    failed = [ln for ln in resent.stdout.splitlines() if ln.startswith("FAILED ")]
    assert len(failed) == 1 and "to contoso: The mail server 127.0.0.1:" in failed[0]
    assert "refused the recipient accounts@contoso.example (550 5.1.1 No such mailbox here)." in failed[0]
    assert resent.stdout.splitlines()[-1] == f"{len(sent)} invoices: {len(sent) - 1} sent, 1 failed"
    assert len(handler.envelopes) == 2 * len(sent) - 1


def test_cli_refusals_are_one_sentence_with_a_non_zero_status(db, smtp):
    controller, handler = smtp
    env = smtp_env(controller.port)
    port = free_port()                 # nothing listens there
    down = cli("invoices", "send", "--period", CLOSED, db=db, env=smtp_env(port))
    assert down.returncode == 1
    lines = down.stdout.splitlines()
    sentence = f"Could not connect to the mail server 127.0.0.1:{port}: the connection was refused."
    assert len(lines) == 4 and all(ln.startswith("FAILED ") and ln.endswith(f": {sentence}") for ln in lines[:3])
    assert lines[-1] == "3 invoices: 3 failed"

    drafts = cli("invoices", "send", "--period", OPEN, db=db, env=env)
    assert drafts.returncode == 1 and drafts.stdout == ""
    assert drafts.stderr == (f"error: No invoice of northwind for {OPEN} is issued yet; only issued invoices "
                             f"are sent (python cli.py issue --period {OPEN}).\n")

    am = cli("invoices", "send", "--period", CLOSED, "--as", "msp-am", db=db, env=env)
    assert am.returncode == 2 and "msp-am may not see this: Invoices of msp-one are sent by the administrators" \
        in am.stderr
    nobody = cli("invoices", "send", "--period", CLOSED, "--as", "nobody", db=db, env=env)
    assert nobody.returncode == 2 and "There is no user 'nobody'" in nobody.stderr
    assert handler.envelopes == []

    if SECRETS_PATH.is_file():
        pytest.skip(f"{SECRETS_PATH} exists here; the no-settings case needs it absent.")
    off = cli("invoices", "send", "--period", CLOSED, db=db, env={})
    assert off.returncode == 1 and off.stderr.startswith("error: No mail server is configured: set TIERLINE_SMTP_HOST")
    assert off.stderr.count("\n") == 1
