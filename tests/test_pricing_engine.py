"""The reference pricer end to end: FOCUS rows in, ledger, invoices, issues and margins out.

Every expected number is worked out by hand in the comment next to it (docs/pricing.md §2–§9).
"""

from datetime import date

import pytest

from pricing.engine import bill_period, ledger_columns
from pricing.fx import FxTable
from pricing.hierarchy import Org
from pricing.money import D
from pricing.plans import Band, Fee, Plan, Rule, Tiers

JUNE = date(2025, 6, 1)
NO_FX = FxTable({})


def row(service="Amazon EC2", list_="0", billed="0", *, effective=None, contracted=None, provider="AWS",
        category="Usage", customer="cust", ccy="USD", status=None, commitment=None, svc_cat="Compute"):
    return {"ProviderName": provider, "BillingAccountId": "111111111111", "SubAccountId": "222222222222",
            "InvoiceId": "INV-1", "ServiceCategory": svc_cat, "ServiceName": service, "SkuId": None,
            "RegionId": "us-east-1", "ChargeCategory": category, "ChargeClass": None,
            "CommitmentDiscountId": commitment, "CommitmentDiscountStatus": status, "BillingCurrency": ccy,
            "ListCost": D(list_), "ContractedCost": D(contracted or billed), "BilledCost": D(billed),
            "EffectiveCost": D(billed if effective is None else effective), "x_CustomerId": customer}


def plan(plan_id, owner, *rules, **terms):
    return Plan(plan_id, owner, tuple(rules), **terms)


def list_less(pct):
    return Rule((), "list", discount_pct=D(pct))


def one_tier(cust_ccy="USD", **cust):
    return {"res": Org("res", "Reseller", "reseller", None, "USD"),
            "cust": Org("cust", "Contoso", "customer", "res", cust_ccy, "p-cust", **cust)}


def two_tier(cust_ccy="USD"):
    return {"dist": Org("dist", "Distributor", "distributor", None, "USD"),
            "res": Org("res", "Reseller", "reseller", "dist", "USD", "p-res"),
            "cust": Org("cust", "Contoso", "customer", "res", cust_ccy, "p-cust")}


# DOMAIN §6: FOCUS rows summing to ListCost 10,000.00 and BilledCost 8,500.00
WORKLOAD = [row("Amazon EC2", "6000.00", "5100.00"), row("Amazon S3", "4000.00", "3400.00", svc_cat="Storage")]
DOMAIN_PLANS = {"p-res": plan("p-res", "dist", list_less("10")), "p-cust": plan("p-cust", "res", list_less("5"))}


def lines(inv):
    return [(l.kind, l.description, str(l.amount)) for l in inv.lines]


def check_invoices_add_up(result):
    """Invoice total = Σ lines + tax; a service line = Σ x_PriceBuyer of its ledger entries."""
    for inv in result.invoices:
        assert inv.subtotal == sum((l.amount for l in inv.lines), D("0"))
        assert inv.total == inv.subtotal + inv.tax
        for line in inv.lines:
            if line.kind == "service":
                assert line.unrounded == sum(
                    (e.x_PriceBuyer for e in result.ledger
                     if (e.x_SellerId, e.x_BuyerId, e.ProviderName, e.ServiceName) ==
                     (inv.seller, inv.buyer, line.provider, line.service)
                     and e.x_Treatment in ("priced", "adjustment")), D("0"))


def margins(result):
    return [(m["org"], m["currency"], str(m["revenue"]), str(m["cost"]), str(m["margin"])) for m in result.margins()]


@pytest.mark.parametrize("orgs, invoices, expected_margins", [
    # 1-tier: provider 8,500 → reseller charges 9,500 (5 % off list): margin 1,000
    (one_tier(), {("res", "cust"): "9500.00"},
     [("res", "USD", "9500.00", "8500.00", "1000.00")]),
    # 2-tier: 8,500 → distributor charges 9,000 (10 % off) → reseller charges 9,500 (5 % off)
    (two_tier(), {("dist", "res"): "9000.00", ("res", "cust"): "9500.00"},
     [("dist", "USD", "9000.00", "8500.00", "500.00"), ("res", "USD", "9500.00", "9000.00", "500.00")]),
])
def test_domain_worked_example(orgs, invoices, expected_margins):
    result = bill_period(JUNE, orgs, DOMAIN_PLANS, NO_FX, WORKLOAD)
    assert {(i.seller, i.buyer): str(i.total) for i in result.invoices} == invoices
    assert margins(result) == expected_margins
    assert result.issues == () and not result.failed
    check_invoices_add_up(result)


