-- inv_pending_corrections: what the drafts of period $period must carry for earlier issued
-- invoices that were restated by a later billing run (DOMAIN §7).
-- Returns (seller, buyer, corrects_period, number, currency, delta): delta = the restated subtotal
-- − the issued subtotal (without the corrections it carried itself) − corrections of that period
-- already carried on issued invoices. A correction goes on the buyer's earliest open draft after
-- the corrected period, so a draft of an earlier open period takes it first.
-- Parameters: $period DATE. Run after the period's own drafts were deleted.
WITH restated AS (
    SELECT * FROM invoice_restatements WHERE x_Period < $period
),
issued AS (
    SELECT invoice_id, x_Period, seller, buyer, number, currency, subtotal
    FROM invoices WHERE status = 'issued'
),
correction_lines AS (
    SELECT invoice_id, amount, CAST(json_extract_string(detail, '$.corrects_period') AS DATE) AS corrects_period
    FROM invoice_lines WHERE kind = 'correction'
),
own_corrections AS (
    SELECT invoice_id, sum(amount) AS amount FROM correction_lines GROUP BY invoice_id
),
carried AS (
    SELECT i.seller, i.buyer, c.corrects_period, sum(c.amount) AS amount
    FROM correction_lines c JOIN issued i ON i.invoice_id = c.invoice_id
    GROUP BY ALL
),
open_drafts AS (
    SELECT seller, buyer, x_Period FROM invoices WHERE status = 'draft' AND x_Period < $period
),
final AS (
    SELECT
        r.seller, r.buyer, r.x_Period AS corrects_period, i.number, i.currency,
        r.subtotal - (i.subtotal - coalesce(o.amount, 0)) - coalesce(c.amount, 0) AS delta
    FROM restated r
    JOIN issued i ON i.seller = r.seller AND i.buyer = r.buyer AND i.x_Period = r.x_Period
    LEFT JOIN own_corrections o ON o.invoice_id = i.invoice_id
    LEFT JOIN carried c ON c.seller = r.seller AND c.buyer = r.buyer AND c.corrects_period = r.x_Period
    WHERE NOT EXISTS (
        SELECT 1 FROM open_drafts d
        WHERE d.seller = r.seller AND d.buyer = r.buyer AND d.x_Period > r.x_Period
    )
)
SELECT * FROM final WHERE delta <> 0 ORDER BY seller, buyer, corrects_period;
