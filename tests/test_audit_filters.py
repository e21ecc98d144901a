"""Issue #14, the console's Audit log: filter by who, what, target text and when, export the
filtered view as CSV; the visibility rules of tests/test_security_audit.py hold for every entry
that passes a filter.

The entries, written by the one writer (data.audit.record_audit) on a copy of the demo store
and then dated by hand (the writer stamps now()):

| when             | who       | org       | what         | target
| 2025-05-01 09:00 | ch-admin  | cloudhaus | login_ok     |
| 2025-05-02 10:00 | ch-admin  | cloudhaus | config_change| plan ch-basis
| 2025-05-03 11:00 | rheinwerk-user | rheinwerk | login_failed |
| 2025-05-04 12:00 | msp-admin | msp-one   | config_change| plan msp-standard
"""
from __future__ import annotations

import re
import shutil
from datetime import date, datetime

import pytest
import streamlit as st

from data.audit import record_audit
from data.store import connect
from queries import scope
from queries.reports import admin
from tests.browser_support import restore_env, set_env, ui_env, ui_store
from tests.test_pages_apptest import errors, run, shown

ENTRIES = [
    (datetime(2025, 5, 1, 9), "ch-admin", "cloudhaus", "login_ok", None, None),
    (datetime(2025, 5, 2, 10), "ch-admin", "cloudhaus", "config_change", "plan ch-basis",
     {"id": "ch-basis", "owner": "cloudhaus"}),
    (datetime(2025, 5, 3, 11), "rheinwerk-user", "rheinwerk", "login_failed", None, None),
    (datetime(2025, 5, 4, 12), "msp-admin", "msp-one", "config_change", "plan msp-standard",
     {"id": "msp-standard", "owner": "msp-one"}),
]
BCRYPT = re.compile(r"\$2[abxy]?\$")


@pytest.fixture()
def con(tmp_path):
    copy = tmp_path / "audit.duckdb"
    shutil.copy(ui_store().apptest_db, copy)
    old = set_env(ui_env(copy))
    st.cache_data.clear()
    c = connect(copy)
    c.execute("DELETE FROM audit_log")
    for when, who, org, action, target, after in ENTRIES:
        record_audit(c, username=who, org=org, action=action, target=target, after=after,
                     detail="password_hash: $2b$10$" + "a" * 53 if action == "login_ok" else None)
        c.execute("UPDATE audit_log SET logged_at = ? WHERE logged_at > TIMESTAMP '2026-01-01'",
                  [when])
    yield c
    restore_env(old)
    st.cache_data.clear()


def entries(con, reader: str, **filters):
    frame = admin.audit_entries(con, scope.scope_for_user(con, reader), **filters)
    return list(zip(frame["username"], frame["action"]))


def test_each_filter_narrows_what_the_reader_may_see(con):
    assert entries(con, "ch-admin") == [("rheinwerk-user", "login_failed"),
                                       ("ch-admin", "config_change"), ("ch-admin", "login_ok")]
    assert entries(con, "ch-admin", username="CH-Admin ") == [("ch-admin", "config_change"),
                                                              ("ch-admin", "login_ok")]
    assert entries(con, "ch-admin", action="login_failed") == [("rheinwerk-user", "login_failed")]
    assert entries(con, "ch-admin", action="login") == []                   # what: exactly
    assert entries(con, "ch-admin", target="CH-BASIS") == [("ch-admin", "config_change")]
    assert entries(con, "ch-admin", logged_from=date(2025, 5, 2),
                   logged_to=date(2025, 5, 2)) == [("ch-admin", "config_change")]   # both days in
    assert entries(con, "ch-admin", logged_from=date(2025, 5, 3)) == [("rheinwerk-user", "login_failed")]
    assert entries(con, "ch-admin", logged_to=date(2025, 5, 1)) == [("ch-admin", "login_ok")]
    assert entries(con, "ch-admin", username="", action=None, target="  ") == entries(con, "ch-admin")


def test_a_filter_never_reaches_beyond_the_readers_subtree(con):
    assert entries(con, "ch-admin", username="msp-admin") == []
    assert entries(con, "ch-admin", target="msp-standard") == []
    root = admin.audit_entries(con, scope.scope_for_user(con, "dist-admin"), target="plan")
    assert set(root["target"]) == {"plan ch-basis", "plan msp-standard"}
    assert root["after"].isna().all()               # entries below the root: who/when/what only
    shown_text = admin.audit_entries(con, scope.scope_for_user(con, "ch-admin")).to_csv()
    assert not BCRYPT.search(shown_text) and "(password hash removed)" in shown_text
    assert admin.audit_actions(con, scope.scope_for_user(con, "ch-admin")) == [
        "config_change", "login_failed", "login_ok"]
    with pytest.raises(scope.ScopeError):
        admin.audit_entries(con, scope.scope_for_user(con, "msp-leader"), username="msp-admin")


def test_bad_filters_are_a_sentence(con):
    ch = scope.scope_for_user(con, "ch-admin")
    with pytest.raises(ValueError, match="'from' date 2025-05-04 is after the 'to' date 2025-05-01"):
        admin.audit_entries(con, ch, logged_from=date(2025, 5, 4), logged_to=date(2025, 5, 1))
    with pytest.raises(ValueError, match="at most 200"):
        admin.audit_entries(con, ch, target="x" * 201)
    with pytest.raises(ValueError, match="must be a date"):
        admin.audit_entries(con, ch, logged_from="2025-05-01")


def test_the_page_filters_and_its_csv_is_the_filtered_view(con, monkeypatch):
    downloads: list = []
    real = st.download_button
    monkeypatch.setattr(st, "download_button",
                        lambda label, data, *a, **kw: downloads.append(data) or real(label, data, *a, **kw))
    at = run("pages/6_Audit_log.py", "ch-admin")
    assert not at.exception and errors(at) == []
    assert len(at.dataframe[0].value) == 3
    assert at.selectbox(key="audit_what").options == ["(any)", "config_change", "login_failed",
                                                      "login_ok"]
    at.text_input(key="audit_who").input("ch-admin").run()
    at.selectbox(key="audit_what").set_value("config_change").run()
    frame = at.dataframe[0].value
    assert list(zip(frame["username"], frame["action"], frame["target"])) == [
        ("ch-admin", "config_change", "plan ch-basis")]
    csv = downloads[-1]() if callable(downloads[-1]) else downloads[-1]
    lines = csv.decode("utf-8").strip().splitlines()
    assert len(lines) == 2 and "plan ch-basis" in lines[1] and "msp" not in csv.decode("utf-8")

    at.date_input(key="audit_from").set_value(date(2025, 5, 3)).run()
    assert "Nothing to show" in " ".join(c.value for c in at.caption)
    at.date_input(key="audit_to").set_value(date(2025, 5, 1)).run()
    assert "after the 'to' date" in shown(errors(at)[0])
