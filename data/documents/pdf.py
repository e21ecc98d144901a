"""The invoice and credit-note PDF: ONE template, plain data in, bytes out.

`render_invoice_pdf(invoice, seller, buyer, issue_date=…, due_date=…)` and
`render_credit_note_pdf(note, invoice, seller, buyer, issue_date=…)` take the dicts described in
docs/invoices.md, a `Branding` and a `Party`, and return the PDF's bytes. No file, network or
store access: the logo arrives as bytes, fpdf2's resource policy is NONE (an SVG cannot pull in
a file or URL), and the creation date comes from the document, so the same input gives the same
bytes.

Text: fpdf2's core Helvetica (no font files to ship, 1 ms a document) with the Windows-1252
encoding. Provider and customer text is hostile: control and invisible characters are removed,
other characters outside Windows-1252 are transliterated (Ł → L, Ж → Zh, accents dropped when
the accented letter is missing) or shown as '?', and descriptions are cut at DESC_LIMIT
characters, so no input can break or flood the layout.

(Over 400 lines on purpose: the issue asks for ONE template module; the layout of an invoice and
of a credit note share every block, and reading them in one place is the point.)
"""
from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime, time, timezone
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, ResourceAccessPolicy, XPos, YPos

from data.documents.branding import Branding, Party, colour_rgb, logo_size
from data.documents.common import (
    amount_text,
    as_date,
    check_credit_note,
    check_invoice,
    clean_text,
    item_lines,
    long_date,
    note_lines,
    period_text,
    rate_text,
)

FONT = "helvetica"
MARGIN = 18.0                 # mm, left and right
FOOTER_TOP = 297.0 - 22.0     # content stops here; the footer sits below
LINE_H = 4.6                  # one line of table text
DESC_LIMIT = 600              # characters of a line description on the PDF (CSV keeps all)
AMOUNT_W = 38.0
DRAFT_TITLE = "DRAFT \u2014 not a tax document"

INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (222, 226, 230)
BAND = (245, 247, 250)
ALERT = (176, 42, 55)
WATERMARK = (236, 238, 241)


# --- hostile text → Windows-1252 -------------------------------------------------------------

def _pairs(upper: str, lower: str, latin: str) -> dict[str, str]:
    names = latin.split()
    out = {}
    for u, l, t in zip(upper, lower, names):
        t = "" if t == "-" else t
        out[u] = t
        out[l] = t.lower()
    return out


_TRANSLIT: dict[str, str] = {
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŀ": "L", "ŀ": "l",
    "Ŧ": "T", "ŧ": "t", "ĸ": "q", "Ŋ": "N", "ŋ": "n", "ſ": "s", "Ə": "E", "ə": "e",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2015": "-", "\u2212": "-", "\u2044": "/",
    "\u2032": "'", "\u2033": '"', "\u2024": ".", "\u2027": "-", "\u20bd": "RUB", "\u20b9": "INR",
    "\u20a9": "KRW", "\u20ba": "TRY", "\u20b4": "UAH", "\u20aa": "ILS", "\u20ab": "VND",
    **_pairs("АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯЄІЇҐЎЂЈЉЊЋЏЅЌЃ",
             "абвгдеёжзийклмнопрстуфхцчшщъыьэюяєіїґўђјљњћџѕќѓ",
             "A B V G D E Yo Zh Z I Y K L M N O P R S T U F Kh Ts Ch Sh Shch - Y - E Yu Ya "
             "Ye I Yi G U Dj J Lj Nj C Dz Dz K G"),
    **_pairs("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ", "αβγδεζηθικλμνξοπρστυφχψω",
             "A V G D E Z I Th I K L M N X O P R S T Y F Ch Ps O"),
    "ς": "s",
}


def _encodable(ch: str) -> bool:
    try:
        ch.encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False


def pdf_text(value, limit: int | None = None) -> str:
    """Any text → text Helvetica can draw (see the module docstring); never raises."""
    out = []
    for ch in clean_text(value, limit):
        if _encodable(ch):
            out.append(ch)
        elif ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
        else:
            parts = []
            for base in unicodedata.normalize("NFKD", ch):
                if unicodedata.combining(base):
                    continue
                parts.append(base if _encodable(base) else _TRANSLIT.get(base, "?"))
            out.append("".join(parts) or "?")
    return "".join(out)


