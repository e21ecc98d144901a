-- fct_commit_alert_insert: records one alert e-mailed (data/commitments.py), so it is never sent
-- twice for the same customer, provider and period. Returns the number of rows inserted.
-- Parameters: $kind VARCHAR, $period DATE, $customer VARCHAR, $provider VARCHAR, $sent_to VARCHAR.
INSERT INTO commitment_alerts_sent (kind, x_Period, x_CustomerId, ProviderName, sent_at, sent_to)
VALUES ($kind, $period, $customer, $provider, now()::TIMESTAMP, $sent_to)
