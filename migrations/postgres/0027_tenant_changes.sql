-- Each business's changes counted, and announced on the channel
-- `portico_tenant_changes` (the business's id), for what instances keep of
-- it across requests (its row and its sections' installations): each
-- instance listens and drops what it kept. Triggers count, so no write can
-- forget to.
CREATE TABLE tenant_changes (
    tenant_id  TEXT PRIMARY KEY NOT NULL,
    generation BIGINT NOT NULL
);

-- TG_ARGV[0]: the column naming the business.
CREATE FUNCTION portico_tenant_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := to_jsonb(OLD) ->> TG_ARGV[0];
    ELSE
        changed := to_jsonb(NEW) ->> TG_ARGV[0];
    END IF;
    INSERT INTO tenant_changes (tenant_id, generation) VALUES (changed, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET generation = tenant_changes.generation + 1;
    PERFORM pg_notify('portico_tenant_changes', changed);
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_changed AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION portico_tenant_changed('id');
CREATE TRIGGER installations_added AFTER INSERT OR DELETE ON plugin_installations
    FOR EACH ROW EXECUTE FUNCTION portico_tenant_changed('tenant_id');
-- Not a failure's count (the console reads it afresh; renders never do).
CREATE TRIGGER installations_changed AFTER UPDATE ON plugin_installations
    FOR EACH ROW WHEN (OLD.failures = NEW.failures) EXECUTE FUNCTION portico_tenant_changed('tenant_id');

-- What a business numbers or claims one at a time (batches, requests,
-- estimates, acceptances) takes this row's lock, not the business's own
-- row's: writing `tenants` counts as a change to the business.
CREATE TABLE business_locks (
    tenant_id TEXT PRIMARY KEY NOT NULL,
    taken     BIGINT NOT NULL
);

-- A job page reads what every section keeps for the job and its people in
-- one statement, by scope rather than by section.
CREATE INDEX plugin_storage_by_scope ON plugin_storage (tenant_id, scope, scope_id);