# --- the sheet ---------------------------------------------------------------------------------

def _tint(rgb: tuple[int, int, int], share: float) -> tuple[int, int, int]:
    """The colour mixed with white (share = how much white): a light band in the accent's hue."""
    return tuple(round(c + (255 - c) * share) for c in rgb)  # type: ignore[return-value]


class _Sheet(FPDF):
    """A4 page with the accent bar, the draft watermark, the running title and the footer."""

    def __init__(self, *, accent: tuple[int, int, int], draft: bool, running_title: str,
                 footer_text: str, total_pages: int | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.core_fonts_encoding = "windows-1252"
        self.resource_access_policy = ResourceAccessPolicy.NONE
        self.set_margins(MARGIN, 14, MARGIN)
        self.set_auto_page_break(False)   # the template breaks pages itself, between rows
        self.c_margin = 0
        self.accent = accent
        self.draft = draft
        self.running_title = running_title
        self.footer_text = footer_text
        self.total_pages = total_pages

    @property
    def content_w(self) -> float:
        return self.w - 2 * MARGIN

    def header(self) -> None:
        self.set_fill_color(*self.accent)
        self.rect(0, 0, self.w, 4.2, style="F")
        if self.draft:
            with self.local_context(text_color=WATERMARK):
                self.set_font(FONT, "B", 110)
                text = "DRAFT"
                width = self.get_string_width(text)
                with self.rotation(35, self.w / 2, self.h / 2):
                    self.text(self.w / 2 - width / 2, self.h / 2 + 14, text)
        if self.page_no() > 1:
            self.set_xy(MARGIN, 9)
            self.set_font(FONT, "", 8.5)
            self.set_text_color(*MUTED)
            self.cell(self.content_w, 5, _fit(self, self.running_title), align="L")

    def footer(self) -> None:
        top = self.h - 17
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(MARGIN, top, self.w - MARGIN, top)
        self.set_text_color(*MUTED)
        self.set_font(FONT, "", 7.5)
        width = self.content_w - 34
        lines = self.multi_cell(width, 3.6, self.footer_text, dry_run=True, output=MethodReturnValue.LINES)
        if len(lines) > 3:          # the footer band holds three lines; a longer text is cut
            lines = lines[:2] + [_fit(self, lines[2].rstrip() + "\u2026", width)]
        for i, line in enumerate(lines):
            self.set_xy(MARGIN, top + 2 + i * 3.6)
            self.cell(width, 3.6, line)
        self.set_xy(self.w - MARGIN - 30, top + 2)
        # The page count is known on the second pass (see _two_pass): fpdf2's {nb} alias would
        # be right-aligned by the width of "{nb}", not of the number that replaces it.
        total = self.total_pages if self.total_pages is not None else self.page_no()
        self.cell(30, 3.6, f"Page {self.page_no()} of {total}", align="R")


def _fit(pdf: FPDF, text: str, width: float | None = None) -> str:
    """Text cut with '…' to fit `width` at the current font (for one-line fields)."""
    width = pdf.w - 2 * MARGIN if width is None else width
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "\u2026") > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _lines_of(pdf: FPDF, width: float, text: str) -> int:
    return max(1, len(pdf.multi_cell(width, LINE_H, text, dry_run=True, output=MethodReturnValue.LINES)))


def _two_pass(draw) -> bytes:
    """Lay the document out; when it has more than one page, lay it out again now that "Page n
    of N" can name N (the first pass's footers could only say how far it had got)."""
    first = draw(None)
    if first.pages_count == 1:
        return bytes(first.output())
    return bytes(draw(first.pages_count).output())


def _new_sheet(seller: Branding, *, draft: bool, running_title: str, title: str, subject: str,
               created: datetime, total_pages: int | None) -> _Sheet:
    footer = pdf_text(seller.footer_text, 400) or " \u00b7 ".join(
        p for p in (pdf_text(seller.display_name, 120),
                    f"Tax ID {pdf_text(seller.tax_id, 40)}" if seller.tax_id else "") if p)
    pdf = _Sheet(accent=colour_rgb(seller.accent_colour), draft=draft, running_title=running_title,
                 footer_text=footer, total_pages=total_pages)
    pdf.set_creation_date(created)
    pdf.set_title(pdf_text(title, 200))
    pdf.set_subject(pdf_text(subject, 200))
    pdf.set_author(pdf_text(seller.display_name, 200))
    pdf.set_creator("Tierline")
    pdf.set_lang("en")
    pdf.add_page()
    return pdf


