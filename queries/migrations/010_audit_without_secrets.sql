-- Migration 010: audit entries hold only what their readers may see (docs/access.md, the audit log).
--   1. A configuration change whose before/after is the whole configuration document (every
--      tenant's plans, mappings and users) recorded under a reseller's organisation (a plan save
--      before this release) moves to the root organisation: only the root's admins read it.
--   2. No password hash stays in the log: every "password_hash" key is dropped from before/after,
--      and any other bcrypt-looking text (there, or in detail) becomes "(password hash removed)".
-- Idempotent: a second run finds nothing to change (the same rewrite applied to its own output
-- is that output). Entries with no organisation stay so: only the root's admins read them already.
UPDATE audit_log
SET org = (SELECT id FROM cfg_organizations WHERE parent IS NULL LIMIT 1)
WHERE action = 'config_change'
  AND org IS NOT NULL
  AND (coalesce(json_exists(before, '$.root'), false) OR coalesce(json_exists(after, '$.root'), false))
  AND org IS DISTINCT FROM (SELECT id FROM cfg_organizations WHERE parent IS NULL LIMIT 1);

CREATE TEMPORARY MACRO x_audit_no_hashes(doc) AS
    regexp_replace(
        regexp_replace(
            regexp_replace(doc, ',\s*"password_hash"\s*:\s*"[^"]*"', '', 'g'),
            '"password_hash"\s*:\s*"[^"]*"\s*,?\s*', '', 'g'),
        '\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}', '(password hash removed)', 'g');

UPDATE audit_log
SET before = CAST(x_audit_no_hashes(before::VARCHAR) AS JSON),
    after = CAST(x_audit_no_hashes(after::VARCHAR) AS JSON),
    detail = x_audit_no_hashes(detail)
WHERE x_audit_no_hashes(before::VARCHAR) IS DISTINCT FROM before::VARCHAR
   OR x_audit_no_hashes(after::VARCHAR) IS DISTINCT FROM after::VARCHAR
   OR x_audit_no_hashes(detail) IS DISTINCT FROM detail;

DROP MACRO x_audit_no_hashes;
