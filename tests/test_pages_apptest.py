"""Every page, every role, and every way to ask for someone else's data — with AppTest.

Sign-in is simulated by setting the one session-state key the guard trusts
(components.auth.AUTH_KEY). Only components/auth.py writes it in the app; session state lives on
the server and no widget uses that key, so a browser cannot set it (test_trusted_key_* below).
The sign-in form itself, lockout and sign-out are exercised through the real widgets.
"""
from __future__ import annotations

import ast
import os
import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Dataframe, Selectbox

from components import nav
from components.auth import AUTH_KEY, session_record
from components.pickers import NOT_YOURS_CUSTOMER, NOT_YOURS_INVOICE, NOT_YOURS_PERIOD
from data import auth
from data.store import ROOT, connect
from tests.browser_support import AS_OF, PASSWORD, customer_names_except, restore_env, set_env, ui_env, ui_store

PAGES = ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]
AMOUNT = re.compile(r"\b(USD|EUR|GBP|JPY)\s?-?[\d,]+(\.\d+)?\b")


@pytest.fixture(scope="module")
def store():
    s = ui_store()
    old = set_env(ui_env(s.apptest_db))
    yield s
    restore_env(old)


def run(page: str, username: str | None = None, *, query: dict | None = None,
        state: dict | None = None, record: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if username is not None:
        at.session_state[AUTH_KEY] = record or session_record(username, time.time() + 600,
                                                              method="test")
    for k, v in (state or {}).items():
        at.session_state[k] = v
    for k, v in (query or {}).items():
        at.query_params[k] = v
    if page != "app.py":
        at.switch_page(page)
    return at.run()


def text_of(at: AppTest) -> str:
    """Everything the page sends to the browser as text (tables as CSV, charts as their spec)."""
    out: list[str] = []

    def walk(node) -> None:
        if isinstance(node, Dataframe):
            out.append(node.value.to_csv())
        elif getattr(node, "proto", None) is not None:
            out.append(str(node.proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def shown(markdown: str) -> str:
    """What a reader sees of a Markdown text that components.text.md_escape made safe: the
    characters without their backslash escapes and invisible word joiners."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def errors(at: AppTest) -> list[str]:
    return [shown(e.value) for e in at.error]


def shows_sign_in(at: AppTest) -> bool:
    labels = [t.label for t in at.text_input]
    return "Username" in labels and "Password" in labels


def shows_no_data(at: AppTest) -> None:
    assert not at.exception
    assert len(at.metric) == 0 and len(at.dataframe) == 0
    assert not AMOUNT.search(" ".join(m.value for m in at.markdown))


def db(store):
    return connect(store.apptest_db)


def audit_actions(store, username: str) -> list[tuple[str, str | None]]:
    con = db(store)
    return con.execute("select action, detail from audit_log where username = ? order by logged_at",
                       [username]).fetchall()


# --- structure ---------------------------------------------------------------------------------

def _guard_call(path: Path) -> ast.Call:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the module docstring
    while body and isinstance(body[0], (ast.Import, ast.ImportFrom)):
        body = body[1:]
    assert body, f"{path.name} has nothing after its imports"
    first = body[0]
    assert isinstance(first, ast.Assign) and isinstance(first.value, ast.Call), \
        f"{path.name}: the first statement after the imports must be `user = require(roles=...)`"
    call = first.value
    assert isinstance(call.func, ast.Name) and call.func.id == "require", \
        f"{path.name}: the first statement after the imports must call require(...)"
    assert [t.id for t in first.targets if isinstance(t, ast.Name)] == ["user"]
    assert "roles" in {k.arg for k in call.keywords}, f"{path.name}: require() needs roles=..."
    return call


@pytest.mark.parametrize("page_file", PAGES)
def test_every_page_calls_the_guard_first(page_file):
    _guard_call(ROOT / page_file)


@pytest.mark.parametrize("page_file", PAGES)
def test_navigation_matches_each_pages_guard(page_file):
    call = _guard_call(ROOT / page_file)
    kw = {k.arg: k.value for k in call.keywords}
    roles_node = kw["roles"]
    if isinstance(roles_node, ast.Name):
        roles = getattr(nav, roles_node.id)
    else:
        roles = tuple(ast.literal_eval(roles_node))
    root_only = ast.literal_eval(kw["root_only"]) if "root_only" in kw else False
    spec = nav.page_spec(page_file)
    assert (tuple(roles), root_only) == (spec.roles, spec.root_only)


def test_every_page_is_in_the_navigation():
    assert sorted(PAGES) == sorted(p.path for p in nav.PAGES)


@pytest.mark.parametrize("page_file", PAGES)
def test_pages_hold_no_sql(page_file):
    source = (ROOT / page_file).read_text(encoding="utf-8")
    assert not re.search(r"\b(import duckdb|execute\(|sql\(|select\s+\w+\s+from)\b", source, re.I)
    assert "queries" not in source  # pages reach queries.scope only through components.cached


def test_trusted_key_is_written_only_by_the_sign_in_code():
    writers = []
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "components").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        if (AUTH_KEY in text or "AUTH_KEY" in text) and path.name != "auth.py":
            writers.append(path.name)
        assert not re.search(r"key\s*=\s*AUTH_KEY", text)  # no widget can carry it
    assert writers == []


# --- money on screen ---------------------------------------------------------------------------

@pytest.mark.parametrize("amount,currency,shown", [
    ("9500", "USD", "USD 9,500.00"),
    ("1234567.005", "EUR", "EUR 1,234,567.01"),      # half away from zero, once, for display
    ("-0.004", "USD", "USD 0.00"),                    # never -0.00
    ("-1234.5", "GBP", "GBP -1,234.50"),
    ("1234.5", "JPY", "JPY 1,235"),
    ("1.2345", "KWD", "KWD 1.235"),
])
def test_money_formatting(amount, currency, shown):
    from decimal import Decimal

    from components.money import fmt
    assert fmt(Decimal(amount), currency) == shown
    assert fmt(amount, currency) == shown


def test_money_refuses_floats():
    from components.money import fmt
    with pytest.raises(TypeError):
        fmt(9500.0, "USD")


# --- not signed in -----------------------------------------------------------------------------

@pytest.mark.parametrize("page_file", PAGES)
def test_signed_out_pages_show_only_the_sign_in_form(store, page_file):
    at = run(page_file, query={"customer": "contoso", "period": "2025-05", "invoice": "1"})
    assert shows_sign_in(at)
    shows_no_data(at)
    page_text = text_of(at)
    for name in customer_names_except():
        assert name not in page_text


def test_garbage_in_the_trusted_key_is_not_a_sign_in(store):
    at = run("pages/1_Costs.py", "dist-admin", record={"username": "dist-admin"})
    assert shows_sign_in(at)
    shows_no_data(at)


def test_expired_session_asks_to_sign_in_again(store):
    at = run("pages/1_Costs.py", "dist-admin",
             record=session_record("dist-admin", time.time() - 1, method="test"))
    assert shows_sign_in(at)
    assert any("session has ended" in i.value for i in at.info)
    shows_no_data(at)


def test_session_of_a_revoked_token_ends(store):
    con = db(store)
    digest = auth.token_digest("a-token-signed-out-elsewhere")
    auth.revoke_digest(con, digest, auth.from_epoch(time.time() + 600))
    at = run("pages/1_Costs.py", "dist-admin",
             record=session_record("dist-admin", time.time() + 600, digest, method="cookie"))
    assert shows_sign_in(at)
    assert any("signed out" in i.value for i in at.info)
    shows_no_data(at)


def test_unknown_user_in_session_is_refused(store):
    at = run("app.py", "nobody-at-all")
    assert shows_sign_in(at)
    shows_no_data(at)


# --- roles -------------------------------------------------------------------------------------

USERS = {
    "dist-admin": ("admin",), "dist-leader": ("leader",), "msp-admin": ("admin",),
    "msp-am": ("account_manager",), "contoso-user": ("customer",),
}
ROOT_USERS = {"dist-admin", "dist-leader"}


@pytest.mark.parametrize("username", sorted(USERS))
@pytest.mark.parametrize("page_file", PAGES)
def test_role_matrix(store, page_file, username):
    spec = nav.page_spec(page_file)
    allowed = spec.opens_for(USERS[username], username in ROOT_USERS)
    at = run(page_file, username)
    assert not at.exception
    if allowed:
        assert errors(at) == [], errors(at)
        assert not shows_sign_in(at)
    else:
        assert len(errors(at)) == 1
        assert re.search(r"This page is (for .* only|only for the team)", errors(at)[0])
        assert len(at.dataframe) == 0 and len(at.metric) == 0
    links = [n.proto.label for n in at.sidebar if type(n).__name__ == "PageLink"]
    assert links == [p.label for p in nav.pages_for(USERS[username], username in ROOT_USERS)]


def test_admin_pages_show_their_tables(store):
    period = store.periods[1].strftime("%Y-%m")
    for page in ("pages/3_Margins.py", "pages/4_Reconciliation.py", "pages/5_Deliveries.py",
                 "pages/6_Audit_log.py", "pages/2_Invoices.py"):
        at = run(page, "dist-admin", query={"period": period})
        assert not at.exception and errors(at) == [], (page, errors(at))
        assert len(at.dataframe) >= 1, page


# --- a customer sees only itself ---------------------------------------------------------------

def test_customer_costs_page_shows_its_own_month(store):
    at = run("pages/1_Costs.py", "contoso-user")
    assert errors(at) == []
    assert at.selectbox(key="costs_customer").options == ["Contoso Ltd"]
    total = at.metric[0]
    assert total.label == "Total" and total.value.startswith("EUR ")
    badges = " ".join(m.value for m in at.markdown)
    assert "not final" in badges or "final" in badges
    assert len(at.dataframe) >= 2  # breakdown and rows
    page_text = text_of(at)
    for name in customer_names_except("contoso"):
        assert name not in page_text


@pytest.mark.parametrize("page_file", ["app.py", "pages/1_Costs.py", "pages/2_Invoices.py"])
def test_customer_never_sees_another_customers_name(store, page_file):
    at = run(page_file, "contoso-user")
    assert not at.exception and errors(at) == []
    page_text = text_of(at)
    leaked = [n for n in customer_names_except("contoso") if n in page_text]
    assert leaked == []


def test_customer_forging_a_customer_in_the_query_string(store):
    at = run("pages/1_Costs.py", "contoso-user", query={"customer": "fabrikam"})
    assert errors(at) == [NOT_YOURS_CUSTOMER]
    shows_no_data(at)
    assert "Fabrikam" not in text_of(at)


def test_changing_the_period_keeps_filters_and_invoice_valid(store):
    newest, older = store.periods[-1], store.periods[0]
    at = run("pages/2_Invoices.py", "contoso-user")
    at.selectbox(key="invoices_period").set_value(newest).run()   # "All" → the newest month
    assert errors(at) == []
    at.selectbox(key="invoices_period").set_value(older).run()
    assert errors(at) == [] and len(at.metric) == 3
    at = run("pages/1_Costs.py", "msp-am", query={"customer": "contoso"})
    box = next(s for s in at.selectbox if s.label == "Service")
    box.select_index(1).run()
    assert errors(at) == []
    at.selectbox(key="costs_customer").set_value("fabrikam").run()   # other services
    assert errors(at) == [] and at.metric[0].value.startswith("USD ")


def test_customer_forging_a_customer_in_session_state(store):
    at = run("pages/1_Costs.py", "contoso-user", state={"costs_customer": "fabrikam"})
    assert errors(at) == [NOT_YOURS_CUSTOMER]
    shows_no_data(at)
    assert "Fabrikam" not in text_of(at)


def test_customer_forging_a_customer_in_the_widget_value(store, monkeypatch):
    at = run("pages/1_Costs.py", "contoso-user")
    assert errors(at) == []
    box = at.selectbox(key="costs_customer")
    real = Selectbox._widget_state

    def forged(self):
        ws = real.fget(self)
        if self.id == box.id:
            ws.string_value = "fabrikam"   # what a tampered browser can send for a selectbox
        return ws

    monkeypatch.setattr(Selectbox, "_widget_state", property(forged))
    at.run()
    assert errors(at) == [NOT_YOURS_CUSTOMER]
    shows_no_data(at)
    assert "Fabrikam" not in text_of(at)


@pytest.mark.parametrize("period", ["1999-01", "2025-13", "garbage", "2025-02-30", "2099-05"])
def test_forged_period_in_the_query_string(store, period):
    at = run("pages/1_Costs.py", "contoso-user", query={"period": period})
    assert errors(at) == [NOT_YOURS_PERIOD]
    shows_no_data(at)


def _invoice_of(store, buyer: str) -> int:
    con = db(store)
    return con.execute("select invoice_id from invoices where buyer = ? order by x_Period limit 1",
                       [buyer]).fetchone()[0]


def test_customer_forging_an_invoice_id(store):
    other = _invoice_of(store, "fabrikam")
    for forged in ({"query": {"invoice": str(other)}}, {"state": {"invoices_pick_all": other}}):
        at = run("pages/2_Invoices.py", "contoso-user", **forged)
        assert errors(at) == [NOT_YOURS_INVOICE]
        assert "Fabrikam" not in text_of(at)


def test_customer_opens_its_own_invoice_by_link(store):
    own = _invoice_of(store, "contoso")
    con = db(store)
    period = con.execute("select x_Period from invoices where invoice_id = ?", [own]).fetchone()[0]
    at = run("pages/2_Invoices.py", "contoso-user",
             query={"invoice": str(own), "period": period.strftime("%Y-%m")})
    assert errors(at) == []
    assert at.selectbox(key=f"invoices_pick_{period:%Y%m}").value == own
    at = run("pages/2_Invoices.py", "contoso-user", query={"invoice": str(own)})  # any period
    assert errors(at) == []
    assert at.selectbox(key="invoices_pick_all").value == own
    assert any(m.label == "Total" and m.value.startswith("EUR ") for m in at.metric)


# --- account managers --------------------------------------------------------------------------

def test_account_manager_opening_an_unassigned_customer(store):
    at = run("pages/1_Costs.py", "msp-am", query={"customer": "woodgrove"})
    assert errors(at) == [NOT_YOURS_CUSTOMER]
    shows_no_data(at)
    at = run("pages/1_Costs.py", "dist-am", query={"customer": "contoso"})
    assert errors(at) == [NOT_YOURS_CUSTOMER]
    shows_no_data(at)


def test_account_manager_opening_an_assigned_customer(store):
    at = run("pages/1_Costs.py", "msp-am", query={"customer": "fabrikam"})
    assert errors(at) == []
    assert at.selectbox(key="costs_customer").value == "fabrikam"
    assert sorted(at.selectbox(key="costs_customer").options) == sorted(
        ["Contoso Ltd", "Fabrikam Inc", "Tailspin Toys", "Wingtip Toys"])
    assert at.metric[0].value.startswith("USD ")


def test_cached_results_never_cross_users(store):
    at = run("pages/1_Costs.py", "msp-admin", query={"customer": "contoso"})
    assert errors(at) == [] and at.metric[0].value.startswith("EUR ")
    at = run("pages/1_Costs.py", "fabrikam-user", query={"customer": "contoso"})
    assert errors(at) == [NOT_YOURS_CUSTOMER]
    shows_no_data(at)


# --- the real sign-in form ---------------------------------------------------------------------

def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password)
    return at.button(key="FormSubmitter:signin_form-Sign in").click().run()


def test_sign_in_through_the_form_and_out_again(store):
    at = run("app.py")
    assert shows_sign_in(at)
    sign_in(at, "dist-leader", PASSWORD)
    assert not at.exception and errors(at) == []
    assert at.title[0].value == "Welcome, Leon Brandt"
    assert not shows_sign_in(at)
    record = at.session_state[AUTH_KEY]
    assert record["username"] == "dist-leader" and record["token_sha256"]
    assert 0 < record["expires_at"] - time.time() <= 3600 + 5

    at.sidebar.button(key="nav_sign_out").click().run()
    assert shows_sign_in(at)
    assert any("signed out" in i.value for i in at.info)
    assert auth.is_revoked_digest(db(store), record["token_sha256"])
    actions = [a for a, _ in audit_actions(store, "dist-leader")]
    assert actions[-2:] == ["login_ok", "logout"]


def test_wrong_password_is_a_sentence_and_audited(store):
    at = run("app.py")
    sign_in(at, "msp-leader", "not-the-password")
    assert errors(at) == ["The username or password is not right. Check both and try again."]
    assert shows_sign_in(at) and AUTH_KEY not in at.session_state
    assert audit_actions(store, "msp-leader")[-1][0] == "login_failed"


def test_unknown_username_reads_like_a_wrong_password(store):
    at = run("app.py")
    sign_in(at, "mallory", "whatever")
    assert errors(at) == ["The username or password is not right. Check both and try again."]


def test_lockout_after_five_failures_even_with_the_right_password(store):
    at = run("app.py")
    for _ in range(4):
        sign_in(at, "bc-admin", "guess")
        assert "not right" in errors(at)[0]
    sign_in(at, "bc-admin", "guess")
    assert "locked until" in errors(at)[0]
    sign_in(at, "bc-admin", PASSWORD)        # the right password no longer helps
    assert "locked until" in errors(at)[0]
    assert shows_sign_in(at) and AUTH_KEY not in at.session_state
    fresh = run("app.py")                      # a new session (or a restart) is still locked
    sign_in(fresh, "bc-admin", PASSWORD)
    assert "locked until" in errors(fresh)[0]
    actions = [a for a, _ in audit_actions(store, "bc-admin")]
    assert actions.count("locked") == 1 and actions.count("login_failed") == 7
    assert "login_ok" not in actions


def test_audit_log_page_shows_sign_in_events(store):
    at = run("app.py")
    sign_in(at, "msp-admin", "nope")
    at = run("pages/6_Audit_log.py", "dist-admin")
    log = at.dataframe[0].value
    assert {"login_failed"} <= set(log["action"])
    assert at.get("download_button")


# --- the inbox poller --------------------------------------------------------------------------

def test_inbox_poll_ingests_and_reprices(tmp_path):
    from components.store import poll_once
    from data.config import import_config
    from data.demo import demo_config, demo_periods, generate_demo_files
    from data.store import inbox_dir

    periods = demo_periods(AS_OF)
    doc = demo_config(periods)
    con = connect(tmp_path / "poll.duckdb")
    import_config(con, doc, imported_by="test")
    files, _ = generate_demo_files(tmp_path / "files", as_of=AS_OF, rows=300, doc=doc)
    may = next(f for f in files if f.name == f"aws-focus-{periods[1]:%Y-%m}.csv")
    inbox = inbox_dir(tmp_path / "poll.duckdb")
    inbox.mkdir()
    dropped = inbox / may.name
    dropped.write_bytes(may.read_bytes())
    settled = time.time() - 60
    os.utime(dropped, (settled, settled))        # not a file still being written

    assert poll_once(con, inbox) == [periods[1]]
    assert (inbox / "done" / may.name).exists()
    assert con.execute("select count(*) from invoices where x_Period = ?", [periods[1]]).fetchone()[0] > 0
    assert poll_once(con, inbox) == []           # nothing new, no billing run
    con.close()


# --- plans: an admin edits only the plans its own organisation sells on --------------------------

@pytest.fixture()
def plan_store(store, tmp_path):
    """A private copy of the UI store: these tests change the configuration."""
    import shutil
    copy = tmp_path / "plans.duckdb"
    shutil.copy(store.apptest_db, copy)
    old = set_env({"TIERLINE_DB": str(copy)})
    yield copy
    restore_env(old)


def test_reseller_admin_sees_and_saves_its_own_plan(plan_store):
    at = run("pages/7_Plans.py", "msp-admin")
    assert not at.exception and errors(at) == []
    assert len(at.selectbox(key="plans_pick").options) == 3          # msp-standard, -enterprise, -costplus
    text = at.text_area[0].value
    assert "owner: msp-one" in text and "cloudhaus" not in text
    at.text_area[0].set_value(re.sub(r"(?m)^name: .*$", "name: Edited by test", text, count=1))
    at.button(key="plans_save").click().run()
    assert not at.exception and errors(at) == [], errors(at)
    assert "Saved as configuration version" in at.success[0].value
    con = connect(plan_store)
    assert con.execute("select count(*) from audit_log where username = 'msp-admin' "
                       "and action = 'config_change'").fetchone()[0] == 1


def test_reseller_admin_cannot_edit_another_resellers_plan(plan_store):
    con = connect(plan_store)
    before = con.execute("select definition from cfg_plans where id = 'ch-basis'").fetchone()[0]
    con.close()
    at = run("pages/7_Plans.py", "msp-admin")
    at.text_area[0].set_value("id: ch-basis\nowner: cloudhaus\nrules: [{basis: list, discount_pct: '50'}]\n")
    at.button(key="plans_save").click().run()
    assert errors(at) == ["You can only edit the plans your own organisation sells on."]
    at.text_area[0].set_value("id: ch-basis\nowner: msp-one\nrules: [{basis: list, discount_pct: '50'}]\n")
    at.button(key="plans_save").click().run()
    assert errors(at) == ["You can only edit the plans your own organisation sells on."]
    con = connect(plan_store)
    assert con.execute("select definition from cfg_plans where id = 'ch-basis'").fetchone()[0] == before


def test_forged_plan_in_session_state_shows_only_own_plans(plan_store):
    at = run("pages/7_Plans.py", "msp-admin", state={"plans_pick": "ch-basis"})
    assert not at.exception
    assert "ch-basis" not in at.selectbox(key="plans_pick").options
    assert "cloudhaus" not in at.text_area[0].value


def test_invalid_plan_is_refused_with_its_path(plan_store):
    at = run("pages/7_Plans.py", "msp-admin")
    at.text_area[0].set_value("id: msp-standard\nowner: msp-one\nrules: [{basis: lst, discount_pct: '5'}]\n")
    at.button(key="plans_save").click().run()
    assert len(at.error) == 1 and "basis" in at.error[0].value and "allowed" in at.error[0].value
