"""The admin console's Data, Billing and Invoices sections (issue #14), drawn for the pages
Deliveries, Billing and Issue invoices. The work itself is data/console/operations.py (the
functions the CLI calls); this module reads widgets, shows progress and draws the outcome.

Every action is a button: a rerun never repeats one. After an action changed the data, every
cached read is dropped (cached.data_changed), so the Costs and Invoices pages show the new
figures at once. A refusal the user caused is a sentence next to the button; the page goes on.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Iterator

import streamlit as st

from components import cached, documents, pickers, tables
from components.money import fmt
from components.store import cursor, inbox_folder
from components.text import md_code, md_escape
from data.console import operations as op
from data.credit_notes import CreditNoteError
from data.delivery import SendError
from queries.scope import scope_for_user

_REFUSALS = (op.OperationError, CreditNoteError, SendError)


@contextmanager
def _as(user) -> Iterator[tuple]:
    """(connection cursor, the user's scope rebuilt on the server) for one piece of work."""
    with cursor() as con:
        yield con, scope_for_user(con, user.username)


def _progress_bar(text: str):
    bar = st.progress(0.0, text=text)

    def report(fraction: float, message: str) -> None:
        bar.progress(max(0.0, min(1.0, fraction)), text=md_escape(message[:160]))
    return bar, report


def _amounts(totals: dict, key: str = "total") -> str:
    """'EUR 99.00, GBP 5.00 and USD 1,234.56' from {currency: {...}} or {currency: Decimal}."""
    parts = [fmt(v[key] if isinstance(v, dict) else v, ccy) for ccy, v in totals.items()]
    if not parts:
        return "nothing"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------------------------
# Data

_DATA_LAST = "ops_data_last"        # what the last upload did, shown after its rerun
_DATA_ROUND = "ops_data_round"      # a new uploader after each upload: files are never sent twice

DELIVERY_COLUMNS = ["id", "file", "status", "rows", "active_rows", "billed_cost", "replaces",
                    "replaced_by", "loaded_at", "loaded_by", "version", "format", "notes"]


def _outcome_lines(outcome: op.UploadOutcome) -> dict:
    """The outcome as (kind, sentence, notes) for session state: plain text, drawn after the rerun."""
    if outcome.status == "refused":
        return {"kind": "error", "text": outcome.error, "notes": []}
    if outcome.status == "already_loaded":
        return {"kind": "info", "notes": [],
                "text": f"{outcome.name}: the same content is delivery {outcome.ingest_id} already; "
                        f"nothing changed."}
    text = (f"{outcome.name}: {_plural(outcome.rows, 'row')} loaded as delivery {outcome.ingest_id} "
            f"(FOCUS {outcome.focus_version})")
    if outcome.replaced:
        text += f"; it replaces delivery {', '.join(map(str, outcome.replaced))}"
    notes = list(outcome.notices)
    for run in outcome.runs:
        notes.append(f"Billed {run.period:%Y-%m}: run {run.run_id} {run.status}, "
                     f"{_plural(run.invoices_drafted, 'draft invoice')}"
                     + ("" if run.ok else f"; {_plural(run.rows_unpriced, 'row')} could not be priced "
                                          f"(the Billing page says why)"))
    return {"kind": "success", "text": text + ".", "notes": notes}


def upload(user) -> None:
    """The uploader: each file ingested in its own transaction with a progress bar."""
    st.subheader("Upload FOCUS files")
    st.caption(f"CSV, CSV.GZ or Parquet, up to {op.MAX_UPLOAD_MB} MB each, checked exactly as the "
               f"command line and the inbox check them; a file that is refused stores nothing. "
               f"Larger files: drop them into {md_code(inbox_folder())}.")
    round_no = st.session_state.get(_DATA_ROUND, 0)
    files = st.file_uploader("FOCUS files", type=["csv", "gz", "parquet"], accept_multiple_files=True,
                             max_upload_size=op.MAX_UPLOAD_MB, key=f"ops_data_files_{round_no}")
    reprice = st.checkbox("Re-price the periods they touch (as the inbox does)", value=True,
                          key="ops_data_reprice")
    if st.button("Ingest", key="ops_data_ingest", type="primary", disabled=not files,
                 icon=":material/upload:"):
        done = []
        for file in files or []:
            bar, report = _progress_bar(f"{file.name}: starting")
            try:
                with _as(user) as (con, scope):
                    outcome = op.ingest_upload(con, scope, file.name, file.getvalue(), reprice=reprice,
                                               progress=report)
                done.append(_outcome_lines(outcome))
            except op.OperationError as exc:
                done.append({"kind": "error", "text": str(exc), "notes": []})
            bar.empty()
        cached.data_changed()
        st.session_state[_DATA_LAST] = done
        st.session_state[_DATA_ROUND] = round_no + 1
        st.rerun()
    for item in st.session_state.get(_DATA_LAST, []):
        getattr(st, item["kind"])(md_escape(item["text"]))
        for note in item["notes"]:
            st.caption(md_escape(note))


def delivery_table(user) -> None:
    st.subheader("Deliveries")
    st.caption("Each file ingested, newest first: its rows, what it billed as delivered, and which "
               "earlier delivery it replaced (a re-delivery of the same provider, billing account and "
               "month replaces the rows of the earlier one).")
    with _as(user) as (con, scope):
        items = op.deliveries(con, scope)
    rows = [{**d, "billed_cost": " · ".join(fmt(v, c) for c, v in d["totals"].items()),
             "replaces": ", ".join(map(str, d["replaces"])),
             "replaced_by": ", ".join(map(str, d["replaced_by"]))} for d in items]
    frame = tables.frame(rows, DELIVERY_COLUMNS)
    tables.show(frame, key="ops_data_deliveries")
    tables.csv_download(frame, "deliveries.csv", key="ops_data_deliveries_csv")


def rejected_table(user) -> None:
    with _as(user) as (con, scope):
        refused = op.rejected_files(con, scope, inbox_folder())
    st.subheader("Refused files")
    if not refused:
        st.caption("No file has been refused.")
        return
    st.caption("Files that ingest refused, uploaded here or dropped into the inbox; nothing of them "
               "was stored.")
    tables.show(tables.frame(refused, ["at", "file", "source", "by", "reason"]), key="ops_data_refused")


def data_section(user) -> None:
    upload(user)
    delivery_table(user)
    rejected_table(user)


# --------------------------------------------------------------------------------------------
# Billing

_BILL_LAST = "ops_bill_last"


def _run_message(summary) -> dict:
    j = summary.to_json()
    if summary.ok:
        return {"kind": "success", "text": (
            f"Run {j['run_id']} for {j['period']}: ok. {j['rows_priced']:,} rows priced, "
            f"{_plural(j['invoices_drafted'], 'draft invoice')}"
            + (f", {j['invoices_kept_issued']} issued invoices left unchanged" if j["invoices_kept_issued"] else "")
            + ".")}
    return {"kind": "error", "text": (
        f"Run {j['run_id']} for {j['period']} failed: {_plural(j['rows_unpriced'], 'row')} could not be "
        f"priced (below, with the reason). The period's ledger and drafts stay as they were.")}


def billing_section(user) -> None:
    with _as(user) as (con, scope):
        periods = op.billable_periods(con, scope)
    if not periods:
        st.info("There is no provider data yet: upload FOCUS files on the Deliveries page.")
        return
    period: date = st.selectbox("Period", periods, format_func=pickers.period_label, key="ops_bill_period")
    with _as(user) as (con, scope):
        view = op.run_overview(con, scope, period)
    verb = "Re-run" if view["latest"] else "Run"
    if st.button(f"{verb} billing for {pickers.period_label(period)}", key="ops_bill_run", type="primary",
                 icon=":material/calculate:"):
        bar, report = _progress_bar("starting the run")
        try:
            with _as(user) as (con, scope):
                summary = op.run_period(con, scope, period, progress=report)
            st.session_state[_BILL_LAST] = _run_message(summary)
        except op.OperationError as exc:
            st.session_state[_BILL_LAST] = {"kind": "error", "text": str(exc)}
        bar.empty()
        cached.data_changed()
        st.rerun()
    last = st.session_state.get(_BILL_LAST)
    if last:
        getattr(st, last["kind"])(md_escape(last["text"]))
    overview(view)


def overview(view: dict) -> None:
    latest = view["latest"]
    if latest is None:
        st.info(f"{pickers.period_label(view['period'])} has not been billed yet.")
        return
    st.subheader(f"Latest run: {latest['run_id']}")
    status, priced, drafted, unassigned, unpriced = st.columns(5)
    status.metric("Status", latest["status"])
    priced.metric("Rows priced", f"{latest['rows_priced'] or 0:,}")
    drafted.metric("Draft invoices", f"{latest['invoices_drafted'] or 0:,}")
    unassigned.metric("Rows unassigned", f"{latest['rows_unassigned'] or 0:,}")
    unpriced.metric("Rows not priced", f"{latest['rows_unpriced'] or 0:,}")
    st.caption(f"Started {latest['started_at']:%Y-%m-%d %H:%M:%S} UTC, configuration version "
               f"{latest['config_version']}.")
    if view["totals"]:
        st.markdown("**Draft invoices of the run**, per seller and currency")
        tables.show(tables.frame(view["totals"], ["seller", "currency", "invoices", "subtotal", "tax", "total"]),
                    money_columns=["subtotal", "tax", "total"], key="ops_bill_totals")
    st.markdown("**Rows that could not be priced**")
    if view["unpriced"]:
        tables.show(tables.frame(view["unpriced"], ["kind", "buyer", "seller", "provider", "service",
                                                    "rows", "billed_cost", "currency", "reason"]),
                    money_columns=["billed_cost"], key="ops_bill_unpriced")
    else:
        st.caption("None: every assigned row has a price.")
    st.markdown(f"**Unassigned cost** (nobody is billed for it): {_amounts(view['unassigned_cost'])}")
    if view["unassigned"]:
        tables.show(tables.frame(view["unassigned"], ["provider", "billing_account", "sub_account", "rows",
                                                      "billed_cost", "currency"]),
                    money_columns=["billed_cost"], key="ops_bill_unassigned")
    with st.expander(f"Runs of {pickers.period_label(view['period'])}"):
        tables.show(tables.frame(view["runs"], ["run_id", "status", "started_at", "rows_priced",
                                                "rows_unassigned", "rows_unpriced", "invoices_drafted",
                                                "config_version"]), key="ops_bill_runs")


# --------------------------------------------------------------------------------------------
# Invoices

_INV_CONFIRM = "ops_inv_confirm"
_INV_LAST = "ops_inv_last"
DRAFT_COLUMNS = ["buyer_name", "buyer", "currency", "subtotal", "tax", "total"]
ISSUED_COLUMNS = ["number", "buyer_name", "currency", "subtotal", "tax", "total", "issued_at"]


def _totals_frame(totals: dict):
    return tables.frame([{"currency": c, **t} for c, t in totals.items()],
                        ["currency", "count", "subtotal", "tax", "total"])


def invoices_section(user) -> None:
    period = pickers.period(user.username, key="ops_inv_period")
    with _as(user) as (con, scope):
        view = op.review(con, scope, period)
    last = st.session_state.pop(_INV_LAST, None)
    if last:
        getattr(st, last["kind"])(md_escape(last["text"]))
    review(user, view)
    issue(user, view)
    downloads(user, view)
    credit_note(user, view)
    send(user, view)


def review(user, view: dict) -> None:
    drafts, issued = view["drafts"], view["issued"]
    count, done = st.columns(2)
    count.metric("Draft invoices", f"{len(drafts):,}")
    done.metric("Issued invoices", f"{len(issued):,}")
    st.subheader("Drafts")
    if drafts:
        st.caption(f"The drafts {md_escape(user.org_name)} would issue for "
                   f"{pickers.period_label(view['period'])}, totals per currency:")
        tables.show(_totals_frame(view["draft_totals"]), money_columns=["subtotal", "tax", "total"],
                    key="ops_inv_draft_totals")
        tables.show(tables.frame(drafts, DRAFT_COLUMNS), money_columns=["subtotal", "tax", "total"],
                    key="ops_inv_drafts")
    else:
        st.caption("No drafts: every invoice of this period is issued, or none was drafted.")
    if issued:
        st.subheader("Issued")
        tables.show(tables.frame(issued, ISSUED_COLUMNS), money_columns=["subtotal", "tax", "total"],
                    key="ops_inv_issued")


def issue(user, view: dict) -> None:
    drafts, period = view["drafts"], view["period"]
    if not drafts:
        return
    pending = st.session_state.get(_INV_CONFIRM)
    if pending is None or pending["period"] != period:
        if st.button(f"Issue {_plural(len(drafts), 'invoice')}…", key="ops_inv_issue",
                     icon=":material/verified:"):
            st.session_state[_INV_CONFIRM] = {
                "period": period, "count": len(drafts),
                "totals": {c: str(t["total"]) for c, t in view["draft_totals"].items()}}
            st.rerun()
        return
    totals = {c: Decimal(v) for c, v in pending["totals"].items()}
    st.warning(f"Issue {_plural(pending['count'], 'invoice')} of {md_escape(user.org_name)} for "
               f"{pickers.period_label(period)}, total {_amounts(totals)}? Issued invoices are numbered "
               f"and never change again; a correction is a credit note.", icon=":material/warning:")
    yes, no = st.columns(2)
    if yes.button(f"Yes, issue {_plural(pending['count'], 'invoice')}", key="ops_inv_issue_yes",
                  type="primary"):
        st.session_state.pop(_INV_CONFIRM, None)
        try:
            with _as(user) as (con, scope):
                issued = op.issue(con, scope, period, confirmed_count=pending["count"], confirmed_totals=totals)
            numbers = [n for n, *_ in issued]
            st.session_state[_INV_LAST] = {"kind": "success", "text": (
                f"Issued {_plural(len(issued), 'invoice')} for {pickers.period_label(period)}: "
                f"{numbers[0]} to {numbers[-1]}, total {_amounts(totals)}.")}
        except op.OperationError as exc:
            st.session_state[_INV_LAST] = {"kind": "error", "text": str(exc)}
        cached.data_changed()
        st.rerun()
    if no.button("Cancel", key="ops_inv_issue_no"):
        st.session_state.pop(_INV_CONFIRM, None)
        st.rerun()


def downloads(user, view: dict) -> None:
    listing = [*view["issued"], *view["drafts"]]
    if not listing:
        return
    st.subheader("Documents")
    # the context changes when drafts are issued, so the picker's labels show their new numbers
    invoice_id = pickers.invoice(listing, key="ops_inv_pick", param=None,
                                 context=f"{view['period']:%Y%m}_{len(view['issued'])}")
    chosen = next(i for i in listing if i["invoice_id"] == invoice_id)
    documents.invoice_buttons(user.username, chosen, key="ops_inv_doc")
    documents.accounting_buttons(user, view["period"], listing, key="ops_inv_acct")


def credit_note(user, view: dict) -> None:
    issued = view["issued"]
    if not issued:
        return
    st.subheader("Credit note")
    by_number = {i["number"]: i for i in issued}
    number = st.selectbox("Issued invoice", list(by_number), key="ops_inv_cn_invoice",
                          format_func=lambda n: pickers.invoice_label(by_number[n]) if n in by_number else "—")
    whole = st.checkbox("Credit everything that remains", key="ops_inv_cn_full")
    amount = st.text_input("Amount to credit, before tax (like 250.00)", key="ops_inv_cn_amount",
                           disabled=whole)
    reason = st.text_input("Reason (printed on the credit note)", key="ops_inv_cn_reason", max_chars=500)
    if st.button("Issue credit note", key="ops_inv_cn_issue", icon=":material/receipt:"):
        try:
            with _as(user) as (con, scope):
                note = op.credit(con, scope, invoice_number=number, amount=None if whole else amount,
                                 full=whole, reason=reason)
        except _REFUSALS as exc:
            st.error(md_escape(str(exc)))
            return
        cached.data_changed()
        ccy = note["currency"]
        st.success(md_escape(
            f"Issued credit note {note['number']} against {note['invoice_number']} "
            f"({note['buyer']}): {fmt(note['amount'], ccy)} + tax {fmt(note['tax'], ccy)} = "
            f"{fmt(note['total'], ccy)}; {fmt(note['remaining'], ccy)} left to credit."))


def send(user, view: dict) -> None:
    if not view["issued"]:
        return
    st.subheader("E-mail")
    st.caption("Each issued invoice goes to its buyer's billing contact with its PDF attached; an "
               "invoice sent before is skipped unless you send again.")
    resend = st.checkbox("Send again those sent before", key="ops_inv_resend")
    if st.button("E-mail the issued invoices", key="ops_inv_send", icon=":material/mail:"):
        try:
            with _as(user) as (con, scope):
                outcomes = op.send(con, scope, view["period"], resend=resend)
        except _REFUSALS as exc:
            st.error(md_escape(str(exc)))
            return
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o["status"]] = counts.get(o["status"], 0) + 1
        summary = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in ("sent", "skipped", "failed", "no_contact")
                            if s in counts)
        text = f"{_plural(len(outcomes), 'invoice')}: {summary}."
        (st.warning if counts.get("failed") or counts.get("no_contact") else st.success)(md_escape(text))
        tables.show(tables.frame(outcomes, ["number", "buyer_name", "to", "status", "error"]),
                    key="ops_inv_sent")
