"""Tierline's billing run against the homegrown ways, on one generated month, in one run.

    .venv/bin/python bench/baselines.py --shape resource --rows 10000000 --repeat 3
    .venv/bin/python bench/baselines.py --parquet bench/out/x.parquet --config bench/out/x.yaml

Every engine computes the month's invoice subtotals (one per seller → buyer invoice, in the
invoice currency, each line rounded once to the cent, docs/pricing.md §7) from the same FOCUS
Parquet file and channel configuration (bench/generate.py):

- tierline: `data.ingest.ingest_file` into a fresh store (timed once), then
  `data.billing.run_billing` (timed --repeat times): every edge priced, tiers, fees, FX, drafts
  and the ledger persisted;
- duckdb:   one SQL query over the Parquet file (queries/landing/landing_bench_baseline.sql);
- polars:   a lazy, vectorised polars pipeline with exact fixed-point money (Int128 units of
            1e-10, rounded half away from zero exactly where docs/pricing.md rounds);
- pandas:   a vectorised pandas pipeline (Arrow-backed decimals, pyarrow.compute arithmetic).

The homegrown ways start from the file and do only what the totals need: no store, no ledger,
no drafts. They price the way docs/pricing.md says (pricing groups, most specific rule, basis ×
factor, tiers on the buyer's subtotal, FX into the buyer's currency), for channels as
bench/generate.py builds them: one root, resellers, customers (2 tiers), undated sub-account
mappings, no commitment discounts or provider corrections in the rows, currencies with 2 minor
digits, tier percentages with at most 2 decimals. `load_channel` refuses anything else.

Each engine runs in a child process of its own (so its peak memory is its own, and no engine
warms another's caches); their subtotals must agree to the cent with Tierline's drafts, or the
bench fails. Results: a table (median of --repeat runs) and JSON in bench/out/.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ENGINES = ("tierline", "duckdb", "polars", "pandas")
PERIOD = date(2026, 5, 1)
KEYS = ["ProviderName", "BillingAccountId", "SubAccountId", "InvoiceId", "ServiceCategory", "ServiceName",
        "SkuId", "RegionId", "ChargeCategory", "BillingCurrency"]          # docs/pricing.md §2, as in the file
MONEY = ["ListCost", "ContractedCost", "BilledCost", "EffectiveCost"]
RULE_FIELDS = ["ProviderName", "ServiceCategory", "ServiceName", "SkuId", "RegionId", "ChargeCategory"]
RULE_KEY = ["plan_id", *RULE_FIELDS]
RANK = {"SkuId": 4, "ServiceName": 3, "ServiceCategory": 2, "ProviderName": 1}
SCALE = 10 ** 10                    # fixed-point money: integer units of 1e-10 (the ledger's places)
TIER_SCALE = 10 ** 12               # the tier factor's places
UNSUPPORTED_COLUMNS = ("ChargeClass", "CommitmentDiscountId", "CommitmentDiscountStatus")


# ---------------------------------------------------------------------------------------------
# the channel, read from the configuration document (what every homegrown way starts from)

@dataclass
class Plan:
    rules: list[dict]                         # rule_no, match fields, basis, factor, specificity
    credits: str = "retain"
    tier_mode: str | None = None
    bands: list[tuple[Decimal, Decimal]] = field(default_factory=list)    # (start, pct)
    fees: list[tuple[str, Decimal | None, Decimal | None]] = field(default_factory=list)  # name, amount, pct


@dataclass
class Channel:
    root: str
    orgs: dict[str, dict]
    maps: list[tuple[str, str, str]]          # provider, sub-account, customer
    plans: dict[str, Plan]
    fx: dict[tuple[str, str], Decimal]
    edges: list[dict]                         # customer, depth, seller, buyer, plan_id, buyer_ccy, credits


def _dec(text, where: str) -> Decimal:
    try:
        return Decimal(str(text))
    except Exception:
        raise ValueError(f"{where}: {text!r} is not a decimal number") from None


def _ledger(x: Decimal) -> Decimal:
    with localcontext(prec=80):
        return x.quantize(Decimal(1).scaleb(-10), rounding=ROUND_HALF_UP)


def load_channel(path: Path, period: date = PERIOD) -> Channel:
    """The 2-tier channel of a configuration document, in the form the baselines use. Raises
    ValueError, naming the field, for what they do not compute (see the module docstring)."""
    import yaml

    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)              # libyaml when there: 10× faster
    doc = yaml.load(Path(path).read_text(), Loader=loader)              # every scalar stays text
    root = doc["root"]["id"]
    orgs = {root: {"kind": "root", "parent": None, "currency": doc["root"]["currency"], "plan": None}}
    for o in doc.get("organizations", []):
        orgs[o["id"]] = {"kind": o["kind"], "parent": o["parent"], "currency": o["currency"], "plan": o.get("plan")}
    for oid, o in orgs.items():
        if o["currency"] in ("JPY", "KRW", "BHD", "KWD", "JOD", "OMR", "TND", "IQD", "LYD"):
            raise ValueError(f"organizations[{oid}].currency: the baselines round to cents only, not {o['currency']}")
    maps = []
    for i, m in enumerate(doc.get("account_mappings", [])):
        if "sub_account_id" not in m or m.get("tag") or m.get("from") or m.get("to"):
            raise ValueError(f"account_mappings[{i}]: the baselines compute undated sub-account mappings only")
        maps.append((m["provider"], m["sub_account_id"], m["customer"]))
    plans = {}
    for p in doc.get("plans", []):
        rules = []
        for no, r in enumerate(p.get("rules", [])):
            match = dict(r.get("match") or {})
            bad = set(match) - set(RULE_FIELDS)
            if bad:
                raise ValueError(f"plans[{p['id']}].rules[{no}].match: the baselines cannot match on {sorted(bad)}")
            if "discount_pct" in r:
                factor = _ledger(1 - _dec(r["discount_pct"], f"plans[{p['id']}].rules[{no}]") / 100)
            elif "markup_pct" in r:
                factor = _ledger(1 + _dec(r["markup_pct"], f"plans[{p['id']}].rules[{no}]") / 100)
            else:
                factor = Decimal(1)
            top = max((RANK.get(f, 0) for f in match), default=0)
            rules.append({"rule_no": no, **{f: match.get(f) for f in RULE_FIELDS}, "basis": r.get("basis", "list"),
                          "factor": factor, "specificity": top * 10 + len(match)})
        plan = Plan(rules=rules, credits=p.get("credits", "retain"))
        if p.get("commitments") not in (None, "pass_through"):
            pass    # no commitment rows in the generated months: the policy never applies
        if p.get("tiers"):
            plan.tier_mode = p["tiers"]["mode"]
            where = f"plans[{p['id']}].tiers"
            plan.bands = [(_dec(b["from"], where), _dec(b["discount_pct"], where)) for b in p["tiers"]["bands"]]
            for _, pct in plan.bands:
                if pct != pct.quantize(Decimal("0.01")):
                    raise ValueError(f"plans[{p['id']}].tiers: the baselines take tier percentages with at "
                                     f"most 2 decimals, not {pct}")
        for f in p.get("fees", []):
            amount = _dec(f["amount"], f"plans[{p['id']}].fees") if "amount" in f else None
            pct = _dec(f["pct_of_usage"], f"plans[{p['id']}].fees") if "pct_of_usage" in f else None
            if pct is not None and pct != pct.quantize(Decimal("0.01")):
                raise ValueError(f"plans[{p['id']}].fees: the baselines take fee percentages with at most 2 decimals")
            plan.fees.append((f["name"], amount, pct))
        plans[p["id"]] = plan
    fx = {(r["from"], r["to"]): _dec(r["rate"], "fx_rates") for r in doc.get("fx_rates", [])
          if r["period"] == period.strftime("%Y-%m")}
    edges = []
    for cid, o in orgs.items():
        if o["kind"] != "customer":
            continue
        reseller = orgs.get(o["parent"])
        if reseller is None or reseller["parent"] != root:
            raise ValueError(f"organizations[{cid}]: the baselines price 2-tier channels only "
                             f"(root → reseller → customer)")
        edges.append({"customer": cid, "depth": 1, "seller": root, "buyer": o["parent"],
                      "plan_id": reseller["plan"], "buyer_ccy": reseller["currency"],
                      "credits": plans[reseller["plan"]].credits})
        edges.append({"customer": cid, "depth": 2, "seller": o["parent"], "buyer": cid,
                      "plan_id": o["plan"], "buyer_ccy": o["currency"], "credits": plans[o["plan"]].credits})
    return Channel(root, orgs, maps, plans, fx, edges)


def tier_factor(plan: Plan, s: Decimal) -> Decimal:
    """t = (S − D) / S to 12 places, half away from zero; 1 without tiers, discount or spend."""
    if not plan.bands or s <= 0:
        return Decimal(1)
    d = Fraction(0)
    for i, (start, pct) in enumerate(plan.bands):
        nxt = plan.bands[i + 1][0] if i + 1 < len(plan.bands) else None
        if plan.tier_mode == "graduated" and s > start:
            d += (Fraction(min(s, nxt) if nxt is not None else s) - Fraction(start)) * Fraction(pct) / 100
        elif plan.tier_mode == "volume" and start <= s and (nxt is None or s < nxt):
            d += Fraction(s) * Fraction(pct) / 100
    if d == 0:
        return Decimal(1)
    scaled = (Fraction(s) - d) / Fraction(s) * TIER_SCALE
    return Decimal(int(scaled + Fraction(1, 2))).scaleb(-12)      # scaled > 0 here


def finish_invoices(ch: Channel, per_invoice: dict[tuple[str, str], tuple[str, Decimal, Decimal]]) -> dict:
    """Add each buyer's plan fees to the invoices' rounded lines: {(seller, buyer): (currency,
    subtotal)}. per_invoice holds (currency, Σ rounded lines, U = Σ priced price_buyer)."""
    out = {}
    pairs = dict(per_invoice)
    for oid, o in ch.orgs.items():       # a fixed fee makes an invoice even without rows
        if o["plan"] and any(a is not None for _, a, _ in ch.plans[o["plan"]].fees):
            pairs.setdefault((o["parent"], oid), (o["currency"], Decimal(0), Decimal(0)))
    for (seller, buyer), (ccy, lines, usage) in pairs.items():
        total = lines
        for _, amount, pct in ch.plans[ch.orgs[buyer]["plan"]].fees:
            fee = amount if amount is not None else _ledger(pct / 100 * usage)
            total += fee.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        out[(seller, buyer)] = (ccy, total + 0)
    return out


def _check_columns(names) -> None:
    present = [c for c in UNSUPPORTED_COLUMNS if c in names]
    missing = [c for c in KEYS + MONEY if c not in names]
    if missing:
        raise ValueError(f"the file lacks the columns {', '.join(missing)}")
    if present:
        raise ValueError(f"the baselines do not compute {', '.join(present)} (commitments, provider corrections)")


# ---------------------------------------------------------------------------------------------
# duckdb: one query

def run_duckdb(parquet: Path, ch: Channel) -> dict:
    import duckdb
    import pyarrow as pa

    from queries import sql

    money, frac = pa.decimal128(38, 10), pa.decimal128(7, 4)
    tables = {
        "bl_maps": pa.table({"ProviderName": [m[0] for m in ch.maps], "SubAccountId": [m[1] for m in ch.maps],
                             "customer": [m[2] for m in ch.maps]}),
        "bl_edges": pa.Table.from_pylist(ch.edges, schema=pa.schema([
            ("customer", pa.string()), ("depth", pa.int32()), ("seller", pa.string()), ("buyer", pa.string()),
            ("plan_id", pa.string()), ("buyer_ccy", pa.string()), ("credits", pa.string())])),
        "bl_rules": pa.Table.from_pylist([{"plan_id": pid, **r} for pid, p in ch.plans.items() for r in p.rules],
                                         schema=pa.schema([("plan_id", pa.string()), ("rule_no", pa.int32()),
                                                           *[(f, pa.string()) for f in RULE_FIELDS],
                                                           ("basis", pa.string()), ("factor", pa.decimal128(20, 10)),
                                                           ("specificity", pa.int32())])),
        "bl_fx": pa.Table.from_pylist([{"from_ccy": f, "to_ccy": t, "rate": r} for (f, t), r in ch.fx.items()],
                                      schema=pa.schema([("from_ccy", pa.string()), ("to_ccy", pa.string()),
                                                        ("rate", pa.decimal128(20, 10))])),
        "bl_bands": pa.Table.from_pylist(
            [{"plan_id": pid, "mode": p.tier_mode, "start": s,
              "next_start": p.bands[i + 1][0] if i + 1 < len(p.bands) else None, "pct_frac": pct / 100}
             for pid, p in ch.plans.items() for i, (s, pct) in enumerate(p.bands)],
            schema=pa.schema([("plan_id", pa.string()), ("mode", pa.string()), ("start", money),
                              ("next_start", money), ("pct_frac", frac)])),
        "bl_fees": pa.Table.from_pylist(
            [{"plan_id": pid, "amount": a, "pct_frac": None if pct is None else pct / 100}
             for pid, p in ch.plans.items() for _, a, pct in p.fees],
            schema=pa.schema([("plan_id", pa.string()), ("amount", money), ("pct_frac", frac)])),
        "bl_fixed": pa.Table.from_pylist(
            [{"seller": o["parent"], "buyer": oid} for oid, o in ch.orgs.items()
             if o["plan"] and any(a is not None for _, a, _ in ch.plans[o["plan"]].fees)],
            schema=pa.schema([("seller", pa.string()), ("buyer", pa.string())])),
    }
    con = duckdb.connect()
    _check_columns([r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(parquet)]).fetchall()])
    for name, table in tables.items():
        con.register(name, table)
    rows = con.execute(sql("landing_bench_baseline"), {"path": str(parquet)}).fetchall()
    con.close()
    return {(s, b): (c, t) for s, b, c, t in rows}


# ---------------------------------------------------------------------------------------------
# polars: lazy, vectorised, fixed-point Int128 money

def run_polars(parquet: Path, ch: Channel) -> dict:
    import polars as pl

    i128 = pl.Int128
    zero = pl.lit(0, dtype=i128)

    def rhalf(x: pl.Expr, q: int) -> pl.Expr:
        """x / q rounded half away from zero (x Int128, q a power of ten)."""
        return pl.when(x >= 0).then((x + q // 2) // q).otherwise(zero - ((zero - x + q // 2) // q))

    _check_columns(pl.scan_parquet(parquet).collect_schema().names())
    maps = pl.DataFrame({"ProviderName": [m[0] for m in ch.maps], "SubAccountId": [m[1] for m in ch.maps],
                         "customer": [m[2] for m in ch.maps]}).lazy()
    groups = (pl.scan_parquet(parquet)
              .select(KEYS + MONEY)
              .filter(pl.col("ChargeCategory") != "Tax")
              .join(maps, on=["ProviderName", "SubAccountId"])
              .group_by(["customer", *KEYS])
              .agg([pl.col(m).sum().to_physical().cast(i128).alias(m) for m in MONEY])
              .collect())
    edges = pl.DataFrame(ch.edges).lazy()
    rules = pl.DataFrame([{"plan_id": pid, **{k: v for k, v in r.items() if k != "factor"},
                           "factor": int(r["factor"] * SCALE)}
                          for pid, p in ch.plans.items() for r in p.rules],
                         schema_overrides={"factor": i128, **{f: pl.String for f in RULE_FIELDS}})
    fx = pl.DataFrame({"BillingCurrency": [k[0] for k in ch.fx], "buyer_ccy": [k[1] for k in ch.fx],
                       "fx": [int(v * SCALE) for v in ch.fx.values()]}, schema_overrides={"fx": i128}).lazy()

    def price(src: pl.LazyFrame, depth: int) -> pl.DataFrame:
        e = (src.join(edges.filter(pl.col("depth") == depth), on="customer")
             .with_columns(treatment=pl.when(pl.col("ChargeCategory").is_in(["Usage", "Purchase"]))
                           .then(pl.lit("priced"))
                           .when((pl.col("ChargeCategory") == "Credit") & (pl.col("credits") == "pass_through"))
                           .then(pl.lit("passed_credit"))
                           .when(pl.col("ChargeCategory") == "Credit").then(pl.lit("retained_credit"))
                           .otherwise(pl.lit("adjustment"))))
        keys = e.select(RULE_KEY).unique()
        picked = (keys.join(rules.lazy(), on="plan_id", suffix="_r")
                  .filter(pl.all_horizontal([pl.col(f"{f}_r").is_null() | (pl.col(f"{f}_r") == pl.col(f))
                                             for f in RULE_FIELDS]))
                  .sort(["specificity", "rule_no"], descending=[True, False])
                  .group_by(RULE_KEY, maintain_order=True).first()
                  .select([*RULE_KEY, "basis", "factor"]))
        basis = (pl.when(pl.col("basis") == "list").then(pl.col("ListCost"))
                 .when(pl.col("basis") == "contracted").then(pl.col("ContractedCost"))
                 .when(pl.col("basis") == "effective").then(pl.col("EffectiveCost"))
                 .otherwise(pl.col("cost")))
        pre = (e.join(picked, on=RULE_KEY, how="left", nulls_equal=True)
               .join(fx, on=["BillingCurrency", "buyer_ccy"], how="left")
               .with_columns(rate=pl.when(pl.col("BillingCurrency") == pl.col("buyer_ccy"))
                             .then(pl.lit(SCALE, dtype=i128)).otherwise(pl.col("fx")))
               .with_columns(pre=pl.when(pl.col("treatment") == "priced").then(rhalf(basis * pl.col("factor"), SCALE))
                             .when(pl.col("treatment") == "retained_credit").then(zero)
                             .otherwise(pl.col("cost")))
               .collect())
        subtotals = (pre.lazy().filter(pl.col("treatment") == "priced")
                     .group_by("buyer", "plan_id").agg(rhalf(pl.col("pre") * pl.col("rate"), SCALE).sum().alias("s"))
                     .collect())
        factors = pl.DataFrame(
            {"buyer": subtotals["buyer"],
             "t": [int(tier_factor(ch.plans[p], Decimal(s).scaleb(-10)) * TIER_SCALE)
                   for p, s in zip(subtotals["plan_id"], subtotals["s"])]},
            schema_overrides={"t": i128})
        return (pre.lazy().join(factors.lazy(), on="buyer", how="left")
                .with_columns(price=pl.when(pl.col("treatment") == "priced")
                              .then(rhalf(pl.col("pre") * pl.col("t").fill_null(TIER_SCALE), TIER_SCALE))
                              .otherwise(pl.col("pre")))
                .with_columns(price_buyer=rhalf(pl.col("price") * pl.col("rate"), SCALE))
                .collect())

    groups_lf = groups.lazy().with_columns(cost=pl.col("BilledCost"))
    p1 = price(groups_lf, 1)
    down = (p1.lazy().filter(pl.col("treatment") != "retained_credit")
            .select(["customer", *KEYS, *MONEY, pl.col("price").alias("cost")]))
    p2 = price(down, 2)
    cols = ["seller", "buyer", "buyer_ccy", "treatment", "ProviderName", "ServiceName", "price_buyer"]
    lines = (pl.concat([p1.lazy().select(cols), p2.lazy().select(cols)])
             .filter(pl.col("treatment") != "retained_credit")
             .with_columns(credit=pl.col("treatment") == "passed_credit",
                           service=pl.when(pl.col("treatment") == "passed_credit").then(None)
                           .otherwise(pl.col("ServiceName")))
             .group_by("seller", "buyer", "buyer_ccy", "credit", "ProviderName", "service")
             .agg(pl.col("price_buyer").sum().alias("unrounded"),
                  pl.col("price_buyer").filter(pl.col("treatment") == "priced").sum().alias("usage"))
             .with_columns(cents=rhalf(pl.col("unrounded"), SCALE // 100))
             .group_by("seller", "buyer", "buyer_ccy")
             .agg(pl.col("cents").sum(), pl.col("usage").sum())
             .collect())
    per_invoice = {(s, b): (c, Decimal(int(cents)).scaleb(-2), Decimal(int(u)).scaleb(-10))
                   for s, b, c, cents, u in lines.iter_rows()}
    return finish_invoices(ch, per_invoice)


# ---------------------------------------------------------------------------------------------
# pandas: vectorised, Arrow-backed decimals

def run_pandas(parquet: Path, ch: Channel) -> dict:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    _check_columns(pq.read_schema(parquet).names)

    def arrow(s: pd.Series):
        return pa.array(s)

    def series(a, index) -> pd.Series:
        return pd.Series(pd.arrays.ArrowExtensionArray(a), index=index)

    def mul_ledger(a: pd.Series, b: pd.Series, b_type, places: int = 10) -> pd.Series:
        """round(a × b, places) half away from zero, exact (Arrow decimal product)."""
        p = pc.multiply(pc.cast(arrow(a), pa.decimal128(24, 10)), pc.cast(arrow(b), b_type))
        r = pc.round(p, ndigits=places, round_mode="half_towards_infinity")
        return series(pc.cast(r, pa.decimal128(38, 10)), a.index)

    df = pd.read_parquet(parquet, columns=KEYS + MONEY, dtype_backend="pyarrow")
    df = df[df["ChargeCategory"] != "Tax"]
    maps = pd.DataFrame(ch.maps, columns=["ProviderName", "SubAccountId", "customer"]).astype("string[pyarrow]")
    df = df.merge(maps, on=["ProviderName", "SubAccountId"])
    groups = df.groupby(["customer", *KEYS], sort=False, observed=True, dropna=False)[MONEY].sum().reset_index()
    edges = pd.DataFrame(ch.edges)
    rules = pd.DataFrame([{"plan_id": pid, **r} for pid, p in ch.plans.items() for r in p.rules])
    rules["factor"] = pd.array(list(rules["factor"]), dtype=pd.ArrowDtype(pa.decimal128(20, 10)))
    fx = pd.DataFrame([{"BillingCurrency": f, "buyer_ccy": t, "fx": r} for (f, t), r in ch.fx.items()],
                      columns=["BillingCurrency", "buyer_ccy", "fx"])
    fx["fx"] = pd.array(list(fx["fx"]), dtype=pd.ArrowDtype(pa.decimal128(20, 10)))
    money = pd.ArrowDtype(pa.decimal128(38, 10))

    def price(src: pd.DataFrame, depth: int) -> pd.DataFrame:
        e = src.merge(edges[edges["depth"] == depth], on="customer")
        cat = e["ChargeCategory"]
        e["treatment"] = np.select(
            [cat.isin(["Usage", "Purchase"]).to_numpy(bool),
             ((cat == "Credit") & (e["credits"] == "pass_through")).to_numpy(bool),
             (cat == "Credit").to_numpy(bool)],
            ["priced", "passed_credit", "retained_credit"], "adjustment")
        keys = e[RULE_KEY].drop_duplicates()
        cand = keys.merge(rules, on="plan_id", suffixes=("", "_r"))
        ok = np.ones(len(cand), bool)
        for f in RULE_FIELDS:
            ok &= (cand[f"{f}_r"].isna() | (cand[f"{f}_r"] == cand[f])).to_numpy(bool)
        picked = (cand[ok].sort_values(["specificity", "rule_no"], ascending=[False, True])
                  .drop_duplicates(RULE_KEY)[[*RULE_KEY, "basis", "factor"]])
        e = e.merge(picked, on=RULE_KEY, how="left").merge(fx, on=["BillingCurrency", "buyer_ccy"], how="left")
        one = pd.Series(pd.array([Decimal(1)] * len(e), dtype=pd.ArrowDtype(pa.decimal128(20, 10))), index=e.index)
        e["rate"] = one.where(e["BillingCurrency"] == e["buyer_ccy"], e["fx"])
        basis = e["cost"]
        for name, column in (("list", "ListCost"), ("contracted", "ContractedCost"), ("effective", "EffectiveCost")):
            basis = e[column].where(e["basis"] == name, basis)
        factor = e["factor"].fillna(Decimal(0))
        priced = mul_ledger(basis.fillna(Decimal(0)), factor, pa.decimal128(12, 10))
        zero = pd.Series(pd.array([Decimal(0)] * len(e), dtype=money), index=e.index)
        e["pre"] = priced.where(e["treatment"] == "priced", e["cost"].where(e["treatment"] != "retained_credit", zero))
        is_priced = e["treatment"] == "priced"
        e["pre_buyer"] = mul_ledger(e["pre"], e["rate"], pa.decimal128(13, 10))
        subtotals = e[is_priced].groupby(["buyer", "plan_id"])["pre_buyer"].sum().reset_index()
        factors = [tier_factor(ch.plans[p], s) for p, s in zip(subtotals["plan_id"], subtotals["pre_buyer"])]
        subtotals["t"] = pd.array(factors, dtype=pd.ArrowDtype(pa.decimal128(13, 12)))
        e = e.merge(subtotals[["buyer", "t"]], on="buyer", how="left")
        t = e["t"].fillna(Decimal(1))
        e["price"] = mul_ledger(e["pre"], t, pa.decimal128(13, 12)).where(e["treatment"] == "priced", e["pre"])
        e["price_buyer"] = mul_ledger(e["price"], e["rate"], pa.decimal128(13, 10))
        return e

    groups["cost"] = groups["BilledCost"]
    p1 = price(groups, 1)
    down = (p1[p1["treatment"] != "retained_credit"][["customer", *KEYS, *MONEY, "price"]]
            .rename(columns={"price": "cost"}))
    p2 = price(down, 2)
    cols = ["seller", "buyer", "buyer_ccy", "treatment", "ProviderName", "ServiceName", "price_buyer"]
    both = pd.concat([p1[cols], p2[cols]], ignore_index=True)
    both = both[both["treatment"] != "retained_credit"]
    both["credit"] = both["treatment"] == "passed_credit"
    both["service"] = both["ServiceName"].where(~both["credit"], "")
    both["usage"] = both["price_buyer"].where(both["treatment"] == "priced", Decimal(0))
    lines = both.groupby(["seller", "buyer", "buyer_ccy", "credit", "ProviderName", "service"], observed=True)[
        ["price_buyer", "usage"]].sum().reset_index()
    lines["cents"] = series(pc.round(arrow(lines["price_buyer"]), ndigits=2, round_mode="half_towards_infinity"),
                            lines.index)
    per = lines.groupby(["seller", "buyer", "buyer_ccy"])[["cents", "usage"]].sum().reset_index()
    rows = per[["seller", "buyer", "buyer_ccy", "cents", "usage"]].itertuples(index=False)
    per_invoice = {(s, b): (c, Decimal(cents), Decimal(u)) for s, b, c, cents, u in rows}
    return finish_invoices(ch, per_invoice)


# ---------------------------------------------------------------------------------------------
# Tierline: ingest into a fresh store, then the billing run

def run_tierline(parquet: Path, config: Path, repeat: int) -> dict:
    from data.billing import run_billing
    from data.config import import_config, parse_config
    from data.ingest import ingest_file
    from data.store import connect
    from queries import run

    with tempfile.TemporaryDirectory(prefix="tierline-bench-") as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        import_config(con, parse_config(Path(config).read_text(), source=str(config)), imported_by="bench")
        started, cpu0 = time.perf_counter(), _cpu()
        ingest_file(con, parquet, loaded_by="bench")
        ingest_seconds, ingest_cpu = time.perf_counter() - started, _cpu() - cpu0
        con.execute("CHECKPOINT")
        seconds, cpu, stages, status = [], [], [], None
        for _ in range(repeat):
            marks: list[tuple[float, str]] = []
            start, cpu0 = time.perf_counter(), _cpu()

            def mark(_fraction: float, message: str, marks=marks, start=start) -> None:
                marks.append((time.perf_counter() - start, message))

            summary = run_billing(con, PERIOD, run_by="bench", progress=mark)
            seconds.append(time.perf_counter() - start)
            cpu.append(_cpu() - cpu0)
            stages.append([{"at": round(t, 2), "stage": m} for t, m in marks])
            status = summary.status
        subtotals = {(s, b): (c, t) for s, b, c, t in run(con, "landing_bench_subtotals", {"period": PERIOD})}
        landing_groups, priced_groups = run(con, "landing_bench_groups", {"period": PERIOD})[0]
        con.close()
    return {"seconds": seconds, "cpu": cpu, "ingest_seconds": ingest_seconds, "ingest_cpu": ingest_cpu,
            "subtotals": subtotals, "status": status,
            "stages": stages, "landing_groups": landing_groups, "priced_groups": priced_groups}


def _cpu() -> float:
    """This process's CPU seconds so far (user + system, every thread)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def worker(engine: str, parquet: Path, config: Path, repeat: int) -> dict:
    """Run one engine --repeat times in this process; JSON-ready."""
    out: dict = {"engine": engine}
    if engine == "tierline":
        result = run_tierline(parquet, config, repeat)
        subtotals = result.pop("subtotals")
        out.update(result)
    else:
        fn = {"duckdb": run_duckdb, "polars": run_polars, "pandas": run_pandas}[engine]
        seconds, cpu, subtotals = [], [], {}
        # The channel is read once and not timed, as Tierline's configuration import is not:
        # it is the standing configuration, not the month's work.
        ch = load_channel(config)
        for _ in range(repeat):
            start, cpu0 = time.perf_counter(), _cpu()
            subtotals = fn(parquet, ch)
            seconds.append(time.perf_counter() - start)
            cpu.append(_cpu() - cpu0)
        out["seconds"], out["cpu"] = seconds, cpu
    out["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["subtotals"] = {f"{s}\u2192{b}": [c, str(Decimal(t).quantize(Decimal("0.01")))]
                        for (s, b), (c, t) in sorted(subtotals.items())}
    return out


