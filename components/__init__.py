"""Streamlit building blocks shared by app.py and pages/: the guard, navigation, pickers,
money, tables and charts. Pages read widgets, call queries.scope through components.cached,
and render with these; no SQL and no arithmetic in pages."""
