"""Parquet's number and date/time columns read in their own type (data.ingest.typed_columns):
the same landed rows, and the same refusals, as when every value goes through its text."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import data.ingest
from data.ingest import IngestError, ingest_file, typed_columns
from data.store import connect
from queries import sql
from tests.conftest import focus_row


@pytest.mark.parametrize("schema, typed", [
    ([("BilledCost", "DECIMAL(18,4)"), ("ServiceName", "VARCHAR")], ["BilledCost"]),
    ([("BilledCost", "DECIMAL(38,10)"), ("x", "VARCHAR")], ["BilledCost"]),
    ([("BilledCost", "DECIMAL(38,11)"), ("x", "VARCHAR")], []),          # finer than the ledger: text
    ([("ListCost", "DOUBLE"), ("x", "VARCHAR")], []),                    # shortest text, as ever
    ([("PricingQuantity", "BIGINT"), ("ConsumedQuantity", "HUGEINT"), ("x", "VARCHAR")],
     ["PricingQuantity", "ConsumedQuantity"]),
    ([("listcost", "DECIMAL(12,2)"), ("x", "VARCHAR")], ["listcost"]),   # names match in any case
    ([("ChargePeriodStart", "TIMESTAMP"), ("ChargePeriodEnd", "TIMESTAMP WITH TIME ZONE"),
      ("BillingPeriodStart", "TIMESTAMP_NS"), ("BillingPeriodEnd", "DATE"), ("x", "VARCHAR")],
     ["ChargePeriodStart", "ChargePeriodEnd"]),
    ([("BillingAccountId", "BIGINT"), ("Tags", "MAP(VARCHAR, VARCHAR)"), ("SkuId", "INTEGER")], []),
    ([("BilledCost", "DECIMAL(18,4)")], []),                             # every column: all text
    ([], []),
])
def test_typed_columns(schema, typed):
    assert typed_columns(schema) == typed


def _table(n: int, **columns: pa.Array) -> pa.Table:
    base = {c: pa.array([v] * n, pa.string()) for c, v in focus_row().items() if v}
    for name in list(base):
        if name.lower() in {c.lower() for c in columns}:
            del base[name]
    return pa.table({**base, **columns})


def _landed(path, tmp_path, name: str, *, as_text: bool, monkeypatch) -> list[tuple]:
    with monkeypatch.context() as patch:
        if as_text:
            patch.setattr(data.ingest, "typed_columns", lambda schema: [])
        con = connect(tmp_path / f"{name}.duckdb")
        try:
            ingest_file(con, path)
            return con.execute("SELECT * EXCLUDE (x_IngestId) FROM landing_focus ORDER BY ALL").fetchall()
        finally:
            con.close()


def _source_types(path, typed: list[str]) -> dict[str, str]:
    """The column types landing_insert reads from `path` (the ingest's macros, as defined for it)."""
    con = duckdb.connect()
    data.ingest._define_macros(con, "parquet", typed)
    rows = con.execute("DESCRIBE SELECT * FROM ingest_src($p, 'none', $t::VARCHAR[])",
                       {"p": str(path), "t": typed}).fetchall()
    return {r[0]: r[1] for r in rows}


def _refusal(path, tmp_path, name: str, *, as_text: bool, monkeypatch) -> str:
    with pytest.raises(IngestError) as err:
        _landed(path, tmp_path, name, as_text=as_text, monkeypatch=monkeypatch)
    return str(err.value)


def test_typed_columns_land_as_their_text_would(tmp_path, monkeypatch):
    n = 4
    berlin = dt.timezone(dt.timedelta(hours=2))
    table = _table(
        n,
        BilledCost=pa.array([Decimal("8.5"), Decimal("-0.0001"), Decimal("0"), Decimal("99999999999999.9999")],
                            pa.decimal128(18, 4)),
        EffectiveCost=pa.array([Decimal("99999999999999.9999999999"), Decimal("-0.0000000001"),
                                Decimal("1.5"), Decimal("0")], pa.decimal128(38, 10)),
        ListCost=pa.array([Decimal("0.123456789012"), Decimal("-0.000000000050"), Decimal("0.000000000049"),
                           Decimal("2")], pa.decimal128(38, 12)),           # finer than the ledger: text
        ContractedCost=pa.array([9, -3, 0, 10**13], pa.int64()),
        ListUnitPrice=pa.array([0.1, 1e-7, 2.5, None], pa.float64()),        # DOUBLE: text
        ContractedUnitPrice=pa.array([None] * n, pa.decimal128(10, 2)),
        consumedquantity=pa.array([1, 2, None, 2**31 - 1], pa.int32()),
        BillingPeriodStart=pa.array([dt.datetime(2026, 5, 1)] * n, pa.timestamp("us")),
        BillingPeriodEnd=pa.array([dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)] * n,
                                  pa.timestamp("ms", tz="UTC")),
        ChargePeriodStart=pa.array([dt.datetime(2026, 5, 1, 2, 30, 15, 123456, tzinfo=berlin)] * n,
                                   pa.timestamp("us", tz="Asia/Kolkata")),
        ChargePeriodEnd=pa.array([1_777_600_800_123_456_789] * n, pa.timestamp("ns")),   # text
    )
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path)
    schema = duckdb.connect().execute(sql("landing_parquet_types"), {"path": str(path)}).fetchall()
    assert set(typed_columns(schema)) == {"BilledCost", "EffectiveCost", "ContractedCost", "ContractedUnitPrice",
                                          "consumedquantity", "BillingPeriodStart", "BillingPeriodEnd",
                                          "ChargePeriodStart"}
    kinds = _source_types(path, typed_columns(schema))
    assert (kinds["BilledCost"], kinds["ChargePeriodStart"], kinds["ListCost"], kinds["ServiceName"]) == (
        "DECIMAL(18,4)", "TIMESTAMP WITH TIME ZONE", "VARCHAR", "VARCHAR")
    assert kinds["CommitmentDiscountQuantity"] == '"NULL"'      # no file brings it
    assert set(_source_types(path, []).values()) <= {"VARCHAR", '"NULL"'}
    typed = _landed(path, tmp_path, "typed", as_text=False, monkeypatch=monkeypatch)
    text = _landed(path, tmp_path, "text", as_text=True, monkeypatch=monkeypatch)
    assert len(typed) == n
    assert typed == text
    con = connect(tmp_path / "typed.duckdb")
    got = con.execute("SELECT max(EffectiveCost), min(ChargePeriodStart), max(ConsumedQuantity) "
                      "FROM landing_focus").fetchone()
    con.close()
    assert got == (Decimal("99999999999999.9999999999"), dt.datetime(2026, 5, 1, 0, 30, 15, 123456),
                   Decimal(2**31 - 1))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scale=st.integers(0, 10), data=st.data())
