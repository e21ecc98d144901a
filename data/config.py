"""Configuration as code: the hierarchy, account mappings, price plans, FX rates and users
as ONE YAML document (docs/config.md).

- `parse_config(text)` / `load_config(path)` read and validate a document. Every problem is
  collected; one `ConfigError` lists them, one per line, each naming the file, the path in
  the document (`plans[2].rules[0].basis`), the line, and what is allowed.
- Numbers are never floats: the YAML loader keeps every scalar as its text, and money and
  percentages are built from that text (`pricing.money.D`). IDs such as 200000000012 stay
  strings even when written unquoted.
- `to_pricing(doc)` builds the pure objects the pricing engine uses.
- `import_config(con, doc)` replaces the cfg_* tables in one transaction and stores the
  document as a new version in cfg_documents; `current_config` / `export_config` read it back.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Iterable, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    model_validator,
)

from pricing.money import D, HUNDRED, ISO_CURRENCIES, ZERO
from pricing.plans import (
    BASES,
    MATCH_FIELDS,
    TIER_MODES,
    Band,
    Fee,
    Plan,
    Rule,
    Tiers,
)
from queries import sql

ROLES = ("admin", "leader", "account_manager", "customer")
ROOT_KINDS = ("distributor", "reseller")
ORG_KINDS = ("reseller", "customer")
SECTIONS = ("root", "organizations", "account_mappings", "plans", "fx_rates", "users")

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
_BCRYPT_RE = re.compile(r"^\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")

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


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem: where (file, path in the document, line) and what is wrong / allowed."""

    source: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.path or '(document)'}: {self.message}"


class ConfigError(ValueError):
    """The document is not valid. `issues` holds every problem; str() lists one per line."""

    def __init__(self, issues: list[ConfigIssue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


def format_path(path: Iterable[str | int]) -> str:
    """('plans', 2, 'rules', 0, 'basis') -> 'plans[2].rules[0].basis'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_PATH_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def parse_path(text: str) -> Path_:
    """'plans[2].rules[0].basis' -> ('plans', 2, 'rules', 0, 'basis')."""
    return tuple(int(m.group(1)) if m.group(1) is not None else m.group(2)
                 for m in _PATH_TOKEN.finditer(text or ""))


# --------------------------------------------------------------------------------------------
# YAML: every scalar stays text (no floats, no ints that lose leading zeros, no dates, no
# yes/no booleans); only null and merge keys keep their YAML meaning.
# --------------------------------------------------------------------------------------------

class _TextLoader(yaml.SafeLoader):
    """SafeLoader whose implicit scalars are all strings (except null and `<<`)."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int], list[ConfigIssue]]:
    """Parse YAML to plain data + a map path -> line, and issues (duplicate keys)."""
    loader = _TextLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigIssue(source, "", f"not valid YAML: {problem}; allowed: a YAML "
                                       "mapping with the keys " + ", ".join(SECTIONS), line)])
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    issues: list[ConfigIssue] = []

    def walk(n: yaml.Node, path: Path_) -> None:
        lines.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in n.value:
                if not isinstance(k, yaml.ScalarNode) or k.value == "<<":
                    continue
                if k.value in seen:
                    issues.append(ConfigIssue(
                        source, format_path(path + (k.value,)),
                        f"key {k.value!r} appears twice in one mapping; allowed: each key once",
                        k.start_mark.line + 1))
                seen.add(k.value)
                lines.setdefault(path + (k.value,), k.start_mark.line + 1)
                walk(v, path + (k.value,))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, path + (i,))

    if node is not None:
        walk(node, ())
    return data, lines, issues


# --------------------------------------------------------------------------------------------
# Field types
# --------------------------------------------------------------------------------------------

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
    if isinstance(value, dt.date):
        return value.replace(day=1)
    m = _PERIOD_RE.match(value.strip()) if isinstance(value, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"{value!r} is not a billing period; allowed: a month written YYYY-MM, e.g. 2026-05")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


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
        raise ValueError("is not a bcrypt hash; allowed: a hash like \"$2b$12$…\" (never a plain "
                         "password), e.g. from python -c \"import bcrypt; "
                         "print(bcrypt.hashpw(b'secret', bcrypt.gensalt()).decode())\"")
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


# --------------------------------------------------------------------------------------------
# The document
# --------------------------------------------------------------------------------------------

class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RootSpec(_Spec):
    """The organisation that runs the installation (top of the tree)."""

    id: Id
    name: Text
    kind: Literal["distributor", "reseller"]
    currency: Currency
    country: Text | None = None          # ours: ISO 3166 alpha-2, informational


class OrgSpec(_Spec):
    """A reseller or customer below the root (or the root itself, from organizations_all())."""

    id: Id
    name: Text
    kind: Literal["reseller", "customer"]       # the root's kind comes from root
    parent: Id | None = None
    currency: Currency
    plan: Id | None = None
    tax_rate_pct: Pct = ZERO
    country: Text | None = None          # ours: informational



class MappingSpec(_Spec):
    """Routes FOCUS rows to a customer: by sub-account, by billing account, or by tag."""

    provider: Text | None = None
    sub_account_id: Text | None = None
    billing_account_id: Text | None = None
    tag: Text | None = None
    value: Text | None = None
    customer: Id
    valid_from: Date | None = Field(default=None, alias="from")
    valid_to: Date | None = Field(default=None, alias="to")           # exclusive

    @model_validator(mode="after")
    def _shape(self) -> "MappingSpec":
        given = {k for k in ("provider", "sub_account_id", "billing_account_id", "tag", "value")
                 if getattr(self, k) is not None}
        if given not in ({"provider", "sub_account_id"}, {"provider", "billing_account_id"},
                         {"tag", "value"}):
            raise ValueError(
                "a mapping names its rows in exactly one way; allowed: {provider, sub_account_id}, "
                "{provider, billing_account_id} or {tag, value} (got "
                + (", ".join(sorted(given)) or "none") + ")")
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError("'to' is not after 'from'; allowed: to > from (to is exclusive)")
        return self

    @property
    def kind(self) -> str:
        return "tag" if self.tag is not None else ("sub_account" if self.sub_account_id is not None
                                                   else "billing_account")

    @property
    def key(self) -> tuple[str, ...]:
        """What the mapping claims: two mappings with one key and overlapping dates collide."""
        if self.tag is not None:
            return ("tag", self.tag, self.value or "")
        if self.sub_account_id is not None:
            return ("sub_account", self.provider or "", self.sub_account_id)
        return ("billing_account", self.provider or "", self.billing_account_id or "")


