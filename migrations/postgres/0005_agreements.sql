-- Agreements become the host's: the business's templates, each job's locked
-- copy (the exact text signed, fixed at the first signature) and every
-- signature's evidence. Reports may wait for the agreement and the payment.

CREATE TABLE agreement_templates (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    title        TEXT NOT NULL,
    -- The text with {{placeholders}} (see agreements::placeholders).
    body         TEXT NOT NULL,
    -- Comma-separated roles that must sign.
    signer_roles TEXT NOT NULL,
    -- Newline-separated service names the template is for; empty: every job.
    services     TEXT NOT NULL DEFAULT '',
    position     BIGINT NOT NULL,
    active       BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX agreement_templates_tenant ON agreement_templates (tenant_id, position);

-- A job's agreement from its first signature on: the text as signed.
CREATE TABLE job_agreements (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    job_id       TEXT NOT NULL REFERENCES jobs(id),
    template_id  TEXT NOT NULL REFERENCES agreement_templates(id),
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    body_sha256  TEXT NOT NULL,
    signer_roles TEXT NOT NULL,
    locked_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, job_id, template_id)
);

CREATE TABLE agreement_signatures (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    job_id        TEXT NOT NULL,
    template_id   TEXT NOT NULL,
    contact_id    TEXT NOT NULL REFERENCES contacts(id),
    role          TEXT NOT NULL,
    -- The contact as the business knew them when they signed.
    contact_name  TEXT NOT NULL,
    contact_email TEXT,
    -- What the signer typed, and the consent they accepted.
    signer_name   TEXT NOT NULL,
    consent_text  TEXT NOT NULL,
    signed_at     BIGINT NOT NULL,
    ip            TEXT NOT NULL,
    user_agent    TEXT NOT NULL,
    audit_id      TEXT NOT NULL,
    FOREIGN KEY (tenant_id, job_id, template_id) REFERENCES job_agreements (tenant_id, job_id, template_id),
    -- One signature per person per agreement, even when two requests race.
    UNIQUE (tenant_id, job_id, template_id, contact_id)
);

-- The business's consent to electronic signature; NULL: Portico's wording.
ALTER TABLE tenants ADD COLUMN esign_consent TEXT;
-- When published reports reach the people they are shared with.
ALTER TABLE tenants ADD COLUMN report_release TEXT NOT NULL DEFAULT 'on-publish'
    CHECK (report_release IN ('on-publish', 'after-signing', 'after-payment', 'after-signing-and-payment'));
-- Whether agents may read a report's summary while the report is held.
ALTER TABLE tenants ADD COLUMN summary_while_held BIGINT NOT NULL DEFAULT 1 CHECK (summary_while_held IN (0, 1));

-- A report's summary is a document of its own (kind `summary`).
ALTER TABLE documents DROP CONSTRAINT documents_kind_check;
ALTER TABLE documents ADD CONSTRAINT documents_kind_check
    CHECK (kind IN ('report', 'summary', 'agreement', 'invoice', 'photo', 'attachment'));

-- Carry over what the agreements section kept itself before the host owned
-- agreements: its settings become the business's first template, and each
-- job's signature that job's locked copy and signature.
INSERT INTO agreement_templates (id, tenant_id, title, body, signer_roles, services, position, active, created_at, updated_at)
SELECT 'carried-' || tenant_id, tenant_id,
       COALESCE(NULLIF(TRIM(settings_json::jsonb ->> 'title'), ''), 'Inspection Agreement'),
       settings_json::jsonb ->> 'text',
       COALESCE(NULLIF((SELECT string_agg(value, ',') FROM jsonb_array_elements_text(
           CASE WHEN jsonb_typeof(settings_json::jsonb -> 'signer_roles') = 'array' THEN settings_json::jsonb -> 'signer_roles' ELSE '[]'::jsonb END)), ''), 'client'),
       '', 0,
       CASE WHEN settings_json::jsonb ->> 'required' = 'false' THEN 0 ELSE 1 END,
       updated_at, updated_at
FROM plugin_installations
WHERE plugin_id = 'agreements' AND TRIM(COALESCE(settings_json::jsonb ->> 'text', '')) <> '';

INSERT INTO job_agreements (tenant_id, job_id, template_id, title, body, body_sha256, signer_roles, locked_at)
SELECT s.tenant_id, s.scope_id, t.id,
       COALESCE(s.value::jsonb ->> 'title', t.title), t.body,
       COALESCE(s.value::jsonb ->> 'text_sha256', ''), t.signer_roles,
       COALESCE((s.value::jsonb ->> 'signed_at')::bigint, s.updated_at)
FROM plugin_storage s
JOIN agreement_templates t ON t.id = 'carried-' || s.tenant_id
JOIN jobs j ON j.id = s.scope_id AND j.tenant_id = s.tenant_id
WHERE s.plugin_id = 'agreements' AND s.scope = 'job' AND s.key = 'signature';

INSERT INTO agreement_signatures (id, tenant_id, job_id, template_id, contact_id, role, contact_name, contact_email,
                                  signer_name, consent_text, signed_at, ip, user_agent, audit_id)
SELECT 'carried-' || s.tenant_id || '-' || s.scope_id, s.tenant_id, s.scope_id, ja.template_id,
       jc.contact_id, jc.role, c.name, c.email,
       COALESCE(s.value::jsonb ->> 'signer_name', c.name),
       'I have read this agreement, I agree to its terms, and I agree to sign it electronically.',
       COALESCE((s.value::jsonb ->> 'signed_at')::bigint, s.updated_at),
       COALESCE(s.value::jsonb ->> 'ip', ''), COALESCE(s.value::jsonb ->> 'user_agent', ''),
       COALESCE(s.value::jsonb ->> 'audit_id', '')
FROM plugin_storage s
JOIN job_agreements ja ON ja.tenant_id = s.tenant_id AND ja.job_id = s.scope_id AND ja.template_id = 'carried-' || s.tenant_id
JOIN job_contacts jc ON jc.tenant_id = s.tenant_id AND jc.job_id = s.scope_id AND jc.contact_id = s.value::jsonb ->> 'contact_id'
JOIN contacts c ON c.id = jc.contact_id
WHERE s.plugin_id = 'agreements' AND s.scope = 'job' AND s.key = 'signature';
