-- A replaced personal link is remembered by its hash (never the token), so
-- that whoever opens it learns that it was replaced, on the page of the
-- business that replaced it, instead of being told the link never existed.
CREATE TABLE retired_links (
    token_hash  TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    retired_at  BIGINT NOT NULL
);
