-- Section management: who may see an uploaded package, the upgrade waiting
-- for the tenant's consent, and where the tenant placed each card.

-- 1 when the operator offers an uploaded package to every tenant.
ALTER TABLE plugin_packages ADD COLUMN published INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1));

-- Which tenant uploaded which package: an upload is seen only by the tenants
-- that uploaded it until the operator publishes it. (Packages are keyed by
-- their bytes, so two tenants may upload the same file.)
CREATE TABLE plugin_uploads (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    sha256      TEXT NOT NULL REFERENCES plugin_packages(sha256),
    uploaded_by TEXT NOT NULL,
    uploaded_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, sha256)
);

-- A newer package that asks for more than the installed one: it waits here
-- for the tenant's consent while the installed package keeps running with the
-- old grants.
ALTER TABLE plugin_installations ADD COLUMN pending_sha256 TEXT REFERENCES plugin_packages(sha256);
-- The tenant's placement of the plugin's cards: {"card-id": "" (dashboard) or "Tab title"}.
ALTER TABLE plugin_installations ADD COLUMN placements_json TEXT NOT NULL DEFAULT '{}';
