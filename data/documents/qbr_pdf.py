"""The quarterly business review pack as a PDF: the review dict in, bytes out.

`render_qbr_pdf(review, seller, buyer, created=…)` takes the dict
`queries.reports.qbr.qbr_report` returns, the seller's `Branding` (its logo, accent colour and
footer, as on its invoices) and the customer as a `Party`, and returns the PDF's bytes. Pure like
data/documents/pdf.py, whose sheet, masthead pieces and hostile-text handling it shares: no
file, network or store access, fpdf2's resource policy NONE, the creation date from the caller,
so the same review gives the same bytes.

Every amount is printed from the review as it stands (already at the currency's minor unit):
the month totals are the invoice subtotals the portal shows, the quarter total their sum.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal

from fpdf.enums import MethodReturnValue, XPos

from data.documents.branding import Branding, Party
from data.documents.common import MONTHS, amount_text
from data.documents.pdf import (
    FONT,
    INK,
    LINE_H,
    MARGIN,
    MUTED,
    RULE,
    _facts,
    _fit,
    _new_sheet,
    _party_block,
    _Sheet,
    _tint,
    _two_pass,
    pdf_text,
)
from pricing.money import ZERO

FOOTER_TOP = 297.0 - 22.0
NAME_LIMIT = 120              # characters of a service, provider or sub-account name
STEP_LIMIT = 300              # characters of one next step (data/qbr.py allows no more)
CHART_H = 38.0


def _month_name(p: date) -> str:
    return f"{MONTHS[p.month - 1][:3]} {p.year}"


def _day(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}"


def _pct(value: Decimal | None) -> str:
    if value is None:
        return "new"
    return f"{'+' if value > 0 else ''}{value} %"


def _signed(value: Decimal, currency: str) -> str:
    text = amount_text(value, currency)
    return f"+{text}" if value > ZERO else text


# --- blocks ------------------------------------------------------------------------------------

def _masthead(pdf: _Sheet, seller: Branding, review: dict) -> float:
    """The seller's logo (or name) at the left, the title and the customer and quarter at the right."""
    import io

    from data.documents.branding import logo_size
    top = 12.0
    bottom = top + 10
    if seller.logo is not None:
        w0, h0 = logo_size(seller.logo)
        scale = min(62.0 / w0, 22.0 / h0)
        pdf.image(io.BytesIO(seller.logo.data), x=MARGIN, y=top, w=w0 * scale, h=h0 * scale)
        bottom = top + h0 * scale
    else:
        pdf.set_xy(MARGIN, top + 2)
        pdf.set_font(FONT, "B", 17)
        pdf.set_text_color(*pdf.accent)
        pdf.cell(90, 8, _fit(pdf, pdf_text(seller.display_name, 120), 90))
    right = pdf.w - MARGIN - 100
    pdf.set_xy(right, top)
    pdf.set_font(FONT, "B", 17)
    pdf.set_text_color(*INK)
    pdf.cell(100, 9, "Quarterly business review", align="R")
    pdf.set_xy(right, top + 10)
    pdf.set_font(FONT, "", 10.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(100, 5, _fit(pdf, f"{pdf_text(review['name'], 80)} \u00b7 {review['title']}", 100),
             align="R")
    return max(bottom, top + 17) + 8


def _section(pdf: _Sheet, y: float, title: str, need: float = 30.0) -> float:
    """A section heading; a new page first when the heading and `need` mm would not fit."""
    if y + 10 + need > FOOTER_TOP:
        pdf.add_page()
        y = 17.0
    pdf.set_xy(MARGIN, y)
    pdf.set_font(FONT, "B", 11.5)
    pdf.set_text_color(*pdf.accent)
    pdf.cell(pdf.content_w, 6, title)
    pdf.set_draw_color(*pdf.accent)
    pdf.set_line_width(0.4)
    pdf.line(MARGIN, y + 7, pdf.w - MARGIN, y + 7)
    return y + 9.5


def _note(pdf: _Sheet, y: float, text: str) -> float:
    pdf.set_xy(MARGIN, y)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(pdf.content_w, 4.2, text, align="L", new_x=XPos.LEFT)
    return pdf.get_y() + 2


def _table(pdf: _Sheet, y: float, columns: list[tuple[str, float, str]], rows: list[list[str]],
           *, emphasise_last: bool = False, wrap: int | None = None) -> float:
    """A table: columns (heading, share of the width, 'L' or 'R'); every cell one line cut with
    '…' except column `wrap`, which wraps. Page breaks fall between rows and repeat the head."""
    widths = [share * pdf.content_w for _, share, _ in columns]
    pad = 1.4

    def head(y: float) -> float:
        pdf.set_fill_color(*pdf.accent)
        pdf.rect(MARGIN, y, pdf.content_w, 6.5, style="F")
        pdf.set_font(FONT, "B", 8.3)
        pdf.set_text_color(255, 255, 255)
        x = MARGIN
        for (title, _, align), w in zip(columns, widths):
            pdf.set_xy(x + 1.5, y + 1.2)
            pdf.cell(w - 3, 4.2, _fit(pdf, title, w - 3), align=align)
            x += w
        return y + 6.5

    y = head(y)
    for i, row in enumerate(rows):
        last = emphasise_last and i == len(rows) - 1
        pdf.set_font(FONT, "B" if last else "", 8.8)
        lines = 1
        if wrap is not None:
            lines = max(1, len(pdf.multi_cell(widths[wrap] - 3, LINE_H, row[wrap], dry_run=True,
                                              output=MethodReturnValue.LINES)))
        h = lines * LINE_H + 2 * pad
        if y + h > FOOTER_TOP:
            pdf.add_page()
            y = head(17.0)
            pdf.set_font(FONT, "B" if last else "", 8.8)
        if last:
            pdf.set_fill_color(*_tint(pdf.accent, 0.9))
            pdf.rect(MARGIN, y, pdf.content_w, h, style="F")
        pdf.set_text_color(*INK)
        x = MARGIN
        for j, ((_, _, align), w) in enumerate(zip(columns, widths)):
            pdf.set_xy(x + 1.5, y + pad)
            if j == wrap:
                pdf.multi_cell(w - 3, LINE_H, row[j], align="L", new_x=XPos.LEFT)
            else:
                pdf.cell(w - 3, LINE_H, _fit(pdf, row[j], w - 3), align=align)
            x += w
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN, y + h, pdf.w - MARGIN, y + h)
        y += h
    return y + 4


