-- Migration 018: the billing run keeps which commitment covered which customer's usage
-- (issue #15, docs/pricing.md §10). The pricing groups keep only
-- whether a row has a commitment (x_Commitment), not which; the commitment inventory, the
-- single-customer rule (DOMAIN §9) and utilisation need the CommitmentDiscountId.
--   fct_commitments  one row per (run, commitment, charge category, status, account, customer the
--                    run gave the account, currency): row count and the four cost sums, plus the
--                    commitment's owner as the run decided it (x_Owner*: the account of its
--                    purchase rows, else of its unused rows, else the owner recorded for the
--                    latest earlier period; x_OwnerSource purchase | unused | earlier | NULL).
-- Written by one statement of the run (queries/ledger/fct_commit_coverage.sql) that reads only
-- the period's landed rows with a CommitmentDiscountId. Readers take the period's current run
-- (rpt_current_runs); rows of failed or superseded runs are never read. Runs billed before this
-- migration have no rows here: bill the period again to see its commitments.
CREATE TABLE fct_commitments (
    run_id                     BIGINT NOT NULL,
    x_Period                   DATE NOT NULL,
    CommitmentDiscountId       VARCHAR NOT NULL,
    ProviderName               VARCHAR NOT NULL,
    CommitmentDiscountType     VARCHAR,
    CommitmentDiscountCategory VARCHAR,          -- Spend | Usage
    CommitmentDiscountName     VARCHAR,
    BillingCurrency            VARCHAR NOT NULL,
    ChargeCategory             VARCHAR NOT NULL,
    CommitmentDiscountStatus   VARCHAR,          -- Used | Unused | NULL (purchase rows)
    BillingAccountId           VARCHAR NOT NULL,
    SubAccountId               VARCHAR,
    x_CustomerId               VARCHAR,          -- the rows' customer (NULL: unassigned)
    x_OwnerBillingAccountId    VARCHAR,
    x_OwnerSubAccountId        VARCHAR,
    x_OwnerCustomerId          VARCHAR,          -- the owner account's customer (NULL: unassigned or unknown)
    x_OwnerSource              VARCHAR,          -- purchase | unused | earlier | NULL (owner unknown)
    x_RowCount                 BIGINT NOT NULL,
    ListCost                   DECIMAL(38,10) NOT NULL,
    ContractedCost             DECIMAL(38,10) NOT NULL,
    BilledCost                 DECIMAL(38,10) NOT NULL,
    EffectiveCost              DECIMAL(38,10) NOT NULL
);

-- The lost partner-earned-credit alert is e-mailed once per customer, provider and period
-- (data/commitments.py): one row per alert sent.
CREATE TABLE commitment_alerts_sent (
    kind          VARCHAR NOT NULL,           -- pec_lost
    x_Period      DATE NOT NULL,
    x_CustomerId  VARCHAR NOT NULL,
    ProviderName  VARCHAR NOT NULL,
    sent_at       TIMESTAMP NOT NULL,
    sent_to       VARCHAR NOT NULL,
    PRIMARY KEY (kind, x_Period, x_CustomerId, ProviderName)
);
