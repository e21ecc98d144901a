"""Sending invoices by SMTP (data/documents/mail.py) against a real aiosmtpd server on 127.0.0.1.

The server runs in aiosmtpd's own thread; `Controller.start()` returns once it answers, so no
test waits or sleeps. The timeout case uses a socket that accepts connections and never greets.
"""
from __future__ import annotations

import email
import socket
from datetime import date
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from data.documents.mail import DeliveryError, MailSettings, send_invoice
from data.documents.pdf import render_invoice_pdf
from data.documents.sample import sample_branding, sample_buyer, sample_invoice


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """Accepts every recipient except those starting with 'refused', records each message."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture
def auth_server():
    handler = Recorder()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"billing" and auth_data.password == b"right-password"
        return AuthResult(success=ok, handled=False)     # handled=False: aiosmtpd answers 235 / 535

    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def settings_for(port: int, **kw) -> MailSettings:
    return MailSettings(host="127.0.0.1", port=port, tls="none", from_address="billing@msp-one.example",
                        timeout=kw.pop("timeout", 10), **kw)


def test_invoice_is_delivered_with_its_pdf(smtp_server):
    controller, handler = smtp_server
    pdf = render_invoice_pdf(sample_invoice(), sample_branding(), sample_buyer(),
                             issue_date=date(2026, 6, 1), due_date=date(2026, 7, 1))
    send_invoice(settings_for(controller.port), "accounts@contoso.example",
                 "Invoice MSP-ONE-000042 for May 2026",
                 "Dear Contoso,\n\nplease find attached invoice MSP-ONE-000042.\n",
                 [("MSP-ONE-000042.pdf", pdf, "application/pdf"),
                  ("MSP-ONE-000042.csv", b"line,amount\r\n1,4210.37\r\n", "text/csv")])
    (envelope,) = handler.envelopes
    assert envelope.mail_from == "billing@msp-one.example"
    assert envelope.rcpt_tos == ["accounts@contoso.example"]
    msg = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert msg["Subject"] == "Invoice MSP-ONE-000042 for May 2026"
    assert msg["To"] == "accounts@contoso.example"
    assert "please find attached invoice MSP-ONE-000042" in msg.get_body(("plain",)).get_content()
    parts = {p.get_filename(): p for p in msg.iter_attachments()}
    assert parts["MSP-ONE-000042.pdf"].get_content_type() == "application/pdf"
    assert parts["MSP-ONE-000042.pdf"].get_content() == pdf
    assert parts["MSP-ONE-000042.csv"].get_content_type() == "text/csv"


def test_header_injection_and_path_names_are_defused(smtp_server):
    controller, handler = smtp_server
    send_invoice(settings_for(controller.port), ["a@contoso.example", "b@contoso.example"],
                 "Invoice\r\nBcc: victim@evil.example", "body",
                 [("../../etc/passwd\r\n.pdf", b"%PDF", "application/pdf")])
    (envelope,) = handler.envelopes
    assert envelope.rcpt_tos == ["a@contoso.example", "b@contoso.example"]
    msg = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert msg["Bcc"] is None and msg["Subject"] == "Invoice Bcc: victim@evil.example"
    (part,) = list(msg.iter_attachments())
    assert "/" not in part.get_filename() and "\n" not in part.get_filename()


def test_refused_recipient_is_named(smtp_server):
    controller, handler = smtp_server
    with pytest.raises(DeliveryError, match=r"refused the recipient refused@contoso\.example \(550 5\.1\.1 No such mailbox"):
        send_invoice(settings_for(controller.port), "refused@contoso.example", "Invoice", "body")
    assert handler.envelopes == []


def test_partly_refused_recipients_are_named(smtp_server):
    controller, handler = smtp_server
    with pytest.raises(DeliveryError, match=r"accepted the message for some recipients but refused refused-2@x\.example"):
        send_invoice(settings_for(controller.port), ["ok@x.example", "refused-2@x.example"], "Invoice", "body")
    assert handler.envelopes[0].rcpt_tos == ["ok@x.example"]


def test_unreachable_port():
    port = free_port()                  # nothing listens there any more
    with pytest.raises(DeliveryError, match=rf"Could not connect to the mail server 127\.0\.0\.1:{port}: the connection was refused"):
        send_invoice(settings_for(port), "a@b.example", "Invoice", "body")


def test_server_that_never_answers_times_out():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)                 # the kernel accepts the connection; nobody ever greets
        port = silent.getsockname()[1]
        with pytest.raises(DeliveryError, match=rf"127\.0\.0\.1:{port} did not answer within 0\.5 seconds"):
            send_invoice(settings_for(port, timeout=0.5), "a@b.example", "Invoice", "body")


def test_wrong_password_is_an_auth_failure(auth_server):
    controller, handler = auth_server
    bad = settings_for(controller.port, user="billing", password="wrong-password")
    with pytest.raises(DeliveryError, match="refused the user name or password of billing") as info:
        send_invoice(bad, "a@b.example", "Invoice", "body")
    assert "wrong-password" not in str(info.value)
    good = settings_for(controller.port, user="billing", password="right-password")
    send_invoice(good, "a@b.example", "Invoice", "body")
    assert len(handler.envelopes) == 1


# --- settings ---------------------------------------------------------------------------------

def test_settings_from_environment_beat_secrets(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\ncookie_key = "x"\n\n[smtp]\nhost = "smtp.example.com"\nport = 2525\n'
                       'tls = "ssl"\nuser = "billing"\npassword = "from-file"\nfrom = "billing@example.com"\n')
    s = MailSettings.from_env_or_secrets({}, secrets)
    assert (s.host, s.port, s.tls, s.user, s.password, s.from_address) == (
        "smtp.example.com", 2525, "ssl", "billing", "from-file", "billing@example.com")
    assert "from-file" not in repr(s)
    env = {"TIERLINE_SMTP_HOST": "relay.internal", "TIERLINE_SMTP_PORT": "587", "TIERLINE_SMTP_TLS": "starttls",
           "TIERLINE_SMTP_PASSWORD": "from-env"}
    s = MailSettings.from_env_or_secrets(env, secrets)
    assert (s.host, s.port, s.tls, s.user, s.password) == ("relay.internal", 587, "starttls", "billing", "from-env")


@pytest.mark.parametrize("env,port", [
    ({"TIERLINE_SMTP_TLS": "ssl"}, 465), ({"TIERLINE_SMTP_TLS": "starttls"}, 587), ({}, 587),
])
def test_default_port_follows_tls(env, port):
    base = {"TIERLINE_SMTP_HOST": "smtp.example.com", "TIERLINE_SMTP_FROM": "b@example.com"}
    assert MailSettings.from_env_or_secrets({**base, **env}, None).port == port


def test_no_host_anywhere_means_mail_is_off(tmp_path):
    assert MailSettings.from_env_or_secrets({}, tmp_path / "missing.toml") is None
    (tmp_path / "secrets.toml").write_text('[auth]\ncookie_key = "x"\n')
    assert MailSettings.from_env_or_secrets({}, tmp_path / "secrets.toml") is None


@pytest.mark.parametrize("env,message", [
    ({"TIERLINE_SMTP_TLS": "tls1.3"}, "smtp tls must be one of none, starttls, ssl, got 'tls1.3'"),
    ({"TIERLINE_SMTP_PORT": "smtp"}, "smtp port (TIERLINE_SMTP_PORT or"),
    ({"TIERLINE_SMTP_PORT": "70000"}, "smtp port must be a whole number from 1 to 65535, got 70000"),
    ({"TIERLINE_SMTP_FROM": ""}, "smtp from is not set: set TIERLINE_SMTP_FROM"),
    ({"TIERLINE_SMTP_FROM": "billing"}, "smtp from must be an e-mail address"),
    ({"TIERLINE_SMTP_USER": "billing"}, "smtp user and password go together"),
    ({"TIERLINE_SMTP_TLS": "none", "TIERLINE_SMTP_USER": "u", "TIERLINE_SMTP_PASSWORD": "p"},
     "a password is only sent to smtp.example.com over starttls or ssl"),
])
def test_settings_refusals(env, message):
    base = {"TIERLINE_SMTP_HOST": "smtp.example.com", "TIERLINE_SMTP_FROM": "b@example.com"}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        MailSettings.from_env_or_secrets({**base, **env}, None)


def test_secrets_with_an_unknown_key_are_refused(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[smtp]\nhost = "smtp.example.com"\npasword = "typo"\n')
    with pytest.raises(ValueError, match="has unknown key 'pasword'"):
        MailSettings.from_env_or_secrets({}, secrets)


@pytest.mark.parametrize("to,attachments,message", [
    ("not-an-address", [], "recipient must be an e-mail address"),
    ([], [], "at least one recipient"),
    ("a@b.example", [("x.pdf", "text", "application/pdf")], "must be bytes"),
    ("a@b.example", [("x.pdf", b"%PDF", "pdf")], "expected like application/pdf"),
])
def test_bad_message_input_is_refused_before_connecting(to, attachments, message):
    with pytest.raises(ValueError, match=message):
        send_invoice(settings_for(free_port()), to, "Invoice", "body", attachments)