def _match(value: Any) -> Any:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("allowed: a mapping of field: value with the fields " + ", ".join(MATCH_FIELDS))
    bad = [k for k in value if k not in MATCH_FIELDS]
    if bad:
        raise ValueError(f"unknown match field {bad[0]!r}; allowed: " + ", ".join(MATCH_FIELDS))
    return value


class RuleSpec(_Spec):
    match: Annotated[dict[str, Text], BeforeValidator(_match)] = Field(default_factory=dict)
    basis: Literal["list", "contracted", "effective", "cost"]
    discount_pct: Pct | None = None
    markup_pct: MarkupPct | None = None

    @model_validator(mode="after")
    def _one_adjustment(self) -> "RuleSpec":
        if self.discount_pct is not None and self.markup_pct is not None:
            raise ValueError("has both discount_pct and markup_pct; allowed: one of them (or neither: price = basis)")
        return self

    def to_rule(self) -> Rule:
        return Rule(match=tuple(sorted(self.match.items())), basis=self.basis,
                    discount_pct=self.discount_pct, markup_pct=self.markup_pct)


class BandSpec(_Spec):
    start: TierStart = Field(alias="from")
    discount_pct: Pct


class TiersSpec(_Spec):
    mode: Literal["graduated", "volume"]
    bands: list[BandSpec] = Field(min_length=1)

    def to_tiers(self) -> Tiers:
        return Tiers(mode=self.mode, bands=tuple(Band(b.start, b.discount_pct) for b in self.bands))


class FeeSpec(_Spec):
    name: Text
    amount: Amount | None = None             # per period, in the buyer's currency
    pct_of_usage: Pct | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "FeeSpec":
        if (self.amount is None) == (self.pct_of_usage is None):
            raise ValueError("a fee is fixed or a percentage; allowed: exactly one of amount, pct_of_usage")
        return self

    def to_fee(self) -> Fee:
        return Fee(name=self.name, amount=self.amount, pct_of_usage=self.pct_of_usage)


class PlanSpec(_Spec):
    id: Id
    owner: Id
    name: Text | None = None                 # ours: display name
    rules: list[RuleSpec] = Field(min_length=1)
    credits: Literal["retain", "pass_through"] = "retain"
    tiers: TiersSpec | None = None
    fees: list[FeeSpec] = Field(default_factory=list)
    commitments: Literal["pass_through", "retain", "share"] = "pass_through"
    commitment_share_pct: Pct | None = None

    def to_plan(self) -> Plan:
        return Plan(
            id=self.id, owner=self.owner, rules=tuple(r.to_rule() for r in self.rules),
            credits=self.credits, tiers=self.tiers.to_tiers() if self.tiers else None,
            fees=tuple(f.to_fee() for f in self.fees), commitments=self.commitments,
            commitment_share_pct=self.commitment_share_pct,
        )


class FxRateSpec(_Spec):
    period: Period
    from_ccy: Currency = Field(alias="from")
    to_ccy: Currency = Field(alias="to")
    rate: Rate

    @field_serializer("period")
    def _month(self, value: dt.date) -> str:
        return value.strftime("%Y-%m")

    @model_validator(mode="after")
    def _pair(self) -> "FxRateSpec":
        if self.from_ccy == self.to_ccy:
            raise ValueError(f"from and to are both {self.from_ccy}; allowed: two different currencies")
        return self


class UserSpec(_Spec):
    username: Username
    name: Text
    email: Email | None = None               # ours
    org: Id
    roles: list[Literal["admin", "leader", "account_manager", "customer"]] = Field(min_length=1)
    customers: list[Id] | None = None        # ours: account managers' assigned customers
    cost_groups: list[Text] | None = None    # ours: optional restriction for customer users
    password_hash: BcryptHash


class ConfigDocument(_Spec):
    """The whole configuration document."""

    root: RootSpec
    organizations: list[OrgSpec] = Field(default_factory=list)
    account_mappings: list[MappingSpec] = Field(default_factory=list)
    plans: list[PlanSpec] = Field(default_factory=list)
    fx_rates: list[FxRateSpec] = Field(default_factory=list)
    users: list[UserSpec] = Field(default_factory=list)

    def root_org(self) -> OrgSpec:
        r = self.root
        return OrgSpec.model_construct(id=r.id, name=r.name, kind=r.kind, parent=None,
                                       currency=r.currency, plan=None, tax_rate_pct=ZERO,
                                       country=r.country)

    def organizations_all(self) -> list[OrgSpec]:
        """The root (as an OrgSpec without parent or plan) followed by `organizations`."""
        return [self.root_org(), *self.organizations]

    def to_json(self) -> str:
        """The document as stored in cfg_documents (money as strings, periods as YYYY-MM)."""
        return json.dumps(self.to_data(), ensure_ascii=False, sort_keys=False)

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-ready data: decimals as strings, absent optional keys left out, and an
        empty rule `match` / plan `fees` left out (they are the defaults)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        for plan in data.get("plans", []):
            if not plan.get("fees"):
                plan.pop("fees", None)
            for rule in plan.get("rules", []):
                if not rule.get("match"):
                    rule.pop("match", None)
        return data


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------

class _Collector:
    def __init__(self, source: str, lines: dict[Path_, int]):
        self.source = source
        self.lines = lines
        self.issues: list[ConfigIssue] = []

    def line_of(self, path: Path_) -> int | None:
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None

    def add(self, path: Path_, message: str) -> None:
        self.issues.append(ConfigIssue(self.source, format_path(path), message, self.line_of(path)))

    def add_validation(self, prefix: Path_, exc: ValidationError, model: type[BaseModel]) -> None:
        for err in exc.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if p != "[key]")
            self.add(prefix + loc, _message(err, model, loc))