def _created(issued_at, fallback: date) -> datetime:
    """The PDF's creation date: when the document was issued (UTC), else the issue date."""
    if isinstance(issued_at, datetime):
        return issued_at if issued_at.tzinfo else issued_at.replace(tzinfo=timezone.utc)
    return datetime.combine(fallback, time(0, 0), tzinfo=timezone.utc)


# --- blocks ------------------------------------------------------------------------------------

def _masthead(pdf: _Sheet, seller: Branding, title: str, number_line: str, alert: bool) -> float:
    top = 12.0
    box_w, box_h = 62.0, 22.0
    logo_bottom = top
    if seller.logo is not None:
        w0, h0 = logo_size(seller.logo)
        scale = min(box_w / w0, box_h / h0)
        w, h = w0 * scale, h0 * scale
        pdf.image(io.BytesIO(seller.logo.data), x=MARGIN, y=top, w=w, h=h)
        logo_bottom = top + h
    else:
        pdf.set_xy(MARGIN, top + 2)
        pdf.set_font(FONT, "B", 17)
        pdf.set_text_color(*pdf.accent)
        pdf.cell(100, 8, _fit(pdf, pdf_text(seller.display_name, 120), 100))
        logo_bottom = top + 10
    pdf.set_font(FONT, "B", 22)
    pdf.set_text_color(*INK)
    pdf.set_xy(pdf.w - MARGIN - 90, top)
    pdf.cell(90, 10, title, align="R")
    pdf.set_xy(pdf.w - MARGIN - 90, top + 11)
    if alert:
        pdf.set_font(FONT, "B", 10.5)
        pdf.set_text_color(*ALERT)
    else:
        pdf.set_font(FONT, "", 10.5)
        pdf.set_text_color(*MUTED)
    pdf.cell(90, 5, _fit(pdf, number_line, 90), align="R")
    return max(logo_bottom, top + 17) + 8


