"""E-mail delivery of issued invoices (issue #11): what `cli.py invoices send` does.

`send_period(con, period, settings=..., scope=..., seller=None, resend=False, sent_by=...)` sends
each issued invoice of one seller for one period to its buyer's billing contact (`billing_email`
on the buyer's organisation in the configuration), the invoice's PDF attached, and returns one
outcome per invoice:

    {"number", "invoice_id", "buyer", "buyer_name", "to", "status", "error", "sent_at"}

with status `sent`, `skipped` (sent before: never twice unless `resend`), `failed` (the error
sentence says why) or `no_contact` (the buyer has no billing_email; nothing was tried).

- Only issued invoices are sent; a draft never leaves the building.
- Invoices are read only through the scoped access layer, and only the administrators of the
  selling organisation send its invoices (the seller defaults to the scope's organisation).
- Each attempt is recorded (`invoice_deliveries`, migration 015) with its audit entry
  (`invoice_sent` / `invoice_send_failed`, under the seller) in its own small transaction, right
  after the server answered: a failure later never unsends what went out before.
- A failure about one message (a refused recipient, a refused message) fails that invoice and the
  next one is tried. A failure of the server itself (unreachable, silent, TLS, sign-in) would
  fail every invoice the same way, so the rest are recorded failed with the same sentence
  without waiting for the server again.

Settings come from `data.documents.mail.MailSettings.from_env_or_secrets()` (environment or
.streamlit/secrets.toml), never from the configuration document.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from data.audit import record_audit
from data.documents.common import amount_text, as_date, long_date, period_text
from data.documents.mail import ENV_PREFIX, SECRETS_PATH, DeliveryError, MailSettings, send_invoice
from data.store import transaction
from queries import run

SEND_ROLES = ("admin",)
# DeliveryError sentences about one message (mail.py's wording); any other failure is the
# server's and would repeat for every invoice.
_PER_MESSAGE = ("refused the recipient", "accepted the message for some recipients", "refused the message")


class SendError(ValueError):
    """Nothing can be sent; the message is one sentence naming what is wrong."""


def settings_or_error(environ: Mapping[str, str] | None = None,
                      secrets_path: str | Path | None = SECRETS_PATH) -> MailSettings:
    """The SMTP settings, or SendError with one sentence saying where to set them."""
    try:
        settings = MailSettings.from_env_or_secrets(environ, secrets_path)
    except ValueError as exc:
        raise SendError(str(exc)) from None
    if settings is None:
        raise SendError(f"No mail server is configured: set {ENV_PREFIX}HOST and {ENV_PREFIX}FROM "
                        f"(and {ENV_PREFIX}PORT, _TLS, _USER, _PASSWORD as needed) in the environment, or "
                        f"host and from under [smtp] in {secrets_path or SECRETS_PATH}.")
    return settings


def may_send(scope, seller: str) -> bool:
    """An organisation's invoices are sent by its own administrators only."""
    return scope.org_id == seller and scope.has_role(*SEND_ROLES)


def message_for(invoice: dict, seller_name: str, buyer_name: str, due: date) -> tuple[str, str]:
    """(subject, plain-text body) of one invoice's e-mail."""
    period = period_text(invoice["period"])
    subject = f"Invoice {invoice['number']} from {seller_name} for {period}"
    total = amount_text(invoice["total"], invoice["currency"], code=True)
    body = (f"Dear {buyer_name},\n\n"
            f"please find attached invoice {invoice['number']} for {period}.\n\n"
            f"Total: {total}\n"
            f"Due by: {long_date(due)}\n\n"
            f"Kind regards,\n{seller_name}\n")
    return subject, body


def _record(con: duckdb.DuckDBPyConnection, invoice: dict, *, to: str, sent_by: str | None,
            error: str | None) -> None:
    """One attempt and its audit entry, in their own transaction."""
    status = "failed" if error else "sent"
    with transaction(con):
        run(con, "inv_delivery_insert", {"invoice_id": invoice["invoice_id"], "number": invoice["number"],
                                         "sent_to": to, "sent_by": sent_by, "status": status,
                                         "error": error})
        record_audit(con, username=sent_by, org=invoice["seller"],
                     action="invoice_send_failed" if error else "invoice_sent", target=invoice["number"],
                     after={"to": to, "buyer": invoice["buyer"],
                            "period": f"{as_date(invoice['period'], 'period'):%Y-%m}"},
                     detail=error)


