"""THE writer of audit_log: sign-ins, sign-outs, lockouts, configuration changes, issued
invoices, ingests, billing runs (docs/access.md, "The audit log").

Writing the log is a write, so it lives on the write side: ingest, billing, the configuration and
the sign-in code import it from here, never from the read layer. Reading the log is
`queries.reports.admin.audit_entries`, which checks every entry again against its reader.

Password hashes never enter the log: `redact` drops every `password_hash` key and replaces any
other bcrypt-looking text; the reader applies the same `redact` to entries written before.
"""
from __future__ import annotations

import json
import re
from typing import Any

import duckdb

from queries import sql

# A bcrypt hash anywhere in a text (the configuration's password_hash values).
_BCRYPT_ANYWHERE = re.compile(r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}")
HASH_REMOVED = "(password hash removed)"


def redact_text(text: str) -> str:
    """The text with every bcrypt-looking hash replaced by HASH_REMOVED."""
    return _BCRYPT_ANYWHERE.sub(HASH_REMOVED, text)


def redact(value: Any) -> Any:
    """The value without password hashes: `password_hash` keys dropped, hash-like texts replaced.
    The audit log says that a password changed, never what it is."""
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items() if k != "password_hash"}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def _json_text(value: Any) -> str | None:
    """before/after as the JSON text the log stores, redacted; JSON text passed in is kept as
    written when it holds no hash."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return json.dumps(redact(value))
        clean = redact(parsed)
        return value if clean == parsed else json.dumps(clean, ensure_ascii=False)
    return json.dumps(redact(value), default=str, sort_keys=True)


def record_audit(con: duckdb.DuckDBPyConnection, *, username: str | None, org: str | None,
                 action: str, target: str | None = None, before: Any = None, after: Any = None,
                 detail: str | None = None) -> None:
    """THE writer of audit_log. before/after: JSON text, or anything json.dumps takes (Decimal
    and dates become strings). Password hashes never enter the log: `password_hash` keys are
    dropped and hash-like texts replaced (say "password changed" instead). Record an entry under
    the organisation whose admins may read its content (docs/access.md). Joins the caller's
    transaction when there is one."""
    if not isinstance(action, str) or not action:
        raise ValueError("an audit entry needs an action")
    con.execute(sql("scope_audit_insert"), {
        "username": username, "org": org, "action": action, "target": target,
        "before": _json_text(before), "after": _json_text(after),
        "detail": redact_text(detail) if isinstance(detail, str) else detail,
    })


def record_store_audit(con: duckdb.DuckDBPyConnection, *, username: str | None, action: str,
                       target: str | None = None, detail: str | None = None) -> None:
    """An entry for the store's own work (ingests, billing runs), under the root organisation:
    it spans every tenant, so the root's admins read it in full and nobody below does. Under no
    organisation before a configuration names a root (only the root's admins see those too)."""
    roots = con.execute(sql("scope_root")).fetchall()
    record_audit(con, username=username, org=roots[0][0] if roots else None, action=action,
                 target=target, detail=detail)
