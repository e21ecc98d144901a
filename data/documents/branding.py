"""Who is on a document: the seller's branding and accounting codes, the buyer as a party.

Everything here is plain data with validation that runs when the object is built, so a
renderer or an export never meets a colour it cannot draw or a logo it cannot decode. Each
problem is a ValueError whose message is one sentence naming the field and the value.

The only I/O is `load_logo`, which turns the configuration's logo reference (a file in the
configuration document's folder, or a `data:` URI) into bytes; the renderers take those bytes.
"""
from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote_to_bytes

# The package whole, first: `fpdf.svg` imported on its own (as _svg_size does, lazily) runs into
# fpdf's own circular import on a fresh interpreter.
import fpdf  # noqa: E402,F401,I001

PNG = "image/png"
SVG = "image/svg+xml"
LOGO_MIMES = (PNG, SVG)
MAX_LOGO_BYTES = 2 * 1024 * 1024       # a logo is a few KB; anything larger is a mistake
MAX_LOGO_PIXELS = 4000
MAX_TERMS_DAYS = 365
DATE_FORMATS = ("%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d")   # what QuickBooks / Xero imports accept
LINE_KINDS = ("service", "credit", "fee", "correction", "credit_note")

_COLOUR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
_PREFIX_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,23}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CODE_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- validation helpers ----------------------------------------------------------------------

def check_colour(value: str, field_name: str = "accent_colour") -> str:
    """'#1F6FEB' → '#1F6FEB'; anything but #RRGGBB is refused."""
    if not isinstance(value, str) or not _COLOUR_RE.match(value):
        raise ValueError(f"{field_name} must be a colour written #RRGGBB (for example #1F6FEB), "
                         f"got {value!r}.")
    return value.upper()


def colour_rgb(value: str) -> tuple[int, int, int]:
    """'#1F6FEB' → (31, 111, 235)."""
    value = check_colour(value)
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def check_terms(value: int, field_name: str = "payment_terms_days") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TERMS_DAYS:
        raise ValueError(f"{field_name} must be a whole number of days from 0 to {MAX_TERMS_DAYS}, "
                         f"got {value!r}.")
    return value


def check_prefix(value: str, field_name: str) -> str:
    if not isinstance(value, str) or not _PREFIX_RE.match(value):
        raise ValueError(f"{field_name} must be 1 to 24 letters, digits, '.', '_', '/' or '-' starting "
                         f"with a letter or digit, got {value!r}.")
    return value


def check_email(value: str | None, field_name: str = "billing_email") -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL_RE.match(value):
        raise ValueError(f"{field_name} must be an e-mail address such as billing@example.com, "
                         f"got {value!r}.")
    return value


def _check_text(value, field_name: str, *, required: bool = False, limit: int = 200) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError(f"{field_name} must be text, got {type(value).__name__} {value!r}.")
    if required and not value.strip():
        raise ValueError(f"{field_name} must not be empty.")
    if len(value) > limit:
        raise ValueError(f"{field_name} must be at most {limit} characters, got {len(value)}.")
    return value


