-- Migration 024: rpt_edge_rows (migration 021) finds the edge's rows without reading the month.
-- landing_insert stores each delivery ordered by (period, provider, sub-account, billing
-- account, charge start), so one customer's rows sit in one or a few row groups; this version
-- first narrows the period's rows to the edge's sub-accounts with a plain equality join (DuckDB
-- turns its few values into a filter the scan checks against each row group's zone map and
-- skips the rest), then joins on the pricing key exactly as before (IS NOT DISTINCT FROM, which
-- DuckDB does not push into a scan). Rows without a sub-account are read as before.
-- Same parameters, same result, row for row, as migration 021 (tests/test_portal.py,
-- tests/test_invariants.py); docs/performance.md measures it.
--
-- rpt_edge_rows(p_period, p_seller, p_buyer, p_customers, p_sub_account, p_service,
--               p_with_retained)
-- Returns one row per landed FOCUS row priced on the edge p_seller → p_buyer in p_period's
-- current run: every landed FOCUS column (but x_Period, x_IngestId, x_SourceFile, x_Extra),
-- x_Rid (the landing rowid), x_Commitment, x_Day (the charge day), and its group's x_GroupId,
-- x_CustomerId, x_Treatment, x_PriceBuyer, x_BuyerCurrency, x_FxRate, x_CorrectsPeriod and
-- x_RowBasis (the row's amount on the basis the run priced its group on).
-- Filters (NULL = all): p_customers VARCHAR[] (end customers on the edge), p_sub_account,
-- p_service; p_with_retained = false leaves out retained credits (not the buyer's charges).
-- Scope rule: exactly one edge of one period; callers (queries.reports.costs) check that the
-- user may see it. The provider's cost columns are returned: callers decide what leaves.
CREATE OR REPLACE MACRO rpt_edge_rows(p_period, p_seller, p_buyer, p_customers, p_sub_account,
                                      p_service, p_with_retained) AS TABLE
WITH runs AS (
    SELECT r.run_id, b.tag_keys
    FROM rpt_current_runs r
    JOIN billing_runs b ON b.run_id = r.run_id
    WHERE r.x_Period = p_period
),

target AS (   -- the edge's groups, with the run's decisions about them
    SELECT l.*
    FROM fct_ledger l
    JOIN runs r ON r.run_id = l.run_id
    WHERE l.x_Period = p_period
      AND l.x_SellerId = p_seller
      AND l.x_BuyerId = p_buyer
      AND (p_with_retained OR l.x_Treatment <> 'retained_credit')
      AND (p_customers IS NULL OR list_contains(p_customers, l.x_CustomerId))
      AND (p_sub_account IS NULL OR l.SubAccountId = p_sub_account)
      AND (p_service IS NULL OR l.ServiceName = p_service)
),

period_rows AS NOT MATERIALIZED (
    SELECT
        rowid AS x_Rid,
        CommitmentDiscountId IS NOT NULL AS x_Commitment,
        -- the month a provider correction corrects: part of its key (landing_groups_insert)
        CASE WHEN ChargeClass = 'Correction'
             THEN date_trunc('month', ChargePeriodStart)::DATE END AS x_RowCorrects,
        ChargePeriodStart::DATE AS x_Day,
        * EXCLUDE (x_Period, x_IngestId, x_SourceFile, x_Extra)
    FROM landing_focus
    WHERE x_Period = p_period AND ChargeCategory <> 'Tax'
),

target_subs AS (   -- the edge's sub-accounts: a plain equality join, so DuckDB pushes the list
    SELECT DISTINCT SubAccountId AS x_Sub      -- into the scan and skips other row groups
    FROM target
    WHERE SubAccountId IS NOT NULL
),

landing AS (   -- the period's rows in those sub-accounts, and the rows without a sub-account
    SELECT r.*
    FROM period_rows r
    JOIN target_subs s ON s.x_Sub = r.SubAccountId
    UNION ALL
    SELECT r.*
    FROM period_rows r
    WHERE r.SubAccountId IS NULL
      AND EXISTS (SELECT 1 FROM target t WHERE t.SubAccountId IS NULL)
),

keyed AS (   -- the landed rows with a target group's pricing key (docs/pricing.md §2)
    SELECT
        r.*,
        t.x_GroupId, t.x_CustomerId, t.x_Treatment, t.x_PriceBuyer, t.x_BuyerCurrency, t.x_FxRate,
        t.x_CorrectsPeriod, t.x_BasisCode, t.x_ShareFrac
    FROM landing r
    JOIN target t
      ON t.ProviderName = r.ProviderName
     AND t.BillingAccountId = r.BillingAccountId
     AND t.SubAccountId IS NOT DISTINCT FROM r.SubAccountId
     AND t.InvoiceId IS NOT DISTINCT FROM r.InvoiceId
     AND t.ServiceCategory = r.ServiceCategory
     AND t.ServiceName = r.ServiceName
     AND t.SkuId IS NOT DISTINCT FROM r.SkuId
     AND t.RegionId IS NOT DISTINCT FROM r.RegionId
     AND t.ChargeCategory = r.ChargeCategory
     AND t.ChargeClass IS NOT DISTINCT FROM r.ChargeClass
     AND t.CommitmentDiscountStatus IS NOT DISTINCT FROM r.CommitmentDiscountStatus
     AND t.x_Commitment = r.x_Commitment
     AND t.BillingCurrency = r.BillingCurrency
     -- a run billed before groups kept the corrected month (migration 016) has NULL: any month
     AND (t.x_CorrectsPeriod IS NULL OR t.x_CorrectsPeriod = r.x_RowCorrects)
),

assigned AS (   -- only the rows the run gave to the group's customer: by account (and day, tags)
    SELECT k.*
    FROM keyed k
    CROSS JOIN runs n
    JOIN fct_accounts a
      ON a.run_id = n.run_id
     AND a.x_CustomerId = k.x_CustomerId
     AND a.ProviderName = k.ProviderName
     AND a.BillingAccountId = k.BillingAccountId
     AND a.SubAccountId IS NOT DISTINCT FROM k.SubAccountId
     AND a.x_TagValues IS NOT DISTINCT FROM
         (CASE WHEN len(n.tag_keys) > 0 AND k.Tags IS NOT NULL    -- as landing_groups_insert cut them
               THEN list_transform(n.tag_keys, lambda t: json_extract_string(k.Tags, t)) END)
     AND (a.x_Day IS NULL OR a.x_Day = k.x_Day)
)

SELECT
    * EXCLUDE (x_RowCorrects, x_BasisCode, x_ShareFrac),
    x_basis_amount(x_BasisCode, x_ShareFrac, ListCost, ContractedCost, EffectiveCost,
                   BilledCost) AS x_RowBasis
FROM assigned;
