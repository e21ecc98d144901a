-- Migration 001: the whole initial schema.
-- Layers: landing_* (FOCUS rows as delivered, typed), cfg_* (configuration), fct_* (priced ledger),
-- invoices/invoice_lines (documents), auth_* and audit_log (access control).
-- Money is DECIMAL(38,10) everywhere; rounding happens only on invoice_lines.amount.

CREATE SEQUENCE IF NOT EXISTS seq_ingest START 1;

-- One row per ingested file.
CREATE TABLE deliveries (
    x_IngestId     BIGINT PRIMARY KEY,
    file_name      VARCHAR NOT NULL,
    file_path      VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL UNIQUE,
    focus_version  VARCHAR NOT NULL,
    file_format    VARCHAR NOT NULL,          -- csv | csv.gz | parquet
    loaded_at      TIMESTAMP NOT NULL,
    loaded_by      VARCHAR,                   -- cli user / app user / inbox
    row_count      BIGINT NOT NULL,
    dropped_columns VARCHAR[],                -- extra provider columns kept in x_Extra
    notes          VARCHAR
);

-- One row per (delivery, provider, billing account, billing period, currency):
-- the unit a re-delivery replaces. status: active | replaced.
CREATE TABLE delivery_slices (
    x_IngestId        BIGINT NOT NULL,
    ProviderName      VARCHAR NOT NULL,
    BillingAccountId  VARCHAR NOT NULL,
    x_Period          DATE NOT NULL,
    BillingCurrency   VARCHAR NOT NULL,
    row_count         BIGINT NOT NULL,
    ListCost          DECIMAL(38,10) NOT NULL,
    ContractedCost    DECIMAL(38,10) NOT NULL,
    BilledCost        DECIMAL(38,10) NOT NULL,
    EffectiveCost     DECIMAL(38,10) NOT NULL,
    status            VARCHAR NOT NULL DEFAULT 'active',
    replaced_by       BIGINT
);

-- Canonical FOCUS 1.2-based landing table. One row per delivered FOCUS row.
CREATE TABLE landing_focus (
    AvailabilityZone            VARCHAR,
    BilledCost                  DECIMAL(38,10) NOT NULL,
    BillingAccountId            VARCHAR NOT NULL,
    BillingAccountName          VARCHAR,
    BillingAccountType          VARCHAR,
    BillingCurrency             VARCHAR NOT NULL,
    BillingPeriodEnd            TIMESTAMP NOT NULL,
    BillingPeriodStart          TIMESTAMP NOT NULL,
    CapacityReservationId       VARCHAR,
    CapacityReservationStatus   VARCHAR,
    ChargeCategory              VARCHAR NOT NULL,
    ChargeClass                 VARCHAR,
    ChargeDescription           VARCHAR,
    ChargeFrequency             VARCHAR,
    ChargePeriodEnd             TIMESTAMP NOT NULL,
    ChargePeriodStart           TIMESTAMP NOT NULL,
    CommitmentDiscountCategory  VARCHAR,
    CommitmentDiscountId        VARCHAR,
    CommitmentDiscountName      VARCHAR,
    CommitmentDiscountQuantity  DECIMAL(38,10),
    CommitmentDiscountStatus    VARCHAR,
    CommitmentDiscountType      VARCHAR,
    CommitmentDiscountUnit      VARCHAR,
    ConsumedQuantity            DECIMAL(38,10),
    ConsumedUnit                VARCHAR,
    ContractedCost              DECIMAL(38,10) NOT NULL,
    ContractedUnitPrice         DECIMAL(38,10),
    EffectiveCost               DECIMAL(38,10) NOT NULL,
    HostProviderName            VARCHAR,
    InvoiceId                   VARCHAR,
    InvoiceIssuerName           VARCHAR,
    ListCost                    DECIMAL(38,10) NOT NULL,
    ListUnitPrice               DECIMAL(38,10),
    PricingCategory             VARCHAR,
    PricingCurrency             VARCHAR,
    PricingQuantity             DECIMAL(38,10),
    PricingUnit                 VARCHAR,
    ProviderName                VARCHAR NOT NULL,
    PublisherName               VARCHAR,
    RegionId                    VARCHAR,
    RegionName                  VARCHAR,
    ResourceId                  VARCHAR,
    ResourceName                VARCHAR,
    ResourceType                VARCHAR,
    ServiceCategory             VARCHAR NOT NULL,
    ServiceName                 VARCHAR NOT NULL,
    ServiceProviderName         VARCHAR,
    ServiceSubcategory          VARCHAR,
    SkuId                       VARCHAR,
    SkuMeter                    VARCHAR,
    SkuPriceId                  VARCHAR,
    SubAccountId                VARCHAR,
    SubAccountName              VARCHAR,
    SubAccountType              VARCHAR,
    Tags                        JSON,
    x_Period                    DATE NOT NULL,     -- month of BillingPeriodStart
    x_IngestId                  BIGINT NOT NULL,
    x_SourceFile                VARCHAR NOT NULL,
    x_Extra                     JSON               -- provider columns outside the canonical set
);

