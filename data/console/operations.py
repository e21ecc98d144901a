"""The admin console's monthly operations (issue #14): Data, Billing and Invoices, the same
functions the CLI calls (`cli.py ingest`, `bill`, `issue`, `credit-note`, `invoices send`), in
the signed-in user's scope, for the app that owns the store while it runs.

Who may do what (the rules the CLI and docs/invoices.md already keep):
- uploading FOCUS files and running billing span every tenant: administrators of the root
  organisation only (like the Deliveries page; the CLI's `ingest` and `bill` are the root's);
- issuing, crediting and e-mailing invoices: the administrators of the **selling**
  organisation, for their own invoices only (a reseller's admin issues its own drafts, never
  another seller's; `issue_invoices(seller=...)`, `issue_credit_note(scope=...)`,
  `send_period(scope=...)`).

Every refusal a user can cause is one sentence: `OperationError` (a ValueError), or the
`ScopeError` / `CreditNoteError` / `SendError` of the function called. Nothing here imports
Streamlit; components/console_ops.py draws it.
"""
from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from data.audit import record_store_audit
from data.billing import BillingError, BillingSummary, issue_invoices, reprice_after_ingest, run_billing
from data.ingest import FILE_PATTERNS, IngestError, IngestResult, ingest_file, list_deliveries
from data.progress import Progress
from pricing.money import ZERO, round_to_total
from pricing.periods import parse_period
from queries import run, sql
from queries.reports.common import records
from queries.scope import Scope, ScopeError, check_period, require_root

MAX_UPLOAD_MB = 200              # Streamlit's own default limit; larger files go to the inbox
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
OPERATOR_ROLES = ("admin",)      # uploads and billing runs: the root's administrators
ISSUER_ROLES = ("admin",)        # issuing, crediting, sending: the seller's administrators
REFUSED_ACTION = "ingest_refused"
RUNS_SHOWN = 20
REJECTIONS_SHOWN = 200
_INGEST_SHARE = 0.6              # of the progress bar, when the upload is re-priced after


class OperationError(ValueError):
    """An operation cannot be done; the message is one sentence naming what is wrong."""


def _operator(con: duckdb.DuckDBPyConnection, scope: Scope, what: str) -> None:
    require_root(con, scope, OPERATOR_ROLES, what)


def _issuer(scope: Scope) -> None:
    if not scope.has_role(*ISSUER_ROLES):
        raise ScopeError("Issuing, crediting and sending invoices is for administrators only.")


def _scaled(progress: Progress | None, lo: float, hi: float) -> Progress | None:
    if progress is None:
        return None
    return lambda fraction, message: progress(lo + (hi - lo) * max(0.0, min(1.0, fraction)), message)


# --------------------------------------------------------------------------------------------
# Data: uploads and deliveries

@dataclass
class UploadOutcome:
    name: str
    status: str                                  # loaded | replaced | already_loaded | refused
    rows: int = 0
    ingest_id: int | None = None
    focus_version: str = ""
    replaced: tuple[int, ...] = ()
    notices: tuple[str, ...] = ()
    error: str | None = None
    runs: list[BillingSummary] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != "refused"


def upload_name(name: Any) -> str:
    """The uploaded file's own name, without folders or control characters (the browser sends
    any text here; only the name's ending tells the format, as for a file in the inbox)."""
    text = re.sub(r"[\x00-\x1f\x7f]", "", str(name or "")).replace("\\", "/").split("/")[-1].strip()
    if not text or text in (".", ".."):
        raise OperationError("The uploaded file has no name; upload it again from a file on disk.")
    if len(text) > 200:
        raise OperationError(f"The file name is {len(text)} characters long; at most 200 are taken.")
    return text


