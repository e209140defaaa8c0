-- Sales tax: the business's rate, and a rate of a job's service of its own
-- (NULL: the business's). In basis points: 825 is 8.25 %. Invoicing the
-- services adds each one's tax; estimates start their lines from them.
ALTER TABLE tenants ADD COLUMN tax_rate_bp BIGINT NOT NULL DEFAULT 0 CHECK (tax_rate_bp BETWEEN 0 AND 3000);
ALTER TABLE job_services ADD COLUMN tax_rate_bp BIGINT CHECK (tax_rate_bp BETWEEN 0 AND 3000);
