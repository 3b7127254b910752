-- mod_deskauth schema, version 1.
-- Portable SQL: the same statements run on SQLite 3 and PostgreSQL (>= 9.5).
-- With "DeskAuthSchema auto" (the default) the module runs this file itself
-- on first use; with "DeskAuthSchema manual", run it once, e.g.
--   sqlite3 /var/lib/apache2/deskauth.db < deskauth.sql
--   psql -d deskauth -f deskauth.sql
-- Times are seconds since the epoch (0 = never); flags are 0/1.

CREATE TABLE IF NOT EXISTS deskauth_users (
    id             VARCHAR(64)  NOT NULL PRIMARY KEY,
    email          VARCHAR(254) NOT NULL UNIQUE,
    password_hash  VARCHAR(128) NOT NULL,
    first_name     VARCHAR(400) NOT NULL DEFAULT '',
    last_name      VARCHAR(400) NOT NULL DEFAULT '',
    role           VARCHAR(64)  NOT NULL,
    company        VARCHAR(800) NOT NULL DEFAULT '',
    job_role       VARCHAR(800) NOT NULL DEFAULT '',
    email_verified INTEGER      NOT NULL DEFAULT 0,
    is_active      INTEGER      NOT NULL DEFAULT 1,
    created_at     BIGINT       NOT NULL,
    updated_at     BIGINT       NOT NULL,
    last_login_at  BIGINT       NOT NULL DEFAULT 0
);

-- One row per signed-in browser, desktop app or connection file. The
-- refresh token is stored only as a hash.
CREATE TABLE IF NOT EXISTS deskauth_sessions (
    id                 VARCHAR(64)  NOT NULL PRIMARY KEY,
    user_id            VARCHAR(64)  NOT NULL,
    kind               VARCHAR(16)  NOT NULL,
    client_id          VARCHAR(200) NOT NULL DEFAULT '',
    device_name        VARCHAR(400) NOT NULL DEFAULT '',
    user_agent         VARCHAR(1000) NOT NULL DEFAULT '',
    ip                 VARCHAR(64)  NOT NULL DEFAULT '',
    refresh_hash       VARCHAR(64)  NOT NULL UNIQUE,
    created_at         BIGINT       NOT NULL,
    last_used_at       BIGINT       NOT NULL,
    expires_at         BIGINT       NOT NULL,
    revoked_at         BIGINT       NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS deskauth_sessions_user ON deskauth_sessions (user_id);

-- Hashes of rotated refresh tokens: presenting one again is a replay and
-- revokes its session (RFC 9700 §4.14.2).
CREATE TABLE IF NOT EXISTS deskauth_refresh_used (
    refresh_hash  VARCHAR(64)  NOT NULL PRIMARY KEY,
    session_id    VARCHAR(64)  NOT NULL,
    used_at       BIGINT       NOT NULL
);

-- One-time codes, stored hashed: hand-offs to the callback page,
-- authorization codes, connection-file codes.
CREATE TABLE IF NOT EXISTS deskauth_codes (
    code_hash     VARCHAR(64)   NOT NULL PRIMARY KEY,
    kind          VARCHAR(16)   NOT NULL,
    user_id       VARCHAR(64)   NOT NULL,
    session_id    VARCHAR(64)   NOT NULL DEFAULT '',
    client_id     VARCHAR(200)  NOT NULL DEFAULT '',
    redirect_uri  VARCHAR(2000) NOT NULL DEFAULT '',
    state         VARCHAR(1000) NOT NULL DEFAULT '',
    challenge     VARCHAR(128)  NOT NULL DEFAULT '',
    device_name   VARCHAR(400)  NOT NULL DEFAULT '',
    issued_session VARCHAR(64)  NOT NULL DEFAULT '',
    created_at    BIGINT        NOT NULL,
    expires_at    BIGINT        NOT NULL,
    used_at       BIGINT        NOT NULL DEFAULT 0
);

-- At most one resume (a PDF) per user, replaced on re-upload. The file is
-- kept as base64 text, not BLOB/BYTEA: the same column type and the same
-- bound string parameter work on SQLite and PostgreSQL alike, through
-- apr_dbd's text-only prepared statements. size is the PDF's own size in
-- bytes (the column holds about 4/3 of it).
CREATE TABLE IF NOT EXISTS deskauth_resumes (
    user_id       VARCHAR(64)   NOT NULL PRIMARY KEY,
    filename      VARCHAR(255)  NOT NULL,
    content_type  VARCHAR(100)  NOT NULL,
    size          BIGINT        NOT NULL,
    data          TEXT          NOT NULL,
    uploaded_at   BIGINT        NOT NULL
);
