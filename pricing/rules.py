"""The flat-rule charge model: which rule of a plan prices a row, and whether a rule list is sound.

`resolve` is the entry point used while pricing (docs/pricing.md §4); `validate_rules` runs when a
plan is saved. The score a rule competes with is `Rule.specificity` (rank × 10 + field count).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Mapping, Sequence

from pricing.money import HUNDRED, ZERO
from pricing.plans import BASES, MATCH_FIELDS, Rule

Issue = tuple[str, str]          # (path in the plan document, sentence for a person)


def resolve(rules: Sequence[Rule], row: Mapping) -> tuple[int, Rule] | None:
    """The most specific rule matching `row`, as (rule_no, rule); rule_no is the 0-based position.

    Highest `specificity` wins. A tie between matching rules of equal score is a configuration
    error `validate_rules` reports; should an unvalidated plan contain one, the first rule in plan
    order wins, so the answer is still deterministic. None when no rule matches.
    """
    best: tuple[int, Rule] | None = None
    for rule_no, rule in enumerate(rules):
        if rule.matches(row) and (best is None or rule.specificity > best[1].specificity):
            best = (rule_no, rule)
    return best


def can_match_same_row(a: Rule, b: Rule) -> bool:
    """True when some row matches both rules: every field both rules name has the same value."""
    mine = dict(a.match)
    return all(mine[f] == v for f, v in b.match if f in mine)


def validate_rules(rules: Sequence[Rule]) -> list[Issue]:
    """Every problem in a plan's rule list, as (path, message); empty when the rules are sound.

    Checks: known match fields named once with a non-empty value; a known basis; at most one of
    discount_pct / markup_pct (neither means factor 1, the basis itself); 0 ≤ discount_pct ≤ 100;
    markup_pct ≥ 0; no two rules of equal specificity that can match the same row.
    """
    issues: list[Issue] = []
    for i, rule in enumerate(rules):
        path = f"rules[{i}]"
        seen: set[str] = set()
        for field_name, value in rule.match:
            if field_name not in MATCH_FIELDS:
                issues.append((f"{path}.match.{field_name}",
                               f"cannot match on {field_name!r}; use one of {', '.join(MATCH_FIELDS)}"))
            if field_name in seen:
                issues.append((f"{path}.match.{field_name}", f"{field_name} is named twice"))
            seen.add(field_name)
            if not isinstance(value, str) or not value:
                issues.append((f"{path}.match.{field_name}", f"{field_name} needs a non-empty text value"))
        if rule.basis not in BASES:
            issues.append((f"{path}.basis", f"unknown basis {rule.basis!r}; use one of {', '.join(BASES)}"))
        if rule.discount_pct is not None and rule.markup_pct is not None:
            issues.append((path, "give discount_pct or markup_pct, not both"))
        if rule.discount_pct is not None:
            if not isinstance(rule.discount_pct, Decimal):
                issues.append((f"{path}.discount_pct", "discount_pct must be a decimal number"))
            elif not ZERO <= rule.discount_pct <= HUNDRED:
                issues.append((f"{path}.discount_pct",
                               f"discount_pct must be between 0 and 100, not {rule.discount_pct}"))
        if rule.markup_pct is not None:
            if not isinstance(rule.markup_pct, Decimal):
                issues.append((f"{path}.markup_pct", "markup_pct must be a decimal number"))
            elif rule.markup_pct < ZERO:
                issues.append((f"{path}.markup_pct",
                               f"markup_pct cannot be negative ({rule.markup_pct}); use discount_pct"))
    for j, later in enumerate(rules):
        for i in range(j):
            earlier = rules[i]
            if earlier.specificity == later.specificity and can_match_same_row(earlier, later):
                both = dict(earlier.match) | dict(later.match)
                where = ", ".join(f"{f}={v}" for f, v in sorted(both.items())) or "every row"
                issues.append((f"rules[{j}]",
                               f"overlaps rules[{i}]: same specificity ({later.specificity}) and both "
                               f"match a row with {where}; make one more specific or remove one"))
    return issues
