"""Plan editing for the Plans page: read the plans an admin's organisation owns, save one.

The rules (who may edit what, validation, audit) live in data.config.save_plan; this module only
connects the page to it and turns its outcome into a message.
"""
from __future__ import annotations

import streamlit as st
import yaml

from components.store import cursor
from components.text import md_escape
from data.config import ConfigError, plans_owned, save_plan
from queries import scope as q


def owned(username: str) -> list[dict]:
    """The plans the user's organisation owns (ScopeError if the user may not edit plans)."""
    with cursor() as con:
        return plans_owned(con, q.scope_for_user(con, username))


def label(plan: dict) -> str:
    """'MSP One standard (msp-standard)': the id makes each label unique. A selectbox returns the
    option whose label the browser sent, so two plans with one name would select the first."""
    return f"{plan['name']} ({plan['id']})" if plan.get("name") else plan["id"]


def pick(owned_plans: list[dict], *, key: str) -> str:
    """A plan id chosen among the owned plans only (a forged value in session state is ignored)."""
    labels = {p["id"]: label(p) for p in owned_plans}
    if st.session_state.get(key) not in labels:
        st.session_state.pop(key, None)
    return st.selectbox("Plan", list(labels), key=key, format_func=labels.get)


def as_yaml(owned_plans: list[dict], plan_id: str) -> str:
    plan = next(p for p in owned_plans if p["id"] == plan_id)
    return yaml.safe_dump(plan, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)


def save(username: str, text: str, plan_id: str) -> None:
    """Save the plan `plan_id` (the one selected) and say what happened: the new version, or
    every problem as a sentence."""
    with cursor() as con:
        try:
            version = save_plan(con, q.scope_for_user(con, username), text, plan_id)
        except ConfigError as exc:
            st.error("The plan was not saved:\n\n" + "\n".join(f"- {md_escape(str(i))}" for i in exc.issues))
            return
        except q.ScopeError as exc:
            st.error(md_escape(str(exc)))
            return
    st.cache_data.clear()      # the new version keys every cached read anew; this frees memory
    st.success(f"Saved as configuration version {version}. It applies from the next billing run.")
