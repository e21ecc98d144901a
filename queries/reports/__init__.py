"""The reports of the scoped access layer: each takes the signed-in user's `Scope` and checks it
with queries.scope before it reads anything.

- invoices.py: invoices, one invoice, the portal headline, the CLI's invoice report;
- costs.py: a customer's month by dimension, the FOCUS rows behind it, its sub-accounts;
- margins.py: an organisation's margin, its breakdowns (customer, provider, service, source,
  month, leakage) and margin floors;
- portal.py: the cost portal's month at a glance, forecast, freshness, trends, spend by
  dimension and tag, the seller's brand;
- explain.py: why a charge is priced as it is, from the run's stored decisions;
- budgets.py: budgets against the month and their alerts;
- commitments.py: commitment inventory, single-customer violations, policies as money,
  credits by kind, coverage;
- qbr.py: the account manager's quarterly business review;
- admin.py: reconciliation, unassigned cost, deliveries, the audit log (root and admins only);
- common.py: what they share (records, money at the currency's places, a row's share, limits).
The statements they run are the rpt_*.sql files next to them (`queries.sql("rpt_invoices")`).
"""
# queries.scope re-exports these reports at its end and they import its checks. Importing it
# here, before any report module, lets a report be imported first without a half-made cycle.
import queries.scope  # noqa: F401
