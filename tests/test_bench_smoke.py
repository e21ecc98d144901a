"""Smoke runs of the benchmarks (bench/), so they cannot rot: tiny months, no timing asserted.

What is asserted is what the bench itself relies on: the generator is deterministic for a seed,
every shape bills cleanly in Tierline, and the three homegrown pipelines of bench/baselines.py
produce the same invoice subtotals as Tierline's drafts, to the cent.
"""
from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bench import baselines
from bench.generate import SHAPES, generate

ROOT = Path(__file__).resolve().parent.parent

TINY = {"rows": 12_000, "customers": 24, "resellers": 3}


@pytest.fixture(scope="module")
def months(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bench-months")
    out = {}
    for shape in SHAPES:
        out[shape] = folder / f"{shape}.parquet"
        generate(shape, TINY["rows"], out[shape], seed=3, customers=TINY["customers"], resellers=TINY["resellers"])
    return out


def test_generate_is_deterministic_for_a_seed(tmp_path):
    a, b, c = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"
    generate("resource", 3_000, a, seed=5, customers=10, resellers=2)
    generate("resource", 3_000, b, seed=5, customers=10, resellers=2)
    generate("resource", 3_000, c, seed=6, customers=10, resellers=2)
    assert a.read_bytes() == b.read_bytes()
    assert a.with_suffix(".yaml").read_text() == b.with_suffix(".yaml").read_text()
    assert a.read_bytes() != c.read_bytes()


def test_shapes_have_their_group_sizes(months):
    """resource: ~18 rows per pricing group; scattered: nearly one row per group."""
    import duckdb

    sizes = {}
    for shape, path in months.items():
        rows, groups = duckdb.execute(
            "SELECT count(*), count(DISTINCT (SubAccountId, SkuId, RegionId, ChargeCategory)) "
            "FROM read_parquet(?)", [str(path)]).fetchall()[0]
        assert rows == TINY["rows"]
        sizes[shape] = rows / groups
    assert 12 < sizes["resource"] < 25
    assert sizes["scattered"] < 1.1


@pytest.mark.parametrize("shape", SHAPES)
def test_every_engine_agrees_with_tierline_to_the_cent(months, shape):
    parquet = months[shape]
    channel = baselines.load_channel(parquet.with_suffix(".yaml"))
    tierline = baselines.run_tierline(parquet, parquet.with_suffix(".yaml"), repeat=1)
    assert tierline["status"] == "ok"
    expected = {k: (c, Decimal(t)) for k, (c, t) in tierline["subtotals"].items()}
    # every edge and feature is exercised: both depths, EUR invoices, the platform fee
    assert len(expected) == TINY["customers"] + TINY["resellers"]
    assert {c for c, _ in expected.values()} == {"USD", "EUR"}
    for engine in (baselines.run_duckdb, baselines.run_polars, baselines.run_pandas):
        got = {k: (c, Decimal(t)) for k, (c, t) in engine(parquet, channel).items()}
        assert got == expected, engine.__name__


def test_tier_factor_matches_the_worked_example():
    """docs/pricing.md §5: bands 0: 0 %, 10,000: 2 %, 50,000: 5 %, S = 12,000 → D = 40, t = 11,960 / 12,000."""
    plan = baselines.Plan(rules=[], tier_mode="graduated",
                          bands=[(Decimal("0"), Decimal("0")), (Decimal("10000"), Decimal("2")),
                                 (Decimal("50000"), Decimal("5"))])
    assert baselines.tier_factor(plan, Decimal("12000")) == Decimal("0.996666666667")
    plan.tier_mode = "volume"
    assert baselines.tier_factor(plan, Decimal("12000")) == Decimal("0.980000000000")
    assert baselines.tier_factor(plan, Decimal("-5")) == Decimal("1")


def test_load_channel_refuses_what_the_baselines_do_not_compute(tmp_path, months):
    text = months["resource"].with_suffix(".yaml").read_text()
    dated = tmp_path / "dated.yaml"
    dated.write_text(text.replace("  customer: c00000\n", "  customer: c00000\n  from: '2026-05-10'\n", 1))
    with pytest.raises(ValueError, match=r"account_mappings\[0\]: .*undated sub-account mappings"):
        baselines.load_channel(dated)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=str(ROOT), timeout=300)