def test_domain_two_tier_ledger():
    result = bill_period(JUNE, two_tier(), DOMAIN_PLANS, NO_FX, WORKLOAD)
    got = [(e.x_Depth, e.x_SellerId, e.x_BuyerId, e.ServiceName, e.x_Treatment, e.x_RuleNo, e.x_Basis,
            str(e.x_BasisAmount), str(e.x_Factor), str(e.x_Cost), str(e.x_Price), str(e.x_CostSeller))
           for e in result.ledger]
    assert got == [
        # d seller  buyer   service        treatment  rule basis   basis amt          factor          cost               price              cost, seller ccy
        (1, "dist", "res", "Amazon EC2", "priced", 0, "list", "6000.0000000000", "0.9000000000", "5100.0000000000", "5400.0000000000", "5100.0000000000"),
        (1, "dist", "res", "Amazon S3", "priced", 0, "list", "4000.0000000000", "0.9000000000", "3400.0000000000", "3600.0000000000", "3400.0000000000"),
        (2, "res", "cust", "Amazon EC2", "priced", 0, "list", "6000.0000000000", "0.9500000000", "5400.0000000000", "5700.0000000000", "5400.0000000000"),
        (2, "res", "cust", "Amazon S3", "priced", 0, "list", "4000.0000000000", "0.9500000000", "3600.0000000000", "3800.0000000000", "3600.0000000000"),
    ]
    assert all(e.x_CustomerId == "cust" and e.x_TierFactor == 1 and e.x_FxRate == 1 for e in result.ledger)
    assert tuple(ledger_columns()[:5]) == ("x_Period", "x_SellerId", "x_BuyerId", "x_CustomerId", "x_Depth")


def test_cost_plus_on_a_two_level_chain():
    plans = {"p-res": plan("p-res", "dist", Rule((), "cost", markup_pct=D("10"))),
             "p-cust": plan("p-cust", "res", Rule((), "cost", markup_pct=D("20")))}
    result = bill_period(JUNE, two_tier(), plans, NO_FX, [row("Amazon EC2", "200.00", "123.45")])
    assert [(e.x_Depth, str(e.x_Cost), str(e.x_Price)) for e in result.ledger] == [
        (1, "123.4500000000", "135.7950000000"),     # 123.45 × 1.10
        (2, "135.7950000000", "162.9540000000"),     # 135.795 × 1.20: built on the unrounded price above
    ]
    assert lines(result.invoice("dist", "res")) == [("service", "AWS Amazon EC2", "135.80")]   # .795 → .80
    assert lines(result.invoice("res", "cust")) == [("service", "AWS Amazon EC2", "162.95")]
    assert margins(result) == [("dist", "USD", "135.80", "123.45", "12.35"),
                               ("res", "USD", "162.95", "135.80", "27.15")]


STEPS = ((D("0"), D("0")), (D("10000"), D("2")), (D("50000"), D("5")))


