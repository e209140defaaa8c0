-- Listing pages read through an index, however large the business or the
-- whole database grows (issue 19's growth run, docs/deploy.md):
-- the API's job list and the newest jobs, page by page (cursor: created_at, id);
CREATE INDEX jobs_newest ON jobs (tenant_id, created_at, id);
-- a person's jobs (their account, the links they reach);
CREATE INDEX job_contacts_contact ON job_contacts (tenant_id, contact_id);
-- staff sign-in, which finds the business by the address.
CREATE INDEX staff_users_email ON staff_users (email);
