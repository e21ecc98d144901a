"""Budgets and alerts (issue #12, item 4): the `budgets:` section of the configuration, who may
set a customer's budgets, each budget's status with hand-computed numbers, alerts raised once per
threshold per budget per month across billing runs, and the one e-mail per new set of alerts to
the customer's billing contact (aiosmtpd on 127.0.0.1, as tests/test_documents_mail.py)."""
from __future__ import annotations

import email
import sys
import types
from datetime import date
from decimal import Decimal
from email import policy

import pytest
import yaml
from aiosmtpd.controller import Controller

import queries.reports
from data.billing import run_billing
from data.budgets import may_set_budgets, save_budgets
from data.config import ConfigError, export_config, parse_config
from data.ingest import ingest_file
from queries import scope
from queries.reports.budgets import budget_alerts, budget_status
from tests.billing_support import focus_row, make_store, write_focus
from tests.test_billing import HASH
from tests.test_documents_mail import Recorder, free_port

P = date(2026, 5, 1)
D = Decimal
DATA = '{"team": "data"}'

# northwind → msp-one (list − 10 %) → contoso and fabrikam (USD, price = list).
ROWS = [
    focus_row(list_cost="3000.00", billed="2500.00", tags=DATA),                    # sub-account A
    focus_row(sub="200000000002", list_cost="1000.00", billed="800.00", service="AmazonS3",
              service_category="Storage", sku="SKU-2"),                              # sub-account B
    focus_row(sub="200000000003", list_cost="10.00", billed="8.00"),                # fabrikam's
]
LATE = [focus_row(account="100000000002", sub="200000000002", list_cost="1200.00", billed="1000.00",
                  day=20)]   # another payer account: a delivery of its own, nothing replaced
BUDGETS = [
    {"customer": "contoso", "amount": "5000.00"},
    {"customer": "contoso", "amount": "3500.00", "currency": "USD", "sub_account": "200000000001"},
    {"customer": "contoso", "amount": "2000.00", "tag_key": "team", "tag_value": "data"},
]


def config(budgets=None) -> dict:
    return {
        "root": {"id": "northwind", "name": "Northwind Distribution", "kind": "distributor", "currency": "USD"},
        "organizations": [
            {"id": "msp-one", "name": "MSP One", "kind": "reseller", "parent": "northwind",
             "currency": "USD", "plan": "dist-plan"},
            {"id": "contoso", "name": "Contoso Ltd", "kind": "customer", "parent": "msp-one",
             "currency": "USD", "plan": "msp-plan", "billing_email": "accounts@contoso.example"},
            {"id": "fabrikam", "name": "Fabrikam Inc", "kind": "customer", "parent": "msp-one",
             "currency": "USD", "plan": "msp-plan"},
        ],
        "account_mappings": [
            {"provider": "AWS", "sub_account_id": "200000000001", "customer": "contoso"},
            {"provider": "AWS", "sub_account_id": "200000000002", "customer": "contoso"},
            {"provider": "AWS", "sub_account_id": "200000000003", "customer": "fabrikam"},
        ],
        "plans": [
            {"id": "dist-plan", "owner": "northwind", "rules": [{"basis": "list", "discount_pct": "10"}]},
            {"id": "msp-plan", "owner": "msp-one", "rules": [{"basis": "list"}]},
        ],
        "users": [
            {"username": "ana", "name": "Ana", "org": "northwind", "roles": ["admin"], "password_hash": HASH},
            {"username": "mo", "name": "Mo", "org": "msp-one", "roles": ["admin"], "password_hash": HASH},
            {"username": "lars", "name": "Lars", "org": "msp-one", "roles": ["leader"], "password_hash": HASH},
            {"username": "amy", "name": "Amy", "org": "msp-one", "roles": ["account_manager"],
             "customers": ["contoso"], "password_hash": HASH},
            {"username": "al", "name": "Al", "org": "msp-one", "roles": ["account_manager"],
             "customers": ["fabrikam"], "password_hash": HASH},
            {"username": "camille", "name": "Camille", "org": "contoso", "roles": ["customer"],
             "password_hash": HASH},
        ],
        **({"budgets": budgets} if budgets is not None else {}),
    }


