"""Migration 010 (queries/migrations/010_audit_without_secrets.sql): audit entries written before
it lose their password hashes, and a whole configuration document recorded under a reseller (a
plan save of the Plans page) moves to the root, where only the root's admins read it."""
from __future__ import annotations

import json

import bcrypt

from data.store import MIGRATIONS_DIR, migrate, migrations
from queries import scope
from tests.test_migrations import store_at

HASH = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()
MIGRATION = MIGRATIONS_DIR / "010_audit_without_secrets.sql"


def document(discount: str) -> dict:
    """The whole configuration, as plan saves recorded it before and after: every tenant."""
    return {
        "root": {"id": "nw", "name": "Northwind", "kind": "distributor", "currency": "USD"},
        "organizations": [{"id": "ch", "name": "CloudHaus", "kind": "reseller", "parent": "nw",
                           "currency": "EUR", "plan": "dist-eu"}],
        "plans": [{"id": "dist-eu", "owner": "nw", "rules": [{"basis": "list", "discount_pct": "8"}]},
                  {"id": "ch-basis", "owner": "ch", "rules": [{"basis": "list", "discount_pct": discount}]}],
        "users": [{"username": "dana", "name": "Dana", "org": "nw", "roles": ["admin"], "password_hash": HASH},
                  {"password_hash": HASH, "username": "kat", "name": "Kat", "org": "ch", "roles": ["admin"]}],
    }


def store_at_009_with_a_leaky_entry():
    con = store_at(9)
    con.execute("INSERT INTO cfg_organizations VALUES ('nw', 'Northwind', 'distributor', NULL, 'USD', NULL, 0, 0), "
                "('ch', 'CloudHaus', 'reseller', 'nw', 'EUR', 'dist-eu', 0, 1)")
    for user, org in (("dana", "nw"), ("kat", "ch")):
        con.execute("INSERT INTO cfg_users VALUES (?, ?, NULL, ?, ['admin'], NULL, NULL, ?)", [user, user, org, HASH])
    insert = ("INSERT INTO audit_log VALUES (now()::TIMESTAMP, ?, ?, ?, ?, CAST(? AS JSON), CAST(? AS JSON), ?)")
    con.execute(insert, ["kat", "ch", "config_change", "config v2", json.dumps(document("5")),
                         json.dumps(document("5")), "2 organisations, 0 mappings, 2 plans"])
    con.execute(insert, ["cli", None, "config_change", "config v1", None, json.dumps(document("5")), "first"])
    con.execute(insert, ["kat", "ch", "login_ok", None, None, None, "password"])
    return con


def test_010_strips_hashes_and_moves_whole_documents_to_the_root():
    con = store_at_009_with_a_leaky_entry()
    assert migrate(con) == [n for n, _, _ in migrations() if n > 9]
    rows = con.execute("SELECT username, org, action, before::VARCHAR, after::VARCHAR, detail FROM audit_log "
                       "ORDER BY target NULLS LAST").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [("cli", None, "config_change"), ("kat", "nw", "config_change"),
                                                  ("kat", "ch", "login_ok")]
    for row in rows:
        text = " ".join(str(v) for v in row)
        assert "$2b$" not in text and "password_hash" not in text
    want = document("5")
    for user in want["users"]:
        del user["password_hash"]
    assert json.loads(rows[1][3]) == json.loads(rows[1][4]) == json.loads(rows[0][4]) == want
    assert rows[2][5] == "password"                  # a sign-in's method is not a secret

    # the reseller's admin still sees that it saved, but not the channel's configuration
    kat = scope.audit_entries(con, scope.scope_for_user(con, "kat"))
    saved = kat[kat["action"] == "config_change"].iloc[0]
    assert saved[["before", "after", "detail"]].isna().all()
    dana = scope.audit_entries(con, scope.scope_for_user(con, "dana"))
    assert json.loads(dana[dana["target"] == "config v2"].iloc[0]["after"]) == want


def test_010_is_idempotent():
    con = store_at_009_with_a_leaky_entry()
    migrate(con)
    once = con.execute("SELECT * FROM audit_log ORDER BY ALL").fetchall()
    con.execute(MIGRATION.read_text(encoding="utf-8"))
    assert con.execute("SELECT * FROM audit_log ORDER BY ALL").fetchall() == once
