"""How the scoped access layer and the write side fit together (issue #10): one reader of
periods, one writer of the audit log on the write side, reports importable in any order, and
the one-module names callers and tests use still answer."""
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from pricing.periods import parse_period

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("written, month", [
    ("2026-05", date(2026, 5, 1)),
    (" 2026-05 ", date(2026, 5, 1)),
    ("2026-05-17", date(2026, 5, 1)),          # a day names the month it falls in
    ("2024-02-29", date(2024, 2, 1)),          # a leap day
    (date(2026, 5, 17), date(2026, 5, 1)),
    (datetime(2026, 4, 3, 23, 59), date(2026, 4, 1)),
])
def test_a_period_is_the_first_of_its_month(written, month):
    got = parse_period(written)
    assert got == month and type(got) is date


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2025-02-29", "2026-5", "May 2026", "202605",
                                 "2026-05' OR '1'='1", "", None, 202605, 2026.05])
def test_anything_else_is_one_sentence(bad):
    with pytest.raises(ValueError, match=r"^A period looks like 2026-05\.$"):
        parse_period(bad)


def _fresh(code: str) -> str:
    """Run `code` in a new interpreter (nothing imported yet) from the repository root."""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("first", ["queries.scope", "queries.reports", "queries.reports.invoices",
                                   "queries.reports.costs", "queries.reports.margins",
                                   "queries.reports.admin", "queries.reports.common"])
def test_any_module_of_the_layer_can_be_imported_first(first):
    assert _fresh(f"import {first}; from queries import scope; print(scope.invoices.__module__)") \
        == "queries.reports.invoices"


def test_the_write_side_does_not_import_the_read_layer():
    loaded = _fresh("import sys, data.audit, data.ingest, data.billing; "
                    "print(sorted(m for m in sys.modules if m.startswith('queries.')))")
    assert loaded == "[]"


def test_the_one_module_names_still_answer():
    from data.roles import ROLES
    from queries import scope
    from queries.reports import admin, costs, invoices, margins
    assert not hasattr(scope, "record_audit")          # the read layer never writes
    assert scope.ROLES is ROLES
    for module in (admin, costs, invoices, margins):
        for name in module.__dict__:
            if not name.startswith("_") and callable(getattr(module, name)) \
                    and getattr(getattr(module, name), "__module__", "") == module.__name__:
                assert getattr(scope, name) is getattr(module, name), name


def test_the_store_s_own_work_is_logged_under_the_root(tmp_path):
    """Ingests and billing runs span every tenant: under the root once one is configured, under
    no organisation before (only the root's admins read either)."""
    from data.audit import record_store_audit
    from data.config import import_config, parse_config
    from data.store import connect
    from tests.test_config import EXAMPLE
    con = connect(tmp_path / "a.duckdb")
    record_store_audit(con, username="cli", action="ingest", target="early.csv")
    import_config(con, parse_config(EXAMPLE), imported_by="cli")
    record_store_audit(con, username="inbox", action="billing_run", target="2026-05", detail="run 1 ok")
    logged = con.execute("select username, org, action, target, detail from audit_log "
                         "where action <> 'config_change' order by username").fetchall()
    assert logged == [("cli", None, "ingest", "early.csv", None),
                      ("inbox", "northwind", "billing_run", "2026-05", "run 1 ok")]
    con.close()


def test_the_configuration_offers_exactly_the_roles_there_are():
    """models.UserSpec spells the roles as a Literal (a type checker needs the words); they must
    be the one list of data.roles."""
    import typing

    from data.config.models import UserSpec
    from data.roles import ROLES
    (item,) = typing.get_args(UserSpec.model_fields["roles"].annotation)
    assert typing.get_args(item) == ROLES