@pytest.mark.parametrize("mode, factor, ec2, s3, subtotal, discount", [
    # S = 7,000 + 5,000 = 12,000. graduated: D = 2,000 × 2 % = 40; t = 11,960 / 12,000 = 0.99666…67
    ("graduated", "0.996666666667", "6976.6666666690", "4983.3333333350", "11960.00", "40"),
    # volume: D = 12,000 × 2 % = 240; t = 0.98
    ("volume", "0.980000000000", "6860.0000000000", "4900.0000000000", "11760.00", "240"),
])
def test_tiers_allocated_back_to_groups(mode, factor, ec2, s3, subtotal, discount):
    tiers = Tiers(mode, tuple(Band(start, pct) for start, pct in STEPS))
    plans = {"p-cust": plan("p-cust", "res", Rule((), "list"), tiers=tiers)}
    rows = [row("Amazon EC2", "7000.00", "6000.00"), row("Amazon S3", "5000.00", "4000.00", svc_cat="Storage")]
    result = bill_period(JUNE, one_tier(), plans, NO_FX, rows)
    assert [(e.ServiceName, str(e.x_PricePreTier), str(e.x_TierFactor), str(e.x_Price)) for e in result.ledger] == [
        ("Amazon EC2", "7000.0000000000", factor, ec2),
        ("Amazon S3", "5000.0000000000", factor, s3),
    ]
    inv = result.invoice("res", "cust")
    assert str(inv.subtotal) == subtotal               # 6,976.67 + 4,983.33 | 6,860.00 + 4,900.00
    assert D(inv.lines[0].detail["tiers"]["discount"]) == D(discount)
    assert D(inv.lines[0].detail["tiers"]["subtotal"]) == D("12000")
    check_invoices_add_up(result)


def test_fixed_and_percentage_fees():
    fees = (Fee("Managed service", amount=D("500.00")), Fee("Support 3 %", pct_of_usage=D("3")))
    orgs = one_tier(tax_rate_pct=D("20")) | {
        "idle": Org("idle", "Idle Ltd", "customer", "res", "USD", "p-cust")}       # no rows this month
    plans = {"p-cust": plan("p-cust", "res", list_less("5"), fees=fees)}
    result = bill_period(JUNE, orgs, plans, NO_FX, WORKLOAD)
    busy = result.invoice("res", "cust")
    assert lines(busy) == [
        ("service", "AWS Amazon EC2", "5700.00"),
        ("service", "AWS Amazon S3", "3800.00"),
        ("fee", "Managed service", "500.00"),
        ("fee", "Support 3 %", "285.00"),             # 3 % × 9,500.00 priced usage
    ]
    assert (str(busy.subtotal), str(busy.tax), str(busy.total)) == ("10285.00", "2057.00", "12342.00")
    idle = result.invoice("res", "idle")              # a fixed fee makes an invoice without rows
    assert lines(idle) == [("fee", "Managed service", "500.00")]
    assert margins(result) == [("res", "USD", "10785.00", "8500.00", "2285.00")]


CREDIT = row("Amazon EC2", "0", "-200.00", category="Credit")


@pytest.mark.parametrize("dist_credits, res_credits, res_lines, cust_lines, expected_margins", [
    # 2-tier: the distributor passes the 200.00 credit through, the reseller keeps it as margin
    ("pass_through", "retain",
     [("service", "AWS Amazon EC2", "5400.00"), ("service", "AWS Amazon S3", "3600.00"),
      ("credit", "AWS credits", "-200.00")],
     [("service", "AWS Amazon EC2", "5700.00"), ("service", "AWS Amazon S3", "3800.00")],
     [("dist", "USD", "8800.00", "8300.00", "500.00"),      # cost 8,500 − 200 passed on
      ("res", "USD", "9500.00", "8800.00", "700.00")]),     # cost 9,000 − 200 retained: +200 margin
    # the distributor keeps it: it never reaches the reseller
    ("retain", "pass_through",
     [("service", "AWS Amazon EC2", "5400.00"), ("service", "AWS Amazon S3", "3600.00")],
     [("service", "AWS Amazon EC2", "5700.00"), ("service", "AWS Amazon S3", "3800.00")],
     [("dist", "USD", "9000.00", "8300.00", "700.00"), ("res", "USD", "9500.00", "9000.00", "500.00")]),
    # both pass it on: the customer gets it
    ("pass_through", "pass_through",
     [("service", "AWS Amazon EC2", "5400.00"), ("service", "AWS Amazon S3", "3600.00"),
      ("credit", "AWS credits", "-200.00")],
     [("service", "AWS Amazon EC2", "5700.00"), ("service", "AWS Amazon S3", "3800.00"),
      ("credit", "AWS credits", "-200.00")],
     [("dist", "USD", "8800.00", "8300.00", "500.00"), ("res", "USD", "9300.00", "8800.00", "500.00")]),
])
def test_credits_retained_or_passed_through(dist_credits, res_credits, res_lines, cust_lines, expected_margins):
    plans = {"p-res": plan("p-res", "dist", list_less("10"), credits=dist_credits),
             "p-cust": plan("p-cust", "res", list_less("5"), credits=res_credits)}
    result = bill_period(JUNE, two_tier(), plans, NO_FX, [*WORKLOAD, CREDIT])
    assert lines(result.invoice("dist", "res")) == res_lines
    assert lines(result.invoice("res", "cust")) == cust_lines
    assert margins(result) == expected_margins
    credit_entries = [(e.x_Depth, e.x_Treatment, str(e.x_Cost), str(e.x_Price))
                      for e in result.ledger if e.ChargeCategory == "Credit"]
    first = "passed_credit" if dist_credits == "pass_through" else "retained_credit"
    assert credit_entries[0] == (1, first, "-200.0000000000", "-200.0000000000" if first == "passed_credit" else "0")
    assert len(credit_entries) == (2 if first == "passed_credit" else 1)
    check_invoices_add_up(result)


