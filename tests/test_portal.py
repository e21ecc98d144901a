"""The customer's cost portal (issue #12, docs/portal.md): the scoped reads of
queries/reports/portal.py and the Costs page for every role that may open it.

- The daily spend is summed in SQL (rpt_portal_spend) in exact integer arithmetic; it must equal,
  to the last of the ledger's 10 places (so to the cent of any invoice), what summing
  queries.reports.common.row_share per (pricing group, day) over rpt_customer_rows gives.
- Every filter value, from a widget or from a URL, is checked by the scoped layer: another
  customer's sub-account, service, region, tag key or tag value is a sentence and no data.
- The glance: the total is the invoice (issued or draft), an issued month's forecast is its
  invoice; the forecast's own arithmetic is tests/test_forecast.py's.
"""
from __future__ import annotations

import re
import time
from collections import defaultdict
from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Selectbox

from components import nav
from components.auth import AUTH_KEY, session_record
from components.pickers import NOT_YOURS_CUSTOMER
from components.portal import UNTAGGED_PARAM
from data.store import ROOT, connect
from pricing.money import ZERO, round_line
from queries import scope, sql
from queries.reports import portal
from queries.reports.common import records, row_share
from queries.reports.costs import spend_params
from queries.scope import ScopeError
from tests.browser_support import customer_names_except, restore_env, set_env, ui_env, ui_store

AMOUNT = re.compile(r"\b(USD|EUR|GBP|JPY)\s?-?[\d,]+(\.\d+)?\b")
COSTS = "pages/1_Costs.py"


@pytest.fixture(scope="module")
def store():
    s = ui_store()
    old = set_env(ui_env(s.apptest_db))
    yield s
    restore_env(old)


@pytest.fixture(scope="module")
def con(store):
    return connect(store.apptest_db)


def who(con, username: str) -> scope.Scope:
    return scope.scope_for_user(con, username)


# --- the daily spend in SQL equals the Python row shares ---------------------------------------

def _python_days(con, on, period) -> dict:
    """What the daily breakdown summed before #16: row_share per (group, day), in Python."""
    params = {"period": period, "seller": on.seller, "buyer": on.buyer, "customers": on.customers,
              "cost_groups": on.cost_groups, "sub_account": None, "service": None, "grain": "day",
              "limit": None, "show_list": False, "show_cost": False}
    out: dict = defaultdict(lambda: ZERO)
    for r in records(con.execute(sql("rpt_customer_rows"), params)):
        out[r["x_Day"]] += row_share(r["x_PriceBuyer"], r["x_RowBasis"], r["x_GroupBasis"],
                                     r["x_Rows"], r["x_GroupRows"])
    return dict(out)


def test_daily_spend_in_sql_is_exactly_the_python_row_shares(con, store):
    checked = 0
    for username in ("dist-admin", "msp-admin", "ch-admin", "bc-admin"):
        s = who(con, username)
        for customer in scope.visible_customers(con, s):
            on = scope.edge(con, s, customer["id"])
            for period in store.periods:
                # retained credits (price 0, not the buyer's charge) are left out of the portal
                # (rpt_edge_rows(…, false)): a day that has only them is 0 in one, absent in other
                want = {d: v for d, v in _python_days(con, on, period).items() if v}
                got = {r["x_Day"]: r["price"] for r in records(
                    con.execute(sql("rpt_portal_spend"), spend_params(on, period, by="day")))
                    if r["price"]}
                assert got == want, (username, customer["id"], period)
                for day, amount in got.items():      # hence to the cent of any invoice
                    assert round_line(amount, customer["currency"]) == \
                        round_line(want[day], customer["currency"])
                checked += 1
    assert checked > 100


def test_customer_costs_by_day_reads_the_sql_sums(con, store):
    s = who(con, "contoso-user")
    on = scope.edge(con, s, "contoso")
    frame = scope.customer_costs(con, s, "contoso", store.periods[-1], by="day")
    want = {d: v for d, v in _python_days(con, on, store.periods[-1]).items() if v}
    assert {d: v for d, v in zip(frame["day"], frame["price"]) if v} == want
    assert all(isinstance(v, Decimal) for v in frame["price"])


