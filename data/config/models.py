"""The configuration document as pydantic models: one `*Spec` per kind of item (root,
organisation, account mapping, plan with its rules, tiers and fees, FX rate, user) and
`ConfigDocument`, the whole. Each model checks its own item (shape, field types, one-of rules);
checks across items live in cross_checks.py. `to_rule` / `to_tiers` / `to_fee` / `to_plan` turn
a spec into the pure objects of pricing/."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_serializer,
    model_validator,
)

from data.config.fields import (
    Amount,
    BcryptHash,
    Currency,
    Date,
    Email,
    Id,
    MarkupPct,
    Pct,
    Period,
    Rate,
    Text,
    TierStart,
    Username,
)
from data.documents.branding import (
    AccountingCodes,
    Branding,
    Logo,
    _check_lines,
    _check_text,
    check_colour,
    check_prefix,
    check_terms,
    logo_from_data_uri,
)
from pricing.money import ZERO
from pricing.plans import MATCH_FIELDS, Band, Fee, Plan, Rule, Tiers


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _logo_ref(value: Any) -> str | None:
    """A data URI (decoded and checked here) or a .png/.svg file name in the document's folder
    (read and embedded by load_config, which knows the folder: validate.py)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError("allowed: a .png or .svg file name in the configuration's folder, or a data URI")
    value = value.strip()
    if value.lower().startswith("data:"):
        logo_from_data_uri(value, "logo")
        return value
    if not value.lower().endswith((".png", ".svg")):
        raise ValueError(f"logo {value!r} must be a .png or .svg file name, or a data URI")
    return value


