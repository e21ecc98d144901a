-- rpt_customer_focus: the FOCUS rows of one buyer's edge as the buyer's own FOCUS export reads them
-- (data/focus_export.py, docs/focus-export.md): one row per landed FOCUS row, with every FOCUS
-- column landing keeps EXCEPT the provider's cost columns, plus what the caller needs to give the
-- row its share of its pricing group's price (docs/pricing.md §8) and to find its invoice line.
-- The rows reach a group exactly as in rpt_customer_rows (the run's accounts, tag keys, day cut and
-- stored basis decision), so the shares add up to the run's ledger; the caller divides in Decimal.
-- Tax rows and retained credits are not the buyer's charges and are left out.
-- Returns: x_GroupId, x_Rid, the landed FOCUS columns (data/focus.py CANONICAL_COLUMNS) without
--   BilledCost, EffectiveCost, ContractedCost, ContractedUnitPrice (the provider's charge: the
--   seller's cost), x_Treatment (priced | passed_credit | adjustment), x_FxRate (provider
--   BillingCurrency → buyer currency, as the run priced the group), x_RowBasis, x_PriceBuyer,
--   x_GroupBasis, x_GroupRows, x_BuyerCurrency, x_CorrectsPeriod (the month the row's group
--   corrects, its invoice line names it; NULL but for provider corrections); ordered by
--   ChargePeriodStart, ProviderName, ServiceName, ResourceId, x_Rid.
-- Parameters: $period DATE; $seller VARCHAR, $buyer VARCHAR (the edge); $customers VARCHAR[]
--   (NULL = every end customer on the edge).
-- Scope rule: the edge x_SellerId = $seller, x_BuyerId = $buyer of the period's current run;
--   queries.reports.costs.customer_focus_rows checks the user may see the whole edge first.
WITH runs AS (
    SELECT r.run_id, b.tag_keys
    FROM rpt_current_runs r
    JOIN billing_runs b ON b.run_id = r.run_id
    WHERE r.x_Period = $period::DATE
),

ledger AS (
    SELECT l.*
    FROM fct_ledger l
    JOIN runs r ON r.run_id = l.run_id
    WHERE l.x_Period = $period::DATE
),

landing AS NOT MATERIALIZED (   -- read once, by candidates: never copied
    SELECT
        rowid AS x_Rid,
        CommitmentDiscountId IS NOT NULL AS x_Commitment,
        * EXCLUDE (x_Period, x_IngestId, x_SourceFile, x_Extra)
    FROM landing_focus
    WHERE x_Period = $period::DATE AND ChargeCategory <> 'Tax'
),

accounts AS (   -- the customer of each account, as the run decided
    SELECT a.*
    FROM fct_accounts a
    JOIN runs r ON r.run_id = a.run_id
),

target AS (
    SELECT row_number() OVER () AS x_GroupId, *
    FROM ledger
    WHERE x_SellerId = $seller
      AND x_BuyerId = $buyer
      AND x_Treatment <> 'retained_credit'
      AND ($customers::VARCHAR[] IS NULL OR list_contains($customers::VARCHAR[], x_CustomerId))
),

coded AS (
    SELECT
        x_GroupId, x_CustomerId, x_PriceBuyer, x_BuyerCurrency, x_Treatment, x_FxRate,
        ProviderName, BillingAccountId, SubAccountId, InvoiceId, ServiceCategory,
        ServiceName, SkuId, RegionId, ChargeCategory, ChargeClass,
        CommitmentDiscountStatus, x_Commitment, BillingCurrency, x_CorrectsPeriod,
        x_BasisCode, x_ShareFrac
    FROM target
),

candidates AS MATERIALIZED (   -- the landed rows with a target group's pricing key (docs/pricing.md §2)
    SELECT r.*, c.x_GroupId, c.x_CustomerId, c.x_PriceBuyer, c.x_BuyerCurrency, c.x_Treatment,
           c.x_FxRate, c.x_BasisCode, c.x_ShareFrac, c.x_CorrectsPeriod
    FROM landing r
    JOIN coded c
      ON c.ProviderName = r.ProviderName
     AND c.BillingAccountId = r.BillingAccountId
     AND c.ServiceName = r.ServiceName
     AND c.ServiceCategory = r.ServiceCategory
     AND c.ChargeCategory = r.ChargeCategory
     AND c.BillingCurrency = r.BillingCurrency
     AND c.x_Commitment = r.x_Commitment
     AND c.SubAccountId IS NOT DISTINCT FROM r.SubAccountId
     AND c.InvoiceId IS NOT DISTINCT FROM r.InvoiceId
     AND c.SkuId IS NOT DISTINCT FROM r.SkuId
     AND c.RegionId IS NOT DISTINCT FROM r.RegionId
     AND c.ChargeClass IS NOT DISTINCT FROM r.ChargeClass
     AND c.CommitmentDiscountStatus IS NOT DISTINCT FROM r.CommitmentDiscountStatus
     -- a correction row reaches the group of the month it corrects (landing_groups_insert), or
     -- any month's in a run billed before groups kept the month (migration 016: NULL)
     AND (c.x_CorrectsPeriod IS NULL
          OR c.x_CorrectsPeriod = CASE WHEN r.ChargeClass = 'Correction'
                                       THEN date_trunc('month', r.ChargePeriodStart)::DATE END)
),

candidate_rows AS (
    SELECT DISTINCT x_Rid, ProviderName, BillingAccountId, SubAccountId, Tags,
           ChargePeriodStart::DATE AS x_Day
    FROM candidates
),

assigned AS (   -- the run's customer for each row: its account (and day, where the run cut by day)
    SELECT r.x_Rid, a.x_CustomerId AS x_AssignedTo
    FROM candidate_rows r
    CROSS JOIN runs k
    JOIN accounts a
      ON a.ProviderName = r.ProviderName
     AND a.BillingAccountId = r.BillingAccountId
     AND a.SubAccountId IS NOT DISTINCT FROM r.SubAccountId
     AND a.x_TagValues IS NOT DISTINCT FROM
         (CASE WHEN len(k.tag_keys) > 0 AND r.Tags IS NOT NULL    -- as landing_groups_insert cut them
               THEN list_transform(k.tag_keys, lambda t: json_extract_string(r.Tags, t)) END)
     AND (a.x_Day IS NULL OR a.x_Day = r.x_Day)
),

based AS (
    SELECT
        c.*,
        x_basis_amount(c.x_BasisCode, c.x_ShareFrac, c.ListCost, c.ContractedCost, c.EffectiveCost,
                       c.BilledCost) AS x_RowBasis
    FROM candidates c
    JOIN assigned a ON a.x_Rid = c.x_Rid AND a.x_AssignedTo = c.x_CustomerId
),

final AS (
    SELECT
        * EXCLUDE (BilledCost, EffectiveCost, ContractedCost, ContractedUnitPrice, x_Commitment,
                   x_CustomerId, x_BasisCode, x_ShareFrac),
        sum(x_RowBasis) OVER (PARTITION BY x_GroupId) AS x_GroupBasis,
        count(*) OVER (PARTITION BY x_GroupId) AS x_GroupRows
    FROM based
)

SELECT * FROM final
ORDER BY ChargePeriodStart, ProviderName, ServiceName, ResourceId, x_Rid
