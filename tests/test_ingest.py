"""FOCUS ingest (data/ingest.py) and the inbox (data/inbox.py)."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.inbox import failed_files, process_inbox
from data.ingest import CANONICAL_COLUMNS, IngestError, detect_version, ingest_file, ingest_paths, list_deliveries
from pricing.money import ledger
from tests.conftest import FOCUS_12_COLUMNS, focus_row

MONEY = ("ListCost", "BilledCost", "EffectiveCost", "ContractedCost")


def counts(con) -> tuple[int, int, int]:
    """(landing rows, deliveries, delivery slices) in the store."""
    return con.execute("SELECT (SELECT count(*) FROM landing_focus), (SELECT count(*) FROM deliveries), "
                       "(SELECT count(*) FROM delivery_slices)").fetchone()


def totals(con, ingest_id=None) -> dict[str, dict[str, Decimal]]:
    where = "" if ingest_id is None else f"WHERE x_IngestId = {int(ingest_id)}"
    out = {}
    for ccy, *sums in con.execute(
            f"SELECT BillingCurrency, {', '.join(f'sum({m})' for m in MONEY)} FROM landing_focus {where} "
            "GROUP BY 1").fetchall():
        out[ccy] = dict(zip(MONEY, sums))
    return out


# ---- loading and typing ---------------------------------------------------------------------

def test_canonical_columns_are_the_landing_table(store):
    cols = [r[0] for r in store.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'landing_focus' "
        "ORDER BY ordinal_position").fetchall()]
    assert tuple(c for c in cols if not c.startswith("x_")) == CANONICAL_COLUMNS


def test_csv_loads_typed_rows(store, focus_csv):
    path = focus_csv([
        focus_row(BilledCost="0.1234567891", ListCost="1e-3", SubAccountId="012345678901", ChargeClass=""),
        focus_row(BillingAccountId="100000000002", BilledCost="-7", ChargeCategory="Credit", Tags=""),
    ])
    r = ingest_file(store, path, loaded_by="alice")
    assert (r.status, r.rows, r.focus_version, r.replaced_ingest_ids) == ("loaded", 2, "1.2", ())
    assert r.periods == (dt.date(2026, 5, 1),)
    rows = store.execute(
        "SELECT BillingAccountId, SubAccountId, BilledCost, ListCost, ChargeClass, Tags, BillingPeriodStart, "
        "x_Period, x_IngestId, x_SourceFile, typeof(BilledCost), typeof(BillingAccountId) "
        "FROM landing_focus ORDER BY BillingAccountId").fetchall()
    assert rows[0][:6] == ("100000000001", "012345678901", Decimal("0.1234567891"), Decimal("0.001"), None,
                           '{"team":"a"}')
    assert rows[0][6:10] == (dt.datetime(2026, 5, 1), dt.date(2026, 5, 1), r.ingest_id, path.name)
    assert rows[0][10:] == ("DECIMAL(38,10)", "VARCHAR")
    assert rows[1][0] == "100000000002" and rows[1][2] == Decimal("-7") and rows[1][5] is None
    d = store.execute("SELECT file_name, file_format, focus_version, row_count, loaded_by FROM deliveries").fetchall()
    assert d == [(path.name, "csv", "1.2", 2, "alice")]


def test_gzip_and_parquet_give_the_same_rows(store, focus_csv, tmp_path):
    rows = [focus_row(BilledCost=f"{i}.0000000001", ResourceId=f"r{i}") for i in range(50)]
    plain = focus_csv(rows, name="a.csv")
    gz = focus_csv(rows, name="b.csv.gz")
    table = pa.table({c: pa.array([r[c] or None for r in rows], pa.string()) for c in FOCUS_12_COLUMNS})
    parquet = tmp_path / "c.parquet"
    pq.write_table(table, parquet)
    results = [ingest_file(store, p) for p in (plain, gz, parquet)]
    assert [r.status for r in results] == ["loaded", "replaced", "replaced"]
    assert store.execute("SELECT file_format FROM deliveries ORDER BY x_IngestId").fetchall() == [
        ("csv",), ("csv.gz",), ("parquet",)]
    assert totals(store) == {"USD": {"ListCost": Decimal("500"), "BilledCost": Decimal("1225.0000000050"),
                                     "EffectiveCost": Decimal("425"), "ContractedCost": Decimal("450")}}


def test_typed_parquet_columns_are_normalised(store, tmp_path):
    """Providers' Parquet has BIGINT ids, DOUBLE money, TIMESTAMPTZ and a MAP of tags."""
    n = 3
    base = {c: pa.array([v] * n, pa.string()) for c, v in focus_row().items() if v}
    base["BillingAccountId"] = pa.array([100000000001] * n, pa.int64())
    base["BilledCost"] = pa.array([0.1, 0.2, 1e-7], pa.float64())
    base["ListCost"] = pa.array([Decimal("1.10"), Decimal("2.20"), Decimal("3.30")], pa.decimal128(12, 2))
    stamp = dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    base["ChargePeriodStart"] = pa.array([stamp] * n, pa.timestamp("us", tz="Europe/Berlin"))
    base["BillingPeriodStart"] = pa.array([dt.datetime(2026, 5, 1)] * n, pa.timestamp("us"))
    base["Tags"] = pa.array([[("team", "a")]] * n, pa.map_(pa.string(), pa.string()))
    path = tmp_path / "typed.parquet"
    pq.write_table(pa.table(base), path)
    ingest_file(store, path)
    got = store.execute("SELECT BillingAccountId, BilledCost, ListCost, ChargePeriodStart, BillingPeriodStart, Tags "
                        "FROM landing_focus ORDER BY BilledCost").fetchall()
    assert [g[1] for g in got] == [Decimal("0.0000001"), Decimal("0.1"), Decimal("0.2")]
    assert got[0][0] == "100000000001"
    assert sorted(g[2] for g in got) == [Decimal("1.1"), Decimal("2.2"), Decimal("3.3")]
    assert got[0][3] == dt.datetime(2026, 5, 1, 0, 0)       # 02:00+02:00 → 00:00 UTC
    assert got[0][4] == dt.datetime(2026, 5, 1)
    assert json.loads(got[0][5]) == {"team": "a"}


