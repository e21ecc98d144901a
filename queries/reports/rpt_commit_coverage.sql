-- rpt_commit_coverage: per customer, how much of its compute usage commitments covered in a period,
-- and its steady on-demand compute spend (issue #15: coverage and recommendation). Compute
-- (ServiceCategory 'Compute') is what reserved instances, savings plans and committed-use
-- discounts apply to. The customer of a row is the current run's decision for its account
-- (fct_accounts), as in rpt_customer_rows. Provider corrections are left out (they re-rate an
-- earlier month).
-- Returns x_CustomerId, ProviderName, BillingCurrency, and DECIMAL sums:
--   compute_list       Σ ListCost of the customer's compute usage (covered and on demand)
--   covered_list       Σ ListCost of the covered part (CommitmentDiscountStatus 'Used')
--   covered_effective  Σ EffectiveCost of the covered part
--   ondemand_billed    Σ BilledCost of the on-demand part (no CommitmentDiscountId)
--   min_daily_ondemand the smallest daily Σ BilledCost on demand over the days the customer had
--                      compute usage (0 when a day had compute usage but none on demand)
--   x_Days             the number of days with compute usage;
--   x_PeriodDays       the days of the period up to the last day any compute row of it has (the
--                      month-to-date for an open month): a customer with x_Days < x_PeriodDays
--                      has no steady on-demand spend.
-- Parameters: $period DATE; $visible VARCHAR[] (NULL: every customer; else only these).
-- Scope rule: queries.reports.commitments passes the customers the user may see; unassigned rows
--   are left out (no customer to advise).
WITH runs AS (
    SELECT r.run_id, b.tag_keys
    FROM rpt_current_runs r
    JOIN billing_runs b ON b.run_id = r.run_id
    WHERE r.x_Period = $period::DATE
),

landed AS (
    SELECT
        l.ProviderName, l.BillingAccountId, l.SubAccountId, l.BillingCurrency,
        l.ChargePeriodStart::DATE AS x_Day, l.CommitmentDiscountId, l.CommitmentDiscountStatus,
        l.ListCost, l.BilledCost, l.EffectiveCost,
        CASE WHEN len(k.tag_keys) > 0 AND l.Tags IS NOT NULL
             THEN list_transform(k.tag_keys, lambda t: json_extract_string(l.Tags, t)) END AS x_TagValues,
        k.run_id
    FROM landing_focus l
    CROSS JOIN runs k
    WHERE l.x_Period = $period::DATE AND l.ChargeCategory = 'Usage' AND l.ServiceCategory = 'Compute'
      AND l.ChargeClass IS NULL AND l.CommitmentDiscountStatus IS DISTINCT FROM 'Unused'
),

assigned AS (
    SELECT l.*, a.x_CustomerId
    FROM landed l
    JOIN fct_accounts a
      ON a.run_id = l.run_id
     AND a.ProviderName = l.ProviderName
     AND a.BillingAccountId = l.BillingAccountId
     AND a.SubAccountId IS NOT DISTINCT FROM l.SubAccountId
     AND a.x_TagValues IS NOT DISTINCT FROM l.x_TagValues
     AND (a.x_Day IS NULL OR a.x_Day = l.x_Day)
    WHERE a.x_CustomerId IS NOT NULL
      AND ($visible::VARCHAR[] IS NULL OR list_contains($visible::VARCHAR[], a.x_CustomerId))
),

daily AS (
    SELECT
        x_CustomerId, ProviderName, BillingCurrency, x_Day,
        sum(ListCost) AS compute_list,
        coalesce(sum(ListCost) FILTER (WHERE CommitmentDiscountStatus = 'Used'), 0) AS covered_list,
        coalesce(sum(EffectiveCost) FILTER (WHERE CommitmentDiscountStatus = 'Used'), 0) AS covered_effective,
        coalesce(sum(BilledCost) FILTER (WHERE CommitmentDiscountId IS NULL), 0) AS ondemand_billed
    FROM assigned
    GROUP BY ALL
),

span AS (
    SELECT coalesce(date_diff('day', $period::DATE, max(x_Day)) + 1, 0) AS x_PeriodDays FROM landed
),

final AS (
    SELECT
        x_CustomerId, ProviderName, BillingCurrency,
        any_value(s.x_PeriodDays) AS x_PeriodDays,
        sum(compute_list) AS compute_list,
        sum(covered_list) AS covered_list,
        sum(covered_effective) AS covered_effective,
        sum(ondemand_billed) AS ondemand_billed,
        min(ondemand_billed) AS min_daily_ondemand,
        count(*) AS x_Days
    FROM daily
    CROSS JOIN span s
    GROUP BY x_CustomerId, ProviderName, BillingCurrency
)

SELECT * FROM final ORDER BY x_CustomerId, ProviderName, BillingCurrency
