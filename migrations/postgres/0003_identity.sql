-- Identity and access: how each tenant lets people in, sign-in challenges
-- (magic links, e-mailed codes, staff password resets), rate limits, the
-- tenant's own mail templates and the access log.

-- Days a personal link works after it is issued; NULL: links never expire.
ALTER TABLE tenants ADD COLUMN link_lifetime_days BIGINT DEFAULT 30;
-- What the sign-in page e-mails: a one-click link or a 6-digit code.
ALTER TABLE tenants ADD COLUMN signin_method TEXT NOT NULL DEFAULT 'magic-link'
    CHECK (signin_method IN ('magic-link', 'code'));
-- Whether contacts may also set a password (0/1).
ALTER TABLE tenants ADD COLUMN client_passwords BIGINT NOT NULL DEFAULT 0
    CHECK (client_passwords IN (0, 1));

ALTER TABLE contacts ADD COLUMN password_hash TEXT;

-- How the session was started, and the address it proved it owns (magic
-- link or code): such a session reaches every job of that address.
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'link';
ALTER TABLE sessions ADD COLUMN verified_email TEXT;

-- A pending proof of identity. Only the SHA-256 of the secret (link token or
-- code) is stored; a challenge is used at most once, expires, and a code
-- allows a few attempts. A challenge for an address nobody has is stored
-- too (contact_id and staff_user_id NULL), so it behaves exactly alike.
CREATE TABLE sign_in_challenges (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    purpose       TEXT NOT NULL CHECK (purpose IN ('magic-link', 'code', 'staff-reset')),
    email         TEXT NOT NULL,
    contact_id    TEXT REFERENCES contacts(id),
    staff_user_id TEXT REFERENCES staff_users(id),
    -- Where to go once signed in (a job id), if not the account page.
    return_job_id TEXT,
    secret_hash   TEXT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX sign_in_challenges_secret ON sign_in_challenges (secret_hash);

-- One row per attempt that is rate-limited; counted over a sliding window.
-- tenant_id is '' for endpoints that come before any tenant (staff sign-in).
CREATE TABLE rate_limit_events (
    tenant_id  TEXT NOT NULL,
    bucket     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX rate_limit_events_bucket ON rate_limit_events (tenant_id, bucket, created_at);

-- A tenant's own wording of a mail template; the host's default otherwise.
CREATE TABLE mail_templates (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    name       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- Who opened which job, when, how and from where. contact_id is NULL for a
-- guest on the job's public link.
CREATE TABLE access_log (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    job_id     TEXT NOT NULL REFERENCES jobs(id),
    contact_id TEXT REFERENCES contacts(id),
    session_id TEXT,
    role       TEXT NOT NULL,
    via        TEXT NOT NULL,
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX access_log_tenant_time ON access_log (tenant_id, created_at);
CREATE INDEX access_log_job ON access_log (tenant_id, job_id, created_at);
