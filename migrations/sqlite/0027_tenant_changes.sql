-- Each business's changes counted, for what instances keep of it across
-- requests (its row and its sections' installations): a render reads the
-- count and reads again what was kept under another one. Triggers count,
-- so no write can forget to.
CREATE TABLE tenant_changes (
    tenant_id  TEXT PRIMARY KEY NOT NULL,
    generation BIGINT NOT NULL
);

CREATE TRIGGER tenants_inserted AFTER INSERT ON tenants BEGIN
    INSERT INTO tenant_changes (tenant_id, generation) VALUES (NEW.id, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER tenants_updated AFTER UPDATE ON tenants BEGIN
    INSERT INTO tenant_changes (tenant_id, generation) VALUES (NEW.id, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER tenants_deleted AFTER DELETE ON tenants BEGIN
    INSERT INTO tenant_changes (tenant_id, generation) VALUES (OLD.id, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER installations_inserted AFTER INSERT ON plugin_installations BEGIN
    INSERT INTO tenant_changes (tenant_id, generation) VALUES (NEW.tenant_id, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET generation = generation + 1;
END;
-- Not a failure's count (the console reads it afresh; renders never do).
CREATE TRIGGER installations_updated AFTER UPDATE ON plugin_installations WHEN OLD.failures = NEW.failures BEGIN
    INSERT INTO tenant_changes (tenant_id, generation) VALUES (NEW.tenant_id, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER installations_deleted AFTER DELETE ON plugin_installations BEGIN
    INSERT INTO tenant_changes (tenant_id, generation) VALUES (OLD.tenant_id, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET generation = generation + 1;
END;

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
