"""Load benchmark: concurrent signed-in portal sessions against the real app while it runs a
billing run of the same month (issue #16's concurrency target).

    python bench/load.py                         # 10,000,000-row month, 20 sessions, 5 loads each
    python bench/load.py --rows 200000 --sessions 5 --loads 3 --json

What it does, all on 127.0.0.1 and bounded in count and time (--deadline seconds):
1. builds and bills a generated month (bench/portal.py's store; reused with --db) and adds one
   customer user per sampled customer to its configuration;
2. notes each sampled customer's invoice total as the scoped layer reports it, and writes a small
   FOCUS file of the same period for a billing account nobody is mapped to (so a new run must
   price the whole month again and change no customer's total);
3. starts the app (`streamlit run app.py`, the inbox poller on) and opens --sessions real
   websocket sessions, each signed in with its own session cookie, as a browser would
   (Streamlit's protobuf messages over /_stcore/stream);
4. drops the file into the inbox: the app ingests it and re-runs billing for the month in its own
   process, while every session loads the Costs page --loads times;
5. reports per page load the seconds until the script finished, and checks every load: no
   exception or error shown, and the customer's invoice total on the page. A handshake the
   server does not answer within 15 s is tried again, as Streamlit's frontend does (the user
   sees "Connecting", not an error); the report counts those.
Exit status 1 when any load failed or the billing run did not happen.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import BENCH_SALT, PERIOD  # noqa: E402
from bench.portal import build_store, sample_edges  # noqa: E402

COOKIE_KEY = "load-bench-only-" + "k" * 48       # this run's own server: never a real key
PASSWORD = b"load-bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(db: Path, customers: list[str]) -> tuple[dict[str, str], Path]:
    """Add a customer user per customer; return each one's expected total as the Costs page
    formats it, and a FOCUS file of the period for an unmapped billing account."""
    import bcrypt

    from components.money import fmt
    from data.config import current_config, import_config
    from data.config.validate import _validate_data
    from data.store import connect
    from queries import scope as s
    from queries import sql

    con = connect(db)
    try:
        data = current_config(con).to_data()
        have = {u["username"] for u in data.get("users", [])}
        digest = bcrypt.hashpw(PASSWORD, BENCH_SALT).decode()
        for c in customers:
            if f"load-{c}" not in have:
                data["users"].append({"username": f"load-{c}", "name": f"Load {c}", "org": c,
                                      "roles": ["customer"], "password_hash": digest})
        import_config(con, _validate_data(data, {}, [], "load"), imported_by="bench")
        expected = {}
        for c in customers:
            sc = s.scope_for_user(con, f"load-{c}")
            summary = s.customer_summary(con, sc, c, PERIOD)
            expected[c] = fmt(summary["total"], summary["currency"])
        trigger = db.with_name("load-trigger.parquet")
        con.sql(sql("landing_bench_load_trigger"), params={"period": PERIOD}).write_parquet(str(trigger))
    finally:
        con.close()
    return expected, trigger


def session_cookie(username: str) -> str:
    """A session token as the app signs it (HS256 JWT: username, exp_date)."""
    import jwt

    return jwt.encode({"username": username, "exp_date": time.time() + 3600}, COOKIE_KEY,
                      algorithm="HS256")


def _texts(element: Any) -> list[str]:
    kind = element.WhichOneof("type")
    if kind == "metric":
        return [element.metric.label, element.metric.body]
    if kind == "markdown":
        return [element.markdown.body]
    if kind == "heading":
        return [element.heading.body]
    if kind == "alert":
        return [element.alert.body]
    return []


#: What Streamlit's own frontend does when the server does not answer a websocket handshake:
#: it gives up after 15 s and connects again (WebsocketConnection: CONNECTION_TIMED_OUT → ping →
#: reconnect), showing "Connecting" meanwhile, not an error. The bench does the same, up to
#: RECONNECTS times, and reports how many loads needed it.
HANDSHAKE_TIMEOUT_S = 15.0
RECONNECTS = 3


async def _open(url: str, cookie: str):
    """A websocket session as the browser opens it: (connection, reconnects it took)."""
    from websockets.asyncio.client import connect

    from components.auth import COOKIE_NAME

    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    for attempt in range(RECONNECTS + 1):
        try:
            ws = await connect(ws_url, subprotocols=["streamlit"], origin=url,
                               additional_headers={"Cookie": f"{COOKIE_NAME}={cookie}"},
                               max_size=None, open_timeout=HANDSHAKE_TIMEOUT_S)
            return ws, attempt
        except TimeoutError:
            if attempt == RECONNECTS:
                raise
            await asyncio.sleep(1.0)


async def load_page(url: str, cookie: str, page: str, query: str) -> dict:
    """One page load over a fresh websocket session: the seconds until the script finished
    (reconnects included), the page's text, any exception or error alert it showed, and how many
    times the handshake had to be tried again (`_open`)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    started = time.perf_counter()
    texts, errors = [], []
    ws, reconnects = await _open(url, cookie)
    async with ws:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        msg.rerun_script.context_info.url = f"{url}/{page}"
        await ws.send(msg.SerializeToString())
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await ws.recv())
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                if element.WhichOneof("type") == "exception":
                    errors.append(element.exception.message)
                elif element.WhichOneof("type") == "alert" and element.alert.format == 1:  # ERROR
                    errors.append(element.alert.body)
                texts.extend(_texts(element))
            elif kind == "script_finished" and \
                    fwd.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                break
    return {"seconds": time.perf_counter() - started, "texts": texts, "errors": errors,
            "reconnects": reconnects}


