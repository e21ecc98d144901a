-- Migration 023: two sign-in flags of a configured user (issue #14, the console's Users section),
-- in a table of their own beside cfg_users (whose columns stay as they were: a user without a
-- row here has the defaults).
-- active: false means the user can no longer sign in (auth_credentials leaves them out) and an
--   open session ends at its next run (the guard re-reads the user through auth_user).
-- must_change_password: true after an invite or a password reset (a temporary password): the
--   guard shows only the "choose a new password" form until the user has chosen one.
-- Both come from the configuration document (users[].active, users[].must_change_password);
-- data/config/storage.py replaces the rows with each import, in the same transaction.
CREATE TABLE cfg_user_flags (
    username              VARCHAR PRIMARY KEY,
    active                BOOLEAN NOT NULL,
    must_change_password  BOOLEAN NOT NULL
);