# ---------------------------------------------------------------------------------------------

def compare(results: list[dict]) -> list[str]:
    """Sentences naming every invoice on which an engine disagrees with the first (Tierline,
    unless --engine says otherwise); empty when all agree."""
    first, base = results[0]["engine"], results[0]["subtotals"]
    problems = []
    for r in results[1:]:
        other = r["subtotals"]
        for key in sorted(set(base) | set(other)):
            if base.get(key) != other.get(key):
                problems.append(f"invoice {key}: {first} {base.get(key)}, {r['engine']} {other.get(key)}")
    return problems


def bench(parquet: Path, config: Path, engines: list[str], repeat: int) -> dict:
    results = []
    for engine in engines:
        load = os.getloadavg()[0]
        child = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", engine,
                                "--parquet", str(parquet), "--config", str(config), "--repeat", str(repeat)],
                               capture_output=True, text=True, cwd=str(ROOT))
        if child.returncode != 0:
            raise SystemExit(f"{engine} failed on {parquet}:\n{child.stderr.strip()[-4000:]}")
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
        # wall time on a shared machine depends on the neighbours: keep the load it ran under
        results[-1]["load_before"] = round(load, 2)
        results[-1]["load_after"] = round(os.getloadavg()[0], 2)
        print(f"  {engine}: {', '.join(f'{s:.2f}' for s in results[-1]['seconds'])} s", file=sys.stderr)
    problems = compare(results) if len(results) > 1 else []
    invoices = len(results[0]["subtotals"]) if results else 0
    total = sum(Decimal(v[1]) for v in results[0]["subtotals"].values()) if results else Decimal(0)
    for r in results:
        r["median_seconds"] = round(statistics.median(r["seconds"]), 2)
        r["median_cpu"] = round(statistics.median(r["cpu"]), 2)
        r["seconds"] = [round(s, 2) for s in r["seconds"]]
        r["cpu"] = [round(s, 2) for s in r["cpu"]]
        r.pop("subtotals")
    return {"parquet": str(parquet), "config": str(config), "repeat": repeat, "cpu_count": os.cpu_count(),
            "invoices": invoices, "subtotal_sum": str(total), "agree": not problems, "problems": problems[:20],
            "engines": results}


