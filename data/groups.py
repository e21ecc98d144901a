"""Pricing groups, kept up to date at ingest so a billing run never rescans landing_focus.

A billing run prices groups, not rows (docs/pricing.md §2): every FOCUS row with the same pricing
key gets the same rule, basis and factor. Grouping a month of 100M rows takes DuckDB 30–40 s
on two cores, so it is done once, when a delivery lands (`build_groups`, in the ingest
transaction), and stored in `landing_groups`. Replacing a delivery's slices drops their groups in
the same transaction.

What the groups are cut by besides the pricing key depends on the configuration (`Grouping`):
- the values of the tag keys used by tag rules (and, when a tag rule is dated, the charge day of
  every row): named by the signature stored with every group;
- the charge day of the rows of the accounts a dated mapping names, so that one mid-month move
  of an account does not cut the whole month by day: visible in the group itself (`x_Day`).
A billing run asks for the configuration's grouping (`ensure_groups`) and rebuilds, from
landing_focus, the groups of the deliveries cut otherwise: every delivery of the period when the
signature changed (or the store predates the groups), only the deliveries holding an account
whose dated mappings came or went otherwise.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Callable, Sequence

import duckdb

from queries import run

SEP = "\x1f"   # between provider and account id in Grouping.dated_subs / dated_bas (ASCII unit separator)


@dataclass(frozen=True)
class Grouping:
    """What pricing groups are cut by besides the pricing key: the values of the tag keys of
    the tag rules, and the charge day of rows whose customer a dated mapping may change (rows of
    the sub-accounts and billing accounts it names; every row when a tag rule is dated)."""
    tag_keys: tuple[str, ...] = ()     # sorted
    dated_all: bool = False
    dated_subs: tuple[str, ...] = ()   # provider + SEP + SubAccountId, sorted
    dated_bas: tuple[str, ...] = ()    # provider + SEP + BillingAccountId, sorted

    @property
    def signature(self) -> str:
        """A short stable name of the tag cut, stored with every group (the day cut of single
        accounts is not in it: a group shows it by its x_Day)."""
        text = json.dumps([self.tag_keys, self.dated_all])
        return "g2-" + hashlib.sha256(text.encode()).hexdigest()[:24]

    def params(self) -> dict:
        return {"tag_keys": list(self.tag_keys), "dated_all": self.dated_all,
                "dated_subs": list(self.dated_subs), "dated_bas": list(self.dated_bas),
                "grouping": self.signature}


def current_grouping(con: duckdb.DuckDBPyConnection) -> Grouping:
    """The grouping the store's current account mappings need (none before a config import)."""
    dated = run(con, "cfg_dated_mappings")
    return Grouping(
        tag_keys=tuple(r[0] for r in run(con, "cfg_tag_keys")),
        dated_all=any(kind == "tag" for kind, _, _ in dated),
        dated_subs=tuple(f"{p}{SEP}{i}" for kind, p, i in dated if kind == "sub"),
        dated_bas=tuple(f"{p}{SEP}{i}" for kind, p, i in dated if kind == "ba"),
    )


def build_groups(con: duckdb.DuckDBPyConnection, ingest_ids: Sequence[int], grouping: Grouping, *,
                 period: date | None = None) -> int:
    """Group the deliveries' landing rows (of `period`, or all) into landing_groups. Returns the
    number of groups written. The caller owns the transaction."""
    if not ingest_ids:
        return 0
    return int(run(con, "landing_groups_insert",
                   {"ingest_ids": list(ingest_ids), "period": period, **grouping.params()})[0][0])


def ensure_groups(con: duckdb.DuckDBPyConnection, period: date, grouping: Grouping, *,
                  progress: Callable[[str], None] | None = None) -> int:
    """Make the period's groups those of `grouping`: rebuild the deliveries whose groups are cut
    otherwise (another signature, none at all, or an account cut by day that should not be, or
    the other way round). Returns how many deliveries were rebuilt (0 on the fast path). The
    caller owns the transaction."""
    params = {"period": period, "grouping": grouping.signature}
    stale = {r[0] for r in run(con, "landing_groups_missing", params)}
    stale |= {r[0] for r in run(con, "landing_groups_day_cut_changed", {
        **params, "dated_all": grouping.dated_all, "dated_subs": list(grouping.dated_subs),
        "dated_bas": list(grouping.dated_bas)})}
    if not stale:
        return 0
    ids = sorted(stale)
    if progress:
        progress(f"regrouping the FOCUS rows of {len(ids)} "
                 f"{'delivery' if len(ids) == 1 else 'deliveries'} for pricing "
                 "(tag rules or dated mappings changed since they were loaded)")
    run(con, "landing_groups_delete_stale", {**params, "ingest_ids": ids})
    build_groups(con, ids, grouping, period=period)
    return len(ids)
