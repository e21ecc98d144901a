-- rpt_audit: audit log entries of an organisation's subtree, newest first.
-- Returns logged_at, username, org, action, target, before, after, detail (JSON as text).
-- Parameters: $org VARCHAR (the admin's organisation); $orgs VARCHAR[] (its subtree, Scope.visible_orgs);
--   $is_root BOOLEAN (the root's admins also see entries with no organisation: the CLI, unknown
--   usernames); $limit BIGINT.
-- Scope rule: entries whose org, or whose user's org, is in $orgs. Entries of organisations
--   other than $org keep who/when/what but not before/after/detail (a configuration change or an
--   issued invoice below would show prices $org may not see, DOMAIN §3), except sign-in events.
--   queries.scope.audit_entries then checks what before/after hold (a whole configuration
--   document: the root's admins only; another tenant's organisation or plan: withheld) and drops
--   any password hash; this statement alone is not the whole rule.
with audit as (
    select * from audit_log
),

users as (
    select username, org from cfg_users
),

scoped as (
    select a.*
    from audit a
    where list_contains($orgs::VARCHAR[], a.org)
       or ($is_root and a.org is null)
       or exists (
           select 1 from users u
           where u.username = a.username and list_contains($orgs::VARCHAR[], u.org)
       )
),

final as (
    select
        logged_at,
        username,
        org,
        action,
        target,
        case when org = $org or action in ('login_ok', 'login_failed', 'logout', 'locked')
             then before::VARCHAR end as before,
        case when org = $org or action in ('login_ok', 'login_failed', 'logout', 'locked')
             then after::VARCHAR end as after,
        case when org = $org or action in ('login_ok', 'login_failed', 'logout', 'locked')
             then detail end as detail
    from scoped
)

select * from final order by logged_at desc
limit $limit
