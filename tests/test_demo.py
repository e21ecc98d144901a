"""The demo installation (data/demo.py, data/demo/config.yaml, docs/demo.md): a valid
configuration that shows every feature, deterministic FOCUS 1.2 files with every row kind,
and a build through the real ingest path."""
from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import bcrypt
import pytest

from data.config import ConfigDocument, load_config, parse_config
from data.demo import (
    DEMO_CONFIG,
    DEMO_PASSWORD,
    FOCUS_COLUMNS,
    build_demo,
    demo_config,
    demo_fx_rates,
    demo_periods,
    generate_demo_files,
)
from data.store import connect

AS_OF = date(2026, 5, 17)
ROWS = 3000
PERIODS = [date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)]
NUMBER = re.compile(r"^-?\d+(\.\d{1,10})?$")
MONEY = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")


@pytest.fixture(scope="module")
def doc() -> ConfigDocument:
    return load_config(DEMO_CONFIG)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    paths, _ = generate_demo_files(tmp_path_factory.mktemp("demo"), as_of=AS_OF, seed=7, rows=ROWS)
    return paths


@pytest.fixture(scope="module")
def rows(files) -> list[dict]:
    out = []
    for path in files:
        with path.open(newline="", encoding="utf-8") as fh:
            out.extend(csv.DictReader(fh))
    return out


# ---- the configuration -----------------------------------------------------------------------

def test_the_committed_config_validates_and_has_the_promised_shape(doc):
    orgs = doc.organizations_all()
    kinds = Counter(o.kind for o in orgs)
    assert doc.root.id == "northwind" and doc.root.kind == "distributor" and doc.root.currency == "USD"
    assert kinds["distributor"] == 1 and kinds["reseller"] == 3 and 38 <= kinds["customer"] <= 42
    resellers = {o.id: o for o in orgs if o.kind == "reseller"}
    assert all(o.parent == "northwind" for o in resellers.values())
    assert {o.currency for o in resellers.values()} == {"USD", "EUR", "GBP"}
    customers = [o for o in orgs if o.kind == "customer"]
    assert {o.currency for o in customers} == {"USD", "EUR", "GBP"}
    assert {o.parent for o in customers} == set(resellers)
    assert len({o.tax_rate_pct for o in customers}) >= 4


