"""The admin console's Organisations, Account mappings and FX rates (issue #14, docs/console.md):
the write path (data/console/), every bad input refused with a sentence and nothing saved, one
reseller's admin kept out of another's organisations and mappings, the audit of each change,
the export → import round trip, and the three pages with AppTest.

Each test works on its own copy of the small demo store (tests/browser_support.ui_store: a
distributor Northwind, resellers MSP One, CloudHaus and BritCloud; periods 2025-04 (issued),
2025-05 and 2025-06; four unmapped accounts per period)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest

from components import console
from components.auth import AUTH_KEY, session_record
from data.config import ConfigError, current_config, current_version, parse_config
from data.config.storage import import_config
from data.console import fx, mappings, organizations
from data.console.document import edit_document
from data.store import ROOT, connect
from queries import scope as q
from queries.scope import ScopeError
from tests.browser_support import restore_env, set_env, ui_env, ui_store


@pytest.fixture(scope="module")
def demo():
    return ui_store()


@pytest.fixture
def db(demo, tmp_path):
    """A private copy of the demo store, and the app's environment pointing at it."""
    path = tmp_path / "tierline.duckdb"
    shutil.copyfile(demo.apptest_db, path)
    old = set_env(ui_env(path))
    yield path
    restore_env(old)


@pytest.fixture
def con(db):
    c = connect(db)
    yield c
    c.close()


def who(con, username):
    return q.scope_for_user(con, username)


def refused(con, call, *, error=ConfigError, says: str = "") -> str:
    """Run `call`; it must raise `error` whose text contains `says`, and save nothing."""
    before = current_version(con)
    audit = con.execute("select count(*) from audit_log").fetchone()[0]
    with pytest.raises(error) as exc:
        call()
    assert current_version(con) == before
    assert con.execute("select count(*) from audit_log").fetchone()[0] == audit
    assert says in str(exc.value), str(exc.value)
    return str(exc.value)


def org(con, org_id):
    return next((o for o in current_config(con).to_data()["organizations"] if o["id"] == org_id), None)


# --- the write path ----------------------------------------------------------------------------

def test_edit_document_audits_only_the_changed_item_under_the_admins_org(con):
    msp = who(con, "msp-admin")
    v = current_version(con)
    new = organizations.update(con, msp, "contoso", tax_rate_pct="21")
    assert new == v + 1
    rows = con.execute("select username, org, target, before, after, detail from audit_log "
                       "where action = 'config_change' order by logged_at desc limit 1").fetchall()
    (user, owner, target, before, after, detail), = rows
    assert (user, owner, target) == ("msp-admin", "msp-one", "organisation contoso")
    assert json.loads(before)["tax_rate_pct"] == "20" and json.loads(after)["tax_rate_pct"] == "21"
    assert "rheinwerk" not in (before + after)        # only the item, never the document
    assert detail.startswith(f"config v{new}: ")


def test_nothing_to_save_is_a_sentence(con):
    refused(con, lambda: edit_document(con, who(con, "msp-admin"), lambda data: None, what="x"),
            says="nothing to save")


def test_only_admins_edit(con):
    refused(con, lambda: organizations.rename(con, who(con, "msp-leader"), "contoso", "C"),
            error=ScopeError, says="administrator")


# --- organisations -------------------------------------------------------------------------------

def test_create_rename_move_deactivate_and_delete(con):
    dist = who(con, "dist-admin")
    organizations.create(con, dist, org_id="sub-msp", name="Sub MSP", kind="reseller",
                         parent="msp-one", currency="USD", plan="msp-standard", tax_rate_pct="0")
    assert org(con, "sub-msp")["parent"] == "msp-one"
    organizations.rename(con, dist, "sub-msp", "Sub MSP Ltd")
    assert org(con, "sub-msp")["name"] == "Sub MSP Ltd"
    organizations.move(con, dist, "sub-msp", "cloudhaus", plan="ch-basis")
    assert (org(con, "sub-msp")["parent"], org(con, "sub-msp")["plan"]) == ("cloudhaus", "ch-basis")
    organizations.set_active(con, dist, "sub-msp", False)
    assert org(con, "sub-msp")["active"] is False
    assert "sub-msp" not in {c["id"] for c in mappings.customers(con, dist)}
    organizations.set_active(con, dist, "sub-msp", True)
    assert "active" not in org(con, "sub-msp")
    organizations.delete(con, dist, "sub-msp")
    assert org(con, "sub-msp") is None


