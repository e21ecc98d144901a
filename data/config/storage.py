"""The configuration in the store: `import_config` replaces the cfg_* tables in one transaction
and stores the document as a new version in cfg_documents (audited, with locked FX rates kept);
`current_config` / `current_version` / `export_config` read it back; `dump_config` writes YAML."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from data.audit import record_audit
from data.config.branding import seller_branding
from data.config.errors import ConfigError, ConfigIssue, format_path
from data.config.models import ConfigDocument
from data.config.pricing_objects import to_pricing
from data.config.validate import validate_document
from pricing.plans import MATCH_FIELDS
from queries import sql

if TYPE_CHECKING:
    import duckdb

    from data.documents.branding import Branding
    from pricing.hierarchy import Org
    from pricing.plans import Plan


def _depths(doc: ConfigDocument) -> dict[str, int]:
    parent = {o.id: o.parent for o in doc.organizations_all()}
    depth: dict[str, int] = {}

    def of(org_id: str) -> int:
        if org_id not in depth:
            p = parent[org_id]
            depth[org_id] = 0 if p is None else of(p) + 1
        return depth[org_id]

    for org_id in parent:
        of(org_id)
    return depth


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def import_config(con: duckdb.DuckDBPyConnection, doc: ConfigDocument, *,
                  imported_by: str = "cli") -> int:
    """Replace the configuration in one transaction; return the new cfg_documents version.
    Audited as a document change (`_audit_document`): readable by the root's admins only."""
    return _replace_config(con, doc, imported_by=imported_by, audit=_audit_document)


def _replace_config(con: duckdb.DuckDBPyConnection, doc: ConfigDocument, *, imported_by: str,
                    audit: Callable[..., None]) -> int:
    """import_config's work; `audit(con, version=, previous=, doc=)` records the change inside
    the same transaction (a plan save records only its plan)."""
    from data.store import transaction

    validate_document(doc)
    depth = _depths(doc)
    after = doc.to_json()
    with transaction(con):
        _check_locked_rates(con, doc)
        previous = con.execute(sql("cfg_latest_document")).fetchone()
        version = con.execute(sql("cfg_next_version")).fetchone()[0]
        for table in ("cfg_delete_plan_rules", "cfg_delete_plans", "cfg_delete_account_mappings",
                      "cfg_delete_fx_rates", "cfg_delete_users", "cfg_delete_organizations",
                      "cfg_delete_budgets"):
            con.execute(sql(table))
        con.executemany(sql("cfg_insert_organization"), [
            [o.id, o.name, o.kind, o.parent, o.currency, o.plan, _s(o.tax_rate_pct), depth[o.id]]
            for o in doc.organizations_all()])
        if doc.account_mappings:
            con.executemany(sql("cfg_insert_account_mapping"), [
                [n, m.provider, m.sub_account_id, m.billing_account_id, m.tag, m.value, m.customer,
                 m.valid_from, m.valid_to]
                for n, m in enumerate(doc.account_mappings)])
        if doc.plans:
            con.executemany(sql("cfg_insert_plan"), [
                [p.id, p.owner, p.credits, p.commitments, _s(p.commitment_share_pct),
                 json.dumps(definition, ensure_ascii=False)]
                for p, definition in zip(doc.plans, doc.to_data()["plans"])])
        rule_rows = []
        for p in doc.plans:
            for n, r in enumerate(p.rules):
                rule = r.to_rule()
                rule_rows.append([p.id, n] + [r.match.get(f) for f in MATCH_FIELDS]
                                 + [rule.basis, _s(rule.factor), rule.specificity])
        if rule_rows:
            con.executemany(sql("cfg_insert_plan_rule"), rule_rows)
        if doc.fx_rates:
            con.executemany(sql("cfg_insert_fx_rate"), [
                [r.period, r.from_ccy, r.to_ccy, _s(r.rate)] for r in doc.fx_rates])
        if doc.users:
            con.executemany(sql("cfg_insert_user"), [
                [u.username, u.name, u.email, u.org, list(u.roles), u.customers, u.cost_groups,
                 u.password_hash] for u in doc.users])
        con.execute(sql("auth_user_flags_clear"))     # sign-in flags (migration 023)
        flagged = [[u.username, u.active is not False, bool(u.must_change_password)]
                   for u in doc.users if u.active is False or u.must_change_password]
        if flagged:                                   # the defaults need no row
            con.executemany(sql("auth_user_flags_insert"), flagged)
        if doc.budgets:
            currency = {o.id: o.currency for o in doc.organizations_all()}
            con.executemany(sql("cfg_insert_budget"), [
                [n, b.customer, _s(b.amount), b.currency or currency[b.customer], b.sub_account,
                 b.tag_key, b.tag_value] for n, b in enumerate(doc.budgets)])
        con.execute(sql("cfg_insert_document"), [version, imported_by, after])
        con.execute(sql("cfg_insert_document_plans"), {"version": version})
        audit(con, version=int(version), previous=previous[0] if previous else None, doc=doc,
              imported_by=imported_by)
    return int(version)


