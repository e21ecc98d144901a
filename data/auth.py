"""Sign-in state that must outlive a browser session: lockouts, revoked tokens, the cookie key.

Everything here is server-side and lives in the store (auth_failures, auth_lockouts,
auth_revoked_tokens) or in `.streamlit/secrets.toml`, so it survives reruns, new sessions and
restarts. No Streamlit in this module: components/auth.py decides when to call it, and
docs/auth.md describes the whole sign-in design.

- Lockout: `Policy.max_failures` failed sign-ins of one username within `Policy.window` lock
  that username for `Policy.lock_for`, even with the right password.
- Revocation: streamlit-authenticator's cookie is a signed JWT that stays valid until it
  expires, also after signing out. Signing out stores the token's sha256 here and the guard
  refuses any token found here.
- Cookie key: `TIERLINE_COOKIE_KEY`, else `[auth] cookie_key` in `.streamlit/secrets.toml`
  (git-ignored); `ensure_cookie_key` writes one there when neither exists.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Mapping

import bcrypt
import duckdb

from data.store import ROOT, transaction
from queries import sql

SECRETS_PATH = ROOT / ".streamlit" / "secrets.toml"
COOKIE_KEY_ENV = "TIERLINE_COOKIE_KEY"
MIN_KEY_BYTES = 32
MAX_USERNAME = 128

# A bcrypt hash of a random password: checking a password against it costs what a real
# check costs, so "no such user" and "wrong password" take the same time.
_DUMMY_HASH = bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt()).decode()


class CookieKeyMissing(RuntimeError):
    """No usable cookie key: the app refuses to start rather than sign cookies with a default."""


@dataclass(frozen=True)
class Policy:
    """Lockout and session lifetime. Environment: TIERLINE_SESSION_MINUTES (60),
    TIERLINE_LOCKOUT_ATTEMPTS (5), TIERLINE_LOCKOUT_MINUTES (15, both the window and the lock)."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)
    session: timedelta = timedelta(minutes=60)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Policy":
        env = os.environ if env is None else env
        session = _positive(env, "TIERLINE_SESSION_MINUTES", 60.0)
        attempts = int(_positive(env, "TIERLINE_LOCKOUT_ATTEMPTS", 5))
        lock = _positive(env, "TIERLINE_LOCKOUT_MINUTES", 15.0)
        return cls(
            max_failures=max(attempts, 1),
            window=timedelta(minutes=lock),
            lock_for=timedelta(minutes=lock),
            session=timedelta(minutes=session),
        )

    @property
    def cookie_expiry_days(self) -> float:
        """streamlit-authenticator takes days as a float (0.4.2: timedelta(days=float))."""
        return self.session.total_seconds() / 86400


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of minutes, not {raw!r}") from None
    if not value > 0:
        raise ValueError(f"{name} must be more than 0, not {raw!r}")
    return value


def utcnow() -> datetime:
    """Naive UTC, as the TIMESTAMP columns of the auth tables hold it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def normalise_username(username: str | None) -> str:
    """The form of a username that lockouts and the library use: trimmed, lower case, bounded."""
    return (username or "").strip().lower()[:MAX_USERNAME]


# --- lockout ---------------------------------------------------------------------------------

def locked_until(con: duckdb.DuckDBPyConnection, username: str,
                 now: datetime | None = None) -> datetime | None:
    """End of the username's lockout, or None when it may try to sign in."""
    row = con.execute(sql("auth_lockout_get"), [normalise_username(username), now or utcnow()]).fetchone()
    return row[0] if row else None


def record_failure(con: duckdb.DuckDBPyConnection, username: str, policy: Policy,
                   now: datetime | None = None) -> datetime | None:
    """Count one failed sign-in. Returns the end of the lockout it triggered, else None.

    Once a lockout starts the failures that caused it are forgotten, so after it ends the
    username gets the full number of attempts again (not one)."""
    name = normalise_username(username)
    now = now or utcnow()
    with transaction(con):
        con.execute(sql("auth_failure_insert"), [name, now])
        (failures,) = con.execute(sql("auth_failures_count"), [name, now - policy.window]).fetchone()
        if failures < policy.max_failures:
            return None
        until = now + policy.lock_for
        con.execute(sql("auth_lockout_set"), [name, until])
        con.execute(sql("auth_failures_clear"), [name])
    return until


def clear_failures(con: duckdb.DuckDBPyConnection, username: str) -> None:
    """A successful sign-in forgets the username's earlier failures."""
    con.execute(sql("auth_failures_clear"), [normalise_username(username)])


def burn_password_check(password: str) -> None:
    """Spend one bcrypt check for a username that does not exist (no timing oracle)."""
    bcrypt.checkpw((password or "").encode(), _DUMMY_HASH.encode())


# --- revoked tokens ----------------------------------------------------------------------------

