-- Hardening (issue 14).

-- Mail a section queued: which section, for which job, so that per-section
-- quotas can be counted and the message can say which section sent it.
ALTER TABLE outbox ADD COLUMN plugin_id TEXT;
ALTER TABLE outbox ADD COLUMN section_name TEXT;
ALTER TABLE outbox ADD COLUMN job_id TEXT;
CREATE INDEX outbox_section ON outbox (tenant_id, plugin_id, created_at);

-- Who wrote an audit entry: the host ('host'), or a section through
-- audit.record-event ('section'), shown as such on the activity page.
ALTER TABLE audit_log ADD COLUMN written_by TEXT NOT NULL DEFAULT 'host';

-- One row per section and business, locked by every storage write and every
-- mail the section queues, so that concurrent calls cannot both pass a quota
-- check that holds for each alone.
CREATE TABLE section_quota_locks (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    plugin_id TEXT NOT NULL,
    writes    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, plugin_id)
);