def test_a_cycle_in_the_hierarchy_is_refused(con):
    dist = who(con, "dist-admin")
    organizations.create(con, dist, org_id="sub-msp", name="Sub MSP", kind="reseller",
                         parent="msp-one", currency="USD", plan="msp-standard")
    text = refused(con, lambda: organizations.move(con, dist, "msp-one", "sub-msp"),
                   says="'sub-msp' would make a cycle")
    assert "parent" in text
    refused(con, lambda: organizations.move(con, dist, "msp-one", "msp-one"), says="cycle")


def test_bad_organisation_values_are_sentences(con):
    msp = who(con, "msp-admin")
    refused(con, lambda: organizations.update(con, msp, "contoso", tax_rate_pct="-3"),
            says="organisation contoso: tax_rate_pct: '-3'")
    refused(con, lambda: organizations.update(con, msp, "contoso", currency="USD"),
            says="already has invoices in EUR")
    refused(con, lambda: organizations.delete(con, who(con, "dist-admin"), "contoso"),
            says="'contoso' has invoices, so it is never deleted")
    refused(con, lambda: organizations.create(con, msp, org_id="x1", name="X", kind="customer",
                                              parent="msp-one", currency="USD", plan="ch-basis"),
            says="plan 'ch-basis' is owned by another organisation")
    refused(con, lambda: organizations.create(con, msp, org_id="contoso", name="X", kind="customer",
                                              parent="msp-one", currency="USD", plan="msp-standard"),
            says="'contoso' is already an organisation's id")
    refused(con, lambda: organizations.update(con, msp, "msp-one",
                                              branding={"accent_colour": "blue"}),
            says="branding.accent_colour")


def test_own_organisation_is_not_moved_deactivated_or_repriced_by_itself(con):
    msp = who(con, "msp-admin")
    refused(con, lambda: organizations.move(con, msp, "msp-one", "northwind"), error=ScopeError)
    refused(con, lambda: organizations.set_active(con, msp, "msp-one", False), error=ScopeError,
            says="cannot be deactivated")
    refused(con, lambda: organizations.update(con, msp, "msp-one", plan="dist-eu"),
            error=ScopeError, says="parent's administrators")
    organizations.update(con, msp, "msp-one", billing_email="billing@msp-one.example",
                         branding={"display_name": "MSP One Inc."})
    assert org(con, "msp-one")["branding"]["display_name"] == "MSP One Inc."


def test_one_resellers_admin_cannot_see_or_change_anothers_organisations(con):
    msp, ch = who(con, "msp-admin"), who(con, "ch-admin")
    seen = {o["id"] for o in organizations.tree(con, msp)}
    assert "contoso" in seen and not seen & {"cloudhaus", "rheinwerk", "britcloud", "northwind"}
    assert {o["id"] for o in organizations.tree(con, ch)} & {"contoso", "msp-one"} == set()
    refused(con, lambda: organizations.rename(con, msp, "rheinwerk", "Mine now"), error=ScopeError,
            says="'rheinwerk' is not one of them")
    refused(con, lambda: organizations.create(con, msp, org_id="x2", name="X", kind="customer",
                                              parent="cloudhaus", currency="EUR", plan="ch-basis"),
            error=ScopeError)
    refused(con, lambda: organizations.move(con, msp, "contoso", "cloudhaus"), error=ScopeError)
    assert organizations.plans_for_parent(con, msp, "cloudhaus") == []


# --- account mappings ---------------------------------------------------------------------------

def test_root_admin_maps_unmapped_accounts_in_one_change(con):
    dist = who(con, "dist-admin")
    before = mappings.unmapped(con, dist, "2025-05")
    assert [a["cost"] for a in before] == sorted((a["cost"] for a in before), reverse=True)
    assert all(isinstance(a["cost"], Decimal) for a in before)
    v = current_version(con)
    mappings.assign_unmapped(con, dist, before[:2], "fabrikam")
    assert current_version(con) == v + 1            # one change for both
    after = mappings.unmapped(con, dist, "2025-05")
    assert after == before[2:]
    targets = [r[0] for r in con.execute(
        "select target from audit_log where detail like ? order by target", [f"config v{v + 1}:%"]).fetchall()]
    assert len(targets) == 2 and all("to fabrikam" in t for t in targets)


def test_unmapped_cost_is_for_the_roots_admins_only(con):
    refused(con, lambda: mappings.unmapped(con, who(con, "msp-admin"), "2025-05"),
            error=ScopeError, says="organisation running Tierline")


