-- Files people attach to a section's form (photos of a leak, a signed PDF).
-- The host checked each by its bytes and, for photos, removed their metadata
-- and made a thumbnail; the section keeps only the id.
CREATE TABLE uploads (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    plugin_id       TEXT NOT NULL,
    -- The job it was attached on, if the form was on one.
    job_id          TEXT REFERENCES jobs(id),
    -- Who attached it: a contact or a member of staff.
    uploader_kind   TEXT NOT NULL CHECK (uploader_kind IN ('contact', 'staff')),
    uploader_id     TEXT NOT NULL,
    uploader_name   TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size_bytes      INTEGER NOT NULL,
    file_key        TEXT NOT NULL,
    thumbnail_key   TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX uploads_job ON uploads (tenant_id, job_id);
