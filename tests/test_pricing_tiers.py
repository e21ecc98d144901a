"""Volume tiers (docs/pricing.md §5): graduated vs volume, the exact discount and the tier factor."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.money import D
from pricing.plans import Band, Tiers
from pricing.tiers import TierSlice, apply_tiers, tier_factor, validate_tiers


def tiers(mode, *bands):
    return Tiers(mode, tuple(Band(D(start), D(pct)) for start, pct in bands))


STEPS = (("0", "0"), ("10000", "2"), ("50000", "5"))
GRADUATED = tiers("graduated", *STEPS)
VOLUME = tiers("volume", *STEPS)


@pytest.mark.parametrize("mode_tiers, subtotal, discount, factor", [
    # graduated: each slice at its own band
    (GRADUATED, "12000", "40", "0.996666666667"),          # 2,000 × 2 %; 11,960 / 12,000 rounded up
    (GRADUATED, "60000", "1300", "0.978333333333"),        # 40,000 × 2 % + 10,000 × 5 %
    (GRADUATED, "10000", "0", "1"),                        # exactly at a band start: nothing above it
    # 800 + 0.01 × 5 % in the top band; 49,200.0095 / 50,000.01 = 0.98399999320000135…
    (GRADUATED, "50000.01", "800.0005", "0.983999993200"),
    # volume: the whole subtotal at the band it reaches
    (VOLUME, "12000", "240", "0.98"),
    (VOLUME, "9999.99", "0", "1"),
    (VOLUME, "50000", "2500", "0.95"),
    (VOLUME, "60000", "3000", "0.95"),
    # nothing to allocate
    (GRADUATED, "0", "0", "1"),
    (VOLUME, "-500", "0", "1"),
    (None, "12000", "0", "1"),
])
def test_apply_tiers(mode_tiers, subtotal, discount, factor):
    result = apply_tiers(mode_tiers, D(subtotal))
    assert result.subtotal == D(subtotal)
    assert result.discount == D(discount)
    assert result.factor == D(factor)


def test_graduated_breakdown_per_band():
    assert apply_tiers(GRADUATED, D("60000")).slices == (
        TierSlice(0, D("0"), D("10000"), D("10000"), D("0"), D("0")),
        TierSlice(1, D("10000"), D("50000"), D("40000"), D("2"), D("800")),
        TierSlice(2, D("50000"), None, D("10000"), D("5"), D("500")),
    )


def test_volume_breakdown_names_the_band_reached():
    result = apply_tiers(VOLUME, D("12000"))
    assert result.slices == (TierSlice(1, D("10000"), D("50000"), D("12000"), D("2"), D("240")),)
    assert result.as_detail()["bands"] == [
        {"band": 1, "from": "10000", "to": "50000", "amount": "12000", "discount_pct": "2", "discount": "240"}]


@pytest.mark.parametrize("subtotal, discount, factor", [
    ("8192", "1", "0.999877929688"),   # 0.9998779296875: a tie, half away from zero
    ("8192", "3", "0.999633789063"),   # 0.9996337890625: half-even would give …062
    ("3", "1", "0.666666666667"),
    ("100", "100", "0"),
    ("100", "0", "1"),
])
def test_tier_factor_twelve_places_half_up(subtotal, discount, factor):
    t = tier_factor(D(subtotal), D(discount))
    assert t == D(factor)


@pytest.mark.parametrize("config, expected", [
    (GRADUATED, []),
    (None, []),
    (tiers("stepped", ("0", "0")), [("tiers.mode", "unknown tier mode")]),
    (tiers("volume"), [("tiers.bands", "at least one band")]),
    (tiers("volume", ("100", "1")), [("tiers.bands[0].from", "start at 0")]),
    (tiers("volume", ("0", "1"), ("500", "2"), ("500", "3")), [("tiers.bands[2].from", "increasing")]),
    (tiers("graduated", ("0", "1"), ("500", "2"), ("400", "3")), [("tiers.bands[2].from", "increasing")]),
    (tiers("graduated", ("0", "-1"), ("500", "101")),
     [("tiers.bands[0].discount_pct", "between 0 and 100"), ("tiers.bands[1].discount_pct", "between 0 and 100")]),
])
def test_validate_tiers(config, expected):
    issues = validate_tiers(config)
    assert [p for p, _ in issues] == [p for p, _ in expected]
    for (_, message), (_, fragment) in zip(issues, expected):
        assert fragment in message


cents = st.integers(min_value=-10**9, max_value=10**11).map(lambda c: Decimal(c).scaleb(-2))
pcts = st.lists(st.integers(min_value=0, max_value=10000), min_size=1, max_size=4)   # hundredths of a %


@settings(max_examples=60, deadline=None)
@given(subtotal=cents, raw_pcts=pcts, gap=st.integers(min_value=1, max_value=10**7))
def test_tier_invariants(subtotal, raw_pcts, gap):
    rising = sorted(Decimal(p).scaleb(-2) for p in raw_pcts)
    bands = tuple(Band(Decimal(i * gap), pct) for i, pct in enumerate(rising))
    graduated = apply_tiers(Tiers("graduated", bands), subtotal)
    volume = apply_tiers(Tiers("volume", bands), subtotal)
    for result in (graduated, volume):
        assert Decimal(0) <= result.discount <= max(subtotal, Decimal(0))
        assert Decimal(0) <= result.factor <= Decimal(1)
        assert result.factor.as_tuple().exponent >= -12
        assert result.discount == sum((s.discount for s in result.slices), Decimal(0))
    if subtotal > 0:
        assert sum((s.amount for s in graduated.slices), Decimal(0)) == subtotal
        assert graduated.discount <= volume.discount                  # rising bands: volume is never cheaper
