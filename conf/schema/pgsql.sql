-- mod_deskauth, PostgreSQL only: run before indexes.sql.
-- The "binary" collation: byte order, as SQLite's built-in BINARY, so that
-- the same statement (COLLATE "binary") runs on both databases and the
-- admin search's prefix ranges are exact whatever the database's locale.
-- Needs PostgreSQL >= 10.
CREATE COLLATION IF NOT EXISTS "binary" (provider = libc, locale = 'C');
