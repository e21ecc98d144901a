"""The reference pricer: docs/pricing.md §2–§9 in plain Python, independent of the SQL billing run.

`bill_period` takes one period's FOCUS rows (assigned to customers: `x_CustomerId`, None =
unassigned; or, given the configuration's account mappings, assigned here by pricing.assign,
§1), groups them (§2), prices every edge from the root down (§3–§6), records the basis each
edge's price follows (§8), assembles one invoice per edge (§7) and reports what could not be
priced. A property test compares its ledger, issues, invoices and margins with the SQL run's;
every quantize below is one the spec names, nothing else is rounded.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Iterable, Mapping, Sequence

from pricing.assign import AccountMapping, assign_rows
from pricing.fx import FxTable, MissingRate, period_of
from pricing.hierarchy import Org, path_from_root
from pricing.invoice import Invoice, assemble_invoice, corrected_period, service_label
from pricing.money import HUNDRED, ONE, ZERO, D, calc, ledger, round_line
from pricing.plans import PRICED_CATEGORIES, Plan
from pricing.rules import resolve
from pricing.tiers import apply_tiers

# §2: the pricing-group key (besides period and customer), in fct_ledger column order but the
# last: x_CorrectsPeriod, the month a provider correction corrects (§7; None for other rows).
KEY_FIELDS = ("ProviderName", "BillingAccountId", "SubAccountId", "InvoiceId", "ServiceCategory",
              "ServiceName", "SkuId", "RegionId", "ChargeCategory", "ChargeClass",
              "CommitmentDiscountStatus", "x_Commitment", "BillingCurrency", "x_CorrectsPeriod")
AMOUNT_FIELDS = ("ListCost", "ContractedCost", "BilledCost", "EffectiveCost")
TREATMENTS = ("priced", "retained_credit", "passed_credit", "adjustment", "provider_tax")
ISSUE_KINDS = ("unassigned", "no_rule", "no_fx", "no_plan")
# §8: the FOCUS amount an edge's price follows, row by row (fct_prices.x_BasisCode).
BASIS_CODES = {"list": "L", "contracted": "C", "effective": "E"}


@dataclass(frozen=True, slots=True)
class RowGroup:
    """FOCUS rows with identical pricing attributes (§2); amounts are the sums of the rows."""

    x_CustomerId: str | None
    ProviderName: str
    BillingAccountId: str
    SubAccountId: str | None
    InvoiceId: str | None
    ServiceCategory: str
    ServiceName: str
    SkuId: str | None
    RegionId: str | None
    ChargeCategory: str
    ChargeClass: str | None
    CommitmentDiscountStatus: str | None
    x_Commitment: bool
    BillingCurrency: str
    x_CorrectsPeriod: date | None         # §7: the month a provider correction corrects
    x_RowCount: int
    ListCost: Decimal
    ContractedCost: Decimal
    BilledCost: Decimal
    EffectiveCost: Decimal

    def key(self) -> dict[str, object]:
        """The group key fields (what a rule matches against)."""
        return {f: getattr(self, f) for f in KEY_FIELDS}


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One group priced on one edge: a row of fct_ledger (without run_id)."""

    x_Period: date
    x_SellerId: str
    x_BuyerId: str
    x_CustomerId: str
    x_Depth: int
    ProviderName: str
    BillingAccountId: str
    SubAccountId: str | None
    InvoiceId: str | None
    ServiceCategory: str
    ServiceName: str
    SkuId: str | None
    RegionId: str | None
    ChargeCategory: str
    ChargeClass: str | None
    CommitmentDiscountStatus: str | None
    x_Commitment: bool
    BillingCurrency: str
    x_CorrectsPeriod: date | None         # §7: the month a provider correction corrects
    x_RowCount: int
    ListCost: Decimal
    ContractedCost: Decimal
    BilledCost: Decimal
    EffectiveCost: Decimal
    x_Treatment: str             # priced | retained_credit | passed_credit | adjustment
    x_PlanId: str | None
    x_RuleNo: int | None         # priced only
    x_Basis: str | None          # priced only: the rule's basis
    x_BasisAmount: Decimal | None  # priced only: the amount priced, after the commitment policy
    x_Factor: Decimal | None     # priced only: ledger(1 − d/100) or ledger(1 + m/100)
    x_Cost: Decimal              # seller's cost, BillingCurrency
    x_PricePreTier: Decimal      # BillingCurrency
    x_TierFactor: Decimal
    x_Price: Decimal             # BillingCurrency, after tiers
    x_BuyerCurrency: str
    x_FxRate: Decimal            # BillingCurrency → buyer currency
    x_PriceBuyer: Decimal        # buyer currency
    x_CostSeller: Decimal        # seller's cost in the seller's currency
    x_BasisCode: str = "B"       # §8: L | C | E | S | Z | B, the amount the price follows row by row
    x_ShareFrac: Decimal | None = None  # §8: the share of the saving passed on, where x_BasisCode = 'S'


