-- The REST API: the business's API keys, and the answers to creates made
-- with an Idempotency-Key, so that a retried request creates nothing twice.

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    name         TEXT NOT NULL,
    -- The start of the key, shown to tell keys apart ("ptk_3f9aB21c").
    prefix       TEXT NOT NULL,
    -- SHA-256 of the whole key; the key itself is shown once and never stored.
    key_hash     TEXT NOT NULL UNIQUE,
    -- Comma-separated scopes: jobs:read, jobs:write.
    scopes       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

CREATE TABLE api_idempotency (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    idempotency_key TEXT NOT NULL,
    -- SHA-256 of the method, path and body the key was first used with.
    request_hash    TEXT NOT NULL,
    -- 0 while the first request is being answered; then its HTTP status.
    status          INTEGER NOT NULL,
    response_json   TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, idempotency_key)
);
