"""The one navigation every page draws after its guard: links to the pages the user's roles open.

Streamlit's automatic page list is hidden (`client.showSidebarNavigation = false`), because it
would list every file in pages/ to everyone. Each page still guards itself (components/auth.py);
this table only decides which links are drawn, and tests/test_pages_apptest.py checks that it
agrees with every page's `require(...)`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import streamlit as st

from components.tables import forget_downloads
from components.text import md_escape
from data.roles import ROLES

ROLE_LABELS = {
    "admin": "Administrator",
    "leader": "Practice leader",
    "account_manager": "Account manager",
    "customer": "Customer",
}
ROLE_PLURALS = {
    "admin": "administrators",
    "leader": "practice leaders",
    "account_manager": "account managers",
    "customer": "customers",
}
ALL_ROLES = ROLES          # every role, in the order pages list them (the one list: data/roles.py)


@dataclass(frozen=True)
class PageSpec:
    path: str
    label: str
    icon: str
    blurb: str
    roles: tuple[str, ...] | None = None   # None: everyone signed in
    root_only: bool = False                 # only users of the organisation running Tierline

    def opens_for(self, roles: tuple[str, ...], is_root: bool) -> bool:
        if self.root_only and not is_root:
            return False
        return self.roles is None or bool(set(self.roles) & set(roles))


PAGES: tuple[PageSpec, ...] = (
    PageSpec("app.py", "Home", ":material/home:", "Who you are and where to go.", ALL_ROLES),
    PageSpec("pages/1_Costs.py", "Costs", ":material/payments:",
             "A customer's month: total, breakdown, the rows behind it.", ALL_ROLES),
    PageSpec("pages/2_Invoices.py", "Invoices", ":material/receipt_long:",
             "Draft and issued invoices with their lines.", ALL_ROLES),
    PageSpec("pages/3_Margins.py", "Margins", ":material/trending_up:",
             "Revenue, cost and margin per period.", ("admin", "leader")),
    PageSpec("pages/4_Reconciliation.py", "Reconciliation", ":material/balance:",
             "Provider invoices against what was billed; unassigned cost.",
             ("admin", "leader"), root_only=True),
    PageSpec("pages/5_Deliveries.py", "Deliveries", ":material/inbox:",
             "Upload FOCUS files; the files ingested, what replaced what, the refused ones.",
             ("admin",), root_only=True),
    PageSpec("pages/6_Audit_log.py", "Audit log", ":material/history:",
             "Sign-ins, sign-outs, lockouts and changes.", ("admin",)),
    PageSpec("pages/7_Plans.py", "Plans", ":material/sell:",
             "The price plans your organisation sells on.", ("admin",)),
    PageSpec("pages/8_What_if.py", "What-if", ":material/science:",
             "A plan changed and priced on a past month, before it is saved.", ("admin", "leader")),
    PageSpec("pages/9_Budgets.py", "Budgets", ":material/savings:",
             "A customer's monthly budgets, the month against them, and their alerts.", ALL_ROLES),
    PageSpec("pages/10_Why_this_price.py", "Why this price", ":material/help:",
             "The rule, basis, discount, tier and FX rate behind a price.", ALL_ROLES),
    PageSpec("pages/11_Commitments.py", "Commitments", ":material/handshake:",
             "Commitments, the single-customer rule, credits and coverage.",
             ("admin", "leader", "account_manager")),
    PageSpec("pages/12_QBR.py", "QBR", ":material/co_present:",
             "A customer's quarterly business review, and its PDF pack.",
             ("account_manager", "admin", "leader")),
    PageSpec("pages/13_Organisations.py", "Organisations", ":material/account_tree:",
             "Your organisation's tree: create, rename, move, deactivate; currency, tax, plan.",
             ("admin",)),
    PageSpec("pages/14_Account_mappings.py", "Account mappings", ":material/link:",
             "Which accounts and tags bill to which customer; the unmapped cost.", ("admin",)),
    PageSpec("pages/15_FX_rates.py", "FX rates", ":material/currency_exchange:",
             "Exchange rates per period, the missing ones, the locked ones.", ("admin",)),
    PageSpec("pages/16_Users.py", "Users", ":material/group:",
             "Invite users, reset passwords, deactivate, roles and customers.", ("admin",)),
    PageSpec("pages/17_Billing.py", "Billing", ":material/calculate:",
             "Run a period's billing: its counts, unpriced rows and unassigned cost.",
             ("admin",), root_only=True),
    PageSpec("pages/18_Issue_invoices.py", "Invoicing", ":material/verified:",
             "Review a period's drafts, issue them, credit notes, documents, e-mail.", ("admin",)),
)


def page_spec(path: str) -> PageSpec:
    return next(p for p in PAGES if p.path == path)


def pages_for(roles: tuple[str, ...], is_root: bool) -> list[PageSpec]:
    return [p for p in PAGES if p.opens_for(roles, is_root)]


def role_names(roles: tuple[str, ...]) -> str:
    """'Administrator, Practice leader' for a user's roles."""
    return ", ".join(ROLE_LABELS.get(r, r) for r in roles) or "no role"


def role_plurals(roles: tuple[str, ...]) -> str:
    """'administrators and practice leaders' for the roles a page admits."""
    names = [ROLE_PLURALS.get(r, r) for r in roles]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


_SEES = {
    "admin": "You see the prices {org} pays and charges and the usage of its whole subtree, "
             "and you look after its users' sign-ins and the audit log.",
    "leader": "You see the prices {org} pays and charges, its margins and the usage of its "
              "whole subtree.",
    "account_manager": "You see the customers assigned to you: their costs and invoices.",
    "customer": "You see your own costs and invoices, at the prices you pay.",
}


def what_you_see(roles: tuple[str, ...], is_root: bool, org_name: str) -> str:
    """One sentence on what the user's broadest role shows them (DOMAIN.md §3)."""
    for role in ALL_ROLES:
        if role in roles:
            text = _SEES[role].format(org=org_name)
            if is_root and role in ("admin", "leader"):
                text += " Reconciliation against the providers' invoices is yours too."
            return text
    return "Your account has no role yet, so there is nothing to show. Ask an administrator."


def render(user, on_sign_out: Callable[[], None]) -> None:
    """Sidebar: who is signed in, the links their roles open, and the sign-out button."""
    with st.sidebar:
        st.markdown("### Tierline")
        st.caption(f"**{md_escape(user.name)}** · {md_escape(role_names(user.roles))}  \n"
                   f"{md_escape(user.org_name)}")
        for spec in pages_for(user.roles, user.is_root):
            st.page_link(spec.path, label=spec.label, icon=spec.icon)
        st.divider()
        st.button("Sign out", key="nav_sign_out", on_click=_signing_out, args=(on_sign_out,),
                  icon=":material/logout:", width="stretch")


def _signing_out(on_sign_out: Callable[[], None]) -> None:
    """A CSV fetched before signing out must not stay fetchable at its /media URL after it."""
    forget_downloads()
    on_sign_out()


def quick_links(user, per_row: int = 3) -> None:
    """The landing page's cards: one per page the user's roles open, with what it is for."""
    specs = [p for p in pages_for(user.roles, user.is_root) if p.path != "app.py"]
    for start in range(0, len(specs), per_row):
        for col, spec in zip(st.columns(per_row), specs[start:start + per_row]):
            with col.container(border=True, height="stretch"):
                st.page_link(spec.path, label=spec.label, icon=spec.icon)
                st.caption(spec.blurb)