def _bars(pdf: _Sheet, y: float, bars: list[tuple[str, Decimal | None]], currency: str) -> float:
    """Month totals as bars (drawn from exact amounts; a negative month is drawn as none, a month
    not billed (None) says so)."""
    if y + CHART_H + 12 > FOOTER_TOP:
        pdf.add_page()
        y = 17.0
    top = max((v for _, v in bars if v is not None), default=ZERO)
    slot = pdf.content_w / max(len(bars), 1)
    width = min(28.0, slot * 0.5)
    base = y + CHART_H
    pdf.set_draw_color(*RULE)
    pdf.line(MARGIN, base, pdf.w - MARGIN, base)
    for i, (label, value) in enumerate(bars):
        x = MARGIN + slot * i + (slot - width) / 2
        h = float(value / top) * (CHART_H - 8) if value is not None and top > ZERO and value > ZERO else 0.0
        pdf.set_fill_color(*pdf.accent)
        if h > 0:
            pdf.rect(x, base - h, width, h, style="F")
        pdf.set_font(FONT, "B", 8)
        pdf.set_text_color(*INK)
        pdf.set_xy(x - 10, base - h - 5)
        pdf.cell(width + 20, 4, "not billed" if value is None else amount_text(value, currency), align="C")
        pdf.set_font(FONT, "", 8)
        pdf.set_text_color(*MUTED)
        pdf.set_xy(x - 10, base + 1.5)
        pdf.cell(width + 20, 4, label, align="C")
    return base + 10


def _steps(pdf: _Sheet, y: float, steps: list[str]) -> float:
    if not steps:
        return _note(pdf, y, "No next steps were written for this quarter.")
    for i, step in enumerate(steps, start=1):
        text = pdf_text(step, STEP_LIMIT)
        pdf.set_font(FONT, "", 9.5)
        lines = len(pdf.multi_cell(pdf.content_w - 8, 5, text, dry_run=True,
                                   output=MethodReturnValue.LINES))
        if y + lines * 5 + 2 > FOOTER_TOP:
            pdf.add_page()
            y = 17.0
        pdf.set_xy(MARGIN, y)
        pdf.set_font(FONT, "B", 9.5)
        pdf.set_text_color(*pdf.accent)
        pdf.cell(8, 5, f"{i}.")
        pdf.set_xy(MARGIN + 8, y)
        pdf.set_font(FONT, "", 9.5)
        pdf.set_text_color(*INK)
        pdf.multi_cell(pdf.content_w - 8, 5, text, align="L", new_x=XPos.LEFT)
        y = pdf.get_y() + 1.5
    return y