def test_any_decimal_of_scale_up_to_ten_lands_as_its_text(tmp_path_factory, monkeypatch, scale, data):
    tmp_path = tmp_path_factory.mktemp("dec")
    precision = data.draw(st.integers(max(scale, 1), 24))
    whole = min(precision - scale, 14)                  # a cost stays below 10^14
    values = data.draw(st.lists(st.decimals(min_value=-(10 ** whole) + 1, max_value=10 ** whole - 1,
                                            places=scale, allow_nan=False, allow_infinity=False),
                                min_size=1, max_size=5))
    column = pa.array(values, pa.decimal128(precision, scale))
    path = tmp_path / "dec.parquet"
    pq.write_table(_table(len(values), BilledCost=column, PricingQuantity=column), path)
    typed = _landed(path, tmp_path, "typed", as_text=False, monkeypatch=monkeypatch)
    assert typed == _landed(path, tmp_path, "text", as_text=True, monkeypatch=monkeypatch)


@pytest.mark.parametrize("columns, words", [
    ({"EffectiveCost": pa.array([Decimal(1), Decimal(10**20), Decimal(2)], pa.decimal128(38, 0))},
     ["EffectiveCost", "row 2"]),
    ({"BilledCost": pa.array([Decimal("1.5"), Decimal("2.5"), None], pa.decimal128(12, 2))},
     ["BilledCost", "row 3"]),
    ({"ChargePeriodStart": pa.array([dt.datetime(2026, 5, 1), None, None], pa.timestamp("us"))},
     ["ChargePeriodStart", "row 2"]),
])
def test_a_bad_typed_value_is_refused_as_its_text_would_be(tmp_path, monkeypatch, columns, words):
    path = tmp_path / "bad.parquet"
    pq.write_table(_table(3, **columns), path)
    typed = _refusal(path, tmp_path, "typed", as_text=False, monkeypatch=monkeypatch)
    assert typed == _refusal(path, tmp_path, "text", as_text=True, monkeypatch=monkeypatch)
    assert all(w in typed for w in words), typed
    assert "Nothing was stored" in typed


def test_a_file_of_numbers_only_is_refused_for_its_header(tmp_path, monkeypatch):
    path = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"BilledCost": pa.array([Decimal("1.5")], pa.decimal128(12, 2))}), path)
    message = _refusal(path, tmp_path, "numbers", as_text=False, monkeypatch=monkeypatch)
    assert "missing mandatory FOCUS columns" in message
