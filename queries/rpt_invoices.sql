-- rpt_invoices: the current invoices a user may see, with both parties' names.
-- Returns one row per invoice: invoice_id, run_id, x_Period, seller, seller_name, buyer,
--   buyer_name, currency, status, number, subtotal, tax_rate_pct, tax, total, issued_at.
-- Current: the view rpt_current_invoices (migration 004): every issued invoice, plus the
--   drafts of each period's latest successful run that no issued invoice supersedes.
-- Parameters: $org VARCHAR (the user's organisation);
--   $seller_view BOOLEAN (invoices $org issues); $customers VARCHAR[] (NULL = to every buyer,
--   else only to these buyers: account managers); $buyer_view BOOLEAN (invoices $org receives);
--   filters, NULL = all: $period DATE, $buyer VARCHAR, $invoice_id BIGINT.
-- Scope rule: seller = $org (buyer in $customers) when $seller_view, or buyer = $org when
--   $buyer_view. Never an invoice between two other organisations.
with current_invoices as (
    select * from rpt_current_invoices
),

orgs as (
    select id, name from cfg_organizations
),

scoped as (
    select *
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
        s.invoice_id,
        s.run_id,
        s.x_Period,
        s.seller,
        coalesce(so.name, s.seller) as seller_name,
        s.buyer,
        coalesce(bo.name, s.buyer) as buyer_name,
        s.currency,
        s.status,
        s.number,
        s.subtotal,
        s.tax_rate_pct,
        s.tax,
        s.total,
        s.issued_at
    from scoped s
    left join orgs so on so.id = s.seller
    left join orgs bo on bo.id = s.buyer
)

select * from final order by x_Period desc, seller, buyer, invoice_id