def _audit_document(con: duckdb.DuckDBPyConnection, *, version: int, previous: str | None,
                    doc: ConfigDocument, imported_by: str) -> None:
    """A whole-document change touches every tenant, so it is recorded where only the root's
    admins read it: under the root when the importer is a configured user, else under no
    organisation (the CLI, the demo builder), which only the root's admins see either. The
    documents go in without password hashes; a user whose hash changed says "password": "changed"."""
    before = json.loads(previous) if previous else None
    after = doc.to_data()
    old_hashes = {u.get("username"): u.get("password_hash") for u in (before or {}).get("users", [])}
    changed = []
    for user in after.get("users", []):
        old = old_hashes.get(user["username"])
        if old is not None and old != user.get("password_hash"):
            user["password"] = "changed"
            changed.append(user["username"])
    importer_known = any(u.username == imported_by for u in doc.users)
    record_audit(
        con, username=imported_by, org=doc.root.id if importer_known else None,
        action="config_change", target=f"config v{version}", before=before, after=after,
        detail=f"{len(doc.organizations) + 1} organisations, {len(doc.account_mappings)} mappings, "
               f"{len(doc.plans)} plans, {len(doc.fx_rates)} FX rates, {len(doc.users)} users"
               + (f"; password changed: {', '.join(changed)}" if changed else ""))


def _check_locked_rates(con: duckdb.DuckDBPyConnection, doc: ConfigDocument) -> None:
    """Rates of a period with issued invoices are locked: the new document must keep them."""
    new = {(r.period, r.from_ccy, r.to_ccy): (n, r.rate) for n, r in enumerate(doc.fx_rates)}
    issues = []
    for period, from_ccy, to_ccy, rate in con.execute(sql("cfg_locked_fx_rates")).fetchall():
        found = new.get((period, from_ccy, to_ccy))
        if found is None:
            issues.append(ConfigIssue("document", "fx_rates", (
                f"the {from_ccy}->{to_ccy} rate of {period:%Y-%m} ({rate.normalize():f}) is locked because "
                f"invoices of that period are issued; allowed: keep it in the document")))
        elif found[1] != rate:
            issues.append(ConfigIssue("document", f"fx_rates[{found[0]}].rate", (
                f"{found[1]} would change the locked {from_ccy}->{to_ccy} rate of {period:%Y-%m}; "
                f"invoices of that period are issued; allowed: {rate.normalize():f}")))
    if issues:
        raise ConfigError(issues)


def current_config(con: duckdb.DuckDBPyConnection) -> ConfigDocument | None:
    """The latest imported document (a copy of its own, the caller's to change), or None before
    the first import."""
    shared = _shared_document(con)
    return None if shared is None else _stored_document(*shared)


