-- An invoice discounted to nothing, with nothing collected, is 'waived' (by an
-- owner), never 'paid'. SQLite cannot change a CHECK constraint in place: the
-- table is rebuilt as SQLite's documented procedure says, with foreign keys
-- off for the rebuild (lines and payments keep referring to "invoices" by
-- name). `PRAGMA foreign_keys` does nothing inside a transaction, and sqlx
-- 0.8's SQLite migrator always opens one (it ignores `-- no-transaction`), so
-- this file ends the migrator's transaction, rebuilds in its own, and opens a
-- new one for the migrator to record the migration in and commit. Run twice
-- (a crash before the record), the rebuild does the same again.
COMMIT;
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE invoices_new (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    job_id         TEXT NOT NULL REFERENCES jobs(id),
    number         TEXT NOT NULL,
    status         TEXT NOT NULL
                   CHECK (status IN ('draft', 'due', 'processing', 'paid', 'failed', 'refunded', 'void', 'waived')),
    tax_minor      INTEGER NOT NULL DEFAULT 0,
    paid_minor     INTEGER NOT NULL DEFAULT 0,
    due_at         INTEGER,
    created_at     INTEGER NOT NULL,
    revision       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, number)
);
INSERT INTO invoices_new (id, tenant_id, job_id, number, status, tax_minor, paid_minor, due_at, created_at, revision)
    SELECT id, tenant_id, job_id, number, status, tax_minor, paid_minor, due_at, created_at, revision FROM invoices;
DROP TABLE invoices;
ALTER TABLE invoices_new RENAME TO invoices;
CREATE INDEX invoices_job ON invoices (tenant_id, job_id);
COMMIT;
PRAGMA foreign_keys = ON;
BEGIN;