@dataclass(frozen=True, slots=True)
class PricingIssue:
    """Rows the run could not price (a row of fct_exceptions, one per group and edge)."""

    kind: str                    # unassigned | no_rule | no_fx | no_plan
    seller: str | None
    buyer: str | None
    customer: str | None
    ProviderName: str
    BillingAccountId: str
    SubAccountId: str | None
    InvoiceId: str | None
    ServiceCategory: str
    ServiceName: str
    SkuId: str | None
    RegionId: str | None
    ChargeCategory: str
    ChargeClass: str | None
    CommitmentDiscountStatus: str | None
    x_Commitment: bool
    BillingCurrency: str
    x_CorrectsPeriod: date | None
    row_count: int
    BilledCost: Decimal
    detail: str

    # fct_exceptions spells these x_SellerId, x_BuyerId, x_RowCount.
    @property
    def x_SellerId(self) -> str | None:
        return self.seller

    @property
    def x_BuyerId(self) -> str | None:
        return self.buyer

    @property
    def x_RowCount(self) -> int:
        return self.row_count


@dataclass(frozen=True, slots=True)
class BillingResult:
    ledger: tuple[LedgerEntry, ...]
    invoices: tuple[Invoice, ...]
    issues: tuple[PricingIssue, ...]
    provider_tax_rows: tuple[RowGroup, ...]    # provider Tax rows, grouped: the root's own (§1)
    period: date | None = None

    @property
    def failed(self) -> bool:
        """True when some assigned rows could not be priced (no_rule / no_fx / no_plan)."""
        return any(i.kind != "unassigned" for i in self.issues)

    def invoice(self, seller: str, buyer: str) -> Invoice | None:
        return next((i for i in self.invoices if i.seller == seller and i.buyer == buyer), None)

    def margins(self, credit_notes: Iterable[Mapping[str, object]] = ()) -> list[dict]:
        """§9 per selling organisation and invoice currency: revenue = Σ subtotals of the invoices
        it issues, less the amounts (before tax) of `credit_notes` against them ({seller,
        currency, amount} and optionally buyer: the period's credit notes, which the engine does
        not issue itself); cost = round(Σ ledger(x_Cost × x_FxRate)) over its selling-edge ledger
        entries (retained credits included: they are its margin), and for a non-root seller, in
        its own currency, plus what its seller invoices it beyond that: Σ received subtotals −
        Σ received credit notes (those with its id as buyer) − Σ x_CostSeller of its selling
        entries, so its cost in all is everything it is invoiced; margin = revenue − cost."""
        with calc():
            revenue: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
            cost: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
            # A buyer's own currency: the currency it buys in (every edge into it has the same).
            own = {e.x_BuyerId: e.x_BuyerCurrency for e in self.ledger}
            for inv in self.invoices:
                revenue[(inv.seller, inv.currency)] += inv.subtotal
                cost[(inv.buyer, inv.currency)] += inv.subtotal
            notes = list(credit_notes)
            for note in notes:
                revenue[(str(note["seller"]), str(note["currency"]))] -= D(note["amount"])
                if note.get("buyer") is not None:
                    cost[(str(note["buyer"]), str(note["currency"]))] -= D(note["amount"])
            for e in self.ledger:
                cost[(e.x_SellerId, e.x_BuyerCurrency)] += ledger(e.x_Cost * e.x_FxRate)
                if e.x_SellerId in own:        # non-root: the received invoices count these
                    cost[(e.x_SellerId, own[e.x_SellerId])] -= e.x_CostSeller
            # Only organisations that sell in the period have a margin (not the end customers).
            sellers = ({inv.seller for inv in self.invoices} | {e.x_SellerId for e in self.ledger}
                       | {str(n["seller"]) for n in notes})
            out = []
            for org, ccy in sorted(k for k in set(revenue) | set(cost) if k[0] in sellers):
                rev = revenue.get((org, ccy), ZERO)
                cst = round_line(cost.get((org, ccy), ZERO), ccy)
                if rev == ZERO and cst == ZERO:
                    continue                   # e.g. a buying currency it is invoiced exactly in
                out.append({"org": org, "currency": ccy, "revenue": rev, "cost": cst, "margin": rev - cst})
            return out


# ---------------------------------------------------------------------------------------------
# §2 grouping

