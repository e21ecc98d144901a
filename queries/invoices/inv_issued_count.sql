-- inv_issued_count: how many invoices a seller has issued so far (for sequential numbering).
-- Returns one BIGINT. Parameters: $seller VARCHAR.
SELECT count(*) FROM invoices WHERE seller = $seller AND status = 'issued';