def test_a_mapping_of_an_account_already_mapped_for_the_same_dates_is_refused(con):
    dist = who(con, "dist-admin")
    account = mappings.unmapped(con, dist, "2025-05")[0]
    mappings.assign_unmapped(con, dist, [account], "fabrikam")
    refused(con, lambda: mappings.assign_unmapped(con, dist, [account], "contoso"),
            says=f"sub-account {account['sub_account_id']} for all dates is already mapped to 'fabrikam'")
    item = {"provider": account["provider"], "sub_account_id": account["sub_account_id"],
            "customer": "contoso", "from": "2025-05-10"}
    refused(con, lambda: mappings.add(con, dist, [item]), says="already mapped")


def test_dated_mappings_and_hand_over(con):
    msp = who(con, "msp-admin")
    mappings.add(con, msp, [{"provider": "AWS", "sub_account_id": "299", "customer": "contoso",
                             "to": "2025-06-15"},
                            {"provider": "AWS", "sub_account_id": "299", "customer": "fabrikam",
                             "from": "2025-06-15"}])
    mine = [m for m in mappings.mappings(con, msp) if m.get("sub_account_id") == "299"]
    assert {(m["customer"], m.get("from"), m.get("to")) for m in mine} == {
        ("contoso", None, "2025-06-15"), ("fabrikam", "2025-06-15", None)}
    later = next(m for m in mine if m["customer"] == "fabrikam")
    mappings.hand_over(con, msp, later, "tailspin", "2025-06-20")
    mine = {(m["customer"], m.get("from"), m.get("to"))
            for m in mappings.mappings(con, msp) if m.get("sub_account_id") == "299"}
    assert ("fabrikam", "2025-06-15", "2025-06-20") in mine and ("tailspin", "2025-06-20", None) in mine
    refused(con, lambda: mappings.add(con, msp, [{"provider": "AWS", "sub_account_id": "299",
                                                  "customer": "wingtip", "from": "2025-06-01",
                                                  "to": "2025-06-16"}]), says="already mapped")
    refused(con, lambda: mappings.add(con, msp, [{"tag": "team", "value": "a", "customer": "wingtip",
                                                  "from": "2025-06-10", "to": "2025-06-01"}]),
            says="is not after from")
    mappings.add(con, msp, [{"tag": "team", "value": "a", "customer": "wingtip"}])


def test_one_resellers_admin_cannot_see_or_change_anothers_mappings(con):
    msp, ch = who(con, "msp-admin"), who(con, "ch-admin")
    ch_customers = {c["id"] for c in mappings.customers(con, ch)}
    assert not {m["customer"] for m in mappings.mappings(con, msp)} & ch_customers
    assert not {c["id"] for c in mappings.customers(con, msp)} & ch_customers
    theirs = mappings.mappings(con, ch)[0]
    refused(con, lambda: mappings.reassign(con, msp, theirs, "contoso"), error=ScopeError)
    refused(con, lambda: mappings.remove(con, msp, theirs), error=ScopeError)
    ours = mappings.mappings(con, msp)[0]
    refused(con, lambda: mappings.reassign(con, msp, ours, "rheinwerk"), error=ScopeError,
            says="'rheinwerk' is not one of them")
    # claiming their account for one of ours: refused without naming their customer
    claim = {k: v for k, v in theirs.items() if k not in ("kind", "customer_name")}
    text = refused(con, lambda: mappings.add(con, msp, [{**claim, "customer": "contoso"}]),
                   says="already mapped to 'another organisation'")
    assert theirs["customer"] not in text


def test_a_deactivated_customer_takes_no_new_mapping(con):
    dist = who(con, "dist-admin")
    organizations.set_active(con, dist, "wingtip", False)
    refused(con, lambda: mappings.add(con, dist, [{"tag": "x", "value": "y", "customer": "wingtip"}]),
            says="'wingtip' is deactivated")


# --- FX rates -----------------------------------------------------------------------------------

def test_fx_rates_zero_negative_locked_and_not_root(con):
    dist = who(con, "dist-admin")
    refused(con, lambda: fx.set_rate(con, dist, "2025-06", "USD", "EUR", "0"),
            says="rate: 0 is not above 0")
    refused(con, lambda: fx.set_rate(con, dist, "2025-06", "USD", "EUR", "-1.25"),
            says="rate: -1.25 is not above 0")
    refused(con, lambda: fx.set_rate(con, dist, "2025-06", "USD", "EUR", "abc"),
            says="'abc' is not a number")
    refused(con, lambda: fx.set_rate(con, dist, "2025-04", "USD", "EUR", "0.95"),
            says="2025-04 is locked")
    refused(con, lambda: fx.set_rate(con, who(con, "ch-admin"), "2025-06", "USD", "EUR", "0.95"),
            error=ScopeError)
    fx.set_rate(con, dist, "2025-06", "USD", "EUR", "0.9311")
    assert {"from": "USD", "to": "EUR", "rate": Decimal("0.9311")} in fx.rates(con, dist, "2025-06")["rates"]


