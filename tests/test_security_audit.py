"""Security issue #9, items 1, 7, 8 and 10: what the audit log holds and who reads it, plan errors
that speak of the editor's own plan only, the Plans picker selecting by id, and cached reads that
follow a change of access at once.

The demo store (tests/browser_support.ui_store) is the channel: Northwind (distributor) sells to
MSP One, CloudHaus and BritCloud (resellers); CloudHaus owns the plans ch-basis and ch-premium.
Each test that changes the configuration works on its own copy of the store.
"""
from __future__ import annotations

import json
import re
import shutil

import pytest
import streamlit as st
import yaml

from data import audit
from data.config import ConfigError, current_config, import_config, parse_config, plans_owned, save_plan
from data.store import connect
from queries import scope
from queries.scope import ScopeError
from tests.browser_support import restore_env, set_env, ui_env, ui_store
from tests.test_config import EXAMPLE, HASH
from tests.test_pages_apptest import errors, run

# Every plan of the demo channel that CloudHaus does not own.
OTHER_PLANS = ("dist-standard", "dist-eu", "dist-growth", "msp-standard", "msp-enterprise",
               "msp-costplus", "bc-standard", "bc-effective")
BCRYPT = re.compile(r"\$2[abxy]?\$")


@pytest.fixture()
def store(tmp_path):
    """A private copy of the UI store, served to AppTest (TIERLINE_DB) and opened here."""
    copy = tmp_path / "security.duckdb"
    shutil.copy(ui_store().apptest_db, copy)
    old = set_env(ui_env(copy))
    st.cache_data.clear()
    yield copy
    restore_env(old)
    st.cache_data.clear()


def reimport(con, change) -> int:
    """Import the configuration in force after `change(data)` edits its document data."""
    data = current_config(con).to_data()
    change(data)
    return import_config(con, parse_config(yaml.safe_dump(data, sort_keys=False), source="test"),
                         imported_by="cli")


# --- item 1: the audit log holds only what its readers may see ----------------------------------

def test_reseller_admin_saving_its_plan_unchanged_reads_only_its_own_plan_in_the_audit_log(store, monkeypatch):
    at = run("pages/7_Plans.py", "ch-admin")
    assert not at.exception and errors(at) == []
    at.button(key="plans_save").click().run()                   # nothing changed
    assert "Saved as configuration version" in at.success[0].value, errors(at)

    downloads: list[bytes] = []                                 # what the CSV button would hand out
    real = st.download_button
    monkeypatch.setattr(st, "download_button",
                        lambda label, data, *a, **kw: downloads.append(data) or real(label, data, *a, **kw))
    at = run("pages/6_Audit_log.py", "ch-admin")
    assert not at.exception and errors(at) == []
    shown = at.dataframe[0].value.to_csv()
    con = connect(store)
    entries = scope.audit_entries(con, scope.scope_for_user(con, "ch-admin"))
    csv = downloads[-1]() if callable(downloads[-1]) else downloads[-1]   # made at the click, maybe
    for text in (shown, csv.decode("utf-8"), entries.to_csv()):
        assert "ch-basis" in text                               # its own change is there, in full
        assert not [p for p in OTHER_PLANS if p in text]
        assert not BCRYPT.search(text) and "password_hash" not in text
    change = entries[entries["action"] == "config_change"]
    assert len(change) == 1
    assert json.loads(change.iloc[0]["before"]) == json.loads(change.iloc[0]["after"])
    assert json.loads(change.iloc[0]["after"])["id"] == "ch-basis"
    assert "password" not in change.to_csv()
    # recorded under the owner, holding that plan only
    org, before = con.execute("select org, before::VARCHAR from audit_log where username = 'ch-admin' "
                              "and action = 'config_change'").fetchone()
    assert org == "cloudhaus" and json.loads(before)["owner"] == "cloudhaus"
    assert not [p for p in OTHER_PLANS if p in before]


def small_store(tmp_path):
    """EXAMPLE (tests/test_config.py) with an admin of the reseller MSP One, rita."""
    con = connect(tmp_path / "small.duckdb")
    text = EXAMPLE + (f'  - {{username: rita, name: Rita Reseller, org: msp-one, roles: [admin], '
                      f'password_hash: "{HASH}"}}\n')
    import_config(con, parse_config(text), imported_by="cli")
    return con, text