def test_breakdowns_add_up_to_the_usage_on_the_invoice(con, store):
    """Every breakdown of the month sums to the same unrounded usage: the ledger's (group grain)
    and the rows' shares (tag, resource) agree to far below a cent."""
    s = who(con, "contoso-user")
    period = store.periods[-1]
    totals = {}
    for by in ("provider", "service", "category", "region", "sub_account", "resource", "day"):
        totals[by] = sum(portal.spend(con, s, "contoso", period, by=by)["price"], ZERO)
    totals["tag"] = sum(portal.spend(con, s, "contoso", period, by="tag",
                                     filters=portal.Filters(tag_key="team"))["price"], ZERO)
    for by, total in totals.items():
        assert abs(total - totals["provider"]) < Decimal("0.000001"), by
    summary = scope.customer_summary(con, s, "contoso", period)
    usage = sum((ln["amount"] for ln in summary["lines"] if ln["description"] != "Managed service"), ZERO)
    assert abs(round_line(totals["provider"], "EUR") - usage) <= Decimal("0.01") * len(summary["lines"])


# --- filters: checked by the scoped layer ---------------------------------------------------------

def test_filter_options_are_the_customers_own(con, store):
    s = who(con, "contoso-user")
    opts = portal.filter_options(con, s, "contoso", store.periods[-1])
    own = set(scope.customer_sub_accounts(con, s, "contoso", store.periods[-1]))
    assert set(opts["sub_accounts"]) == own
    assert {"team", "environment"} <= set(opts["tags"])
    fabrikam = portal.filter_options(con, who(con, "fabrikam-user"), "fabrikam", store.periods[-1])
    assert not set(fabrikam["sub_accounts"]) & own


def _foreign(con, store) -> dict:
    """Values that exist in the store, but not in Contoso's month: another customer's."""
    period = store.periods[-1]
    mine = portal.filter_options(con, who(con, "contoso-user"), "contoso", period)
    theirs = portal.filter_options(con, who(con, "fabrikam-user"), "fabrikam", period)
    others = {v for values in theirs["tags"].values() for v in values}
    env = con.execute("SELECT DISTINCT json_extract_string(Tags, 'environment') FROM landing_focus "
                      "WHERE x_Period = ? AND Tags IS NOT NULL", [period]).fetchall()
    others |= {v for (v,) in env if v}
    return {
        "sub_account": next(v for v in theirs["sub_accounts"] if v not in mine["sub_accounts"]),
        "service": next(v for v in theirs["services"] if v not in mine["services"]),
        "region": next(v for v in theirs["regions"] if v not in mine["regions"]),
        "tag_value": next(v for v in sorted(others) if v not in mine["tags"]["environment"]),
    }


def test_foreign_filter_values_are_refused_by_the_scoped_layer(con, store):
    s = who(con, "contoso-user")
    period = store.periods[-1]
    foreign = _foreign(con, store)
    forged = [portal.Filters(sub_account=foreign["sub_account"]),
              portal.Filters(service=foreign["service"]), portal.Filters(region=foreign["region"]),
              portal.Filters(tag_key="no-such-key"),
              portal.Filters(tag_key="environment", tag_value=foreign["tag_value"]),
              portal.Filters(tag_value="prod"),                       # a value without its key
              portal.Filters(service=["AmazonEC2"]),                  # not even text
              portal.Filters(service="x' OR '1'='1")]
    for f in forged:
        with pytest.raises(ScopeError):
            portal.spend(con, s, "contoso", period, by="service", filters=f)
        with pytest.raises(ScopeError):
            portal.daily(con, s, "contoso", period, filters=f)
        with pytest.raises(ScopeError):
            portal.top_resources(con, s, "contoso", period, filters=f)
    with pytest.raises(ScopeError):
        portal.month_glance(con, s, "fabrikam", period)
    with pytest.raises(ScopeError):
        portal.forecast(con, s, "fabrikam", period)
    with pytest.raises(ScopeError):
        portal.brand(con, s, "fabrikam")


def test_spend_by_a_tag_key_checks_the_key_in_the_same_read(con, store):
    """By a tag key alone, the spend read itself refuses a key none of the user's rows carry
    (one read of the rows, not a second one for the filter options): a made-up key, every key
    only other tenants' rows carry, a key that is not text. Every key the filters offer is
    accepted, and its values add up to the month."""
    s = who(con, "contoso-user")
    period = store.periods[-1]
    mine = portal.filter_options(con, s, "contoso", period)
    everywhere = {k for (k,) in con.execute(
        "SELECT DISTINCT unnest(json_keys(Tags)) FROM landing_focus "
        "WHERE x_Period = ? AND json_type(Tags) = 'OBJECT'", [period]).fetchall()}
    foreign = sorted(everywhere - set(mine["tags"]))
    for key in ["no-such-key", *foreign]:
        with pytest.raises(ScopeError, match="not on this customer's rows"):
            portal.spend(con, s, "contoso", period, by="tag", filters=portal.Filters(tag_key=key))
    for key in ["", ["team"], 5]:
        with pytest.raises(ScopeError):
            portal.spend(con, s, "contoso", period, by="tag", filters=portal.Filters(tag_key=key))
    month = sum(portal.spend(con, s, "contoso", period, by="provider")["price"], ZERO)
    for key in mine["tags"]:
        by_tag = portal.spend(con, s, "contoso", period, by="tag", filters=portal.Filters(tag_key=key))
        assert abs(sum(by_tag["price"], ZERO) - month) < Decimal("0.000001"), key
        values = {v for v in by_tag["x_TagValue"] if v is not None}
        assert values == set(mine["tags"][key]), key


