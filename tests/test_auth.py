"""data/auth.py: lockout, revocation and the cookie key, on a real store file.

Lockouts and revocations must survive a new connection (a restart), so every test that
writes one reads it back through a fresh `connect()`.
"""
from __future__ import annotations

import subprocess
import tomllib
from datetime import datetime, timedelta

import bcrypt
import pytest

from data import auth
from data.store import ROOT, connect

T0 = datetime(2025, 6, 3, 9, 0, 0)
POLICY = auth.Policy(max_failures=5, window=timedelta(minutes=15),
                     lock_for=timedelta(minutes=15), session=timedelta(minutes=60))


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "auth.duckdb"
    connect(path).close()
    return path


def reopen(path):
    return connect(path)


# --- lockout -------------------------------------------------------------------------------------

def test_four_failures_do_not_lock(db):
    con = reopen(db)
    for i in range(4):
        assert auth.record_failure(con, "alice", POLICY, T0 + timedelta(minutes=i)) is None
    con.close()
    assert auth.locked_until(reopen(db), "alice", T0 + timedelta(minutes=4)) is None


def test_fifth_failure_locks_for_fifteen_minutes_and_survives_restart(db):
    con = reopen(db)
    results = [auth.record_failure(con, "alice", POLICY, T0 + timedelta(minutes=i)) for i in range(5)]
    con.close()
    assert results[:4] == [None] * 4
    assert results[4] == T0 + timedelta(minutes=4 + 15)

    con = reopen(db)  # a restart: the lockout is in the store, not in memory
    assert auth.locked_until(con, "alice", T0 + timedelta(minutes=5)) == T0 + timedelta(minutes=19)
    assert auth.locked_until(con, "ALICE ", T0 + timedelta(minutes=5)) is not None  # same user
    assert auth.locked_until(con, "bob", T0 + timedelta(minutes=5)) is None
    assert auth.locked_until(con, "alice", T0 + timedelta(minutes=19)) is None  # over
    con.close()


def test_failures_outside_the_window_do_not_count(db):
    con = reopen(db)
    for i in range(4):
        auth.record_failure(con, "alice", POLICY, T0 + timedelta(minutes=i))
    # the fifth comes 20 minutes after the first: only failures 2..4 (+ this one) are recent
    assert auth.record_failure(con, "alice", POLICY, T0 + timedelta(minutes=16, seconds=30)) is None
    con.close()


def test_success_clears_failures(db):
    con = reopen(db)
    for i in range(4):
        auth.record_failure(con, "alice", POLICY, T0 + timedelta(minutes=i))
    auth.clear_failures(con, "alice")
    assert auth.record_failure(con, "alice", POLICY, T0 + timedelta(minutes=5)) is None
    con.close()


def test_after_a_lockout_the_full_number_of_attempts_is_back(db):
    con = reopen(db)
    for i in range(5):
        auth.record_failure(con, "alice", POLICY, T0 + timedelta(seconds=i))
    after = T0 + timedelta(minutes=16)
    assert auth.locked_until(con, "alice", after) is None
    assert auth.record_failure(con, "alice", POLICY, after) is None
    con.close()


def test_unknown_usernames_are_locked_like_known_ones(db):
    con = reopen(db)
    for i in range(5):
        until = auth.record_failure(con, "no-such-user", POLICY, T0 + timedelta(seconds=i))
    assert until is not None
    con.close()


def test_burn_password_check_runs_bcrypt():
    auth.burn_password_check("whatever")  # must not raise, for any input
    auth.burn_password_check("")


def test_policy_from_env():
    p = auth.Policy.from_env({"TIERLINE_SESSION_MINUTES": "30", "TIERLINE_LOCKOUT_ATTEMPTS": "3",
                              "TIERLINE_LOCKOUT_MINUTES": "10"})
    assert (p.max_failures, p.session, p.window, p.lock_for) == (
        3, timedelta(minutes=30), timedelta(minutes=10), timedelta(minutes=10))
    assert auth.Policy.from_env({}).session == timedelta(minutes=60)
    assert auth.Policy.from_env({}).cookie_expiry_days == pytest.approx(1 / 24)
    with pytest.raises(ValueError, match="TIERLINE_SESSION_MINUTES"):
        auth.Policy.from_env({"TIERLINE_SESSION_MINUTES": "soon"})
    with pytest.raises(ValueError, match="more than 0"):
        auth.Policy.from_env({"TIERLINE_SESSION_MINUTES": "0"})


def test_library_accepts_fractional_cookie_expiry_days():
    # streamlit-authenticator 0.4.2 computes exp_date = now + timedelta(days=cookie_expiry_days)
    import inspect

    from streamlit_authenticator.models.cookie_model import CookieModel
    src = inspect.getsource(CookieModel)
    assert "timedelta(days=self.cookie_expiry_days)" in src
    assert timedelta(days=auth.Policy().cookie_expiry_days) == timedelta(minutes=60)


