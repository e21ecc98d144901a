-- Migration 017: monthly budgets and their alerts (issue #12, item 4; docs/config.md "budgets").
--   cfg_budgets    the configuration document's `budgets:` section, one row per budget, replaced
--                  with the rest of the configuration by every import (data/config/storage.py).
--                  A budget covers a customer's whole month, one sub-account of it, or the rows
--                  whose Tags[tag_key] = tag_value; its amount is in the customer's billing
--                  currency (the currency of the invoice it is compared with).
--   budget_alerts  one row per (period, customer, budget, threshold) the month has crossed: the
--                  primary key makes an alert happen once per threshold per budget per month,
--                  however many billing runs evaluate it (data/budgets.py). The e-mail to the
--                  customer's billing contact is recorded on the row: emailed_at is set once
--                  the server accepted it, and it is never sent again.
CREATE TABLE cfg_budgets (
    budget_no    INTEGER PRIMARY KEY,       -- position in the document's budgets list
    customer     VARCHAR NOT NULL,
    amount       DECIMAL(38,10) NOT NULL,   -- per month, in `currency`
    currency     VARCHAR NOT NULL,          -- the customer's billing currency
    sub_account  VARCHAR,                   -- NULL: not limited to one sub-account
    tag_key      VARCHAR,                   -- with tag_value: only rows with Tags[tag_key] = tag_value
    tag_value    VARCHAR
);

CREATE TABLE budget_alerts (
    x_Period     DATE NOT NULL,
    customer     VARCHAR NOT NULL,
    budget_key   VARCHAR NOT NULL,          -- 'customer' | 'sub_account:<id>' | 'tag:<key>=<value>'
    threshold    VARCHAR NOT NULL CHECK (threshold IN ('50', '80', '100', 'forecast')),
    raised_at    TIMESTAMP NOT NULL,
    amount       DECIMAL(38,10) NOT NULL,   -- the budget when the alert was raised
    actual       DECIMAL(38,10) NOT NULL,   -- month to date at the customer's price, then
    forecast     DECIMAL(38,10),            -- the month's expected total, then (NULL: none)
    currency     VARCHAR NOT NULL,
    emailed_to   VARCHAR,                   -- the billing contact it was sent to
    emailed_at   TIMESTAMP,                 -- NULL: not (yet) e-mailed
    email_error  VARCHAR,                   -- the last attempt's one sentence, when it failed
    PRIMARY KEY (x_Period, customer, budget_key, threshold)
);
