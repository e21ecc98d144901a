"""Configuration as code (data/config.py, docs/config.md): parsing, every validation error,
exact numbers, the store round trip and the audit trail."""
from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal

import bcrypt
import pytest
import yaml

import data.config as config_module
from data.config import (
    ConfigDocument,
    ConfigError,
    current_config,
    current_config_data,
    current_pricing,
    current_seller_branding,
    export_config,
    import_config,
    load_config,
    parse_config,
    to_pricing,
)
from data.store import connect
from pricing.plans import Band, Fee, Rule

HASH = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()

EXAMPLE = f"""\
root: {{id: northwind, name: Northwind Distribution, kind: distributor, currency: USD}}   # the top
organizations:
  - {{id: msp-one, name: MSP One, kind: reseller, parent: northwind, currency: USD, plan: dist-standard}}
  - {{id: contoso, name: Contoso Ltd, kind: customer, parent: msp-one, currency: EUR, plan: msp-standard, tax_rate_pct: 20}}
  - {{id: fabrikam, name: Fabrikam, kind: customer, parent: msp-one, currency: USD, plan: msp-standard}}
account_mappings:
  - {{provider: AWS, sub_account_id: 200000000012, customer: contoso}}
  - {{provider: Microsoft, billing_account_id: "ba-77", customer: contoso}}
  - {{tag: customer, value: contoso, customer: contoso}}
  - {{provider: AWS, sub_account_id: "200000000013", customer: contoso, to: 2026-01-01}}
  - {{provider: AWS, sub_account_id: "200000000013", customer: fabrikam, from: 2026-01-01}}
plans:
  - id: dist-standard
    owner: northwind
    rules: [{{basis: list, discount_pct: 10}}]
  - id: msp-standard
    owner: msp-one
    rules:
      - {{basis: list, discount_pct: 5}}
      - {{match: {{ServiceCategory: Compute}}, basis: cost, markup_pct: 12.5}}
    credits: retain
    tiers: {{mode: graduated, bands: [{{from: 0, discount_pct: 0}}, {{from: 10000, discount_pct: 2}}]}}
    fees: [{{name: Managed service, amount: 500.10}}, {{name: Support, pct_of_usage: 3}}]
    commitments: share
    commitment_share_pct: 50
fx_rates:
  - {{period: 2026-05, from: USD, to: EUR, rate: 0.9200}}
users:
  - {{username: ana, name: Ana Admin, org: northwind, roles: [admin], password_hash: "{HASH}"}}
  - {{username: mo, name: Mo Manager, org: msp-one, roles: [account_manager], customers: [contoso], password_hash: "{HASH}"}}
  - {{username: cy, name: Cy Customer, org: contoso, roles: [customer], password_hash: "{HASH}"}}
"""


def base() -> dict:
    """The example as plain data (every scalar a string, as our loader reads it)."""
    return yaml.load(EXAMPLE, Loader=config_module._TextLoader)


def problems(doc: dict | str, source: str = "t.yaml") -> list[str]:
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False)
    with pytest.raises(ConfigError) as info:
        parse_config(text, source=source)
    lines = str(info.value).splitlines()
    assert len(lines) == len(info.value.issues)
    return lines


def only_problem(doc: dict | str) -> str:
    lines = problems(doc)
    assert len(lines) == 1, "\n".join(lines)
    return lines[0]


# ---- parsing --------------------------------------------------------------------------------

def test_example_parses_with_exact_numbers_and_string_ids():
    doc = parse_config(EXAMPLE, source="example.yaml")
    assert isinstance(doc, ConfigDocument)
    assert [o.id for o in doc.organizations_all()] == ["northwind", "msp-one", "contoso", "fabrikam"]
    assert doc.organizations_all()[0].kind == "distributor"
    assert doc.account_mappings[0].sub_account_id == "200000000012"          # unquoted, still text
    assert doc.fx_rates[0].rate == Decimal("0.9200") and str(doc.fx_rates[0].rate) == "0.9200"
    assert doc.fx_rates[0].period == date(2026, 5, 1)
    plan = doc.plans[1]
    assert str(plan.fees[0].amount) == "500.10"                               # a YAML float, kept exact
    assert plan.rules[1].markup_pct == Decimal("12.5")
    assert doc.organizations[1].tax_rate_pct == Decimal("20")
    assert doc.account_mappings[3].valid_to == date(2026, 1, 1)


