"""The organisation tree: paths, edges, subtrees and what makes a tree invalid."""

import pytest

from pricing.hierarchy import Org, edges_for, path_from_root, subtree, validate_tree
from pricing.money import D


def tree(*orgs):
    return {o.id: o for o in orgs}


TWO_TIER = tree(
    Org("dist", "Distributor", "distributor", None, "USD"),
    Org("res1", "Reseller 1", "reseller", "dist", "USD", "p-res"),
    Org("res2", "Reseller 2", "reseller", "dist", "EUR", "p-res"),
    Org("c1", "Contoso", "customer", "res1", "USD", "p-c"),
    Org("c2", "Fabrikam", "customer", "res1", "EUR", "p-c"),
    Org("c3", "Northwind", "customer", "res2", "EUR", "p-c", D("19")),
)


@pytest.mark.parametrize("org, path, edges", [
    ("c1", ["dist", "res1", "c1"], [(1, "dist", "res1"), (2, "res1", "c1")]),
    ("c3", ["dist", "res2", "c3"], [(1, "dist", "res2"), (2, "res2", "c3")]),
    ("res2", ["dist", "res2"], [(1, "dist", "res2")]),
    ("dist", ["dist"], []),
])
def test_paths_and_edges(org, path, edges):
    assert path_from_root(TWO_TIER, org) == path
    assert edges_for(TWO_TIER, org) == edges


@pytest.mark.parametrize("org, below", [
    ("dist", {"dist", "res1", "res2", "c1", "c2", "c3"}),
    ("res1", {"res1", "c1", "c2"}),
    ("c3", {"c3"}),
])
def test_subtree(org, below):
    assert subtree(TWO_TIER, org) == below


def test_unknown_org_and_cycle_raise():
    with pytest.raises(KeyError):
        path_from_root(TWO_TIER, "nobody")
    looped = tree(Org("a", "A", "reseller", "b", "USD", "p"), Org("b", "B", "reseller", "a", "USD", "p"))
    with pytest.raises(ValueError, match="cycle"):
        path_from_root(looped, "a")


ROOT = Org("dist", "Distributor", "distributor", None, "USD")


@pytest.mark.parametrize("orgs, expected", [
    (TWO_TIER, []),
    (tree(ROOT, Org("r", "R", "reseller", None, "USD")), [("organizations", "exactly one")]),
    (tree(Org("c", "C", "customer", "x", "USD", "p")), [("organizations", "exactly one"),
                                                        ("organizations[c].parent", "unknown parent")]),
    (tree(ROOT, Org("a", "A", "reseller", "b", "USD", "p"), Org("b", "B", "reseller", "a", "USD", "p")),
     [("organizations[a].parent", "cycle"), ("organizations[b].parent", "cycle")]),
    (tree(ROOT, Org("r", "R", "reseller", "dist", "USD")), [("organizations[r].plan", "needs a plan")]),
    (tree(ROOT, Org("c", "C", "customer", "dist", "USD", "p"), Org("d", "D", "customer", "c", "USD", "p")),
     [("organizations[d].parent", "customers do not sell")]),
    (tree(ROOT, Org("r", "R", "wholesaler", "dist", "XYZ", "p", D("120"))),
     [("organizations[r].kind", "unknown kind"), ("organizations[r].currency", "unknown currency"),
      ("organizations[r].tax_rate_pct", "between 0 and 100")]),
    (tree(Org("c", "C", "customer", None, "USD")), [("organizations[c].kind", "top organisation")]),
])
def test_validate_tree(orgs, expected):
    issues = validate_tree(orgs)
    assert [p for p, _ in issues] == [p for p, _ in expected]
    for (_, message), (_, fragment) in zip(issues, expected):
        assert fragment in message
