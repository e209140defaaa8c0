-- Conversations between the office and one contact of the business: about
-- a job, about the contact's account as a whole, or about something a
-- section owns (a service request, an estimate: subject_plugin and
-- subject_key name it). Only that contact and the office read a thread.
CREATE TABLE conversations (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    contact_id       TEXT NOT NULL REFERENCES contacts(id),
    job_id           TEXT REFERENCES jobs(id),
    -- '' for the host's own threads; else the section that owns the subject.
    subject_plugin   TEXT NOT NULL DEFAULT '',
    subject_key      TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL,
    -- The number of messages, which is also the last message's seq.
    message_count    INTEGER NOT NULL DEFAULT 0,
    -- Who wrote last: 'contact' means the office owes an answer.
    last_author_kind TEXT NOT NULL DEFAULT 'contact' CHECK (last_author_kind IN ('contact', 'staff')),
    last_message_at  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX conversations_latest ON conversations (tenant_id, last_message_at, id);
CREATE INDEX conversations_contact ON conversations (tenant_id, contact_id, last_message_at);
CREATE INDEX conversations_job ON conversations (tenant_id, job_id);
-- A section's subject has one thread per contact and job (or none).
CREATE UNIQUE INDEX conversations_subject ON conversations (tenant_id, contact_id, subject_plugin, subject_key, COALESCE(job_id, '')) WHERE subject_plugin <> '';

CREATE TABLE messages (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    -- 1, 2, 3… within the conversation: read state is "read up to seq".
    seq              INTEGER NOT NULL,
    author_kind      TEXT NOT NULL CHECK (author_kind IN ('contact', 'staff')),
    author_id        TEXT NOT NULL,
    author_name      TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (conversation_id, seq)
);

-- Files sent with a message (checked and stored as uploads).
CREATE TABLE message_attachments (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    message_id  TEXT NOT NULL REFERENCES messages(id),
    upload_id   TEXT NOT NULL REFERENCES uploads(id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (message_id, upload_id)
);
CREATE INDEX message_attachments_upload ON message_attachments (tenant_id, upload_id);

-- How far each reader has read each conversation: the contact, and each
-- member of staff on their own.
CREATE TABLE conversation_reads (
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    reader_kind      TEXT NOT NULL CHECK (reader_kind IN ('contact', 'staff')),
    reader_id        TEXT NOT NULL,
    read_seq         INTEGER NOT NULL,
    read_at          INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, reader_kind, reader_id)
);
CREATE INDEX conversation_reads_reader ON conversation_reads (tenant_id, reader_kind, reader_id);