def last_sent(con: duckdb.DuckDBPyConnection, invoice_id: int) -> dict | None:
    """{sent_at, sent_to, sent_by} of the invoice's latest delivery, or None (never sent).
    Callers pass ids the scoped layer gave them."""
    rows = run(con, "inv_delivery_last_sent", {"invoice_id": invoice_id})
    if not rows:
        return None
    sent_at, sent_to, who = rows[0]
    return {"sent_at": sent_at, "sent_to": sent_to, "sent_by": who}


def send_period(con: duckdb.DuckDBPyConnection, period: Any, *, settings: MailSettings, scope,
                seller: str | None = None, resend: bool = False,
                sent_by: str | None = None) -> list[dict]:
    """E-mail the seller's issued invoices of `period` to their buyers' billing contacts; one
    outcome per invoice (see the module's doc). SendError / ScopeError (one sentence) when
    nothing can be sent at all; a failure of one invoice is its outcome, never an exception."""
    from data.config import buyer_party, current_config, seller_branding
    from data.documents.branding import due_date
    from data.documents.export import invoice_pdf
    from queries.reports.invoices import invoices
    from queries.scope import ScopeError, check_period
    if not isinstance(settings, MailSettings):
        raise SendError(f"settings must be MailSettings, got {type(settings).__name__}.")
    doc = current_config(con)
    if doc is None:
        raise SendError("No configuration has been imported yet; import one first.")
    p = check_period(con, scope, period)
    seller = seller or scope.org_id
    if seller not in {o.id for o in doc.organizations_all()}:
        raise SendError(f"Unknown seller {seller!r}: no organisation of the configuration has that id.")
    if not may_send(scope, seller):
        raise ScopeError(f"Invoices of {seller} are sent by the administrators of {seller} only.")
    mine = [h for h in invoices(con, scope, p) if h["seller"] == seller]
    issued = sorted((h for h in mine if h["status"] == "issued"), key=lambda h: h["number"])
    if not issued:
        if mine:
            raise SendError(f"No invoice of {seller} for {p:%Y-%m} is issued yet; only issued invoices "
                            f"are sent (python cli.py issue --period {p:%Y-%m}).")
        raise SendError(f"There are no invoices of {seller} for {p:%Y-%m}.")
    brand = seller_branding(doc, seller)
    outcomes: list[dict] = []
    server_down: str | None = None      # the sentence of a server-level failure, once seen
    for head in issued:
        party = buyer_party(doc, head["buyer"])
        out = {"number": head["number"], "invoice_id": head["invoice_id"], "buyer": head["buyer"],
               "buyer_name": party.name, "to": party.billing_email, "status": None, "error": None,
               "sent_at": None}
        outcomes.append(out)
        before = last_sent(con, head["invoice_id"])
        if before is not None and not resend:
            out.update(status="skipped", to=before["sent_to"], sent_at=before["sent_at"])
            continue
        if not party.billing_email:
            out.update(status="no_contact",
                       error=f"{party.name} ({head['buyer']}) has no billing_email in the configuration; "
                             f"add one to its organisation and send again.")
            continue
        error = server_down
        if error is None:
            try:
                name, pdf = invoice_pdf(con, scope, head["invoice_id"])
                issued_on = as_date(head["issued_at"], "issued_at")
                subject, body = message_for(head, brand.display_name, party.name,
                                            due_date(issued_on, brand.payment_terms_days))
                send_invoice(settings, party.billing_email, subject, body, [(name, pdf, "application/pdf")])
            except DeliveryError as exc:
                error = str(exc)
                if not any(part in error for part in _PER_MESSAGE):
                    server_down = error
            except ValueError as exc:       # a document that cannot be made: this invoice only
                error = f"Invoice {head['number']} could not be made into a message: {exc}"
        _record(con, head, to=party.billing_email, sent_by=sent_by, error=error)
        sent = last_sent(con, head["invoice_id"]) if error is None else None
        out.update(status="failed" if error else "sent", error=error,
                   sent_at=sent["sent_at"] if sent else None)
    return outcomes
