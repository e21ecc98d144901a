-- rpt_invoice_lines: the lines of the current invoices a user may see (same scope and filters
-- as rpt_invoices, repeated here so that lines can never be read for an invoice outside it).
-- Returns one row per line: invoice_id, line_no, kind, description, ProviderName, ServiceName,
--   amount (rounded to the currency's minor unit), detail (JSON text).
-- Parameters: $org VARCHAR; $seller_view BOOLEAN; $customers VARCHAR[] (NULL = every buyer);
--   $buyer_view BOOLEAN; filters, NULL = all: $period DATE, $buyer VARCHAR, $invoice_id BIGINT.
-- Scope rule: as rpt_invoices: seller = $org (buyer in $customers) when $seller_view, or
--   buyer = $org when $buyer_view.
with current_invoices as (
    select * from rpt_current_invoices
),

lines as (
    select * from invoice_lines
),

scoped as (
    select invoice_id
    from current_invoices
    where (
            ($seller_view and seller = $org
             and ($customers::VARCHAR[] is null or list_contains($customers::VARCHAR[], buyer)))
         or ($buyer_view and buyer = $org)
          )
      and ($period::DATE is null or x_Period = $period::DATE)
      and ($buyer::VARCHAR is null or buyer = $buyer::VARCHAR)
      and ($invoice_id::BIGINT is null or invoice_id = $invoice_id::BIGINT)
),

final as (
    select
        l.invoice_id,
        l.line_no,
        l.kind,
        l.description,
        l.ProviderName,
        l.ServiceName,
        l.amount,
        l.detail::VARCHAR as detail
    from lines l
    join scoped s on s.invoice_id = l.invoice_id
)

select * from final order by invoice_id, line_no
