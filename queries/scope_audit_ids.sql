-- scope_audit_ids: every organisation and plan id with the organisation it belongs to, for the
-- audit log's content check (queries.scope.audit_entries).
-- Returns id, owner: an organisation's owner is itself; a plan's owner is the organisation that
--   sells on it. Parameters: none.
-- Scope rule: none here; audit_entries withholds an entry's before/after/detail when they name an
--   id whose owner lies outside the reader's subtree.
with organisations as (
    select id, id as owner from cfg_organizations
),

plans as (
    select id, owner from cfg_plans
),

final as (
    select * from organisations
    union all
    select * from plans where id not in (select id from organisations)
)

select * from final
