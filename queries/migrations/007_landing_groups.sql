-- Migration 007: pricing groups kept up to date at ingest (docs/pricing.md §2, docs/store.md).
-- One row per (delivery, period, pricing key, tag values, day) of the FOCUS rows with
-- their row count and summed amounts, so a billing run starts from groups instead of scanning
-- every landing row. `x_Grouping` names what the groups were cut by (the tag keys of the tag
-- rules and whether mappings are dated, as JSON); a run whose configuration cuts differently
-- rebuilds the period's groups from landing_focus first.
CREATE TABLE landing_groups (
    x_IngestId        BIGINT NOT NULL,
    x_Period          DATE NOT NULL,
    x_Grouping        VARCHAR NOT NULL,
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
    x_TagValues       VARCHAR[],
    x_Day             DATE,
    x_RowCount        BIGINT NOT NULL,
    ListCost          DECIMAL(38,10) NOT NULL,
    ContractedCost    DECIMAL(38,10) NOT NULL,
    BilledCost        DECIMAL(38,10) NOT NULL,
    EffectiveCost     DECIMAL(38,10) NOT NULL
);
