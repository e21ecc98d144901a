"""Sign-in state that must outlive a browser session: lockouts, revoked tokens, the cookie key.

Everything here is server-side and lives in the store (auth_failures, auth_lockouts,
auth_revoked_tokens) or in `.streamlit/secrets.toml`, so it survives reruns, new sessions and
restarts. No Streamlit in this module: components/auth.py decides when to call it, and
docs/auth.md describes the whole sign-in design.

- Lockout: `Policy.max_failures` failed sign-ins of one username within `Policy.window` lock
  that username for `Policy.lock_for`, even with the right password.
- Session tokens: streamlit-authenticator's cookie is a signed JWT (HS256, claims `username`
  and `exp_date`). `read_token` is the one reader the guard trusts: it accepts only a token in
  the exact spelling Tierline signs (base64url without padding or stray bits, the one header),
  with a good signature and a live, bounded expiry; anything else is "not signed in" and never
  an exception.
- Revocation: the token stays valid until it expires, also after signing out. Signing out
  stores the token's id — the sha256 of its decoded signature bytes, which no re-spelling of
  the cookie changes — and the guard refuses any token whose id is here.
- Password hashes: one bcrypt cost, `BCRYPT_COST`, for every hash Tierline makes and for the
  dummy hash an unknown username is checked against, so both cost the same time.
- Cookie key: `TIERLINE_COOKIE_KEY`, else `[auth] cookie_key` in `.streamlit/secrets.toml`
  (git-ignored); `ensure_cookie_key` writes one there when neither exists.
- HTTPS: `served_over_https` decides from the browser's URL and the proxy's headers whether the
  session cookie gets the `Secure` flag (docs/deploy.md).

(About 450 lines: lockout, token reading and revocation, hashing and the cookie key are the four
parts of one job, keeping sign-in state safe server-side; they share the store tables and policy.)
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import os
import re
import secrets
import time
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Mapping

import bcrypt
import duckdb
import jwt

from data.store import ROOT, transaction
from queries import sql

SECRETS_PATH = ROOT / ".streamlit" / "secrets.toml"
COOKIE_KEY_ENV = "TIERLINE_COOKIE_KEY"
MIN_KEY_BYTES = 32
MAX_USERNAME = 128

# The bcrypt cost (log2 of the rounds) of every password hash Tierline makes: `hash_password`,
# the demo users (data/demo/config.yaml) and the dummy hash below. A check costs what its hash's
# cost says, so a sign-in for an unknown username only takes as long as one for a known username
# while both hashes share this cost (tests/test_security_auth.py checks the demo users).
BCRYPT_COST = 10
# bcrypt 5 refuses longer passwords (ValueError) instead of silently using the first 72 bytes.
BCRYPT_MAX_PASSWORD_BYTES = 72

# A bcrypt hash of a random password: checking a password against it costs what a real
# check costs, so "no such user" and "wrong password" take the same time.
_DUMMY_HASH = bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(BCRYPT_COST)).decode()
_BCRYPT_HASH = re.compile(r"\$2[abxy]?\$(\d{2})\$[./A-Za-z0-9]{53}")

# The session token, exactly as streamlit-authenticator 0.4.2 signs it (PyJWT, HS256).
TOKEN_ALGORITHM = "HS256"
_TOKEN_HEADER = {"alg": TOKEN_ALGORITHM, "typ": "JWT"}
_TOKEN_CLAIMS = frozenset({"username", "exp_date"})
MAX_TOKEN_CHARS = 1024          # a real one is about 150 characters
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


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
    secret = (password or "").encode()[:BCRYPT_MAX_PASSWORD_BYTES]   # bcrypt 5 raises beyond
    bcrypt.checkpw(secret, _DUMMY_HASH.encode())


def hash_password(password: str) -> str:
    """A bcrypt hash of `password` at `BCRYPT_COST`: how every new password hash is made."""
    secret = password.encode()
    if not secret or len(secret) > BCRYPT_MAX_PASSWORD_BYTES:
        raise ValueError(f"A password must be 1 to {BCRYPT_MAX_PASSWORD_BYTES} bytes long, "
                         f"not {len(secret)}.")
    return bcrypt.hashpw(secret, bcrypt.gensalt(BCRYPT_COST)).decode()


def bcrypt_cost(password_hash: str | None) -> int | None:
    """The cost written in a bcrypt hash (`$2b$10$…` → 10), or None if it is not one."""
    match = _BCRYPT_HASH.fullmatch(password_hash or "")
    return int(match.group(1)) if match else None


# --- session tokens ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionToken:
    """A session cookie `read_token` accepted: whose it is, when it dies, and its id."""

    username: str
    expires_at: float
    token_id: str


def _segment_bytes(segment: str) -> bytes | None:
    """The bytes of one base64url segment, only if it is spelled the one way an encoder
    writes it: no padding, no character outside the alphabet, no stray low bits. PyJWT's
    decoder is lenient (it pads and ignores excess `=`), which is how `T=` decoded as `T`."""
    if not _BASE64URL.fullmatch(segment) or len(segment) % 4 == 1:
        return None
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") != segment:
        return None
    return data


def _token_parts(token: str) -> tuple[bytes, bytes, bytes] | None:
    """(header, payload, signature) bytes of a canonically spelled JWT, else None."""
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS:
        return None
    segments = token.split(".")
    if len(segments) != 3:
        return None
    parts = [_segment_bytes(s) for s in segments]
    if any(p is None for p in parts):
        return None
    header, payload, signature = parts
    return header, payload, signature


def read_token(raw: str | None, key: str, policy: Policy,
               now: float | None = None) -> SessionToken | None:
    """The session token in a cookie if Tierline signed it and it is live; otherwise None.

    Never raises: a cookie is whatever the browser sends, and an undecodable, foreign
    (`alg: none`, another algorithm or key, other claims), non-canonical, expired or too
    long-lived token means "not signed in", nothing more. Revocation is checked separately
    (`is_revoked`), against `token_id`."""
    try:
        return _read_token(raw, key, policy, time.time() if now is None else now)
    except Exception:   # attacker-controlled input: no surprise in it may reach the page
        return None


def _read_token(raw, key: str, policy: Policy, now: float) -> SessionToken | None:
    parts = _token_parts(raw)
    if parts is None:
        return None
    header, _, signature = parts
    if json.loads(header) != _TOKEN_HEADER:
        return None
    payload = jwt.decode(raw, key, algorithms=[TOKEN_ALGORITHM])   # the signature
    if not isinstance(payload, dict) or set(payload) != _TOKEN_CLAIMS:
        return None
    username, expires = payload["username"], payload["exp_date"]
    if not isinstance(username, str) or not username or normalise_username(username) != username:
        return None
    if isinstance(expires, bool) or not isinstance(expires, (int, float)) \
            or not math.isfinite(expires):
        return None
    # The library lets a token live as long as it says; a session may not outlive the policy.
    if not now < expires <= now + policy.session.total_seconds() + 60:
        return None
    return SessionToken(username, float(expires), hashlib.sha256(signature).hexdigest())


# --- revoked tokens ----------------------------------------------------------------------------

def token_digest(token: str) -> str:
    """A session token's id, what the store keeps instead of the token: the sha256 of its
    decoded signature bytes. Every spelling of one token has the same signature bytes, so
    `T`, `T=` and `"T"` are one token to revocation (and `read_token` refuses all but `T`
    anyway). A string with no signature segment is identified by the sha256 of its text."""
    signature = _signature_bytes(token)
    if signature is None:
        return _text_digest(token)
    return hashlib.sha256(signature).hexdigest()


def _signature_bytes(token: str) -> bytes | None:
    """The bytes a lenient decoder makes of a token's last segment: padding, quotes, spaces
    and stray low bits ignored, as PyJWT and Python's base64 do. For a canonical token these
    are its signature; for a re-spelling of it, the same bytes, so the same id."""
    if not isinstance(token, str) or "." not in token or len(token) > 4 * MAX_TOKEN_CHARS:
        return None
    segment = re.sub(r"[^A-Za-z0-9_-]", "", token.rsplit(".", 1)[1])
    if not segment or len(segment) % 4 == 1:
        return None
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _text_digest(token: str) -> str:
    """sha256 of a token's text: the id stored before ids were signatures (see is_revoked)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def revoke_digest(con: duckdb.DuckDBPyConnection, digest: str, expires_at: datetime,
                  now: datetime | None = None) -> None:
    """Refuse the token with this digest from now until it expires (idempotent)."""
    now = now or utcnow()
    con.execute(sql("auth_token_revoke"), [digest, max(expires_at, now), now])