EUR_RATE = FxTable({(JUNE, "USD", "EUR"): D("0.9234567891")})


def test_eur_customer_of_usd_reseller_of_usd_distributor():
    result = bill_period(JUNE, two_tier(cust_ccy="EUR"), DOMAIN_PLANS, EUR_RATE, WORKLOAD)
    assert str(result.invoice("dist", "res").total) == "9000.00"
    eur = result.invoice("res", "cust")
    assert eur.currency == "EUR"
    assert lines(eur) == [
        ("service", "AWS Amazon EC2", "5263.70"),     # 5,700 USD × 0.9234567891 = 5,263.70369787
        ("service", "AWS Amazon S3", "3509.14"),      # 3,800 USD × 0.9234567891 = 3,509.13579858
    ]
    assert [(e.x_BuyerCurrency, str(e.x_FxRate), str(e.x_Price), str(e.x_PriceBuyer), str(e.x_CostSeller))
            for e in result.ledger if e.x_Depth == 2] == [
        ("EUR", "0.9234567891", "5700.0000000000", "5263.7036978700", "5400.0000000000"),
        ("EUR", "0.9234567891", "3800.0000000000", "3509.1357985800", "3600.0000000000"),
    ]
    assert margins(result) == [
        ("dist", "USD", "9000.00", "8500.00", "500.00"),
        # cost: 5,400 × r + 3,600 × r = 4,986.66666114 + 3,324.44444076 = 8,311.1111019 → 8,311.11
        ("res", "EUR", "8772.84", "8311.11", "461.73"),
    ]


def test_missing_rate_is_an_error_for_that_buyer():
    result = bill_period(JUNE, two_tier(cust_ccy="EUR"), DOMAIN_PLANS, NO_FX, WORKLOAD)
    assert [(i.kind, i.seller, i.buyer, i.ServiceName) for i in result.issues] == [
        ("no_fx", "res", "cust", "Amazon EC2"), ("no_fx", "res", "cust", "Amazon S3")]
    assert "USD→EUR" in result.issues[0].detail and "2025-06" in result.issues[0].detail
    assert result.failed
    assert [(i.seller, i.buyer) for i in result.invoices] == [("dist", "res")]