@pytest.fixture
def smtp(monkeypatch):
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    for k, v in {"HOST": "127.0.0.1", "PORT": str(controller.port), "TLS": "none",
                 "FROM": "billing@msp-one.example", "USER": "", "PASSWORD": ""}.items():
        monkeypatch.setenv(f"TIERLINE_SMTP_{k}", v)
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def forecast(monkeypatch):
    """The portal's forecast (another part of issue #12), as a fixed answer: 6,000.00 USD."""
    calls = []

    def fake(con, scope_, customer_id, period):
        calls.append((customer_id, period))
        return {"expected": D("6000.00"), "low": D("5500.00"), "high": D("6500.00"),
                "method": "test run-rate", "currency": "USD"}

    module = types.ModuleType("queries.reports.portal")
    module.forecast = fake
    monkeypatch.setitem(sys.modules, "queries.reports.portal", module)
    monkeypatch.setattr(queries.reports, "portal", module, raising=False)
    return calls


def who(con, username):
    return scope.scope_for_user(con, username)


def alerts_in_store(con):
    return con.execute("SELECT budget_key, threshold, actual, emailed_to, emailed_at IS NOT NULL "
                       "FROM budget_alerts ORDER BY budget_key, threshold").fetchall()


def messages(handler):
    return [email.message_from_bytes(e.content, policy=policy.default) for e in handler.envelopes]


# --- the configuration document -----------------------------------------------------------------

def test_budgets_round_trip_through_export_and_import(tmp_path):
    con = make_store(tmp_path, config(BUDGETS), [])
    assert con.execute("SELECT customer, amount, currency, sub_account, tag_key, tag_value FROM cfg_budgets "
                       "ORDER BY budget_no").fetchall() == [
        ("contoso", D("5000.00"), "USD", None, None, None),
        ("contoso", D("3500.00"), "USD", "200000000001", None, None),
        ("contoso", D("2000.00"), "USD", None, "team", "data")]
    text = export_config(con)
    assert "budgets:" in text
    again = parse_config(text)
    assert [b.model_dump() for b in again.budgets] == [b.model_dump() for b in parse_config(
        yaml.safe_dump(config(BUDGETS))).budgets]


def test_a_document_without_budgets_exports_without_the_section(tmp_path):
    con = make_store(tmp_path, config(), [])
    assert "budgets" not in export_config(con)


@pytest.mark.parametrize("budget, path, words", [
    ({"customer": "nobody", "amount": "10"}, "budgets[0].customer", "is not a customer"),
    ({"customer": "msp-one", "amount": "10"}, "budgets[0].customer", "is not a customer"),
    ({"customer": "contoso", "amount": "0"}, "budgets[0]", "not above 0"),
    ({"customer": "contoso", "amount": "-5"}, "budgets[0].amount", "is negative"),
    ({"customer": "contoso", "amount": "10", "currency": "EUR"}, "budgets[0].currency",
     "allowed: USD"),
    ({"customer": "contoso", "amount": "10", "tag_key": "team"}, "budgets[0]", "go together"),
    ({"customer": "contoso", "amount": "10", "sub_account": "1", "tag_key": "t", "tag_value": "v"},
     "budgets[0]", "not both"),
    ({"customer": "contoso", "amount": "10", "colour": "red"}, "budgets[0].colour", ""),
])
def test_invalid_budgets_are_sentences_naming_the_field(budget, path, words):
    with pytest.raises(ConfigError) as exc:
        parse_config(yaml.safe_dump(config([budget])))
    found = [i for i in exc.value.issues if i.path == path]
    assert found and words in found[0].message, exc.value.issues


def test_two_budgets_for_the_same_thing_are_refused():
    with pytest.raises(ConfigError, match="a second budget for contoso"):
        parse_config(yaml.safe_dump(config([BUDGETS[0], {"customer": "contoso", "amount": "9"}])))


# --- who sets them -----------------------------------------------------------------------------

@pytest.fixture
def con(tmp_path):
    c = make_store(tmp_path, config(BUDGETS), ROWS)
    assert run_billing(c, P).ok
    return c


@pytest.mark.parametrize("user, allowed", [
    ("mo", True),          # the seller's administrator
    ("amy", True),         # contoso's account manager
    ("al", False),         # another customer's account manager
    ("lars", False),       # the seller's leader: reads, does not set
    ("camille", False),    # a customer user (customer organisations have role customer only)
    ("ana", False),        # the distributor: never sees a reseller's customer
])
def test_who_may_set_a_customers_budgets(con, user, allowed):
    assert may_set_budgets(con, who(con, user), "contoso") is allowed


