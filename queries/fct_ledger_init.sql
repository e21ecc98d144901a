-- fct_ledger_init: creates the empty TEMP TABLE tmp_ledger a billing run fills depth by depth
-- (same columns as fct_ledger, plus the group id gid, minus run_id/x_Period). No parameters.
CREATE OR REPLACE TEMP TABLE tmp_ledger (
    gid BIGINT, x_CustomerId VARCHAR, x_Depth INTEGER, x_SellerId VARCHAR, x_BuyerId VARCHAR,
    ProviderName VARCHAR, BillingAccountId VARCHAR, SubAccountId VARCHAR, InvoiceId VARCHAR,
    ServiceCategory VARCHAR, ServiceName VARCHAR, SkuId VARCHAR, RegionId VARCHAR,
    ChargeCategory VARCHAR, ChargeClass VARCHAR, CommitmentDiscountStatus VARCHAR,
    x_Commitment BOOLEAN, BillingCurrency VARCHAR,
    x_RowCount BIGINT, ListCost DECIMAL(38,10), ContractedCost DECIMAL(38,10),
    BilledCost DECIMAL(38,10), EffectiveCost DECIMAL(38,10),
    x_Treatment VARCHAR, x_PlanId VARCHAR, x_RuleNo INTEGER, x_Basis VARCHAR,
    x_BasisAmount DECIMAL(38,10), x_Factor DECIMAL(20,10), x_Cost DECIMAL(38,10),
    x_PricePreTier DECIMAL(38,10), x_TierFactor DECIMAL(20,12), x_Price DECIMAL(38,10),
    x_BuyerCurrency VARCHAR, x_FxRate DECIMAL(20,10), x_PriceBuyer DECIMAL(38,10),
    x_CostSeller DECIMAL(38,10)
);
