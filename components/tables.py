"""Tables and CSV downloads. Money columns are shown as exact text in their currency, right
aligned; CSV files keep the exact Decimal values and the column names as the data has them
(FOCUS names as the spec spells them), never floats, never chart columns.

Downloads and their lifetime (issue #9, item 9). Streamlit serves a download at an unguessable
but unauthenticated `/media/<id>.csv` URL from server memory: anyone holding the URL can fetch it
while the file is stored, with no cookie. So:
- the CSV is made only when the button is clicked (a callable `data`: Streamlit 1.67's deferred
  download); a page view stores nothing, and the page carries no media URL, only a random id
  the server honours over a live app connection, and forgets when the button is gone;
- the file made by a click is referenced by no session, so Streamlit's own sweep (at the end of
  every script run on the server) marks it and the next one deletes it; two more sweeps
  `SWEEP_SECONDS` apart after each click bound its life when the server is otherwise idle;
- signing out sweeps twice at once (`forget_downloads`): nothing fetched before is fetchable after.
docs/access.md states the residual window.
"""
from __future__ import annotations

import logging
import threading
from decimal import Decimal
from typing import Iterable, Mapping

import pandas as pd
import streamlit as st

from components import money

CHART_SUFFIX = "_chart"   # float columns the scope layer adds for charts only

# Headings for columns whose data names are FOCUS (or ledger) names; the data keeps its names.
LABELS = {
    "ProviderName": "Provider", "ServiceName": "Service", "ServiceCategory": "Category",
    "SubAccountId": "Sub-account", "RegionId": "Region", "SkuId": "SKU",
    "ResourceId": "Resource id", "ResourceName": "Resource", "ChargeCategory": "Charge",
    "ChargePeriodStart": "Charged", "BillingAccountId": "Billing account",
    "BillingCurrency": "Billing currency", "BilledCost": "Billed cost",
    "EffectiveCost": "Effective cost", "ListCost": "List cost", "x_IngestId": "Delivery",
    "line_no": "#", "invoice_id": "Invoice", "billing_account_id": "Billing account",
}


def label(column: str) -> str:
    """'sub_account' -> 'Sub account'; FOCUS names get their plain-English heading."""
    if column in LABELS:
        return LABELS[column]
    text = column.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def without_chart_columns(df: pd.DataFrame) -> pd.DataFrame:
    return df[[c for c in df.columns if not str(c).endswith(CHART_SUFFIX)]]


def frame(records: list[dict], columns: list[str] | None = None) -> pd.DataFrame:
    """A DataFrame from the list of dicts the scope layer returns (keeps Decimals exact)."""
    df = pd.DataFrame.from_records(records or [])
    if columns is None:
        return df
    return df.reindex(columns=columns)


def values(df: pd.DataFrame, column: str) -> list:
    """The distinct non-empty values of a column, in their order of appearance."""
    if column not in df.columns:
        return []
    return [v for v in dict.fromkeys(df[column].tolist()) if v is not None and not pd.isna(v)]


def show(df: pd.DataFrame, *, money_columns: Iterable[str] | Mapping[str, str] = (),
         currency: str | None = None, currency_column: str = "currency",
         height: int | str = "auto", key: str | None = None, limit: int | None = None,
         columns: list[str] | None = None) -> None:
    """Render a table.

    `money_columns`: formatted in `currency`, or in each row's own currency from
    `currency_column` — or a mapping {money column: its currency column}. A currency column with
    one value is folded into the money headings ('Price (EUR)'). `limit`: the query's row limit,
    to say when the table is cut short. `columns`: the columns to show, in order, where present
    (default: all but chart columns)."""
    if columns is not None:
        df = df[[c for c in columns if c in df.columns]]
    data = without_chart_columns(df)
    if data.empty:
        st.caption("Nothing to show for this selection.")
        return
    if limit is not None and len(data) >= limit:
        st.caption(f"Showing the first {limit:,} rows; narrow the filters or download them.")
    pairs = dict(money_columns) if isinstance(money_columns, Mapping) \
        else {c: currency_column for c in money_columns}
    pairs = {c: cc for c, cc in pairs.items() if c in data.columns}
    shown = data.copy()
    headings: dict[str, str] = {}
    fold: set[str] = set()
    for col, ccy_col in pairs.items():
        if currency is not None:
            shown[col] = [money.number(v, currency) for v in data[col]]
            headings[col] = f"{label(col)} ({currency})"
        else:
            shown[col] = [money.number(v, c) for v, c in zip(data[col], data[ccy_col])]
            one = data[ccy_col].nunique() == 1
            headings[col] = f"{label(col)} ({data[ccy_col].iloc[0]})" if one else label(col)
            if one:
                fold.add(ccy_col)
    shown = shown.drop(columns=sorted(fold))
    config = {c: st.column_config.TextColumn(headings[c], alignment="right") for c in pairs}
    for c in shown.columns:
        if c in pairs or not (pd.api.types.is_object_dtype(shown[c])
                              or pd.api.types.is_string_dtype(shown[c])):
            continue
        present = shown[c].dropna()
        if len(present) and all(isinstance(v, Decimal) for v in present):   # quantities
            shown[c] = [money.plain(v) for v in shown[c]]
            config[c] = st.column_config.TextColumn(label(str(c)), alignment="right")
        else:
            shown[c] = shown[c].where(shown[c].notna(), "")
    for c in shown.columns:
        config.setdefault(c, st.column_config.Column(label(str(c))))
    st.dataframe(shown, column_config=config, hide_index=True, height=height, key=key)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """Exact CSV: Decimal columns keep every digit; chart-only float columns are dropped."""
    return without_chart_columns(df).to_csv(index=False).encode("utf-8")


SWEEP_SECONDS = 30   # a clicked CSV stays fetchable at most 2 × this long (less on a busy server)

log = logging.getLogger("tierline.downloads")


def _media_files():
    """Streamlit's media file manager, or None outside a running server."""
    from streamlit import runtime
    return runtime.get_instance().media_file_mgr if runtime.exists() else None


def _sweep() -> None:
    """One pass of Streamlit's own collection: files no session references are marked, files
    already marked are deleted (every script run ends with the same call)."""
    manager = _media_files()
    if manager is not None:
        try:
            manager.remove_orphaned_files()
        except Exception:                   # never let a cleanup thread take anything down
            log.exception("sweeping downloads failed")


def _sweep_later(passes: int = 2) -> None:
    if passes <= 0:
        return

    def run() -> None:
        _sweep()
        _sweep_later(passes - 1)

    timer = threading.Timer(SWEEP_SECONDS, run)
    timer.daemon = True
    timer.start()


def forget_downloads() -> None:
    """Delete every CSV made by a click that is no longer on anyone's screen: two sweeps, the
    first marks, the second deletes. Called when a user signs out."""
    _sweep()
    _sweep()


def _deferred_csv(df: pd.DataFrame):
    """The CSV of `df`, made when the button is clicked (Streamlit runs this on its own thread)."""
    def make() -> bytes:
        data = csv_bytes(df)
        _sweep_later()
        return data
    return make


def csv_download(df: pd.DataFrame, file_name: str, *, key: str,
                 label_text: str = "Download CSV") -> None:
    st.download_button(label_text, _deferred_csv(df), file_name=file_name, mime="text/csv",
                       key=key, icon=":material/download:", on_click="ignore",
                       disabled=df.empty)