def test_saving_budgets_goes_through_the_configuration_and_is_audited(con):
    version = save_budgets(con, who(con, "amy"), "contoso", "- {amount: '7000.00'}\n")
    assert con.execute("SELECT max(version) FROM cfg_documents").fetchone()[0] == version
    assert con.execute("SELECT customer, amount FROM cfg_budgets").fetchall() == [("contoso", D("7000.00"))]
    entry = con.execute("SELECT username, org, action, target, before, after FROM audit_log "
                        "WHERE target = 'budgets contoso'").fetchall()
    assert len(entry) == 1
    username, org, action, _, before, after = entry[0]
    assert (username, org, action) == ("amy", "msp-one", "config_change")
    assert len(yaml.safe_load(before)) == 3 and yaml.safe_load(after) == [
        {"customer": "contoso", "amount": "7000.00"}]


def test_invalid_budget_text_names_its_line_and_keeps_everything(con):
    before = con.execute("SELECT count(*) FROM cfg_documents").fetchone()[0]
    with pytest.raises(ConfigError) as exc:
        save_budgets(con, who(con, "mo"), "contoso", "- {amount: '10'}\n- {amount: 'ten'}\n")
    [issue] = exc.value.issues
    assert issue.path == "[1].amount" and issue.line == 2 and "not a number" in issue.message
    with pytest.raises(ConfigError, match="these are the budgets of contoso"):
        save_budgets(con, who(con, "mo"), "contoso", "- {customer: fabrikam, amount: '10'}\n")
    with pytest.raises(scope.ScopeError):
        save_budgets(con, who(con, "camille"), "contoso", "- {amount: '1'}\n")
    with pytest.raises(scope.ScopeError):
        save_budgets(con, who(con, "al"), "contoso", "- {amount: '1'}\n")
    assert con.execute("SELECT count(*) FROM cfg_documents").fetchone()[0] == before
    assert con.execute("SELECT count(*) FROM cfg_budgets").fetchone()[0] == 3


# --- status and alerts ---------------------------------------------------------------------------

def test_budget_status_hand_computed(con, forecast):
    status = {b["key"]: b for b in budget_status(con, who(con, "camille"), "contoso", P)}
    whole = status["customer"]
    # contoso's invoice: 3,000.00 + 1,000.00 at list = 4,000.00 of 5,000.00 → 80.0 %
    assert (whole["actual"], whole["amount"], whole["pct"]) == (D("4000.00"), D("5000.00"), D("80.0"))
    assert whole["crossed"] == ["50", "80"]
    assert whole["forecast"] == D("6000.00") and whole["forecast_over"]
    assert whole["forecast_method"] == "test run-rate"
    # sub-account A: 3,000.00 of 3,500.00 → 85.7 %; forecast 6,000 × 3,000 / 4,000 = 4,500.00
    sub = status["sub_account:200000000001"]
    assert (sub["actual"], sub["pct"], sub["crossed"]) == (D("3000.00"), D("85.7"), ["50", "80"])
    assert sub["forecast"] == D("4500.00") and sub["forecast_over"]
    assert "share of the month so far" in sub["forecast_method"]
    # tag team = data: the one row tagged, 3,000.00 of 2,000.00 → 150.0 %
    tag = status["tag:team=data"]
    assert (tag["actual"], tag["pct"], tag["crossed"]) == (D("3000.00"), D("150.0"), ["50", "80", "100"])
    assert tag["alerts"] == ["50", "80", "100", "forecast"]


def test_status_when_the_forecast_has_nothing_to_say(con, monkeypatch):
    def nothing(*a):
        raise ValueError("no complete day yet")

    monkeypatch.setattr(queries.reports, "portal", types.SimpleNamespace(forecast=nothing), raising=False)
    monkeypatch.setitem(sys.modules, "queries.reports.portal", types.SimpleNamespace(forecast=nothing))
    whole = budget_status(con, who(con, "mo"), "contoso", P)[0]
    assert whole["forecast"] is None and whole["forecast_method"] is None
    assert not whole["forecast_over"] and whole["alerts"] == ["50", "80"]


def test_the_forecast_is_compared_before_tax(tmp_path, forecast):
    cfg = config(BUDGETS[:1])
    cfg["organizations"][1]["tax_rate_pct"] = "20"
    con = make_store(tmp_path, cfg, ROWS)
    assert run_billing(con, P).ok
    [whole] = budget_status(con, who(con, "mo"), "contoso", P)
    # invoice: subtotal 4,000.00, tax 800.00, total 4,800.00; the forecast of the total 6,000.00 is
    # 6,000 × 4,000 / 4,800 = 5,000.00 before tax: at the budget, not above it
    assert whole["actual"] == D("4000.00") and whole["forecast"] == D("5000.00")
    assert whole["forecast_low"] == D("4583.33") and whole["forecast_high"] == D("5416.67")
    assert not whole["forecast_over"] and whole["forecast_method"].endswith("(before tax, as the budget)")