def test_filters_compose(con, store):
    s = who(con, "contoso-user")
    period = store.periods[-1]
    opts = portal.filter_options(con, s, "contoso", period)
    every = portal.spend(con, s, "contoso", period, by="service")
    service = every["ServiceName"].iloc[0]
    one = portal.spend(con, s, "contoso", period, by="service", filters=portal.Filters(service=service))
    assert one["ServiceName"].tolist() == [service]
    assert one["price"].iloc[0] == every["price"].iloc[0]
    by_tag = portal.spend(con, s, "contoso", period, by="tag", filters=portal.Filters(tag_key="team"))
    value = next(v for v in by_tag["x_TagValue"] if v is not None)
    narrowed = portal.spend(con, s, "contoso", period, by="service",
                            filters=portal.Filters(tag_key="team", tag_value=value))
    assert sum(narrowed["price"], ZERO) == by_tag.loc[by_tag["x_TagValue"] == value, "price"].iloc[0]
    untagged = portal.spend(con, s, "contoso", period, by="provider",
                            filters=portal.Filters(tag_key="team", untagged=True))
    expect = sum(by_tag.loc[by_tag["x_TagValue"].isna(), "price"], ZERO)
    assert sum(untagged["price"], ZERO) == expect
    both = portal.spend(con, s, "contoso", period, by="day",
                        filters=portal.Filters(sub_account=opts["sub_accounts"][0], tag_key="team",
                                               tag_value=value))
    assert sum(both["price"], ZERO) <= sum(narrowed["price"], ZERO)


def test_cost_group_user_sees_only_its_own_tag_values():
    from tests.test_scope import P, build_store
    con = build_store()
    cg, cat = who(con, "cg"), who(con, "cat")
    assert portal.filter_options(con, cg, "c1", P)["tags"]["cost_group"] == ["web"]
    assert portal.filter_options(con, cat, "c1", P)["tags"]["cost_group"] == ["data", "web"]
    with pytest.raises(ScopeError):
        portal.spend(con, cg, "c1", P, by="tag",
                     filters=portal.Filters(tag_key="cost_group", tag_value="data"))
    seen = portal.spend(con, cg, "c1", P, by="resource")
    assert seen["ResourceId"].tolist() == ["i-a"]
    with pytest.raises(ScopeError):          # the invoice covers every cost group
        portal.month_glance(con, cg, "c1", P)
    con.close()


# --- the glance ---------------------------------------------------------------------------------

def test_glance_total_is_the_invoice_and_an_issued_forecast_is_final(con, store):
    s = who(con, "contoso-user")
    first, *_rest, last = store.periods
    for period in store.periods:
        g = portal.month_glance(con, s, "contoso", period)
        (invoice,) = [i for i in scope.invoices(con, s, period) if i["buyer"] == "contoso"]
        assert g["summary"]["total"] == invoice["total"]
        assert g["forecast"]["actual"] == invoice["total"]
        assert g["forecast"]["currency"] == "EUR"
        assert g["forecast"]["low"] <= g["forecast"]["expected"] <= g["forecast"]["high"]
    issued = portal.month_glance(con, s, "contoso", first)
    assert issued["summary"]["final"] and issued["forecast"]["complete"]
    assert issued["forecast"]["expected"] == issued["summary"]["total"]
    assert issued["change"] is None                       # nothing billed before it
    open_ = portal.month_glance(con, s, "contoso", last)
    assert open_["forecast"]["method"].startswith("Run-rate of the last 7 complete days")
    assert open_["forecast"]["expected"] >= open_["summary"]["total"]
    assert open_["change"]["previous_days"][1].day == open_["through"].day
    assert [f["provider"] for f in open_["freshness"]] == ["AWS", "Google Cloud", "Microsoft"]
    assert re.fullmatch(r"AWS through \d+ \w{3}, loaded \d+ \w{3} \d\d:\d\d UTC",
                        open_["freshness"][0]["text"])
    assert portal.forecast(con, s, "contoso", last) == open_["forecast"]


