-- Migration 016: a provider correction (FOCUS ChargeClass 'Correction') says which month it
-- corrects, so its invoice line can name it ("AWS AmazonEC2 (correction of 2026-09)",
-- docs/pricing.md §7):
--   landing_groups.x_CorrectsPeriod, fct_groups.x_CorrectsPeriod  the first day of the month of
--       the rows' ChargePeriodStart for correction groups, NULL for every other group. It is part
--       of the pricing-group key, so one delivery correcting two months makes two groups.
--   fct_ledger  carries it (the view of migration 012 with one more column, last).
-- Runs billed before this migration keep NULL: their correction groups summed every corrected
-- month, and the row drill-down still finds their rows (a NULL matches any month).
ALTER TABLE landing_groups ADD COLUMN x_CorrectsPeriod DATE;
ALTER TABLE fct_groups ADD COLUMN x_CorrectsPeriod DATE;

-- The stored groups of a delivery holding correction rows summed every corrected month into one:
-- drop all the groups of that delivery and period, so the next billing run finds the delivery
-- without groups (landing_groups_missing) and regroups it from landing_focus. Other deliveries
-- keep their groups: their key gains a NULL, nothing else.
DELETE FROM landing_groups AS g
USING (SELECT DISTINCT x_IngestId, x_Period FROM landing_groups WHERE ChargeClass = 'Correction') AS c
WHERE g.x_IngestId = c.x_IngestId AND g.x_Period = c.x_Period;

CREATE OR REPLACE VIEW fct_ledger AS
SELECT
    p.run_id, p.x_Period, p.x_SellerId, p.x_BuyerId, g.x_CustomerId, p.x_Depth,
    g.ProviderName, g.BillingAccountId, g.SubAccountId, g.InvoiceId, g.ServiceCategory,
    g.ServiceName, g.SkuId, g.RegionId, g.ChargeCategory, g.ChargeClass,
    g.CommitmentDiscountStatus, g.x_Commitment, g.BillingCurrency, g.x_RowCount,
    g.ListCost, g.ContractedCost, g.BilledCost, g.EffectiveCost,
    p.x_Treatment, p.x_PlanId, p.x_RuleNo, p.x_Basis, p.x_BasisAmount, p.x_Factor,
    p.x_Cost, p.x_PricePreTier, p.x_TierFactor, p.x_Price, p.x_BuyerCurrency, p.x_FxRate,
    p.x_PriceBuyer, p.x_CostSeller, p.x_GroupId, p.x_BasisCode, p.x_ShareFrac, g.x_CorrectsPeriod
FROM fct_prices p
JOIN fct_groups g
  ON g.run_id = p.run_id
 AND g.x_Period = p.x_Period
 AND g.x_GroupId = p.x_GroupId;
