-- landing_groups_delete_replaced: drops the pricing groups of the delivery slices that delivery
-- $ingest_id replaced (run after deliveries_mark_replaced, in the same transaction). Returns the
-- number of groups deleted. Parameters: $ingest_id BIGINT (the new delivery).
DELETE FROM landing_groups AS g
USING delivery_slices s
WHERE s.replaced_by = $ingest_id
  AND s.x_IngestId = g.x_IngestId
  AND s.ProviderName = g.ProviderName
  AND s.BillingAccountId = g.BillingAccountId
  AND s.x_Period = g.x_Period;
