"""The scoped access layer (queries/scope.py): who sees what, and forged choices refused.

The store is built by hand (`build_store`): configuration, FOCUS rows, a priced ledger, runs and
invoices written directly, so these tests do not depend on the billing run. The channel:

    dist (distributor, root, USD)
    ├── r1 (reseller, USD; dist sells at list −10 %)  ── c1 (USD, tax 20 %), c2 (USD, fee 500.00)
    └── r2 (reseller, USD; dist sells at cost +5 %)   ── c3 (USD), c4 (JPY)     (r2 sells at cost +10 %)
    r1 sells to its customers at list −5 %.

Every amount below is hand-computed in the comments next to the rows.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from data import audit
from data.store import migrate
from pricing.money import ZERO, ledger, round_line
from queries import scope
from queries.scope import ScopeError

P = date(2026, 5, 1)
APRIL = date(2026, 4, 1)
D = Decimal

ORGS = [  # id, name, kind, parent, currency, plan, tax, depth
    ("dist", "Dist Co", "distributor", None, "USD", None, "0", 0),
    ("r1", "Reseller One", "reseller", "dist", "USD", "d-r1", "0", 1),
    ("r2", "Reseller Two", "reseller", "dist", "USD", "d-r2", "0", 1),
    ("c1", "Contoso", "customer", "r1", "USD", "r1-c", "20", 2),
    ("c2", "Fabrikam", "customer", "r1", "USD", "r1-c2", "0", 2),
    ("c3", "Tailspin", "customer", "r2", "USD", "r2-c", "0", 2),
    ("c4", "Kyoto KK", "customer", "r2", "JPY", "r2-c", "10", 2),
]
PLANS = {  # plan → (basis, factor)
    "d-r1": ("list", D("0.9")), "d-r2": ("cost", D("1.05")),
    "r1-c": ("list", D("0.95")), "r1-c2": ("list", D("0.95")), "r2-c": ("cost", D("1.1")),
}
USERS = [  # username, org, roles, customers, cost_groups
    ("ana", "dist", ["admin"], None, None),
    ("lea", "dist", ["leader"], None, None),
    ("dam", "dist", ["account_manager"], ["c3"], None),
    ("ron", "r1", ["admin"], None, None),
    ("rlead", "r1", ["leader"], None, None),
    ("ram", "r1", ["account_manager"], ["c1"], None),
    ("rita", "r2", ["admin"], None, None),
    ("cat", "c1", ["customer"], None, None),
    ("cg", "c1", ["customer"], None, ["web"]),
    ("cora", "c2", ["customer"], None, None),
    ("ken", "c4", ["customer"], None, None),
]
MAPPINGS = [  # mapping_no, provider, sub_account_id, tag_key, tag_value, customer
    (1, "AWS", "S1", None, None, "c1"), (2, "AWS", "S2", None, None, "c2"),
    (3, "AWS", "S3", None, None, "c3"), (4, "AWS", "S4", None, None, "c4"),
    (5, None, None, "customer", "c2", "c2"),          # a tag rule: beats the sub-account mapping
]
FX = {"JPY": D("151.37")}

# FOCUS rows of May: (customer, sub, category, service, service_category, sku, day, list, billed,
# resource, tags). customer None = unassigned; 'tax' = the provider's tax.
ROWS = [
    ("c1", "S1", "Usage", "AmazonEC2", "Compute", "SKU-1", 1, "600", "510", "i-a", {"cost_group": "web"}),
    ("c1", "S1", "Usage", "AmazonEC2", "Compute", "SKU-1", 2, "400", "340", "i-b", {"cost_group": "data"}),
    ("c1", "S1", "Usage", "AmazonS3", "Storage", "SKU-2", 1, "100", "85", "bucket-1", {"cost_group": "data"}),
    ("c1", "S1", "Credit", "AmazonEC2", "Compute", "SKU-1", 1, "0", "-10", None, None),   # dist retains it
    # same pricing key as c1's EC2 rows, but the tag rule sends it to c2
    ("c2", "S1", "Usage", "AmazonEC2", "Compute", "SKU-1", 3, "200", "170", "i-secret-c2", {"customer": "c2"}),
    ("c2", "S2", "Usage", "AmazonEC2", "Compute", "SKU-1", 1, "1000", "850", "i-c2", None),
    ("c3", "S3", "Usage", "AmazonEC2", "Compute", "SKU-1", 1, "200", "150", "i-c3a", None),
    ("c3", "S3", "Usage", "AmazonEC2", "Compute", "SKU-1", 2, "100", "105", "i-c3b", None),
    ("c4", "S4", "Usage", "AmazonEC2", "Compute", "SKU-1", 1, "10", "8", "i-c4", None),
    (None, "S9", "Usage", "AmazonEC2", "Compute", "SKU-1", 1, "50", "40", "i-lost", None),
    ("tax", None, "Tax", "Tax", "Other", None, 1, "0", "85", None, None),
]
# Hand-computed (USD unless said):
#   c1 EC2 group L 1000 B 850: dist→r1 900 (cost 850), r1→c1 950 (cost 900); rows 570 + 380
#   c1 S3 L 100 B 85: 90 (cost 85), 95 (cost 90);  c1 credit −10: retained by dist (price 0)
#   c2 S1 group L 200 B 170: 180, 190;  c2 S2 group L 1000 B 850: 900, 950; fee 500
#   c3 group L 300 B 255: dist→r2 cost×1.05 = 267.75, r2→c3 cost×1.1 = 294.525 (rows by BilledCost:
#      150/255 → 173.25, 105/255 → 121.275); invoice line 294.53
#   c4 group B 8: 8.40, 9.24 USD × 151.37 = 1398.6588 JPY → 1399; tax 10 % → 140; total 1539
#   dist: revenue 2070.00 (r1) + 276.15 (r2) = 2346.15, cost 2208.00, margin 138.15
#   r1: revenue 1045.00 (c1, issued) + 1640.00 (c2) = 2685.00, cost 2070.00, margin 615.00
#   r2: USD revenue 294.53, cost 267.75, margin 26.78; JPY revenue 1399, cost 1271.508 → 1272, margin 127
#   reconciliation: provider total 2333.00 = assigned 2218.00 + unassigned 40.00 − 10.00 + tax 85.00

PARENT = {o[0]: o[3] for o in ORGS}
PLAN_OF = {o[0]: o[5] for o in ORGS}
CCY = {o[0]: o[4] for o in ORGS}
TAX = {o[0]: D(o[6]) for o in ORGS}
FEES = {"c2": [("Managed service", D("500.00"))]}


def _path(customer: str) -> list[tuple[str, str]]:
    edges, node = [], customer
    while PARENT[node] is not None:
        edges.append((PARENT[node], node))
        node = PARENT[node]
    return list(reversed(edges))


def _insert(con, table: str, row: dict) -> None:
    """Insert one row by column name: DuckDB's relation API, no SQL text. A column the row leaves
    out gets the schema's default (only literal defaults exist: '...' strings and numbers)."""
    defaults = dict(con.execute(
        "SELECT column_name, column_default FROM duckdb_columns() "
        "WHERE table_name = ? AND column_default IS NOT NULL", [table]).fetchall())
    target = con.table(table)
    unknown = set(row) - set(target.columns)
    assert not unknown, f"{table} has no columns {unknown}"

    def default(column: str):
        text = defaults.get(column)
        if text is None:
            return None
        return text[1:-1] if text.startswith("'") else Decimal(text)

    target.insert([row[c] if c in row else default(c) for c in target.columns])