def _hook_table(pdf: _Sheet, y: float, rows: list[dict]) -> float:
    """A section another module provides (budgets, commitments): rows of display text, its keys
    as columns after the month."""
    keys = [k for k in dict.fromkeys(k for r in rows for k in r) if k != "period"][:6]
    first = 0.16 if len(keys) < 5 else 0.12
    columns = [("Month", first, "L")] + [(k, (1 - first) / max(len(keys), 1), "L" if i == 0 else "R")
                                         for i, k in enumerate(keys)]
    body = [[_month_name(r["period"])] + [pdf_text(r.get(k) or "", NAME_LIMIT) for k in keys] for r in rows]
    return _table(pdf, y, columns, body)


# --- the pack ----------------------------------------------------------------------------------

def _check(review: dict) -> None:
    if not isinstance(review, dict) or "months" not in review or "total" not in review:
        raise ValueError("a review must be the dict queries.reports.qbr.qbr_report returns.")
    if not isinstance(review["total"], Decimal):
        raise ValueError(f"the review's total must be a Decimal amount, got {review['total']!r}.")
    billed = sum((m["subtotal"] for m in review["months"] if m["billed"]), ZERO)
    if billed != review["total"]:
        raise ValueError(f"the review's months add up to {billed} but its total is {review['total']}.")


