-- rpt_audit: audit log entries of an organisation's subtree, newest first.
-- Returns logged_at, username, org, action, target, before, after, detail (JSON as text).
-- Parameters: $org VARCHAR (the admin's organisation); $orgs VARCHAR[] (its subtree, Scope.visible_orgs);
--   $is_root BOOLEAN (the root's admins also see entries with no organisation: the CLI, unknown
--   usernames); $limit BIGINT.
--   Filters (NULL = all; the Audit log page's who / what / target / when): $username VARCHAR
--   (the user, any case), $action VARCHAR (exactly), $target VARCHAR (a text the target holds,
--   any case), $logged_from TIMESTAMP (inclusive), $logged_to TIMESTAMP (exclusive). They only
--   narrow the scoped entries, before the limit.
-- Scope rule: entries whose org, or whose user's org, is in $orgs. Entries of organisations
--   other than $org keep who/when/what but not before/after/detail (a configuration change or an
--   issued invoice below would show prices $org may not see, DOMAIN §3), except sign-in events.
--   queries.scope.audit_entries then checks what before/after hold (a whole configuration
--   document: the root's admins only; another tenant's organisation or plan: withheld) and drops
--   any password hash; this statement alone is not the whole rule.
WITH audit AS (
    SELECT * FROM audit_log
),

users AS (
    SELECT username, org FROM cfg_users
),

scoped AS (
    SELECT a.*
    FROM audit a
    WHERE list_contains($orgs::VARCHAR[], a.org)
       OR ($is_root AND a.org IS NULL)
       OR EXISTS (
           SELECT 1 FROM users u
           WHERE u.username = a.username AND list_contains($orgs::VARCHAR[], u.org)
       )
),

filtered AS (
    SELECT s.*
    FROM scoped s
    WHERE ($username::VARCHAR IS NULL OR lower(s.username) = lower($username::VARCHAR))
      AND ($action::VARCHAR IS NULL OR s.action = $action::VARCHAR)
      AND ($target::VARCHAR IS NULL
           OR contains(lower(coalesce(s.target, '')), lower($target::VARCHAR)))
      AND ($logged_from::TIMESTAMP IS NULL OR s.logged_at >= $logged_from::TIMESTAMP)
      AND ($logged_to::TIMESTAMP IS NULL OR s.logged_at < $logged_to::TIMESTAMP)
),

final AS (
    SELECT
        logged_at,
        username,
        org,
        action,
        target,
        CASE WHEN org = $org OR action IN ('login_ok', 'login_failed', 'logout', 'locked')
             THEN before::VARCHAR END AS before,
        CASE WHEN org = $org OR action IN ('login_ok', 'login_failed', 'logout', 'locked')
             THEN after::VARCHAR END AS after,
        CASE WHEN org = $org OR action IN ('login_ok', 'login_failed', 'logout', 'locked')
             THEN detail END AS detail
    FROM filtered
)

SELECT * FROM final ORDER BY logged_at DESC
LIMIT $limit