def table(report: dict) -> str:
    head = f"{'engine':<9} {'median s':>9} {'runs s':>22} {'median CPU s':>13} {'peak MB':>8} {'load':>10}"
    lines = [head, "-" * len(head)]
    for r in report["engines"]:
        lines.append(f"{r['engine']:<9} {r['median_seconds']:>9.2f} {', '.join(f'{s:.2f}' for s in r['seconds']):>22} "
                     f"{r['median_cpu']:>13.2f} {r['peak_mb']:>8,} {r['load_before']:>4.1f}–{r['load_after']:<4.1f}")
        if r["engine"] == "tierline":
            lines.append(f"{'':<9} ingest {r['ingest_seconds']:.2f} s ({r['ingest_cpu']:.2f} CPU s); "
                         f"{r['landing_groups']:,} landing groups, "
                         f"{r['priced_groups']:,} priced groups; status {r['status']}")
    lines.append(f"{report['invoices']:,} invoices, Σ subtotals {report['subtotal_sum']}: "
                 + ("every engine agrees to the cent" if report["agree"] else "ENGINES DISAGREE"))
    lines.extend("  " + p for p in report["problems"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", default="resource", help="generate this shape (bench/generate.py) unless --parquet")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--customers", type=int, default=7000)
    ap.add_argument("--resellers", type=int, default=50)
    ap.add_argument("--parquet", type=Path, help="a generated month (its .yaml beside it, or --config)")
    ap.add_argument("--config", type=Path)
    ap.add_argument("--engine", action="append", choices=ENGINES, help="repeatable (default: all four)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="where JSON results go")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)   # internal: one engine, JSON out
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if args.worker:
        print(json.dumps(worker(args.worker, args.parquet, args.config, args.repeat), default=str))
        return 0
    parquet = args.parquet
    if parquet is None:
        parquet = args.out / f"{args.shape}-{args.rows}-s{args.seed}-c{args.customers}.parquet"
        if not parquet.exists() or not parquet.with_suffix(".yaml").exists():
            # in a child process, so this process's peak memory (which every worker starts
            # from: Linux keeps ru_maxrss across fork) stays small
            print(f"generating {parquet}", file=sys.stderr)
            child = subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--shape", args.shape,
                                    "--rows", str(args.rows), "--seed", str(args.seed),
                                    "--customers", str(args.customers), "--resellers", str(args.resellers),
                                    "--out", str(parquet)], capture_output=True, text=True, cwd=str(ROOT))
            if child.returncode != 0:
                raise SystemExit(f"generating {parquet} failed:\n{child.stderr.strip()[-4000:]}")
    config = args.config or parquet.with_suffix(".yaml")
    for path in (parquet, config):
        if not path.exists():
            ap.error(f"{path} does not exist")
    report = bench(parquet, config, list(dict.fromkeys(args.engine or ENGINES)), args.repeat)
    report["shape"] = args.shape if args.parquet is None else None
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"baselines-{parquet.stem}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2) if args.json else table(report) + f"\n(JSON: {out})")
    return 0 if report["agree"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