def test_each_alert_once_across_evaluations_and_one_email_each_time(tmp_path, smtp, forecast):
    con = make_store(tmp_path, config(BUDGETS), ROWS)
    assert run_billing(con, P).ok                                      # evaluation 1
    first = alerts_in_store(con)
    assert [(k, t) for k, t, *_ in first] == [
        ("customer", "50"), ("customer", "80"), ("customer", "forecast"),
        ("sub_account:200000000001", "50"), ("sub_account:200000000001", "80"),
        ("sub_account:200000000001", "forecast"),
        ("tag:team=data", "100"), ("tag:team=data", "50"), ("tag:team=data", "80"),
        ("tag:team=data", "forecast")]
    assert all(to == "accounts@contoso.example" and sent for *_, to, sent in first)
    [mail] = messages(smtp)
    assert mail["To"] == "accounts@contoso.example"
    assert mail["Subject"] == "Budget alert for Contoso Ltd, May 2026"
    body = mail.get_content()
    assert "Whole month: crossed 80 % of the budget — USD 4,000.00 of USD 5,000.00" in body
    assert "Tag team = data: crossed 100 % of the budget — USD 3,000.00 of USD 2,000.00" in body
    assert "forecast USD 6,000.00" in body and "MSP One" in body

    assert run_billing(con, P).ok                                      # evaluation 2: nothing new
    assert alerts_in_store(con) == first and len(smtp.envelopes) == 1

    ingest_file(con, write_focus(tmp_path / "late.csv", LATE), loaded_by="test")
    assert run_billing(con, P).ok                                      # evaluation 3: 5,200.00
    after = alerts_in_store(con)
    assert [(k, t, a) for k, t, a, *_ in after if (k, t, a) not in {(k, t, a) for k, t, a, *_ in first}] == [
        ("customer", "100", D("5200.00"))]                             # 5,200 ≥ 5,000: only this is new
    assert len(after) == 11 and len(smtp.envelopes) == 2
    second = messages(smtp)[1].get_content()
    assert "Whole month: crossed 100 % of the budget — USD 5,200.00 of USD 5,000.00" in second
    assert "80 %" not in second and "Sub-account" not in second        # never the same alert twice
    shown = budget_alerts(con, who(con, "camille"), "contoso", P)
    assert len(shown) == 11 and {a["emailed_to"] for a in shown} == {"accounts@contoso.example"}


def test_alerts_without_a_mail_server_are_raised_and_sent_later(tmp_path, monkeypatch, forecast, smtp):
    monkeypatch.delenv("TIERLINE_SMTP_HOST")
    monkeypatch.setattr("data.documents.mail.SECRETS_PATH", tmp_path / "none.toml")
    con = make_store(tmp_path, config(BUDGETS[:1]), ROWS)
    assert run_billing(con, P).ok
    assert [(k, t, sent) for k, t, _, _, sent in alerts_in_store(con)] == [
        ("customer", "50", False), ("customer", "80", False), ("customer", "forecast", False)]
    assert smtp.envelopes == []
    monkeypatch.setenv("TIERLINE_SMTP_HOST", "127.0.0.1")
    assert run_billing(con, P).ok                     # the server is set now: sent once, all three
    assert all(sent for *_, sent in alerts_in_store(con)) and len(smtp.envelopes) == 1