# --- revocation ----------------------------------------------------------------------------------

def test_revoked_token_is_refused_after_restart(db):
    con = reopen(db)
    auth.revoke_token(con, "header.payload.sig", T0 + timedelta(hours=1), now=T0)
    auth.revoke_token(con, "header.payload.sig", T0 + timedelta(hours=1), now=T0)  # idempotent
    con.close()
    con = reopen(db)
    assert auth.is_revoked(con, "header.payload.sig")
    assert not auth.is_revoked(con, "header.payload.other")
    stored = con.execute("select token_sha256 from auth_revoked_tokens").fetchall()
    assert stored == [(auth.token_digest("header.payload.sig"),)]  # the digest, never the token
    con.close()


def test_purge_keeps_live_revocations(db):
    con = reopen(db)
    auth.revoke_token(con, "old", T0 + timedelta(minutes=5), now=T0)
    auth.revoke_token(con, "live", T0 + timedelta(hours=2), now=T0)
    auth.purge(con, POLICY, now=T0 + timedelta(hours=1))
    assert not auth.is_revoked(con, "old")  # expired anyway: the library refuses it on exp_date
    assert auth.is_revoked(con, "live")
    con.close()


# --- users ---------------------------------------------------------------------------------------

def test_credentials_are_a_fresh_dict_each_time(db):
    con = reopen(db)
    con.execute("insert into cfg_organizations values ('root', 'Root Co', 'distributor', null, 'USD', null, 0, 0)")
    pw = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()
    con.execute("insert into cfg_users values ('Ann', 'Ann A', 'ann@x', 'root', ['admin'], [], [], ?)", [pw])
    first = auth.credentials(con)
    first["usernames"]["ann"]["logged_in"] = True
    second = auth.credentials(con)
    assert second == {"usernames": {"ann": {"name": "Ann A", "email": "ann@x", "password": pw,
                                            "roles": ["admin"]}}}
    profile = auth.user_profile(con, "Ann")
    assert profile["org_name"] == "Root Co" and profile["org_is_root"] is True
    assert auth.user_profile(con, "nobody") is None
    con.close()


# --- cookie key ----------------------------------------------------------------------------------

def test_ensure_cookie_key_generates_once(tmp_path):
    path = tmp_path / ".streamlit" / "secrets.toml"
    assert auth.ensure_cookie_key(path, env={}) is True
    key = auth.cookie_key(path, env={})
    assert len(key.encode()) >= 64
    assert path.stat().st_mode & 0o777 == 0o600
    assert auth.ensure_cookie_key(path, env={}) is False
    assert auth.cookie_key(path, env={}) == key


def test_ensure_cookie_key_keeps_other_secrets(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text('api = "x"\n\n[auth]\nother = 1\n\n[db]\nurl = "y"\n')
    assert auth.ensure_cookie_key(path, env={}) is True
    doc = tomllib.loads(path.read_text())
    assert doc["api"] == "x" and doc["db"] == {"url": "y"}
    assert doc["auth"]["other"] == 1 and len(doc["auth"]["cookie_key"]) >= 64

    path2 = tmp_path / "other.toml"
    path2.write_text('api = "x"')
    assert auth.ensure_cookie_key(path2, env={}) is True
    doc2 = tomllib.loads(path2.read_text())
    assert doc2["api"] == "x" and "cookie_key" in doc2["auth"]


def test_env_key_wins_and_short_keys_are_refused(tmp_path):
    path = tmp_path / "secrets.toml"
    env = {auth.COOKIE_KEY_ENV: "e" * 40}
    assert auth.ensure_cookie_key(path, env=env) is False and not path.exists()
    assert auth.cookie_key(path, env=env) == "e" * 40
    with pytest.raises(auth.CookieKeyMissing, match="32 bytes"):
        auth.cookie_key(path, env={auth.COOKIE_KEY_ENV: "short"})
    with pytest.raises(auth.CookieKeyMissing, match="init-secrets"):
        auth.cookie_key(path, env={})
    path.write_text('[auth]\ncookie_key = "tooshort"\n')
    with pytest.raises(auth.CookieKeyMissing):
        auth.ensure_cookie_key(path, env={})


def test_no_cookie_key_in_the_repository():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT)
    assert ignored.returncode == 0, ".streamlit/secrets.toml must be git-ignored"
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    offenders = []
    for name in tracked:
        p = ROOT / name
        if p.suffix not in {".toml", ".py", ".yaml", ".yml", ".env", ".cfg", ".ini", ".md"} or not p.is_file():
            continue
        for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
            s = line.strip()
            if s.startswith("cookie_key") and "=" in s:
                value = s.split("=", 1)[1].strip().strip("'\"")
                if len(value) >= auth.MIN_KEY_BYTES:
                    offenders.append(f"{name}: {s[:30]}…")
    assert offenders == []
