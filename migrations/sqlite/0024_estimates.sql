-- An estimate is the business's priced proposal for a job: lines (some
-- optional, for the client to tick), tax per line, a deposit asked on
-- acceptance and a day it expires. The client accepts it with a signature
-- (the evidence is kept as for agreements: the typed name, the time, the
-- IP, the browser and the SHA-256 of the exact text), or declines it with a
-- reason. Acceptance makes the invoices, in the same transaction.
CREATE TABLE estimates (
    id                    TEXT PRIMARY KEY,
    tenant_id             TEXT NOT NULL REFERENCES tenants(id),
    job_id                TEXT NOT NULL REFERENCES jobs(id),
    -- The business's estimate number ("E-0007"), never given twice.
    number                TEXT NOT NULL,
    title                 TEXT NOT NULL,
    -- A note to the client, shown above the lines.
    message               TEXT NOT NULL DEFAULT '',
    deposit_percent       INTEGER NOT NULL DEFAULT 0 CHECK (deposit_percent BETWEEN 0 AND 100),
    -- The end of its last day, in the business's time zone.
    expires_at            INTEGER NOT NULL,
    status                TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'sent', 'accepted', 'declined', 'withdrawn')),
    created_by            TEXT NOT NULL,
    created_at            INTEGER NOT NULL,
    sent_at               INTEGER,
    -- The answer: when, by which contact, under which typed name.
    decided_at            INTEGER,
    decided_by_contact_id TEXT REFERENCES contacts(id),
    decided_by_name       TEXT,
    decline_reason        TEXT,
    -- Acceptance evidence: accepted_sha256 is the SHA-256 of the version read
    -- (the hash of the estimate's text) and the options taken.
    accepted_sha256       TEXT,
    accepted_ip           TEXT,
    accepted_user_agent   TEXT,
    -- The invoices acceptance made: the work (less any deposit), and the deposit.
    invoice_id            TEXT REFERENCES invoices(id),
    deposit_invoice_id    TEXT REFERENCES invoices(id),
    UNIQUE (tenant_id, number)
);
CREATE INDEX estimates_job ON estimates (tenant_id, job_id);

CREATE TABLE estimate_lines (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    estimate_id      TEXT NOT NULL REFERENCES estimates(id),
    position         INTEGER NOT NULL,
    description      TEXT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    -- Basis points: 825 is 8.25 %.
    tax_rate_bp      INTEGER NOT NULL DEFAULT 0 CHECK (tax_rate_bp BETWEEN 0 AND 3000),
    optional         INTEGER NOT NULL DEFAULT 0,
    -- Whether the client took an optional line, set when they accept.
    chosen           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX estimate_lines_estimate ON estimate_lines (tenant_id, estimate_id, position);
