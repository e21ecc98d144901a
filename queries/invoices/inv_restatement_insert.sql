-- inv_restatement_insert: what an issued invoice would say now (its subtotal before corrections).
-- Parameters: $period DATE, $seller, $buyer, $run_id, $currency, $subtotal DECIMAL.
INSERT INTO invoice_restatements VALUES ($period, $seller, $buyer, $run_id, $currency, $subtotal, now()::TIMESTAMP);
