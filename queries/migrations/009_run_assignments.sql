-- Migration 009: a billing run keeps what it decided besides prices, so a row drill-down reads
-- the run's decisions instead of re-deriving them from today's configuration (which may have
-- changed since the run: the drill-down must still add up to the invoice):
--   fct_accounts          one row per (run, account as the groups were cut): its customer
--                         (NULL: no mapping or tag rule matches);
--   fct_edges             one row per (run, customer, edge on its path from the root): the
--                         buyer's plan terms the run priced with;
--   billing_runs.tag_keys the tag keys the run's groups were cut by (sorted; [] = none).
ALTER TABLE billing_runs ADD COLUMN tag_keys VARCHAR[];

CREATE TABLE fct_accounts (
    run_id            BIGINT NOT NULL,
    x_Period          DATE NOT NULL,
    ProviderName      VARCHAR NOT NULL,
    BillingAccountId  VARCHAR NOT NULL,
    SubAccountId      VARCHAR,
    x_TagValues       VARCHAR[],          -- values of the run's tag_keys (NULL: no tag keys)
    x_Day             DATE,               -- set when the account's rows were cut by day
    x_CustomerId      VARCHAR             -- NULL: unassigned
);

CREATE TABLE fct_edges (
    run_id            BIGINT NOT NULL,
    x_Period          DATE NOT NULL,
    x_CustomerId      VARCHAR NOT NULL,
    x_Depth           INTEGER NOT NULL,   -- 1 = edge from the root
    x_SellerId        VARCHAR NOT NULL,
    x_BuyerId         VARCHAR NOT NULL,
    plan_id           VARCHAR NOT NULL,
    buyer_ccy         VARCHAR NOT NULL,
    seller_ccy        VARCHAR NOT NULL,
    credits           VARCHAR NOT NULL,   -- retain | pass_through
    commitments       VARCHAR NOT NULL,   -- pass_through | retain | share
    share_frac        DECIMAL(20,10) NOT NULL
);

-- The runs billed before this migration: their decisions were made with the configuration the
-- store holds now (the drill-down used to re-derive them from it), so that is what they keep.
-- Accounts are recorded per day, which matches a row whatever cut its groups had.
UPDATE billing_runs
SET tag_keys = (SELECT coalesce(list(DISTINCT tag_key ORDER BY tag_key), [])
                FROM cfg_account_mappings WHERE tag_key IS NOT NULL);

INSERT INTO fct_accounts BY NAME
WITH runs AS (
    SELECT r.run_id, r.x_Period, b.tag_keys
    FROM rpt_current_runs r
    JOIN billing_runs b ON b.run_id = r.run_id
),
accounts AS (
    SELECT DISTINCT
        r.run_id, l.x_Period, l.ProviderName, l.BillingAccountId, l.SubAccountId,
        CASE WHEN len(r.tag_keys) > 0 AND l.Tags IS NOT NULL
             THEN list_transform(r.tag_keys, lambda k: json_extract_string(l.Tags, k)) END AS x_TagValues,
        l.Tags, l.ChargePeriodStart::DATE AS x_Day
    FROM landing_focus l
    JOIN runs r ON r.x_Period = l.x_Period
    WHERE l.ChargeCategory <> 'Tax'
),
tag_match AS (
    SELECT a.run_id, a.ProviderName, a.BillingAccountId, a.SubAccountId, a.Tags, a.x_Day, m.customer
    FROM accounts a
    JOIN cfg_account_mappings m
      ON m.tag_key IS NOT NULL
     AND json_extract_string(a.Tags, m.tag_key) = m.tag_value
     AND (m.provider IS NULL OR m.provider = a.ProviderName)
     AND (m.valid_from IS NULL OR m.valid_from <= a.x_Day)
     AND (m.valid_to IS NULL OR a.x_Day < m.valid_to)
    QUALIFY row_number() OVER (PARTITION BY a.run_id, a.ProviderName, a.BillingAccountId,
                                            a.SubAccountId, a.Tags, a.x_Day
                               ORDER BY m.mapping_no) = 1
),
sub_match AS (
    SELECT a.run_id, a.ProviderName, a.SubAccountId, a.x_Day, m.customer
    FROM (SELECT DISTINCT run_id, ProviderName, SubAccountId, x_Day FROM accounts) a
    JOIN cfg_account_mappings m
      ON m.sub_account_id = a.SubAccountId
     AND m.provider = a.ProviderName
     AND (m.valid_from IS NULL OR m.valid_from <= a.x_Day)
     AND (m.valid_to IS NULL OR a.x_Day < m.valid_to)
    QUALIFY row_number() OVER (PARTITION BY a.run_id, a.ProviderName, a.SubAccountId, a.x_Day
                               ORDER BY m.mapping_no) = 1
),
ba_match AS (
    SELECT a.run_id, a.ProviderName, a.BillingAccountId, a.x_Day, m.customer
    FROM (SELECT DISTINCT run_id, ProviderName, BillingAccountId, x_Day FROM accounts) a
    JOIN cfg_account_mappings m
      ON m.sub_account_id IS NULL
     AND m.billing_account_id = a.BillingAccountId
     AND m.provider = a.ProviderName
     AND (m.valid_from IS NULL OR m.valid_from <= a.x_Day)
     AND (m.valid_to IS NULL OR a.x_Day < m.valid_to)
    QUALIFY row_number() OVER (PARTITION BY a.run_id, a.ProviderName, a.BillingAccountId, a.x_Day
                               ORDER BY m.mapping_no) = 1
)
SELECT DISTINCT
    a.run_id, a.x_Period, a.ProviderName, a.BillingAccountId, a.SubAccountId, a.x_TagValues, a.x_Day,
    coalesce(t.customer, s.customer, b.customer) AS x_CustomerId
FROM accounts a
LEFT JOIN tag_match t
  ON t.run_id = a.run_id AND t.ProviderName = a.ProviderName
 AND t.BillingAccountId = a.BillingAccountId AND t.SubAccountId IS NOT DISTINCT FROM a.SubAccountId
 AND t.Tags IS NOT DISTINCT FROM a.Tags AND t.x_Day = a.x_Day
LEFT JOIN sub_match s
  ON s.run_id = a.run_id AND s.ProviderName = a.ProviderName
 AND s.SubAccountId = a.SubAccountId AND s.x_Day = a.x_Day
LEFT JOIN ba_match b
  ON b.run_id = a.run_id AND b.ProviderName = a.ProviderName
 AND b.BillingAccountId = a.BillingAccountId AND b.x_Day = a.x_Day;

INSERT INTO fct_edges BY NAME
SELECT DISTINCT
    p.run_id, p.x_Period, g.x_CustomerId, p.x_Depth, p.x_SellerId, p.x_BuyerId, p.x_PlanId AS plan_id,
    p.x_BuyerCurrency AS buyer_ccy, coalesce(s.currency, p.x_BuyerCurrency) AS seller_ccy,
    coalesce(pl.credits, 'retain') AS credits,
    coalesce(pl.commitments, 'pass_through') AS commitments,
    CAST(coalesce(pl.commitment_share_pct, 0) * 0.01 AS DECIMAL(20,10)) AS share_frac
FROM fct_prices p
JOIN fct_groups g ON g.run_id = p.run_id AND g.x_GroupId = p.x_GroupId
LEFT JOIN cfg_plans pl ON pl.id = p.x_PlanId
LEFT JOIN cfg_organizations s ON s.id = p.x_SellerId
WHERE p.x_PlanId IS NOT NULL;
