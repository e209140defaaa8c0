-- Delivery state of queued mail. Every instance runs a delivery worker; a
-- worker leases a batch (lease_until, leased_by) so that no message is sent
-- twice, and a crashed worker's lease simply runs out.
ALTER TABLE outbox ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN lease_until BIGINT;
ALTER TABLE outbox ADD COLUMN leased_by TEXT;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