def _check_lines(value, field_name: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError(f"{field_name} must be a list of lines, got {value!r}.")
    if len(value) > 8:
        raise ValueError(f"{field_name} may have at most 8 lines, got {len(value)}.")
    return tuple(_check_text(v, f"{field_name}[{i}]", limit=120) for i, v in enumerate(value))


def check_logo(data: bytes, mime: str, field_name: str = "logo") -> None:
    """A logo must decode as what it says: a PNG that Pillow can read, or an SVG whose root is
    <svg> (parsed with defusedxml: no entities, no external references)."""
    if mime not in LOGO_MIMES:
        raise ValueError(f"{field_name} must be a PNG or SVG image, got type {mime!r}.")
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise ValueError(f"{field_name} is empty.")
    if len(data) > MAX_LOGO_BYTES:
        raise ValueError(f"{field_name} is {len(data):,} bytes; at most {MAX_LOGO_BYTES:,} are allowed.")
    if mime == PNG:
        if not data.startswith(_PNG_MAGIC):
            raise ValueError(f"{field_name} is not a PNG file (its first bytes are not the PNG signature).")
        from PIL import Image  # Pillow comes with fpdf2 (and Streamlit)
        try:
            with Image.open(io.BytesIO(data)) as img:
                size = img.size
                img.verify()
        except Exception as exc:  # noqa: BLE001 -- Pillow raises many kinds for a broken file
            raise ValueError(f"{field_name} is not a readable PNG file ({exc}).") from None
        if max(size) > MAX_LOGO_PIXELS:
            # a few KB of PNG can declare a huge canvas that the PDF writer would then decode
            raise ValueError(f"{field_name} is {size[0]}×{size[1]} pixels; at most {MAX_LOGO_PIXELS} "
                             f"on a side are allowed.")
        return
    if not bytes(data).lstrip().startswith((b"<?xml ", b"<svg ")):
        # fpdf2 recognises SVG bytes by these openings only
        raise ValueError(f"{field_name} must start with '<?xml ' or '<svg ' to be read as SVG.")
    try:
        _svg_size(bytes(data))
    except ValueError as exc:
        raise ValueError(f"{field_name} is not a usable SVG file ({exc}).") from None


def _svg_size(data: bytes) -> tuple[float, float]:
    """(width, height) of an SVG as fpdf2 reads it (defusedxml underneath: no entities, and no
    external files or URLs: the resource policy is NONE)."""
    from fpdf.enums import ResourceAccessPolicy
    from fpdf.svg import Percent, SVGObject
    try:
        svg = SVGObject(data, resource_access_policy=ResourceAccessPolicy.NONE)
    except Exception as exc:  # noqa: BLE001 -- fpdf2 raises several kinds for malformed SVG
        raise ValueError(str(exc) or type(exc).__name__) from None

    def absolute(v) -> bool:   # '100%' is relative to a page fpdf2 does not know here
        return isinstance(v, (int, float)) and not isinstance(v, Percent)

    width, height = svg.width, svg.height
    if not (absolute(width) and absolute(height)) and svg.viewbox:
        width, height = svg.viewbox[2], svg.viewbox[3]
    if not (absolute(width) and absolute(height)) or width <= 0 or height <= 0:
        raise ValueError("it has neither a width and height nor a viewBox")
    return float(width), float(height)


def logo_size(logo: Logo) -> tuple[float, float]:
    """The logo's intrinsic (width, height), for fitting it in a box with its aspect ratio."""
    if logo.mime == SVG:
        return _svg_size(logo.data)
    from PIL import Image
    with Image.open(io.BytesIO(logo.data)) as img:
        return float(img.width), float(img.height)


@dataclass(frozen=True, slots=True)
class Logo:
    """Logo bytes and their type, as the renderer takes them (it never opens a file)."""

    data: bytes
    mime: str

    def __post_init__(self) -> None:
        check_logo(self.data, self.mime)


def logo_from_data_uri(uri: str, field_name: str = "logo") -> Logo:
    """'data:image/png;base64,iVBOR…' (or an SVG, base64 or percent-encoded) → Logo."""
    head, sep, payload = uri.partition(",")
    if not sep or not head.lower().startswith("data:"):
        raise ValueError(f"{field_name} must be a data URI like 'data:image/png;base64,…', got {uri[:40]!r}.")
    params = head[5:].split(";")
    mime = params[0].strip().lower()
    if mime not in LOGO_MIMES:
        raise ValueError(f"{field_name} must be a PNG or SVG data URI, got type {mime!r}.")
    if "base64" in (p.strip().lower() for p in params[1:]):
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"{field_name}'s data URI is not valid base64.") from None
    else:
        data = unquote_to_bytes(payload)
    return Logo(data, mime)


def load_logo(ref: str, folder: str | Path, field_name: str = "logo") -> Logo:
    """The configuration's logo reference → Logo: a `data:` URI, or a .png/.svg file name
    relative to `folder` (the configuration document's folder) that stays inside it."""
    if not isinstance(ref, str) or not ref.strip():
        raise ValueError(f"{field_name} must be a file name or a data URI, got {ref!r}.")
    ref = ref.strip()
    if ref.lower().startswith("data:"):
        return logo_from_data_uri(ref, field_name)
    base = Path(folder).resolve()
    path = (base / ref).resolve()
    if base != path and base not in path.parents:
        raise ValueError(f"{field_name} {ref!r} is outside the configuration's folder {base}.")
    suffix = path.suffix.lower()
    mime = {".png": PNG, ".svg": SVG}.get(suffix)
    if mime is None:
        raise ValueError(f"{field_name} {ref!r} must be a .png or .svg file.")
    if not path.is_file():
        raise ValueError(f"{field_name} {ref!r} does not exist in {base}.")
    if path.stat().st_size > MAX_LOGO_BYTES:
        raise ValueError(f"{field_name} {ref!r} is larger than {MAX_LOGO_BYTES:,} bytes.")
    return Logo(path.read_bytes(), mime)


