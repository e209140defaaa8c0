-- A service request: a client asks the business for work, at one of their
-- properties or at an address they type, with the days and times that suit
-- them and photos. It is also a conversation with the office (the
-- description and photos are its first message), where the office answers;
-- the office turns it into a job in one step, or closes it.
CREATE TABLE service_requests (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    -- The business's request number ("R-0007").
    number           TEXT NOT NULL,
    contact_id       TEXT NOT NULL REFERENCES contacts(id),
    -- One of the client's properties, or the address they typed.
    property_id      TEXT REFERENCES properties(id),
    line1            TEXT NOT NULL DEFAULT '',
    city             TEXT NOT NULL DEFAULT '',
    region           TEXT NOT NULL DEFAULT '',
    postal_code      TEXT NOT NULL DEFAULT '',
    description      TEXT NOT NULL,
    -- The visits that suit the client: a JSON list of {"day", "part"}.
    preferred        TEXT NOT NULL DEFAULT '[]',
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'scheduled', 'closed')),
    -- The job it became.
    job_id           TEXT REFERENCES jobs(id),
    created_at       INTEGER NOT NULL,
    decided_at       INTEGER,
    decided_by       TEXT,
    UNIQUE (tenant_id, number)
);
CREATE INDEX service_requests_open ON service_requests (tenant_id, status, created_at);
CREATE INDEX service_requests_contact ON service_requests (tenant_id, contact_id);