def _message(err: dict[str, Any], model: type[BaseModel], loc: Path_) -> str:
    kind, msg, ctx = err["type"], err["msg"], err.get("ctx") or {}
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        return f"unknown key {loc[-1]!r}; allowed: " + ", ".join(allowed)
    if kind == "missing":
        return "is required; " + _allowed_hint(model, loc)
    if kind == "literal_error":
        return f"{err.get('input')!r} is not allowed; allowed: " + ", ".join(
            x.strip().strip("'") for x in re.split(r",| or ", ctx.get("expected", "")) if x.strip())
    if kind in ("list_type", "tuple_type"):
        return "is not a list; allowed: a list (- item, or [a, b])"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "is not a mapping; allowed: a mapping of key: value (" + ", ".join(_allowed_keys(model, loc)) + ")"
    if kind == "too_short":
        return "is empty; allowed: at least one item"
    if kind == "string_type":
        return "allowed: text"
    return msg


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    import typing
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _model_at(model: type[BaseModel], loc: Path_) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current


def _allowed_keys(model: type[BaseModel], loc: Path_) -> list[str]:
    found = _model_at(model, loc)
    if found is None:
        return []
    return [f.alias or n for n, f in found.model_fields.items()]


_HINTS = {
    "id": ID_RULE, "name": "text", "username": "a username (letters, digits, '.', '_', '@', '+', '-')",
    "kind": "reseller, customer", "currency": "an ISO 4217 code, e.g. USD",
    "parent": "the id of the root or of a reseller", "plan": "the id of a plan owned by the parent",
    "owner": "the id of the root or of a reseller", "customer": "the id of a customer",
    "org": "the id of the root or of an organisation", "rules": "a list of rules",
    "basis": ", ".join(BASES), "mode": ", ".join(TIER_MODES), "bands": "a list of {from, discount_pct}",
    "discount_pct": "a percentage from 0 to 100", "roles": "a list of " + ", ".join(ROLES),
    "password_hash": "a bcrypt hash", "period": "a month written YYYY-MM", "rate": "a decimal number > 0",
    "to": "a currency (fx_rates) or a date (account_mappings)",
}


def _allowed_hint(model: type[BaseModel], loc: Path_) -> str:
    key = str(loc[-1]) if loc else ""
    if key == "kind" and loc[:1] == ("root",):
        return "allowed: " + ", ".join(ROOT_KINDS)
    if key == "from":
        return "allowed: " + {BandSpec: "the band's start amount, e.g. 0",
                              FxRateSpec: "an ISO 4217 code, e.g. USD"}.get(_model_at(model, loc[:-1]), "a value")
    return "allowed: " + _HINTS.get(key, "a value for " + key)


