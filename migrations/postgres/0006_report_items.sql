-- A report's findings, structured as the inspector wrote them, so clients can
-- build a repair list from them.
CREATE TABLE report_items (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id),
    job_id            TEXT NOT NULL REFERENCES jobs(id),
    -- The report (a document of kind `report`) the item belongs to.
    document_id       TEXT NOT NULL REFERENCES documents(id),
    position          BIGINT NOT NULL,
    section           TEXT NOT NULL,
    title             TEXT NOT NULL,
    severity          TEXT NOT NULL CHECK (severity IN ('safety', 'repair', 'maintenance', 'monitor')),
    location          TEXT NOT NULL DEFAULT '',
    notes             TEXT NOT NULL DEFAULT '',
    -- A document of kind `photo` showing it.
    photo_document_id TEXT REFERENCES documents(id),
    created_at        BIGINT NOT NULL
);
CREATE INDEX report_items_job ON report_items (tenant_id, job_id, document_id, position);