def current_pricing(con: duckdb.DuckDBPyConnection) -> tuple[Mapping[str, Org], Mapping[str, Plan]] | None:
    """The latest document as pricing/'s objects (organisations by id, the root included, and
    plans by id), or None before the first import. A billing run needs only these; they are
    frozen, so one parse serves every run of this process until the next import (a 7,000-customer
    document takes a few tenths of a second to validate)."""
    shared = _shared_document(con)
    return None if shared is None else _pricing_of(*shared)


def current_config_data(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The latest document as fresh plain data (`ConfigDocument.to_data`, the caller's to edit),
    or None before the first import: what the console's pages read and change, from one parse
    per document instead of one per page."""
    shared = _shared_document(con)
    return None if shared is None else _document_of(*shared).to_data()


def current_seller_branding(con: duckdb.DuckDBPyConnection, org_id: str) -> Branding | None:
    """The seller's branding in the latest document (`seller_branding`), or None before the
    first import: what the portal's brand band shows, without parsing the document per user."""
    shared = _shared_document(con)
    return None if shared is None else seller_branding(_document_of(*shared), org_id)


def _shared_document(con: duckdb.DuckDBPyConnection) -> tuple[str, Any] | None:
    """(text, version) of the latest stored document (the key of the caches below), or None
    before the first import."""
    row = con.execute(sql("cfg_latest_document")).fetchone()
    return None if row is None else (row[0], row[1])


@lru_cache(maxsize=2)
def _pricing_of(text: str, version: Any) -> tuple[Mapping[str, Org], Mapping[str, Plan]]:
    """One stored document's organisations and plans, read-only (cached by the document's text)."""
    orgs, plans, _fx = to_pricing(_document_of(text, version))
    return MappingProxyType(orgs), MappingProxyType(plans)


@lru_cache(maxsize=1)
def _document_of(text: str, version: Any) -> ConfigDocument:
    """The stored document parsed once per text, for what the functions above derive from it
    (frozen objects, or fresh plain data). Never handed to a caller: the models are mutable, and
    `current_config` parses its own copy."""
    return _stored_document(text, version)


def _stored_document(text: str, version: Any) -> ConfigDocument:
    """The stored document, validated again: a document stored before today's bounds may hold a
    value they refuse, which is a sentence asking for a corrected import, never a traceback."""
    try:
        return ConfigDocument.model_validate_json(text)   # its own parser: half the time of json.loads
    except ValidationError as exc:
        first = exc.errors()[0]
        where = format_path(first.get("loc", ()))
        raise ConfigError([ConfigIssue("store", "", f"configuration version {version} holds a value "
                                       f"this version of Tierline refuses ({where}: {first.get('msg')}); "
                                       f"allowed: export it, correct it and import it again")]) from None


def current_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The version of the configuration in force (None before the first import). Every import
    and plan save makes a new one, so it is the app's access version: cached reads are keyed
    by it (components/cached.py), and a change of who may see what applies at once."""
    row = con.execute(sql("cfg_current_version")).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def dump_config(doc: ConfigDocument, *, header: str | None = None) -> str:
    """YAML text of a document; money and percentages as quoted strings; round-trips."""
    text = yaml.safe_dump(doc.to_data(), sort_keys=False, allow_unicode=True,
                          default_flow_style=None, width=4096)
    return (f"# {header}\n" if header else "") + text


def export_config(con: duckdb.DuckDBPyConnection) -> str:
    """YAML text of the current document (parse_config(export_config(con)) gives it back)."""
    row = con.execute(sql("cfg_latest_document")).fetchone()
    if row is None:
        raise ConfigError([ConfigIssue("store", "", "no configuration has been imported yet; "
                                       "allowed: python cli.py config import FILE first")])
    doc = _stored_document(row[0], row[1])
    return dump_config(doc, header=f"Tierline configuration, version {row[1]} "
                                   f"(imported {row[2]:%Y-%m-%d %H:%M} by {row[3] or '?'})")
