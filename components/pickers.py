"""Pickers whose every value is checked against the user's scope before a page uses it.

A value can arrive three ways: the widget (a browser can send any string for a selectbox),
session state, or a query parameter (`?customer=…&period=…`). All three are checked against
what queries.scope says the user may see; anything else stops the page with a sentence and
no data. The sentence never repeats the forged value.
"""
from __future__ import annotations

from datetime import date
from typing import Callable, Sequence, TypeVar

import streamlit as st

from components import cached
from components.errors import refuse
from components.money import fmt
from pricing.periods import parse_period as read_period

T = TypeVar("T")

NOT_YOURS_CUSTOMER = ("That customer is not one you have access to. Pick one from the list, "
                      "or ask an administrator to assign it to you.")
NOT_YOURS_PERIOD = "There is nothing to show for that period. Pick one from the list."
NOT_YOURS_INVOICE = "That invoice is not one you have access to. Pick one from the list."
_WRITTEN_KEY = "_pickers_written"   # {query parameter: the value this session last wrote}


def _checked_select(label: str, options: Sequence[T], *, key: str, param: str | None,
                    parse: Callable[[str], T | None], show: Callable[[T], str],
                    to_param: Callable[[T], str], refusal: str, help: str | None = None) -> T:
    """A selectbox over `options` whose value, from any source, must be one of them.

    The query parameter `param` mirrors the choice, so the URL can be shared. A value in it
    that this session did not write came from outside (a link, an edited URL): it must be one
    of `options`, and it opens the widget on that value."""
    written = st.session_state.setdefault(_WRITTEN_KEY, {})
    index = 0
    if param is not None and param in st.query_params \
            and st.query_params[param] != written.get(param):
        wanted = parse(st.query_params[param])
        if wanted is None or wanted not in options:
            refuse(refusal)
        if st.session_state.get(key) is None:
            st.session_state.pop(key, None)
            index = list(options).index(wanted)
    current = st.session_state.get(key)            # widget value or session state, pre-widget
    if current is not None and current not in options:
        refuse(refusal)
    if current is not None:
        # The widget's default is always the value it holds: a browser that first draws the
        # widget in a later run (the sign-in cookie's rerun can overtake the first) shows the
        # default it is sent, and would show the first option while the page used the link's.
        index = list(options).index(current)
    labels = _unique_labels(options, show, to_param)
    choice = st.selectbox(label, list(options), key=key, help=help, index=index,
                          format_func=lambda v: labels.get(v, "—"),
                          disabled=len(options) == 1)
    if choice not in options:
        refuse(refusal)
    if param is not None:
        if choice is None:
            st.query_params.pop(param, None)
            written.pop(param, None)
        else:
            written[param] = st.query_params[param] = to_param(choice)
    return choice


def _unique_labels(options: Sequence[T], show: Callable[[T], str],
                   to_param: Callable[[T], str]) -> dict[T, str]:
    """Each option's label, made unique by its id where two would read the same. A selectbox
    returns the first option whose label the browser sent, so two customers (or plans, or
    invoices) with one name would otherwise select the wrong one."""
    labels = {v: show(v) for v in options}
    counts: dict[str, int] = {}
    for text in labels.values():
        counts[text] = counts.get(text, 0) + 1
    return {v: f"{text} ({to_param(v)})" if counts[text] > 1 and v is not None else text
            for v, text in labels.items()}


def forget() -> None:
    """Forget what this session wrote into the URL (at sign-out: the next user starts clean)."""
    st.session_state.pop(_WRITTEN_KEY, None)


def customer(username: str, *, key: str, param: str | None = "customer",
             label: str = "Customer") -> dict:
    """The customer to show: one of visible_customers (a customer user has exactly one)."""
    customers = cached.visible_customers(username)
    if not customers:
        refuse("No customers are visible to you yet. Ask an administrator to assign some.")
    by_id = {c["id"]: c for c in customers}
    chosen = _checked_select(
        label, list(by_id), key=key, param=param,
        parse=lambda raw: raw.strip(), show=lambda cid: by_id[cid]["name"],
        to_param=str, refusal=NOT_YOURS_CUSTOMER,
    )
    return by_id[chosen]


