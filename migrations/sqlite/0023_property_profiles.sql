-- A property the business serves is a place the client knows by a name
-- ("Beach house, unit 4"), of a type (a home, a rental, a business, a
-- pool), with notes for the client or the office alone, access notes among
-- them (the gate code, where the key is).
ALTER TABLE properties ADD COLUMN name TEXT;
ALTER TABLE properties ADD COLUMN kind TEXT NOT NULL DEFAULT 'residential';

-- Jobs at the same address share their property. The key is the street
-- line and postal code, with the spaces around them trimmed and ASCII
-- lower-cased (SQLite's LOWER lower-cases ASCII alone, as PostgreSQL's TRANSLATE here and the host do).
ALTER TABLE properties ADD COLUMN address_key TEXT NOT NULL DEFAULT '';
UPDATE properties SET address_key = LOWER(TRIM(line1)) || '|' || LOWER(TRIM(postal_code));

-- Until now each job had a property of its own: jobs at one address move to
-- the first of its properties, and the others, left without jobs, go.
UPDATE jobs SET property_id = (
    SELECT MIN(same.id) FROM properties same, properties own
    WHERE own.id = jobs.property_id AND same.tenant_id = own.tenant_id AND same.address_key = own.address_key
);
DELETE FROM properties WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.property_id = properties.id);
-- One property per address: two offices typing the same new address at once
-- make one.
CREATE UNIQUE INDEX properties_address ON properties (tenant_id, address_key);

CREATE TABLE property_notes (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    property_id TEXT NOT NULL REFERENCES properties(id),
    -- 'general' (a description) or 'access' (how to get in).
    topic       TEXT NOT NULL CHECK (topic IN ('general', 'access')),
    body        TEXT NOT NULL,
    -- 'internal' (the business alone) or 'clients' (shown to the clients
    -- of the jobs there too).
    visibility  TEXT NOT NULL CHECK (visibility IN ('internal', 'clients')),
    by_name     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX property_notes_property ON property_notes (tenant_id, property_id, created_at);