def ingest_upload(con: duckdb.DuckDBPyConnection, scope: Scope, name: Any, data: bytes, *,
                  reprice: bool = True, progress: Progress | None = None) -> UploadOutcome:
    """Ingest one uploaded FOCUS file exactly as the CLI and the inbox do (data.ingest.ingest_file,
    one transaction), then, with `reprice`, price again the periods it touched and later open
    ones (data.billing.reprice_after_ingest, as `cli.py ingest` without --no-bill). A file that
    ingest refuses stores nothing; the refusal is returned (status 'refused', ingest's sentence)
    and recorded in the audit log (`ingest_refused`) so the Deliveries page can list it."""
    _operator(con, scope, "Uploading FOCUS files")
    shown = upload_name(name)
    if not isinstance(data, (bytes, bytearray)):
        raise OperationError(f"{shown}: the upload did not arrive as bytes; upload it again.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise OperationError(f"{shown} is {len(data) / 1024 / 1024:,.0f} MB; an upload is at most "
                             f"{MAX_UPLOAD_MB} MB. Drop larger files into the inbox folder instead.")
    share = _INGEST_SHARE if reprice else 1.0
    with tempfile.TemporaryDirectory(prefix="tierline-upload-") as folder:
        path = Path(folder) / shown
        path.write_bytes(bytes(data))
        try:
            result: IngestResult = ingest_file(con, path, loaded_by=scope.username,
                                               progress=_scaled(progress, 0.0, share))
        except IngestError as exc:
            # ingest names the file by the path it read: the temporary one means nothing to the user
            message = str(exc).replace(str(path), shown)
            record_store_audit(con, username=scope.username, action=REFUSED_ACTION, target=shown,
                               detail=message)
            return UploadOutcome(shown, "refused", error=message)
    outcome = UploadOutcome(shown, result.status, rows=result.rows, ingest_id=result.ingest_id,
                            focus_version=result.focus_version, replaced=result.replaced_ingest_ids,
                            notices=result.notices)
    if reprice:
        outcome.runs = reprice_after_ingest(con, [result], progress=_scaled(progress, share, 1.0),
                                            run_by=scope.username)
    if progress is not None:
        progress(1.0, f"{shown}: {result.status}")
    return outcome


def accepted_suffixes() -> tuple[str, ...]:
    """The endings a FOCUS file may have ('.csv', '.csv.gz', '.parquet')."""
    return FILE_PATTERNS


def deliveries(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict]:
    """Every delivery, newest first: {id, file, status ('active' | 'partly replaced' |
    'replaced'), rows, active_rows, totals {currency: BilledCost as delivered (Decimal)},
    replaces [ids of earlier deliveries it replaced slices of], replaced_by [ids], loaded_at,
    loaded_by, version, format, notes}. Root administrators only."""
    _operator(con, scope, "The delivery list")
    items = list_deliveries(con)
    replaces: dict[int, list[int]] = {}
    for item in items:
        for later in item["replaced_by"]:
            replaces.setdefault(int(later), []).append(int(item["id"]))
    return [{
        "id": item["id"], "file": item["file"], "status": item["status"], "rows": item["rows"],
        "active_rows": item["active_rows"],
        "totals": {ccy: t["BilledCost"] for ccy, t in sorted(item["totals"].items())},
        "replaces": sorted(replaces.get(int(item["id"]), [])),
        "replaced_by": [int(i) for i in item["replaced_by"]],
        "loaded_at": item["loaded_at"], "loaded_by": item["loaded_by"], "version": item["version"],
        "format": item["format"], "notes": item["notes"],
    } for item in items]


def rejected_files(con: duckdb.DuckDBPyConnection, scope: Scope, inbox: Path | None = None) -> list[dict]:
    """Files that ingest refused, newest first: uploads (from the audit log) and, with `inbox`,
    the inbox's failed/ folder (data.inbox.failed_files). [{at, file, source ('upload' |
    'inbox'), by, reason}]. Root administrators only."""
    from data.inbox import failed_files
    _operator(con, scope, "The list of refused files")
    out = [{"at": r["logged_at"], "file": r["target"], "source": "upload", "by": r["username"],
            "reason": r["detail"]}
           for r in records(con.execute(sql("rpt_ops_rejected_uploads"), {"limit": REJECTIONS_SHOWN}))]
    if inbox is not None:
        out += [{"at": f["failed_at"], "file": f["file"], "source": "inbox", "by": "inbox",
                 "reason": f["error"].split("\n\n(")[0]} for f in failed_files(inbox)]
    return sorted(out, key=lambda r: r["at"] or datetime.min, reverse=True)


# --------------------------------------------------------------------------------------------
# Billing

