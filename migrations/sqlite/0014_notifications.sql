-- Notifications: what a business e-mails by default, and what each person
-- chose. A person is an e-mail address with one business (the same person
-- may be a contact on several jobs); the id is what their unsubscribe link
-- names, with a signature the host checks, so no address is in a link.
CREATE TABLE notification_recipients (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    address     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, address)
);

CREATE TABLE notification_preferences (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    recipient_id  TEXT NOT NULL REFERENCES notification_recipients(id),
    kind          TEXT NOT NULL,
    email         INTEGER NOT NULL CHECK (email IN (0, 1)),
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (recipient_id, kind)
);

CREATE TABLE notification_defaults (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    kind        TEXT NOT NULL,
    email       INTEGER NOT NULL CHECK (email IN (0, 1)),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);
