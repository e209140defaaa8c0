-- The members of staff assigned to a job's visit (its crew), besides the
-- name on the appointment: a cleaning team, an inspector and a trainee.
CREATE TABLE job_crew (
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    job_id         TEXT NOT NULL REFERENCES jobs(id),
    staff_user_id  TEXT NOT NULL REFERENCES staff_users(id),
    assigned_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, job_id, staff_user_id)
);