async def drive(url: str, expected: dict[str, str], loads: int, deadline: float) -> list[dict]:
    """Every customer's session loads the Costs page `loads` times, all sessions at once."""
    async def one(customer: str) -> list[dict]:
        cookie = session_cookie(f"load-{customer}")
        out = []
        for n in range(loads):
            if time.monotonic() > deadline:
                out.append({"customer": customer, "load": n, "ok": False, "why": "deadline"})
                break
            try:
                got = await asyncio.wait_for(load_page(url, cookie, "Costs", ""), timeout=120)
            except Exception as exc:                       # a failed load is a result, not a crash
                out.append({"customer": customer, "load": n, "ok": False, "why": repr(exc)})
                continue
            shows = any(expected[customer] in t for t in got["texts"])
            out.append({"customer": customer, "load": n, "seconds": got["seconds"],
                        "reconnects": got["reconnects"], "ok": shows and not got["errors"],
                        "why": "; ".join(got["errors"]) or (None if shows else
                                                             f"total {expected[customer]} not shown")})
        return out

    results = await asyncio.gather(*(one(c) for c in expected))
    return [r for rs in results for r in rs]


def _wait_healthy(url: str, proc: subprocess.Popen, until: float) -> None:
    import urllib.request

    while time.monotonic() < until:
        if proc.poll() is not None:
            raise RuntimeError("the app exited while starting")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the app did not become healthy in time")


def billing_runs(db: Path) -> int:
    from data.store import connect
    from queries import run

    con = connect(db, read_only=True)
    try:
        return run(con, "landing_bench_runs", {"period": PERIOD})[0][0]
    finally:
        con.close()


def bench(db: Path, *, rows: int, sessions: int, loads: int, deadline_s: float, seed: int,
          customers: int, resellers: int) -> dict:
    built = build_store(db, rows, "resource", seed, customers, resellers)
    from data.store import connect

    con = connect(db, read_only=True)
    try:
        picked = sorted({c for _, c in sample_edges(con, sessions, seed)})
    finally:
        con.close()
    expected, trigger = prepare(db, picked)
    runs_before = billing_runs(db)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    inbox = db.parent / "inbox"
    inbox.mkdir(exist_ok=True)
    env = {**os.environ, "TIERLINE_DB": str(db), "TIERLINE_COOKIE_KEY": COOKIE_KEY,
           "TIERLINE_INBOX_POLL_SECONDS": "1"}
    log = db.with_name("load-server.log")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(url, proc, time.monotonic() + 90)
        deadline = time.monotonic() + deadline_s
        asyncio.run(drive(url, {c: expected[c] for c in picked[:1]}, 1, deadline))   # warm the app
        shutil.copy(trigger, inbox / trigger.name)            # the app ingests it and bills again
        started = time.perf_counter()
        results = asyncio.run(drive(url, expected, loads, deadline))
        wall = time.perf_counter() - started
        # let the run finish before the store is read again (bounded by the deadline)
        while (inbox / trigger.name).exists() and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(2)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    runs_after = billing_runs(db)
    seconds = sorted(r["seconds"] for r in results if "seconds" in r)
    p95 = seconds[min(len(seconds) - 1, max(0, round(0.95 * len(seconds)) - 1))] if seconds else None
    failed = [r for r in results if not r["ok"]]
    return {"rows": rows, "sessions": len(expected), "loads": len(results), "store": built,
            "wall_seconds": round(wall, 2), "billing_runs_during": runs_after - runs_before,
            "page_p50_s": round(statistics.median(seconds), 3) if seconds else None,
            "page_p95_s": round(p95, 3) if p95 is not None else None,
            "page_max_s": round(seconds[-1], 3) if seconds else None,
            "reconnects": sum(r.get("reconnects", 0) for r in results),
            "failed": failed[:10], "failed_count": len(failed), "server_log": str(log)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=7000)
    ap.add_argument("--resellers", type=int, default=50)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--loads", type=int, default=5, help="page loads per session")
    ap.add_argument("--deadline", type=float, default=600, help="stop loading after this many seconds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", type=Path, help="store to build or reuse (default: a temporary one)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 50 or not 1 <= args.loads <= 50:
        ap.error("--sessions and --loads must be between 1 and 50")
    tmp = None
    if args.db is None:
        import tempfile

        tmp = tempfile.TemporaryDirectory(prefix="tierline-load-")
        args.db = Path(tmp.name) / "load.duckdb"
    report = bench(args.db, rows=args.rows, sessions=args.sessions, loads=args.loads,
                   deadline_s=args.deadline, seed=args.seed, customers=args.customers,
                   resellers=args.resellers)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print(f"{report['sessions']} sessions × {args.loads} loads of Costs during a billing run of "
              f"{report['rows']:,} rows: p50 {report['page_p50_s']} s, p95 {report['page_p95_s']} s, "
              f"max {report['page_max_s']} s; billing runs during: {report['billing_runs_during']}; "
              f"handshakes tried again (as the browser does after {HANDSHAKE_TIMEOUT_S:.0f} s): "
              f"{report['reconnects']}; failed loads: {report['failed_count']}")
        for f in report["failed"]:
            print("  failed:", f)
    return 0 if report["failed_count"] == 0 and report["billing_runs_during"] >= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
