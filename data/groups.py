"""Pricing groups, kept up to date at ingest so a billing run never rescans landing_focus.

A billing run prices groups, not rows (docs/pricing.md §2): every FOCUS row with the same pricing
key gets the same rule, basis and factor. Grouping a month of 100M rows takes DuckDB about 40 s
on two cores, so it is done once, when a delivery lands (`build_groups`, in the ingest
transaction), and stored in `landing_groups`. Replacing a delivery's slices drops their groups in
the same transaction.

What the groups are cut by besides the pricing key depends on the configuration: the values of
the tag keys used by tag rules, and the charge day of the accounts a dated mapping names (so one
mid-month move of an account does not cut the whole month by day). That choice is the
`Grouping`; its signature is stored with every group. A billing run asks for the configuration's
grouping (`ensure_groups`) and rebuilds, from landing_focus, the groups of any delivery cut
otherwise (the configuration changed since it was loaded, or the store predates this table).
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
        """A short stable name of this grouping, stored with every group it cut."""
        text = json.dumps([self.tag_keys, self.dated_all, self.dated_subs, self.dated_bas])
        return "g1-" + hashlib.sha256(text.encode()).hexdigest()[:24]

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
    """Make the period's groups those of `grouping`: drop groups cut otherwise and rebuild the
    deliveries that lack them. Returns how many deliveries were rebuilt (0 on the fast path).
    The caller owns the transaction."""
    params = {"period": period, "grouping": grouping.signature}
    missing = [r[0] for r in run(con, "landing_groups_missing", params)]
    if not missing:
        return 0
    if progress:
        progress(f"regrouping the FOCUS rows of {len(missing)} "
                 f"{'delivery' if len(missing) == 1 else 'deliveries'} for pricing "
                 "(tag rules or dated mappings changed since they were loaded)")
    run(con, "landing_groups_delete_stale", params)
    build_groups(con, missing, grouping, period=period)
    return len(missing)