def test_a_root_import_is_not_readable_by_a_reseller_admin(tmp_path):
    con, text = small_store(tmp_path)
    new_hash = HASH[:-4] + ("AAAA" if not HASH.endswith("AAAA") else "BBBB")
    import_config(con, parse_config(text.replace("discount_pct: 5}", "discount_pct: 6}")
                                    .replace(HASH + '"}\n  - {username: mo', new_hash + '"}\n  - {username: mo', 1)),
                  imported_by="ana")
    import_config(con, parse_config(text), imported_by="rita")      # a reseller's user, whole document
    rita = scope.audit_entries(con, scope.scope_for_user(con, "rita"))
    assert set(rita["username"]) == {"rita"}                          # the CLI's and ana's: not at all
    assert rita["before"].isna().all() and rita["after"].isna().all() and rita["detail"].isna().all()

    ana = scope.audit_entries(con, scope.scope_for_user(con, "ana"))  # the root's admins: in full
    mine = ana[ana["username"] == "ana"].iloc[0]
    after = json.loads(mine["after"])
    assert after["plans"][1]["rules"][0]["discount_pct"] == "6"
    assert {u["username"]: u.get("password") for u in after["users"]}["ana"] == "changed"
    assert "password changed: ana" in mine["detail"]
    stored = " ".join(str(v) for row in con.execute("select * from audit_log").fetchall() for v in row)
    assert not BCRYPT.search(stored) and "password_hash" not in stored


def test_reading_withholds_an_entry_that_reaches_beyond_the_reader(tmp_path):
    """The scoped layer checks what an entry holds, not only where it was recorded: an entry
    written under MSP One (as plan saves were before) that holds the whole document, or another
    tenant's plan, is returned without its content; a hash is never returned."""
    con, _ = small_store(tmp_path)
    document = json.loads(con.execute("select document::VARCHAR from cfg_documents").fetchone()[0])
    con.execute("insert into audit_log values (now(), 'rita', 'msp-one', 'config_change', 'config v1', "
                "NULL, cast(? as JSON), 'old style')", [json.dumps(document)])
    con.execute("insert into audit_log values (now(), 'rita', 'msp-one', 'config_change', 'plan x', "
                "NULL, cast(? as JSON), 'names dist-standard')",
                [json.dumps({"id": "dist-standard", "owner": "northwind"})])
    con.execute("insert into audit_log values (now(), 'rita', 'msp-one', 'config_change', 'plan msp-standard', "
                "NULL, cast(? as JSON), 'own plan')",
                [json.dumps({"id": "msp-standard", "owner": "msp-one", "note": HASH})])
    rita = scope.audit_entries(con, scope.scope_for_user(con, "rita")).set_index("target")
    assert rita.loc[["config v1", "plan x"], ["before", "after", "detail"]].isna().all().all()
    assert json.loads(rita.loc["plan msp-standard", "after"]) == {
        "id": "msp-standard", "owner": "msp-one", "note": audit.HASH_REMOVED}


def test_record_audit_never_stores_a_password_hash(tmp_path):
    con = connect(tmp_path / "a.duckdb")
    audit.record_audit(con, username="x", org=None, action="config_change",
                       before=json.dumps({"users": [{"username": "u", "password_hash": HASH}]}),
                       after={"users": [{"username": "u", "password_hash": HASH, "password": "changed"}]},
                       detail=f"hash {HASH}")
    before, after, detail = con.execute("select before::VARCHAR, after::VARCHAR, detail from audit_log").fetchone()
    assert json.loads(before) == {"users": [{"username": "u"}]}
    assert json.loads(after) == {"users": [{"username": "u", "password": "changed"}]}
    assert detail == f"hash {audit.HASH_REMOVED}"


# --- item 7: a reseller admin's plan errors speak of its own plan only -----------------------------