SET_ZONE = {  # SET takes no parameters: one fixed statement per zone
    "UTC": "SET TimeZone = 'UTC'",
    "America/New_York": "SET TimeZone = 'America/New_York'",
    "Asia/Kolkata": "SET TimeZone = 'Asia/Kolkata'",
}


@pytest.mark.parametrize("session_tz", sorted(SET_ZONE))
def test_timestamps_become_naive_utc_whatever_the_session_zone(store, focus_csv, session_tz):
    store.execute(SET_ZONE[session_tz])
    stamps = ["2026-05-01T10:00:00Z", "2026-05-01T12:00:00+02:00", "2026-05-01T05:00:00-0500",
              "2026-05-01 10:00:00", "2026-05-01T10:00:00.000Z", "2026-05-01T15:30:00+05:30"]
    ingest_file(store, focus_csv([focus_row(ChargePeriodStart=s, ResourceId=s) for s in stamps]))
    got = {r[0] for r in store.execute("SELECT ChargePeriodStart FROM landing_focus").fetchall()}
    assert got == {dt.datetime(2026, 5, 1, 10, 0)}
    period = store.execute("SELECT DISTINCT BillingPeriodStart, x_Period FROM landing_focus").fetchall()
    assert period == [(dt.datetime(2026, 5, 1), dt.date(2026, 5, 1))]


def test_billing_period_date_only_and_month_of_x_period(store, focus_csv):
    ingest_file(store, focus_csv([focus_row(BillingPeriodStart="2026-02-01", BillingPeriodEnd="2026-03-01")]))
    assert store.execute("SELECT x_Period FROM landing_focus").fetchone()[0] == dt.date(2026, 2, 1)


# ---- versions, provider names, extra columns -------------------------------------------------

