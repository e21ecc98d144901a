-- landing_bench_load_trigger: twenty usage rows of a period, moved to a billing account,
-- sub-account and invoice nobody maps (bench/load.py writes them as a FOCUS file: ingesting it
-- makes the app bill the whole month again without changing any customer's total).
-- Returns the FOCUS columns of landing_focus (without the landing's own x_ columns).
-- Parameters: $period DATE.
SELECT * EXCLUDE (x_Period, x_IngestId, x_SourceFile, x_Extra)
    REPLACE ('load-trigger' AS BillingAccountId, 'load-trigger-sub' AS SubAccountId,
             'load-trigger-invoice' AS InvoiceId)
FROM landing_focus
WHERE x_Period = $period::DATE AND ChargeCategory = 'Usage'
ORDER BY rowid
LIMIT 20
