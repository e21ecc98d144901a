"""The lost partner-earned-credit alert by e-mail (issue #15; docs/pricing.md §10).

Azure pays partner-earned credit (PEC) only while the partner keeps admin access to the
customer's subscriptions; a customer that earned it last month and earns none this month is
shown on the Commitments page, and `send_partner_credit_alerts` e-mails the administrators of the
organisation running Tierline once per customer, provider and period (commitment_alerts_sent,
migration 018), over the same SMTP settings as invoices (data/documents/mail.py).
"""
from __future__ import annotations

from datetime import date
from typing import Callable

import duckdb

from data.documents.mail import DeliveryError, MailSettings, send_invoice
from pricing.periods import parse_period
from queries import run

KIND = "pec_lost"


def alert_text(alert: dict) -> tuple[str, str]:
    """(subject, body) of one lost-PEC alert."""
    subject = f"Partner-earned credit lost: {alert['name']} ({alert['provider']}, {alert['period']})"
    body = (f"{alert['name']} earned {alert['currency']} {alert['previous_amount']} of {alert['provider']} "
            f"partner-earned credit in {alert['previous_period']} and none in {alert['period']}.\n\n"
            "Partner-earned credit is paid only while the partner keeps admin access to the customer's "
            "subscriptions: check that access. The Commitments page lists every customer concerned.\n")
    return subject, body


def send_partner_credit_alerts(con: duckdb.DuckDBPyConnection, period: date | str, settings: MailSettings, *,
                               send: Callable[..., None] = send_invoice) -> list[dict]:
    """E-mail each lost-PEC alert of `period` not yet sent to the root's administrators; returns
    [{customer, provider, status: sent | already_sent | failed | no_recipient, to, error}]. A
    failed message is not recorded, so the next call tries it again."""
    from queries.reports.commitments import partner_credit_alerts
    from queries.scope import system_scope

    p = parse_period(period)
    scope = system_scope(con)
    alerts = partner_credit_alerts(con, scope, p)
    done = {tuple(r) for r in run(con, "fct_commit_alerts_sent", {"kind": KIND, "period": p})}
    to = [r[0] for r in run(con, "rpt_commit_alert_recipients", {"org": scope.org_id})]
    out = []
    for a in alerts:
        entry = {"customer": a["customer"], "provider": a["provider"], "to": ", ".join(to), "error": None}
        if (a["customer"], a["provider"]) in done:
            out.append({**entry, "status": "already_sent"})
            continue
        if not to:
            out.append({**entry, "status": "no_recipient",
                        "error": "No administrator of the organisation running Tierline has an e-mail address."})
            continue
        subject, body = alert_text(a)
        try:
            send(settings, to, subject, body)
        except DeliveryError as exc:
            out.append({**entry, "status": "failed", "error": str(exc)})
            continue
        run(con, "fct_commit_alert_insert", {"kind": KIND, "period": p, "customer": a["customer"],
                                             "provider": a["provider"], "sent_to": ", ".join(to)})
        out.append({**entry, "status": "sent"})
    return out
