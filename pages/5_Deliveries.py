"""Deliveries: the FOCUS files ingested so far, and the folder new ones are dropped into."""
import streamlit as st

from components import cached, tables
from components.auth import require
from components.errors import user_errors
from components.store import inbox_folder
from components.text import md_code

user = require(roles=("admin",), title="Deliveries", root_only=True)

COLUMNS = ["x_IngestId", "file_name", "focus_version", "file_format", "loaded_at", "loaded_by",
           "row_count", "notes"]

st.title("Deliveries")
st.info(f"To add provider data, drop FOCUS files (CSV, CSV.GZ or Parquet) into "
        f"{md_code(inbox_folder())}. The app ingests them within seconds and re-prices the periods "
        f"they touch.", icon=":material/inbox:")
with user_errors():
    files = cached.deliveries(user.username)
    tables.show(files, columns=COLUMNS, key="deliveries_table")
    tables.csv_download(files, "deliveries.csv", key="deliveries_csv")