V10 = ["ProviderName", "PublisherName", "InvoiceIssuerName", "BillingAccountId", "BillingCurrency",
       "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory",
       "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ServiceName", "ServiceCategory"]
V11 = V10 + ["SkuMeter", "ServiceSubcategory", "CommitmentDiscountQuantity"]
V12 = V11 + ["InvoiceId", "PricingCurrency", "BillingAccountType"]
V13 = V12 + ["ServiceProviderName", "HostProviderName"]


@pytest.mark.parametrize("columns, version", [(V10, "1.0"), (V11, "1.1"), (V12, "1.2"), (V13, "1.3"),
                                              (V10 + ["InvoiceId"], "1.2"), (V10 + ["SkuMeter"], "1.1")])
def test_version_from_header(store, focus_csv, columns, version):
    assert detect_version(columns) == version
    row = focus_row(ServiceProviderName="AWS", HostProviderName="AWS", CommitmentDiscountQuantity="")
    r = ingest_file(store, focus_csv([row], columns=columns))
    assert r.focus_version == version
    assert store.execute("SELECT focus_version FROM deliveries").fetchone()[0] == version


def test_provider_names_fill_each_other(store, focus_csv):
    old = focus_csv([focus_row(BillingAccountId="A")], name="old.csv", columns=V12)        # 1.2: no 1.3 columns
    new = focus_csv([focus_row(BillingAccountId="B", ServiceProviderName="Microsoft", HostProviderName="Contoso")],
                    name="new.csv", columns=[c for c in V13 if c not in ("ProviderName", "PublisherName")])
    ingest_file(store, old)
    r = ingest_file(store, new)
    assert any("ProviderName filled from ServiceProviderName" in n for n in r.notices)
    got = store.execute("SELECT BillingAccountId, ProviderName, ServiceProviderName, PublisherName, HostProviderName "
                        "FROM landing_focus ORDER BY 1").fetchall()
    assert got == [("A", "AWS", "AWS", "AWS", "AWS"), ("B", "Microsoft", "Microsoft", "Contoso", "Contoso")]


def test_extra_columns_go_to_x_extra(store, focus_csv):
    row = focus_row(x_Discount="3", SkuPriceDetails='{"a":1}', weird_Col="")
    r = ingest_file(store, focus_csv([row], columns=V12 + ["x_Discount", "SkuPriceDetails", "weird_Col"]))
    assert any("x_Discount, SkuPriceDetails, weird_Col" in n for n in r.notices)
    assert store.execute("SELECT dropped_columns FROM deliveries").fetchone()[0] == [
        "x_Discount", "SkuPriceDetails", "weird_Col"]
    extra = json.loads(store.execute("SELECT x_Extra FROM landing_focus").fetchone()[0])
    assert extra == {"x_Discount": "3", "SkuPriceDetails": '{"a":1}', "weird_Col": None}
    r2 = ingest_file(store, focus_csv([focus_row(BillingAccountId="9")], name="plain.csv", columns=V12))
    assert store.execute("SELECT x_Extra FROM landing_focus WHERE x_IngestId = ?", [r2.ingest_id]).fetchone() == (None,)


def test_header_names_match_case_insensitively(store, focus_csv):
    row = {c.lower(): v for c, v in focus_row().items()}
    ingest_file(store, focus_csv([row], columns=[c.lower() for c in FOCUS_12_COLUMNS]))
    assert store.execute("SELECT BilledCost, BillingAccountId FROM landing_focus").fetchone() == (
        Decimal("8.5"), "100000000001")


def test_bom_crlf_and_quoted_fields(store, tmp_path):
    row = focus_row(ChargeDescription='EC2, "on demand"\nsecond line', BilledCost="1.5")
    text = ",".join(FOCUS_12_COLUMNS) + "\r\n" + ",".join(
        '"' + v.replace('"', '""') + '"' if any(ch in v for ch in ',"\n') else v for v in row.values()) + "\r\n"
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    ingest_file(store, path)
    assert store.execute("SELECT ProviderName, ChargeDescription, BilledCost FROM landing_focus").fetchone() == (
        "AWS", 'EC2, "on demand"\nsecond line', Decimal("1.5"))


