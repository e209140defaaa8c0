-- The job's day: each step the office took (on the way, started, finished,
-- cancelled, back to scheduled), by whom and when. The latest is where the
-- job stands; jobs.status keeps the coarse state.
CREATE TABLE job_steps (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    job_id      TEXT NOT NULL REFERENCES jobs(id),
    stage       TEXT NOT NULL CHECK (stage IN ('scheduled', 'on-the-way', 'started', 'finished', 'cancelled')),
    by_name     TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX job_steps_job ON job_steps (tenant_id, job_id, at);
