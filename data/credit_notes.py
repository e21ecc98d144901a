"""Credit notes (issue #11, item 7): part or all of an issued invoice credited back, under the
seller's own credit-note numbers (docs/invoices.md, "Credit notes").

`issue_credit_note` is the CLI's door (`python cli.py credit-note`). In one transaction it finds
the issued invoice by its number, checks the amount against what the invoice and its earlier
credit notes leave, numbers the note in the seller's credit-note sequence (its branding's
`credit_note_prefix` + 000001), stores it and records it in the audit log; a refusal is a
`CreditNoteError` (one sentence) and stores nothing. Issued credit notes never change.

The figures follow docs/invoices.md: `amount` is what is credited before tax (positive, at the
currency's minor unit), `tax = round(amount × the invoice's tax_rate_pct / 100)`, `total =
amount + tax`; the credit notes of an invoice never add up to more than its subtotal. The margin
report counts them against the seller's revenue of the invoice's period (docs/pricing.md §9).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import duckdb

from data.audit import record_audit
from data.documents.branding import Branding, document_number
from data.store import transaction
from pricing.money import HUNDRED, ZERO, calc, minor_unit, round_line
from queries import run

REASON_LIMIT = 500
ISSUER_ROLE = "admin"      # who of the seller may credit its invoices (with --as)


class CreditNoteError(ValueError):
    """A credit note cannot be issued; the message is one sentence naming what is wrong."""


def _reason(reason: Any) -> str:
    """The reason as printed: one line (line breaks and runs of spaces become one space)."""
    if not isinstance(reason, str) or not reason.strip():
        raise CreditNoteError("A credit note needs a reason (the text printed on it), and it was empty.")
    text = " ".join(reason.split())
    if len(text) > REASON_LIMIT:
        raise CreditNoteError(f"The reason is {len(text)} characters long; a credit note's reason is at "
                              f"most {REASON_LIMIT}.")
    return text


def _amount(value: Any) -> Decimal:
    """The amount as an exact Decimal (a string, an int or a Decimal; never a float)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise CreditNoteError(f"The amount to credit must be an exact decimal written as text, like "
                              f"'250.00', not {type(value).__name__} {value!r}.")
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
    else:
        number = None
    if number is None or not number.is_finite():
        raise CreditNoteError(f"The amount to credit {value!r} is not a number; write it like 250.00.")
    return number


def _credit_note_prefix(con: duckdb.DuckDBPyConnection, seller: str) -> str:
    """The seller's credit-note prefix in force now (its branding, else `Branding.plain`'s
    'CN-SELLER-'): a number, once given, never changes, so a changed prefix continues the count."""
    from data.config import current_config
    doc = current_config(con)
    for org in (doc.organizations_all() if doc is not None else ()):
        if org.id == seller:
            if org.branding is not None:    # its rules without decoding the logo (not printed here)
                return org.branding.to_branding(org.id, org.name, logo=None).credit_note_prefix
            return Branding.plain(org.id, org.name).credit_note_prefix
    return Branding.plain(seller).credit_note_prefix


def _draft_named(con: duckdb.DuckDBPyConnection, number: str, scope) -> tuple | None:
    """The current draft whose document name ('draft-2026-05-msp-one-contoso', as its PDF is
    called) is `number`, when the user may see it: a draft has no number to credit yet."""
    from data.documents.export import invoice_file_name
    for invoice_id, period, seller, buyer in run(con, "inv_credit_drafts"):
        name = invoice_file_name({"period": period, "seller": seller, "buyer": buyer}, "pdf")[:-4]
        if name == number and (scope is None or _visible(con, scope, invoice_id)):
            return invoice_id, period, seller, buyer
    return None


def _visible(con: duckdb.DuckDBPyConnection, scope, invoice_id: int) -> bool:
    """The scoped layer's answer to: may this user see that invoice at all?"""
    from queries.reports.invoices import invoice_detail
    from queries.scope import ScopeError
    try:
        invoice_detail(con, scope, invoice_id)
    except ScopeError:
        return False
    return True


def _target(con: duckdb.DuckDBPyConnection, number: Any, scope) -> tuple:
    """The one issued invoice numbered `number` (that the user may see, with a scope)."""
    if not isinstance(number, str) or not number.strip():
        raise CreditNoteError("Name the issued invoice to credit by its number (like MSP1-000042).")
    number = number.strip()
    found = run(con, "inv_credit_target", {"number": number})
    if scope is not None:
        found = [row for row in found if _visible(con, scope, row[0])]
    if not found:
        draft = _draft_named(con, number, scope)
        if draft is not None:
            _, period, seller, buyer = draft
            raise CreditNoteError(
                f"Invoice {number!r} is a draft ({seller} to {buyer}, {period:%Y-%m}); only an issued "
                f"invoice can be credited (python cli.py issue --period {period:%Y-%m}).")
        yours = " that you may see" if scope is not None else ""
        raise CreditNoteError(f"There is no issued invoice numbered {number!r}{yours}.")
    if len(found) > 1:
        sellers = ", ".join(sorted({row[2] for row in found}))
        raise CreditNoteError(f"The invoice number {number!r} was issued by more than one seller ({sellers}); "
                              f"credit it as an administrator of its seller (--as USERNAME).")
    return found[0]