def token_digest(token: str) -> str:
    """sha256 of a session token: what the store keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def revoke_digest(con: duckdb.DuckDBPyConnection, digest: str, expires_at: datetime,
                  now: datetime | None = None) -> None:
    """Refuse the token with this digest from now until it expires (idempotent)."""
    now = now or utcnow()
    con.execute(sql("auth_token_revoke"), [digest, max(expires_at, now), now])


def revoke_token(con: duckdb.DuckDBPyConnection, token: str, expires_at: datetime,
                 now: datetime | None = None) -> None:
    revoke_digest(con, token_digest(token), expires_at, now)


def is_revoked_digest(con: duckdb.DuckDBPyConnection, digest: str) -> bool:
    return con.execute(sql("auth_token_revoked"), [digest]).fetchone() is not None


def is_revoked(con: duckdb.DuckDBPyConnection, token: str) -> bool:
    return is_revoked_digest(con, token_digest(token))


def purge(con: duckdb.DuckDBPyConnection, policy: Policy, now: datetime | None = None) -> None:
    """Drop what no longer matters: expired revocations, ended lockouts, stale failures."""
    now = now or utcnow()
    con.execute(sql("auth_purge_tokens"), [now])
    con.execute(sql("auth_purge_lockouts"), [now])
    con.execute(sql("auth_purge_failures"), [now - policy.window])


# --- users -------------------------------------------------------------------------------------

def credentials(con: duckdb.DuckDBPyConnection) -> dict:
    """A fresh credentials dict in streamlit-authenticator's shape (the library mutates it,
    so every caller gets its own)."""
    users = {}
    for username, name, email, password_hash, roles in con.execute(sql("auth_credentials")).fetchall():
        users[normalise_username(username)] = {
            "name": name,
            "email": email or "",
            "password": password_hash,
            "roles": list(roles or []),
        }
    return {"usernames": users}


def user_profile(con: duckdb.DuckDBPyConnection, username: str) -> dict | None:
    """username, name, email, org, org_name, org_kind, org_is_root, roles — or None."""
    cur = con.execute(sql("auth_user"), [username])
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row))


# --- cookie key --------------------------------------------------------------------------------

def _file_key(secrets_path: Path) -> str | None:
    if not secrets_path.is_file():
        return None
    with secrets_path.open("rb") as fh:
        doc = tomllib.load(fh)
    key = (doc.get("auth") or {}).get("cookie_key")
    return key if isinstance(key, str) and key else None


def _check_key(key: str, where: str) -> str:
    if len(key.encode()) < MIN_KEY_BYTES:
        raise CookieKeyMissing(
            f"The cookie key in {where} is shorter than {MIN_KEY_BYTES} bytes. "
            f"Remove it and run `python cli.py init-secrets` to generate a new one."
        )
    return key


def cookie_key(secrets_path: Path | str = SECRETS_PATH, env: Mapping[str, str] | None = None) -> str:
    """The key that signs session cookies: TIERLINE_COOKIE_KEY beats secrets.toml."""
    env = os.environ if env is None else env
    if env.get(COOKIE_KEY_ENV):
        return _check_key(env[COOKIE_KEY_ENV], COOKIE_KEY_ENV)
    path = Path(secrets_path)
    key = _file_key(path)
    if key is None:
        raise CookieKeyMissing(
            f"No cookie key: set {COOKIE_KEY_ENV} or run `python cli.py init-secrets` "
            f"(writes [auth] cookie_key to {path})."
        )
    return _check_key(key, str(path))


_AUTH_HEADER = re.compile(r"^\[auth\]\s*(#.*)?$", re.MULTILINE)


def ensure_cookie_key(secrets_path: Path | str = SECRETS_PATH,
                      env: Mapping[str, str] | None = None) -> bool:
    """Make sure a cookie key exists; True when this call generated one.

    Keeps whatever else secrets.toml holds: adds `cookie_key` to an existing `[auth]` table or
    appends the table. The file is created readable by its owner only."""
    env = os.environ if env is None else env
    if env.get(COOKIE_KEY_ENV):
        _check_key(env[COOKIE_KEY_ENV], COOKIE_KEY_ENV)
        return False
    path = Path(secrets_path)
    existing = _file_key(path)
    if existing is not None:
        _check_key(existing, str(path))
        return False
    key = secrets.token_urlsafe(48)
    line = f'cookie_key = "{key}"\n'
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    header = _AUTH_HEADER.search(text)
    if header:
        cut = header.end()
        text = text[:cut] + "\n" + line.rstrip("\n") + text[cut:]
        if not text.endswith("\n"):
            text += "\n"
    else:
        if text and not text.endswith("\n"):
            text += "\n"
        text += ("\n" if text else "") + "[auth]\n" + line
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    os.chmod(path, 0o600)
    _file_key(path)  # the result must still parse
    return True
