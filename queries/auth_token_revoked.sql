-- Whether a session token was signed out. Returns: 0 or 1 row. Parameters: $1 token_sha256.
select 1 as revoked from auth_revoked_tokens where token_sha256 = $1