def test_file_paths_are_bound_not_spliced(store, focus_csv):
    path = focus_csv([focus_row()], name="it's; DROP TABLE deliveries; --'.csv")
    assert ingest_file(store, path).status == "loaded"
    assert counts(store) == (1, 1, 1)


# ---- bad input: one clear message, nothing stored --------------------------------------------

@pytest.mark.parametrize("override, words", [
    ({"BilledCost": "12,50"}, ["column BilledCost", "not a decimal number", "row 3", "'12,50'"]),
    ({"ListUnitPrice": "n/a"}, ["column ListUnitPrice", "not a decimal number", "row 3", "'n/a'"]),
    ({"ChargePeriodStart": "05/01/2026"}, ["column ChargePeriodStart", "date/time", "row 3", "'05/01/2026'"]),
    ({"BillingPeriodStart": "2026-13-01T00:00:00Z"}, ["column BillingPeriodStart", "row 3"]),
    ({"ChargeCategory": "Refund"}, ["column ChargeCategory", "'Refund'", "row 3", "Usage, Purchase, Tax"]),
    ({"ChargeCategory": "usage"}, ["column ChargeCategory", "'usage'", "row 3"]),
    ({"BillingCurrency": "XYZ"}, ["column BillingCurrency", "ISO 4217", "row 3", "'XYZ'"]),
    ({"PricingCurrency": "usd"}, ["column PricingCurrency", "ISO 4217", "row 3", "'usd'"]),
    ({"Tags": "{team: a"}, ["column Tags", "JSON", "row 3"]),
    ({"BilledCost": ""}, ["column BilledCost", "empty", "row 3"]),
    ({"ServiceName": ""}, ["column ServiceName", "empty", "row 3"]),
    ({"ProviderName": ""}, ["column ProviderName", "empty", "row 3"]),
])
def test_bad_values_name_file_column_row_and_value(store, focus_csv, override, words):
    ok = ingest_file(store, focus_csv([focus_row(BillingAccountId="1")], name="good.csv"))
    before = counts(store)
    rows = [focus_row(BillingAccountId="1"), focus_row(BillingAccountId="1"), focus_row(**override),
            focus_row(**override)]
    path = focus_csv(rows, name="bad.csv")
    with pytest.raises(IngestError) as info:
        ingest_file(store, path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    for word in words:
        assert word in message, message
    assert "2 rows affected" in message and "Nothing was stored" in message
    assert counts(store) == before                     # the earlier delivery is untouched
    assert totals(store) == totals(store, ok.ingest_id)


def test_missing_mandatory_columns(store, focus_csv):
    path = focus_csv([focus_row()], columns=[c for c in FOCUS_12_COLUMNS if c not in ("ListCost", "ChargeCategory")])
    with pytest.raises(IngestError, match=r"focus\.csv: missing mandatory FOCUS columns ChargeCategory, ListCost"):
        ingest_file(store, path)
    assert counts(store) == (0, 0, 0)


def test_contract_commitment_file_is_refused_clearly(store, tmp_path):
    path = tmp_path / "focus_1_3_contract_commitment_aws.csv"
    path.write_text("ContractCommitmentId,ContractCommitmentCost,BillingCurrency\nC-1,10,USD\n")
    with pytest.raises(IngestError, match="Contract Commitment dataset"):
        ingest_file(store, path)


@pytest.mark.parametrize("name, content, words", [
    ("empty.csv", b"", ["empty.csv", "empty"]),
    ("blank.csv", b"\n\n", ["blank.csv", "empty"]),
    ("header.csv", (",".join(FOCUS_12_COLUMNS) + "\n").encode(), ["header.csv", "no data rows"]),
    ("empty.csv.gz", gzip.compress(b"", mtime=0), ["empty.csv.gz", "empty"]),   # mtime 0: the same test id in every worker
    ("bill.xlsx", b"PK\x03\x04rest", ["bill.xlsx", "expected .csv, .csv.gz or .parquet"]),
    ("bill.csv", b"PK\x03\x04\x00\x00garbage", ["bill.csv", "ZIP/Excel"]),
    ("noise.csv", bytes(range(256)) * 20, ["noise.csv", "binary data"]),
    ("utf16.csv", "ProviderName,BilledCost\n".encode("utf-16"), ["utf16.csv", "UTF-16"]),
    ("noise.parquet", b"\x00\x01garbage bytes", ["noise.parquet", "not a Parquet file"]),
    ("trunc.parquet", b"PAR1" + b"\x00" * 100, ["trunc.parquet", "could not be read as Parquet"]),
    ("noise.csv.gz", b"\x1f\x8b\x08\x00garbage", ["noise.csv.gz", "not a valid gzip file"]),
    ("plain.csv.gz", b"a,b\n1,2\n", ["plain.csv.gz", "not gzip-compressed"]),
    ("semi.csv", b"ProviderName;BilledCost;ListCost\nAWS;1;2\n", ["semi.csv", "comma-separated"]),
    ("latin1.csv", (",".join(FOCUS_12_COLUMNS) + "\n").encode() + ",".join(
        focus_row(ChargeDescription="caf\xe9").values()).encode("latin-1") + b"\n", ["latin1.csv", "UTF-8"]),
])
def test_unreadable_files(store, tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        ingest_file(store, path)
    for word in words:
        assert word in str(info.value), str(info.value)
    assert counts(store) == (0, 0, 0)


def test_malformed_csv_row_deep_in_the_file(store, focus_csv):
    path = focus_csv(3000)
    with path.open("a") as fh:
        fh.write("AWS,too,few,fields\n")
    with pytest.raises(IngestError) as info:
        ingest_file(store, path)
    assert str(path) in str(info.value) and "CSV" in str(info.value)
    assert counts(store) == (0, 0, 0)


def test_bad_value_on_the_last_of_many_rows(store, focus_csv):
    rows = [focus_row(ResourceId=f"r{i}") for i in range(20_000)] + [focus_row(EffectiveCost="1.2.3")]
    with pytest.raises(IngestError, match=r"column EffectiveCost is not a decimal number in row 20,001: '1\.2\.3'"):
        ingest_file(store, focus_csv(rows))
    assert counts(store) == (0, 0, 0)


def test_missing_path(store, tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        ingest_file(store, tmp_path / "nope.csv")


# ---- hash and re-delivery --------------------------------------------------------------------

def test_same_content_is_already_loaded(store, focus_csv, tmp_path):
    path = focus_csv(3)
    first = ingest_file(store, path)
    state = counts(store)
    again = ingest_file(store, path)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    renamed = ingest_file(store, copy)
    for r in (again, renamed):
        assert (r.status, r.ingest_id, r.rows, r.focus_version) == ("already_loaded", first.ingest_id, 3, "1.2")
        assert r.periods == ()
    assert counts(store) == state


def test_each_load_is_audited_and_a_refused_file_is_not(store, focus_csv):
    a = ingest_file(store, focus_csv(2, name="may-v1.csv"), loaded_by="alice")
    b = ingest_file(store, focus_csv(3, name="may-v2.csv"), loaded_by="inbox")
    ingest_file(store, focus_csv(3, name="may-v2-again.csv"), loaded_by="bob")           # same bytes
    with pytest.raises(IngestError):
        ingest_file(store, focus_csv([focus_row(BilledCost="ten")], name="bad.csv"), loaded_by="carol")
    got = store.execute("SELECT username, action, target, detail FROM audit_log ORDER BY logged_at, target").fetchall()
    assert got == [
        ("alice", "ingest", "may-v1.csv", f"delivery {a.ingest_id}: 2 rows, FOCUS 1.2"),
        ("inbox", "ingest", "may-v2.csv", f"delivery {b.ingest_id}: 3 rows, FOCUS 1.2; "
                                          f"replaced deliveries {a.ingest_id}"),
    ]


def test_redelivery_replaces_slices_atomically(store, focus_csv):
    a = ingest_file(store, focus_csv([
        focus_row(BillingAccountId="1", BilledCost="10"), focus_row(BillingAccountId="1", BilledCost="5"),
        focus_row(BillingAccountId="2", BilledCost="7"),
        focus_row(BillingAccountId="1", BilledCost="3", BillingPeriodStart="2026-04-01T00:00:00Z",
                  BillingPeriodEnd="2026-05-01T00:00:00Z"),
    ], name="may-v1.csv"))
    b = ingest_file(store, focus_csv([focus_row(BillingAccountId="1", BilledCost="11")], name="may-v2.csv"))
    assert (b.status, b.replaced_ingest_ids, b.periods) == ("replaced", (a.ingest_id,), (dt.date(2026, 5, 1),))
    assert any("replaced AWS 1 2026-05 (2 rows of delivery" in n for n in b.notices)
    got = store.execute("SELECT BillingAccountId, x_Period, BilledCost, x_IngestId FROM landing_focus ORDER BY 1, 2"
                        ).fetchall()
    assert got == [("1", dt.date(2026, 4, 1), Decimal("3"), a.ingest_id),
                   ("1", dt.date(2026, 5, 1), Decimal("11"), b.ingest_id),
                   ("2", dt.date(2026, 5, 1), Decimal("7"), a.ingest_id)]
    slices = store.execute("SELECT x_IngestId, BillingAccountId, x_Period, status, replaced_by, BilledCost "
                           "FROM delivery_slices ORDER BY 1, 2, 3").fetchall()
    assert slices == [
        (a.ingest_id, "1", dt.date(2026, 4, 1), "active", None, Decimal("3")),
        (a.ingest_id, "1", dt.date(2026, 5, 1), "replaced", b.ingest_id, Decimal("15")),
        (a.ingest_id, "2", dt.date(2026, 5, 1), "active", None, Decimal("7")),
        (b.ingest_id, "1", dt.date(2026, 5, 1), "active", None, Decimal("11")),
    ]
    listed = {d["id"]: d for d in list_deliveries(store)}
    assert listed[a.ingest_id]["status"] == "partly replaced" and listed[a.ingest_id]["replaced_by"] == [b.ingest_id]
    assert listed[a.ingest_id]["active_rows"] == 2 and listed[a.ingest_id]["rows"] == 4
    # a third file replaces the rest of May for account 2 and April for account 1
    c = ingest_file(store, focus_csv([
        focus_row(BillingAccountId="2", BilledCost="8"),
        focus_row(BillingAccountId="1", BilledCost="4", BillingPeriodStart="2026-04-01T00:00:00Z")],
        name="fix.csv"))
    assert c.replaced_ingest_ids == (a.ingest_id,)
    listed = {d["id"]: d for d in list_deliveries(store)}
    assert listed[a.ingest_id]["status"] == "replaced" and listed[a.ingest_id]["active_rows"] == 0
    assert listed[a.ingest_id]["replaced_by"] == [b.ingest_id, c.ingest_id]
    assert store.execute("SELECT sum(BilledCost) FROM landing_focus").fetchone()[0] == Decimal("23")


def test_a_bad_redelivery_leaves_the_old_rows(store, focus_csv):
    a = ingest_file(store, focus_csv([focus_row(BilledCost="10")], name="v1.csv"))
    state = counts(store)
    with pytest.raises(IngestError):
        ingest_file(store, focus_csv([focus_row(BilledCost="12"), focus_row(ChargeCategory="Bogus")], name="v2.csv"))
    assert counts(store) == state
    assert store.execute("SELECT DISTINCT status FROM delivery_slices").fetchall() == [("active",)]
    assert totals(store) == totals(store, a.ingest_id)


def test_list_deliveries_per_currency_totals(store, focus_csv):
    r = ingest_file(store, focus_csv([
        focus_row(BillingAccountId="1", BillingCurrency="USD", PricingCurrency="USD", BilledCost="1.25",
                  ListCost="2", EffectiveCost="1", ContractedCost="1.5"),
        focus_row(BillingAccountId="1", BillingCurrency="USD", BilledCost="0.0000000001", ListCost="0",
                  EffectiveCost="0", ContractedCost="0"),
        focus_row(BillingAccountId="3", BillingCurrency="EUR", PricingCurrency="EUR", BilledCost="100"),
    ]))
    older = ingest_file(store, focus_csv([focus_row(BillingAccountId="9")], name="other.csv"))
    listed = list_deliveries(store)
    assert [d["id"] for d in listed] == [older.ingest_id, r.ingest_id]          # newest first
    d = listed[1]
    assert (d["file"], d["version"], d["rows"], d["status"], d["format"]) == ("focus.csv", "1.2", 3, "active", "csv")
    assert isinstance(d["loaded_at"], dt.datetime)
    assert d["totals"] == {
        "USD": {"rows": 2, "ListCost": Decimal("2"), "BilledCost": Decimal("1.2500000001"),
                "EffectiveCost": Decimal("1"), "ContractedCost": Decimal("1.5")},
        "EUR": {"rows": 1, "ListCost": Decimal("10"), "BilledCost": Decimal("100"),
                "EffectiveCost": Decimal("8.5"), "ContractedCost": Decimal("9")},
    }


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False,
                            allow_infinity=False, places=12), min_size=1, max_size=30))