def test_fx_missing_pairs_and_locked_periods(con):
    dist = who(con, "dist-admin")
    assert fx.rates(con, dist, "2025-06")["missing"] == []
    assert fx.rates(con, dist, "2025-04")["locked"] and not fx.rates(con, dist, "2025-04")["editable"]
    fx.remove_rate(con, dist, "2025-06", "EUR", "GBP")
    missing = fx.rates(con, dist, "2025-06")["missing"]
    assert [(m["from"], m["to"]) for m in missing] == [("EUR", "GBP")]
    assert "britcloud" in missing[0]["organisations"]
    ch = fx.rates(con, who(con, "ch-admin"), "2025-06")
    assert not ch["editable"] and {r["to"] for r in ch["rates"]} == {"EUR", "USD"}   # Sonnendach: USD
    assert ch["missing"] == []          # CloudHaus invoices nobody in GBP


# --- export → import ----------------------------------------------------------------------------

def test_export_after_console_changes_imports_and_reproduces_the_state(con, db, tmp_path):
    dist = who(con, "dist-admin")
    organizations.create(con, dist, org_id="sub-msp", name="Sub MSP", kind="reseller",
                         parent="msp-one", currency="USD", plan="msp-standard")
    organizations.set_active(con, dist, "wingtip", False)
    organizations.update(con, dist, "contoso", branding={"display_name": "Contoso Ltd."})
    mappings.assign_unmapped(con, dist, mappings.unmapped(con, dist, "2025-05")[:1], "fabrikam")
    mappings.add(con, dist, [{"tag": "team", "value": "a", "customer": "fabrikam", "from": "2025-06-01"}])
    fx.set_rate(con, dist, "2025-06", "USD", "EUR", "0.9311")
    state = current_config(con).to_data()
    tables = {t: sorted(con.cursor().table(t).fetchall(), key=repr)    # no SQL text built from names
              for t in ("cfg_organizations", "cfg_account_mappings", "cfg_fx_rates")}
    con.close()
    exported = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", str(db), "config",
                               "export"], capture_output=True, text=True, check=True).stdout
    assert "active: false" in exported
    assert parse_config(exported).to_data() == state
    path = tmp_path / "exported.yaml"
    path.write_text(exported, encoding="utf-8")
    subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", str(db), "config", "import",
                    str(path)], capture_output=True, text=True, check=True)
    again = connect(db)
    try:
        assert current_config(again).to_data() == state
        for t, rows in tables.items():
            assert sorted(again.cursor().table(t).fetchall(), key=repr) == rows
        import_config(again, parse_config(exported))       # and once more, in code
    finally:
        again.close()


# --- the pages (AppTest) ------------------------------------------------------------------------

def page(path: str, username: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state[AUTH_KEY] = session_record(username, time.time() + 600, method="test")
    at.switch_page(path)
    return at.run()


def version(db) -> int:
    c = connect(db)
    try:
        return current_version(c)
    finally:
        c.close()


def errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error).replace("\\", "")


def successes(at: AppTest) -> str:
    return " ".join(s.value for s in at.success).replace("\\", "")


def table_text(at: AppTest) -> str:
    return " ".join(d.value.to_csv() for d in at.dataframe)


def unmapped_table(at: AppTest):
    """The unmapped accounts' table (the only one with a sub_account column), or None."""
    return next((d for d in at.dataframe if "sub_account" in d.value.columns), None)


def button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def test_organisations_page_tree_create_and_cycle(db):
    at = page("pages/13_Organisations.py", "msp-admin")
    assert not at.exception and not at.error
    tree = table_text(at)
    assert "Contoso Ltd" in tree and "Rheinwerk" not in tree and "CloudHaus" not in tree
    at = page("pages/13_Organisations.py", "dist-admin")
    at.text_input(key="org_new_id").input("sub-msp")
    at.text_input(key="org_new_name").input("Sub MSP")
    at.selectbox(key="org_new_kind").select("reseller")
    at.selectbox(key="org_new_parent").select("msp-one").run()
    at.selectbox(key="org_new_plan").select("msp-standard")
    at.text_input(key="org_new_currency").input("USD")
    button(at, "org_create").click().run()
    assert not at.exception and not at.error, errors(at)
    assert "Organisation sub-msp created" in successes(at)
    assert "Sub MSP" in table_text(at)
    v = version(db)
    at.selectbox(key="org_move_pick").select("msp-one").run()
    at.selectbox(key="org_move_parent").select("sub-msp").run()
    button(at, "org_move").click().run()
    assert "'sub-msp' would make a cycle" in errors(at)
    assert "Nothing was saved" in errors(at) and version(db) == v


