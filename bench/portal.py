"""Portal benchmark: the reads the portal's pages make, through the scoped access layer, on a
billed generated month (issue #16's read targets).

    python bench/portal.py                                   # resource month, 10,000,000 rows
    python bench/portal.py --rows 1000000 --samples 30 --json
    python bench/portal.py --db /work/portal10M.duckdb        # reuse a billed store (built if absent)

Builds the month with bench/generate.py (a Parquet file and its channel), ingests it with
data.ingest and bills it with data.billing, exactly as the app would; then, for --samples
customers drawn with --seed, times each read a customer's portal makes (as that customer: role
customer, its own subtree) and each read a reseller's pages make (as the reseller's admin), and
prints p50/p95/max in milliseconds per read. Every read is the function the page calls
(queries.scope's façade), so the figures include the scope checks. The first call of each read
is not timed (DuckDB's first touch of a table); targets are in docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import PERIOD, generate  # noqa: E402

Read = Callable[[Any, Any, str], Any]


def customer_reads(scope_mod) -> dict[str, Read]:
    """name → read(con, scope, customer_id): what a customer's Costs and Why this price pages
    ask for, each through the function the page calls."""
    s = scope_mod
    from queries.reports.portal import Filters

    def why(con, sc, c):                       # the page's list of charges, then one explained
        groups = s.price_groups(con, sc, c, PERIOD, limit=20)
        return s.explain_price(con, sc, c, PERIOD, group_id=groups[0]["group_id"]) if groups else None

    return {
        "summary": lambda con, sc, c: s.customer_summary(con, sc, c, PERIOD),
        "month_glance": lambda con, sc, c: s.month_glance(con, sc, c, PERIOD),
        "breakdown_service": lambda con, sc, c: s.portal_spend(con, sc, c, PERIOD, by="service"),
        "daily_trend": lambda con, sc, c: s.daily_spend(con, sc, c, PERIOD, stack="provider"),
        "tag_breakdown": lambda con, sc, c: s.portal_spend(con, sc, c, PERIOD, by="tag",
                                                           filters=Filters(tag_key="env")),
        "rows_first_page": lambda con, sc, c: s.customer_rows(con, sc, c, PERIOD, limit=500),
        "why_this_price": why,
    }


def seller_reads(scope_mod) -> dict[str, Read]:
    """name → read(con, scope, customer_id): a reseller admin's margin, invoice and drill-down
    reads (customer_id: one of its customers)."""
    s = scope_mod
    return {
        "margin_report": lambda con, sc, c: s.margin_report(con, sc, PERIOD),
        "margin_by_customer": lambda con, sc, c: s.margin_breakdown(con, sc, PERIOD, by="customer"),
        "invoice_report": lambda con, sc, c: s.invoice_report(con, sc, PERIOD),
        "rows_first_page": lambda con, sc, c: s.customer_rows(con, sc, c, PERIOD, limit=500),
    }


def build_store(db: Path, rows: int, shape: str, seed: int, customers: int, resellers: int) -> dict:
    """Generate, ingest and bill the month into `db` unless `db` already holds a billed month."""
    from data.billing import run_billing
    from data.config import import_config, parse_config
    from data.ingest import ingest_file
    from data.store import connect

    if db.exists():
        return {"reused": str(db)}
    parquet = db.with_suffix(".parquet")
    info = generate(shape, rows, parquet, seed=seed, customers=customers, resellers=resellers)
    con = connect(db)
    try:
        import_config(con, parse_config(Path(info["config"]).read_text(), source=info["config"]),
                      imported_by="bench")
        t0 = time.perf_counter()
        ingest_file(con, parquet, loaded_by="bench")
        t1 = time.perf_counter()
        summary = run_billing(con, PERIOD, run_by="bench")
        t2 = time.perf_counter()
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {"generated": info, "ingest_seconds": round(t1 - t0, 2),
            "billing_seconds": round(t2 - t1, 2), "billing_status": summary.status}


def sample_edges(con, n: int, seed: int) -> list[tuple[str, str]]:
    """(reseller, customer) pairs with charges in the period, drawn with `seed`."""
    pairs = sorted(con.execute(
        "SELECT DISTINCT x_SellerId, x_BuyerId FROM fct_ledger WHERE x_Period = ? AND x_Depth = 2",
        [PERIOD]).fetchall())
    return random.Random(seed).sample(pairs, min(n, len(pairs)))


def time_reads(con, reads: dict[str, Read], cases: list[tuple[Any, str]]) -> dict[str, dict]:
    """Per read: p50, p95 and max in ms over `cases` (scope, customer_id), first call untimed."""
    out = {}
    for name, read in reads.items():
        read(con, *cases[0])                      # warm: the first touch of each table
        ms = []
        for sc, customer in cases:
            t0 = time.perf_counter()
            read(con, sc, customer)
            ms.append((time.perf_counter() - t0) * 1000)
        ms.sort()
        p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
        out[name] = {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(p95, 1),
                     "max_ms": round(ms[-1], 1), "n": len(ms)}
    return out


def bench(db: Path, *, rows: int, shape: str, seed: int, samples: int, customers: int,
          resellers: int) -> dict:
    from data.store import connect
    from queries import scope as s

    built = build_store(db, rows, shape, seed, customers, resellers)
    con = connect(db, read_only=True)
    try:
        edges = sample_edges(con, samples, seed)

        def as_admin(org: str, role: str) -> Any:
            return s.Scope(username=f"bench-{org}", org_id=org, roles=frozenset({role}),
                           visible_orgs=s.subtree(con, org))

        customer_cases = [(as_admin(c, "customer"), c) for _, c in edges]
        seller_cases = [(as_admin(r, "admin"), c) for r, c in edges]
        result = {
            "shape": shape, "rows": rows, "samples": len(edges), "store": built,
            "customer": time_reads(con, customer_reads(s), customer_cases),
            "reseller": time_reads(con, seller_reads(s), seller_cases),
        }
    finally:
        con.close()
    return result


def table(report: dict) -> str:
    lines = [f"portal reads, {report['shape']} month, {report['rows']:,} rows, "
             f"{report['samples']} customers", "| who | read | p50 ms | p95 ms | max ms |",
             "|---|---|---:|---:|---:|"]
    for who in ("customer", "reseller"):
        for name, t in report[who].items():
            lines.append(f"| {who} | {name} | {t['p50_ms']} | {t['p95_ms']} | {t['max_ms']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", choices=("resource", "scattered", "bench"), default="resource")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=7000)
    ap.add_argument("--resellers", type=int, default=50)
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", type=Path, help="store to build or reuse (default: a temporary one)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    if args.db is None:
        import tempfile

        tmp = tempfile.TemporaryDirectory(prefix="tierline-portal-")
        args.db = Path(tmp.name) / "portal.duckdb"
    report = bench(args.db, rows=args.rows, shape=args.shape, seed=args.seed, samples=args.samples,
                   customers=args.customers, resellers=args.resellers)
    print(json.dumps(report, indent=2, default=str) if args.json else table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
