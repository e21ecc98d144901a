-- Migration 008: the priced ledger in two tables, so a run writes each pricing group's
-- attributes once instead of once per edge (docs/pricing.md §2, docs/store.md):
--   fct_groups  one row per (run, pricing group): its customer (NULL: unassigned), key and summed
--               amounts;
--   fct_prices  one row per (run, group, edge): what the edge did with it.
-- `fct_ledger` becomes a view joining them, with the same columns as the table it replaces, so
-- every reader keeps reading one priced ledger. Existing ledger rows move across; groups are
-- numbered afresh per run (the key and amounts identify a group within a run and customer).
CREATE TABLE fct_groups (
    run_id            BIGINT NOT NULL,
    x_Period          DATE NOT NULL,
    x_GroupId         BIGINT NOT NULL,    -- pricing group within the run
    x_CustomerId      VARCHAR,            -- NULL: no mapping or tag rule matches (unassigned)
    ProviderName      VARCHAR NOT NULL,
    BillingAccountId  VARCHAR NOT NULL,
    SubAccountId      VARCHAR,
    InvoiceId         VARCHAR,
    ServiceCategory   VARCHAR NOT NULL,
    ServiceName       VARCHAR NOT NULL,
    SkuId             VARCHAR,
    RegionId          VARCHAR,
    ChargeCategory    VARCHAR NOT NULL,
    ChargeClass       VARCHAR,
    CommitmentDiscountStatus VARCHAR,
    x_Commitment      BOOLEAN NOT NULL,
    BillingCurrency   VARCHAR NOT NULL,
    x_RowCount        BIGINT NOT NULL,
    ListCost          DECIMAL(38,10) NOT NULL,
    ContractedCost    DECIMAL(38,10) NOT NULL,
    BilledCost        DECIMAL(38,10) NOT NULL,
    EffectiveCost     DECIMAL(38,10) NOT NULL
);

CREATE TABLE fct_prices (
    run_id            BIGINT NOT NULL,
    x_Period          DATE NOT NULL,
    x_GroupId         BIGINT NOT NULL,
    x_Depth           INTEGER NOT NULL,   -- 1 = edge from the root
    x_SellerId        VARCHAR NOT NULL,
    x_BuyerId         VARCHAR NOT NULL,
    x_Treatment       VARCHAR NOT NULL,   -- priced | retained_credit | passed_credit | adjustment
    x_PlanId          VARCHAR,
    x_RuleNo          INTEGER,
    x_Basis           VARCHAR,            -- list | contracted | effective | cost
    x_BasisAmount     DECIMAL(38,10),     -- basis in BillingCurrency
    x_Factor          DECIMAL(20,10),
    x_Cost            DECIMAL(38,10) NOT NULL,  -- what the seller pays for the group, BillingCurrency
    x_PricePreTier    DECIMAL(38,10) NOT NULL,  -- BillingCurrency
    x_TierFactor      DECIMAL(20,12) NOT NULL,
    x_Price           DECIMAL(38,10) NOT NULL,  -- BillingCurrency, after tier allocation
    x_BuyerCurrency   VARCHAR NOT NULL,
    x_FxRate          DECIMAL(20,10) NOT NULL,
    x_PriceBuyer      DECIMAL(38,10) NOT NULL,  -- buyer currency
    x_CostSeller      DECIMAL(38,10) NOT NULL   -- seller's cost in its own currency
);

INSERT INTO fct_groups BY NAME
SELECT row_number() OVER (PARTITION BY run_id) AS x_GroupId, *
FROM (
    SELECT DISTINCT
        run_id, x_Period, x_CustomerId, ProviderName, BillingAccountId, SubAccountId, InvoiceId,
        ServiceCategory, ServiceName, SkuId, RegionId, ChargeCategory, ChargeClass,
        CommitmentDiscountStatus, x_Commitment, BillingCurrency, x_RowCount,
        ListCost, ContractedCost, BilledCost, EffectiveCost
    FROM fct_ledger
);

INSERT INTO fct_prices BY NAME
SELECT
    l.run_id, l.x_Period, g.x_GroupId, l.x_Depth, l.x_SellerId, l.x_BuyerId, l.x_Treatment,
    l.x_PlanId, l.x_RuleNo, l.x_Basis, l.x_BasisAmount, l.x_Factor, l.x_Cost, l.x_PricePreTier,
    l.x_TierFactor, l.x_Price, l.x_BuyerCurrency, l.x_FxRate, l.x_PriceBuyer, l.x_CostSeller
FROM fct_ledger l
JOIN fct_groups g
  ON g.run_id = l.run_id
 AND g.x_CustomerId = l.x_CustomerId
 AND g.ProviderName = l.ProviderName
 AND g.BillingAccountId = l.BillingAccountId
 AND g.SubAccountId IS NOT DISTINCT FROM l.SubAccountId
 AND g.InvoiceId IS NOT DISTINCT FROM l.InvoiceId
 AND g.ServiceCategory = l.ServiceCategory
 AND g.ServiceName = l.ServiceName
 AND g.SkuId IS NOT DISTINCT FROM l.SkuId
 AND g.RegionId IS NOT DISTINCT FROM l.RegionId
 AND g.ChargeCategory = l.ChargeCategory
 AND g.ChargeClass IS NOT DISTINCT FROM l.ChargeClass
 AND g.CommitmentDiscountStatus IS NOT DISTINCT FROM l.CommitmentDiscountStatus
 AND g.x_Commitment = l.x_Commitment
 AND g.BillingCurrency = l.BillingCurrency;

DROP TABLE fct_ledger;

-- The priced ledger as every reader sees it: one row per (run, pricing group, edge); unassigned
-- groups have no edge, so they are not in it.
CREATE VIEW fct_ledger AS
SELECT
    p.run_id, p.x_Period, p.x_SellerId, p.x_BuyerId, g.x_CustomerId, p.x_Depth,
    g.ProviderName, g.BillingAccountId, g.SubAccountId, g.InvoiceId, g.ServiceCategory,
    g.ServiceName, g.SkuId, g.RegionId, g.ChargeCategory, g.ChargeClass,
    g.CommitmentDiscountStatus, g.x_Commitment, g.BillingCurrency, g.x_RowCount,
    g.ListCost, g.ContractedCost, g.BilledCost, g.EffectiveCost,
    p.x_Treatment, p.x_PlanId, p.x_RuleNo, p.x_Basis, p.x_BasisAmount, p.x_Factor,
    p.x_Cost, p.x_PricePreTier, p.x_TierFactor, p.x_Price, p.x_BuyerCurrency, p.x_FxRate,
    p.x_PriceBuyer, p.x_CostSeller, p.x_GroupId
FROM fct_prices p
JOIN fct_groups g
  ON g.run_id = p.run_id
 AND g.x_Period = p.x_Period
 AND g.x_GroupId = p.x_GroupId;