def test_a_broken_budget_evaluation_never_fails_the_run(tmp_path, monkeypatch):
    con = make_store(tmp_path, config(BUDGETS), ROWS)

    def broken(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr("queries.reports.budgets.budget_status", broken)
    assert run_billing(con, P).ok
    assert con.execute("SELECT count(*) FROM budget_alerts").fetchone()[0] == 0


def test_budget_reads_are_scoped(con):
    for user in ("al", "ana"):
        with pytest.raises(scope.ScopeError):
            budget_status(con, who(con, user), "contoso", P)
        with pytest.raises(scope.ScopeError):
            budget_alerts(con, who(con, user), "contoso", P)
    with pytest.raises(scope.ScopeError, match="has not been billed"):
        budget_status(con, who(con, "camille"), "contoso", "2026-04")


# --- the page (AppTest), on a private copy of the shared small demo store -------------------------

BUDGETS_PAGE = "pages/9_Budgets.py"


@pytest.fixture(scope="module")
def budget_store(tmp_path_factory):
    """The UI store with budgets for contoso (set by msp-admin) and the open month's alerts."""
    import shutil

    from data.budgets import evaluate_alerts
    from data.store import connect
    from tests.browser_support import restore_env, set_env, ui_env, ui_store

    ui = ui_store()
    copy = tmp_path_factory.mktemp("budgets") / "tierline.duckdb"
    shutil.copy(ui.apptest_db, copy)
    con = connect(copy)
    save_budgets(con, scope.scope_for_user(con, "msp-admin"), "contoso",
                 "- {amount: '1.00'}\n- {amount: '999999.00', sub_account: 'no-such-account'}\n")
    evaluate_alerts(con, ui.periods[-1])                # no mail server: raised, not e-mailed
    con.execute("CHECKPOINT")
    con.close()
    old = set_env(ui_env(copy))
    yield copy, ui
    restore_env(old)


@pytest.mark.parametrize("username, editor", [
    ("contoso-user", False), ("msp-admin", True), ("msp-am", True), ("msp-leader", False),
])
def test_budgets_page_for_each_role_that_sees_contoso(budget_store, username, editor):
    from tests.test_pages_apptest import errors, run

    at = run(BUDGETS_PAGE, username, query={"customer": "contoso"})
    assert not at.exception and errors(at) == [], errors(at)
    status = at.dataframe[0].value
    assert list(status["Budget"]) == ["Whole month", "Sub-account no-such-account"]
    assert status["Amount"].iloc[0] == "EUR 1.00" and "crossed 100 %" in status["Alerts"].iloc[0]
    assert status["Month to date"].iloc[1] == "EUR 0.00" and status["Alerts"].iloc[1] == "none"
    alerts = at.dataframe[1].value
    assert set(alerts["Alert"]) >= {"crossed 50 % of the budget", "crossed 100 % of the budget"}
    assert (len(at.text_area) == 1) is editor


@pytest.mark.parametrize("username", ["dist-admin", "dist-leader"])
def test_budgets_page_opens_without_budgets(budget_store, username):
    from tests.test_pages_apptest import errors, run

    at = run(BUDGETS_PAGE, username)       # the first customer they see has no budget
    assert not at.exception and errors(at) == [], errors(at)
    assert any("No budget is set" in i.value for i in at.info)


@pytest.mark.parametrize("username", ["fabrikam-user", "rheinwerk-user"])
def test_a_customer_sees_its_demo_budget(budget_store, username):
    """The demo configuration gives Fabrikam and Rheinwerk a whole-month budget."""
    from tests.test_pages_apptest import errors, run

    at = run(BUDGETS_PAGE, username)
    assert not at.exception and errors(at) == [], errors(at)
    assert not any("No budget is set" in i.value for i in at.info)
    (status,) = [d.value for d in at.dataframe if "Budget" in d.value.columns]
    assert list(status["Budget"]) == ["Whole month"], status


@pytest.mark.parametrize("username", ["fabrikam-user", "dist-admin", "dist-am"])
def test_forged_customer_on_the_budgets_page(budget_store, username):
    from components.pickers import NOT_YOURS_CUSTOMER
    from tests.test_pages_apptest import errors, run, shows_no_data

    at = run(BUDGETS_PAGE, username, query={"customer": "contoso"})
    assert errors(at) == [NOT_YOURS_CUSTOMER]
    shows_no_data(at)


def test_account_manager_saves_budgets_in_the_page_and_it_is_audited(budget_store):
    from data.store import connect
    from tests.test_pages_apptest import errors, run

    path, _ = budget_store
    at = run(BUDGETS_PAGE, "msp-am", query={"customer": "contoso"})
    at.text_area[0].set_value("- {amount: 'lots'}\n")
    at.button(key="budgets_save").click().run()
    [refused] = errors(at)
    assert "budgets:1: [0].amount: 'lots' is not a number" in refused
    at.text_area[0].set_value("- {amount: '1.00'}\n- {amount: '999999.00', sub_account: 'no-such-account'}\n"
                              "- {amount: '250000.00', tag_key: team, tag_value: data}\n")
    at.button(key="budgets_save").click().run()
    assert not at.exception and errors(at) == [], errors(at)
    assert "Saved as configuration version" in at.success[0].value
    assert list(at.dataframe[0].value["Budget"])[-1] == "Tag team = data"
    con = connect(path)
    try:
        assert con.execute("SELECT count(*) FROM audit_log WHERE username = 'msp-am' AND "
                           "target = 'budgets contoso'").fetchone()[0] == 1
    finally:
        con.close()
