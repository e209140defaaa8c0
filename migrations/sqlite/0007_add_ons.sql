-- Add-on services: the business's catalogue, and what the clients of a job
-- asked for; an approved request becomes an `add-on` line of the invoice.
CREATE TABLE add_on_services (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price_minor INTEGER NOT NULL CHECK (price_minor > 0),
    position    INTEGER NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  INTEGER NOT NULL
);
CREATE INDEX add_on_services_tenant ON add_on_services (tenant_id, position);

CREATE TABLE add_on_requests (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    job_id       TEXT NOT NULL REFERENCES jobs(id),
    service_id   TEXT NOT NULL REFERENCES add_on_services(id),
    requested_by TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'declined')),
    requested_at INTEGER NOT NULL,
    decided_by   TEXT,
    decided_at   INTEGER,
    -- One request per add-on per job, even when two clicks race.
    UNIQUE (tenant_id, job_id, service_id)
);
