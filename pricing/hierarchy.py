"""The organisation tree (DOMAIN §2): root → (distributor →) reseller → customer.

Every organisation but the root has one parent, a currency, and the plan its parent sells to it
on. An *edge* is (depth, seller, buyer); depth 1 is sold by the root.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

from pricing.money import HUNDRED, ISO_CURRENCIES, ZERO

KINDS = ("distributor", "reseller", "customer")


@dataclass(frozen=True, slots=True)
class Org:
    id: str
    name: str
    kind: str                    # distributor | reseller | customer
    parent: str | None           # None only for the root
    currency: str
    plan: str | None = None      # the plan its parent sells to it on
    tax_rate_pct: Decimal = ZERO


def path_from_root(orgs: Mapping[str, Org], org_id: str) -> list[str]:
    """[root, …, org_id]. KeyError for an unknown organisation, ValueError for a cycle."""
    path = [org_id]
    seen = {org_id}
    current = orgs[org_id]
    while current.parent is not None:
        if current.parent in seen:
            raise ValueError(f"organisation {org_id!r} is in a parent cycle")
        if current.parent not in orgs:
            raise KeyError(f"organisation {current.id!r} has unknown parent {current.parent!r}")
        path.append(current.parent)
        seen.add(current.parent)
        current = orgs[current.parent]
    path.reverse()
    return path


def depth(orgs: Mapping[str, Org], org_id: str) -> int:
    """Root 0, its buyers 1, …"""
    return len(path_from_root(orgs, org_id)) - 1


def edges_for(orgs: Mapping[str, Org], customer_id: str) -> list[tuple[int, str, str]]:
    """[(depth, seller, buyer)] from the root down to `customer_id`; depth 1 is sold by the root."""
    path = path_from_root(orgs, customer_id)
    return [(d, path[d - 1], path[d]) for d in range(1, len(path))]


def children(orgs: Mapping[str, Org], org_id: str) -> list[str]:
    return sorted(o.id for o in orgs.values() if o.parent == org_id)


def subtree(orgs: Mapping[str, Org], org_id: str) -> set[str]:
    """org_id and every organisation below it."""
    found = {org_id}
    frontier = [org_id]
    while frontier:
        parent = frontier.pop()
        for o in orgs.values():
            if o.parent == parent and o.id not in found:
                found.add(o.id)
                frontier.append(o.id)
    return found


def validate_tree(orgs: Mapping[str, Org]) -> list[tuple[str, str]]:
    """Problems in the tree: exactly one root (a distributor or reseller), known parents, no cycle,
    a plan for every non-root, known kind and currency, 0 ≤ tax rate ≤ 100, customers sell to nobody."""
    issues: list[tuple[str, str]] = []
    roots = sorted(k for k, o in orgs.items() if o.parent is None)
    if len(roots) != 1:
        issues.append(("organizations", f"there must be exactly one top organisation (no parent); found "
                                        f"{len(roots)}{': ' + ', '.join(roots) if roots else ''}"))
    for key in sorted(orgs):
        org = orgs[key]
        path = f"organizations[{key}]"
        if org.id != key:
            issues.append((f"{path}.id", f"listed as {key!r} but its id is {org.id!r}"))
        if org.kind not in KINDS:
            issues.append((f"{path}.kind", f"unknown kind {org.kind!r}; use one of {', '.join(KINDS)}"))
        if org.currency not in ISO_CURRENCIES:
            issues.append((f"{path}.currency", f"unknown currency {org.currency!r}"))
        if not isinstance(org.tax_rate_pct, Decimal) or not ZERO <= org.tax_rate_pct <= HUNDRED:
            issues.append((f"{path}.tax_rate_pct", f"tax rate must be between 0 and 100, not {org.tax_rate_pct}"))
        if org.parent is None:
            if org.kind == "customer":
                issues.append((f"{path}.kind", "the top organisation must be a distributor or a reseller"))
            continue
        if org.parent == key:
            issues.append((f"{path}.parent", "an organisation cannot be its own parent"))
            continue
        if org.parent not in orgs:
            issues.append((f"{path}.parent", f"unknown parent {org.parent!r}"))
            continue
        if orgs[org.parent].kind == "customer":
            issues.append((f"{path}.parent", f"{org.parent!r} is a customer; customers do not sell"))
        if not org.plan:
            issues.append((f"{path}.plan", f"needs a plan: the terms {org.parent!r} sells to it on"))
        try:
            path_from_root(orgs, key)
        except ValueError:
            issues.append((f"{path}.parent", "parent cycle: following parents never reaches the top"))
        except KeyError:
            pass                                    # an ancestor's unknown parent, reported there
    return issues