def test_money_is_exact_to_the_ledger_quantum(store, focus_csv, amounts):
    """Stored amounts are the file's decimals rounded once to 10 places, half away from zero."""
    account = f"acct-{time.monotonic_ns()}"          # a fresh slice per example: no re-delivery, no hash hit
    path = focus_csv([focus_row(BilledCost=str(a), ResourceId=str(i), BillingAccountId=account)
                      for i, a in enumerate(amounts)], name=f"{account}.csv")
    r = ingest_file(store, path)
    stored = store.execute("SELECT BilledCost FROM landing_focus WHERE x_IngestId = ? ORDER BY ResourceId::INT",
                           [r.ingest_id]).fetchall()
    assert [s[0] for s in stored] == [ledger(a) for a in amounts]
    slice_total = store.execute("SELECT sum(BilledCost) FROM delivery_slices WHERE x_IngestId = ?",
                                [r.ingest_id]).fetchone()[0]
    assert slice_total == sum((ledger(a) for a in amounts), Decimal(0))


# ---- many files, progress --------------------------------------------------------------------

def test_ingest_paths_walks_folders(store, focus_csv, tmp_path):
    focus_csv([focus_row(BillingAccountId="1")], name="drop/a.csv")
    focus_csv([focus_row(BillingAccountId="2")], name="drop/sub/b.csv.gz")
    (tmp_path / "drop" / "README.txt").write_text("not FOCUS")
    (tmp_path / "drop" / ".hidden.csv").write_text("junk")
    single = focus_csv([focus_row(BillingAccountId="3")], name="single.csv")
    results = ingest_paths(store, [tmp_path / "drop", str(single)])
    assert [Path(r.path).name for r in results] == ["a.csv", "b.csv.gz", "single.csv"]
    assert all(r.status == "loaded" for r in results)
    assert ingest_paths(store, tmp_path / "drop")[0].status == "already_loaded"


