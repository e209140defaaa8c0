-- A payment may settle several invoices at once (a client ticks three and
-- pays them in one checkout, or pays a batch), so what it pays is its own
-- table: one allocation per invoice, in order. `payments.invoice_id` and
-- `job_id` keep naming the first invoice it pays (the job its checkout
-- pages and receipt hang off).
--
-- A card checkout holds each invoice it would pay (`holds`) while it is
-- open: the unique index lets only one open checkout cover an invoice, so a
-- double click, or a hub checkout racing a job-page one, can never charge
-- twice. The hold is released when the payment's status moves.
--
-- Card checkouts may add the business's card fee (`fee_minor`, on top of
-- the invoices' balances), and clients may say they paid another way: ACH
-- and Zelle join the methods. SQLite cannot change a CHECK constraint in
-- place, so `payments` is rebuilt as in 0012 (see there for why the
-- migrator's transaction is ended first).
COMMIT;
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE payments_new (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    job_id          TEXT NOT NULL REFERENCES jobs(id),
    invoice_id      TEXT NOT NULL REFERENCES invoices(id),
    provider        TEXT NOT NULL CHECK (provider IN ('test', 'stripe', 'manual')),
    method          TEXT NOT NULL CHECK (method IN ('card', 'ach', 'cash', 'check', 'bank-transfer', 'zelle')),
    status          TEXT NOT NULL
                    CHECK (status IN ('open', 'pending', 'processing', 'expired', 'failed', 'rejected', 'succeeded', 'refunded')),
    status_rank     INTEGER NOT NULL,
    amount_minor    INTEGER NOT NULL,
    fee_minor       INTEGER NOT NULL DEFAULT 0,
    captured_minor  INTEGER NOT NULL DEFAULT 0,
    refunded_minor  INTEGER NOT NULL DEFAULT 0,
    currency        TEXT NOT NULL,
    checkout_ref    TEXT,
    checkout_url    TEXT,
    payment_ref     TEXT,
    reference       TEXT,
    note            TEXT,
    started_by      TEXT NOT NULL,
    decided_by      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    checked_at      INTEGER
);
INSERT INTO payments_new (id, tenant_id, job_id, invoice_id, provider, method, status, status_rank, amount_minor,
                          captured_minor, refunded_minor, currency, checkout_ref, checkout_url, payment_ref, reference,
                          note, started_by, decided_by, created_at, updated_at, expires_at, checked_at)
    SELECT id, tenant_id, job_id, invoice_id, provider, method, status, status_rank, amount_minor,
           captured_minor, refunded_minor, currency, checkout_ref, checkout_url, payment_ref, reference,
           note, started_by, decided_by, created_at, updated_at, expires_at, checked_at FROM payments;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE INDEX payments_invoice ON payments (tenant_id, invoice_id);
CREATE UNIQUE INDEX payments_checkout_ref ON payments (provider, checkout_ref);
CREATE INDEX payments_payment_ref ON payments (provider, payment_ref);
COMMIT;
PRAGMA foreign_keys = ON;
BEGIN;

CREATE TABLE payment_allocations (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    payment_id   TEXT NOT NULL REFERENCES payments(id),
    invoice_id   TEXT NOT NULL REFERENCES invoices(id),
    job_id       TEXT NOT NULL REFERENCES jobs(id),
    -- What of the payment goes to this invoice (its balance when paid).
    amount_minor INTEGER NOT NULL,
    -- Captured money fills the allocations in this order, the card fee last;
    -- a refund gives back in the same order.
    position     INTEGER NOT NULL,
    -- The invoice, while the payment is an open checkout.
    holds        TEXT,
    PRIMARY KEY (payment_id, invoice_id)
);
CREATE INDEX payment_allocations_invoice ON payment_allocations (tenant_id, invoice_id);
CREATE INDEX payment_allocations_job ON payment_allocations (tenant_id, job_id);
CREATE UNIQUE INDEX payment_allocations_one_open_checkout ON payment_allocations (tenant_id, holds) WHERE holds IS NOT NULL;
INSERT INTO payment_allocations (tenant_id, payment_id, invoice_id, job_id, amount_minor, position, holds)
    SELECT tenant_id, id, invoice_id, job_id, amount_minor, 0, CASE WHEN status = 'open' THEN invoice_id END FROM payments;

-- The business's card fee, added to what a client pays by card online:
-- basis points of the amount (290 = 2.9 %) plus a fixed amount.
ALTER TABLE tenants ADD COLUMN card_fee_basis_points INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN card_fee_fixed_minor INTEGER NOT NULL DEFAULT 0;
