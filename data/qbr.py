"""The write side of the quarterly business review (docs/qbr.md): saving its next steps, and
making its PDF pack.

- `save_next_steps(con, scope, customer_id, quarter, steps)`: the list an account manager
  edits, stored for (seller, customer, quarter) (migration 020) and audited in one transaction.
- `qbr_pack(con, scope, customer_id, quarter, today=…)`: (file name, PDF bytes) of the review,
  branded with the seller's branding from the configuration in force.

Both check access through the scoped read layer first (`queries.reports.qbr.check_review`), so a
forged customer or quarter is refused with a sentence before anything is read or written.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

import duckdb

from data.audit import record_audit
from data.documents.common import clean_text
from data.store import transaction
from queries import sql

MAX_STEPS = 20
MAX_STEP_CHARS = 300
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def clean_steps(steps: Any) -> list[str]:
    """The next steps as stored: text (one step a line) or a list of texts; each step with
    control characters removed and spaces collapsed, empty ones dropped. ValueError (one
    sentence) for more than MAX_STEPS steps or a step longer than MAX_STEP_CHARS."""
    if isinstance(steps, str):
        steps = steps.splitlines()
    if not isinstance(steps, (list, tuple)):
        raise ValueError("Next steps must be text, one step a line.")
    out = []
    for i, step in enumerate(steps, start=1):
        if not isinstance(step, str):
            raise ValueError(f"Next step {i} must be text.")
        text = clean_text(step)
        if len(text) > MAX_STEP_CHARS:
            raise ValueError(f"Next step {i} is {len(text)} characters long; at most "
                             f"{MAX_STEP_CHARS} are allowed.")
        if text:
            out.append(text)
    if len(out) > MAX_STEPS:
        raise ValueError(f"A review holds at most {MAX_STEPS} next steps; this one has {len(out)}.")
    return out


def save_next_steps(con: duckdb.DuckDBPyConnection, scope, customer_id: Any, quarter: Any,
                    steps: Any) -> list[str]:
    """Replace the review's next steps; returns them as stored. The audit entry is recorded under
    the seller (its administrators may read the steps; docs/access.md), before and after."""
    from queries.reports.qbr import check_quarter, check_review, next_steps
    on = check_review(con, scope, customer_id)
    q = check_quarter(con, scope, quarter)
    cleaned = clean_steps(steps)
    before = next_steps(con, scope, on.buyer, q)["steps"]
    with transaction(con):
        con.execute(sql("cfg_qbr_notes_upsert"), {
            "seller": on.seller, "customer": on.buyer, "quarter": q.label, "steps": cleaned,
            "updated_by": scope.username})
        record_audit(con, username=scope.username, org=on.seller, action="qbr_next_steps",
                     target=f"{on.buyer} {q.label}", before={"steps": before},
                     after={"steps": cleaned},
                     detail=f"{len(cleaned)} next step{'s' if len(cleaned) != 1 else ''} saved")
    return cleaned


def pack_file_name(customer_id: str, quarter: str) -> str:
    """'qbr-contoso-2026Q3.pdf'."""
    return f"qbr-{_UNSAFE.sub('-', customer_id).strip('-.') or 'customer'}-{quarter}.pdf"


def qbr_pack(con: duckdb.DuckDBPyConnection, scope, customer_id: Any, quarter: Any, *,
             today: date | None = None) -> tuple[str, bytes]:
    """The review as its branded PDF pack: (file name, bytes). ScopeError / ValueError (one
    sentence) as the review itself refuses."""
    from data.config import buyer_party, current_config, seller_branding
    from data.documents.qbr_pdf import render_qbr_pdf  # fpdf2: loaded when a PDF is made
    from queries.reports.qbr import qbr_report
    review = qbr_report(con, scope, customer_id, quarter)
    doc = current_config(con)
    if doc is None:
        raise ValueError("No configuration has been imported yet; import one first.")
    data = render_qbr_pdf(review, seller_branding(doc, review["seller"]),
                          buyer_party(doc, review["customer"]), created=today or date.today())
    return pack_file_name(review["customer"], review["quarter"]), data