def test_ingest_paths_stops_at_the_first_bad_file(store, focus_csv, tmp_path):
    focus_csv([focus_row(BillingAccountId="1")], name="in/1.csv")
    focus_csv([focus_row(BillingAccountId="2")], name="in/2.csv")
    focus_csv([focus_row(BillingAccountId="3", BilledCost="oops")], name="in/3.csv")
    focus_csv([focus_row(BillingAccountId="4")], name="in/4.csv")
    with pytest.raises(IngestError) as info:
        ingest_paths(store, tmp_path / "in")
    message = str(info.value)
    assert "3.csv: column BilledCost is not a decimal number in row 1: 'oops'" in message
    assert "the 2 files before it stay loaded (1.csv, 2.csv)" in message and "1 file after it were not tried" in message
    assert [Path(r.path).name for r in info.value.results] == ["1.csv", "2.csv"]
    assert store.execute("SELECT DISTINCT BillingAccountId FROM landing_focus ORDER BY 1").fetchall() == [("1",), ("2",)]


def test_ingest_paths_with_nothing_to_do(store, tmp_path):
    with pytest.raises(IngestError, match="no FOCUS files"):
        ingest_paths(store, tmp_path)
    with pytest.raises(IngestError, match="no such file or folder"):
        ingest_paths(store, [tmp_path / "missing"])