def test_organisations_page_bad_tax_rate_saves_nothing(db):
    at = page("pages/13_Organisations.py", "msp-admin")
    at.selectbox(key="org_edit_pick").select("contoso").run()
    at.text_input(key="org_edit_tax_rate_pct_contoso").input("-5")
    v = version(db)
    button(at, "org_edit_save").click().run()
    assert "tax_rate_pct: '-5'" in errors(at) and version(db) == v


def test_mappings_page_root_admin_maps_an_unmapped_account(db):
    at = page("pages/14_Account_mappings.py", "dist-admin")
    assert not at.exception and not at.error, errors(at)
    at.selectbox(key="map_period").select_index(1).run()        # 2025-05
    unmapped = table_text(at)
    assert "200000009901" in unmapped
    largest = at.session_state["_map_unmapped"][0]
    assert largest["sub_account_id"] == "200000009901"
    at.multiselect(key="map_unmapped_pick").select(console._key(largest))
    at.selectbox(key="map_unmapped_customer").select("fabrikam")
    button(at, "map_assign").click().run()
    assert not at.error, errors(at)
    assert "mapped to Fabrikam" in successes(at) and "(fabrikam)" in successes(at)
    assert "200000009901" in table_text(at)          # now in the mappings table …
    shown = unmapped_table(at).value.to_csv()
    assert "200000009901" not in shown               # … and gone from the unmapped one
    assert at.multiselect(key="map_unmapped_pick").value == []    # the choice is cleared
    # the same account again, for the same dates: a sentence, nothing saved
    v = version(db)
    at.radio(key="map_add_kind").set_value("sub-account").run()
    at.text_input(key="map_add_provider").input("AWS")
    at.text_input(key="map_add_account").input("200000009901")
    at.selectbox(key="map_add_customer").select("contoso")
    button(at, "map_add").click().run()
    assert "already mapped to 'fabrikam'" in errors(at) and version(db) == v


def test_mappings_page_reseller_admin_sees_its_own_customers_only(db):
    at = page("pages/14_Account_mappings.py", "msp-admin")
    assert not at.exception and not at.error, errors(at)
    assert unmapped_table(at) is None
    shown = table_text(at)
    assert "Contoso" in shown and "Rheinwerk" not in shown and "Thames" not in shown
    options = at.selectbox(key="map_add_customer").options
    assert any("contoso" in o for o in options) and not any("rheinwerk" in o for o in options)


def test_fx_page_bad_rates_locked_period_and_reader(db):
    at = page("pages/15_FX_rates.py", "dist-admin")
    assert not at.exception and not at.error, errors(at)
    period = at.selectbox(key="fx_period").value
    for bad, says in (("0", "rate: 0 is not above 0"), ("-2", "rate: -2 is not above 0")):
        v = version(db)
        at.text_input(key=f"fx_from_{period}").input("USD")
        at.text_input(key=f"fx_to_{period}").input("EUR")
        at.text_input(key=f"fx_rate_{period}").input(bad)
        button(at, "fx_save").click().run()
        assert says in errors(at) and version(db) == v
    at.text_input(key=f"fx_rate_{period}").input("0.9311")
    button(at, "fx_save").click().run()
    assert not at.error and "0.9311" in table_text(at)
    at.selectbox(key="fx_period").select_index(len(at.selectbox(key="fx_period").options) - 1).run()
    assert any("locked" in i.value for i in at.info)
    assert not any(b.key == "fx_save" for b in at.button)
    reader = page("pages/15_FX_rates.py", "ch-admin")
    assert not reader.exception and not reader.error
    assert not any(b.key == "fx_save" for b in reader.button)
    assert "EUR" in table_text(reader)


def test_fx_page_warns_for_a_pair_in_use_without_rate(db, con):
    fx.remove_rate(con, who(con, "dist-admin"), "2025-06", "EUR", "GBP")
    at = page("pages/15_FX_rates.py", "dist-admin")
    assert any("No EUR->GBP rate for 2025-06" in w.value.replace("\\", "") for w in at.warning)


@pytest.mark.parametrize("path", ["pages/13_Organisations.py", "pages/14_Account_mappings.py",
                                  "pages/15_FX_rates.py"])
@pytest.mark.parametrize("username", ["msp-leader", "contoso-user", "msp-am"])
def test_console_pages_refuse_non_admins(db, path, username):
    at = page(path, username)
    assert not at.exception and at.error and not at.dataframe