@pytest.mark.parametrize("row_ccy, rows_in, fx, line, tax, total, cost_seller, margin", [
    # USD rows, JPY customer: 95.00 USD × 151.2345 = 14,367.2775 → 14,367; tax 10 % 1,436.7 → 1,437
    ("USD", ("100.00", "85.00"), {(JUNE, "USD", "JPY"): D("151.2345")},
     "14367", "1437", "15804", "85.0000000000", ("res", "JPY", "14367", "12855", "1512")),
    # JPY rows: 12,345 × 0.95 = 11,727.75 → 11,728; the USD root's cost 10,000 JPY × 0.0066 = 66 USD
    ("JPY", ("12345", "10000"), {(JUNE, "JPY", "USD"): D("0.0066")},
     "11728", "1173", "12901", "66.0000000000", ("res", "JPY", "11728", "10000", "1728")),
])
def test_jpy_has_no_decimals(row_ccy, rows_in, fx, line, tax, total, cost_seller, margin):
    rows = [row("Amazon EC2", *rows_in, ccy=row_ccy)]
    plans = {"p-cust": plan("p-cust", "res", list_less("5"))}
    result = bill_period(JUNE, one_tier(cust_ccy="JPY", tax_rate_pct=D("10")), plans, FxTable(fx), rows)
    inv = result.invoice("res", "cust")
    assert lines(inv) == [("service", "AWS Amazon EC2", line)]
    assert (str(inv.tax), str(inv.total)) == (tax, total)
    assert str(result.ledger[0].x_CostSeller) == cost_seller
    # margin cost 85 USD × 151.2345 = 12,854.9325 → 12,855
    assert margins(result) == [margin]


def test_half_cent_ties_and_refunds():
    plans = {"p-cust": plan("p-cust", "res", list_less("50"))}
    rows = [row("Amazon EC2", "100.01", "90.00"),                     # 100.01 × 0.5 = 50.005 → 50.01
            row("Amazon S3", "-100.01", "-90.00", svc_cat="Storage")]  # a refund: −50.005 → −50.01
    result = bill_period(JUNE, one_tier(), plans, NO_FX, rows)
    inv = result.invoice("res", "cust")
    assert lines(inv) == [("service", "AWS Amazon EC2", "50.01"), ("service", "AWS Amazon S3", "-50.01")]
    assert inv.subtotal == D("0")
    assert [str(e.x_Price) for e in result.ledger] == ["50.0050000000", "-50.0050000000"]


def test_adjustments_pass_at_cost_outside_tiers():
    tiers = Tiers("volume", (Band(D("0"), D("10")),))
    plans = {"p-cust": plan("p-cust", "res", Rule((), "list"), tiers=tiers, fees=(Fee("Support", pct_of_usage=D("10")),))}
    rows = [row("Amazon EC2", "1000.00", "850.00"), row("Amazon EC2", "0", "-15.00", category="Adjustment")]
    result = bill_period(JUNE, one_tier(), plans, NO_FX, rows)
    assert [(e.x_Treatment, str(e.x_TierFactor), str(e.x_Price)) for e in result.ledger] == [
        ("adjustment", "1", "-15.0000000000"),       # at the seller's cost, t = 1
        ("priced", "0.900000000000", "900.0000000000"),
    ]
    # one service line: 900 − 15 = 885; support 10 % of priced usage only: 90.00
    assert lines(result.invoice("res", "cust")) == [("service", "AWS Amazon EC2", "885.00"), ("fee", "Support", "90.00")]


def test_no_matching_rule_is_reported_not_zero():
    plans = {"p-res": plan("p-res", "dist", Rule((("ProviderName", "AWS"),), "list", discount_pct=D("10"))),
             "p-cust": plan("p-cust", "res", list_less("5"))}
    rows = [*WORKLOAD, row("Virtual Machines", "50.00", "40.00", provider="Microsoft"),
            row("Virtual Machines", "25.00", "20.00", provider="Microsoft")]
    result = bill_period(JUNE, two_tier(), plans, NO_FX, rows)
    assert [(i.kind, i.seller, i.buyer, i.customer, i.ProviderName, i.row_count, str(i.BilledCost))
            for i in result.issues] == [("no_rule", "dist", "res", "cust", "Microsoft", 2, "60.0000000000")]
    assert result.failed
    assert "Microsoft" not in {e.ProviderName for e in result.ledger}          # not on edge 1, nor below
    assert str(result.invoice("res", "cust").total) == "9500.00"


