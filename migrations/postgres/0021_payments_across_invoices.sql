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
-- and Zelle join the methods.
ALTER TABLE payments DROP CONSTRAINT payments_method_check;
ALTER TABLE payments ADD CONSTRAINT payments_method_check
    CHECK (method IN ('card', 'ach', 'cash', 'check', 'bank-transfer', 'zelle'));
ALTER TABLE payments ADD COLUMN fee_minor BIGINT NOT NULL DEFAULT 0;
DROP INDEX payments_one_open_checkout;

CREATE TABLE payment_allocations (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    payment_id   TEXT NOT NULL REFERENCES payments(id),
    invoice_id   TEXT NOT NULL REFERENCES invoices(id),
    job_id       TEXT NOT NULL REFERENCES jobs(id),
    -- What of the payment goes to this invoice (its balance when paid).
    amount_minor BIGINT NOT NULL,
    -- Captured money fills the allocations in this order, the card fee last;
    -- a refund gives back in the same order.
    position     BIGINT NOT NULL,
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
ALTER TABLE tenants ADD COLUMN card_fee_basis_points BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN card_fee_fixed_minor BIGINT NOT NULL DEFAULT 0;
