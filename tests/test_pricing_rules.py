"""Rule specificity (docs/pricing.md §4): which rule prices a row, and which plans are refused."""

import pytest

from pricing.money import D
from pricing.plans import Rule
from pricing.rules import resolve, validate_rules


def R(*match, basis="list", discount=None, markup=None):
    """Rule from ("Field", "value") pairs."""
    return Rule(tuple(sorted(match)), basis, None if discount is None else D(discount),
                None if markup is None else D(markup))


ROW = {"ProviderName": "AWS", "ServiceCategory": "Compute", "ServiceName": "Amazon EC2", "SkuId": "SKU1",
       "RegionId": "us-east-1", "ChargeCategory": "Usage"}

EMPTY = R()
PROVIDER = R(("ProviderName", "AWS"))
CATEGORY = R(("ServiceCategory", "Compute"))
SERVICE = R(("ServiceName", "Amazon EC2"))
SKU = R(("SkuId", "SKU1"))
OTHER_SKU = R(("SkuId", "SKU2"))
PROVIDER_SERVICE = R(("ProviderName", "AWS"), ("ServiceName", "Amazon EC2"))
REGION = R(("RegionId", "us-east-1"))
REGION_USAGE = R(("RegionId", "us-east-1"), ("ChargeCategory", "Usage"))


@pytest.mark.parametrize("rule, score", [
    (EMPTY, 0), (REGION, 1), (REGION_USAGE, 2), (PROVIDER, 11), (CATEGORY, 21), (SERVICE, 31),
    (PROVIDER_SERVICE, 32), (SKU, 41),
])
def test_specificity_is_rank_times_ten_plus_count(rule, score):
    assert rule.specificity == score


@pytest.mark.parametrize("rules, winner", [
    # plan (in plan order)                           index of the winning rule
    ([EMPTY, PROVIDER], 1),                            # ProviderName beats empty
    ([PROVIDER, EMPTY, CATEGORY], 2),                  # ServiceCategory beats ProviderName
    ([SERVICE, CATEGORY, PROVIDER], 0),                # ServiceName beats ServiceCategory
    ([SKU, SERVICE], 0),                               # SkuId beats ServiceName
    ([SERVICE, PROVIDER_SERVICE], 1),                  # same rank: more fields wins
    ([PROVIDER_SERVICE, SKU], 1),                      # rank beats count
    ([EMPTY, REGION], 1),                              # RegionId ranks 0 but counts
    ([REGION, REGION_USAGE], 1),
    ([REGION_USAGE, PROVIDER], 1),                     # any ranked field beats unranked ones
    ([OTHER_SKU, EMPTY], 1),                           # a non-matching rule never wins
    ([SERVICE, SERVICE], 0),                           # unvalidated tie: first in plan order
])
def test_resolve_most_specific_match(rules, winner):
    rule_no, rule = resolve(rules, ROW)
    assert rule_no == winner
    assert rule is rules[winner]


@pytest.mark.parametrize("rules", [[], [OTHER_SKU], [R(("ProviderName", "Microsoft"))]])
def test_resolve_none_when_nothing_matches(rules):
    assert resolve(rules, ROW) is None


def test_null_column_never_matches():
    assert resolve([SKU], {**ROW, "SkuId": None}) is None


@pytest.mark.parametrize("rules, expected", [
    ([EMPTY, PROVIDER, SERVICE, SKU], []),
    ([R(("ServiceName", "A")), R(("ServiceName", "B"))], []),                      # equal score, disjoint
    ([R(("SkuId", "a"), discount="0"), R(("SkuId", "b"), discount="100"), R(("SkuId", "c"), markup="250")], []),
    ([EMPTY, R(basis="cost", markup="10")], [("rules[1]", "overlaps rules[0]")]),
    ([R(("ServiceName", "A"), ("RegionId", "eu")), R(("ServiceName", "A"), ("ChargeCategory", "Usage"))],
     [("rules[1]", "overlaps rules[0]")]),                                           # 32 vs 32, can co-match
    ([R(("ServiceName", "A"), ("RegionId", "eu")), R(("ServiceName", "A"), ("RegionId", "us"))], []),
    ([R(basis="retail")], [("rules[0].basis", "unknown basis")]),
    ([R(discount="5", markup="5")], [("rules[0]", "not both")]),
    ([R(discount="100.01")], [("rules[0].discount_pct", "between 0 and 100")]),
    ([R(discount="-1")], [("rules[0].discount_pct", "between 0 and 100")]),
    ([R(markup="-5")], [("rules[0].markup_pct", "cannot be negative")]),
    ([R(("Foo", "x"))], [("rules[0].match.Foo", "cannot match on 'Foo'")]),
    ([R(("SkuId", ""))], [("rules[0].match.SkuId", "non-empty")]),
])
def test_validate_rules(rules, expected):
    issues = validate_rules(rules)
    assert [path for path, _ in issues] == [path for path, _ in expected]
    for (_, message), (_, fragment) in zip(issues, expected):
        assert fragment in message


@pytest.mark.parametrize("rule, factor", [
    (R(), "1"), (R(discount="5"), "0.95"), (R(discount="12.5"), "0.875"), (R(markup="10"), "1.10"),
])
def test_rule_factor(rule, factor):
    assert rule.factor == D(factor)