def test_progress_reports_rise_to_one(store, focus_csv):
    seen: list[tuple[float, str]] = []
    paths = [focus_csv(30_000, name="big.csv"), focus_csv(5, name="small.csv")]
    ingest_paths(store, paths, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) >= 4
    assert any("loading rows" in m for _, m in seen) and any(m.startswith("[2/2] small.csv") for _, m in seen)
    # progress uses a worker thread; the connection is usable afterwards and prints nothing itself
    assert store.execute("SELECT current_setting('enable_progress_bar_print')").fetchone()[0] is False


# ---- the inbox -------------------------------------------------------------------------------

def test_inbox_moves_files_to_done_and_failed(store, focus_csv, tmp_path):
    inbox = tmp_path / "inbox"
    focus_csv([focus_row(BillingAccountId="1")], name="inbox/good.csv")
    focus_csv([focus_row(BillingAccountId="2", BillingCurrency="ABC")], name="inbox/bad.csv")
    focus_csv([focus_row(BillingAccountId="3")], name="inbox/nested/more.csv.gz")
    (inbox / "notes.txt").write_text("hello")
    (inbox / "upload.csv.part").write_text("half a file")
    results = process_inbox(store, inbox, settle_seconds=0)
    assert sorted(Path(r.path).name for r in results) == ["good.csv", "more.csv.gz"]
    assert all(r.periods == (dt.date(2026, 5, 1),) for r in results)
    assert (inbox / "done" / "good.csv").is_file() and (inbox / "done" / "nested" / "more.csv.gz").is_file()
    assert (inbox / "failed" / "bad.csv").is_file() and (inbox / "failed" / "notes.txt").is_file()
    error = (inbox / "failed" / "bad.csv.error.txt").read_text()
    assert "column BillingCurrency is not an ISO 4217 currency code in row 1: 'ABC'" in error
    assert "expected .csv, .csv.gz or .parquet" in (inbox / "failed" / "notes.txt.error.txt").read_text()
    assert (inbox / "upload.csv.part").is_file() and not (inbox / "nested").exists()
    assert {f["file"] for f in failed_files(inbox)} == {"bad.csv", "notes.txt"}
    assert process_inbox(store, inbox, settle_seconds=0) == []                  # safe to call again
    assert store.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 2


def test_inbox_same_name_again_and_fresh_files_wait(store, focus_csv, tmp_path):
    inbox = tmp_path / "inbox"
    focus_csv([focus_row(BilledCost="1")], name="inbox/aws.csv")
    first = process_inbox(store, inbox, settle_seconds=0)
    focus_csv([focus_row(BilledCost="2")], name="inbox/aws.csv")               # next month's file, same name
    assert process_inbox(store, inbox, settle_seconds=60) == []                 # still "being written"
    second = process_inbox(store, inbox, settle_seconds=0)
    assert second[0].status == "replaced" and second[0].replaced_ingest_ids == (first[0].ingest_id,)
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["aws.csv", "aws~2.csv"]
    focus_csv([focus_row(BilledCost="2")], name="inbox/copy.csv")               # same bytes as aws~2.csv
    third = process_inbox(store, inbox, settle_seconds=0)
    assert third[0].status == "already_loaded" and (inbox / "done" / "copy.csv").is_file()


def test_inbox_is_created_when_missing(store, tmp_path):
    assert process_inbox(store, tmp_path / "new-inbox") == []
    assert (tmp_path / "new-inbox").is_dir()
