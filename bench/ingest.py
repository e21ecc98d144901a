"""Ingest benchmark: generate a FOCUS file with DuckDB, ingest it into a fresh temporary store.

    .venv/bin/python bench/ingest.py                       # 10,000,000 rows, CSV and Parquet
    .venv/bin/python bench/ingest.py --rows 1000000 --format csv.gz --json

Rows come from queries/landing/landing_bench_rows.sql (FOCUS 1.2, 54 columns, ~570 bytes a CSV row).
Generated files are kept in bench/out/ and reused by later runs with the same row count
(--fresh regenerates). Each ingest runs in its own child process, so "peak MB" (ru_maxrss) is the
ingest's own peak, and "CPU s" (user + system) is shown beside wall time: on a shared machine the
wall time depends on the neighbours, the CPU time much less.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FORMATS = ("csv", "csv.gz", "parquet")


def generate(rows: int, fmt: str, out_dir: Path, fresh: bool) -> tuple[Path, float]:
    """The bench file for (rows, fmt), generated unless already there. Returns (path, seconds)."""
    import duckdb

    from queries import sql

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"focus_bench_{rows}.{fmt}"
    if path.exists() and not fresh:
        return path, 0.0
    tmp = path.with_name(".tmp-" + path.name)
    started = time.perf_counter()
    con = duckdb.connect()
    rel = con.sql(sql("landing_bench_rows"), params={"rows": rows})
    if fmt == "parquet":
        rel.to_parquet(str(tmp), compression="zstd")
    else:
        rel.write_csv(str(tmp), header=True, compression="gzip" if fmt == "csv.gz" else None)
    con.close()
    tmp.replace(path)
    return path, time.perf_counter() - started


def ingest_once(path: Path) -> dict:
    """Ingest `path` into a fresh store in a temporary folder (run in the child process)."""
    from data.ingest import ingest_file
    from data.store import connect
    from queries import sql

    with tempfile.TemporaryDirectory(prefix="tierline-bench-") as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        result = ingest_file(con, path, loaded_by="bench")
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        stored, threads = con.execute(sql("landing_bench_info")).fetchone()
        con.close()
        db_mb = round((Path(tmp) / "bench.duckdb").stat().st_size / 2**20, 1)
    return {
        "rows": result.rows,
        "stored": stored,
        "seconds": round(seconds, 2),
        "cpu_seconds": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2),
        "peak_mb": round(after.ru_maxrss / 1024, 1),     # Linux: KiB
        "threads": threads,
        "status": result.status,
        "db_mb": db_mb,
    }


def run(rows: int, formats: list[str], out_dir: Path, fresh: bool) -> list[dict]:
    report = []
    for fmt in formats:
        path, gen_seconds = generate(rows, fmt, out_dir, fresh)
        child = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(path)],
                               capture_output=True, text=True, cwd=str(ROOT))
        if child.returncode != 0:
            raise SystemExit(f"ingest of {path} failed:\n{child.stderr.strip()}")
        m = json.loads(child.stdout.strip().splitlines()[-1])
        if m["stored"] != rows:
            raise SystemExit(f"{path}: expected {rows} rows in the store, found {m['stored']}")
        report.append({
            "format": fmt,
            "rows": rows,
            "file_mb": round(path.stat().st_size / 2**20, 1),
            "generate_seconds": round(gen_seconds, 2),
            "ingest_seconds": m["seconds"],
            "rows_per_second": round(rows / m["seconds"]) if m["seconds"] else None,
            "rows_per_minute": round(60 * rows / m["seconds"]) if m["seconds"] else None,
            "cpu_seconds": m["cpu_seconds"],
            "peak_mb": m["peak_mb"],
            "store_mb": m["db_mb"],
            "threads": m["threads"],
            "cpu_count": os.cpu_count(),
        })
    return report


def table(report: list[dict]) -> str:
    head = f"{'format':<8} {'rows':>12} {'file MB':>9} {'ingest s':>9} {'rows/s':>11} {'CPU s':>8} {'peak MB':>9}"
    lines = [head, "-" * len(head)]
    for r in report:
        lines.append(f"{r['format']:<8} {r['rows']:>12,} {r['file_mb']:>9,.1f} {r['ingest_seconds']:>9.2f} "
                     f"{r['rows_per_second']:>11,} {r['cpu_seconds']:>8.2f} {r['peak_mb']:>9,.0f}")
    lines.append(f"(DuckDB threads: {report[0]['threads']}, CPUs: {report[0]['cpu_count']})" if report else "")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows to generate (default 10,000,000)")
    ap.add_argument("--format", action="append", choices=FORMATS + ("all",),
                    help="file format to benchmark; repeatable (default: csv and parquet)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="where generated files go")
    ap.add_argument("--fresh", action="store_true", help="regenerate the file even if it exists")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)   # internal: ingest one file, print JSON
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(ingest_once(args.worker)))
        return 0
    if args.rows <= 0:
        ap.error("--rows must be positive")
    formats = args.format or ["csv", "parquet"]
    if "all" in formats:
        formats = list(FORMATS)
    report = run(args.rows, list(dict.fromkeys(formats)), args.out, args.fresh)
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