def _validate_items(col: _Collector, raw: Any, section: str, model: type[_Spec]
                    ) -> tuple[list[tuple[int, Any]], list[tuple[int, dict]]]:
    """Validate each item of a list section alone; return (index, spec) of the valid ones and
    the raw mappings of the invalid ones (their ids still count as known)."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        col.add((section,), "is not a list; allowed: a list of items (- {...})")
        return [], []
    ok: list[tuple[int, Any]] = []
    bad: list[tuple[int, dict]] = []
    for i, item in enumerate(raw):
        try:
            ok.append((i, model.model_validate(item)))
        except ValidationError as exc:
            col.add_validation((section, i), exc, model)
            if isinstance(item, dict):
                bad.append((i, item))
    return ok, bad


def parse_config(text: str, source: str = "<text>") -> ConfigDocument:
    """Parse and validate a YAML configuration document; ConfigError lists every problem."""
    data, lines, yaml_issues = _load_yaml(text, source)
    return _validate_data(data, lines, yaml_issues, source)


def _validate_data(data: Any, lines: dict[Path_, int], yaml_issues: list[ConfigIssue],
                   source: str) -> ConfigDocument:
    """Validate document data (as the YAML loader gives it: every scalar text); `lines` maps
    document paths to the lines issues name (save_plan maps only its plan's paths)."""
    col = _Collector(source, lines)
    col.issues.extend(yaml_issues)
    if not isinstance(data, dict):
        col.add((), "the document is empty or not a mapping; allowed: a mapping with the keys "
                + ", ".join(SECTIONS) + " (root is required)")
        raise ConfigError(col.issues)
    for key in data:
        if key not in SECTIONS:
            col.add((key,), f"unknown key {key!r}; allowed: " + ", ".join(SECTIONS))

    root: RootSpec | None = None
    if "root" not in data:
        col.add(("root",), "is required; allowed: {id, name, kind: distributor | reseller, currency}")
    else:
        try:
            root = RootSpec.model_validate(data["root"])
        except ValidationError as exc:
            col.add_validation(("root",), exc, RootSpec)
            raw_root = data["root"]
            if isinstance(raw_root, dict) and isinstance(raw_root.get("id"), str):
                # Keep checking the rest against the root's id; its currency only if valid.
                ccy = raw_root.get("currency")
                root = RootSpec.model_construct(
                    id=raw_root["id"], name=str(raw_root.get("name") or raw_root["id"]),
                    kind=raw_root.get("kind") if raw_root.get("kind") in ROOT_KINDS else "distributor",
                    currency=ccy if ccy in ISO_CURRENCIES else "", country=None)

    sections = {
        "organizations": OrgSpec, "account_mappings": MappingSpec, "plans": PlanSpec,
        "fx_rates": FxRateSpec, "users": UserSpec,
    }
    valid: dict[str, list[tuple[int, Any]]] = {}
    invalid: dict[str, list[tuple[int, dict]]] = {}
    for name, model in sections.items():
        valid[name], invalid[name] = _validate_items(col, data.get(name), name, model)

    if root is not None:
        shadow_orgs = {str(r.get("id")) for _, r in invalid["organizations"] if r.get("id") is not None}
        shadow_plans = {str(r.get("id")) for _, r in invalid["plans"] if r.get("id") is not None}
        _check(col, root, valid, shadow_orgs, shadow_plans)
        _check_broken_plans(col, root, valid, invalid["plans"], shadow_orgs)

    if col.issues:
        col.issues.sort(key=lambda i: (i.line or 10**9))
        raise ConfigError(col.issues)
    return ConfigDocument(
        root=root,
        **{name: [spec for _, spec in items] for name, items in valid.items()},
    )


def load_config(path: str | Path) -> ConfigDocument:
    """Read, parse and validate the YAML file at `path`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(p), "", f"cannot read the file ({exc.strerror}); "
                                       "allowed: a readable UTF-8 YAML file")]) from exc
    return parse_config(text, source=str(p))


def validate_document(doc: ConfigDocument, source: str = "<document>") -> None:
    """Run the cross-reference checks on an already-built document (import_config does)."""
    col = _Collector(source, {})
    valid = {name: list(enumerate(getattr(doc, name)))
             for name in ("organizations", "account_mappings", "plans", "fx_rates", "users")}
    _check(col, doc.root, valid, set(), set())
    if col.issues:
        raise ConfigError(col.issues)


def _check(col: _Collector, root: RootSpec, valid: dict[str, list[tuple[int, Any]]],
           shadow_orgs: set[str], shadow_plans: set[str]) -> None:
    """Cross-reference checks over the structurally valid items (docs/config.md lists them)."""
    orgs: list[tuple[int, OrgSpec]] = valid["organizations"]
    plans: list[tuple[int, PlanSpec]] = valid["plans"]

    # --- organisations: unique ids, parents, cycles, plans -----------------------------------
    issues_before_tree = len(col.issues)
    by_id: dict[str, OrgSpec] = {root.id: OrgSpec.model_construct(
        id=root.id, name=root.name, kind=root.kind, parent=None, currency=root.currency,
        plan=None, tax_rate_pct=ZERO)}
    index_of: dict[str, int] = {}
    for i, org in orgs:
        if org.id in by_id:
            first = "root" if org.id == root.id else f"organizations[{index_of[org.id]}]"
            col.add(("organizations", i, "id"), f"duplicate id {org.id!r} (also {first}); allowed: "
                    "an id no other organisation uses")
            continue
        by_id[org.id] = org
        index_of[org.id] = i
    sellers = sorted(o.id for o in by_id.values() if o.kind != "customer")
    known_orgs = set(by_id) | shadow_orgs

    # Plans first (org checks need their owners).
    plan_by_id: dict[str, PlanSpec] = {}
    plan_index: dict[str, int] = {}
    for i, plan in plans:
        if plan.id in plan_by_id:
            col.add(("plans", i, "id"), f"duplicate id {plan.id!r} (also plans[{plan_index[plan.id]}]); "
                    "allowed: an id no other plan uses")
            continue
        plan_by_id[plan.id] = plan
        plan_index[plan.id] = i

    parent_ok: dict[str, bool] = {root.id: True}
    for i, org in orgs:
        if index_of.get(org.id) != i:
            continue
        if org.parent is None:
            col.add(("organizations", i, "parent"), "is required; allowed: the id of the root "
                    f"({root.id}) or of a reseller: " + ", ".join(sellers))
            parent_ok[org.id] = False
        elif org.parent not in known_orgs:
            col.add(("organizations", i, "parent"), f"unknown organisation {org.parent!r}; allowed: "
                    "the root or a reseller: " + ", ".join(sellers))
            parent_ok[org.id] = False
        elif org.parent in by_id and by_id[org.parent].kind == "customer":
            col.add(("organizations", i, "parent"), f"{org.parent!r} is a customer and cannot have "
                    "organisations below it; allowed: the root or a reseller: " + ", ".join(sellers))
            parent_ok[org.id] = False
        else:
            parent_ok[org.id] = org.parent in by_id

    # Cycles: follow parents; a chain that never reaches the root is a cycle.
    in_cycle: set[str] = set()
    for i, org in orgs:
        if index_of.get(org.id) != i or org.id in in_cycle:
            continue
        chain, cur = [], org.id
        while cur in by_id and cur != root.id and cur not in chain and parent_ok.get(cur):
            chain.append(cur)
            cur = by_id[cur].parent
        if cur in chain:
            loop = chain[chain.index(cur):] + [cur]
            if not in_cycle.intersection(loop):
                col.add(("organizations", index_of[cur], "parent"),
                        "the parents form a cycle (" + " → ".join(loop) + "); allowed: a tree in "
                        f"which every organisation leads up to the root {root.id!r}")
            in_cycle.update(loop)

    for i, org in orgs:
        if index_of.get(org.id) != i:
            continue
        path = ("organizations", i, "plan")
        parent = org.parent if parent_ok.get(org.id) and org.id not in in_cycle else None
        owned = sorted(p.id for p in plan_by_id.values() if p.owner == parent) if parent else []
        allowed = (f"allowed: a plan owned by {parent!r}: " + (", ".join(owned) or "none yet"))\
            if parent else "allowed: a plan owned by its parent"
        if org.plan is None:
            col.add(path, "is required: every organisation below the root is sold to on a plan of "
                    f"its parent; {allowed}")
        elif org.plan in shadow_plans:
            pass
        elif org.plan not in plan_by_id:
            col.add(path, f"unknown plan {org.plan!r}; {allowed}")
        elif parent is not None and plan_by_id[org.plan].owner != parent:
            col.add(path, f"plan {org.plan!r} is owned by {plan_by_id[org.plan].owner!r}, not by this "
                    f"organisation's parent {parent!r}; {allowed}")

    _check_tree_helper(col, orgs, index_of, by_id,
                       len(col.issues) - issues_before_tree + len(shadow_orgs))

    # --- plans: owners, rules, tiers, fees -----------------------------------------------------
    for i, plan in plans:
        if plan_index.get(plan.id) != i:
            continue
        if plan.owner in shadow_orgs and plan.owner not in by_id:
            pass
        elif plan.owner not in by_id:
            col.add(("plans", i, "owner"), f"unknown organisation {plan.owner!r}; allowed: the root "
                    "or a reseller: " + ", ".join(sellers))
        elif by_id[plan.owner].kind == "customer":
            col.add(("plans", i, "owner"), f"{plan.owner!r} is a customer and sells to nobody; "
                    "allowed: the root or a reseller: " + ", ".join(sellers))
        _check_plan_model(col, ("plans", i), plan)

    # --- account mappings ------------------------------------------------------------------
    customers = sorted(o.id for o in by_id.values() if o.kind == "customer")
    claimed: dict[tuple[str, ...], list[tuple[int, MappingSpec]]] = {}
    for i, m in valid["account_mappings"]:
        if m.customer not in known_orgs:
            col.add(("account_mappings", i, "customer"), f"unknown organisation {m.customer!r}; "
                    "allowed: the id of a customer (kind: customer)")
        elif m.customer in by_id and by_id[m.customer].kind != "customer":
            col.add(("account_mappings", i, "customer"), f"{m.customer!r} is a "
                    f"{by_id[m.customer].kind}, not a customer; allowed: the id of a customer "
                    "(kind: customer)")
        for j, other in claimed.get(m.key, []):
            if _overlap(m.valid_from, m.valid_to, other.valid_from, other.valid_to):
                what = {"tag": f"tag {m.tag}={m.value}",
                        "sub_account": f"{m.provider} sub-account {m.sub_account_id}",
                        "billing_account": f"{m.provider} billing account {m.billing_account_id}"}[m.kind]
                if other.customer != m.customer:
                    col.add(("account_mappings", i), f"{what} is already claimed by "
                            f"{other.customer!r} (account_mappings[{j}]) for overlapping dates; "
                            "allowed: one customer per account at any date (use from/to to hand "
                            "it over)")
                else:
                    col.add(("account_mappings", i), f"{what} repeats account_mappings[{j}] for "
                            "overlapping dates; allowed: each mapping once")
                break
        claimed.setdefault(m.key, []).append((i, m))

    # --- FX rates ----------------------------------------------------------------------------
    seen_rates: dict[tuple[dt.date, str, str], int] = {}
    for i, fx in valid["fx_rates"]:
        key = (fx.period, fx.from_ccy, fx.to_ccy)
        if key in seen_rates:
            col.add(("fx_rates", i), f"a second rate {fx.from_ccy}→{fx.to_ccy} for "
                    f"{fx.period:%Y-%m} (also fx_rates[{seen_rates[key]}]); allowed: one rate per "
                    "currency pair per period")
        else:
            seen_rates[key] = i
    periods = sorted({fx.period for _, fx in valid["fx_rates"]}) if root.currency else []
    needing: dict[str, list[str]] = {}
    for o in by_id.values():
        if o.id != root.id and o.currency != root.currency:
            needing.setdefault(o.currency, []).append(o.id)
    for period in periods:
        for ccy, ids in sorted(needing.items()):
            if (period, root.currency, ccy) not in seen_rates:
                names = ", ".join(sorted(ids)[:5]) + (" …" if len(ids) > 5 else "")
                col.add(("fx_rates",), f"no rate {root.currency}→{ccy} for {period:%Y-%m} (billing "
                        f"in {ccy}: {names}); allowed: add {{period: {period:%Y-%m}, from: "
                        f"{root.currency}, to: {ccy}, rate: \"…\"}} — every period listed in "
                        "fx_rates needs a rate from the root's currency to each billing currency")

    # --- users -----------------------------------------------------------------------------
    children: dict[str, list[str]] = {}
    for o in by_id.values():
        if o.parent:
            children.setdefault(o.parent, []).append(o.id)

    def subtree(org_id: str) -> set[str]:
        out, todo = set(), [org_id]
        while todo:
            cur = todo.pop()
            if cur in out:
                continue
            out.add(cur)
            todo.extend(children.get(cur, []))
        return out

    user_index: dict[str, int] = {}
    for i, u in valid["users"]:
        base = ("users", i)
        if u.username in user_index:
            col.add(base + ("username",), f"duplicate username {u.username!r} (also "
                    f"users[{user_index[u.username]}]); allowed: a username no other user has")
        else:
            user_index[u.username] = i
        if len(set(u.roles)) != len(u.roles):
            col.add(base + ("roles",), "lists a role twice; allowed: each of " + ", ".join(ROLES) + " once")
        if u.org not in known_orgs:
            col.add(base + ("org",), f"unknown organisation {u.org!r}; allowed: the id of the root "
                    "or of an organisation in organizations")
            continue
        org = by_id.get(u.org)
        if org is None:
            continue
        if org.kind == "customer" and set(u.roles) != {"customer"}:
            col.add(base + ("roles",), f"{u.org!r} is a customer; allowed: roles: [customer]")
        if org.kind != "customer" and "customer" in u.roles:
            col.add(base + ("roles",), f"role customer needs a customer organisation ({u.org!r} is "
                    f"a {org.kind}); allowed: admin, leader, account_manager")
        if u.customers is not None:
            if "account_manager" not in u.roles:
                col.add(base + ("customers",), "only account managers are assigned customers; "
                        "allowed: add the role account_manager, or remove customers")
            mine = subtree(u.org)
            for k, c in enumerate(u.customers):
                if c in shadow_orgs and c not in by_id:
                    continue
                if c not in by_id or by_id[c].kind != "customer":
                    col.add(base + ("customers", k), f"{c!r} is not a customer; allowed: customers "
                            f"below {u.org!r}")
                elif c not in mine:
                    col.add(base + ("customers", k), f"{c!r} is outside {u.org!r}'s subtree; "
                            f"allowed: customers below {u.org!r}")
        if u.cost_groups is not None and "customer" not in u.roles:
            col.add(base + ("cost_groups",), "cost groups restrict customer users only; allowed: "
                    "remove cost_groups, or use them on a customer user")


def _check_broken_plans(col: _Collector, root: RootSpec, valid: dict[str, list[tuple[int, Any]]],
                        broken: list[tuple[int, dict]], shadow_orgs: set[str]) -> None:
    """A plan with a structural error is still checked where its parts are sound: its owner,
    its commitment policy, the overlaps of its valid rules, its tiers and its valid fees.
    (Pydantic already reported the structural errors; this adds the others.) An invalid rule
    or fee is replaced by a placeholder that cannot collide, so positions stay the same."""
    known = {root.id} | {o.id for _, o in valid["organizations"]} | shadow_orgs
    for i, raw in broken:
        owner = raw.get("owner")
        if isinstance(owner, str) and owner not in known:
            col.add(("plans", i, "owner"), f"unknown organisation {owner!r}; allowed: the root or a reseller")
        _check_share(col, ("plans", i), raw.get("commitments"), raw.get("commitment_share_pct"))
        rules = fees = tiers = None
        if isinstance(raw.get("rules"), list):
            rules = tuple(_or_placeholder(RuleSpec, item, Rule(match=(("SkuId", f"\x00invalid rule {k}"),)))
                          for k, item in enumerate(raw["rules"]))
        if isinstance(raw.get("fees"), list):
            fees = tuple(_or_placeholder(FeeSpec, item, Fee(name=f"\x00invalid fee {k}", amount=ZERO))
                         for k, item in enumerate(raw["fees"]))
        if raw.get("tiers") is not None:
            tiers = _or_placeholder(TiersSpec, raw["tiers"], None)
        _check_plan_parts(col, ("plans", i), rules, tiers, fees)


def _or_placeholder(model: type[_Spec], raw: Any, placeholder: Any) -> Any:
    try:
        spec = model.model_validate(raw)
    except ValidationError:
        return placeholder                 # reported with the plan
    return {RuleSpec: lambda: spec.to_rule(), FeeSpec: lambda: spec.to_fee(),
            TiersSpec: lambda: spec.to_tiers()}[model]()


def _check_tree_helper(col: _Collector, orgs: list[tuple[int, OrgSpec]], index_of: dict[str, int],
                       by_id: dict[str, OrgSpec], tree_issue_count: int) -> None:
    """pricing.hierarchy.validate_tree as a safety net: the checks above give the richer
    messages (document positions, allowed values); anything the model's own validator finds
    beyond them (rules added there later) is reported too."""
    from pricing.hierarchy import Org, validate_tree

    if tree_issue_count or any(i.path.startswith(("root", "organizations")) for i in col.issues):
        return                                  # already explained, or the tree is incomplete
    tree = {o.id: Org(id=o.id, name=o.name, kind=o.kind, parent=o.parent, currency=o.currency,
                      plan=o.plan, tax_rate_pct=o.tax_rate_pct) for o in by_id.values()}
    root_id = next(k for k, o in by_id.items() if o.parent is None)
    for path, msg in validate_tree(tree):
        parts = parse_path(path)
        if len(parts) >= 2 and parts[0] == "organizations" and isinstance(parts[1], str):
            key = parts[1]
            head: Path_ = ("root",) if key == root_id else ("organizations", index_of.get(key, key))
            parts = head + parts[2:]
        col.add(parts, f"{msg}; allowed: see docs/config.md (organizations)")


def _check_plan_model(col: _Collector, prefix: Path_, plan: PlanSpec) -> None:
    _check_share(col, prefix, plan.commitments, plan.commitment_share_pct)
    _check_plan_parts(col, prefix, tuple(r.to_rule() for r in plan.rules),
                      plan.tiers.to_tiers() if plan.tiers else None,
                      tuple(f.to_fee() for f in plan.fees))


def _check_share(col: _Collector, prefix: Path_, policy: Any, share: Any) -> None:
    """commitment_share_pct goes with commitments: share, and only with it."""
    if policy == "share" and share is None:
        col.add(prefix + ("commitment_share_pct",), "commitments: share needs commitment_share_pct; "
                "allowed: a percentage from 0 to 100 (the part of the saving passed on)")
    elif policy != "share" and share is not None:
        col.add(prefix + ("commitment_share_pct",), "is only used with commitments: share; allowed: "
                "remove it, or set commitments: share")


def _check_plan_parts(col: _Collector, prefix: Path_, rules: tuple[Rule, ...] | None,
                      tiers: Tiers | None, fees: tuple[Fee, ...] | None) -> None:
    """Rules (overlaps of equal specificity), tiers (bands) and fees, checked by the pricing
    model's own validators (pricing.rules / pricing.tiers / pricing.fees)."""
    from pricing.fees import validate_fees
    from pricing.rules import validate_rules
    from pricing.tiers import validate_tiers

    found: list[tuple[str, str]] = []
    if rules:
        found += validate_rules(rules)
    if tiers is not None:
        found += validate_tiers(tiers)
    if fees:
        found += validate_fees(fees)
    for path, msg in found:
        parts = parse_path(path)
        if not re.search(r"allowed|must|use one of|make one|give ", msg):
            hint = {"name": "a name no other fee of this plan has (each fee is an invoice line)"}
            msg += "; allowed: " + hint.get(str(parts[-1]) if parts else "", "see docs/config.md")
        col.add(prefix + parts, msg)



def _overlap(a_from: dt.date | None, a_to: dt.date | None,
             b_from: dt.date | None, b_to: dt.date | None) -> bool:
    """[from, to) intervals with open ends overlap."""
    lo_a, hi_a = a_from or dt.date.min, a_to or dt.date.max
    lo_b, hi_b = b_from or dt.date.min, b_to or dt.date.max
    return lo_a < hi_b and lo_b < hi_a


# --------------------------------------------------------------------------------------------
# Pure objects for the engine
# --------------------------------------------------------------------------------------------

def to_pricing(doc: ConfigDocument):
    """(orgs by id incl. the root, plans by id, FxTable) for pricing/ (no I/O)."""
    from pricing.fx import FxTable
    from pricing.hierarchy import Org

    orgs = {o.id: Org(id=o.id, name=o.name, kind=o.kind, parent=o.parent, currency=o.currency,
                      plan=o.plan, tax_rate_pct=o.tax_rate_pct)
            for o in doc.organizations_all()}
    plans = {p.id: p.to_plan() for p in doc.plans}
    fx = FxTable(rates={(r.period, r.from_ccy, r.to_ccy): r.rate for r in doc.fx_rates})
    return orgs, plans, fx


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------

def _depths(doc: ConfigDocument) -> dict[str, int]:
    parent = {o.id: o.parent for o in doc.organizations_all()}
    depth: dict[str, int] = {}

    def of(org_id: str) -> int:
        if org_id not in depth:
            p = parent[org_id]
            depth[org_id] = 0 if p is None else of(p) + 1
        return depth[org_id]

    for org_id in parent:
        of(org_id)
    return depth


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def import_config(con, doc: ConfigDocument, *, imported_by: str = "cli") -> int:
    """Replace the configuration in one transaction; return the new cfg_documents version.
    Audited as a document change (`_audit_document`): readable by the root's admins only."""
    return _replace_config(con, doc, imported_by=imported_by, audit=_audit_document)


def _replace_config(con, doc: ConfigDocument, *, imported_by: str, audit) -> int:
    """import_config's work; `audit(con, version=, previous=, doc=)` records the change inside
    the same transaction (a plan save records only its plan)."""
    from data.store import transaction

    validate_document(doc)
    depth = _depths(doc)
    after = doc.to_json()
    with transaction(con):
        _check_locked_rates(con, doc)
        previous = con.execute(sql("cfg_latest_document")).fetchone()
        version = con.execute(sql("cfg_next_version")).fetchone()[0]
        for table in ("cfg_delete_plan_rules", "cfg_delete_plans", "cfg_delete_account_mappings",
                      "cfg_delete_fx_rates", "cfg_delete_users", "cfg_delete_organizations"):
            con.execute(sql(table))
        con.executemany(sql("cfg_insert_organization"), [
            [o.id, o.name, o.kind, o.parent, o.currency, o.plan, _s(o.tax_rate_pct), depth[o.id]]
            for o in doc.organizations_all()])
        if doc.account_mappings:
            con.executemany(sql("cfg_insert_account_mapping"), [
                [n, m.provider, m.sub_account_id, m.billing_account_id, m.tag, m.value, m.customer,
                 m.valid_from, m.valid_to]
                for n, m in enumerate(doc.account_mappings)])
        if doc.plans:
            con.executemany(sql("cfg_insert_plan"), [
                [p.id, p.owner, p.credits, p.commitments, _s(p.commitment_share_pct),
                 json.dumps(definition, ensure_ascii=False)]
                for p, definition in zip(doc.plans, doc.to_data()["plans"])])
        rule_rows = []
        for p in doc.plans:
            for n, r in enumerate(p.rules):
                rule = r.to_rule()
                rule_rows.append([p.id, n] + [r.match.get(f) for f in MATCH_FIELDS]
                                 + [rule.basis, _s(rule.factor), rule.specificity])
        if rule_rows:
            con.executemany(sql("cfg_insert_plan_rule"), rule_rows)
        if doc.fx_rates:
            con.executemany(sql("cfg_insert_fx_rate"), [
                [r.period, r.from_ccy, r.to_ccy, _s(r.rate)] for r in doc.fx_rates])
        if doc.users:
            con.executemany(sql("cfg_insert_user"), [
                [u.username, u.name, u.email, u.org, list(u.roles), u.customers, u.cost_groups,
                 u.password_hash] for u in doc.users])
        con.execute(sql("cfg_insert_document"), [version, imported_by, after])
        audit(con, version=int(version), previous=previous[0] if previous else None, doc=doc,
              imported_by=imported_by)
    return int(version)


def _audit_document(con, *, version: int, previous: str | None, doc: ConfigDocument,
                    imported_by: str) -> None:
    """A whole-document change touches every tenant, so it is recorded where only the root's
    admins read it: under the root when the importer is a configured user, else under no
    organisation (the CLI, the demo builder), which only the root's admins see either. The
    documents go in without password hashes; a user whose hash changed says "password": "changed"."""
    from queries.scope import record_audit

    before = json.loads(previous) if previous else None
    after = doc.to_data()
    old_hashes = {u.get("username"): u.get("password_hash") for u in (before or {}).get("users", [])}
    changed = []
    for user in after.get("users", []):
        old = old_hashes.get(user["username"])
        if old is not None and old != user.get("password_hash"):
            user["password"] = "changed"
            changed.append(user["username"])
    importer_known = any(u.username == imported_by for u in doc.users)
    record_audit(
        con, username=imported_by, org=doc.root.id if importer_known else None,
        action="config_change", target=f"config v{version}", before=before, after=after,
        detail=f"{len(doc.organizations) + 1} organisations, {len(doc.account_mappings)} mappings, "
               f"{len(doc.plans)} plans, {len(doc.fx_rates)} FX rates, {len(doc.users)} users"
               + (f"; password changed: {', '.join(changed)}" if changed else ""))


def _check_locked_rates(con, doc: ConfigDocument) -> None:
    """Rates of a period with issued invoices are locked: the new document must keep them."""
    new = {(r.period, r.from_ccy, r.to_ccy): (n, r.rate) for n, r in enumerate(doc.fx_rates)}
    issues = []
    for period, from_ccy, to_ccy, rate in con.execute(sql("cfg_locked_fx_rates")).fetchall():
        found = new.get((period, from_ccy, to_ccy))
        if found is None:
            issues.append(ConfigIssue("document", "fx_rates", (
                f"the {from_ccy}->{to_ccy} rate of {period:%Y-%m} ({rate.normalize():f}) is locked because "
                f"invoices of that period are issued; allowed: keep it in the document")))
        elif found[1] != rate:
            issues.append(ConfigIssue("document", f"fx_rates[{found[0]}].rate", (
                f"{found[1]} would change the locked {from_ccy}->{to_ccy} rate of {period:%Y-%m}; "
                f"invoices of that period are issued; allowed: {rate.normalize():f}")))
    if issues:
        raise ConfigError(issues)


def current_config(con) -> ConfigDocument | None:
    """The latest imported document, or None before the first import."""
    row = con.execute(sql("cfg_latest_document")).fetchone()
    if row is None:
        return None
    return _stored_document(row[0], row[1])


def _stored_document(text: str, version: Any) -> ConfigDocument:
    """The stored document, validated again: a document stored before today's bounds may hold a
    value they refuse, which is a sentence asking for a corrected import, never a traceback."""
    try:
        return ConfigDocument.model_validate(json.loads(text))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = format_path(first.get("loc", ()))
        raise ConfigError([ConfigIssue("store", "", f"configuration version {version} holds a value "
                                       f"this version of Tierline refuses ({where}: {first.get('msg')}); "
                                       f"allowed: export it, correct it and import it again")]) from None


def current_version(con) -> int | None:
    """The version of the configuration in force (None before the first import). Every import
    and plan save makes a new one, so it is the app's access version: cached reads are keyed
    by it (components/cached.py), and a change of who may see what applies at once."""
    row = con.execute(sql("cfg_current_version")).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def dump_config(doc: ConfigDocument, *, header: str | None = None) -> str:
    """YAML text of a document; money and percentages as quoted strings; round-trips."""
    text = yaml.safe_dump(doc.to_data(), sort_keys=False, allow_unicode=True,
                          default_flow_style=None, width=4096)
    return (f"# {header}\n" if header else "") + text


def export_config(con) -> str:
    """YAML text of the current document (parse_config(export_config(con)) gives it back)."""
    row = con.execute(sql("cfg_latest_document")).fetchone()
    if row is None:
        raise ConfigError([ConfigIssue("store", "", "no configuration has been imported yet; "
                                       "allowed: python cli.py config import FILE first")])
    doc = _stored_document(row[0], row[1])
    return dump_config(doc, header=f"Tierline configuration, version {row[1]} "
                                   f"(imported {row[2]:%Y-%m-%d %H:%M} by {row[3] or '?'})")


# --- Plans edited by their owner (the admin pages' door to the same document) ---------------

def plans_owned(con, scope) -> list[dict]:
    """The plans the signed-in user's organisation owns (the terms it sells on), as document
    data: only admins of the owner may read or edit them. queries.scope.ScopeError otherwise."""
    from queries.scope import ScopeError

    if not scope.has_role("admin"):
        raise ScopeError("Only an administrator of the organisation that owns a plan can edit it.")
    doc = current_config(con)
    if doc is None:
        return []
    return [p for p in doc.to_data().get("plans", []) if p["owner"] == scope.org_id]


def save_plan(con, scope, text: str, plan_id: str | None = None) -> int:
    """Replace (or add) one plan from its YAML text, as its owner's admin; return the new config
    version. `plan_id` is the plan being edited (the Plans page passes the one selected, by id):
    the text must keep that id. The plan must be owned by the user's organisation, before and
    after; the whole document is validated again and imported in one transaction. Problems are
    told about this plan only: paths inside it (`rules[0].basis`) and lines of `text`, never
    another plan or the rest of the document. The audit entry holds this plan's before and after,
    under the owner's organisation. ScopeError for someone else's plan, ConfigError for an
    invalid one."""
    from queries.scope import ScopeError, record_audit

    not_yours = "You can only edit the plans your own organisation sells on."
    if not scope.has_role("admin"):
        raise ScopeError("Only an administrator of the organisation that owns a plan can edit it.")
    doc = current_config(con)
    if doc is None:
        raise ConfigError([ConfigIssue("store", "", "no configuration has been imported yet")])
    plan_doc, lines = _plan_source(text)
    if plan_doc.get("owner") != scope.org_id:
        raise ScopeError(not_yours)
    data = doc.to_data()
    plans = data.setdefault("plans", [])
    index = next((n for n, p in enumerate(plans) if p["id"] == plan_doc.get("id")), None)
    if index is not None and plans[index]["owner"] != scope.org_id:
        raise ScopeError(not_yours)
    if plan_id is not None:
        if not any(p["id"] == plan_id and p["owner"] == scope.org_id for p in plans):
            raise ScopeError(not_yours)
        if plan_doc.get("id") != plan_id:
            raise ConfigError([ConfigIssue(
                "plan", "id", f"the id of the plan you are editing cannot change; allowed: {plan_id}",
                lines.get(("id",)))])
    if index is None:
        index, old = len(plans), None
        plans.append(plan_doc)
    else:
        old = plans[index]
        plans[index] = plan_doc
    prefix: Path_ = ("plans", index)
    try:
        new_doc = _validate_data(data, {prefix + path: n for path, n in lines.items()}, [], "plan")
    except ConfigError as exc:
        raise ConfigError(_plan_issues(exc.issues, prefix)) from None
    new_plan = new_doc.to_data()["plans"][index]

    def audit(con, *, version: int, previous: str | None, doc: ConfigDocument, imported_by: str) -> None:
        state = "added" if old is None else "saved unchanged" if old == new_plan else "changed"
        record_audit(con, username=scope.username, org=scope.org_id, action="config_change",
                     target=f"plan {new_plan['id']}", before=old, after=new_plan,
                     detail=f"config v{version}: plan {new_plan['id']} {state}")

    return _replace_config(con, new_doc, imported_by=scope.username, audit=audit)


def _plan_issues(issues: list[ConfigIssue], prefix: Path_) -> list[ConfigIssue]:
    """The whole document's issues told as the plan's own: `plans[3].rules[0].basis` becomes
    `rules[0].basis` (the line is already the plan text's). An issue elsewhere in the document
    cannot come from this plan's owner and may name other tenants: one sentence, no details."""
    head = format_path(prefix)
    own: list[ConfigIssue] = []
    elsewhere = False
    for issue in issues:
        if issue.path == head or issue.path.startswith((head + ".", head + "[")):
            rest = issue.path[len(head):].removeprefix(".")
            # a message may point at another position of the document ("also plans[1]")
            message = re.sub(r"\bplans\[\d+\]", "another plan", issue.message)
            own.append(ConfigIssue("plan", rest or "(plan)", message, issue.line))
        else:
            elsewhere = True
    if elsewhere:
        own.append(ConfigIssue("plan", "(plan)", "the configuration in force has a problem outside "
                               "this plan, so no plan can be saved now; allowed: ask the "
                               "administrators of the organisation running Tierline"))
    return own


def _plan_source(text: str) -> tuple[dict, dict[Path_, int]]:
    """One plan written as YAML, with numbers kept as text, and the line of each path in it."""
    raw, lines, issues = _load_yaml(text, "plan")
    if issues:
        raise ConfigError(issues)
    if not isinstance(raw, dict):
        raise ConfigError([ConfigIssue("plan", "", "a plan is a mapping with id, owner, rules …")])
    return raw, lines


def parse_plan_text(text: str) -> dict:
    """One plan written as YAML (as plans_owned shows it), with numbers kept as text."""
    return _plan_source(text)[0]