def _sort_key(values: Iterable[object]) -> tuple:
    """Sort None first and never compare None with a string."""
    return tuple((v is not None, v if v is not None else "") for v in values)


def _group_rows(period: date, rows: Iterable[Mapping[str, object]]) -> list[RowGroup]:
    sums: dict[tuple, list] = {}
    for row in rows:
        row_period = row.get("x_Period")
        if row_period is not None and row_period != period:
            raise ValueError(f"row of period {row_period} passed to the run of {period}")
        if "x_Commitment" in row and row["x_Commitment"] is not None:
            commitment = bool(row["x_Commitment"])
        else:
            commitment = row.get("CommitmentDiscountId") is not None
        key_values = {f: row.get(f) for f in KEY_FIELDS if f not in ("x_Commitment", "x_CorrectsPeriod")}
        key_values["x_Commitment"] = commitment
        key_values["x_CorrectsPeriod"] = corrected_period(row.get("ChargeClass"), row.get("ChargePeriodStart"))
        customer = row.get("x_CustomerId")
        if key_values["ChargeCategory"] == "Tax":
            customer = None                            # provider tax is never assigned (§1)
        key = (customer, *(key_values[f] for f in KEY_FIELDS))
        # Landing stores DECIMAL(38,10): each row amount is on the ledger's 10 places.
        amounts = [ledger(D(row[f])) for f in AMOUNT_FIELDS]
        acc = sums.setdefault(key, [0, ZERO, ZERO, ZERO, ZERO])
        acc[0] += 1
        for i, a in enumerate(amounts):
            acc[i + 1] += a
    return [RowGroup(*key, *acc) for key, acc in sorted(sums.items(), key=lambda kv: _sort_key(kv[0]))]


def _issue(kind: str, g: RowGroup, detail: str, seller: str | None = None, buyer: str | None = None,
           customer: str | None = None) -> PricingIssue:
    return PricingIssue(kind, seller, buyer, customer if customer is not None else g.x_CustomerId,
                        *(getattr(g, f) for f in KEY_FIELDS), g.x_RowCount, g.BilledCost, detail)


# ---------------------------------------------------------------------------------------------
# §3 one group on one edge

def _basis_code(rule_basis: str, g: RowGroup, plan: Plan) -> str | None:
    """§8: the code of the amount `_basis_amount` prices (same case order); None for a `cost`
    rule, which follows the seller's price and so the code of the edge above."""
    if rule_basis == "cost":
        return None
    if g.ChargeCategory == "Purchase" and g.x_Commitment:
        return "E"
    if g.CommitmentDiscountStatus == "Used":
        return {"pass_through": "E", "retain": "L", "share": "S"}[plan.commitments]
    if g.CommitmentDiscountStatus == "Unused":
        return "E" if plan.commitments == "pass_through" else "Z"
    return BASIS_CODES[rule_basis]


def _share_frac(plan: Plan) -> Decimal:
    """The share of the saving passed on under `share`, as a fraction (no percentage: 0)."""
    return plan.commitment_share_pct / HUNDRED if plan.commitment_share_pct is not None else ZERO


def _basis_amount(rule_basis: str, g: RowGroup, cost: Decimal, plan: Plan) -> Decimal:
    if rule_basis == "cost":
        return cost
    if g.ChargeCategory == "Purchase" and g.x_Commitment:
        return g.EffectiveCost                        # amortised into the usage it covers
    if g.CommitmentDiscountStatus in ("Used", "Unused"):
        policy = plan.commitments
        if policy not in ("pass_through", "retain", "share"):
            raise ValueError(f"plan {plan.id!r}: unknown commitment policy {policy!r}")
        if policy == "pass_through":
            return g.EffectiveCost
        if g.CommitmentDiscountStatus == "Unused":
            return ZERO                               # the seller owns the commitment and its waste
        if policy == "retain":
            return g.ListCost
        share = plan.commitment_share_pct if plan.commitment_share_pct is not None else ZERO
        return ledger(g.ListCost - ledger(share / HUNDRED * (g.ListCost - g.EffectiveCost)))
    if rule_basis == "list":
        return g.ListCost
    if rule_basis == "contracted":
        return g.ContractedCost
    if rule_basis == "effective":
        return g.EffectiveCost
    raise ValueError(f"plan {plan.id!r}: unknown basis {rule_basis!r}")


@dataclass
class _Priced:
    """Working state of one group on one edge, before tiers."""

    g: RowGroup
    treatment: str
    cost: Decimal
    rule_no: int | None
    basis: str | None
    basis_amount: Decimal | None
    factor: Decimal | None
    pre_tier: Decimal
    rate_buyer: Decimal
    rate_seller: Decimal
    code: str = "B"                           # §8 x_BasisCode of this edge
    share_frac: Decimal | None = None