def render_qbr_pdf(review: dict, seller: Branding, buyer: Party, *, created: date) -> bytes:
    """The review as a branded PDF: facts, spend by month and provider (a table and a chart),
    biggest movers by service and by sub-account, top cost drivers, notable days with the rule
    that found them, budget and commitment coverage when the review has them, next steps."""
    _check(review)
    if not isinstance(seller, Branding) or not isinstance(buyer, Party):
        raise ValueError("seller must be a Branding and buyer a Party (data/documents/branding.py).")
    ccy = review["currency"]
    months = review["months"]
    first, last = months[0]["period"], months[-1]["period"]
    span = f"{MONTHS[first.month - 1]} \u2013 {MONTHS[last.month - 1]} {last.year}"
    drafts = [m for m in months if m["billed"] and not m["final"]]
    status = "Final" if review["final"] else ("Includes drafts" if drafts else "Partly billed")
    previous = review["previous_total"]
    change = ("n/a" if previous is None else
              f"{_signed(review['change'], ccy)}")
    title = f"{review['name']} \u00b7 {review['title']}"
    stamp = datetime.combine(created, time(0, 0), tzinfo=timezone.utc)

    def draw(total_pages: int | None) -> _Sheet:
        pdf = _new_sheet(seller, draft=False, running_title=f"Quarterly business review \u00b7 "
                         f"{pdf_text(title, 120)} (continued)",
                         title=f"Quarterly business review {pdf_text(title, 120)}",
                         subject=f"{pdf_text(seller.display_name, 80)} review of "
                                 f"{pdf_text(review['name'], 80)} for {review['title']}",
                         created=stamp, total_pages=total_pages)
        y = _masthead(pdf, seller, review)
        col = (pdf.content_w - 10) / 2
        left = _party_block(pdf, MARGIN, y, col, "PREPARED BY", seller.display_name,
                            seller.address_lines, None, seller.email)
        right = _party_block(pdf, MARGIN + col + 10, y, col, "PREPARED FOR", buyer.name,
                             buyer.address_lines, None, None)
        y = max(left, right) + 6
        y = _facts(pdf, [("Quarter", f"{review['title']} ({review['quarter']})"), ("Months", span),
                         ("Quarter total", amount_text(review["total"], ccy, code=True)),
                         (f"vs {review['previous_quarter']}", change), ("Status", status)], y)

        y = _section(pdf, y, f"Spend by month and provider ({ccy}, before tax)", 40)
        labels = [_month_name(m["period"]) for m in months]
        columns = [("Provider", 0.32, "L")] + [(lb, 0.17, "R") for lb in labels] + [("Quarter", 0.17, "R")]
        body = []
        for name in review["providers"]:
            body.append([pdf_text(name, NAME_LIMIT)]
                        + [amount_text(m["providers"][name], ccy) if name in m["providers"] else
                           ("\u2013" if m["billed"] else "") for m in months]
                        + [amount_text(review["provider_totals"][name], ccy)])
        body.append(["Total (invoice subtotals)"]
                    + [amount_text(m["subtotal"], ccy) if m["billed"] else "not billed" for m in months]
                    + [amount_text(review["total"], ccy)])
        y = _table(pdf, y, columns, body, emphasise_last=True)
        invoices = "; ".join(
            f"{_month_name(m['period'])}: " + (f"invoice {pdf_text(m['number'], 40)}" if m["final"] else
                                               "draft, not yet issued" if m["billed"] else "not billed yet")
            for m in months)
        y = _note(pdf, y, f"Each month is its invoice's subtotal before tax ({invoices}). "
                          f"Fees are the invoice's own lines.")
        y = _bars(pdf, y + 2, [(lb, m["subtotal"] if m["billed"] else None)
                               for lb, m in zip(labels, months)], ccy)

        prev_q, this_q = review["previous_quarter"], review["quarter"]
        for key, heading, what in (("movers_service", "Biggest movers by service", "Service"),
                                   ("movers_sub_account", "Biggest movers by sub-account", "Sub-account")):
            rows = review[key]
            y = _section(pdf, y, f"{heading} (against {prev_q})", 12 + 8 * len(rows))
            if review.get("comparison_note"):
                y = _note(pdf, y, review["comparison_note"])
            if not rows:
                y = _note(pdf, y, f"No change against {prev_q}.")
                continue
            y = _table(pdf, y, [(what, 0.40, "L"), (prev_q, 0.15, "R"), (this_q, 0.15, "R"),
                                ("Change", 0.16, "R"), ("Change %", 0.14, "R")],
                       [[pdf_text(m["key"], NAME_LIMIT), amount_text(m["previous"], ccy),
                         amount_text(m["current"], ccy), _signed(m["change"], ccy), _pct(m["change_pct"])]
                        for m in rows])

        drivers = review["drivers"]
        y = _section(pdf, y, f"Top cost drivers in {review['title']}", 12 + 8 * len(drivers))
        if drivers:
            y = _table(pdf, y, [("Service", 0.56, "L"), (f"Spend ({ccy})", 0.24, "R"),
                                ("Share of usage", 0.20, "R")],
                       [[pdf_text(d["key"], NAME_LIMIT), amount_text(d["amount"], ccy),
                         "" if d["share_pct"] is None else f"{d['share_pct']} %"] for d in drivers])
        else:
            y = _note(pdf, y, "No usage this quarter.")
        y = _note(pdf, y, "Movers and drivers are the portal's breakdown (usage at your price, "
                          "before fees), summed over the quarter.")

        notable = review["notable"]
        y = _section(pdf, y, "Notable days", 24 + 8 * min(len(notable), 3))
        y = _note(pdf, y, review["rule"])
        if notable:
            y = _table(pdf, y, [("Day", 0.15, "L"), ("Spend", 0.13, "R"), ("Median", 0.12, "R"),
                                ("Threshold", 0.13, "R"), ("Services behind it", 0.47, "L")],
                       [[_day(n["day"]), amount_text(n["spend"], ccy), amount_text(n["median"], ccy),
                         amount_text(n["threshold"], ccy),
                         "; ".join(f"{pdf_text(s['service'], NAME_LIMIT)} {amount_text(s['spend'], ccy)} "
                                   f"(+{amount_text(s['excess'], ccy)})" for s in n["services"]) or "\u2013"]
                        for n in notable], wrap=4)
        else:
            y = _note(pdf, y, "No day of the quarter met the rule.")

        for key, heading in (("budget", "Budget against actual"), ("commitments", "Commitment coverage")):
            if review.get(key):
                y = _section(pdf, y, heading, 12 + 8 * len(review[key]))
                y = _hook_table(pdf, y, review[key])

        steps = review["next_steps"]["steps"]
        y = _section(pdf, y, "Next steps", 8 + 6 * min(len(steps), 4))
        _steps(pdf, y, steps)
        return pdf

    return _two_pass(draw)