def _terms(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return check_terms(value)


def _checked(check: Any) -> Any:
    """A BeforeValidator from one of data.documents.branding's checks (its sentence names the field)."""
    def run(value: Any) -> Any:
        return None if value is None else check(value)
    return BeforeValidator(run)


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    return list(_check_lines(value, "address_lines"))


def _accounting(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("allowed: a mapping of accounting code: value (receivable, tax_payable, "
                         "revenue_service, …; docs/invoices.md)")
    AccountingCodes.from_mapping(value)
    return dict(value)


class BrandingSpec(_Spec):
    """How a seller's invoices look and what its accounting files say (docs/config.md). Every
    field is optional: the defaults are `Branding.plain` (the organisation's name, `ID-` numbers,
    30 days, the default accounting codes)."""

    display_name: Text | None = None
    address_lines: Annotated[list[str], BeforeValidator(_lines)] = Field(default_factory=list)
    tax_id: Annotated[str | None, _checked(lambda v: _check_text(v, "tax_id", limit=40) or None)] = None
    logo: Annotated[str | None, BeforeValidator(_logo_ref)] = None
    accent_colour: Annotated[str | None, _checked(check_colour)] = None
    payment_terms_days: Annotated[int | None, BeforeValidator(_terms)] = None
    footer_text: Annotated[str | None, _checked(lambda v: _check_text(v, "footer_text", limit=400))] = None
    invoice_prefix: Annotated[str | None, _checked(lambda v: check_prefix(v, "invoice_prefix"))] = None
    credit_note_prefix: Annotated[str | None,
                                  _checked(lambda v: check_prefix(v, "credit_note_prefix"))] = None
    email: Email | None = None
    accounting: Annotated[dict[str, str] | None, BeforeValidator(_accounting)] = None

    @model_validator(mode="after")
    def _whole(self) -> "BrandingSpec":
        self.to_branding("seller", "Seller", logo=None)     # the cross-field rules (prefixes differ)
        return self

    def to_branding(self, org_id: str, org_name: str, *, logo: Logo | None) -> Branding:
        """The renderers' Branding: these values over `Branding.plain(org_id, org_name)`."""
        plain = Branding.plain(org_id, org_name)
        given = {k: getattr(self, k) for k in ("display_name", "tax_id", "accent_colour",
                                               "payment_terms_days", "footer_text", "invoice_prefix",
                                               "credit_note_prefix", "email")
                 if getattr(self, k) is not None}
        if self.invoice_prefix is not None and self.credit_note_prefix is None:
            given["credit_note_prefix"] = (f"CN-{self.invoice_prefix}"[:24]
                                           if f"CN-{self.invoice_prefix}"[:24] != self.invoice_prefix
                                           else plain.credit_note_prefix)
        return dataclasses.replace(plain, **given, address_lines=tuple(self.address_lines), logo=logo,
                                   accounting=AccountingCodes.from_mapping(self.accounting))


class RootSpec(_Spec):
    """The organisation that runs the installation (top of the tree)."""

    id: Id
    name: Text
    kind: Literal["distributor", "reseller"]
    currency: Currency
    country: Text | None = None          # ours: ISO 3166 alpha-2, informational
    branding: BrandingSpec | None = None  # ours: its invoices' look and accounting codes
    margin_floor_pct: Pct | None = None   # ours: the lowest margin % it wants per customer (0–100)


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
    branding: BrandingSpec | None = None  # ours: as a seller, its invoices' look; as a buyer, its address
    billing_email: Email | None = None    # ours: where its invoices go
    margin_floor_pct: Pct | None = None   # ours: the lowest margin % it wants per customer (0–100)
    active: bool = True                   # ours: false = deactivated in the console (docs/console.md)


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
    # ours (issue #14): false = may no longer sign in (absent: active); true = signed in with a
    # temporary password (invite, reset) and must choose a new one before any page opens
    active: bool | None = None
    must_change_password: bool | None = None


class BudgetSpec(_Spec):
    """A customer's monthly budget (issue #12, docs/config.md "budgets"): its whole month, one
    sub-account of it, or the rows with one tag value; the amount is in the customer's billing
    currency (`currency`, when given, must be that one: the budget is compared with its invoice)."""

    customer: Id
    amount: Amount
    currency: Currency | None = None
    sub_account: Text | None = None
    tag_key: Text | None = None
    tag_value: Text | None = None

    @model_validator(mode="after")
    def _shape(self) -> "BudgetSpec":
        if self.amount <= ZERO:
            raise ValueError(f"amount {self.amount} is not above 0; allowed: a monthly amount above 0")
        if (self.tag_key is None) != (self.tag_value is None):
            raise ValueError("tag_key and tag_value go together; allowed: both (the rows with that "
                             "tag value) or neither")
        if self.sub_account is not None and self.tag_key is not None:
            raise ValueError("a budget covers a sub-account or a tag value, not both; allowed: "
                             "sub_account, or tag_key with tag_value, or neither (the whole month)")
        return self

    @property
    def key(self) -> str:
        """What the budget covers, as budget_alerts names it: 'customer', 'sub_account:<id>' or
        'tag:<key>=<value>'."""
        if self.sub_account is not None:
            return f"sub_account:{self.sub_account}"
        if self.tag_key is not None:
            return f"tag:{self.tag_key}={self.tag_value}"
        return "customer"


class ConfigDocument(_Spec):
    """The whole configuration document."""

    root: RootSpec
    organizations: list[OrgSpec] = Field(default_factory=list)
    account_mappings: list[MappingSpec] = Field(default_factory=list)
    plans: list[PlanSpec] = Field(default_factory=list)
    fx_rates: list[FxRateSpec] = Field(default_factory=list)
    users: list[UserSpec] = Field(default_factory=list)
    budgets: list[BudgetSpec] = Field(default_factory=list)   # issue #12: monthly budgets

    def root_org(self) -> OrgSpec:
        r = self.root
        return OrgSpec.model_construct(id=r.id, name=r.name, kind=r.kind, parent=None,
                                       currency=r.currency, plan=None, tax_rate_pct=ZERO,
                                       country=r.country, branding=r.branding, billing_email=None,
                                       margin_floor_pct=r.margin_floor_pct)

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
        if not data.get("budgets"):
            data.pop("budgets", None)        # a document without budgets exports as before
        for org in data.get("organizations", []):
            if org.get("active") is True:
                org.pop("active")            # active is the default: only `active: false` is written
        return data
