-- cfg_console_invoiced_orgs: the organisations that have invoices (draft or issued), as buyer or
-- as seller: the console never deletes them and never changes the currency they are invoiced in.
-- Returns (org_id VARCHAR, issued BOOLEAN: at least one of its invoices is issued). No parameters.
WITH parties AS (
    SELECT buyer AS org_id, status FROM invoices
    UNION ALL
    SELECT seller AS org_id, status FROM invoices
),

final AS (
    SELECT org_id, bool_or(status = 'issued') AS issued
    FROM parties
    GROUP BY org_id
)

SELECT * FROM final ORDER BY org_id
