-- inv_issued_pairs: the (seller, buyer) pairs whose invoice for the period is already issued;
-- a billing run never drafts over them. Parameters: $period DATE.
SELECT seller, buyer FROM invoices WHERE x_Period = $period AND status = 'issued';
