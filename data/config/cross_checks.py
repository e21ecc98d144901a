"""Checks across the items of a document (docs/config.md lists them): unique ids, parents that
exist and sell, no cycles, plans owned by the parent, rules / tiers / fees that the pricing model
accepts, one customer per account at any date, one FX rate per pair and period and every rate
the billing currencies need, users whose roles fit their organisation and whose customers are
below it. Items that failed their own model are still counted where it helps (their ids are
"shadows"), so one typo does not cascade into a page of unknown-id issues."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import ValidationError

from data.config.errors import Path_, parse_path
from data.config.messages import _Collector
from data.config.models import (
    FeeSpec,
    MappingSpec,
    OrgSpec,
    PlanSpec,
    RootSpec,
    RuleSpec,
    TiersSpec,
    _Spec,
)
from data.roles import ROLES
from pricing.money import ZERO
from pricing.plans import Fee, Rule, Tiers


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

    _check_budgets(col, valid.get("budgets", []), by_id, shadow_orgs)


def _check_budgets(col: _Collector, budgets: list[tuple[int, Any]], by_id: dict[str, OrgSpec],
                   shadow_orgs: set[str]) -> None:
    """Budgets (issue #12): a known customer, in its billing currency, one budget per what it
    covers (the whole month, a sub-account, a tag value)."""
    customers = sorted(o.id for o in by_id.values() if o.kind == "customer")
    seen: dict[tuple[str, str], int] = {}
    for i, b in budgets:
        org = by_id.get(b.customer)
        if org is None or org.kind != "customer":
            if b.customer not in shadow_orgs:
                col.add(("budgets", i, "customer"), f"{b.customer!r} is not a customer; allowed: the "
                        "id of a customer: " + (", ".join(customers[:10]) or "none yet")
                        + (" …" if len(customers) > 10 else ""))
            continue
        if b.currency is not None and b.currency != org.currency:
            col.add(("budgets", i, "currency"), f"{b.currency} is not {b.customer}'s billing currency; "
                    f"allowed: {org.currency} (or leave it out)")
        if (b.customer, b.key) in seen:
            col.add(("budgets", i), f"a second budget for {b.customer} ({b.key}) (also "
                    f"budgets[{seen[(b.customer, b.key)]}]); allowed: one budget per customer and "
                    "per sub-account or tag value")
        else:
            seen[(b.customer, b.key)] = i


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
