-- Money: what each invoice line is for, how each tenant takes payments, every
-- payment (card checkouts and manual payments), and the provider events
-- already processed (so a replayed webhook changes nothing).

ALTER TABLE invoice_lines ADD COLUMN kind TEXT NOT NULL DEFAULT 'service'
    CHECK (kind IN ('service', 'add-on', 'fee', 'discount'));
-- Bumped by every recomputation of status and paid amount, so that two
-- concurrent recomputations cannot leave a stale answer (optimistic locking).
ALTER TABLE invoices ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

-- Who takes the tenant's card payments: nobody, the labelled test provider, or
-- Stripe (the operator's keys; `stripe_account` names a connected account).
ALTER TABLE tenants ADD COLUMN payment_provider TEXT NOT NULL DEFAULT 'none'
    CHECK (payment_provider IN ('none', 'test', 'stripe'));
ALTER TABLE tenants ADD COLUMN stripe_account TEXT;

CREATE TABLE payments (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    job_id          TEXT NOT NULL REFERENCES jobs(id),
    invoice_id      TEXT NOT NULL REFERENCES invoices(id),
    provider        TEXT NOT NULL CHECK (provider IN ('test', 'stripe', 'manual')),
    method          TEXT NOT NULL CHECK (method IN ('card', 'cash', 'check', 'bank-transfer')),
    status          TEXT NOT NULL
                    CHECK (status IN ('open', 'pending', 'processing', 'expired', 'failed', 'rejected', 'succeeded', 'refunded')),
    -- Statuses only move up this rank, so late and out-of-order news cannot
    -- undo newer news (see payments::status).
    status_rank     BIGINT NOT NULL,
    amount_minor    BIGINT NOT NULL,
    captured_minor  BIGINT NOT NULL DEFAULT 0,
    refunded_minor  BIGINT NOT NULL DEFAULT 0,
    currency        TEXT NOT NULL,
    -- The provider's checkout session and payment, once known.
    checkout_ref    TEXT,
    checkout_url    TEXT,
    payment_ref     TEXT,
    -- A check number or transfer reference, and staff's note.
    reference       TEXT,
    note            TEXT,
    started_by      TEXT NOT NULL,
    decided_by      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    expires_at      BIGINT,
    checked_at      BIGINT
);
CREATE INDEX payments_invoice ON payments (tenant_id, invoice_id);
-- At most one unfinished checkout per invoice: a double-clicked Pay Now finds
-- the first one instead of opening a second.
CREATE UNIQUE INDEX payments_one_open_checkout ON payments (tenant_id, invoice_id) WHERE status = 'open';
CREATE UNIQUE INDEX payments_checkout_ref ON payments (provider, checkout_ref);
CREATE INDEX payments_payment_ref ON payments (provider, payment_ref);

CREATE TABLE payment_events (
    provider     TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    tenant_id    TEXT,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (provider, event_id)
);