def test_every_customer_has_one_to_five_sub_accounts_on_the_three_providers(doc):
    per_customer = Counter(m.customer for m in doc.account_mappings
                           if m.sub_account_id is not None and m.valid_to is None)
    customers = [o.id for o in doc.organizations if o.kind == "customer"]
    with_own_billing_account = {m.customer for m in doc.account_mappings if m.billing_account_id}
    for c in customers:
        assert 1 <= per_customer[c] <= 5 or c in with_own_billing_account, c
    by_provider = {p: [m.sub_account_id for m in doc.account_mappings if m.provider == p and m.sub_account_id]
                   for p in ("AWS", "Microsoft", "Google Cloud")}
    assert all(re.fullmatch(r"\d{12}", x) for x in by_provider["AWS"])
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", x)
               for x in by_provider["Microsoft"])
    assert all(re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", x) for x in by_provider["Google Cloud"])
    assert all(len(v) >= 10 for v in by_provider.values())


def test_the_plans_show_every_feature(doc):
    rules = [r for p in doc.plans for r in p.rules]
    assert {r.basis for r in rules} == {"list", "contracted", "effective", "cost"}
    assert any(r.discount_pct for r in rules) and any(r.markup_pct for r in rules)
    matched = {f for r in rules for f in r.match}
    assert {"ProviderName", "ServiceCategory", "ServiceName", "SkuId", "RegionId", "ChargeCategory"} <= matched
    assert {p.tiers.mode for p in doc.plans if p.tiers} == {"graduated", "volume"}
    fees = [f for p in doc.plans for f in p.fees]
    assert any(f.amount is not None for f in fees) and any(f.pct_of_usage is not None for f in fees)
    assert {p.credits for p in doc.plans} == {"retain", "pass_through"}
    assert {p.commitments for p in doc.plans} == {"retain", "pass_through", "share"}
    assert all(any(not r.match for r in p.rules) for p in doc.plans)     # every row finds a rule
    assert {p.owner for p in doc.plans} == {"northwind", "msp-one", "cloudhaus", "britcloud"}
    mappings = doc.account_mappings
    assert any(m.tag for m in mappings) and any(m.billing_account_id for m in mappings)
    assert any(m.valid_from for m in mappings) and any(m.valid_to for m in mappings)


def test_the_demo_users(doc):
    roles = {(u.org, r) for u in doc.users for r in u.roles}
    for org in ("northwind", "msp-one"):
        for role in ("admin", "leader", "account_manager"):
            assert (org, role) in roles, (org, role)
    assert all(u.customers for u in doc.users if "account_manager" in u.roles)
    customer_users = {u.org for u in doc.users if u.roles == ["customer"]}
    assert len(customer_users) >= 2 and {"contoso", "fabrikam"} <= customer_users
    names = {u.username for u in doc.users}
    assert {"dist-admin", "dist-leader", "dist-am", "msp-admin", "msp-leader", "msp-am",
            "contoso-user", "fabrikam-user"} <= names
    for u in doc.users:
        assert u.password_hash.startswith("$2b$10$"), u.username
        assert bcrypt.checkpw(DEMO_PASSWORD.encode(), u.password_hash.encode()), u.username


def test_docs_list_every_demo_sign_in(doc):
    text = (Path(__file__).resolve().parent.parent / "docs" / "demo.md").read_text(encoding="utf-8")
    for u in doc.users:
        assert f"`{u.username}`" in text, u.username
    assert DEMO_PASSWORD in text


def test_fx_rates_for_the_demo_periods():
    assert demo_periods(AS_OF) == PERIODS
    assert demo_periods(date(2026, 1, 1)) == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)]
    rates = demo_fx_rates(PERIODS)
    assert len(rates) == 3 * 6
    first = {(r.from_ccy, r.to_ccy): r.rate for r in rates if r.period == PERIODS[0]}
    assert first[("USD", "EUR")] == Decimal("0.9200") and first[("USD", "GBP")] == Decimal("0.7900")
    assert first[("EUR", "USD")] == Decimal("1.0870")
    full = demo_config(PERIODS)
    parse_config(full.model_dump_json(by_alias=True), source="demo+fx")      # still valid


# ---- the FOCUS files ---------------------------------------------------------------------------

def test_files_are_deterministic_byte_for_byte(tmp_path, files):
    again, _ = generate_demo_files(tmp_path / "again", as_of=AS_OF, seed=7, rows=ROWS)
    assert [p.name for p in again] == [p.name for p in files]
    for a, b in zip(files, again):
        assert a.read_bytes() == b.read_bytes(), a.name
    other, _ = generate_demo_files(tmp_path / "other", as_of=AS_OF, seed=8, rows=ROWS)
    assert any(a.read_bytes() != b.read_bytes() for a, b in zip(files, other))


def test_one_focus_1_2_file_per_provider_and_period(files, rows):
    assert [p.name for p in files] == [f"{slug}-focus-{p:%Y-%m}.csv" for p in PERIODS
                                       for slug in ("aws", "microsoft", "google-cloud")]
    for path in files:
        with path.open(newline="", encoding="utf-8") as fh:
            assert tuple(next(csv.reader(fh))) == FOCUS_COLUMNS
    assert len(FOCUS_COLUMNS) == 57
    assert abs(len(rows) - ROWS) <= ROWS * 0.1


def test_money_is_decimal_text_and_costs_are_ordered(rows):
    for r in rows:
        for col in MONEY + ("PricingQuantity", "ListUnitPrice", "ContractedUnitPrice"):
            if r[col] != "" or col in MONEY:
                assert NUMBER.match(r[col]), (col, r[col])
        if r["ChargeClass"] != "Correction" and r["ChargeCategory"] in ("Usage", "Purchase", "Credit", "Tax"):
            assert Decimal(r["ListCost"]) >= Decimal(r["ContractedCost"]) >= Decimal(r["BilledCost"]), r


