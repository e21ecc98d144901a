"""Generate a benchmark month: a FOCUS 1.2 Parquet file and the channel it is billed through.

    .venv/bin/python bench/generate.py --shape resource --rows 10000000 --out bench/out/resource-10M.parquet
    .venv/bin/python bench/generate.py --shape scattered --rows 1000000 --seed 7 --out /tmp/s.parquet

Writes FILE.parquet (DuckDB COPY, zstd) and, beside it, FILE.yaml: the Tierline configuration
of a 2-tier channel (one distributor, --resellers resellers, --customers customers with
--subs-per-customer sub-accounts each, plus 100 sub-accounts mapped to nobody). Shapes (the
pricing key is docs/pricing.md §2; "group" below is one pricing group):

- resource:  resources keep their account, SKU and region all month, one row a day each, for
             5–31 days: about 18 rows per group (issue #16's first month);
- scattered: every row draws sub-account, SKU (of 5,000) and region (of 16) anew: nearly every
             row is its own group (issue #16's second month);
- bench:     the shape bench/billing.py has measured since issue #3 (60 of 200 SKUs per
             sub-account, 3 regions, hourly rows): about 2.5 million groups per 10M rows.

Rows are generated inside DuckDB (queries/landing/landing_bench_month_<shape>.sql) and are the same for
the same --seed, --rows and channel size. The plans use every edge feature the homegrown
baselines (bench/baselines.py) also compute: list/cost bases with discounts and markups, rule
specificity, graduated tiers at the reseller edge, a fixed and a percentage fee, passed and
retained credits, provider tax, unassigned rows, and customers invoiced in EUR (FX).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHAPES = ("resource", "scattered", "bench")
PERIOD = date(2026, 5, 1)          # a 31-day month: the shapes' day and hour ranges rely on it
UNMAPPED_SUBS = 100                # sub-accounts after the mapped ones that no mapping names (fewer in small channels)
SKUS = {"resource": 200, "scattered": 5000, "bench": 200}
# The statement that generates each shape (queries/landing/landing_bench_month_*.sql).
MONTH_QUERY = {shape: f"landing_bench_month_{shape}" for shape in SHAPES}
EUR_RATE = "0.9215"                # USD→EUR for the period, for the customers invoiced in EUR
BENCH_SALT = b"$2b$04$" + b"tierlinebenchsaltsalt." # a fixed salt: the same .yaml for the same arguments


def channel(resellers: int, customers: int, subs_per_customer: int, *, tier_from: str = "100000",
            extras: bool = False) -> tuple[dict, int]:
    """The bench channel as a Tierline configuration document, and the number of mapped
    sub-accounts. Without `extras` it is the channel bench/billing.py has always priced; with
    them, the distributor passes credits through and charges a fixed platform fee, and every
    fifth customer is invoiced in EUR (so the document carries a USD→EUR rate)."""
    import bcrypt

    orgs, plans, maps = [], [], []
    dist = {"id": "dist", "owner": "root", "rules": [
        {"basis": "list", "discount_pct": "10"},
        {"match": {"ServiceCategory": "Compute"}, "basis": "cost", "markup_pct": "4"}],
        "tiers": {"mode": "graduated", "bands": [{"from": "0", "discount_pct": "0"},
                                                 {"from": tier_from, "discount_pct": "1"}]}}
    if extras:
        dist["credits"] = "pass_through"
        dist["fees"] = [{"name": "Platform", "amount": "250.00"}]
    plans.append(dist)
    for r in range(resellers):
        rid = f"r{r:03d}"
        orgs.append({"id": rid, "name": f"Reseller {r}", "kind": "reseller", "parent": "root",
                     "currency": "USD", "plan": "dist"})
        plans.append({"id": f"{rid}-std", "owner": rid, "credits": "retain", "rules": [
            {"basis": "list", "discount_pct": "5"},
            {"match": {"ServiceName": "Service3"}, "basis": "cost", "markup_pct": "12"},
            {"match": {"SkuId": "SKU-7"}, "basis": "list", "discount_pct": "8"}],
            "fees": [{"name": "Support", "pct_of_usage": "3"}]})
    sub = 0
    for c in range(customers):
        cid = f"c{c:05d}"
        orgs.append({"id": cid, "name": f"Customer {c}", "kind": "customer", "parent": f"r{c % resellers:03d}",
                     "currency": "EUR" if extras and c % 5 == 3 else "USD",
                     "plan": f"r{c % resellers:03d}-std", "tax_rate_pct": "20"})
        for _ in range(subs_per_customer):
            maps.append({"provider": "AWS", "sub_account_id": str(300000000000 + sub), "customer": cid})
            sub += 1
    fx = ([{"period": PERIOD.strftime("%Y-%m"), "from": "USD", "to": "EUR", "rate": EUR_RATE}]
          if extras and customers > 3 else [])
    return {"root": {"id": "root", "name": "Bench Distribution", "kind": "distributor", "currency": "USD"},
            "organizations": orgs, "account_mappings": maps, "plans": plans, "fx_rates": fx,
            "users": [{"username": "bench", "name": "Bench", "org": "root", "roles": ["admin"],
                       "password_hash": bcrypt.hashpw(b"bench", BENCH_SALT).decode()}]}, sub


def config_yaml(config: dict) -> str:
    import yaml
    return yaml.safe_dump(config, sort_keys=False)


def generate(shape: str, rows: int, out: Path, *, seed: int = 1, customers: int = 7000,
             resellers: int = 50, subs_per_customer: int = 3, threads: int | None = None) -> dict:
    """Write `out` (Parquet) and `out`.yaml (the channel); return what was generated."""
    import duckdb

    from queries import sql

    if shape not in SHAPES:
        raise ValueError(f"--shape must be one of {', '.join(SHAPES)}, not {shape!r}")
    if rows <= 0:
        raise ValueError(f"--rows must be positive, not {rows}")
    if customers < resellers or resellers < 1:
        raise ValueError(f"need at least one reseller and one customer per reseller, got "
                         f"{resellers} resellers for {customers} customers")
    # The reseller edge's graduated band starts at about a third of a reseller's monthly
    # spend (the rows' list cost averages ~2.3 USD), so the tiers bite at every size.
    tier_from = str(max(100, rows * 2 // (3 * resellers)))
    config, mapped = channel(resellers, customers, subs_per_customer, tier_from=tier_from, extras=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(".tmp-" + out.name)
    started = time.perf_counter()
    con = duckdb.connect(config={"threads": int(threads)} if threads else {})
    # about 0.5 % of the rows stay unassigned (100 of 21,100 sub-accounts at full size)
    unmapped = min(UNMAPPED_SUBS, max(1, mapped // 200))
    rel = con.sql(sql(MONTH_QUERY[shape]), params={
        "rows": rows, "subs": mapped + unmapped, "skus": SKUS[shape], "seed": seed, "period": PERIOD})
    rel.to_parquet(str(tmp), compression="zstd")
    con.close()
    tmp.replace(out)
    yaml_path = out.with_suffix(".yaml")
    yaml_path.write_text(config_yaml(config))
    return {"shape": shape, "rows": rows, "seed": seed, "customers": customers, "resellers": resellers,
            "sub_accounts": mapped + unmapped, "skus": SKUS[shape], "parquet": str(out),
            "config": str(yaml_path), "file_mb": round(out.stat().st_size / 2**20, 1),
            "seconds": round(time.perf_counter() - started, 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", choices=SHAPES, default="resource")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--customers", type=int, default=7000)
    ap.add_argument("--resellers", type=int, default=50)
    ap.add_argument("--subs-per-customer", type=int, default=3)
    ap.add_argument("--out", type=Path, help="the Parquet file (default bench/out/<shape>-<rows>-s<seed>.parquet); "
                    "the channel's configuration goes beside it as .yaml")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    out = args.out or ROOT / "bench" / "out" / f"{args.shape}-{args.rows}-s{args.seed}.parquet"
    try:
        info = generate(args.shape, args.rows, out, seed=args.seed, customers=args.customers,
                        resellers=args.resellers, subs_per_customer=args.subs_per_customer)
    except ValueError as exc:
        ap.error(str(exc))
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(f"{info['shape']}: {info['rows']:,} rows, {info['sub_accounts']:,} sub-accounts, "
              f"{info['customers']:,} customers under {info['resellers']} resellers → {info['parquet']} "
              f"({info['file_mb']} MB, {info['seconds']} s) and {info['config']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