def _party_block(pdf: _Sheet, x: float, y: float, width: float, label: str, name: str,
                 lines: tuple[str, ...], tax_id: str | None, email: str | None) -> float:
    pdf.set_xy(x, y)
    pdf.set_font(FONT, "B", 7.5)
    pdf.set_text_color(*pdf.accent)
    pdf.cell(width, 4, label, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_x(x)
    pdf.set_font(FONT, "B", 10.5)
    pdf.set_text_color(*INK)
    pdf.multi_cell(width, 5, pdf_text(name, 200), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*INK)
    for line in lines:
        pdf.set_x(x)
        pdf.multi_cell(width, 4.3, pdf_text(line, 120), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(*MUTED)
    if tax_id:
        pdf.set_x(x)
        pdf.cell(width, 4.3, _fit(pdf, f"Tax ID: {pdf_text(tax_id, 40)}", width), new_x=XPos.LEFT, new_y=YPos.NEXT)
    if email:
        pdf.set_x(x)
        pdf.cell(width, 4.3, _fit(pdf, pdf_text(email, 254), width), new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y()


def _parties(pdf: _Sheet, seller: Branding, buyer: Party, y: float) -> float:
    col = (pdf.content_w - 10) / 2
    left = _party_block(pdf, MARGIN, y, col, "FROM", seller.display_name, seller.address_lines,
                        seller.tax_id, seller.email)
    right = _party_block(pdf, MARGIN + col + 10, y, col, "BILL TO", buyer.name, buyer.address_lines,
                         buyer.tax_id, buyer.billing_email)
    return max(left, right) + 7


def _facts(pdf: _Sheet, facts: list[tuple[str, str]], y: float) -> float:
    """The band of key facts (number, period, dates, currency): each column as wide as its
    text needs, the rest of the width shared out; a value cut with '…' only when nothing fits."""
    height = 14.0
    pdf.set_fill_color(*BAND)
    pdf.rect(MARGIN, y, pdf.content_w, height, style="F")
    pdf.set_fill_color(*pdf.accent)
    pdf.rect(MARGIN, y, 1.2, height, style="F")
    room = pdf.content_w - 4
    needs = []
    for label, value in facts:
        pdf.set_font(FONT, "", 7.2)
        label_w = pdf.get_string_width(label.upper())
        pdf.set_font(FONT, "B", 9.5)
        needs.append(max(label_w, pdf.get_string_width(value)) + 5)
    if sum(needs) <= room:
        extra = (room - sum(needs)) / len(facts)
        widths = [n + extra for n in needs]
    else:
        widths = [room / len(facts)] * len(facts)
    x = MARGIN + 4
    for (label, value), col in zip(facts, widths):
        pdf.set_xy(x, y + 2.6)
        pdf.set_font(FONT, "", 7.2)
        pdf.set_text_color(*MUTED)
        pdf.cell(col - 3, 3.5, _fit(pdf, label.upper(), col - 3))
        pdf.set_xy(x, y + 7.2)
        pdf.set_font(FONT, "B", 9.5)
        pdf.set_text_color(*INK)
        pdf.cell(col - 3, 4.5, _fit(pdf, value, col - 3))
        x += col
    return y + height + 8


def _table_head(pdf: _Sheet, y: float, currency: str) -> float:
    pdf.set_fill_color(*pdf.accent)
    pdf.rect(MARGIN, y, pdf.content_w, 7.5, style="F")
    pdf.set_font(FONT, "B", 8.8)
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(MARGIN + 3, y + 1.5)
    pdf.cell(pdf.content_w - AMOUNT_W - 6, 4.5, "Description")
    pdf.set_xy(pdf.w - MARGIN - AMOUNT_W - 3, y + 1.5)
    pdf.cell(AMOUNT_W, 4.5, f"Amount ({currency})", align="R")
    return y + 7.5


def _rows(pdf: _Sheet, rows: list[tuple], currency: str, y: float) -> float:
    """rows: ('group', text) headings and ('line', text, amount) lines. Page breaks fall between
    rows, never leave a heading alone at a page's foot, repeat the table header, and repeat the
    current heading as '… (continued)'."""
    y = _table_head(pdf, y, currency)
    desc_w = pdf.content_w - AMOUNT_W - 9
    pad = 1.6
    group_h = LINE_H + 2 * pad

    def line_h(text: str) -> float:
        pdf.set_font(FONT, "", 9)
        return _lines_of(pdf, desc_w - 4, text) * LINE_H + 2 * pad

    def heading(text: str, y: float) -> float:
        pdf.set_fill_color(*_tint(pdf.accent, 0.9))
        pdf.rect(MARGIN, y, pdf.content_w, group_h, style="F")
        pdf.set_font(FONT, "B", 9)
        pdf.set_text_color(*INK)
        pdf.set_xy(MARGIN + 3, y + pad)
        pdf.cell(desc_w, LINE_H, _fit(pdf, text, desc_w))
        return y + group_h

    group = None
    for i, row in enumerate(rows):
        if row[0] == "group":
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            need = group_h + (line_h(nxt[1]) if nxt is not None and nxt[0] == "line" else 0)
        else:
            need = line_h(row[1])
        if y + need > FOOTER_TOP:
            pdf.add_page()
            y = _table_head(pdf, 17.0, currency)
            if row[0] == "line" and group is not None:
                y = heading(f"{group} (continued)", y)
        if row[0] == "group":
            group = row[1]
            y = heading(group, y)
            continue
        text, amount = row[1], row[2]
        pdf.set_font(FONT, "", 9)
        pdf.set_text_color(*INK)
        pdf.set_xy(MARGIN + 7, y + pad)
        pdf.multi_cell(desc_w - 4, LINE_H, text, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        h = max(pdf.get_y() - y + pad, group_h)
        pdf.set_xy(pdf.w - MARGIN - AMOUNT_W - 3, y + pad)
        if amount < 0:
            pdf.set_text_color(*ALERT)
        pdf.cell(AMOUNT_W, LINE_H, amount_text(amount, currency), align="R")
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN, y + h, pdf.w - MARGIN, y + h)
        y += h
    return y


def _totals(pdf: _Sheet, y: float, currency: str, entries: list[tuple[str, Decimal]],
            notes: list[tuple[str, str]]) -> float:
    """The totals box at the right (the last entry is the grand total, on the accent band) and
    notes (label, text) at the left; kept together on one page."""
    note_w = pdf.content_w - 96
    pdf.set_font(FONT, "", 8.5)
    notes_h = sum(4.5 + _lines_of(pdf, note_w, text) * 4.2 + 2.5 for _, text in notes)
    need = max(6.5 * (len(entries) - 1) + 12, notes_h) + 6
    if y + 6 + need > FOOTER_TOP:
        pdf.add_page()
        y = 17.0
    y += 6
    box_x, box_w = pdf.w - MARGIN - 88, 88.0
    yy = y
    for label, value in entries[:-1]:
        pdf.set_xy(box_x + 3, yy)
        pdf.set_font(FONT, "", 9.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(box_w - AMOUNT_W - 6, 6.5, label)
        pdf.set_xy(pdf.w - MARGIN - AMOUNT_W - 3, yy)
        pdf.set_text_color(*INK)
        pdf.cell(AMOUNT_W, 6.5, amount_text(value, currency, code=True), align="R")
        yy += 6.5
    pdf.set_draw_color(*RULE)
    pdf.line(box_x, yy + 1, pdf.w - MARGIN, yy + 1)
    yy += 2.5
    label, value = entries[-1]
    pdf.set_fill_color(*pdf.accent)
    pdf.rect(box_x, yy, box_w, 9.5, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, "B", 11)
    pdf.set_xy(box_x + 3, yy + 2)
    pdf.cell(box_w - AMOUNT_W - 6, 5.5, label)
    pdf.set_xy(pdf.w - MARGIN - AMOUNT_W - 13, yy + 2)
    pdf.cell(AMOUNT_W + 10, 5.5, amount_text(value, currency, code=True), align="R")
    box_bottom = yy + 9.5
    ny = y
    for label, text in notes:
        pdf.set_xy(MARGIN, ny)
        pdf.set_font(FONT, "B", 7.5)
        pdf.set_text_color(*pdf.accent)
        pdf.cell(note_w, 4.5, label.upper())
        pdf.set_xy(MARGIN, ny + 4.5)
        pdf.set_font(FONT, "", 8.5)
        pdf.set_text_color(*INK)
        pdf.multi_cell(note_w, 4.2, text, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        ny = pdf.get_y() + 2.5
    return max(box_bottom, ny)


# --- the documents -----------------------------------------------------------------------------

_SECTIONS = (("credit", "Credits"), ("fee", "Fees"), ("correction", "Corrections of earlier invoices"))


def _invoice_rows(invoice: dict) -> list[tuple]:
    """Service lines grouped by provider (then service), then credits, fees and corrections."""
    lines = item_lines(invoice)
    rows: list[tuple] = []
    services = sorted((ln for ln in lines if ln["kind"] == "service"),
                      key=lambda ln: (str(ln.get("provider") or ""), str(ln.get("service") or ""),
                                      ln.get("line_no") or 0))
    provider = object()
    for ln in services:
        if ln.get("provider") != provider:
            provider = ln.get("provider")
            rows.append(("group", pdf_text(provider, 120) or "Other services"))
        text = ln.get("service") or ln.get("description")
        rows.append(("line", pdf_text(text, DESC_LIMIT) or "Service", ln["amount"]))
    for kind, heading in _SECTIONS:
        chosen = [ln for ln in lines if ln["kind"] == kind]
        if chosen:
            rows.append(("group", heading))
            rows.extend(("line", pdf_text(ln.get("description"), DESC_LIMIT) or heading, ln["amount"])
                        for ln in chosen)
    if not rows:
        rows.append(("line", "No charges for this period", Decimal(0)))
    return rows


def _check_parties(seller, buyer) -> None:
    if not isinstance(seller, Branding):
        raise ValueError(f"seller must be a Branding, got {type(seller).__name__}.")
    if not isinstance(buyer, Party):
        raise ValueError(f"buyer must be a Party, got {type(buyer).__name__}.")


def render_invoice_pdf(invoice: dict, seller: Branding, buyer: Party, *, issue_date: date,
                       due_date: date) -> bytes:
    """The invoice as a PDF: seller and buyer blocks, number (or DRAFT — not a tax document),
    period, issue and due dates, lines grouped by provider then service, credits, fees,
    corrections, subtotal, tax with its rate, total, footer. ValueError (one sentence) when the
    invoice does not add up or a date is missing."""
    check_invoice(invoice)
    _check_parties(seller, buyer)
    issued = as_date(issue_date, "issue_date")
    due = as_date(due_date, "due_date")
    if due < issued:
        raise ValueError(f"due_date {due} is before issue_date {issued}.")
    ccy = invoice["currency"]
    draft = invoice["status"] != "issued"
    number = pdf_text(invoice.get("number"), 60)
    period = period_text(invoice["period"])
    running = (f"Invoice {number}" if not draft else "Draft invoice") + \
        f" \u00b7 {pdf_text(buyer.name, 80)} \u00b7 {period} (continued)"
    rows = _invoice_rows(invoice)
    days = (due - issued).days
    terms = ("Due on receipt." if days == 0 else
             f"Due by {long_date(due)} ({days} day{'s' if days != 1 else ''} from the issue date).")
    notes = [("Payment", terms + f" Amounts in {ccy}.")]
    if draft:
        notes.append(("Draft", ("Figures may still change until the invoice is issued. "
                                "This draft is not a tax document and not a request for payment.")))
    totals = [("Subtotal", invoice["subtotal"]),
              (f"Tax ({rate_text(invoice['tax_rate_pct'])}%)", invoice["tax"]),
              ("Total due" if not draft else "Total", invoice["total"])]

    def draw(total_pages: int | None) -> _Sheet:
        pdf = _new_sheet(seller, draft=draft, running_title=running,
                         title=f"Invoice {number}" if not draft else f"Draft invoice {period}",
                         subject=f"{pdf_text(seller.display_name, 80)} invoice to "
                                 f"{pdf_text(buyer.name, 80)} for {period}",
                         created=_created(invoice.get("issued_at"), issued), total_pages=total_pages)
        y = _masthead(pdf, seller, "INVOICE", DRAFT_TITLE if draft else f"No. {number}", alert=draft)
        y = _parties(pdf, seller, buyer, y)
        y = _facts(pdf, [("Invoice number", "Draft" if draft else number), ("Period", period),
                         ("Issue date", long_date(issued)), ("Due date", long_date(due)),
                         ("Currency", ccy)], y)
        y = _rows(pdf, rows, ccy, y)
        _totals(pdf, y, ccy, totals, notes)
        return pdf

    return _two_pass(draw)


def render_credit_note_pdf(note: dict, invoice: dict, seller: Branding, buyer: Party, *,
                           issue_date: date) -> bytes:
    """A credit note against an issued invoice: its number, the invoice it credits, the reason,
    the amount credited, tax at the invoice's rate, and the total credited."""
    check_credit_note(note, invoice)
    _check_parties(seller, buyer)
    issued = as_date(issue_date, "issue_date")
    ccy = note["currency"]
    number = pdf_text(note["number"], 60)
    invoice_number = pdf_text(invoice["number"], 60)
    period = period_text(invoice["period"])
    rows = [("line", pdf_text(ln["description"], DESC_LIMIT) or "Credit", ln["amount"])
            for ln in note_lines(note, with_reason=False)]
    notes = []
    reason = pdf_text(note.get("reason"), DESC_LIMIT)
    if reason:
        notes.append(("Reason", reason))
    notes.append(("Settlement", (f"This credit note reduces the amount due on invoice {invoice_number} "
                                 f"by {amount_text(note['total'], ccy, code=True)}.")))
    totals = [("Amount credited", note["amount"]),
              (f"Tax ({rate_text(note['tax_rate_pct'])}%)", note["tax"]),
              ("Total credited", note["total"])]

    def draw(total_pages: int | None) -> _Sheet:
        pdf = _new_sheet(seller, draft=False, running_title=f"Credit note {number} (continued)",
                         title=f"Credit note {number}",
                         subject=f"Credit note to {pdf_text(buyer.name, 80)} for invoice {invoice_number}",
                         created=_created(note.get("issued_at"), issued), total_pages=total_pages)
        y = _masthead(pdf, seller, "CREDIT NOTE", f"No. {number}", alert=False)
        y = _parties(pdf, seller, buyer, y)
        y = _facts(pdf, [("Credit note number", number), ("Credits invoice", invoice_number),
                         ("Invoice period", period), ("Issue date", long_date(issued)), ("Currency", ccy)], y)
        y = _rows(pdf, rows, ccy, y)
        _totals(pdf, y, ccy, totals, notes)
        return pdf

    return _two_pass(draw)