def _check_issuer(scope, seller: str) -> None:
    """With a user's scope (the CLI's --as): only an administrator of the seller credits its
    invoices. The refusal is a ScopeError, like every other access refusal."""
    from queries.scope import ScopeError
    if scope.org_id != seller or not scope.has_role(ISSUER_ROLE):
        raise ScopeError(f"Only administrators of {seller} may issue credit notes on its invoices.")


def issue_credit_note(con: duckdb.DuckDBPyConnection, *, invoice_number: Any, amount: Any = None,
                      full: bool = False, reason: Any, issued_by: str,
                      scope=None) -> dict:
    """Issue one credit note against the issued invoice `invoice_number`: `amount` before tax
    (text like '250.00', or a Decimal), or `full=True` for everything the invoice and its earlier
    credit notes leave. `scope`: the user issuing it (None: the root administrators' CLI); only an
    administrator of the seller may (ScopeError otherwise). One transaction, audited
    (`credit_note_issue`, under the seller). Returns the credit note: {credit_note_id, number,
    invoice_id, invoice_number, seller, buyer, period, currency, amount, tax_rate_pct, tax, total,
    reason, issued_at, issued_by, remaining} (money as Decimal at the currency's places;
    `remaining`: what is left to credit on the invoice after this note)."""
    if full and amount is not None:
        raise CreditNoteError("Give either the amount to credit or the whole invoice (--full), not both.")
    if not full and amount is None:
        raise CreditNoteError("Give the amount to credit (--amount), or --full to credit what remains.")
    text = _reason(reason)
    asked = None if full else _amount(amount)
    with transaction(con):
        invoice_id, period, seller, buyer, ccy, subtotal, rate, _total, number = _target(con, invoice_number, scope)
        if scope is not None:
            _check_issuer(scope, seller)
        subtotal = round_line(subtotal, ccy)
        credited = round_line(run(con, "inv_credited", {"invoice_id": invoice_id})[0][0], ccy)
        remaining = subtotal - credited
        if remaining <= ZERO:
            raise CreditNoteError(
                f"Invoice {number} has nothing left to credit: its subtotal of {subtotal} {ccy} is credited "
                f"in full already." if credited > ZERO else
                f"Invoice {number} has a subtotal of {subtotal} {ccy}; there is nothing to credit.")
        if asked is None:
            credit = remaining
        else:
            if asked <= ZERO:
                raise CreditNoteError(f"The amount to credit must be more than zero, got {asked} {ccy}.")
            if asked > remaining:       # first: a huge amount is refused before it is rounded
                before = f" less {credited} {ccy} credited before" if credited else ""
                raise CreditNoteError(
                    f"The amount {asked} {ccy} is more than what remains to credit on invoice {number}: "
                    f"{remaining} {ccy} (its subtotal {subtotal} {ccy}{before}).")
            with calc():
                credit = round_line(asked, ccy)
            if credit != asked:
                raise CreditNoteError(f"The amount {asked} has more decimal places than {ccy}'s "
                                      f"{minor_unit(ccy)}.")
        with calc():
            tax = round_line(credit * rate / HUNDRED, ccy)
        total = credit + tax
        sequence = run(con, "inv_credit_count", {"seller": seller})[0][0] + 1
        note_number = document_number(_credit_note_prefix(con, seller), sequence)
        try:
            credit_note_id, issued_at = run(con, "inv_credit_insert", {
                "number": note_number, "seller": seller, "buyer": buyer, "invoice_id": invoice_id,
                "period": period, "currency": ccy, "amount": str(credit), "tax_rate_pct": str(rate),
                "tax": str(tax), "total": str(total), "reason": text, "issued_by": issued_by})[0]
        except duckdb.ConstraintException:
            raise CreditNoteError(
                f"The credit note number {note_number} is taken already (another seller uses the same "
                f"credit_note_prefix); give the sellers different prefixes in their branding.") from None
        record_audit(con, username=issued_by, org=seller, action="credit_note_issue", target=note_number,
                     after={"invoice": number, "buyer": buyer, "period": f"{period:%Y-%m}", "currency": ccy,
                            "amount": str(credit), "tax": str(tax), "total": str(total), "reason": text},
                     detail=f"credits invoice {number} ({buyer} {period:%Y-%m}): {credit} + tax {tax} = "
                            f"{total} {ccy}; reason: {text}")
    return {"credit_note_id": credit_note_id, "number": note_number, "invoice_id": invoice_id,
            "invoice_number": number, "seller": seller, "buyer": buyer, "period": period,
            "currency": ccy, "amount": credit, "tax_rate_pct": rate, "tax": tax, "total": total,
            "reason": text, "issued_at": issued_at, "issued_by": issued_by,
            "remaining": remaining - credit}

