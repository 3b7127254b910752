-- mod_deskauth schema, version 2 (OpenID Connect: scopes, consents, the
-- refresh retry window). A version-1 database is upgraded by the module
-- itself (DeskAuthSchema auto) with ALTER TABLE ... ADD COLUMN of each
-- column below that it lacks; with "DeskAuthSchema manual", add them by hand.
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
    revoked_at         BIGINT       NOT NULL DEFAULT 0,
    scope              VARCHAR(400) NOT NULL DEFAULT '',
    auth_time          BIGINT       NOT NULL DEFAULT 0,
    amr                VARCHAR(64)  NOT NULL DEFAULT '',
    parent_id          VARCHAR(64)  NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS deskauth_sessions_user ON deskauth_sessions (user_id);

-- Hashes of rotated refresh tokens: presenting one again is a replay and
-- revokes its session (RFC 9700 §4.14.2), unless it is a retry within
-- DeskAuthRefreshReuseInterval while its successor (next_hash) is unused.
CREATE TABLE IF NOT EXISTS deskauth_refresh_used (
    refresh_hash  VARCHAR(64)  NOT NULL PRIMARY KEY,
    session_id    VARCHAR(64)  NOT NULL,
    used_at       BIGINT       NOT NULL,
    next_hash     VARCHAR(64)  NOT NULL DEFAULT ''
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
    used_at       BIGINT        NOT NULL DEFAULT 0,
    scope         VARCHAR(400)  NOT NULL DEFAULT '',
    nonce         VARCHAR(1000) NOT NULL DEFAULT '',
    auth_time     BIGINT        NOT NULL DEFAULT 0,
    amr           VARCHAR(64)   NOT NULL DEFAULT ''
);

-- Which person allowed which client (DeskAuthClient consent=once), and
-- the scopes they allowed.
CREATE TABLE IF NOT EXISTS deskauth_consents (
    user_id       VARCHAR(64)   NOT NULL,
    client_id     VARCHAR(200)  NOT NULL,
    scope         VARCHAR(400)  NOT NULL DEFAULT '',
    created_at    BIGINT        NOT NULL,
    PRIMARY KEY (user_id, client_id)
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

-- Device authorization requests (RFC 8628): a device without a browser
-- shows a user code that a signed-in person approves on another screen.
-- Both codes are stored only as hashes. status: pending, approved, denied,
-- redeemed. poll_interval grows by 5 s each time the device polls faster
-- than it (slow_down); last_poll_at is 0 until the first poll.
CREATE TABLE IF NOT EXISTS deskauth_device_codes (
    device_hash    VARCHAR(64)   NOT NULL PRIMARY KEY,
    user_code_hash VARCHAR(64)   NOT NULL UNIQUE,
    client_id      VARCHAR(200)  NOT NULL,
    scope          VARCHAR(1000) NOT NULL DEFAULT '',
    device_name    VARCHAR(400)  NOT NULL DEFAULT '',
    ip             VARCHAR(64)   NOT NULL DEFAULT '',
    status         VARCHAR(16)   NOT NULL,
    user_id        VARCHAR(64)   NOT NULL DEFAULT '',
    poll_interval  INTEGER       NOT NULL,
    last_poll_at   BIGINT        NOT NULL DEFAULT 0,
    issued_session VARCHAR(64)   NOT NULL DEFAULT '',
    created_at     BIGINT        NOT NULL,
    expires_at     BIGINT        NOT NULL,
    decided_at     BIGINT        NOT NULL DEFAULT 0
);

-- Passkeys (WebAuthn discoverable credentials). credential_id is the
-- credential's id in base64url; public_key its DER SubjectPublicKeyInfo in
-- base64url, alg its COSE algorithm (-7 ES256, -257 RS256, -8 EdDSA).
-- sign_count is the authenticator's last counter (0: it keeps none).
CREATE TABLE IF NOT EXISTS deskauth_passkeys (
    credential_id  VARCHAR(1400) NOT NULL PRIMARY KEY,
    user_id        VARCHAR(64)   NOT NULL,
    name           VARCHAR(400)  NOT NULL DEFAULT '',
    public_key     TEXT          NOT NULL,
    alg            INTEGER       NOT NULL,
    sign_count     BIGINT        NOT NULL DEFAULT 0,
    created_at     BIGINT        NOT NULL,
    last_used_at   BIGINT        NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS deskauth_passkeys_user ON deskauth_passkeys (user_id);
