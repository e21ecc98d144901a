"""Tierline's pure pricing model: money, plans and rules, tiers, fees, FX, invoice assembly.

No Streamlit, no I/O, no SQL. Everything here can be read and tested alone; the SQL billing
run (data/billing.py + queries/ledger/fct_*.sql) must agree with `pricing.engine` to the cent.
"""