def test_periods_are_anchored_to_as_of(rows):
    assert {r["BillingPeriodStart"][:10] for r in rows} == {p.isoformat() for p in PERIODS}
    current = [r for r in rows if r["BillingPeriodStart"].startswith("2026-05")]
    assert max(r["ChargePeriodStart"][:10] for r in current) == "2026-05-17"
    assert max(r["ChargePeriodStart"][:10] for r in rows) <= AS_OF.isoformat()
    for r in rows:
        if r["ChargeClass"] != "Correction":
            assert r["ChargePeriodStart"][:7] == r["BillingPeriodStart"][:7], r


def test_every_row_kind_is_there(rows):
    kinds = Counter()
    for r in rows:
        p, cat, status = r["ProviderName"], r["ChargeCategory"], r["CommitmentDiscountStatus"]
        if cat == "Usage" and not status and r["ChargeClass"] == "":
            kinds[(p, "on-demand usage")] += 1
        if cat == "Purchase":
            assert r["CommitmentDiscountId"] and Decimal(r["BilledCost"]) > 0 and r["EffectiveCost"] == "0"
            kinds[(p, "commitment purchase")] += 1
        if status == "Used":
            assert r["BilledCost"] == "0" and Decimal(r["EffectiveCost"]) > 0 and r["CommitmentDiscountId"]
            assert Decimal(r["EffectiveCost"]) < Decimal(r["ContractedCost"])
            kinds[(p, "covered usage")] += 1
        if status == "Unused":
            assert r["BilledCost"] == "0" and Decimal(r["EffectiveCost"]) >= 0
            kinds[(p, "unused commitment")] += 1
        if cat == "Credit":
            assert Decimal(r["BilledCost"]) < 0
            kinds[(p, "credit")] += 1
            if "Partner Earned Credit" in r["ChargeDescription"]:
                kinds[(p, "partner-earned credit")] += 1
        if cat == "Tax":
            assert Decimal(r["BilledCost"]) > 0
            kinds[(p, "tax")] += 1
        if r["ChargeClass"] == "Correction":
            assert r["ChargePeriodStart"][:7] < r["BillingPeriodStart"][:7]
            kinds[(p, "correction")] += 1
    for p in ("AWS", "Microsoft", "Google Cloud"):
        for kind in ("on-demand usage", "commitment purchase", "covered usage", "unused commitment", "credit",
                     "tax", "correction"):
            assert kinds[(p, kind)] > 0, (p, kind)
    assert kinds[("Microsoft", "partner-earned credit")] > 0


def test_purchases_cover_their_amortised_usage(rows):
    used, bought, unused = Counter(), Counter(), Counter()
    for r in rows:
        key = (r["BillingPeriodStart"], r["CommitmentDiscountId"])
        if r["CommitmentDiscountStatus"] == "Used":
            used[key] += Decimal(r["EffectiveCost"])
        elif r["CommitmentDiscountStatus"] == "Unused":
            unused[key] += Decimal(r["EffectiveCost"])
        elif r["ChargeCategory"] == "Purchase":
            bought[key] += Decimal(r["BilledCost"])
    assert bought and set(bought) == set(unused)
    for key, amount in bought.items():
        assert used[key] + unused[key] == amount, key


def test_a_commitment_covers_another_customers_account(doc, rows):
    owner_of = {m.sub_account_id: m.customer for m in doc.account_mappings
                if m.sub_account_id and m.valid_to is None}
    bought_in = {r["CommitmentDiscountId"]: owner_of.get(r["SubAccountId"]) for r in rows
                 if r["ChargeCategory"] == "Purchase"}
    crossing = {(bought_in[r["CommitmentDiscountId"]], owner_of.get(r["SubAccountId"])) for r in rows
                if r["CommitmentDiscountStatus"] == "Used"
                and owner_of.get(r["SubAccountId"]) != bought_in[r["CommitmentDiscountId"]]}
    assert ("tailspin", "wingtip") in crossing


