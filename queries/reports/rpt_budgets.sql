-- rpt_budgets: the monthly budgets of one customer, as the configuration in force sets them
-- (cfg_budgets, docs/config.md "budgets"), in the document's order.
-- Returns: budget_no, customer, amount (DECIMAL, per month), currency, sub_account, tag_key,
--   tag_value.
-- Parameters: $customer VARCHAR.
-- Scope rule: the caller (queries.reports.budgets) checks the user may see the customer's edge.
SELECT budget_no, customer, amount, currency, sub_account, tag_key, tag_value
FROM cfg_budgets
WHERE customer = $customer::VARCHAR
ORDER BY budget_no