def test_baselines_cli_runs_every_engine_and_writes_json(months, tmp_path):
    done = _cli("bench/baselines.py", "--parquet", str(months["resource"]), "--repeat", "1",
                "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "every engine agrees to the cent" in done.stdout
    report = json.loads((tmp_path / "baselines-resource.json").read_text())
    assert report["agree"] and [e["engine"] for e in report["engines"]] == list(baselines.ENGINES)


def test_generate_cli(tmp_path):
    done = _cli("bench/generate.py", "--shape", "scattered", "--rows", "500", "--customers", "6",
                "--resellers", "2", "--out", str(tmp_path / "s.parquet"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"] == 500
    assert (tmp_path / "s.yaml").exists()


def test_billing_bench_smoke(tmp_path):
    done = _cli("bench/billing.py", "--rows", "5000", "--customers", "12", "--resellers", "3",
                "--db", str(tmp_path / "b.duckdb"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "ok"


def test_ingest_bench_smoke(tmp_path):
    done = _cli("bench/ingest.py", "--rows", "2000", "--format", "parquet", "--out", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["rows"] == 2000


def test_portal_bench_smoke(tmp_path):
    """Builds, bills and reads a tiny month through the scoped layer; every read answers."""
    done = _cli("bench/portal.py", "--rows", "6000", "--customers", "12", "--resellers", "3",
                "--samples", "3", "--db", str(tmp_path / "p.duckdb"), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["store"]["billing_status"] == "ok" and report["samples"] == 3
    for who in ("customer", "reseller"):
        assert report[who] and all(t["n"] == 3 for t in report[who].values())


def test_load_bench_smoke(tmp_path):
    """Two real websocket sessions load the Costs page while the app bills the month again; each
    shows its invoice total and no error, and the billing run happened."""
    done = _cli("bench/load.py", "--rows", "4000", "--customers", "8", "--resellers", "2",
                "--sessions", "2", "--loads", "1", "--deadline", "180",
                "--db", str(tmp_path / "l.duckdb"), "--json")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(done.stdout[done.stdout.index("{"):])
    assert report["failed_count"] == 0 and report["billing_runs_during"] >= 1
    assert report["loads"] == 2 and report["reconnects"] >= 0


@pytest.mark.parametrize("timeouts, reconnects", [(0, 0), (2, 2), (4, None)])
def test_load_bench_tries_an_unanswered_handshake_again_as_the_browser_does(monkeypatch, timeouts, reconnects):
    """A handshake the server leaves unanswered is tried again (up to RECONNECTS times), as
    Streamlit's frontend reconnects; past that the load fails with the timeout."""
    import asyncio

    import websockets.asyncio.client

    from bench import load

    calls = []

    async def fake_connect(url, **kwargs):
        calls.append(kwargs["open_timeout"])
        if len(calls) <= timeouts:
            raise TimeoutError("timed out during opening handshake")
        return "connection"

    async def no_wait(seconds):
        return None

    monkeypatch.setattr(websockets.asyncio.client, "connect", fake_connect)
    monkeypatch.setattr(load.asyncio, "sleep", no_wait)
    if reconnects is None:
        with pytest.raises(TimeoutError):
            asyncio.run(load._open("http://127.0.0.1:1", "cookie"))
        assert len(calls) == load.RECONNECTS + 1
    else:
        assert asyncio.run(load._open("http://127.0.0.1:1", "cookie")) == ("connection", reconnects)
    assert set(calls) == {load.HANDSHAKE_TIMEOUT_S}
