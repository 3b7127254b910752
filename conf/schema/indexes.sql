-- mod_deskauth indexes beyond deskauth.sql's, for large databases
-- (bench/scale.sh, bench/RESULTS.md). Portable SQL, like deskauth.sql; on
-- PostgreSQL run pgsql.sql first. Every statement is IF NOT EXISTS: with
-- "DeskAuthSchema auto" the module runs this file on every start, so that a
-- database made by an older version gets them too; with "manual", run it
-- after deskauth.sql, e.g.
--   sqlite3 /var/lib/apache2/deskauth.db < indexes.sql
--   psql -d deskauth -f pgsql.sql -f indexes.sql
-- On a large PostgreSQL table the first start after an upgrade builds them
-- (seconds per million rows, writes to the table wait meanwhile).

-- The admin search (email, first or last name starting with the text):
-- byte-order ranges, see pgsql.sql. On SQLite the email one repeats the
-- UNIQUE index's order; PostgreSQL's UNIQUE index follows the locale.
CREATE INDEX IF NOT EXISTS deskauth_users_email_prefix
    ON deskauth_users (email COLLATE "binary");
CREATE INDEX IF NOT EXISTS deskauth_users_first_name_prefix
    ON deskauth_users (LOWER(first_name) COLLATE "binary");
CREATE INDEX IF NOT EXISTS deskauth_users_last_name_prefix
    ON deskauth_users (LOWER(last_name) COLLATE "binary");

-- The purge: what ended, without reading the live rows. Most sessions are
-- not revoked (revoked_at = 0): the partial index holds only the others.
CREATE INDEX IF NOT EXISTS deskauth_sessions_expires
    ON deskauth_sessions (expires_at);
CREATE INDEX IF NOT EXISTS deskauth_sessions_revoked
    ON deskauth_sessions (revoked_at) WHERE revoked_at > 0;
CREATE INDEX IF NOT EXISTS deskauth_refresh_used_session
    ON deskauth_refresh_used (session_id);
CREATE INDEX IF NOT EXISTS deskauth_codes_expires
    ON deskauth_codes (expires_at);
CREATE INDEX IF NOT EXISTS deskauth_device_codes_expires
    ON deskauth_device_codes (expires_at);
