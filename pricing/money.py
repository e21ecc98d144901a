"""Money the beancount way: Decimal built from strings, explicit currency, one rounding rule.

- `D("9500.00")` is the one way to make a number; floats are refused.
- `Amount` is an immutable (number, currency) pair; adding different currencies is an error.
- Ledger amounts keep 10 decimal places (`LEDGER_PLACES`, DuckDB DECIMAL(38,10));
  an invoice line is rounded once, half away from zero, to the currency's minor unit.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from functools import cache

ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")
ROUNDING = ROUND_HALF_UP          # half away from zero, as DuckDB's DECIMAL round()/cast
LEDGER_PLACES = 10                # DECIMAL(38,10)
LEDGER_QUANTUM = Decimal(1).scaleb(-LEDGER_PLACES)
PRECISION = 80                    # significant digits for intermediate arithmetic (see calc)

# ISO 4217 minor units; anything not listed has 2.
MINOR_UNITS: dict[str, int] = {
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}

# Active ISO 4217 codes (the ones a billing currency can be).
ISO_CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES
VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
""".split())


def D(value: str | int | Decimal) -> Decimal:
    """Build a Decimal from a string (or int/Decimal). Floats are refused: they are not exact."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"money is never built from {type(value).__name__}: {value!r}")
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc


def minor_unit(currency: str) -> int:
    """Digits after the decimal point for the currency (JPY 0, USD 2, KWD 3)."""
    return MINOR_UNITS.get(currency.upper(), 2)


@cache
def _minor_quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def round_line(number: Decimal, currency: str) -> Decimal:
    """THE rounding rule: once per invoice line, half away from zero, to the minor unit. Never
    −0.00 (a DECIMAL column has no negative zero, and neither does a document)."""
    return number.quantize(_minor_quantum(currency), rounding=ROUNDING) + ZERO


def round_to_total(parts: list[Decimal], currency: str) -> tuple[Decimal, list[Decimal]]:
    """Round parts of a sum for display so that the shown parts add up to the shown total.

    The total is round_line(sum(parts)); each part is first cut down to the minor unit (toward
    minus infinity), then the minor units still missing go one each to the parts with the largest
    cut-off remainders (ties: the earlier part), the largest-remainder method. A part moves by
    less than one minor unit; a part already on the minor unit never moves. For reports that
    show a sum beside its terms (reconciliation), never for invoice lines."""
    q = _minor_quantum(currency)
    with calc():
        total = round_line(sum(parts, ZERO), currency)
        floors = [p.quantize(q, rounding=ROUND_FLOOR) for p in parts]
        missing = int((total - sum(floors, ZERO)) / q)
        order = sorted(range(len(parts)), key=lambda i: (-(parts[i] - floors[i]), i))
        shown = list(floors)
        for i in order[:missing]:
            shown[i] += q
    return total, [v + ZERO for v in shown]


def ledger(number: Decimal) -> Decimal:
    """Quantize to the ledger's 10 places exactly as DuckDB's cast to DECIMAL(38,10) does."""
    with localcontext() as ctx:
        ctx.prec = 80
        return number.quantize(LEDGER_QUANTUM, rounding=ROUNDING)


def calc():
    """Context for intermediate money arithmetic: 80 significant digits and half-away rounding,
    so sums and products of DECIMAL(38,10) amounts and DECIMAL(20,10) rates stay exact until
    they are quantized where docs/pricing.md says. Use as `with calc(): ...`."""
    return localcontext(prec=PRECISION, rounding=ROUNDING)


def pct_factor_discount(pct: Decimal) -> Decimal:
    """price = basis × (1 − p/100)."""
    return ONE - pct / HUNDRED


def pct_factor_markup(pct: Decimal) -> Decimal:
    """price = basis × (1 + p/100)."""
    return ONE + pct / HUNDRED


@dataclass(frozen=True, slots=True)
class Amount:
    """An immutable (number, currency) pair."""

    number: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.number, Decimal):
            raise TypeError(f"Amount.number must be Decimal, got {type(self.number).__name__}")
        if self.currency not in ISO_CURRENCIES:
            raise ValueError(f"unknown currency {self.currency!r}")

    @classmethod
    def of(cls, number: str | int | Decimal, currency: str) -> "Amount":
        return cls(D(number), currency)

    def _same(self, other: "Amount") -> None:
        if not isinstance(other, Amount):
            raise TypeError(f"cannot combine Amount with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"cannot add {self.currency} and {other.currency}; convert explicitly")

    def __add__(self, other: "Amount") -> "Amount":
        self._same(other)
        return Amount(self.number + other.number, self.currency)

    def __sub__(self, other: "Amount") -> "Amount":
        self._same(other)
        return Amount(self.number - other.number, self.currency)

    def __neg__(self) -> "Amount":
        return Amount(-self.number, self.currency)

    def rounded(self) -> "Amount":
        """This amount rounded by THE rule (see round_line)."""
        return Amount(round_line(self.number, self.currency), self.currency)

    def __str__(self) -> str:
        return f"{self.number} {self.currency}"