def revoke_token(con: duckdb.DuckDBPyConnection, token: str, expires_at: datetime,
                 now: datetime | None = None) -> None:
    revoke_digest(con, token_digest(token), expires_at, now)


def is_revoked_digest(con: duckdb.DuckDBPyConnection, digest: str) -> bool:
    return con.execute(sql("auth_token_revoked"), [digest, digest]).fetchone() is not None


def is_revoked(con: duckdb.DuckDBPyConnection, token: str) -> bool:
    """Whether this token (any spelling of it) was signed out. Also matches the sha256 of the
    token's text, the id stored before signatures were: a token signed out just before the
    upgrade stays refused. That second id can go once every such token has expired (they
    live TIERLINE_SESSION_MINUTES)."""
    row = con.execute(sql("auth_token_revoked"), [token_digest(token), _text_digest(token)])
    return row.fetchone() is not None


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


# --- HTTPS ------------------------------------------------------------------------------------

def served_over_https(headers: Mapping[str, str] | None, url: str | None) -> bool:
    """Whether the browser reached the app over HTTPS, so the session cookie must be `Secure`.

    Streamlit itself speaks plain HTTP behind a TLS-terminating proxy (docs/deploy.md), so it
    asks: the URL the browser reports (`st.context.url`), else the scheme the proxy passes on
    (`X-Forwarded-Proto`, or RFC 7239 `Forwarded: proto=`; the first hop is the browser's).
    A client that lies here only makes its own cookie `Secure`, which a plain-HTTP page then
    cannot store: it signs itself out, nobody else."""
    if isinstance(url, str) and url.strip().lower().startswith("https://"):
        return True
    lowered = {str(k).lower(): v for k, v in (headers or {}).items()}
    proto = lowered.get("x-forwarded-proto")
    if isinstance(proto, str) and proto.split(",")[0].strip().lower() == "https":
        return True
    forwarded = lowered.get("forwarded")
    if isinstance(forwarded, str):
        first_hop = forwarded.split(",")[0]
        for pair in first_hop.split(";"):
            name, _, value = pair.partition("=")
            if name.strip().lower() == "proto" and value.strip().strip('"').lower() == "https":
                return True
    return False


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
