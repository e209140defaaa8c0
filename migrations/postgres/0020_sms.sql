-- Text messages. A person opts in to texts kind by kind (never the
-- business for them: a text needs the person's own yes), on the same page
-- as their e-mail choices, keyed by the same recipient.
CREATE TABLE notification_sms_choices (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    recipient_id  TEXT NOT NULL REFERENCES notification_recipients(id),
    kind          TEXT NOT NULL,
    sms           BIGINT NOT NULL CHECK (sms IN (0, 1)),
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (recipient_id, kind)
);

-- Texts waiting for the SMS provider, delivered by a leased worker as mail
-- is; `provider` says which sent it ('test' for the labelled test provider,
-- which reaches no phone).
CREATE TABLE sms_outbox (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    to_number        TEXT NOT NULL,
    template         TEXT NOT NULL,
    data_json        TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL DEFAULT 0,
    lease_until      BIGINT,
    leased_by        TEXT,
    last_error       TEXT,
    provider         TEXT,
    provider_ref     TEXT,
    created_at       BIGINT NOT NULL,
    sent_at          BIGINT
);
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_attempt_at);
CREATE INDEX sms_outbox_number ON sms_outbox (tenant_id, to_number, created_at);