def test_yaml_floats_never_pass_through_binary_floating_point():
    doc = base()
    doc["fx_rates"][0]["rate"] = "0.1"
    text = yaml.safe_dump(doc, sort_keys=False).replace("rate: '0.1'", "rate: 0.1")
    assert "rate: 0.1" in text
    assert parse_config(text).fx_rates[0].rate == Decimal("0.1")              # not 0.1000000000000000055…


def test_numbers_built_from_python_floats_are_refused():
    with pytest.raises(ValueError, match="not exact"):
        config_module.RuleSpec.model_validate({"basis": "list", "discount_pct": 0.1})


def test_load_config_names_the_file(tmp_path):
    path = tmp_path / "tierline.yaml"
    path.write_text(EXAMPLE.replace("currency: EUR", "currency: EUX"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (line,) = str(info.value).splitlines()
    assert line.startswith(f"{path}:4: organizations[1].currency: 'EUX' is not a currency; allowed:")


def test_unreadable_file():
    with pytest.raises(ConfigError, match="cannot read"):
        load_config("/nonexistent/tierline.yaml")


# ---- every validation error: file, path, what is allowed -------------------------------------

def _unknown_parent(d):
    d["organizations"][2]["parent"] = "msp-two"


def _cycle(d):
    d["organizations"] += [
        {"id": "r1", "name": "R1", "kind": "reseller", "parent": "r2", "currency": "USD", "plan": "p"},
        {"id": "r2", "name": "R2", "kind": "reseller", "parent": "r1", "currency": "USD", "plan": "p"},
    ]
    d["plans"] += [{"id": "p", "owner": "r1", "rules": [{"basis": "list"}]}]


def _no_plan(d):
    del d["organizations"][2]["plan"]


def _unknown_owner(d):
    d["plans"].append({"id": "extra", "owner": "msp-two", "rules": [{"basis": "list"}]})


def _plan_of_other_seller(d):
    d["organizations"][2]["plan"] = "dist-standard"


def _overlapping_rules(d):
    d["plans"][1]["rules"].append({"match": {"ServiceCategory": "Compute"}, "basis": "list", "discount_pct": "1"})


def _bands_not_from_zero(d):
    d["plans"][1]["tiers"]["bands"][0]["from"] = "100"


def _bands_not_increasing(d):
    d["plans"][1]["tiers"]["bands"][1]["from"] = "0"


def _mapping_two_customers(d):
    d["account_mappings"].append({"provider": "AWS", "sub_account_id": "200000000012", "customer": "fabrikam",
                                  "from": "2025-06-01"})


def _tag_two_customers(d):
    d["account_mappings"].append({"tag": "customer", "value": "contoso", "customer": "fabrikam"})


def _mapping_unknown_customer(d):
    d["account_mappings"][1]["customer"] = "tailspin"


def _mapping_to_reseller(d):
    d["account_mappings"][1]["customer"] = "msp-one"


def _missing_fx(d):
    d["organizations"][2]["currency"] = "GBP"


def _user_unknown_org(d):
    d["users"][0]["org"] = "southwind"


def _unknown_role(d):
    d["users"][0]["roles"] = ["admin", "superuser"]


def _am_outside_subtree(d):
    d["organizations"].append({"id": "msp-two", "name": "MSP Two", "kind": "reseller", "parent": "northwind",
                               "currency": "USD", "plan": "dist-standard"})
    d["users"][1]["org"] = "msp-two"


def _duplicate_org(d):
    d["organizations"].append(copy.deepcopy(d["organizations"][1]))


def _duplicate_root_id(d):
    d["organizations"].append(dict(d["organizations"][0], id="northwind"))


def _duplicate_plan(d):
    d["plans"].append(copy.deepcopy(d["plans"][0]))


def _duplicate_user(d):
    d["users"].append(dict(d["users"][0], name="Another Ana"))


def _bad_currency(d):
    d["root"]["currency"] = "usd"


def _bad_basis(d):
    d["plans"][1]["rules"][0]["basis"] = "lst"


def _bad_match_field(d):
    d["plans"][1]["rules"][1]["match"] = {"Service": "Compute"}


def _discount_and_markup(d):
    d["plans"][1]["rules"][0]["markup_pct"] = "3"


def _fee_both(d):
    d["plans"][1]["fees"][0]["pct_of_usage"] = "2"


def _share_without_pct(d):
    del d["plans"][1]["commitment_share_pct"]


def _mapping_shape(d):
    d["account_mappings"][0]["tag"] = "customer"


def _unknown_key(d):
    d["organizations"][1]["colour"] = "blue"


def _customer_org_admin(d):
    d["users"][2]["roles"] = ["admin"]


def _plaintext_password(d):
    d["users"][0]["password_hash"] = "hunter2"


def _kind_distributor_below_root(d):
    d["organizations"][2]["kind"] = "distributor"


def _customer_as_parent(d):
    d["organizations"][2]["parent"] = "contoso"


def _bad_period(d):
    d["fx_rates"][0]["period"] = "May 2026"


def _duplicate_rate(d):
    d["fx_rates"].append(dict(d["fx_rates"][0], rate="0.93"))


def _to_before_from(d):
    d["account_mappings"][0].update({"from": "2026-02-01", "to": "2026-01-01"})


CASES = [
    # (name, mutation, path, words in the message)
    ("unknown parent", _unknown_parent, "organizations[2].parent", ["unknown organisation 'msp-two'", "allowed:", "msp-one"]),
    ("cycle", _cycle, "organizations[3].parent", ["cycle (r1 → r2 → r1)", "allowed:"]),
    ("customer without plan", _no_plan, "organizations[2].plan", ["is required", "allowed: a plan owned by 'msp-one': msp-standard"]),
    ("plan with unknown owner", _unknown_owner, "plans[2].owner", ["unknown organisation 'msp-two'", "allowed:"]),
    ("plan of another seller", _plan_of_other_seller, "organizations[2].plan",
     ["owned by 'northwind', not by this organisation's parent 'msp-one'", "allowed: a plan owned by 'msp-one'"]),
    ("overlapping rules", _overlapping_rules, "plans[1].rules[2]", ["overlaps rules[1]", "same specificity (21)", "make one more specific"]),
    ("bands not from 0", _bands_not_from_zero, "plans[1].tiers.bands[0].from", ["must start at 0"]),
    ("bands not increasing", _bands_not_increasing, "plans[1].tiers.bands[1].from", ["increasing order"]),
    ("sub-account claimed twice", _mapping_two_customers, "account_mappings[5]",
     ["AWS sub-account 200000000012 is already claimed by 'contoso'", "allowed: one customer per account"]),
    ("tag claimed twice", _tag_two_customers, "account_mappings[5]", ["tag customer=contoso is already claimed", "allowed:"]),
    ("mapping to unknown customer", _mapping_unknown_customer, "account_mappings[1].customer",
     ["unknown organisation 'tailspin'", "allowed: the id of a customer"]),
    ("mapping to a reseller", _mapping_to_reseller, "account_mappings[1].customer",
     ["'msp-one' is a reseller, not a customer", "allowed: the id of a customer"]),
    ("missing FX rate", _missing_fx, "fx_rates", ["no rate USD→GBP for 2026-05", "fabrikam", "allowed: add {period: 2026-05, from: USD, to: GBP"]),
    ("user of unknown org", _user_unknown_org, "users[0].org", ["unknown organisation 'southwind'", "allowed:"]),
    ("unknown role", _unknown_role, "users[0].roles[1]", ["'superuser' is not allowed", "allowed: admin, leader, account_manager, customer"]),
    ("account manager outside subtree", _am_outside_subtree, "users[1].customers[0]",
     ["'contoso' is outside 'msp-two''s subtree", "allowed: customers below 'msp-two'"]),
    ("duplicate organisation id", _duplicate_org, "organizations[3].id", ["duplicate id 'contoso' (also organizations[1])", "allowed:"]),
    ("organisation with the root's id", _duplicate_root_id, "organizations[3].id", ["duplicate id 'northwind' (also root)"]),
    ("duplicate plan id", _duplicate_plan, "plans[2].id", ["duplicate id 'dist-standard' (also plans[0])", "allowed:"]),
    ("duplicate username", _duplicate_user, "users[3].username", ["duplicate username 'ana' (also users[0])", "allowed:"]),
    ("invalid currency", _bad_currency, "root.currency", ["'usd' is not a currency", "allowed: an active ISO 4217 code"]),
    ("unknown basis", _bad_basis, "plans[1].rules[0].basis", ["'lst' is not allowed", "allowed: list, contracted, effective, cost"]),
    ("unknown match field", _bad_match_field, "plans[1].rules[1].match", ["unknown match field 'Service'", "allowed: ProviderName"]),
    ("discount and markup", _discount_and_markup, "plans[1].rules[0]", ["both discount_pct and markup_pct", "allowed: one of them"]),
    ("fee fixed and percentage", _fee_both, "plans[1].fees[0]", ["allowed: exactly one of amount, pct_of_usage"]),
    ("share without percentage", _share_without_pct, "plans[1].commitment_share_pct", ["needs commitment_share_pct", "allowed: a percentage"]),
    ("mapping of two shapes", _mapping_shape, "account_mappings[0]", ["exactly one way", "allowed: {provider, sub_account_id}"]),
    ("unknown key", _unknown_key, "organizations[1].colour", ["unknown key 'colour'", "allowed: id, name, kind, parent, currency, plan, tax_rate_pct"]),
    ("customer organisation with an admin", _customer_org_admin, "users[2].roles", ["is a customer", "allowed: roles: [customer]"]),
    ("plain-text password", _plaintext_password, "users[0].password_hash", ["not a bcrypt hash", "allowed:"]),
    ("distributor below the root", _kind_distributor_below_root, "organizations[2].kind", ["'distributor' is not allowed", "allowed: reseller, customer"]),
    ("customer as a parent", _customer_as_parent, "organizations[2].parent", ["'contoso' is a customer", "allowed: the root or a reseller"]),
    ("bad period", _bad_period, "fx_rates[0].period", ["not a billing period", "allowed: a month written YYYY-MM"]),
    ("two rates for one pair", _duplicate_rate, "fx_rates[1]", ["a second rate USD→EUR for 2026-05", "allowed: one rate per currency pair"]),
    ("to before from", _to_before_from, "account_mappings[0]", ["'to' is not after 'from'", "allowed: to > from"]),
]


@pytest.mark.parametrize("name,mutate,path,words", CASES, ids=[c[0] for c in CASES])
def test_each_error_names_file_path_and_what_is_allowed(name, mutate, path, words):
    doc = base()
    mutate(doc)
    line = only_problem(doc)
    assert line.startswith("t.yaml:"), line
    file_and_line, found_path, message = line.split(": ", 2)
    assert file_and_line.split(":")[1].isdigit(), line                        # the line number
    assert found_path == path, line
    for word in words:
        assert word in message, line
    assert "allowed" in message or "must" in message or "make one" in message, line


def test_handover_of_an_account_with_dates_is_not_a_conflict():
    doc = parse_config(EXAMPLE)
    owners = [(m.customer, m.valid_from, m.valid_to) for m in doc.account_mappings
              if m.sub_account_id == "200000000013"]
    assert owners == [("contoso", None, date(2026, 1, 1)), ("fabrikam", date(2026, 1, 1), None)]


def test_a_mapping_repeated_for_the_same_customer_is_reported():
    doc = base()
    doc["account_mappings"].append(dict(doc["account_mappings"][0]))
    assert "repeats account_mappings[0]" in only_problem(doc)


def test_all_errors_are_collected_in_one_error_one_per_line():
    doc = base()
    for mutate in (_unknown_parent, _unknown_role, _duplicate_plan, _overlapping_rules, _missing_fx,
                   _mapping_unknown_customer):
        mutate(doc)
    lines = problems(doc, source="many.yaml")
    paths = [line.split(": ", 2)[1] for line in lines]
    assert paths == ["organizations[2].parent", "account_mappings[1].customer", "plans[1].rules[2]",
                     "plans[2].id", "fx_rates", "users[0].roles[1]"]              # in document order
    assert all(line.startswith("many.yaml:") for line in lines)


def test_an_invalid_root_does_not_hide_the_other_errors():
    doc = base()
    _bad_currency(doc)
    _unknown_parent(doc)
    assert [line.split(": ", 2)[1] for line in problems(doc)] == ["root.currency", "organizations[2].parent"]


def test_a_broken_plan_still_gets_its_rules_checked():
    doc = base()
    _overlapping_rules(doc)
    _bad_basis(doc)
    lines = problems(doc)
    assert [line.split(": ", 2)[1] for line in lines] == ["plans[1].rules[0].basis", "plans[1].rules[2]"]


def test_yaml_syntax_error_and_duplicate_keys():
    line = only_problem("root: {id: x\nfoo: [")
    assert line.startswith("t.yaml:") and "not valid YAML" in line
    text = EXAMPLE.replace("  - id: dist-standard\n    owner: northwind\n",
                           "  - id: dist-standard\n    owner: northwind\n    owner: northwind\n")
    assert "plans[0].owner: key 'owner' appears twice" in only_problem(text)


def test_empty_document_and_unknown_section():
    assert "allowed: a mapping with the keys root" in only_problem("")
    assert "unknown key 'plan'; allowed: root, organizations" in only_problem(EXAMPLE + "plan: []\n")
    assert "root: is required" in only_problem("organizations: []\n")


# ---- pure objects for the engine -------------------------------------------------------------

def test_to_pricing_builds_the_engine_objects():
    orgs, plans, fx = to_pricing(parse_config(EXAMPLE))
    assert orgs["northwind"].parent is None and orgs["northwind"].kind == "distributor"
    assert orgs["contoso"].plan == "msp-standard" and orgs["contoso"].tax_rate_pct == Decimal("20")
    plan = plans["msp-standard"]
    assert plan.rules[1] == Rule(match=(("ServiceCategory", "Compute"),), basis="cost", markup_pct=Decimal("12.5"))
    assert plan.rules[1].factor == Decimal("1.125") and plan.rules[1].specificity == 21
    assert plan.tiers.mode == "graduated" and plan.tiers.bands[1] == Band(Decimal("10000"), Decimal("2"))
    assert plan.fees == (Fee("Managed service", amount=Decimal("500.10")), Fee("Support", pct_of_usage=Decimal("3")))
    assert (plan.credits, plan.commitments, plan.commitment_share_pct) == ("retain", "share", Decimal("50"))
    assert fx.rate(date(2026, 5, 1), "USD", "EUR") == Decimal("0.9200")


# ---- the store ------------------------------------------------------------------------------

@pytest.fixture()
def con(tmp_path):
    c = connect(tmp_path / "config.duckdb")
    yield c
    c.close()


def test_import_fills_the_cfg_tables(con):
    doc = parse_config(EXAMPLE)
    assert import_config(con, doc, imported_by="ana") == 1
    orgs = con.execute("SELECT id, parent, depth, tax_rate_pct, plan FROM cfg_organizations ORDER BY depth, id").fetchall()
    assert orgs == [("northwind", None, 0, Decimal("0"), None), ("msp-one", "northwind", 1, Decimal("0"), "dist-standard"),
                    ("contoso", "msp-one", 2, Decimal("20"), "msp-standard"),
                    ("fabrikam", "msp-one", 2, Decimal("0"), "msp-standard")]
    rules = con.execute("SELECT plan_id, rule_no, ServiceCategory, basis, factor, specificity FROM cfg_plan_rules "
                        "ORDER BY plan_id, rule_no").fetchall()
    assert rules == [("dist-standard", 0, None, "list", Decimal("0.9"), 0),
                     ("msp-standard", 0, None, "list", Decimal("0.95"), 0),
                     ("msp-standard", 1, "Compute", "cost", Decimal("1.125"), 21)]
    maps = con.execute("SELECT mapping_no, provider, sub_account_id, billing_account_id, tag_key, tag_value, customer, "
                       "valid_from, valid_to FROM cfg_account_mappings ORDER BY mapping_no").fetchall()
    assert maps[0] == (0, "AWS", "200000000012", None, None, None, "contoso", None, None)
    assert maps[2] == (2, None, None, None, "customer", "contoso", "contoso", None, None)
    assert maps[3][-1] == date(2026, 1, 1)
    assert con.execute("SELECT * FROM cfg_fx_rates").fetchall() == [(date(2026, 5, 1), "USD", "EUR", Decimal("0.92"))]
    plan = con.execute("SELECT credits, commitments, commitment_share_pct, definition FROM cfg_plans "
                       "WHERE id = 'msp-standard'").fetchone()
    assert plan[:3] == ("retain", "share", Decimal("50"))
    assert json.loads(plan[3])["fees"][0] == {"name": "Managed service", "amount": "500.10"}
    users = con.execute("SELECT username, org, roles, customers FROM cfg_users ORDER BY username").fetchall()
    assert users == [("ana", "northwind", ["admin"], None), ("cy", "contoso", ["customer"], None),
                     ("mo", "msp-one", ["account_manager"], ["contoso"])]


def test_each_import_is_a_new_version_with_an_audit_row(con):
    first = parse_config(EXAMPLE)
    second = parse_config(EXAMPLE.replace("discount_pct: 10}", "discount_pct: 11}"))
    assert import_config(con, first) == 1
    assert import_config(con, second, imported_by="ana") == 2
    assert con.execute("SELECT factor FROM cfg_plan_rules WHERE plan_id = 'dist-standard'").fetchone()[0] == Decimal("0.89")
    assert con.execute("SELECT count(*) FROM cfg_organizations").fetchone()[0] == 4      # replaced, not appended
    audit = con.execute("SELECT username, org, action, target, before, after FROM audit_log ORDER BY logged_at").fetchall()
    assert [(a[0], a[1], a[2], a[3]) for a in audit] == [("cli", None, "config_change", "config v1"),
                                                         ("ana", "northwind", "config_change", "config v2")]
    assert audit[0][4] is None
    assert json.loads(audit[1][4])["plans"][0]["rules"][0]["discount_pct"] == "10"
    assert json.loads(audit[1][5])["plans"][0]["rules"][0]["discount_pct"] == "11"
    assert current_config(con) == second


def test_import_is_all_or_nothing(con, monkeypatch):
    import data.config.storage as storage
    import_config(con, parse_config(EXAMPLE))
    real_sql = storage.sql

    def failing(name):
        if name == "cfg_insert_user":
            raise RuntimeError("disk full")
        return real_sql(name)

    monkeypatch.setattr(storage, "sql", failing)
    changed = parse_config(EXAMPLE.replace("name: MSP One,", "name: MSP Uno,"))
    with pytest.raises(RuntimeError, match="disk full"):
        import_config(con, changed)
    assert con.execute("SELECT name FROM cfg_organizations WHERE id = 'msp-one'").fetchone()[0] == "MSP One"
    assert con.execute("SELECT max(version) FROM cfg_documents").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM cfg_users").fetchone()[0] == 3


def test_import_validates_documents_built_in_code(con):
    doc = parse_config(EXAMPLE)
    broken = doc.model_copy(update={"users": [*doc.users, doc.users[0]]})
    with pytest.raises(ConfigError, match=r"users\[3\]\.username: duplicate username 'ana'"):
        import_config(con, broken)
    assert current_config(con) is None


def test_export_round_trips_with_money_as_quoted_strings(con):
    doc = parse_config(EXAMPLE)
    import_config(con, doc)
    text = export_config(con)
    assert text.startswith("# Tierline configuration, version 1")
    assert "amount: '500.10'" in text and "rate: '0.9200'" in text and "sub_account_id: '200000000012'" in text
    assert "period: 2026-05" in text
    again = parse_config(text, source="export.yaml")
    assert again == doc == current_config(con)
    # and the exported text is itself stable
    import_config(con, again)
    assert export_config(con).split("\n", 1)[1] == text.split("\n", 1)[1]


def test_current_pricing_parses_each_document_once(con):
    """A billing run reads the pricing objects through a cache keyed by the document's text: the
    same objects until the next import, read-only, and None before the first import."""
    assert current_pricing(con) is None
    import_config(con, parse_config(EXAMPLE))
    orgs, plans = current_pricing(con)
    assert current_pricing(con)[1] is plans
    assert orgs["contoso"].plan == "msp-standard" and plans["dist-standard"].rules[0].factor == Decimal("0.9")
    with pytest.raises(TypeError):
        plans["dist-standard"] = plans["msp-standard"]
    import_config(con, parse_config(EXAMPLE.replace("discount_pct: 10}", "discount_pct: 11}")))
    assert current_pricing(con)[1]["dist-standard"].rules[0].factor == Decimal("0.89")


def test_current_seller_branding_follows_each_import(con):
    """The portal's brand band reads a seller's branding through the same per-document parse."""
    assert current_seller_branding(con, "msp-one") is None
    import_config(con, parse_config(EXAMPLE))
    assert current_seller_branding(con, "msp-one").display_name == "MSP One"
    import_config(con, parse_config(EXAMPLE.replace("name: MSP One,", "name: MSP One Group,")))
    assert current_seller_branding(con, "msp-one").display_name == "MSP One Group"
    assert current_config(con).organizations[0].name == "MSP One Group"   # current_config: its own copy


def test_current_config_data_is_fresh_plain_data_each_time(con):
    """The console edits what it reads: each read is its own copy, parsed once per document."""
    assert current_config_data(con) is None
    import_config(con, parse_config(EXAMPLE))
    first = current_config_data(con)
    assert first == current_config(con).to_data()
    first["organizations"][0]["name"] = "changed in place"
    assert current_config_data(con)["organizations"][0]["name"] == "MSP One"
    import_config(con, parse_config(EXAMPLE.replace("name: MSP One,", "name: MSP One Group,")))
    assert current_config_data(con)["organizations"][0]["name"] == "MSP One Group"


def test_empty_store_has_no_config(con):
    assert current_config(con) is None
    with pytest.raises(ConfigError, match="no configuration has been imported yet"):
        export_config(con)
