-- mod_deskauth schema.
-- Portable SQL: the same statements run on SQLite 3 and PostgreSQL (>= 9.5).
-- With "DeskAuthSchema auto" (the default) the module applies this file
-- itself on first use; with "DeskAuthSchema manual", apply it with
--   deskauthctl -d DRIVER -p PARAMS schema upgrade
-- (on an empty database, running it whole also works:
-- sqlite3 FILE < deskauth.sql, psql -f deskauth.sql).
-- Times are seconds since the epoch (0 = never); flags are 0/1.
--
-- Versions: the file is a list of steps, each opened by a line
-- "-- version N: what it adds" and closed by the statement that records
-- N in deskauth_schema_version. A database at version V gets the steps
-- after V, each in one transaction. To change the schema, append a step
-- with the next number (never edit a step that has shipped); a step may
-- ALTER what earlier steps created. A database made before versions were
-- recorded (the first release) counts as version 1.

CREATE TABLE IF NOT EXISTS deskauth_schema_version (
    version     INTEGER     NOT NULL PRIMARY KEY
);

-- version 1: accounts, sessions, one-time codes, resumes

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
-- revokes its session (RFC 9700 §4.14.2), unless it is a retry within
-- DeskAuthRefreshReuseInterval while its successor (next_hash, version 6)
-- is unused.
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
INSERT INTO deskauth_schema_version (version) SELECT 1
    WHERE NOT EXISTS (SELECT 1 FROM deskauth_schema_version WHERE version = 1);

-- version 2: device authorization requests

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
INSERT INTO deskauth_schema_version (version) SELECT 2
    WHERE NOT EXISTS (SELECT 1 FROM deskauth_schema_version WHERE version = 2);

-- version 3: the audit log

-- Security events, one row each (docs/audit.md): who, from where, with
-- which app and session. Never a secret: no password, token, code or hash.
-- at is in microseconds, so that rows of the same second keep their order.
-- actor_id: who did it when not the user themselves (an admin, "deskauthctl").
CREATE TABLE IF NOT EXISTS deskauth_audit (
    id          VARCHAR(64)   NOT NULL PRIMARY KEY,
    at          BIGINT        NOT NULL,
    event       VARCHAR(40)   NOT NULL,
    user_id     VARCHAR(64)   NOT NULL DEFAULT '',
    email       VARCHAR(254)  NOT NULL DEFAULT '',
    actor_id    VARCHAR(64)   NOT NULL DEFAULT '',
    ip          VARCHAR(64)   NOT NULL DEFAULT '',
    user_agent  VARCHAR(1000) NOT NULL DEFAULT '',
    client_id   VARCHAR(200)  NOT NULL DEFAULT '',
    session_id  VARCHAR(64)   NOT NULL DEFAULT '',
    detail      VARCHAR(400)  NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS deskauth_audit_at ON deskauth_audit (at);
CREATE INDEX IF NOT EXISTS deskauth_audit_user ON deskauth_audit (user_id, at);
INSERT INTO deskauth_schema_version (version) SELECT 3
    WHERE NOT EXISTS (SELECT 1 FROM deskauth_schema_version WHERE version = 3);

-- version 4: passkeys

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
INSERT INTO deskauth_schema_version (version) SELECT 4
    WHERE NOT EXISTS (SELECT 1 FROM deskauth_schema_version WHERE version = 4);

-- version 5: two-step sign-in (authenticator-app codes) and amr

-- Two-step sign-in. A person's authenticator-app key (TOTP, RFC 6238),
-- sealed with AES-256-GCM under DeskAuthDataKey ("g1." values; "p1."
-- without a data key). confirmed_at is 0 while the enrolment waits for its
-- first code; last_step is the last 30 s step accepted (never again).
CREATE TABLE IF NOT EXISTS deskauth_totp (
    user_id       VARCHAR(64)   NOT NULL PRIMARY KEY,
    secret        VARCHAR(200)  NOT NULL,
    confirmed_at  BIGINT        NOT NULL DEFAULT 0,
    last_step     BIGINT        NOT NULL DEFAULT 0,
    created_at    BIGINT        NOT NULL
);

-- Ten one-time recovery codes per enrolment, stored only as hashes.
CREATE TABLE IF NOT EXISTS deskauth_recovery_codes (
    user_id       VARCHAR(64)   NOT NULL,
    code_hash     VARCHAR(64)   NOT NULL,
    created_at    BIGINT        NOT NULL,
    used_at       BIGINT        NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, code_hash)
);

