-- auth_user_flags_clear: forget every user's sign-in flags (migration 023) before an import
-- writes the new document's. Returns nothing. No parameters.
-- Scope rule: none; called by data/config/storage.py inside the import's transaction.
DELETE FROM cfg_user_flags
