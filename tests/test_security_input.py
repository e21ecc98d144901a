"""Security issue #9, item 4: one organisation's plan must not stop every other organisation's
billing. Every amount, percentage, tier start and rate of the configuration is bounded by what
the store holds and a business could mean (refused with a sentence naming the field), and a run
in which one buyer's invoice cannot be drafted fails with a problem naming that buyer, its
seller and what broke it, never with a traceback; the period's ledger and drafts stay as they
were (a run is one transaction).
"""
from __future__ import annotations

import copy
import dataclasses
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

import data.billing as billing
from data.billing import run_billing
from data.config import ConfigError, parse_config
from pricing.plans import Fee
from tests.billing_support import focus_row, invoices_by_buyer, make_store
from tests.test_billing import WORKLOAD, P, two_tier

HUGE = "9999999999999999999999999999"          # 10^28 − 1: the fee


def refusal(cfg: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(yaml.safe_dump(cfg, sort_keys=False), source="plan.yaml")
    return str(caught.value)


# --- the configuration refuses what no column can hold ------------------------------------------

@pytest.mark.parametrize("field, cfg, path, allowed", [
    ("fixed fee", two_tier(customer_plan_extra={"fees": [{"name": "Big", "amount": HUGE}]}),
     "plans[1].fees[0].amount", "below 1,000,000,000,000"),
    ("fee just at the bound", two_tier(customer_plan_extra={"fees": [{"name": "Big", "amount": "1000000000000"}]}),
     "plans[1].fees[0].amount", "below 1,000,000,000,000"),
    ("percentage fee", two_tier(customer_plan_extra={"fees": [{"name": "Big", "pct_of_usage": HUGE}]}),
     "plans[1].fees[0].pct_of_usage", "from 0 to 100"),
    ("discount", two_tier(customer_rules=[{"basis": "list", "discount_pct": HUGE}]),
     "plans[1].rules[0].discount_pct", "from 0 to 100"),
    ("markup", two_tier(customer_rules=[{"basis": "list", "markup_pct": HUGE}]),
     "plans[1].rules[0].markup_pct", "from 0 to 1000"),
    ("markup above 1000 %", two_tier(customer_rules=[{"basis": "list", "markup_pct": "1000.0001"}]),
     "plans[1].rules[0].markup_pct", "from 0 to 1000"),
    ("tier start", two_tier(customer_plan_extra={"tiers": {"mode": "graduated", "bands": [
        {"from": "0", "discount_pct": "1"}, {"from": HUGE, "discount_pct": "2"}]}}),
     "plans[1].tiers.bands[1].from", "below 1,000,000,000,000,000"),
    ("tax rate", two_tier(tax=HUGE), "organizations[1].tax_rate_pct", "from 0 to 100"),
    ("FX rate", two_tier(customer_ccy="EUR", fx=[{"period": "2026-05", "from": "USD", "to": "EUR",
                                                  "rate": HUGE}]),
     "fx_rates[0].rate", "below 10,000,000"),
    ("share", two_tier(customer_plan_extra={"commitments": "share", "commitment_share_pct": HUGE}),
     "plans[1].commitment_share_pct", "from 0 to 100"),
])
def test_config_refuses_amounts_beyond_the_store_with_a_sentence(field, cfg, path, allowed):
    text = refusal(cfg)
    line = next((l for l in text.splitlines() if f": {path}: " in l), None)
    assert line is not None, (field, text)
    assert allowed in line and "allowed:" in line, line
    assert "Traceback" not in text


def test_config_keeps_what_a_business_means():
    """The bounds leave every real value alone: a large fee, 1000 % markup, a far band, JPY/IRR rates."""
    cfg = two_tier(customer_rules=[{"basis": "list", "markup_pct": "1000"}],
                   customer_plan_extra={
                       "fees": [{"name": "Managed service", "amount": "999999999999.9999999999"}],
                       "tiers": {"mode": "volume", "bands": [{"from": "0", "discount_pct": "0"},
                                                             {"from": "999999999999999", "discount_pct": "5"}]}},
                   customer_ccy="IRR",
                   fx=[{"period": "2026-05", "from": "USD", "to": "IRR", "rate": "1050000.5"}])
    doc = parse_config(yaml.safe_dump(cfg, sort_keys=False), source="ok.yaml")
    plan = doc.plans[1]
    assert plan.fees[0].amount == Decimal("999999999999.9999999999")
    assert plan.rules[0].markup_pct == Decimal("1000")
    assert plan.tiers.bands[1].start == Decimal("999999999999999")


def test_a_reseller_plan_with_the_huge_fee_is_refused_when_saved(tmp_path):
    """The issue's reproduction: the reseller's plan is refused, the other organisations bill."""
    con = make_store(tmp_path, two_tier(), WORKLOAD)
    cfg = two_tier(customer_plan_extra={"fees": [{"name": "Platform", "amount": HUGE}]})
    assert "plans[1].fees[0].amount" in refusal(cfg)
    result = run_billing(con, P)
    assert result.ok and invoices_by_buyer(con, P)["contoso"]["subtotal"] == Decimal("9500.00")


# --- a run that cannot draft one buyer's invoice names that buyer -------------------------------

def _with_fee(monkeypatch, plan_id: str, fee: Fee) -> None:
    """Bypass the configuration's validation: the plans the run reads get `fee` on `plan_id`
    (what a store written before the bounds existed, or a bug, could hold)."""
    real = billing.current_pricing

    def patched(con):
        orgs, plans = real(con)
        plans = dict(plans)
        plans[plan_id] = dataclasses.replace(plans[plan_id], fees=(*plans[plan_id].fees, fee))
        return orgs, plans

    monkeypatch.setattr(billing, "current_pricing", patched)


def _three_customers() -> dict:
    """two_tier plus a second reseller with a customer of its own: the victims."""
    cfg = copy.deepcopy(two_tier())
    cfg["organizations"] += [
        {"id": "cloudhaus", "name": "CloudHaus", "kind": "reseller", "parent": "northwind",
         "currency": "USD", "plan": "dist-plan"},
        {"id": "rheinwerk", "name": "Rheinwerk", "kind": "customer", "parent": "cloudhaus",
         "currency": "USD", "plan": "ch-plan"},
    ]
    cfg["plans"].append({"id": "ch-plan", "owner": "cloudhaus", "rules": [{"basis": "list", "discount_pct": "2"}]})
    cfg["account_mappings"].append({"provider": "AWS", "sub_account_id": "200000000002", "customer": "rheinwerk"})
    return cfg


ROWS = WORKLOAD + [focus_row(sub="200000000002", list_cost="1000.00", billed="850.00")]


def test_a_fee_the_store_cannot_hold_fails_the_run_naming_the_buyer(tmp_path, monkeypatch):
    con = make_store(tmp_path, _three_customers(), ROWS)
    first = run_billing(con, P)
    assert first.ok
    before = invoices_by_buyer(con, P)

    _with_fee(monkeypatch, "msp-plan", Fee(name="Platform", amount=Decimal(HUGE)))
    result = run_billing(con, P)                             # no exception: a failed run
    assert result.status == "failed"
    [problem] = [p for p in result.problems if p["kind"] == "invoice"]
    assert problem["buyer"] == "contoso"
    detail = problem["detail"]
    for part in ("contoso", "msp-one", "msp-plan", "fees[0].amount", HUGE, "2026-05"):
        assert part in detail, (part, detail)
    assert "Traceback" not in detail and detail.count("\n") == 0
    # All or nothing: the period keeps the drafts of the last good run, for every organisation.
    assert invoices_by_buyer(con, P) == before
    status, summary = con.execute("SELECT status, summary FROM billing_runs WHERE run_id = ?",
                                  [result.run_id]).fetchone()
    assert status == "failed" and "msp-plan" in summary


def test_a_percentage_fee_the_store_cannot_hold_is_named(tmp_path, monkeypatch):
    con = make_store(tmp_path, _three_customers(), ROWS)
    _with_fee(monkeypatch, "ch-plan", Fee(name="Support", pct_of_usage=Decimal("1e30")))
    result = run_billing(con, P)
    assert not result.ok
    [problem] = result.problems
    assert problem["buyer"] == "rheinwerk"
    assert "ch-plan" in problem["detail"] and "fees[0].pct_of_usage" in problem["detail"]
    assert "cloudhaus" in problem["detail"]


# --- item 5: text from data and configuration never becomes markup -------------------------------
#
# A demo-like store whose provider data (ServiceName) and configuration (organisation, user and
# plan names) hold HTML and Markdown. Every page that shows them must show the characters:
# Plotly labels as entities (`&lt;a`), Markdown with every punctuation escaped.

EVIL_LINK = '<a href="https://evil.example/login">Verify your invoice</a>'
EVIL_BOLD = "<b>Bold</b>"
EVIL_MD = "[Verify here](https://evil.example/md) **now** :red[alert]"
EVIL_PASSWORD = "evil-tests-pw"
EVIL_USERS = {"evil-admin": "admin", "evil-msp": "msp", "evil-customer": "victim"}


def evil_config() -> dict:
    import bcrypt
    pw = bcrypt.hashpw(EVIL_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    return {
        "root": {"id": "evil-root", "name": f"Root {EVIL_BOLD}", "kind": "distributor", "currency": "USD"},
        "organizations": [
            {"id": "msp", "name": f"{EVIL_BOLD} Reseller {EVIL_MD}", "kind": "reseller",
             "parent": "evil-root", "currency": "USD", "plan": "root-plan"},
            {"id": "victim", "name": f"{EVIL_LINK} Customer", "kind": "customer", "parent": "msp",
             "currency": "USD", "plan": "msp-plan"},
            {"id": "other", "name": f"Other {EVIL_BOLD}", "kind": "customer", "parent": "msp",
             "currency": "USD", "plan": "msp-plan"},
        ],
        "account_mappings": [
            {"provider": "AWS", "sub_account_id": "200000000001", "customer": "victim"},
            {"provider": "AWS", "sub_account_id": "200000000002", "customer": "other"},
        ],
        "plans": [
            {"id": "root-plan", "owner": "evil-root", "name": EVIL_LINK,
             "rules": [{"basis": "list", "discount_pct": "10"}]},
            {"id": "msp-plan", "owner": "msp", "name": EVIL_MD,
             "rules": [{"basis": "list", "discount_pct": "5"}],
             "fees": [{"name": f"Support {EVIL_LINK}", "amount": "10.00"}]},
        ],
        "users": [
            {"username": "evil-admin", "name": f"Admin {EVIL_LINK}", "org": "evil-root",
             "roles": ["admin"], "password_hash": pw},
            {"username": "evil-msp", "name": f"Mia {EVIL_MD}", "org": "msp", "roles": ["admin", "leader"],
             "password_hash": pw},
            {"username": "evil-customer", "name": f"Camille {EVIL_BOLD} {EVIL_MD}", "org": "victim",
             "roles": ["customer"], "password_hash": pw},
        ],
    }


EVIL_ROWS = [
    focus_row(service=EVIL_LINK, list_cost="1000.00", billed="850.00"),
    focus_row(service=f"{EVIL_BOLD} Storage", service_category="Storage", sku="SKU-2",
              list_cost="500.00", billed="425.00"),
    focus_row(sub="200000000002", service=f"{EVIL_BOLD} Compute", list_cost="300.00", billed="255.00"),
    focus_row(sub="200000000099", service=EVIL_LINK, list_cost="7.00", billed="7.00"),  # unassigned
]


def build_evil_store(folder) -> Path:
    """The store file (billed for 2026-05), closed so that another process may open it."""
    from pathlib import Path
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    con = make_store(folder, evil_config(), EVIL_ROWS, name="tierline")
    result = run_billing(con, P)
    assert result.ok, result.problems
    con.execute("CHECKPOINT")
    con.close()
    return folder / "tierline.duckdb"


@pytest.fixture(scope="module")
def evil_store(tmp_path_factory):
    from tests.browser_support import restore_env, set_env, ui_env
    db = build_evil_store(tmp_path_factory.mktemp("evil") / "apptest")
    old = set_env(ui_env(db))
    yield db
    restore_env(old)


def _run_page(page: str, username: str, query: dict | None = None):
    from tests.test_pages_apptest import run
    return run(page, username, query={"period": "2026-05", **(query or {})})


def _plotly_specs(at) -> list[str]:
    """Each chart's figure JSON, decoded (Plotly's encoder writes `<` as \\u003c)."""
    import json
    return [json.dumps(json.loads(el.proto.spec), ensure_ascii=False) for el in at.get("plotly_chart")]


def _markdown_texts(at) -> list[str]:
    """Every Markdown body the page sends (markdown, captions, titles, headers, alerts)."""
    out = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "error", "warning",
                 "success"):
        out += [el.value for el in at.get(kind)]
    return out


# Markup that would act: a `<`, a link's `](`, bold `**now`, a directive `:red[` or an autolink
# `https://` — each not preceded by the backslash that makes Markdown show the character.
_LIVE = re.compile(r"(?<!\\)<|(?<!\\)\]\(|(?<!\\)\*\*now|(?<!\\):red|https(?<!\\):(?<!\\)/")


def _assert_no_live_markup(texts: list[str]) -> None:
    for t in texts:
        assert not _LIVE.search(t), t


def test_costs_chart_escapes_service_names(evil_store):
    at = _run_page("pages/1_Costs.py", "evil-customer")
    assert not at.exception and [e.value for e in at.error] == []
    specs = _plotly_specs(at)
    assert specs, "the Costs page draws its breakdown chart"
    joined = "\n".join(specs)
    assert "&lt;a href=" in joined and "&lt;b&gt;Bold&lt;/b&gt;" in joined
    assert "<a " not in joined and "<b>" not in joined
    _assert_no_live_markup(_markdown_texts(at))
    # The customer's own name reaches the page, escaped: its characters, no link.
    assert any("Verify your invoice" in t for t in _markdown_texts(at))


@pytest.mark.parametrize("by", ["provider", "sub_account", "region", "category"])
def test_costs_chart_escapes_every_breakdown(evil_store, by):
    at = _run_page("pages/1_Costs.py", "evil-customer", {"by": by})
    assert not at.exception
    for spec in _plotly_specs(at):
        assert "<a " not in spec and "<b>" not in spec


def test_margins_chart_escapes_organisation_names(evil_store):
    at = _run_page("pages/3_Margins.py", "evil-msp")
    assert not at.exception and [e.value for e in at.error] == []
    joined = "\n".join(_plotly_specs(at))
    assert "&lt;a href=" in joined                      # the customer named with a link
    assert "<a " not in joined and "<b>" not in joined
    _assert_no_live_markup(_markdown_texts(at))


@pytest.mark.parametrize("page, username", [
    ("app.py", "evil-admin"), ("app.py", "evil-msp"), ("app.py", "evil-customer"),
    ("pages/1_Costs.py", "evil-admin"), ("pages/2_Invoices.py", "evil-customer"),
    ("pages/2_Invoices.py", "evil-admin"), ("pages/3_Margins.py", "evil-admin"),
    ("pages/4_Reconciliation.py", "evil-admin"), ("pages/5_Deliveries.py", "evil-admin"),
])
def test_pages_show_names_as_text(evil_store, page, username):
    at = _run_page(page, username)
    assert not at.exception
    _assert_no_live_markup(_markdown_texts(at))
    for spec in _plotly_specs(at):
        assert "<a " not in spec and "<b>" not in spec


def test_md_escape_and_html_escape():
    from components.text import html_escape, md_code, md_escape
    assert md_escape("Contoso Ltd") == "Contoso Ltd"
    wj = "\u2060"                    # WORD JOINER: invisible, stops GFM's autolinks
    assert md_escape("[x](https://e.example)") == r"\[x\]\(https\:" + wj + r"\/\/e\.example\)"
    assert md_escape("www.e.example a@b.example") == "www" + wj + r"\.e\.example a\@" + wj + r"b\.example"
    assert md_escape("a\nb") == "a b"
    assert md_escape(":red[x] $y$ <b>") == r"\:red\[x\] \$y\$ \<b\>"
    assert html_escape(EVIL_LINK) == '&lt;a href="https://evil.example/login"&gt;Verify your invoice&lt;/a&gt;'
    assert html_escape("AT&T") == "AT&amp;T"
    assert md_code("a`b") == "``a`b``" and md_code("/srv/inbox") == "`/srv/inbox`"


# --- a delivered file cannot push a run past what the ledger holds ------------------------------

def test_ingest_refuses_a_cost_no_single_charge_could_have(store, focus_csv):
    from data.ingest import IngestError, ingest_paths
    from tests.conftest import focus_row as csv_row
    path = focus_csv([csv_row(), csv_row(BilledCost="1000000000000000000", ResourceId="i-2")])
    with pytest.raises(IngestError) as caught:
        ingest_paths(store, [path])
    message = str(caught.value)
    assert "column BilledCost" in message and "row 2" in message and "100,000,000,000,000" in message
    assert store.execute("SELECT count(*) FROM landing_focus").fetchone() == (0,)


def test_a_stored_document_outside_todays_bounds_is_a_sentence_not_a_traceback(tmp_path):
    from data.config import current_config, current_config_data, current_pricing, export_config
    con = make_store(tmp_path, two_tier(), WORKLOAD)
    text, version = con.execute("SELECT document::VARCHAR, version FROM cfg_documents "
                                "ORDER BY version DESC LIMIT 1").fetchone()
    doc = yaml.safe_load(text)
    doc["plans"][1]["fees"] = [{"name": "Big", "amount": HUGE}]
    con.execute("UPDATE cfg_documents SET document = ? WHERE version = ?", [json.dumps(doc), version])
    for read in (current_config, current_config_data, current_pricing, export_config):
        with pytest.raises(ConfigError) as caught:
            read(con)
        assert f"configuration version {version}" in str(caught.value) and "import it again" in str(caught.value)
