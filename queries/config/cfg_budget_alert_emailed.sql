-- cfg_budget_alert_emailed: records an e-mail attempt for the unsent alerts of one customer and
-- period: sent (emailed_at set: never sent again) or failed (email_error: the sentence why).
-- Returns nothing. Parameters: $period DATE, $customer VARCHAR, $to VARCHAR, $sent BOOLEAN,
--   $error VARCHAR (NULL when sent).
UPDATE budget_alerts
SET emailed_to = $to,
    emailed_at = CASE WHEN $sent THEN now()::TIMESTAMP END,
    email_error = $error
WHERE x_Period = $period::DATE AND customer = $customer AND emailed_at IS NULL