def build_store(*, drop_landing_resource: str | None = None) -> duckdb.DuckDBPyConnection:
    """The channel above in a fresh in-memory store. `drop_landing_resource` leaves one FOCUS row
    out of landing_focus after pricing (to break reconciliation on purpose)."""
    con = duckdb.connect()
    migrate(con)
    for oid, name, kind, parent, ccy, plan, tax, depth in ORGS:
        _insert(con, "cfg_organizations", dict(id=oid, name=name, kind=kind, parent=parent, currency=ccy,
                                                plan=plan, tax_rate_pct=D(tax), depth=depth))
    for pid, (basis, _factor) in PLANS.items():
        owner = {"d-r1": "dist", "d-r2": "dist"}.get(pid, "r1" if pid.startswith("r1") else "r2")
        _insert(con, "cfg_plans", dict(id=pid, owner=owner, definition=json.dumps({"basis": basis})))
    for no, provider, sub, tag_key, tag_value, customer in MAPPINGS:
        _insert(con, "cfg_account_mappings", dict(mapping_no=no, provider=provider, sub_account_id=sub,
                                                   tag_key=tag_key, tag_value=tag_value, customer=customer))
    for username, org, roles, customers, groups in USERS:
        _insert(con, "cfg_users", dict(username=username, name=username.title(), org=org, roles=roles,
                                        customers=customers, cost_groups=groups, password_hash="x"))
    # runs: April ok; May ok twice (run 3 is current) and a later failed one; June failed only
    for run_id, period, status in [(1, APRIL, "ok"), (2, P, "ok"), (3, P, "ok"), (4, P, "failed"),
                                   (5, date(2026, 6, 1), "failed")]:
        _insert(con, "billing_runs", dict(run_id=run_id, x_Period=period, started_at=datetime(2026, 6, 1),
                                          status=status, tag_keys=["customer"]))
    # what run 3 decided: each account's customer (cut by the tag rule's key) and each edge's terms
    # (rows without tags have no tag values at all, as ingest groups them)
    accounts = {("AWS", "BA1", sub, (tags.get("customer"),) if tags else None, cust)
                for cust, sub, *_rest, tags in ROWS if cust != "tax"}
    for provider, ba, sub, tag_values, cust in sorted(accounts, key=str):
        _insert(con, "fct_accounts", dict(run_id=3, x_Period=P, ProviderName=provider, BillingAccountId=ba,
                                          SubAccountId=sub, x_TagValues=list(tag_values) if tag_values else None,
                                          x_CustomerId=cust))
    for cust in ("c1", "c2", "c3", "c4"):
        for depth, (seller, buyer) in enumerate(_path(cust), start=1):
            _insert(con, "fct_edges", dict(run_id=3, x_Period=P, x_CustomerId=cust, x_Depth=depth,
                                           x_SellerId=seller, x_BuyerId=buyer, plan_id=PLAN_OF[buyer],
                                           buyer_ccy=CCY[buyer], seller_ccy=CCY[seller], credits="retain",
                                           commitments="pass_through", share_frac=ZERO))

    groups: dict[tuple, dict] = {}
    for n, (cust, sub, cat, svc, svc_cat, sku, day, lst, billed, res, tags) in enumerate(ROWS):
        row = dict(BilledCost=D(billed), ListCost=D(lst), ContractedCost=D(lst), EffectiveCost=D(billed),
                   BillingAccountId="BA1", BillingCurrency="USD", ChargeCategory=cat,
                   BillingPeriodStart=datetime(2026, 5, 1), BillingPeriodEnd=datetime(2026, 6, 1),
                   ChargePeriodStart=datetime(2026, 5, day), ChargePeriodEnd=datetime(2026, 5, day, 1),
                   ProviderName="AWS", ServiceCategory=svc_cat, ServiceName=svc, SkuId=sku,
                   RegionId="us-east-1", SubAccountId=sub, InvoiceId="INV-1", ResourceId=res,
                   ConsumedQuantity=D(n + 1), ConsumedUnit="Hours",
                   Tags=json.dumps(tags) if tags else None, x_Period=P, x_IngestId=1, x_SourceFile="may.csv")
        if drop_landing_resource is None or res != drop_landing_resource:
            _insert(con, "landing_focus", row)
        if cust in (None, "tax"):
            continue
        key = (cust, sub, cat, svc, svc_cat, sku)
        g = groups.setdefault(key, {"rows": 0, "L": ZERO, "B": ZERO})
        g["rows"] += 1
        g["L"] += D(lst)
        g["B"] += D(billed)
    _insert(con, "fct_exceptions", dict(run_id=3, x_Period=P, kind="unassigned", ProviderName="AWS",
                                        BillingAccountId="BA1", InvoiceId="INV-1", SubAccountId="S9", ServiceName="AmazonEC2",
                                        SkuId="SKU-1", BillingCurrency="USD", x_RowCount=1, BilledCost=D("40")))

    sums: dict[tuple[str, str], dict[tuple[str, str], Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for gid, ((cust, sub, cat, svc, svc_cat, sku), g) in enumerate(groups.items(), start=1):
        _insert(con, "fct_groups", dict(
            run_id=3, x_Period=P, x_GroupId=gid, x_CustomerId=cust, ProviderName="AWS", BillingAccountId="BA1",
            SubAccountId=sub, InvoiceId="INV-1", ServiceCategory=svc_cat, ServiceName=svc, SkuId=sku,
            RegionId="us-east-1", ChargeCategory=cat, x_Commitment=False, BillingCurrency="USD",
            x_RowCount=g["rows"], ListCost=g["L"], ContractedCost=g["L"], BilledCost=g["B"], EffectiveCost=g["B"]))
        cost = g["B"]
        code = "B"   # the basis the price follows (x_BasisCode): the provider's charge at the root
        for depth, (seller, buyer) in enumerate(_path(cust), start=1):
            basis, factor = PLANS[PLAN_OF[buyer]]
            rate = FX.get(CCY[buyer], D(1))
            if cat == "Credit":
                treatment, basis, factor, price, code = "retained_credit", None, None, ZERO, "Z"
            else:
                treatment = "priced"
                amount = g["L"] if basis == "list" else cost
                code = "L" if basis == "list" else code     # cost-plus follows the seller's price
                price = ledger(amount * factor)
            price_buyer = ledger(price * rate)
            _insert(con, "fct_prices", dict(
                run_id=3, x_Period=P, x_GroupId=gid, x_SellerId=seller, x_BuyerId=buyer, x_Depth=depth,
                x_Treatment=treatment, x_PlanId=PLAN_OF[buyer], x_RuleNo=0 if basis else None, x_Basis=basis,
                x_BasisAmount=None, x_Factor=factor, x_Cost=cost, x_PricePreTier=price, x_TierFactor=D(1),
                x_Price=price, x_BuyerCurrency=CCY[buyer], x_FxRate=rate, x_PriceBuyer=price_buyer,
                x_CostSeller=cost, x_BasisCode=code))
            if treatment == "retained_credit":
                break
            sums[(seller, buyer)][("AWS", svc)] += price_buyer
            cost = price

    next_id = iter(range(1, 100))

    def invoice(seller, buyer, period, run_id, status, lines, number=None):
        ccy = CCY[buyer]
        iid = next(next_id)
        subtotal = sum((a for _, _, _, a in lines), ZERO)
        tax = round_line(subtotal * TAX[buyer] / 100, ccy)
        _insert(con, "invoices", dict(invoice_id=iid, run_id=run_id, x_Period=period, seller=seller, buyer=buyer,
                                      currency=ccy, status=status, number=number, subtotal=subtotal,
                                      tax_rate_pct=TAX[buyer], tax=tax, total=subtotal + tax))
        for no, (kind, desc, svc, amount) in enumerate(lines, start=1):
            _insert(con, "invoice_lines", dict(invoice_id=iid, line_no=no, kind=kind, description=desc,
                                               ProviderName="AWS" if kind == "service" else None,
                                               ServiceName=svc, unrounded=amount, amount=amount))
        return iid

    ids = {}
    for (seller, buyer), by_service in sorted(sums.items()):
        lines = [("service", f"{prov} {svc}", svc, round_line(v, CCY[buyer]))
                 for (prov, svc), v in sorted(by_service.items())]
        lines += [("fee", name, None, amount) for name, amount in FEES.get(buyer, [])]
        if (seller, buyer) == ("r1", "c1"):
            ids["c1_issued"] = invoice(seller, buyer, P, 2, "issued", lines, number="R1-000002")
            ids["c1_draft"] = invoice(seller, buyer, P, 3, "draft", [("service", "AWS AmazonEC2", "AmazonEC2", D("1.00"))])
        else:
            ids[buyer] = invoice(seller, buyer, P, 3, "draft", lines)
    ids["stale"] = invoice("r1", "c2", P, 2, "draft", [("service", "AWS AmazonEC2", "AmazonEC2", D("7.00"))])
    ids["failed"] = invoice("r1", "c2", P, 4, "draft", [("service", "AWS AmazonEC2", "AmazonEC2", D("8.00"))])
    ids["c1_april"] = invoice("r1", "c1", APRIL, 1, "issued", [("service", "AWS AmazonEC2", "AmazonEC2", D("100.00"))],
                              number="R1-000001")
    con.execute("CREATE TABLE test_invoice_ids AS SELECT * FROM (VALUES " +
                ", ".join(f"('{k}', {v})" for k, v in ids.items()) + ") t(name, invoice_id)")

    _insert(con, "deliveries", dict(x_IngestId=1, file_name="may.csv", file_path="/in/may.csv", sha256="ab",
                                    focus_version="1.2", file_format="csv", loaded_at=datetime(2026, 6, 1),
                                    row_count=len(ROWS)))
    audit.record_audit(con, username="ana", org="dist", action="config_change", target="config v2",
                       before={"plans": ["d-r1"]}, after={"plans": ["d-r1", "d-r2"]}, detail="ana's change")
    audit.record_audit(con, username="ron", org="r1", action="config_change", target="config v3",
                       before={"r1-c": {"discount_pct": D("5")}}, after={"r1-c": {"discount_pct": D("4")}},
                       detail="r1 price to c1 now list -4 %")
    audit.record_audit(con, username="cat", org="c1", action="login_ok", detail="from 10.0.0.1")
    audit.record_audit(con, username="cli", org=None, action="invoice_issue", target="R1-000002",
                       detail="c1 2026-05 total 1254.00 USD")
    audit.record_audit(con, username="mallory", org=None, action="login_failed", detail="unknown user")
    return con


def invoice_id(con, name: str) -> int:
    return con.execute("SELECT invoice_id FROM test_invoice_ids WHERE name = ?", [name]).fetchone()[0]


@pytest.fixture(scope="module")
def con():
    c = build_store()
    yield c
    c.close()


def who(con, username: str) -> scope.Scope:
    return scope.scope_for_user(con, username)


# --------------------------------------------------------------------------------------------
# The scope object

def test_scope_for_user_reads_roles_assignments_and_subtree(con):
    ron = who(con, "ron")
    assert ron.org_id == "r1" and ron.roles == frozenset({"admin"}) and ron.has_role("leader", "admin")
    assert ron.visible_orgs == frozenset({"r1", "c1", "c2"})
    assert who(con, "ana").visible_orgs == frozenset(o[0] for o in ORGS)
    assert who(con, "ram").customers == frozenset({"c1"})
    assert who(con, "cg").cost_groups == frozenset({"web"}) and who(con, "cat").cost_groups is None
    assert not who(con, "cat").has_role("admin", "leader")


def test_unknown_user_is_refused_and_system_scope_is_the_root_admin(con):
    with pytest.raises(ScopeError):
        scope.scope_for_user(con, "nobody")
    with pytest.raises(ScopeError):
        scope.scope_for_user(con, "x' OR '1'='1")
    sys_scope = scope.system_scope(con)
    assert sys_scope.org_id == "dist" and sys_scope.has_role("admin")
    empty = duckdb.connect()
    migrate(empty)
    with pytest.raises(ScopeError, match="import a configuration"):
        scope.system_scope(empty)


@pytest.mark.parametrize("username, expected", [
    ("ana", ["r1", "r2"]),                    # a distributor's customers are its resellers
    ("lea", ["r1", "r2"]),
    ("dam", ["r2"]),                          # the reseller holding its assigned end customer
    ("ron", ["c1", "c2", "r1"]),              # its customers, then its own edge to dist
    ("ram", ["c1"]),
    ("rita", ["c4", "c3", "r2"]),             # by name: Kyoto KK, Tailspin
    ("cat", ["c1"]),
    ("cg", ["c1"]),
    ("ken", ["c4"]),
])
def test_visible_customers_per_role(con, username, expected):
    got = scope.visible_customers(con, who(con, username))
    assert [c["id"] for c in got] == expected
    assert set(got[0]) == {"id", "name", "currency", "parent"}


# --------------------------------------------------------------------------------------------
# Forged choices

CUSTOMER_READS = {
    "check_customer": lambda con, s, c: scope.check_customer(con, s, c),
    "customer_summary": lambda con, s, c: scope.customer_summary(con, s, c, "2026-05"),
    "customer_costs": lambda con, s, c: scope.customer_costs(con, s, c, "2026-05"),
    "customer_costs_day": lambda con, s, c: scope.customer_costs(con, s, c, P, by="day"),
    "customer_rows": lambda con, s, c: scope.customer_rows(con, s, c, P),
    "customer_sub_accounts": lambda con, s, c: scope.customer_sub_accounts(con, s, c),
}


@pytest.mark.parametrize("read", CUSTOMER_READS)
@pytest.mark.parametrize("username, forged", [
    ("cat", "c2"),        # a customer forging a sibling
    ("cat", "r1"),        # … its reseller (r1's price from dist, i.e. the reseller's cost)
    ("cat", "c3"),        # … a customer of another reseller
    ("ram", "c2"),        # an account manager opening an unassigned customer
    ("ram", "r1"),        # … or its own organisation's buying edge
    ("ana", "c1"),        # a distributor opening a reseller's customer (the reseller's price)
    ("dam", "r1"),        # a distributor AM outside its assignment
    ("ron", "c3"),        # a reseller opening another reseller's customer
    ("ron", "r2"),
    ("ron", "dist"),      # the root has no buying edge
    ("ken", "nobody"),
])
def test_forged_customer_is_refused(con, read, username, forged):
    with pytest.raises(ScopeError) as err:
        CUSTOMER_READS[read](con, who(con, username), forged)
    assert str(err.value).endswith(".") and "Traceback" not in str(err.value)


@pytest.mark.parametrize("forged", [
    "x' OR '1'='1", "c1' --", "c1; DROP TABLE invoices", "%", "", " c1", "C1", None, 1, ["c1"],
])
def test_injected_customer_ids_are_unknown_ids(con, forged):
    cat = who(con, "cat")
    for read in CUSTOMER_READS.values():
        with pytest.raises(ScopeError):
            read(con, cat, forged)
    assert con.execute("SELECT count(*) FROM invoices").fetchone()[0] > 0


@pytest.mark.parametrize("username, visible, hidden", [
    ("cat", ["c1_issued", "c1_april"], ["c2", "c3", "c4", "r1", "r2", "stale", "failed", "c1_draft"]),
    ("cora", ["c2"], ["c1_issued", "stale", "failed", "r1"]),
    ("ram", ["c1_issued", "c1_april"], ["c2", "r1", "c3"]),
    ("ron", ["c1_issued", "c1_april", "c2", "r1"], ["c3", "c4", "r2", "stale", "failed", "c1_draft"]),
    ("ana", ["r1", "r2"], ["c1_issued", "c2", "c3", "c4"]),
    ("dam", [], ["r1", "r2", "c3"]),          # r2's invoice covers customers dam is not assigned
])
def test_invoice_detail_is_refused_outside_the_scope(con, username, visible, hidden):
    s = who(con, username)
    for name in visible:
        assert scope.invoice_detail(con, s, invoice_id(con, name))["invoice_id"] == invoice_id(con, name)
        assert scope.invoice_detail(con, s, str(invoice_id(con, name)))["lines"]
    for name in hidden:
        with pytest.raises(ScopeError):
            scope.invoice_detail(con, s, invoice_id(con, name))
    listed = {i["invoice_id"] for i in scope.invoices(con, s)}
    assert listed == {invoice_id(con, n) for n in visible}


@pytest.mark.parametrize("forged", ["1 OR 1=1", "1; DELETE FROM invoices", "-1", "1.0", "", None, True, 10**30])
def test_forged_invoice_ids_are_refused(con, forged):
    with pytest.raises(ScopeError):
        scope.invoice_detail(con, who(con, "ron"), forged)


def test_forged_sub_account_is_refused(con):
    cat = who(con, "cat")
    assert scope.customer_sub_accounts(con, cat, "c1") == ["S1"]
    assert scope.customer_sub_accounts(con, who(con, "cora"), "c2") == ["S1", "S2"]
    for forged in ["S2", "S3", "S1' OR '1'='1", 7]:
        with pytest.raises(ScopeError):
            scope.customer_costs(con, cat, "c1", P, sub_account=forged)
        with pytest.raises(ScopeError):
            scope.customer_rows(con, cat, "c1", P, sub_account=forged)
    assert not scope.customer_costs(con, cat, "c1", P, sub_account="S1").empty


def test_periods_are_the_successfully_billed_months(con):
    cat = who(con, "cat")
    assert scope.visible_periods(con, cat) == [P, APRIL]                 # June only failed
    assert scope.check_period(con, cat, "2026-05") == P
    assert scope.check_period(con, cat, "2026-05-17") == P
    assert scope.check_period(con, cat, datetime(2026, 4, 3)) == APRIL
    with pytest.raises(ScopeError, match="2026-06"):
        scope.check_period(con, cat, "2026-06")
    for bad in ["2026-13", "May 2026", "2026-05' OR '1'='1", "", None, 202605]:
        with pytest.raises(ValueError):
            scope.check_period(con, cat, bad)
    with pytest.raises(ScopeError):
        scope.customer_summary(con, cat, "c1", "2025-01")


# --------------------------------------------------------------------------------------------
# The visibility rules of DOMAIN §3

DIST_COSTS = {"850", "850.00", "255", "255.00", "2208.00", "510", "340", "-10.00"}   # dist's x_Cost / BilledCost


def _strings(obj) -> set[str]:
    """Every scalar in a nested structure, as text (Decimals normalised both ways)."""
    out: set[str] = set()
    if isinstance(obj, dict):
        for v in obj.values():
            out |= _strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            out |= _strings(v)
    elif isinstance(obj, Decimal):
        out |= {format(obj, "f"), format(obj.normalize(), "f"), format(round_line(obj, "USD"), "f")}
    elif obj is not None:
        out.add(str(obj))
    return out


def test_reseller_never_sees_its_distributors_cost(con):
    for username in ("ron", "rlead"):
        r = who(con, username)
        margins = scope.margin_report(con, r, P)
        assert margins == [{"org": "r1", "currency": "USD", "revenue": "2685.00", "cost": "2070.00",
                            "margin": "615.00"}]
        seen = _strings(margins)
        for by in scope.MARGIN_BY:
            seen |= _strings(scope.margin_breakdown(con, r, P, by=by))
        for customer in ("c1", "c2", "r1"):
            rows = scope.customer_rows(con, r, customer, P)
            assert not {"BilledCost", "EffectiveCost", "x_Cost", "ContractedCost"} & set(rows.columns)
            seen |= _strings(rows.to_dict("records"))
            seen |= _strings(scope.customer_costs(con, r, customer, P).to_dict("records"))
        seen |= _strings(scope.invoices(con, r, P))
        assert not DIST_COSTS & seen, DIST_COSTS & seen
        for root_only in (scope.reconciliation, scope.unassigned):
            with pytest.raises(ScopeError):
                root_only(con, r, P)


def test_resellers_own_buying_edge_shows_its_price_not_the_sellers_cost(con):
    ron = who(con, "ron")
    summary = scope.customer_summary(con, ron, "r1", P)
    assert summary["subtotal"] == D("2070.00") and summary["status"] == "draft"
    costs = scope.customer_costs(con, ron, "r1", P, by="provider")
    assert costs["price"].tolist() == [D("1980.0000000000") + D("90")]
    rows = scope.customer_rows(con, ron, "r1", P)
    assert "ListCost" in rows.columns and "BilledCost" not in rows.columns   # list prices are usage


def test_distributor_never_sees_a_resellers_prices_to_its_customers(con):
    for username in ("ana", "lea"):
        d = who(con, username)
        assert {(i["seller"], i["buyer"]) for i in scope.invoices(con, d)} == {("dist", "r1"), ("dist", "r2")}
        assert [m["org"] for m in scope.margin_report(con, d, P)] == ["dist"]
        assert {m["customer"] for m in scope.margin_breakdown(con, d, P, by="customer")} == {"r1", "r2"}
        rows = scope.customer_rows(con, d, "r1", P)
        # the rows of r1's customers at dist's price to r1 (900 × 600/1000 = 540), never r1's 570
        assert D("540.0000000000") in set(rows["price"]) and D("570.0000000000") not in set(rows["price"])
        assert {"ResourceId", "ListCost", "BilledCost"} <= set(rows.columns)   # usage + its own cost
        seen = _strings(scope.invoice_report(con, d, P)) | _strings(rows.to_dict("records"))
        assert not {"1045.00", "1640.00", "294.53", "1399", "950.00"} & seen


def test_customer_sees_only_its_own_price(con):
    cat = who(con, "cat")
    rows = scope.customer_rows(con, cat, "c1", P)
    assert not {"ListCost", "BilledCost", "EffectiveCost", "x_Cost", "BillingCurrency"} & set(rows.columns)
    assert "i-secret-c2" not in set(rows["ResourceId"])          # same pricing key, c2's row
    with pytest.raises(ScopeError):
        scope.margin_report(con, cat, P)
    with pytest.raises(ScopeError):
        scope.margin_breakdown(con, cat, P)
    assert {(i["seller"], i["buyer"]) for i in scope.invoice_report(con, cat, P)} == {("r1", "c1")}


def test_account_manager_sees_assigned_customers_only(con):
    ram = who(con, "ram")
    assert [i["buyer"] for i in scope.invoices(con, ram, P)] == ["c1"]
    assert scope.customer_summary(con, ram, "c1", P)["subtotal"] == D("1045.00")
    assert [m["customer"] for m in scope.margin_breakdown(con, ram, P)] == ["c1"]
    with pytest.raises(ScopeError):
        scope.margin_report(con, ram, P)                        # the organisation's whole margin


def test_distributor_account_manager_sees_its_end_customers_rows_on_dists_edge(con):
    dam = who(con, "dam")
    rows = scope.customer_rows(con, dam, "r2", P)
    assert set(rows["ResourceId"]) == {"i-c3a", "i-c3b"}        # c3's rows, not c4's
    # dist→r2 at cost × 1.05 of BilledCost: 150 × 1.05, 105 × 1.05
    assert sorted(rows["price"]) == [D("110.2500000000"), D("157.5000000000")]
    costs = scope.customer_costs(con, dam, "r2", P)
    assert costs["price"].tolist() == [D("267.7500000000")]
    with pytest.raises(ScopeError, match="assigned only some"):
        scope.customer_summary(con, dam, "r2", P)
    assert scope.invoices(con, dam) == [] and scope.invoice_report(con, dam, P) == []


def test_cost_group_user_sees_its_cost_group_rows_only(con):
    cg = who(con, "cg")
    costs = scope.customer_costs(con, cg, "c1", P)
    assert costs[["ProviderName", "ServiceName"]].values.tolist() == [["AWS", "AmazonEC2"]]
    assert costs["price"].tolist() == [D("570.0000000000")]     # 950 × 600 / 1000
    assert scope.customer_rows(con, cg, "c1", P)["ResourceId"].tolist() == ["i-a"]
    with pytest.raises(ScopeError, match="cost groups"):
        scope.customer_summary(con, cg, "c1", P)
    assert scope.invoices(con, cg) == []
    with pytest.raises(ScopeError):
        scope.invoice_detail(con, cg, invoice_id(con, "c1_issued"))


def test_root_only_reads_refuse_everyone_else(con):
    for username in ("ron", "rita", "cat", "dam"):
        s = who(con, username)
        for read in (lambda s=s: scope.reconciliation(con, s, P), lambda s=s: scope.unassigned(con, s, P),
                     lambda s=s: scope.deliveries(con, s)):
            with pytest.raises(ScopeError):
                read()
    with pytest.raises(ScopeError):
        scope.deliveries(con, who(con, "lea"))                  # a root leader is not an admin
    assert len(scope.reconciliation(con, who(con, "lea"), P)) == 1
    assert scope.deliveries(con, who(con, "ana"))["file_name"].tolist() == ["may.csv"]


# --------------------------------------------------------------------------------------------
# Audit log

def test_audit_entries_cover_the_admins_subtree_and_hide_details_below(con):
    with pytest.raises(ScopeError):
        scope.audit_entries(con, who(con, "lea"))
    ron = scope.audit_entries(con, who(con, "ron"))
    assert set(ron["username"]) == {"ron", "cat"}
    mine = ron[ron["username"] == "ron"].iloc[0]
    assert json.loads(mine["after"]) == {"r1-c": {"discount_pct": "4"}} and "list -4" in mine["detail"]
    ana = scope.audit_entries(con, who(con, "ana"))
    assert set(ana["username"]) == {"ana", "ron", "cat", "cli", "mallory"}
    below = ana[ana["username"] == "ron"].iloc[0]
    assert pd.isna(below["before"]) and pd.isna(below["after"]) and pd.isna(below["detail"])
    issued = ana[ana["username"] == "cli"].iloc[0]
    assert issued["target"] == "R1-000002" and pd.isna(issued["detail"])     # r1's price to c1
    assert ana[ana["username"] == "mallory"].iloc[0]["detail"] == "unknown user"   # sign-in events stay
    assert len(scope.audit_entries(con, who(con, "ana"), limit=2)) == 2
    with pytest.raises(ValueError):
        scope.audit_entries(con, who(con, "ana"), limit=0)


def test_record_audit_is_the_one_writer():
    c = duckdb.connect()
    migrate(c)
    audit.record_audit(c, username="ana", org="dist", action="invoice_issue", target="D-1",
                       before=None, after={"total": D("9500.00"), "period": date(2026, 5, 1)}, detail="x")
    audit.record_audit(c, username="ana", org="dist", action="config_change", before='{"a": 1}', after="plain")
    rows = c.execute("SELECT action, target, before::VARCHAR, after::VARCHAR, detail FROM audit_log "
                     "ORDER BY action").fetchall()
    assert rows[0][0] == "config_change" and json.loads(rows[0][2]) == {"a": 1} and json.loads(rows[0][3]) == "plain"
    assert json.loads(rows[1][3]) == {"period": "2026-05-01", "total": "9500.00"}
    with pytest.raises(ValueError):
        audit.record_audit(c, username="ana", org="dist", action="")
