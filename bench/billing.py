"""Billing-run benchmark: a 2-tier channel of 7,000 customers, N FOCUS rows, one period.

    python bench/billing.py                 # 10,000,000 rows
    python bench/billing.py --rows 100000000 --db /work/bench100.duckdb --json
    python bench/billing.py --rows 100000000 --db /work/bench100.duckdb --regroup
    python bench/billing.py --rows 100000000 --db /work/bench100.duckdb --move-account

Target (issue #3): 100M rows for 7,000 customers priced on every edge in under a minute on a
2-core machine. Rows are generated straight into landing_focus, one delivery per billing account,
and recorded the way ingest records a file (slices and pricing groups, data.groups; ingest is
benchmarked apart, bench/ingest.py). The timed part is exactly `data.billing.run_billing`.
`--regroup` drops the pricing groups first: the run then regroups every landing row, as the first
run after a change of the tag rules' keys does. `--move-account` moves one sub-account to another
customer mid-month (a dated mapping) first: the run regroups the one delivery holding it.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench.generate import channel  # noqa: E402  (the channel every bench prices, without extras here)
from data.billing import run_billing  # noqa: E402
from data.config import import_config, parse_config  # noqa: E402
from data.groups import build_groups, current_grouping  # noqa: E402
from data.store import connect, transaction  # noqa: E402
from queries import run  # noqa: E402

PERIOD = date(2026, 5, 1)


def settle_deliveries(con) -> float | None:
    """Record the generated rows' deliveries the way data.ingest does after loading a file:
    delivery, slices, and pricing groups (timed: ingest pays this, ~1/N of it per file).
    Returns the seconds the grouping took, or None when every delivery was already recorded."""
    ids = [r[0] for r in con.execute(
        "SELECT DISTINCT x_IngestId FROM landing_focus EXCEPT SELECT x_IngestId FROM deliveries "
        "ORDER BY 1").fetchall()]
    if not ids:
        return None
    with transaction(con):
        for ingest_id in ids:
            run(con, "deliveries_slices_insert", {"ingest_id": ingest_id})
            run(con, "deliveries_insert", {
                "ingest_id": ingest_id, "file_name": f"bench-{ingest_id}", "file_path": "bench",
                "sha256": f"bench-{ingest_id}", "focus_version": "1.2", "file_format": "parquet",
                "loaded_by": "bench", "row_count": 0, "dropped_columns": [], "notes": None})
        t0 = time.perf_counter()
        build_groups(con, ids, current_grouping(con))
        seconds = time.perf_counter() - t0
    con.execute("CHECKPOINT")
    return seconds


def move_account(con, resellers: int, customers: int) -> None:
    """Re-import the channel with its first sub-account moving from c00000 to c00001 on the 16th,
    or without the move when the store's configuration has it (so repeated runs alternate)."""
    config, _ = channel(resellers, customers, 2)
    if not run(con, "cfg_dated_mappings"):
        first = config["account_mappings"][0]
        first["to"] = "2026-05-16"
        config["account_mappings"].insert(1, {"provider": "AWS", "sub_account_id": first["sub_account_id"],
                                              "customer": "c00001", "from": "2026-05-16"})
    import_config(con, parse_config(yaml.safe_dump(config, sort_keys=False), source="bench"),
                  imported_by="bench")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=7000)
    ap.add_argument("--resellers", type=int, default=50)
    ap.add_argument("--db", help="store file (default: a temporary folder); an existing one with "
                    "--rows generated rows is reused, so repeated runs skip generation")
    ap.add_argument("--regroup", action="store_true",
                    help="drop the pricing groups first, so the run rebuilds them from every landing row "
                         "(what the first run after a change of the tag rules' keys does)")
    ap.add_argument("--move-account", action="store_true",
                    help="import the channel with one sub-account moving to another customer mid-month "
                         "(or, if it already does, without the move) first: the run regroups only the "
                         "delivery that holds the account")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "bench.duckdb"
        reuse = db.exists()
        con = connect(db)
        t0 = time.perf_counter()
        if reuse and con.execute("SELECT count(*) FROM landing_focus").fetchone()[0] == args.rows:
            print(f"reusing the {args.rows:,} generated rows in {db}", file=sys.stderr)
        else:
            config, mapped = channel(args.resellers, args.customers, 2)
            import_config(con, parse_config(yaml.safe_dump(config, sort_keys=False), source="bench"),
                          imported_by="bench")
            con.execute((ROOT / "bench" / "generate_landing.sql").read_text(),
                        {"rows": args.rows, "subs": mapped + 100, "period": PERIOD})
            con.execute("CHECKPOINT")
        generated = time.perf_counter() - t0
        grouped = settle_deliveries(con)
        if args.regroup:
            con.execute("DELETE FROM landing_groups")   # as after a change of tag rules
        if args.move_account:
            move_account(con, args.resellers, args.customers)

        stages: list[tuple[float, str]] = []
        start = time.perf_counter()
        result = run_billing(con, PERIOD, progress=lambda f, m: stages.append((time.perf_counter() - start, m)))
        elapsed = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ledger_rows = con.execute("SELECT count(*) FROM fct_ledger").fetchone()[0]
        out = {"rows": args.rows, "customers": args.customers, "resellers": args.resellers,
               "status": result.status, "rows_priced": result.rows_priced,
               "rows_unassigned": result.rows_unassigned, "ledger_rows": ledger_rows,
               "invoices": result.invoices_drafted, "seconds": round(elapsed, 2),
               "rows_per_second": round(args.rows / elapsed), "peak_rss_mb": round(peak_mb),
               "generate_seconds": round(generated, 2), "regroup": args.regroup,
               "move_account": args.move_account,
               "ingest_grouping_seconds": round(grouped, 2) if grouped is not None else None,
               "stages": [{"at": round(t, 2), "stage": m} for t, m in stages]}
        con.close()
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"billing run: {out['rows']:,} rows, {out['customers']:,} customers, 2-tier"
              + (" (groups rebuilt from landing rows)" if args.regroup else "")
              + (" (one sub-account's mid-month move toggled)" if args.move_account else ""))
        if grouped is not None:
            print(f"  (ingest-side grouping of the generated deliveries: {grouped:.2f} s)")
        for s in out["stages"]:
            print(f"  {s['at']:>7.2f} s  {s['stage']}")
        print(f"  total {out['seconds']} s = {out['rows_per_second']:,} rows/s; peak RSS {out['peak_rss_mb']} MB; "
              f"{out['ledger_rows']:,} ledger rows; {out['invoices']:,} invoices; status {out['status']}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