def billable_periods(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[date]:
    """Periods a billing run can price (delivered data or an earlier run), newest first."""
    _operator(con, scope, "Billing runs")
    return [r[0] for r in run(con, "rpt_ops_periods")]


def _billable(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> date:
    try:
        p = parse_period(period)
    except ValueError as exc:
        raise OperationError(str(exc)) from None
    if p not in billable_periods(con, scope):
        raise OperationError(f"There is no provider data for {p:%Y-%m}; upload its FOCUS files first.")
    return p


def run_period(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any, *,
               progress: Progress | None = None) -> BillingSummary:
    """Price `period` and replace its drafts (data.billing.run_billing, one transaction, audited
    under the user). A run that could not price every row is returned with status 'failed' and
    its problems; the period's ledger and drafts then stay as they were."""
    p = _billable(con, scope, period)
    try:
        return run_billing(con, p, progress=progress, run_by=scope.username)
    except BillingError as exc:
        raise OperationError(str(exc)) from None


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def run_overview(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> dict:
    """The period's billing runs and what the latest one found: {period, runs [{run_id, status,
    started_at, finished_at, rows_priced, rows_unassigned, rows_unpriced, invoices_drafted,
    invoices_kept_issued, config_version}], latest (the first of runs or None), totals [{seller,
    currency, invoices, subtotal, tax, total}] (the latest run's drafts), unpriced [{kind, seller,
    buyer, provider, service, currency, rows, billed_cost, reason}], unassigned [{provider,
    billing_account, sub_account, currency, rows, billed_cost}], unassigned_cost {currency:
    Decimal}}. Money as Decimal, exact, except the unassigned cost: shown as a total beside its
    rows, it is rounded to the currency's minor unit with the rows together so that they add up
    to it (pricing.money.round_to_total, the reconciliation page's rule)."""
    p = _billable(con, scope, period)
    runs = []
    latest_summary: dict = {}
    for r in records(con.execute(sql("rpt_ops_runs"), {"period": p, "limit": RUNS_SHOWN})):
        summary = json.loads(r["summary"]) if r["summary"] else {}
        if not runs:
            latest_summary = summary
        runs.append({"run_id": r["run_id"], "status": r["status"], "started_at": r["started_at"],
                     "finished_at": r["finished_at"], "rows_priced": r["rows_priced"],
                     "rows_unassigned": r["rows_unassigned"], "rows_unpriced": r["rows_unpriced"],
                     "invoices_drafted": summary.get("invoices_drafted"),
                     "invoices_kept_issued": summary.get("invoices_kept_issued"),
                     "config_version": r["config_version"]})
    totals = [{"seller": t["seller"], "currency": t["currency"], "invoices": t["invoices"],
               "subtotal": _money(t["subtotal"]), "tax": _money(t["tax"]), "total": _money(t["total"])}
              for t in latest_summary.get("totals", [])]
    unpriced: list[dict] = []
    accounts: dict[tuple, dict] = {}
    cost: dict[str, Decimal] = {}
    if runs:
        for e in records(con.execute(sql("rpt_ops_run_exceptions"), {"run_id": runs[0]["run_id"]})):
            if e["kind"] == "unassigned":      # per account, whatever service or reason
                key = (e["ProviderName"], e["BillingAccountId"], e["SubAccountId"], e["BillingCurrency"])
                into = accounts.setdefault(key, {
                    "provider": key[0], "billing_account": key[1], "sub_account": key[2],
                    "currency": key[3], "rows": 0, "billed_cost": ZERO})
                into["rows"] += e["x_RowCount"]
                into["billed_cost"] += e["BilledCost"]
                cost[e["BillingCurrency"]] = cost.get(e["BillingCurrency"], ZERO) + e["BilledCost"]
            else:
                unpriced.append({"kind": e["kind"], "seller": e["x_SellerId"], "buyer": e["x_BuyerId"],
                                 "provider": e["ProviderName"], "service": e["ServiceName"],
                                 "currency": e["BillingCurrency"], "rows": e["x_RowCount"],
                                 "billed_cost": e["BilledCost"], "reason": e["detail"]})
    unassigned = sorted(accounts.values(), key=lambda a: (-abs(a["billed_cost"]), a["provider"],
                                                          a["billing_account"], a["sub_account"] or ""))
    # shown beside their total: rounded together so that the rows add up to it (as reconciliation)
    for ccy in cost:
        mine = [a for a in unassigned if a["currency"] == ccy]
        cost[ccy], shown = round_to_total([a["billed_cost"] for a in mine], ccy)
        for a, value in zip(mine, shown):
            a["billed_cost"] = value
    return {"period": p, "runs": runs, "latest": runs[0] if runs else None, "totals": totals,
            "unpriced": unpriced, "unassigned": unassigned, "unassigned_cost": dict(sorted(cost.items()))}


# --------------------------------------------------------------------------------------------
# Invoices: review, issue, credit, send

def _totals(invoices: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for inv in invoices:
        t = out.setdefault(inv["currency"], {"count": 0, "subtotal": ZERO, "tax": ZERO, "total": ZERO})
        t["count"] += 1
        for k in ("subtotal", "tax", "total"):
            t[k] += inv[k]
    return dict(sorted(out.items()))


def review(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any) -> dict:
    """The period's invoices the user's organisation issues (read through the scoped layer):
    {period, seller, drafts [...], issued [...], draft_totals {currency: {count, subtotal, tax,
    total}}, issued_totals {...}}; each invoice the dict of queries.reports.invoices.invoices.
    Administrators only; another organisation's invoices are never in it."""
    from queries.reports.invoices import invoices
    _issuer(scope)
    p = check_period(con, scope, period)
    mine = [inv for inv in invoices(con, scope, p) if inv["seller"] == scope.org_id]
    drafts = sorted((i for i in mine if i["status"] == "draft"), key=lambda i: i["buyer"])
    issued = sorted((i for i in mine if i["status"] == "issued"), key=lambda i: i["number"] or "")
    return {"period": p, "seller": scope.org_id, "drafts": drafts, "issued": issued,
            "draft_totals": _totals(drafts), "issued_totals": _totals(issued)}


def issue(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any, *, confirmed_count: int,
          confirmed_totals: dict[str, Decimal]) -> list[tuple[str, str, Decimal, str]]:
    """Issue the period's drafts of the user's own organisation (data.invoicing.issue_invoices,
    one transaction, numbered and audited), after the confirmation the user gave: how many
    invoices and their total per currency. When the drafts changed since (a billing run in
    between), nothing is issued and the sentence says to review again."""
    now = review(con, scope, period)
    totals = {ccy: t["total"] for ccy, t in now["draft_totals"].items()}
    if not now["drafts"]:
        raise OperationError(f"There are no draft invoices of yours for {now['period']:%Y-%m} to issue.")
    if len(now["drafts"]) != confirmed_count or totals != dict(confirmed_totals):
        raise OperationError(f"The drafts of {now['period']:%Y-%m} changed since you confirmed them "
                             f"(now {len(now['drafts'])} invoices); nothing was issued. Review them and "
                             f"confirm again.")
    def still_confirmed(drafts: list[tuple]) -> None:
        """Inside the issue's transaction: a billing run between the review and this click
        changes the drafts; then nothing is issued."""
        sums: dict[str, Decimal] = {}
        for _invoice_id, _seller, _buyer, total, currency in drafts:
            sums[currency] = sums.get(currency, Decimal(0)) + total
        if len(drafts) != confirmed_count or sums != dict(confirmed_totals):
            raise OperationError(f"The drafts of {now['period']:%Y-%m} changed since you confirmed "
                                 f"them (now {len(drafts)} invoices); nothing was issued. Review "
                                 f"them and confirm again.")

    return issue_invoices(con, now["period"], seller=scope.org_id, issued_by=scope.username,
                          org=scope.org_id, check=still_confirmed)


def credit(con: duckdb.DuckDBPyConnection, scope: Scope, *, invoice_number: Any, amount: Any = None,
           full: bool = False, reason: Any) -> dict:
    """A credit note against one of the organisation's issued invoices (data.credit_notes:
    the seller's administrators only, one transaction, audited). CreditNoteError on bad input."""
    from data.credit_notes import issue_credit_note
    _issuer(scope)
    return issue_credit_note(con, invoice_number=invoice_number, amount=amount, full=full,
                             reason=reason, issued_by=scope.username, scope=scope)


def send(con: duckdb.DuckDBPyConnection, scope: Scope, period: Any, *, resend: bool = False,
         settings=None) -> list[dict]:
    """E-mail the organisation's issued invoices of the period (data.delivery.send_period):
    one outcome per invoice. SendError when nothing can be sent (no mail server configured, no
    issued invoice)."""
    from data.delivery import send_period, settings_or_error
    _issuer(scope)
    p = check_period(con, scope, period)
    return send_period(con, p, settings=settings or settings_or_error(), scope=scope,
                       seller=scope.org_id, resend=resend, sent_by=scope.username)