def parse_period(raw: str) -> date | None:
    """'2025-05' (any form pricing.periods reads) as the first of the month; None if not."""
    try:
        return read_period(raw)
    except ValueError:
        return None


def period_label(p: date) -> str:
    return p.strftime("%B %Y")


def period(username: str, *, key: str, param: str | None = "period", label: str = "Period",
           allow_all: bool = False) -> date | None:
    """A billing month the user has data for, newest first (None: "All periods", when
    `allow_all`)."""
    options: list[date | None] = sorted(cached.visible_periods(username), reverse=True)
    if not options:
        refuse("There is no billed period yet. Once provider data is ingested it shows here.")
    if allow_all:
        options.insert(0, None)
    return _checked_select(
        label, options, key=key, param=param, parse=parse_period,
        show=lambda p: "All periods" if p is None else period_label(p),
        to_param=lambda p: p.strftime("%Y-%m"), refusal=NOT_YOURS_PERIOD,
    )


def customer_month(username: str, *, prefix: str) -> tuple[dict, date]:
    """The customer and the month side by side, as the customer-facing pages open (widget keys
    <prefix>_customer and <prefix>_period, both in the URL and checked like `customer`, `period`)."""
    left, right = st.columns(2)
    with left:
        chosen = customer(username, key=f"{prefix}_customer")
    with right:
        month = period(username, key=f"{prefix}_period")
    return chosen, month


def choice(label: str, options: dict[str, str], *, key: str, default: str) -> str:
    """A small fixed choice (segmented control) whose value must be one of `options`."""
    current = st.session_state.get(key)
    if current is not None and current not in options:
        refuse("That choice is not available here.")
    value = st.segmented_control(label, list(options), format_func=options.get, key=key,
                                 default=default)
    if value is None:
        return default
    if value not in options:
        refuse("That choice is not available here.")
    return value


def optional(label: str, options: Sequence[str], *, key: str, context: str = "") -> str | None:
    """A filter: one of `options`, or None for all of them. `context` names what the options
    depend on (customer, period): each context has its own widget, so a value chosen for one
    is never checked against another's options."""
    key = f"{key}_{context}" if context else key
    values = [None, *options]
    current = st.session_state.get(key)
    if current is not None and current not in values:
        refuse("That filter value is not available here.")
    value = st.selectbox(label, values, key=key,
                         format_func=lambda v: "All" if v is None else str(v))
    if value not in values:
        refuse("That filter value is not available here.")
    return value


def filter_choice(label: str, options: Sequence[T], *, key: str, param: str, refusal: str,
                  show: Callable[[T], str] = str, to_param: Callable[[T], str] = str,
                  parse: Callable[[str], T | None] = lambda raw: raw) -> T | None:
    """A filter kept in the URL (`param`) so a view can be shared: one of `options`, or None for
    all of them ("All"). A value from the URL or the widget that is not one of `options` stops
    the page with `refusal`. `key` must name what the options depend on (customer, period), so a
    value chosen for one context is never checked against another's options."""
    return _checked_select(label, [None, *options], key=key, param=param, parse=parse,
                           show=lambda v: "All" if v is None else show(v), to_param=to_param,
                           refusal=refusal)


def invoice_label(inv: dict) -> str:
    """'NW-2025-0007 · Northwind Distribution → MSP One · USD 12,345.67' ('Draft' unnumbered)."""
    return (f"{inv['number'] or 'Draft'} · {inv['seller_name']} → {inv['buyer_name']} · "
            f"{fmt(inv['total'], inv['currency'])}")


def _invoice_id(raw: str) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def invoice(listing: list[dict], *, key: str, context: str = "",
            param: str | None = "invoice") -> int:
    """One invoice of `listing` (the scope layer's invoices for the user) by id; `context` as
    for `optional` (the listing's period)."""
    by_id = {inv["invoice_id"]: inv for inv in listing}
    key = f"{key}_{context}" if context else key
    return _checked_select("Invoice", list(by_id), key=key, param=param, parse=_invoice_id,
                           show=lambda iid: invoice_label(by_id[iid]), to_param=str,
                           refusal=NOT_YOURS_INVOICE)