def test_unassigned_sub_accounts_and_tag_rules(doc, rows):
    mapped = {(m.provider, m.sub_account_id) for m in doc.account_mappings if m.sub_account_id}
    whole_accounts = {(m.provider, m.billing_account_id) for m in doc.account_mappings if m.billing_account_id}
    unassigned = {(r["ProviderName"], r["SubAccountId"]) for r in rows
                  if r["SubAccountId"] and (r["ProviderName"], r["SubAccountId"]) not in mapped
                  and (r["ProviderName"], r["BillingAccountId"]) not in whole_accounts}
    assert {p for p, _ in unassigned} == {"AWS", "Microsoft", "Google Cloud"}
    shared = [r for r in rows if r["SubAccountId"] == "200000000900" and r["ChargeCategory"] == "Usage"]
    tagged = Counter(re.search(r'"customer":"([a-z-]+)"', r["Tags"]).group(1) if '"customer"' in r["Tags"]
                     else None for r in shared)
    tag_values = {m.value for m in doc.account_mappings if m.tag == "customer"}
    assert set(tagged) == tag_values | {None}                     # some tagged, some left unassigned
    assert any(r["BillingAccountId"] == "fabrikam-mca-7741" for r in rows)


def test_billing_currencies(rows):
    ccy = {(r["ProviderName"], r["BillingAccountId"]): r["BillingCurrency"] for r in rows}
    assert set(ccy.values()) == {"USD", "EUR"}
    assert ccy[("Microsoft", "northwind-csp-eu")] == "EUR"


def test_as_of_on_the_first_of_a_month(tmp_path):
    paths, _ = generate_demo_files(tmp_path, as_of=date(2026, 6, 1), seed=7, rows=1500)
    current = [p for p in paths if "2026-06" in p.name]
    for path in current:
        with path.open(newline="", encoding="utf-8") as fh:
            days = {r["ChargePeriodStart"][:10] for r in csv.DictReader(fh) if r["ChargeClass"] != "Correction"}
        assert days == {"2026-06-01"}, path.name


# ---- the whole build through the real ingest path --------------------------------------------

def test_build_demo_ingests_and_imports(tmp_path):
    con = connect(tmp_path / "demo.duckdb")
    seen = []
    summary = build_demo(con, as_of=AS_OF, seed=7, rows=ROWS, out_dir=tmp_path / "files",
                         progress=lambda f, m: seen.append(f))
    assert summary["periods"] == PERIODS
    assert [p.name for p in summary["files"]] == [f"{slug}-focus-{p:%Y-%m}.csv" for p in PERIODS
                                                  for slug in ("aws", "microsoft", "google-cloud")]
    assert summary["customers"] == sum(1 for o in load_config(DEMO_CONFIG).organizations if o.kind == "customer")
    assert summary["users"] == len(load_config(DEMO_CONFIG).users)
    assert con.execute("SELECT count(*) FROM landing_focus").fetchone()[0] == summary["rows"]
    assert con.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 9
    assert con.execute("SELECT count(*) FROM cfg_organizations").fetchone()[0] == summary["customers"] + 4
    assert con.execute("SELECT count(DISTINCT period) FROM cfg_fx_rates").fetchone()[0] == 3
    assert con.execute("SELECT count(*) FROM cfg_users").fetchone()[0] == summary["users"]
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    # Landing kept the money exact: the file totals and the store agree to the last digit.
    total = sum(Decimal(r["BilledCost"]) for p in summary["files"]
                for r in csv.DictReader(p.open(newline="", encoding="utf-8")))
    assert con.execute("SELECT sum(BilledCost) FROM landing_focus").fetchone()[0] == total
    con.close()


def test_the_demo_bills_every_period(tmp_path):
    from data.billing import run_billing

    con = connect(tmp_path / "demo.duckdb")
    summary = build_demo(con, as_of=AS_OF, seed=7, rows=ROWS, out_dir=tmp_path / "files")
    for period in summary["periods"]:
        result = run_billing(con, period)
        assert result.ok, result.problems
        assert result.rows_unassigned > 0 and result.invoices_drafted > 40
    con.close()
