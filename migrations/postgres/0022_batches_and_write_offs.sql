-- An invoice the business gives up collecting is written off (bad debt): it
-- keeps its lines, payments and status, since a client may still pay it,
-- but it no longer counts as receivable. Who wrote it off, when and why
-- are kept with it.
ALTER TABLE invoices ADD COLUMN written_off_at BIGINT;
ALTER TABLE invoices ADD COLUMN written_off_by TEXT;
ALTER TABLE invoices ADD COLUMN written_off_reason TEXT;

-- A batch groups one customer's invoices (a month of cleanings) into one
-- document they can pay in one payment. Each invoice is in one batch at
-- most; a batch is its members, and money stays on the invoices.
CREATE TABLE invoice_batches (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    -- The business's batch number ("B-0007"), unique to it.
    number      TEXT NOT NULL,
    -- The customer the batch is addressed to.
    contact_id  TEXT NOT NULL REFERENCES contacts(id),
    title       TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    -- A withdrawn batch lets its invoices go and keeps its number, which
    -- is never given again.
    withdrawn_at BIGINT,
    UNIQUE (tenant_id, number)
);
CREATE INDEX invoice_batches_contact ON invoice_batches (tenant_id, contact_id);

CREATE TABLE invoice_batch_members (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    batch_id    TEXT NOT NULL REFERENCES invoice_batches(id),
    invoice_id  TEXT NOT NULL REFERENCES invoices(id),
    position    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, invoice_id)
);
CREATE INDEX invoice_batch_members_batch ON invoice_batch_members (tenant_id, batch_id);