def _price_pre_tier(g: RowGroup, cost: Decimal, plan: Plan) -> tuple[str, int | None, str | None,
                                                                      Decimal | None, Decimal | None, Decimal,
                                                                      str | None] | None:
    """(treatment, rule_no, basis, basis_amount, factor, x_PricePreTier, own basis code);
    None when no rule matches. The code is None where the price follows the seller's (§8)."""
    category = g.ChargeCategory
    if category in PRICED_CATEGORIES:
        found = resolve(plan.rules, g.key())
        if found is None:
            return None
        rule_no, rule = found
        factor = ledger(rule.factor)
        amount = _basis_amount(rule.basis, g, cost, plan)
        return ("priced", rule_no, rule.basis, amount, factor, ledger(amount * factor),
                _basis_code(rule.basis, g, plan))
    if category == "Credit":
        if plan.credits == "pass_through":
            return "passed_credit", None, None, None, None, cost, None
        if plan.credits == "retain":
            return "retained_credit", None, None, None, None, ZERO, "Z"
        raise ValueError(f"plan {plan.id!r}: unknown credit policy {plan.credits!r}")
    if category == "Adjustment":
        return "adjustment", None, None, None, None, cost, None
    raise ValueError(f"ChargeCategory {category!r} is not a FOCUS charge category this run prices")


# ---------------------------------------------------------------------------------------------
# the run

def bill_period(period: date, orgs: Mapping[str, Org], plans: Mapping[str, Plan], fx: FxTable,
                rows: Iterable[Mapping[str, object]],
                mappings: Sequence[AccountMapping] | None = None) -> BillingResult:
    """Price one period: ledger entries per (edge, group), invoices per edge, issues, provider tax.

    With `mappings` (the configuration's account mappings and tag rules, in its order) every row
    is assigned here (pricing.assign, §1) and its own `x_CustomerId` is ignored; without, the
    rows come assigned.

    A group that cannot be priced on an edge (the buyer has no plan, no rule matches, or a rate
    from the row currency to the buyer's or the seller's currency is missing) is reported once,
    as a PricingIssue for that edge, and is left out of that edge (its tiers and invoice) and of
    every edge below it.
    """
    if mappings is not None:
        rows = assign_rows(rows, mappings)
    with calc():
        return _bill(period_of(period), orgs, plans, fx, rows)


