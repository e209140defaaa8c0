-- Portico's core schema. Every row that belongs to a business carries tenant_id,
-- and every query filters on it. Times are Unix seconds (INTEGER), ids are
-- UUIDv7 text, money is in minor units (cents), booleans are 0/1 integers.
-- migrations/postgres holds the same schema in PostgreSQL's types.

CREATE TABLE tenants (
    id            TEXT PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    brand_color   TEXT NOT NULL DEFAULT '#1f5f8b',
    accent_color  TEXT NOT NULL DEFAULT '#f2a541',
    logo_url      TEXT,
    welcome_text  TEXT NOT NULL DEFAULT '',
    support_email TEXT,
    support_phone TEXT,
    locale        TEXT NOT NULL DEFAULT 'en-US',
    timezone      TEXT NOT NULL DEFAULT 'UTC',
    currency      TEXT NOT NULL DEFAULT 'USD',
    created_at    INTEGER NOT NULL
);

CREATE TABLE staff_users (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'office', 'employee')),
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (tenant_id, email)
);

CREATE TABLE contacts (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    name       TEXT NOT NULL,
    email      TEXT,
    phone      TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX contacts_tenant_email ON contacts (tenant_id, email);

CREATE TABLE properties (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    line1       TEXT NOT NULL,
    line2       TEXT,
    city        TEXT NOT NULL,
    region      TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    country     TEXT NOT NULL DEFAULT 'US'
);

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    property_id TEXT NOT NULL REFERENCES properties(id),
    reference   TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'scheduled'
                CHECK (status IN ('scheduled', 'in-progress', 'completed', 'cancelled')),
    created_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, reference)
);

CREATE TABLE appointments (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    job_id     TEXT NOT NULL REFERENCES jobs(id),
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    staff_name TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'scheduled'
               CHECK (status IN ('scheduled', 'completed', 'cancelled'))
);
CREATE INDEX appointments_job ON appointments (tenant_id, job_id);

CREATE TABLE job_services (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    job_id      TEXT NOT NULL REFERENCES jobs(id),
    name        TEXT NOT NULL,
    price_minor INTEGER NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX job_services_job ON job_services (tenant_id, job_id);

-- A contact's part on one job, with their personal portal link. Only the
-- SHA-256 of the link's token is stored.
CREATE TABLE job_contacts (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id),
    job_id            TEXT NOT NULL REFERENCES jobs(id),
    contact_id        TEXT NOT NULL REFERENCES contacts(id),
    role              TEXT NOT NULL
                      CHECK (role IN ('client', 'co-client', 'buyer-agent', 'listing-agent', 'other')),
    access_token_hash TEXT NOT NULL UNIQUE,
    token_expires_at  INTEGER,
    revoked_at        INTEGER,
    created_at        INTEGER NOT NULL,
    UNIQUE (tenant_id, job_id, contact_id)
);

CREATE TABLE documents (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    job_id       TEXT NOT NULL REFERENCES jobs(id),
    kind         TEXT NOT NULL CHECK (kind IN ('report', 'agreement', 'invoice', 'photo', 'attachment')),
    title        TEXT NOT NULL,
    file_key     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    byte_size    INTEGER NOT NULL,
    -- Comma-separated roles that may open the document once published.
    visible_to   TEXT NOT NULL DEFAULT 'client,co-client',
    published_at INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX documents_job ON documents (tenant_id, job_id);

CREATE TABLE invoices (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    job_id         TEXT NOT NULL REFERENCES jobs(id),
    number         TEXT NOT NULL,
    status         TEXT NOT NULL
                   CHECK (status IN ('draft', 'due', 'processing', 'paid', 'failed', 'refunded', 'void')),
    tax_minor      INTEGER NOT NULL DEFAULT 0,
    paid_minor     INTEGER NOT NULL DEFAULT 0,
    due_at         INTEGER,
    created_at     INTEGER NOT NULL,
    UNIQUE (tenant_id, number)
);
CREATE INDEX invoices_job ON invoices (tenant_id, job_id);

CREATE TABLE invoice_lines (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    invoice_id       TEXT NOT NULL REFERENCES invoices(id),
    description      TEXT NOT NULL,
    quantity         INTEGER NOT NULL,
    unit_price_minor INTEGER NOT NULL,
    position         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX invoice_lines_invoice ON invoice_lines (tenant_id, invoice_id);

-- A plugin's code, by content hash. First-party packages are embedded in the
-- host binary and re-registered at start; uploaded ones keep their bytes here.
CREATE TABLE plugin_packages (
    sha256          TEXT PRIMARY KEY,
    plugin_id       TEXT NOT NULL,
    version         TEXT NOT NULL,
    descriptor_json TEXT NOT NULL,
    origin          TEXT NOT NULL CHECK (origin IN ('builtin', 'upload')),
    wasm            BLOB,
    created_at      INTEGER NOT NULL
);

-- A plugin as one tenant runs it.
CREATE TABLE plugin_installations (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    plugin_id      TEXT NOT NULL,
    package_sha256 TEXT NOT NULL REFERENCES plugin_packages(sha256),
    enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    position       INTEGER NOT NULL,
    settings_json  TEXT NOT NULL DEFAULT '{}',
    -- JSON array of granted permission names.
    grants_json    TEXT NOT NULL DEFAULT '[]',
    failures       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    last_error_at  INTEGER,
    updated_at     INTEGER NOT NULL,
    UNIQUE (tenant_id, plugin_id)
);

-- Plugin-scoped key/value storage. scope_id is the tenant, job or job-contact id.
CREATE TABLE plugin_storage (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    plugin_id  TEXT NOT NULL,
    scope      TEXT NOT NULL CHECK (scope IN ('tenant', 'job', 'contact')),
    scope_id   TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id, scope, scope_id, key)
);

CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    job_id     TEXT,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('contact', 'staff', 'system')),
    actor_id   TEXT,
    actor_name TEXT NOT NULL,
    plugin_id  TEXT,
    action     TEXT NOT NULL,
    summary    TEXT NOT NULL,
    details    TEXT NOT NULL DEFAULT '{}',
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, created_at);

-- Server-side half of a session; the cookie is a signed JWT naming the row.
CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    contact_id     TEXT REFERENCES contacts(id),
    staff_user_id  TEXT REFERENCES staff_users(id),
    job_contact_id TEXT REFERENCES job_contacts(id),
    csrf_token     TEXT NOT NULL,
    -- One-shot message for the next page (post/redirect/get), as JSON.
    flash_json     TEXT,
    ip             TEXT NOT NULL DEFAULT '',
    user_agent     TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER
);
CREATE INDEX sessions_tenant ON sessions (tenant_id);

-- E-mail queued by the host or by plugins through `notify`; delivered later.
CREATE TABLE outbox (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    to_address    TEXT NOT NULL,
    template      TEXT NOT NULL,
    data_json     TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER
);

-- Secrets shared by every host instance (the session signing key).
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