-- Configuration (imported from the YAML document; see docs/config.md).
CREATE TABLE cfg_documents (          -- every imported/edited version of the whole document
    version      BIGINT PRIMARY KEY,
    imported_at  TIMESTAMP NOT NULL,
    imported_by  VARCHAR,
    document     JSON NOT NULL
);
CREATE TABLE cfg_organizations (
    id            VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,      -- distributor | reseller | customer
    parent        VARCHAR,               -- NULL only for the root
    currency      VARCHAR NOT NULL,
    plan          VARCHAR,               -- the plan its parent sells to it on
    tax_rate_pct  DECIMAL(9,4) NOT NULL DEFAULT 0,
    depth         INTEGER NOT NULL       -- root = 0
);
CREATE TABLE cfg_account_mappings (
    mapping_no        INTEGER PRIMARY KEY,
    provider          VARCHAR,
    sub_account_id    VARCHAR,
    billing_account_id VARCHAR,
    tag_key           VARCHAR,
    tag_value         VARCHAR,
    customer          VARCHAR NOT NULL,
    valid_from        DATE,
    valid_to          DATE               -- exclusive
);
CREATE TABLE cfg_plans (
    id       VARCHAR PRIMARY KEY,
    owner    VARCHAR NOT NULL,
    credits  VARCHAR NOT NULL DEFAULT 'retain',          -- retain | pass_through
    commitments VARCHAR NOT NULL DEFAULT 'pass_through', -- pass_through | retain | share
    commitment_share_pct DECIMAL(9,4),
    definition JSON NOT NULL                             -- the plan as in the document
);
CREATE TABLE cfg_plan_rules (
    plan_id          VARCHAR NOT NULL,
    rule_no          INTEGER NOT NULL,   -- position in the plan, 0-based
    ProviderName     VARCHAR,
    ServiceCategory  VARCHAR,
    ServiceName      VARCHAR,
    SkuId            VARCHAR,
    RegionId         VARCHAR,
    ChargeCategory   VARCHAR,
    basis            VARCHAR NOT NULL,   -- list | contracted | effective | cost
    factor           DECIMAL(20,10) NOT NULL, -- 1 - discount_pct/100 or 1 + markup_pct/100
    specificity      INTEGER NOT NULL,
    PRIMARY KEY (plan_id, rule_no)
);
CREATE TABLE cfg_fx_rates (
    period      DATE NOT NULL,
    from_ccy    VARCHAR NOT NULL,
    to_ccy      VARCHAR NOT NULL,
    rate        DECIMAL(20,10) NOT NULL,
    PRIMARY KEY (period, from_ccy, to_ccy)
);
CREATE TABLE cfg_users (
    username       VARCHAR PRIMARY KEY,
    name           VARCHAR NOT NULL,
    email          VARCHAR,
    org            VARCHAR NOT NULL,
    roles          VARCHAR[] NOT NULL,
    customers      VARCHAR[],            -- account managers: the customers assigned to them
    cost_groups    VARCHAR[],            -- customer users: optional restriction
    password_hash  VARCHAR NOT NULL
);

-- Billing runs and the priced ledger.
CREATE TABLE billing_runs (
    run_id       BIGINT PRIMARY KEY,
    x_Period     DATE NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    status       VARCHAR NOT NULL,       -- ok | failed
    config_version BIGINT,
    rows_priced  BIGINT,
    rows_unassigned BIGINT,
    rows_unpriced BIGINT,
    summary      JSON
);