def test_months_agree_with_the_invoices(con, store):
    s = who(con, "fabrikam-user")
    history = portal.months(con, s, "fabrikam", store.periods[-1])
    invoices = {i["period"]: i for i in scope.invoices(con, s) if i["buyer"] == "fabrikam"}
    assert [h["period"] for h in history] == sorted(invoices)
    for h in history:
        assert h["total"] == invoices[h["period"]]["total"] and h["currency"] == "USD"


def test_brand_is_the_sellers_never_the_distributors(con):
    assert portal.brand(con, who(con, "contoso-user"), "contoso")["display_name"] == "MSP One Inc."
    rhein = portal.brand(con, who(con, "rheinwerk-user"), "rheinwerk")
    assert rhein["display_name"] == "CloudHaus GmbH" and rhein["accent"] == "#B03A2E"
    assert rhein["logo"].startswith("data:image/svg+xml;base64,") and not rhein["viewing_as"]
    admin = portal.brand(con, who(con, "msp-admin"), "contoso")
    assert admin["viewing_as"] and admin["customer_name"] == "Contoso Ltd"
    own = portal.brand(con, who(con, "msp-admin"), "msp-one")    # what MSP One buys: its seller's
    assert own["display_name"] == "Northwind Distribution Inc." and not own["viewing_as"]


# --- the page, every role ------------------------------------------------------------------------