# --- accounting codes ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AccountingCodes:
    """A seller's chart-of-accounts codes and tax codes for the accounting exports.

    Defaults follow a generic chart (1200 receivables, 2200 sales tax payable, 4000 sales,
    4100 fee income) and the tax code names QuickBooks Online (US: TAX / NON) and Xero
    ("Tax on Sales" / "Tax Exempt") ship with; every seller can override each one.
    """

    receivable: str = "1200"
    tax_payable: str = "2200"
    revenue_service: str = "4000"
    revenue_credit: str = "4000"          # passed-through credits reduce sales
    revenue_fee: str = "4100"
    revenue_correction: str = "4000"
    revenue_credit_note: str = "4000"
    # QuickBooks "Item(Product/Service)" per line kind: the items must exist in the company
    item_service: str = "Cloud services"
    item_credit: str = "Cloud credits"
    item_fee: str = "Service fees"
    item_correction: str = "Billing corrections"
    item_credit_note: str = "Credit note"
    quickbooks_taxable: str = "TAX"
    quickbooks_exempt: str = "NON"
    xero_taxable: str = "Tax on Sales"
    xero_exempt: str = "Tax Exempt"
    date_format: str = "%d/%m/%Y"         # dates in QuickBooks, Xero and journal files

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name == "date_format":
                if value not in DATE_FORMATS:
                    raise ValueError(f"accounting date_format must be one of {', '.join(DATE_FORMATS)}, "
                                     f"got {value!r}.")
            elif not isinstance(value, str) or not _CODE_RE.match(value) or value != value.strip():
                raise ValueError(f"accounting code {name} must be 1 to 64 characters of text without "
                                 f"control characters or surrounding spaces, got {value!r}.")

    def revenue_account(self, kind: str) -> str:
        if kind not in LINE_KINDS:
            raise ValueError(f"line kind must be one of {', '.join(LINE_KINDS)}, got {kind!r}.")
        return getattr(self, f"revenue_{kind}")

    def item(self, kind: str) -> str:
        if kind not in LINE_KINDS:
            raise ValueError(f"line kind must be one of {', '.join(LINE_KINDS)}, got {kind!r}.")
        return getattr(self, f"item_{kind}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, str] | None) -> AccountingCodes:
        """From a configuration mapping; unknown keys are refused so a typo is not silently ignored."""
        values = dict(values or {})
        unknown = sorted(set(values) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown accounting setting {unknown[0]!r}; allowed: "
                             f"{', '.join(cls.__dataclass_fields__)}.")
        return cls(**values)


# --- parties ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Party:
    """The buyer block of a document (also usable for any addressee)."""

    name: str
    address_lines: tuple[str, ...] = ()
    tax_id: str | None = None
    billing_email: str | None = None

    def __post_init__(self) -> None:
        _check_text(self.name, "name", required=True)
        object.__setattr__(self, "address_lines", _check_lines(self.address_lines, "address_lines"))
        object.__setattr__(self, "tax_id", _check_text(self.tax_id, "tax_id", limit=40) or None)
        object.__setattr__(self, "billing_email", check_email(self.billing_email))


@dataclass(frozen=True, slots=True)
class Branding:
    """A seller's look and terms on its documents, and its accounting codes.

    `invoice_prefix` / `credit_note_prefix` start the numbers `document_number` makes
    ('MSP-ONE-' + 000042); `payment_terms_days` gives the due date (`due_date`).
    """

    display_name: str
    address_lines: tuple[str, ...] = ()
    tax_id: str | None = None
    logo: Logo | None = None
    accent_colour: str = "#1F4E79"
    payment_terms_days: int = 30
    footer_text: str = ""
    invoice_prefix: str = "INV-"
    credit_note_prefix: str = "CN-"
    email: str | None = None
    accounting: AccountingCodes = field(default_factory=AccountingCodes)

    def __post_init__(self) -> None:
        _check_text(self.display_name, "display_name", required=True)
        object.__setattr__(self, "address_lines", _check_lines(self.address_lines, "address_lines"))
        object.__setattr__(self, "tax_id", _check_text(self.tax_id, "tax_id", limit=40) or None)
        if self.logo is not None and not isinstance(self.logo, Logo):
            raise ValueError(f"logo must be a Logo (bytes and type; see load_logo), got {type(self.logo).__name__}.")
        object.__setattr__(self, "accent_colour", check_colour(self.accent_colour))
        check_terms(self.payment_terms_days)
        _check_text(self.footer_text, "footer_text", limit=400)
        check_prefix(self.invoice_prefix, "invoice_prefix")
        check_prefix(self.credit_note_prefix, "credit_note_prefix")
        if self.invoice_prefix == self.credit_note_prefix:
            raise ValueError(f"credit_note_prefix must differ from invoice_prefix ({self.invoice_prefix!r}), "
                             f"so that invoice and credit note numbers never collide.")
        object.__setattr__(self, "email", check_email(self.email, "email"))
        if not isinstance(self.accounting, AccountingCodes):
            raise ValueError(f"accounting must be AccountingCodes, got {type(self.accounting).__name__}.")

    @classmethod
    def plain(cls, seller_id: str, display_name: str | None = None) -> Branding:
        """What a seller without branding gets: its name, the default colour and terms, and the
        number prefix the issue step has always used ('MSP-ONE-')."""
        return cls(display_name=display_name or seller_id, invoice_prefix=f"{seller_id.upper()}-"[:24],
                   credit_note_prefix=f"CN-{seller_id.upper()}-"[:24])


def document_number(prefix: str, sequence: int) -> str:
    """'MSP-ONE-', 42 → 'MSP-ONE-000042' (sequential per seller and per document kind)."""
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise ValueError(f"a document sequence number must be a positive whole number, got {sequence!r}.")
    return f"{check_prefix(prefix, 'prefix')}{sequence:06d}"


def due_date(issue_date: date, terms_days: int) -> date:
    """The date payment is due: issue date + the seller's payment terms."""
    return issue_date + timedelta(days=check_terms(terms_days))
