"""Reading and validating a whole document: `parse_config(text)` / `load_config(path)` check
each item alone (models.py), then across items (cross_checks.py), and raise one `ConfigError`
listing every problem in line order. `validate_document` runs the cross-item checks on a
document built in code (import_config does, before it stores anything)."""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from data.config.cross_checks import _check, _check_broken_plans
from data.config.errors import ConfigError, ConfigIssue, Path_
from data.config.fields import ROOT_KINDS, SECTIONS
from data.config.messages import _Collector
from data.config.models import (
    BudgetSpec,
    ConfigDocument,
    FxRateSpec,
    MappingSpec,
    OrgSpec,
    PlanSpec,
    RootSpec,
    UserSpec,
    _Spec,
)
from data.config.yamltext import _load_yaml
from data.documents.branding import load_logo
from pricing.money import ISO_CURRENCIES


def _validate_items(col: _Collector, raw: Any, section: str, model: type[_Spec]
                    ) -> tuple[list[tuple[int, Any]], list[tuple[int, dict]]]:
    """Validate each item of a list section alone; return (index, spec) of the valid ones and
    the raw mappings of the invalid ones (their ids still count as known)."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        col.add((section,), "is not a list; allowed: a list of items (- {...})")
        return [], []
    ok: list[tuple[int, Any]] = []
    bad: list[tuple[int, dict]] = []
    for i, item in enumerate(raw):
        try:
            ok.append((i, model.model_validate(item)))
        except ValidationError as exc:
            col.add_validation((section, i), exc, model)
            if isinstance(item, dict):
                bad.append((i, item))
    return ok, bad


def parse_config(text: str, source: str = "<text>", *, folder: str | Path | None = None) -> ConfigDocument:
    """Parse and validate a YAML configuration document; ConfigError lists every problem.
    `folder`: where logo file names are read from (load_config passes the document's folder);
    without it a logo must be a data URI."""
    data, lines, yaml_issues = _load_yaml(text, source)
    return _validate_data(data, lines, yaml_issues, source, folder=folder)


def _embed_logos(col: _Collector, data: dict, folder: str | Path | None) -> None:
    """Replace each branding's logo file name by a data URI of the file, so the stored document
    holds its logos (the store never reads a file the configuration once named). A file that is
    missing, outside the folder or not a readable PNG/SVG is an issue naming the field."""
    holders: list[tuple[Path_, Any]] = [(("root",), data.get("root"))]
    orgs = data.get("organizations")
    if isinstance(orgs, list):
        holders += [(("organizations", i), org) for i, org in enumerate(orgs)]
    for path, holder in holders:
        branding = holder.get("branding") if isinstance(holder, dict) else None
        ref = branding.get("logo") if isinstance(branding, dict) else None
        if not isinstance(ref, str) or not ref.strip() or ref.strip().lower().startswith("data:"):
            continue                     # the models check data URIs and wrong types
        where = path + ("branding", "logo")
        if folder is None:
            col.add(where, f"{ref!r} is a file name, but this document was not read from a file; "
                           "allowed: a data URI (data:image/svg+xml;base64,…)")
            continue
        try:
            logo = load_logo(ref, folder)
        except ValueError as exc:
            col.add(where, str(exc).rstrip("."))
            continue
        branding["logo"] = f"data:{logo.mime};base64,{base64.b64encode(logo.data).decode('ascii')}"


def _validate_data(data: Any, lines: dict[Path_, int], yaml_issues: list[ConfigIssue],
                   source: str, *, folder: str | Path | None = None) -> ConfigDocument:
    """Validate document data (as the YAML loader gives it: every scalar text); `lines` maps
    document paths to the lines issues name (save_plan maps only its plan's paths)."""
    col = _Collector(source, lines)
    col.issues.extend(yaml_issues)
    if not isinstance(data, dict):
        col.add((), "the document is empty or not a mapping; allowed: a mapping with the keys "
                + ", ".join(SECTIONS) + " (root is required)")
        raise ConfigError(col.issues)
    for key in data:
        if key not in SECTIONS:
            col.add((key,), f"unknown key {key!r}; allowed: " + ", ".join(SECTIONS))
    _embed_logos(col, data, folder)

    root: RootSpec | None = None
    if "root" not in data:
        col.add(("root",), "is required; allowed: {id, name, kind: distributor | reseller, currency}")
    else:
        try:
            root = RootSpec.model_validate(data["root"])
        except ValidationError as exc:
            col.add_validation(("root",), exc, RootSpec)
            raw_root = data["root"]
            if isinstance(raw_root, dict) and isinstance(raw_root.get("id"), str):
                # Keep checking the rest against the root's id; its currency only if valid.
                ccy = raw_root.get("currency")
                root = RootSpec.model_construct(
                    id=raw_root["id"], name=str(raw_root.get("name") or raw_root["id"]),
                    kind=raw_root.get("kind") if raw_root.get("kind") in ROOT_KINDS else "distributor",
                    currency=ccy if ccy in ISO_CURRENCIES else "", country=None)

    sections = {
        "organizations": OrgSpec, "account_mappings": MappingSpec, "plans": PlanSpec,
        "fx_rates": FxRateSpec, "users": UserSpec, "budgets": BudgetSpec,
    }
    valid: dict[str, list[tuple[int, Any]]] = {}
    invalid: dict[str, list[tuple[int, dict]]] = {}
    for name, model in sections.items():
        valid[name], invalid[name] = _validate_items(col, data.get(name), name, model)

    if root is not None:
        shadow_orgs = {str(r.get("id")) for _, r in invalid["organizations"] if r.get("id") is not None}
        shadow_plans = {str(r.get("id")) for _, r in invalid["plans"] if r.get("id") is not None}
        _check(col, root, valid, shadow_orgs, shadow_plans)
        _check_broken_plans(col, root, valid, invalid["plans"], shadow_orgs)

    if col.issues:
        col.issues.sort(key=lambda i: (i.line or 10**9))
        raise ConfigError(col.issues)
    return ConfigDocument(
        root=root,
        **{name: [spec for _, spec in items] for name, items in valid.items()},
    )


def load_config(path: str | Path) -> ConfigDocument:
    """Read, parse and validate the YAML file at `path`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(p), "", f"cannot read the file ({exc.strerror}); "
                                       "allowed: a readable UTF-8 YAML file")]) from exc
    return parse_config(text, source=str(p), folder=p.resolve().parent)


def validate_document(doc: ConfigDocument, source: str = "<document>") -> None:
    """Run the cross-reference checks on an already-built document (import_config does)."""
    col = _Collector(source, {})
    valid = {name: list(enumerate(getattr(doc, name)))
             for name in ("organizations", "account_mappings", "plans", "fx_rates", "users", "budgets")}
    _check(col, doc.root, valid, set(), set())
    for where, org in [(("root",), doc.root), *((("organizations", i), o) for i, o in enumerate(doc.organizations))]:
        logo = org.branding.logo if org.branding else None
        if logo is not None and not logo.lower().startswith("data:"):
            # the store holds its logos: load_config embeds files; a document built in code must too
            col.add(where + ("branding", "logo"), f"{logo!r} is a file name; allowed: a data URI "
                    "(load_config embeds the file it names)")
    if col.issues:
        raise ConfigError(col.issues)