def test_plan_errors_name_only_the_plan_being_saved(store):
    con = connect(store)
    ch = scope.scope_for_user(con, "ch-admin")
    text = ("id: ch-basis\nowner: cloudhaus\nname: CloudHaus Basis\n"
            "rules:\n  - {basis: lst, discount_pct: '5'}\n"
            "  - {basis: list, discount_pct: '3'}\n  - {basis: list, markup_pct: '2'}\n"
            "fees: [{name: Support, amount: '1'}, {name: Support, amount: '2'}]\n")
    with pytest.raises(ConfigError) as caught:
        save_plan(con, ch, text)
    message = str(caught.value)
    assert caught.value.issues and "plans[" not in message
    assert {i.path.split("[")[0].split(".")[0] for i in caught.value.issues} <= {"rules", "fees"}
    assert all(i.line is None or i.line <= len(text.splitlines()) for i in caught.value.issues)
    assert not [p for p in OTHER_PLANS if p in message]
    assert "rules[0].basis" in message and "'lst' is not allowed" in message
    assert con.execute("select definition from cfg_plans where id = 'ch-basis'").fetchone()[0] \
        == json.dumps(next(p for p in plans_owned(con, ch) if p["id"] == "ch-basis"), ensure_ascii=False)


def test_a_plan_saved_by_id_keeps_its_id_and_another_tenants_id_is_not_named(store):
    con = connect(store)
    ch = scope.scope_for_user(con, "ch-admin")
    with pytest.raises(ConfigError) as caught:
        save_plan(con, ch, "id: ch-premium\nowner: cloudhaus\nrules: [{basis: list}]\n", "ch-basis")
    assert [(i.path, i.line) for i in caught.value.issues] == [("id", 1)]
    assert "ch-premium" not in str(caught.value)
    with pytest.raises(ScopeError):                             # another tenant's plan, selected by id
        save_plan(con, ch, "id: dist-eu\nowner: cloudhaus\nrules: [{basis: list}]\n", "dist-eu")


# --- item 8: the Plans picker selects (and saves) by id -----------------------------------------

def test_two_plans_with_one_name_save_to_the_one_selected(store):
    con = connect(store)

    def same_name(data):
        for plan in data["plans"]:
            if plan["id"] in ("ch-basis", "ch-premium"):
                plan["name"] = "CloudHaus"

    reimport(con, same_name)
    definitions = dict(con.execute("select id, definition::VARCHAR from cfg_plans").fetchall())
    con.close()

    at = run("pages/7_Plans.py", "ch-admin")
    at = at.selectbox(key="plans_pick").set_value("ch-premium").run()   # the browser sends its label
    assert len(set(at.selectbox(key="plans_pick").options)) == 2      # two labels a browser can tell apart
    assert at.selectbox(key="plans_pick").value == "ch-premium"
    text = at.text_area[0].value
    assert "id: ch-premium" in text
    at.text_area[0].set_value(text.replace("name: CloudHaus", "name: CloudHaus Premium (edited)"))
    at.button(key="plans_save").click().run()
    assert not at.exception and errors(at) == [], errors(at)

    con = connect(store)
    after = dict(con.execute("select id, definition::VARCHAR from cfg_plans").fetchall())
    assert json.loads(after["ch-premium"])["name"] == "CloudHaus Premium (edited)"
    assert after["ch-basis"] == definitions["ch-basis"]


def test_customers_with_one_name_are_told_apart_in_the_picker(store):
    con = connect(store)

    def same_name(data):
        for org in data["organizations"]:
            if org["id"] in ("contoso", "fabrikam"):
                org["name"] = "Contoso"

    reimport(con, same_name)
    con.close()
    at = run("pages/1_Costs.py", "msp-admin")
    picker = at.selectbox(key="costs_customer")
    assert len(set(picker.options)) == len(picker.options)
    assert "Contoso (fabrikam)" in picker.options
    at = picker.set_value("fabrikam").run()
    assert not at.exception and errors(at) == []
    assert at.selectbox(key="costs_customer").value == "fabrikam"


# --- item 10: cached reads follow a change of access at once --------------------------------------

def test_unassigned_customer_is_refused_by_the_cached_read_at_once(store):
    from components import cached
    from components.store import cursor

    period = ui_store().periods[1]
    assert "contoso" in {c["id"] for c in cached.visible_customers("msp-am")}
    assert len(cached.customer_costs("msp-am", "contoso", period, "service")) > 0   # now cached

    def unassign(data):
        for user in data["users"]:
            if user["username"] == "msp-am":
                user["customers"] = [c for c in user["customers"] if c != "contoso"]

    with cursor() as con:                       # the app's own connection, as a config import sees it
        reimport(con, unassign)
    assert "contoso" not in {c["id"] for c in cached.visible_customers("msp-am")}
    with pytest.raises(ScopeError):
        cached.customer_costs("msp-am", "contoso", period, "service")
    with pytest.raises(ScopeError):
        cached.customer_summary("msp-am", "contoso", period)
