-- Whether a session token was signed out. Returns: 0 or 1 row.
-- Parameters: $1 the token's id (sha256 of its decoded signature bytes: the same for every
-- spelling of the token), $2 the sha256 of its text (how tokens signed out before the id was
-- the signature were stored; pass $1 again when there is no such text).
SELECT 1 AS revoked
FROM auth_revoked_tokens
WHERE token_sha256 IN ($1, $2)
LIMIT 1
