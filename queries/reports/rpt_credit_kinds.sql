-- rpt_credit_kinds: provider credits of some periods by kind and customer (issue #15;
-- docs/pricing.md §10). The customer of a row is the current run's decision for its account
-- (fct_accounts: account, the run's tag values and, where the run cut it by day, the day).
-- Kind, from the provider's own columns (FOCUS has no credit-kind column):
--   partner_earned  ChargeDescription names a partner-earned credit ("Partner Earned Credit",
--                   "PEC"); or an Azure usage row the export flags x_PartnerCreditApplied = true
--                   (kept in x_Extra at ingest): its credit is estimated as
--                   −ContractedCost × x_PartnerCreditRate (source 'usage');
--   support         ChargeDescription mentions support;
--   refund          ChargeDescription mentions a refund, or the row is a provider correction;
--   promotional     ChargeDescription mentions a promotion, Activate, a voucher or a credit;
--   other           anything else (e.g. Google sustained-use discounts).
-- Returns x_Period, x_CustomerId (NULL: unassigned), ProviderName, BillingCurrency, kind,
--   source ('credit' rows | 'usage' rows flagged), x_RowCount, amount (DECIMAL, negative = credit),
--   x_RetainedBy (the seller of the first edge on the customer's path whose plan retains credits;
--   NULL: passed down to the customer; source 'usage': NULL, the credit is inside the usage price).
-- Parameters: $periods DATE[]; $visible VARCHAR[] (NULL: every customer and unassigned rows;
--   else only these customers).
-- Scope rule: queries.reports.commitments passes the customers the user may see.
WITH runs AS (
    SELECT r.x_Period, r.run_id, b.tag_keys
    FROM rpt_current_runs r
    JOIN billing_runs b ON b.run_id = r.run_id
    WHERE list_contains($periods::DATE[], r.x_Period)
),

landed AS (
    SELECT
        l.x_Period, l.ProviderName, l.BillingAccountId, l.SubAccountId, l.BillingCurrency,
        l.ChargePeriodStart::DATE AS x_Day, l.ChargeDescription, l.ChargeClass,
        CASE WHEN l.ChargeCategory = 'Credit' THEN 'credit' ELSE 'usage' END AS source,
        CASE WHEN l.ChargeCategory = 'Credit' THEN l.BilledCost
             ELSE -CAST(l.ContractedCost
                        * TRY_CAST(json_extract_string(l.x_Extra, 'x_PartnerCreditRate') AS DECIMAL(20,10))
                        AS DECIMAL(38,10))
        END AS amount,
        CASE WHEN len(k.tag_keys) > 0 AND l.Tags IS NOT NULL
             THEN list_transform(k.tag_keys, lambda t: json_extract_string(l.Tags, t)) END AS x_TagValues,
        k.run_id
    FROM landing_focus l
    JOIN runs k ON k.x_Period = l.x_Period
    WHERE l.ChargeCategory = 'Credit'
       OR (l.ChargeCategory = 'Usage' AND l.x_Extra IS NOT NULL
           AND lower(json_extract_string(l.x_Extra, 'x_PartnerCreditApplied')) IN ('true', '1', 'yes'))
),

kinds AS (
    SELECT
        *,
        CASE
            WHEN source = 'usage' THEN 'partner_earned'
            WHEN ChargeDescription ILIKE '%partner earned%' OR regexp_matches(ChargeDescription, '\bPEC\b')
                THEN 'partner_earned'
            WHEN ChargeDescription ILIKE '%support%' THEN 'support'
            WHEN ChargeDescription ILIKE '%refund%' OR ChargeClass = 'Correction' THEN 'refund'
            WHEN ChargeDescription ILIKE '%promo%' OR ChargeDescription ILIKE '%activate%'
              OR ChargeDescription ILIKE '%voucher%' OR ChargeDescription ILIKE '%credit%' THEN 'promotional'
            ELSE 'other'
        END AS kind
    FROM landed
),

assigned AS (
    SELECT k.*, a.x_CustomerId
    FROM kinds k
    LEFT JOIN fct_accounts a
      ON a.run_id = k.run_id
     AND a.ProviderName = k.ProviderName
     AND a.BillingAccountId = k.BillingAccountId
     AND a.SubAccountId IS NOT DISTINCT FROM k.SubAccountId
     AND a.x_TagValues IS NOT DISTINCT FROM k.x_TagValues
     AND (a.x_Day IS NULL OR a.x_Day = k.x_Day)
),

retaining AS (   -- the first edge from the root whose plan keeps the credits
    SELECT e.run_id, e.x_CustomerId, e.x_SellerId AS x_RetainedBy
    FROM fct_edges e
    JOIN runs r ON r.run_id = e.run_id
    WHERE e.credits = 'retain'
    QUALIFY row_number() OVER (PARTITION BY e.run_id, e.x_CustomerId ORDER BY e.x_Depth) = 1
),

final AS (
    SELECT
        a.x_Period, a.x_CustomerId, a.ProviderName, a.BillingCurrency, a.kind, a.source,
        count(*) AS x_RowCount,
        sum(a.amount) AS amount,
        CASE WHEN a.source = 'credit' THEN any_value(t.x_RetainedBy) END AS x_RetainedBy
    FROM assigned a
    LEFT JOIN retaining t ON t.run_id = a.run_id AND t.x_CustomerId = a.x_CustomerId
    WHERE $visible::VARCHAR[] IS NULL OR list_contains($visible::VARCHAR[], a.x_CustomerId)
    GROUP BY a.x_Period, a.x_CustomerId, a.ProviderName, a.BillingCurrency, a.kind, a.source
)

SELECT * FROM final
ORDER BY x_Period, x_CustomerId NULLS LAST, ProviderName, kind, source, BillingCurrency
