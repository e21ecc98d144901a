-- rpt_invoice_lines: the lines of the current invoices a user may see (same scope and filters
-- as rpt_invoices, repeated here so that lines can never be read for an invoice outside it).
-- Returns one row per line: invoice_id, line_no, kind, description, ProviderName, ServiceName,
--   amount (rounded to the currency's minor unit), detail (JSON text).
-- Parameters: $org VARCHAR; $seller_view BOOLEAN; $customers VARCHAR[] (NULL = every buyer);
--   $buyer_view BOOLEAN; filters, NULL = all: $period DATE, $buyer VARCHAR, $invoice_id BIGINT.
-- Scope rule: as rpt_invoices: seller = $org (buyer in $customers) when $seller_view, or
--   buyer = $org when $buyer_view.
with runs as (
    select x_Period, max(run_id) as run_id
    from billing_runs
    where status = 'ok'
    group by x_Period
),

invoices_all as (
    select * from invoices
),

lines as (
    select * from invoice_lines
),

issued as (
    select * from invoices_all where status = 'issued'
),

drafts as (
    select i.*
    from invoices_all i
    join runs r on r.x_Period = i.x_Period and r.run_id = i.run_id
    where i.status = 'draft'
      and not exists (
          select 1 from issued s
          where s.seller = i.seller and s.buyer = i.buyer and s.x_Period = i.x_Period
      )
),

current_invoices as (
    select * from issued
    union all
    select * from drafts
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
