-- Inserts one rule of a price plan with its factor and specificity (pricing.plans.Rule).
-- Returns nothing.
-- Parameters: plan_id, rule_no (0-based), ProviderName, ServiceCategory, ServiceName, SkuId,
--             RegionId, ChargeCategory (NULL = not matched on), basis, factor (decimal text),
--             specificity.
INSERT INTO cfg_plan_rules
    (plan_id, rule_no, ProviderName, ServiceCategory, ServiceName, SkuId, RegionId,
     ChargeCategory, basis, factor, specificity)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(20,10)), ?);
