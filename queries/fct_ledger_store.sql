-- fct_ledger_store: copies the run's TEMP TABLE tmp_ledger into the priced ledger fct_ledger.
-- Parameters: $run_id BIGINT, $period DATE.
INSERT INTO fct_ledger
WITH run AS (
    SELECT * FROM tmp_ledger
),
final AS (
    SELECT
        $run_id AS run_id, $period AS x_Period,
        x_SellerId, x_BuyerId, x_CustomerId, x_Depth,
        ProviderName, BillingAccountId, SubAccountId, InvoiceId,
        ServiceCategory, ServiceName, SkuId, RegionId,
        ChargeCategory, ChargeClass, CommitmentDiscountStatus, x_Commitment, BillingCurrency,
        x_RowCount, ListCost, ContractedCost, BilledCost, EffectiveCost,
        x_Treatment, x_PlanId, x_RuleNo, x_Basis, x_BasisAmount, x_Factor,
        x_Cost, x_PricePreTier, x_TierFactor, x_Price,
        x_BuyerCurrency, x_FxRate, x_PriceBuyer, x_CostSeller
    FROM run
)
SELECT * FROM final;
