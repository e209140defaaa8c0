-- An invoice discounted to nothing, with nothing collected, is 'waived' (by an
-- owner), never 'paid'.
ALTER TABLE invoices DROP CONSTRAINT invoices_status_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_status_check
    CHECK (status IN ('draft', 'due', 'processing', 'paid', 'failed', 'refunded', 'void', 'waived'));
