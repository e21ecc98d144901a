-- fct_tier_factors_load: creates TEMP TABLE tmp_tier_factors from the registered Arrow table
-- `tier_src` (x_BuyerId, factor DECIMAL(20,12)) computed by pricing.tiers. No parameters.
CREATE OR REPLACE TEMP TABLE tmp_tier_factors AS SELECT * FROM tier_src;
