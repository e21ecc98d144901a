"""What a billing run tells people after it has committed: budget alerts (data/budgets.py) and
lost partner-earned credit (data/commitments.py), each raised once and e-mailed once.

`after_run` is the run's last step (data/billing.py), outside its transaction. It never raises:
an alert that cannot be evaluated or a mail server that is down is logged, the run stays what it
was, and the next run of the period sends whatever is still unsent. Without mail settings the
alerts are still raised and shown in the app.
"""
from __future__ import annotations

import logging
from typing import Any

import duckdb

from data.documents.mail import MailSettings

log = logging.getLogger("tierline.alerts")


def after_run(con: duckdb.DuckDBPyConnection, summary: Any) -> dict[str, list[dict]]:
    """Evaluate and send the alerts of a successful run's period; {} after a failed run."""
    if not getattr(summary, "ok", False):
        return {}
    period = summary.period
    try:
        settings = MailSettings.from_env_or_secrets()
    except ValueError as exc:          # a mail setting that is set but wrong: alerts still raised
        log.warning("alerts are not e-mailed: %s", exc)
        settings = None
    out: dict[str, list[dict]] = {"budgets": [], "partner_credit": []}
    try:
        from data.budgets import evaluate_alerts

        out["budgets"] = evaluate_alerts(con, period, settings=settings)
    except Exception:
        log.exception("budget alerts of %s could not be evaluated", period)
    if settings is not None:
        try:
            from data.commitments import send_partner_credit_alerts

            out["partner_credit"] = send_partner_credit_alerts(con, period, settings)
        except Exception:
            log.exception("partner-earned credit alerts of %s could not be sent", period)
    return out