def run(username: str | None, *, query: dict | None = None, state: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    if username is not None:
        at.session_state[AUTH_KEY] = session_record(username, time.time() + 600, method="test")
    for k, v in (state or {}).items():
        at.session_state[k] = v
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(COSTS)
    return at.run()


def shown(markdown: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def errors(at: AppTest) -> list[str]:
    return [shown(e.value) for e in at.error]


def page_text(at: AppTest) -> str:
    out: list[str] = []

    def walk(node) -> None:
        if getattr(node, "proto", None) is not None:
            out.append(str(node.proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return shown("\n".join(out))


def shows_no_data(at: AppTest) -> None:
    assert not at.exception
    assert len(at.metric) == 0 and len(at.dataframe) == 0
    assert not AMOUNT.search(" ".join(m.value for m in at.markdown))
    assert "stDownloadButton" not in page_text(at) and "download_button" not in page_text(at)


ROLES = {   # every demo user; all may open Costs (nav: ALL_ROLES)
    "dist-admin": "viewing", "dist-leader": "viewing", "dist-am": "partial",
    "msp-admin": "viewing", "msp-leader": "viewing", "msp-am": "viewing",
    "ch-admin": "viewing", "bc-admin": "viewing",
    "contoso-user": "own", "fabrikam-user": "own", "rheinwerk-user": "own",
}


def test_every_role_may_open_costs():
    assert nav.page_spec(COSTS).roles == nav.ALL_ROLES


@pytest.mark.parametrize("username", sorted(ROLES))
def test_costs_for_every_role(store, username):
    at = run(username)
    assert not at.exception and errors(at) == [], errors(at)
    text = page_text(at)
    assert at.title[0].value == "Costs"
    assert ("Viewing as" in text) == (ROLES[username] != "own")   # admins, leaders, managers
    if ROLES[username] == "partial":        # an account manager of some of a reseller's customers
        assert any("assigned only some" in i.value for i in at.info)
    else:
        assert at.metric[0].label == "Total" and AMOUNT.match(at.metric[0].value)
        assert "**Data:**" in "\n".join(c.value for c in at.caption)
    assert len(at.dataframe) >= 2


def test_customer_sees_its_sellers_brand_and_only_itself(store):
    at = run("contoso-user")
    text = page_text(at)
    assert "MSP One Inc." in text and "Northwind Distribution" not in text
    assert "Viewing as" not in text
    assert [n for n in customer_names_except("contoso") if n in text] == []
    at = run("rheinwerk-user")
    text = page_text(at)
    assert "CloudHaus GmbH" in text and "#B03A2E" in text and "Northwind" not in text


def test_admin_opening_a_customer_sees_the_viewing_as_band(store):
    at = run("msp-admin", query={"customer": "contoso"})
    assert errors(at) == []
    assert "Viewing as Contoso Ltd" in page_text(at)


def test_open_and_closed_month_states(store):
    first, last = store.periods[0], store.periods[-1]
    at = run("contoso-user", query={"period": f"{last:%Y-%m}"})
    badges = " ".join(m.value for m in at.markdown)
    assert "Month to date — not final" in badges
    assert [m.label for m in at.metric][:2] == ["Total", "Forecast to month end"]
    assert any("Forecast method:" in c.value for c in at.caption)
    assert "Invoice PDF" not in page_text(at)
    at = run("contoso-user", query={"period": f"{first:%Y-%m}"})
    badges = shown(" ".join(m.value for m in at.markdown))
    number = re.search(r"invoice (MSP1-\d+)", badges).group(1)
    con = connect(store.apptest_db)
    total = con.execute("SELECT total FROM invoices WHERE number = ?", [number]).fetchone()[0]
    assert at.metric[0].value == f"EUR {total:,.2f}"
    text = page_text(at)
    assert "Invoice PDF" in text and "FOCUS export (Parquet)" in text


def test_a_view_is_shared_by_its_url(store):
    at = run("contoso-user")
    at.selectbox(key=_key(store, "service")).select_index(1).run()
    at.selectbox(key=_key(store, "tag")).set_value("team").run()
    at.selectbox(key=_key(store, "tag_value", tag="team")).set_value("\x00untagged").run()
    assert errors(at) == []
    query = {k: at.query_params[k] for k in ("service", "tag", "tag_value")}
    assert query["tag_value"] == [UNTAGGED_PARAM] or query["tag_value"] == UNTAGGED_PARAM
    link = {k: v[0] if isinstance(v, list) else v for k, v in query.items()}
    again = run("contoso-user", query=link)
    assert errors(again) == []
    assert again.selectbox(key=_key(store, "tag_value", tag="team")).value == "\x00untagged"
    assert again.selectbox(key=_key(store, "service")).value == link["service"]


def _key(store, name: str, tag: str | None = None) -> str:
    ctx = f"costs_f_contoso_{store.periods[-1]:%Y%m}"
    return f"{ctx}_tag_value_{tag}" if name == "tag_value" else f"{ctx}_{name}" \
        if name != "sub_account" else f"{ctx}_sub"


@pytest.mark.parametrize("param", ["sub_account", "service", "region", "tag_value", "tag", "customer"])
def test_forged_filter_in_the_url_is_a_sentence_and_no_data(con, store, param):
    foreign = _foreign(con, store)
    query = {"sub_account": {"sub_account": foreign["sub_account"]},
             "service": {"service": foreign["service"]},
             "region": {"region": foreign["region"]},
             "tag": {"tag": "no-such-key"},
             "tag_value": {"tag": "environment", "tag_value": foreign["tag_value"]},
             "customer": {"customer": "fabrikam"}}[param]
    at = run("contoso-user", query=query)
    assert len(errors(at)) == 1
    sentence = errors(at)[0]
    assert sentence in (portal.NOT_SUB_ACCOUNT, portal.NOT_SERVICE, portal.NOT_REGION,
                        portal.NOT_TAG_KEY, portal.NOT_TAG_VALUE, NOT_YOURS_CUSTOMER)
    assert all(v not in sentence for v in query.values())
    shows_no_data(at)
    assert "Fabrikam" not in page_text(at)


def test_tag_value_without_a_tag_in_the_url_is_refused(store):
    at = run("contoso-user", query={"tag_value": "prod"})
    assert errors(at) == [portal.NOT_TAG_VALUE]
    shows_no_data(at)


def test_forged_filter_in_session_state_is_refused(con, store):
    foreign = _foreign(con, store)
    at = run("contoso-user", state={_key(store, "sub_account"): foreign["sub_account"]})
    assert errors(at) == [portal.NOT_SUB_ACCOUNT]
    shows_no_data(at)


def test_forged_filter_in_the_widget_value_is_refused(con, store, monkeypatch):
    foreign = _foreign(con, store)
    at = run("contoso-user")
    assert errors(at) == []
    box = at.selectbox(key=_key(store, "region"))
    real = Selectbox._widget_state

    def forged(self):
        ws = real.fget(self)
        if self.id == box.id:
            ws.string_value = foreign["region"]   # what a tampered browser can send
        return ws

    monkeypatch.setattr(Selectbox, "_widget_state", property(forged))
    at.run()
    assert errors(at) == [portal.NOT_REGION]
    shows_no_data(at)


def test_empty_selection_says_what_to_do(store):
    at = run("contoso-user", query={"tag": "team", "tag_value": UNTAGGED_PARAM})
    assert errors(at) == []
    infos = " ".join(i.value for i in at.info)
    if "No usage is loaded" in infos:           # Contoso tags every row with a team this month
        assert "Clear a filter" in infos
    at = run("contoso-user")
    at.segmented_control(key="costs_by").set_value("tag").run()
    assert any("Pick a tag key" in i.value for i in at.info)
