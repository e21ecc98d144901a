-- fct_commit_alerts_sent: the alerts of one kind already e-mailed for a period (data/commitments.py
-- sends each once). Returns x_CustomerId, ProviderName.
-- Parameters: $kind VARCHAR (pec_lost), $period DATE.
SELECT x_CustomerId, ProviderName
FROM commitment_alerts_sent
WHERE kind = $kind AND x_Period = $period
ORDER BY x_CustomerId, ProviderName