-- Password sign-ins waiting for their second step: the mfaToken (stored
-- as a hash), 5 minutes, ended by the sign-in or by the fifth wrong code.
-- stage: verify (check the code), enrol (the role must enrol first).
CREATE TABLE IF NOT EXISTS deskauth_mfa_pending (
    token_hash    VARCHAR(64)   NOT NULL PRIMARY KEY,
    user_id       VARCHAR(64)   NOT NULL,
    stage         VARCHAR(16)   NOT NULL,
    failures      INTEGER       NOT NULL DEFAULT 0,
    created_at    BIGINT        NOT NULL,
    expires_at    BIGINT        NOT NULL,
    used_at       BIGINT        NOT NULL DEFAULT 0
);

-- How each session was signed in (RFC 8176 amr values, space-separated).
ALTER TABLE deskauth_sessions ADD COLUMN amr VARCHAR(64) NOT NULL DEFAULT 'pwd';
INSERT INTO deskauth_schema_version (version) SELECT 5
    WHERE NOT EXISTS (SELECT 1 FROM deskauth_schema_version WHERE version = 5);

-- version 6: OpenID Connect (granted scopes, when and how the person
-- authenticated, consents, the refresh retry window)

ALTER TABLE deskauth_sessions ADD COLUMN scope VARCHAR(400) NOT NULL DEFAULT '';
ALTER TABLE deskauth_sessions ADD COLUMN auth_time BIGINT NOT NULL DEFAULT 0;
-- the browser session a desktop or client session came from
ALTER TABLE deskauth_sessions ADD COLUMN parent_id VARCHAR(64) NOT NULL DEFAULT '';
-- the hash of the refresh token that replaced this one ('' once a retry
-- killed it)
ALTER TABLE deskauth_refresh_used ADD COLUMN next_hash VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE deskauth_codes ADD COLUMN scope VARCHAR(400) NOT NULL DEFAULT '';
ALTER TABLE deskauth_codes ADD COLUMN nonce VARCHAR(1000) NOT NULL DEFAULT '';
ALTER TABLE deskauth_codes ADD COLUMN auth_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deskauth_codes ADD COLUMN amr VARCHAR(64) NOT NULL DEFAULT '';

-- Which person allowed which client (DeskAuthClient consent=once), and
-- the scopes they allowed.
CREATE TABLE IF NOT EXISTS deskauth_consents (
    user_id       VARCHAR(64)   NOT NULL,
    client_id     VARCHAR(200)  NOT NULL,
    scope         VARCHAR(400)  NOT NULL DEFAULT '',
    created_at    BIGINT        NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
INSERT INTO deskauth_schema_version (version) SELECT 6
    WHERE NOT EXISTS (SELECT 1 FROM deskauth_schema_version WHERE version = 6);

-- version 7: sign-in through another provider (DeskAuthExternalProvider)

-- Which account each external identity belongs to: provider is the
-- DeskAuthExternalProvider NAME, subject the provider's stable id of the
-- person (OIDC_CLAIM_sub by default). One account per identity; an account
-- may have several. email is the address the provider gave when it was
-- linked (shown on the profile page, never used to sign in).
CREATE TABLE IF NOT EXISTS deskauth_external_identities (
    provider      VARCHAR(64)   NOT NULL,
    subject       VARCHAR(255)  NOT NULL,
    user_id       VARCHAR(64)   NOT NULL,
    email         VARCHAR(254)  NOT NULL DEFAULT '',
    created_at    BIGINT        NOT NULL,
    last_used_at  BIGINT        NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX IF NOT EXISTS deskauth_external_identities_user
    ON deskauth_external_identities (user_id);
INSERT INTO deskauth_schema_version (version) SELECT 7
    WHERE NOT EXISTS (SELECT 1 FROM deskauth_schema_version WHERE version = 7);