-- The priced ledger: one row per (period, edge, pricing key). Every FOCUS row of the key has
-- price = its own basis amount x x_Factor x x_TierFactor (x rate for the buyer currency), so a
-- row's price is exact and reproducible from landing_focus (see docs/pricing.md).
CREATE TABLE fct_ledger (
    run_id            BIGINT NOT NULL,
    x_Period          DATE NOT NULL,
    x_SellerId        VARCHAR NOT NULL,
    x_BuyerId         VARCHAR NOT NULL,
    x_CustomerId      VARCHAR NOT NULL,
    x_Depth           INTEGER NOT NULL,   -- 1 = edge from the root
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
    x_Commitment      BOOLEAN NOT NULL,   -- CommitmentDiscountId IS NOT NULL
    BillingCurrency   VARCHAR NOT NULL,
    x_RowCount        BIGINT NOT NULL,
    ListCost          DECIMAL(38,10) NOT NULL,
    ContractedCost    DECIMAL(38,10) NOT NULL,
    BilledCost        DECIMAL(38,10) NOT NULL,
    EffectiveCost     DECIMAL(38,10) NOT NULL,
    x_Treatment       VARCHAR NOT NULL,   -- priced | retained_credit | passed_credit | adjustment | provider_tax
    x_PlanId          VARCHAR,
    x_RuleNo          INTEGER,
    x_Basis           VARCHAR,            -- list | contracted | effective | cost
    x_BasisAmount     DECIMAL(38,10),     -- basis in BillingCurrency
    x_Factor          DECIMAL(20,10),
    x_Cost            DECIMAL(38,10) NOT NULL,  -- what the seller pays for these rows, BillingCurrency
    x_PricePreTier    DECIMAL(38,10) NOT NULL,  -- BillingCurrency
    x_TierFactor      DECIMAL(20,12) NOT NULL DEFAULT 1,
    x_Price           DECIMAL(38,10) NOT NULL,  -- BillingCurrency, after tier allocation
    x_BuyerCurrency   VARCHAR NOT NULL,
    x_FxRate          DECIMAL(20,10) NOT NULL,
    x_PriceBuyer      DECIMAL(38,10) NOT NULL,  -- buyer currency
    x_CostSeller      DECIMAL(38,10) NOT NULL   -- seller's cost in its own currency
);

-- Rows that could not be priced (no rule, missing FX rate) or map to no customer, per run.
CREATE TABLE fct_exceptions (
    run_id        BIGINT NOT NULL,
    x_Period      DATE NOT NULL,
    kind          VARCHAR NOT NULL,      -- unassigned | no_rule | no_fx | no_plan
    x_SellerId    VARCHAR,
    x_BuyerId     VARCHAR,
    ProviderName  VARCHAR,
    BillingAccountId VARCHAR,
    InvoiceId     VARCHAR,
    SubAccountId  VARCHAR,
    ServiceName   VARCHAR,
    SkuId         VARCHAR,
    BillingCurrency VARCHAR,
    x_RowCount    BIGINT NOT NULL,
    BilledCost    DECIMAL(38,10) NOT NULL,
    detail        VARCHAR
);

-- Invoices: drafts are replaced by each run; issued invoices never change.
CREATE SEQUENCE IF NOT EXISTS seq_invoice START 1;
CREATE TABLE invoices (
    invoice_id    BIGINT PRIMARY KEY,
    run_id        BIGINT,
    x_Period      DATE NOT NULL,
    seller        VARCHAR NOT NULL,
    buyer         VARCHAR NOT NULL,
    currency      VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,      -- draft | issued
    number        VARCHAR,               -- sequential per seller, set when issued
    subtotal      DECIMAL(38,10) NOT NULL,
    tax_rate_pct  DECIMAL(9,4) NOT NULL,
    tax           DECIMAL(38,10) NOT NULL,
    total         DECIMAL(38,10) NOT NULL,
    issued_at     TIMESTAMP,
    issued_by     VARCHAR
);
CREATE TABLE invoice_lines (
    invoice_id    BIGINT NOT NULL,
    line_no       INTEGER NOT NULL,
    kind          VARCHAR NOT NULL,      -- service | fee | credit | adjustment | tax
    description   VARCHAR NOT NULL,
    ProviderName  VARCHAR,
    ServiceName   VARCHAR,
    unrounded     DECIMAL(38,10) NOT NULL,
    amount        DECIMAL(38,10) NOT NULL,   -- rounded to the currency's minor unit
    detail        JSON,                  -- breakdown (tiers, fee basis, corrected period)
    PRIMARY KEY (invoice_id, line_no)
);

-- Access control.
CREATE TABLE audit_log (
    logged_at  TIMESTAMP NOT NULL,
    username   VARCHAR,
    org        VARCHAR,
    action     VARCHAR NOT NULL,         -- login_ok | login_failed | logout | locked | config_change | invoice_issue | ingest | billing_run
    target     VARCHAR,
    before     JSON,
    after      JSON,
    detail     VARCHAR
);
CREATE TABLE auth_failures (             -- failed sign-ins, for the lockout
    username   VARCHAR NOT NULL,
    failed_at  TIMESTAMP NOT NULL
);
CREATE TABLE auth_lockouts (
    username     VARCHAR PRIMARY KEY,
    locked_until TIMESTAMP NOT NULL
);
CREATE TABLE auth_revoked_tokens (       -- signed-out cookies, refused until they expire
    token_sha256 VARCHAR PRIMARY KEY,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP NOT NULL
);
