-- Inserts one monthly budget of the configuration document (docs/config.md "budgets").
-- Returns nothing.
-- Parameters: budget_no (position in the document), customer, amount (decimal text), currency
--             (the customer's billing currency), sub_account, tag_key, tag_value (NULL = not
--             limited that way).
INSERT INTO cfg_budgets (budget_no, customer, amount, currency, sub_account, tag_key, tag_value)
VALUES (?, ?, CAST(? AS DECIMAL(38,10)), ?, ?, ?, ?);
