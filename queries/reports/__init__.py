"""The reports of the scoped access layer: each takes the signed-in user's `Scope` and checks it
with queries.scope before it reads anything.

- invoices.py: invoices, one invoice, the portal headline, the CLI's invoice report;
- costs.py: a customer's month by dimension, the FOCUS rows behind it, its sub-accounts;
- margins.py: an organisation's margin, and its breakdown by customer, provider or service;
- admin.py: reconciliation, unassigned cost, deliveries, the audit log (root and admins only);
- common.py: what they share (records, money at the currency's places, a row's share, limits).
The statements they run are the rpt_*.sql files next to them (`queries.sql("rpt_invoices")`).
"""
# queries.scope re-exports these reports at its end and they import its checks. Importing it
# here, before any report module, lets a report be imported first without a half-made cycle.
import queries.scope  # noqa: F401
