"""Every error a user can cause is a sentence on the page, never a traceback."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

import duckdb
import streamlit as st

from components.text import md_escape
from data.store import StoreBusy
from queries.scope import ScopeError  # the scoped access layer's refusal (queries/scope.py)

log = logging.getLogger("tierline.app")


class InputError(ValueError):
    """A widget value or query parameter the page cannot use (a sentence for the user)."""


def refuse(sentence: str) -> None:
    """Show why nothing is shown, and stop the page. The sentence may quote a value from the URL
    or a widget, so it is shown as text, never as Markdown."""
    st.error(md_escape(sentence))
    st.stop()


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn what a user can cause (a forged id, a bad period, a busy store) into a sentence.

    Anything else is a bug: logged with its traceback, shown as a plain sentence."""
    try:
        yield
    except ScopeError as exc:
        refuse(str(exc) or "You do not have access to that.")
    except StoreBusy as exc:
        refuse(str(exc))
    except duckdb.Error:
        log.exception("query failed")
        refuse("The store could not answer just now. Try again in a moment.")
    except ValueError as exc:      # InputError and the scope layer's own checks
        refuse(str(exc) or "That value is not valid here.")
    except Exception:
        log.exception("page failed")
        refuse("Something went wrong on our side; it has been logged. Try again, or pick "
               "something else.")