def _bill(period: date, orgs: Mapping[str, Org], plans: Mapping[str, Plan], fx: FxTable,
          rows: Iterable[Mapping[str, object]]) -> BillingResult:
    groups = _group_rows(period, rows)
    issues: list[PricingIssue] = []
    taxes: list[RowGroup] = []
    paths: dict[str, list[str]] = {}
    cost: dict[int, Decimal] = {}                     # live groups → the seller's cost on the next edge
    code_above: dict[int, tuple[str, Decimal | None]] = {}   # … and the basis its price follows (§8)
    for gi, g in enumerate(groups):
        if g.ChargeCategory == "Tax":
            taxes.append(g)
            continue
        cid = g.x_CustomerId
        if cid is None:
            issues.append(_issue("unassigned", g, "no tag rule or account mapping matches these rows"))
            continue
        if cid not in orgs:
            issues.append(_issue("unassigned", g, f"assigned to unknown organisation {cid!r}"))
            continue
        if cid not in paths:
            paths[cid] = path_from_root(orgs, cid)
        if len(paths[cid]) < 2:
            issues.append(_issue("unassigned", g, f"assigned to the top organisation {cid!r}: nobody buys these rows"))
            continue
        cost[gi] = g.BilledCost
        code_above[gi] = ("B", None)                  # the root pays the provider's charge

    # Buyers per depth: every org on a live group's path, plus every org whose plan has a fixed fee.
    buyers_at: dict[int, set[str]] = defaultdict(set)
    for gi in cost:
        path = paths[groups[gi].x_CustomerId]
        for d in range(1, len(path)):
            buyers_at[d].add(path[d])
    for org in orgs.values():
        plan = plans.get(org.plan) if org.plan else None
        if org.parent is not None and plan is not None and any(f.amount is not None for f in plan.fees):
            buyers_at[len(path_from_root(orgs, org.id)) - 1].add(org.id)

    entries: list[LedgerEntry] = []
    invoices: list[Invoice] = []
    for d in sorted(buyers_at):
        members_of: dict[str, list[int]] = defaultdict(list)
        for gi in sorted(cost):
            path = paths[groups[gi].x_CustomerId]
            if len(path) > d:
                members_of[path[d]].append(gi)
        for buyer_id in sorted(buyers_at[d]):
            buyer = orgs[buyer_id]
            seller = orgs[buyer.parent]
            members = members_of.get(buyer_id, [])
            plan = plans.get(buyer.plan) if buyer.plan else None
            if plan is None:
                why = "has no plan" if not buyer.plan else f"has unknown plan {buyer.plan!r}"
                for gi in members:
                    issues.append(_issue("no_plan", groups[gi], f"{buyer_id!r} {why}", seller.id, buyer_id))
                    del cost[gi]
                continue
            work: list[tuple[int, _Priced]] = []
            for gi in members:
                g = groups[gi]
                priced = _price_pre_tier(g, cost[gi], plan)
                if priced is None:
                    issues.append(_issue("no_rule", g, f"no rule of plan {plan.id!r} matches", seller.id, buyer_id))
                    del cost[gi]
                    continue
                try:
                    rate_b = fx.rate(period, g.BillingCurrency, buyer.currency)
                    rate_s = fx.rate(period, g.BillingCurrency, seller.currency)
                except MissingRate as exc:
                    issues.append(_issue("no_fx", g, str(exc), seller.id, buyer_id))
                    del cost[gi]
                    continue
                own = priced[6]
                code, frac = ((own, _share_frac(plan) if own == "S" else None) if own is not None
                              else code_above[gi])
                work.append((gi, _Priced(g, priced[0], cost[gi], *priced[1:6], rate_b, rate_s, code, frac)))

            # §5 tiers on the buyer-currency subtotal of the priced groups
            subtotal = sum((ledger(p.pre_tier * p.rate_buyer) for _, p in work if p.treatment == "priced"), ZERO)
            tier = apply_tiers(plan.tiers, subtotal)
            service_sums: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
            credit_sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
            usage = ZERO
            for gi, p in work:
                g = p.g
                t = tier.factor if p.treatment == "priced" else ONE
                price = ledger(p.pre_tier * t) if p.treatment == "priced" else p.pre_tier
                price_buyer = ledger(price * p.rate_buyer)
                entries.append(LedgerEntry(
                    period, seller.id, buyer_id, g.x_CustomerId, d,
                    *(getattr(g, f) for f in KEY_FIELDS), g.x_RowCount,
                    g.ListCost, g.ContractedCost, g.BilledCost, g.EffectiveCost,
                    p.treatment, plan.id, p.rule_no, p.basis, p.basis_amount, p.factor,
                    p.cost, p.pre_tier, t, price, buyer.currency, p.rate_buyer, price_buyer,
                    ledger(p.cost * p.rate_seller), p.code, p.share_frac))
                if p.treatment in ("priced", "adjustment"):
                    service_sums[(g.ProviderName, service_label(g.ServiceName, g.ChargeClass,
                                                                g.x_CorrectsPeriod))] += price_buyer
                if p.treatment == "priced":
                    usage += price_buyer
                if p.treatment == "passed_credit":
                    credit_sums[g.ProviderName] += price_buyer
                if p.treatment == "retained_credit":
                    del cost[gi]                      # kept by this seller; goes no further down
                else:
                    cost[gi] = price
                    code_above[gi] = (p.code, p.share_frac)

            has_lines = any(p.treatment != "retained_credit" for _, p in work)
            if has_lines or any(f.amount is not None for f in plan.fees):
                invoices.append(assemble_invoice(
                    seller=seller.id, buyer=buyer_id, period=period, currency=buyer.currency,
                    tax_rate_pct=buyer.tax_rate_pct, service_sums=service_sums, credit_sums=credit_sums,
                    priced_usage=usage, fees=plan.fees,
                    tier=tier if plan.tiers is not None and any(p.treatment == "priced" for _, p in work) else None))

    entries.sort(key=lambda e: (e.x_Depth, e.x_SellerId, e.x_BuyerId, _sort_key(
        [e.x_CustomerId, *(getattr(e, f) for f in KEY_FIELDS)])))
    invoices.sort(key=lambda i: (i.seller, i.buyer))
    issues.sort(key=lambda i: (ISSUE_KINDS.index(i.kind), _sort_key(
        [i.seller, i.buyer, i.customer, *(getattr(i, f) for f in KEY_FIELDS)])))
    return BillingResult(tuple(entries), tuple(invoices), tuple(issues), tuple(taxes), period)


def ledger_columns() -> tuple[str, ...]:
    """fct_ledger's columns (without run_id and x_GroupId), in order: the fields of LedgerEntry."""
    return tuple(f.name for f in fields(LedgerEntry))
