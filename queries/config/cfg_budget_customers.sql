-- cfg_budget_customers: the customers that have at least one budget in the configuration in force
-- (what data/budgets.py evaluates after a billing run). Returns one row per customer, by id.
-- Parameters: none.
SELECT DISTINCT customer FROM cfg_budgets ORDER BY customer
