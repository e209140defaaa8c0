-- Notes on a job, written by the office: each is for the business alone
-- (internal) or shown to the job's clients too.
CREATE TABLE job_notes (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    job_id      TEXT NOT NULL REFERENCES jobs(id),
    body        TEXT NOT NULL,
    visibility  TEXT NOT NULL CHECK (visibility IN ('internal', 'clients')),
    by_name     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX job_notes_job ON job_notes (tenant_id, job_id, created_at);
