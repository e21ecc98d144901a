"""The words and bounds a configuration document may use, and one validator per field type.

Numbers are never floats: a field's value arrives as the text the YAML loader kept, and money
and percentages are built from that text (`pricing.money.D`). Each validator refuses with a
sentence that says what was given and what is allowed; the `Annotated` types at the bottom are
what the document models (models.py) declare their fields with."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator

from pricing.money import HUNDRED, ISO_CURRENCIES, ZERO, D
from pricing.periods import parse_period

ROOT_KINDS = ("distributor", "reseller")
ORG_KINDS = ("reseller", "customer")
SECTIONS = ("root", "organizations", "account_mappings", "plans", "fx_rates", "users", "budgets")

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
_BCRYPT_RE = re.compile(r"^\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

ID_RULE = "an id of letters, digits, '.', '_' or '-' (starting with a letter or digit, at most 64)"
PCT_PLACES = 4       # DECIMAL(9,4) for tax and share percentages; factors are DECIMAL(20,10)
LEDGER_PLACES = 10
# Bounds on what one plan or rate may say (issue #9, item 4). Invoices, lines and the ledger are
# DECIMAL(38,10): below 10^28. A fee, tier start, markup or rate beyond what a business could
# mean is refused here, when it is saved, so that no organisation's plan can overflow a column
# and stop the billing run of every other organisation.
MAX_AMOUNT = Decimal("1e12")       # a fixed fee per period: below a trillion
MAX_TIER_START = Decimal("1e15")   # a band start: a period subtotal a buyer could reach
MAX_MARKUP_PCT = Decimal("1000")   # price at most 11 × its basis
MAX_FX_RATE = Decimal("1e7")       # above every active currency per unit of another (IRR ≈ 10^6)


def _places(value: Decimal) -> int:
    exp = value.as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def _decimal(value: Any) -> Decimal:
    if isinstance(value, (float, bool)):
        raise ValueError(f"{value!r} is not exact; allowed: a decimal number written as text, e.g. \"500.00\"")
    if isinstance(value, (list, dict)) or value is None:
        raise ValueError("allowed: a decimal number, e.g. \"500.00\"")
    try:
        number = D(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number; allowed: a decimal number, e.g. \"500.00\"") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number; allowed: a decimal number, e.g. \"500.00\"")
    if _places(number) > LEDGER_PLACES:
        raise ValueError(f"{value!r} has more than {LEDGER_PLACES} decimal places; allowed: at most {LEDGER_PLACES}")
    return number


def _amount(value: Any) -> Decimal:
    number = _decimal(value)
    if number < 0:
        raise ValueError(f"{value!r} is negative; allowed: an amount ≥ 0")
    if number >= MAX_AMOUNT:
        raise ValueError(f"{value!r} is too large; allowed: an amount ≥ 0 and below "
                         f"{MAX_AMOUNT:,f} (a fee per period, in the buyer's currency)")
    return number


def _tier_start(value: Any) -> Decimal:
    number = _decimal(value)
    if number < 0:
        raise ValueError(f"{value!r} is negative; allowed: a band start ≥ 0")
    if number >= MAX_TIER_START:
        raise ValueError(f"{value!r} is too large; allowed: a band start ≥ 0 and below "
                         f"{MAX_TIER_START:,f} (a period subtotal in the buyer's currency)")
    return number


def _pct(value: Any) -> Decimal:
    number = _decimal(value)
    if not ZERO <= number <= HUNDRED:
        raise ValueError(f"{value!r} is out of range; allowed: a percentage from 0 to 100")
    if _places(number) > PCT_PLACES:
        raise ValueError(f"{value!r} has more than {PCT_PLACES} decimal places; allowed: at most {PCT_PLACES}")
    return number


def _markup(value: Any) -> Decimal:
    number = _decimal(value)
    if number < 0:
        raise ValueError(f"{value!r} is negative; allowed: a percentage ≥ 0 (use discount_pct to go below the basis)")
    if number > MAX_MARKUP_PCT:
        raise ValueError(f"{value!r} is out of range; allowed: a percentage from 0 to {MAX_MARKUP_PCT:f} "
                         "(at most 11 times the basis)")
    if _places(number) > PCT_PLACES:
        raise ValueError(f"{value!r} has more than {PCT_PLACES} decimal places; allowed: at most {PCT_PLACES}")
    return number


def _rate(value: Any) -> Decimal:
    number = _decimal(value)
    if number <= 0 or number >= MAX_FX_RATE:
        raise ValueError(f"{value!r} is out of range; allowed: a rate > 0 and below {MAX_FX_RATE:,f}")
    return number


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("allowed: text")
    value = value.strip()
    if not value:
        raise ValueError("is empty; allowed: non-empty text")
    return value


def _id(value: Any) -> str:
    value = _text(value)
    if not _ID_RE.match(value):
        raise ValueError(f"{value!r} is not a valid id; allowed: {ID_RULE}")
    return value


def _username(value: Any) -> str:
    value = _text(value)
    if not _USERNAME_RE.match(value):
        raise ValueError(f"{value!r} is not a valid username; allowed: letters, digits, '.', '_', "
                         "'@', '+' or '-', starting with a letter or digit, at most 64")
    return value


def _currency(value: Any) -> str:
    value = _text(value)
    if value not in ISO_CURRENCIES:
        raise ValueError(f"{value!r} is not a currency; allowed: an active ISO 4217 code in "
                         "capitals, e.g. USD, EUR, GBP")
    return value


def _period(value: Any) -> dt.date:
    try:
        return parse_period(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a billing period; allowed: a month written YYYY-MM, "
                         f"e.g. 2026-05") from None


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip()) if isinstance(value, str) else _bad_date(value)
    except ValueError:
        return _bad_date(value)


def _bad_date(value: Any) -> dt.date:
    raise ValueError(f"{value!r} is not a date; allowed: YYYY-MM-DD, e.g. 2026-01-01")


def _bcrypt(value: Any) -> str:
    value = _text(value)
    if not _BCRYPT_RE.match(value):
        raise ValueError("is not a bcrypt hash; allowed: a hash like \"$2b$10$…\" (never a plain "
                         "password), made with: python cli.py hash-password")
    return value


def _email(value: Any) -> str:
    value = _text(value)
    if not _EMAIL_RE.match(value):
        raise ValueError(f"{value!r} is not an e-mail address; allowed: name@example.com")
    return value


Dec = Annotated[Decimal, BeforeValidator(_decimal)]
Amount = Annotated[Decimal, BeforeValidator(_amount)]
Pct = Annotated[Decimal, BeforeValidator(_pct)]
MarkupPct = Annotated[Decimal, BeforeValidator(_markup)]
Rate = Annotated[Decimal, BeforeValidator(_rate)]
TierStart = Annotated[Decimal, BeforeValidator(_tier_start)]
Text = Annotated[str, BeforeValidator(_text)]
Id = Annotated[str, BeforeValidator(_id)]
Username = Annotated[str, BeforeValidator(_username)]
Currency = Annotated[str, BeforeValidator(_currency)]
Period = Annotated[dt.date, BeforeValidator(_period)]
Date = Annotated[dt.date, BeforeValidator(_date)]
BcryptHash = Annotated[str, BeforeValidator(_bcrypt)]
Email = Annotated[str, BeforeValidator(_email)]
