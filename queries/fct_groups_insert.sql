-- fct_groups_insert: the run's pricing groups that have a customer, written once per run: their
-- key and summed amounts (docs/pricing.md §2). fct_prices holds what each edge did with them;
-- the view fct_ledger joins the two. Reads TEMP TABLE tmp_groups (fct_stage_assign).
-- Returns the number of groups written. Parameters: $run_id BIGINT, $period DATE.
INSERT INTO fct_groups BY NAME
SELECT
    $run_id AS run_id, $period AS x_Period, gid AS x_GroupId, x_CustomerId,
    ProviderName, BillingAccountId, SubAccountId, InvoiceId, ServiceCategory, ServiceName,
    SkuId, RegionId, ChargeCategory, ChargeClass, CommitmentDiscountStatus, x_Commitment,
    BillingCurrency, x_RowCount, ListCost, ContractedCost, BilledCost, EffectiveCost
FROM tmp_groups
WHERE x_CustomerId IS NOT NULL;
