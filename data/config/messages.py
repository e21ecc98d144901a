"""Issues gathered while a document is validated: `_Collector` adds each with its line (the
nearest enclosing path the YAML loader saw), and turns pydantic's errors into the house's
sentences: what is wrong, then "allowed: …" naming the keys or values the model accepts."""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from data.config.errors import ConfigIssue, Path_, format_path
from data.config.fields import ID_RULE, ROOT_KINDS
from data.config.models import BandSpec, FxRateSpec
from data.roles import ROLES
from pricing.plans import BASES, TIER_MODES


class _Collector:
    def __init__(self, source: str, lines: dict[Path_, int]):
        self.source = source
        self.lines = lines
        self.issues: list[ConfigIssue] = []

    def line_of(self, path: Path_) -> int | None:
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None

    def add(self, path: Path_, message: str) -> None:
        self.issues.append(ConfigIssue(self.source, format_path(path), message, self.line_of(path)))

    def add_validation(self, prefix: Path_, exc: ValidationError, model: type[BaseModel]) -> None:
        for err in exc.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if p != "[key]")
            self.add(prefix + loc, _message(err, model, loc))


def _message(err: dict[str, Any], model: type[BaseModel], loc: Path_) -> str:
    kind, msg, ctx = err["type"], err["msg"], err.get("ctx") or {}
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        return f"unknown key {loc[-1]!r}; allowed: " + ", ".join(allowed)
    if kind == "missing":
        return "is required; " + _allowed_hint(model, loc)
    if kind == "literal_error":
        return f"{err.get('input')!r} is not allowed; allowed: " + ", ".join(
            x.strip().strip("'") for x in re.split(r",| or ", ctx.get("expected", "")) if x.strip())
    if kind in ("list_type", "tuple_type"):
        return "is not a list; allowed: a list (- item, or [a, b])"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "is not a mapping; allowed: a mapping of key: value (" + ", ".join(_allowed_keys(model, loc)) + ")"
    if kind == "too_short":
        return "is empty; allowed: at least one item"
    if kind == "string_type":
        return "allowed: text"
    return msg


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    import typing
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _model_at(model: type[BaseModel], loc: Path_) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current


def _allowed_keys(model: type[BaseModel], loc: Path_) -> list[str]:
    found = _model_at(model, loc)
    if found is None:
        return []
    return [f.alias or n for n, f in found.model_fields.items()]


_HINTS = {
    "id": ID_RULE, "name": "text", "username": "a username (letters, digits, '.', '_', '@', '+', '-')",
    "kind": "reseller, customer", "currency": "an ISO 4217 code, e.g. USD",
    "parent": "the id of the root or of a reseller", "plan": "the id of a plan owned by the parent",
    "owner": "the id of the root or of a reseller", "customer": "the id of a customer",
    "org": "the id of the root or of an organisation", "rules": "a list of rules",
    "basis": ", ".join(BASES), "mode": ", ".join(TIER_MODES), "bands": "a list of {from, discount_pct}",
    "discount_pct": "a percentage from 0 to 100", "roles": "a list of " + ", ".join(ROLES),
    "password_hash": "a bcrypt hash", "period": "a month written YYYY-MM", "rate": "a decimal number > 0",
    "to": "a currency (fx_rates) or a date (account_mappings)",
}


def _allowed_hint(model: type[BaseModel], loc: Path_) -> str:
    key = str(loc[-1]) if loc else ""
    if key == "kind" and loc[:1] == ("root",):
        return "allowed: " + ", ".join(ROOT_KINDS)
    if key == "from":
        return "allowed: " + {BandSpec: "the band's start amount, e.g. 0",
                              FxRateSpec: "an ISO 4217 code, e.g. USD"}.get(_model_at(model, loc[:-1]), "a value")
    return "allowed: " + _HINTS.get(key, "a value for " + key)