def test_unassigned_rows_and_provider_tax():
    rows = [*WORKLOAD,
            row("Amazon EC2", "40.00", "30.00", customer=None), row("Amazon EC2", "25.00", "20.00", customer=None),
            row("Amazon EC2", "1.00", "1.00", customer="ghost"),
            row("Amazon EC2", "2.00", "2.00", customer="res"),            # the root's own consumption
            row("Amazon EC2", "0", "85.00", category="Tax", customer="cust")]
    result = bill_period(JUNE, one_tier(), DOMAIN_PLANS, NO_FX, rows)
    assert [(i.kind, i.customer, i.row_count, str(i.BilledCost), i.seller, i.buyer) for i in result.issues] == [
        ("unassigned", None, 2, "50.0000000000", None, None),
        ("unassigned", "ghost", 1, "1.0000000000", None, None),
        ("unassigned", "res", 1, "2.0000000000", None, None),
    ]
    assert "unknown organisation" in result.issues[1].detail and "top organisation" in result.issues[2].detail
    assert not result.failed                            # reported, never dropped, not a pricing error
    assert [(t.ChargeCategory, t.x_CustomerId, str(t.BilledCost)) for t in result.provider_tax_rows] == [
        ("Tax", None, "85.0000000000")]
    assert {e.ChargeCategory for e in result.ledger} == {"Usage"}
    assert str(result.invoice("res", "cust").total) == "9500.00"


def test_buyer_without_plan():
    orgs = one_tier() | {"cust": Org("cust", "Contoso", "customer", "res", "USD", "p-missing")}
    result = bill_period(JUNE, orgs, DOMAIN_PLANS, NO_FX, WORKLOAD)
    assert [(i.kind, i.buyer, i.detail) for i in result.issues] == [
        ("no_plan", "cust", "'cust' has unknown plan 'p-missing'")] * 2
    assert result.invoices == () and result.ledger == ()


COMMITMENT_ROWS = [
    row("covered", "100.00", "0", effective="60.00", status="Used", commitment="ri-1"),
    row("unused", "30.00", "0", effective="20.00", status="Unused", commitment="ri-1"),
    row("purchase", "80.00", "80.00", effective="0", category="Purchase", commitment="ri-1"),
    row("on-demand", "50.00", "40.00"),
]


@pytest.mark.parametrize("basis, policy, share, expected", [
    #                                         covered   unused  purchase  on-demand
    ("list", "pass_through", None,           ["60",     "20",   "0",      "50"]),   # amortised basis
    ("list", "retain", None,                 ["100",    "0",    "0",      "50"]),   # on-demand list; saving is margin
    ("list", "share", "25",                  ["90",     "0",    "0",      "50"]),   # 100 − 25 % × (100 − 60)
    ("list", "share", "33.33",               ["86.668", "0",    "0",      "50"]),   # 100 − 0.3333 × 40 = 86.668
    ("cost", "retain", None,                 ["0",      "0",    "80",     "40"]),   # cost-plus: BilledCost, no policy
])
def test_commitment_policies(basis, policy, share, expected):
    plans = {"p-cust": plan("p-cust", "res", Rule((), basis), commitments=policy,
                            commitment_share_pct=None if share is None else D(share))}
    result = bill_period(JUNE, one_tier(), plans, NO_FX, COMMITMENT_ROWS)
    by_service = {e.ServiceName: e for e in result.ledger}
    assert [by_service[s].x_PricePreTier for s in ("covered", "unused", "purchase", "on-demand")] == \
        [D(x) for x in expected]
    assert by_service["covered"].x_Commitment and not by_service["on-demand"].x_Commitment


def test_rows_are_grouped_and_checked():
    rows = [row("Amazon EC2", "6000.00", "5100.00"), row("Amazon EC2", "0.005", "0.004")]
    result = bill_period(JUNE, one_tier(), DOMAIN_PLANS, NO_FX, rows)
    (entry,) = result.ledger
    assert (entry.x_RowCount, str(entry.ListCost), str(entry.BilledCost)) == (2, "6000.0050000000", "5100.0040000000")
    assert str(entry.x_Price) == "5700.0047500000"      # 6,000.005 × 0.95
    with pytest.raises(TypeError):
        bill_period(JUNE, one_tier(), DOMAIN_PLANS, NO_FX, [{**rows[0], "BilledCost": 5100.0}])
    with pytest.raises(ValueError, match="period"):
        bill_period(JUNE, one_tier(), DOMAIN_PLANS, NO_FX, [{**rows[0], "x_Period": date(2025, 5, 1)}])
