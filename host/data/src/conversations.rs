//! Conversations between the office and one contact: the threads, their
//! messages with attached uploads, and how far each reader has read.
//!
//! A message's `seq` counts 1, 2, 3… within its conversation, so read state
//! is one number per reader ("read up to seq") and unread is a subtraction.

use super::uploads::{PersonKind, Upload};
use super::{DbResult, QueryContext, TenantDb};
use portico_core::ids::JobId;
use portico_core::model::{new_id, now};

type Executor<'e> = &'e mut sqlx::AnyConnection;

/// A thread between the office and one contact.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Conversation {
    pub id: String,
    pub contact_id: String,
    pub job_id: Option<JobId>,
    /// `''` for the host's own threads, else the section owning the subject.
    pub subject_plugin: String,
    pub subject_key: String,
    pub title: String,
    pub message_count: i64,
    /// `contact` when the office owes an answer.
    pub last_author_kind: String,
    pub last_message_at: i64,
    pub created_at: i64,
}

/// A conversation as a list shows it, for one reader.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationLine {
    #[sqlx(flatten)]
    pub conversation: Conversation,
    pub contact_name: String,
    pub job_reference: Option<String>,
    /// How far the reader has read (0: never opened).
    pub read_seq: i64,
}

impl ConversationLine {
    pub fn unread(&self) -> i64 {
        (self.conversation.message_count - self.read_seq).max(0)
    }
}

/// One message, with the files sent with it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub seq: i64,
    pub author_kind: String,
    pub author_id: String,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
    #[sqlx(skip)]
    pub attachments: Vec<Upload>,
}

/// Someone who reads or writes in a conversation.
#[derive(Debug, Clone, Copy)]
pub struct Party<'a> {
    pub kind: PersonKind,
    pub id: &'a str,
    pub name: &'a str,
}

/// A conversation to open.
pub struct NewConversation<'a> {
    pub contact_id: &'a str,
    pub job_id: Option<&'a JobId>,
    /// The section and key of the subject it owns, if any.
    pub subject: Option<(&'a str, &'a str)>,
    pub title: &'a str,
}

/// A message to add: its author, text and already stored uploads.
pub struct NewMessage<'a> {
    pub author: Party<'a>,
    pub body: &'a str,
    pub upload_ids: &'a [String],
}

const CONVERSATION_COLUMNS: &str = "c.id, c.contact_id, c.job_id, c.subject_plugin, c.subject_key, c.title, c.message_count, \
     c.last_author_kind, c.last_message_at, c.created_at";

const MESSAGE_COLUMNS: &str = "id, conversation_id, seq, author_kind, author_id, author_name, body, created_at";

/// Which conversations a list shows.
pub enum ConversationFilter<'a> {
    /// Every conversation of the business (the office's inbox).
    All,
    /// Those whose last message is the contact's: the office owes an answer.
    AwaitingReply,
    /// Those about one job.
    Job(&'a JobId),
    /// The contact's own: by their id, or any contact row with the address
    /// their session proved.
    Contact { contact_id: &'a str, verified_email: Option<&'a str> },
    /// A section's own threads: about one of its subjects if given, with one
    /// contact (id, proven address) if given, about one job if given.
    Section { plugin_id: &'a str, subject: Option<&'a str>, contact: Option<(&'a str, Option<&'a str>)>, job_id: Option<&'a JobId> },
}

/// A conversation with its contact, job and the reader's read state
/// (`$2`, `$3`: the reader's kind and id; on the contact's side, read state
/// is the thread's contact's, whichever of their rows reads).
const FROM_READER: &str = "FROM conversations c \
     JOIN contacts p ON p.id = c.contact_id AND p.tenant_id = c.tenant_id \
     LEFT JOIN jobs j ON j.id = c.job_id AND j.tenant_id = c.tenant_id \
     LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.reader_kind = $2 \
     AND r.reader_id = CASE WHEN $2 = 'contact' THEN c.contact_id ELSE $3 END";

/// Conditions of a list's query, with their values numbered from `$4`.
#[derive(Default)]
struct Conditions<'a> {
    sql: String,
    values: Vec<&'a str>,
}

impl<'a> Conditions<'a> {
    fn value(&mut self, value: &'a str) -> String {
        self.values.push(value);
        format!("${}", 3 + self.values.len())
    }

    /// `column = value`.
    fn equal(&mut self, column: &str, value: &'a str) {
        let placeholder = self.value(value);
        self.sql.push_str(&format!(" AND {column} = {placeholder}"));
    }

    /// The contact's threads: by their id, or their proven address.
    fn contact(&mut self, contact_id: &'a str, verified_email: Option<&'a str>) {
        match verified_email {
            Some(email) => {
                let (id, email) = (self.value(contact_id), self.value(email));
                self.sql.push_str(&format!(" AND (c.contact_id = {id} OR p.email = {email})"));
            }
            None => self.equal("c.contact_id", contact_id),
        }
    }
}

impl<'a> ConversationFilter<'a> {
    /// The filter's condition on `c` (conversations) and `p` (its contact).
    fn conditions(&self) -> Conditions<'a> {
        let mut conditions = Conditions::default();
        match *self {
            ConversationFilter::All => {}
            ConversationFilter::AwaitingReply => conditions.sql.push_str(" AND c.last_author_kind = 'contact'"),
            ConversationFilter::Job(job_id) => conditions.equal("c.job_id", job_id.as_str()),
            ConversationFilter::Contact { contact_id, verified_email } => conditions.contact(contact_id, verified_email),
            ConversationFilter::Section { plugin_id, subject, contact, job_id } => {
                conditions.equal("c.subject_plugin", plugin_id);
                if let Some(subject) = subject {
                    conditions.equal("c.subject_key", subject);
                }
                if let Some((contact_id, verified_email)) = contact {
                    conditions.contact(contact_id, verified_email);
                }
                if let Some(job_id) = job_id {
                    conditions.equal("c.job_id", job_id.as_str());
                }
            }
        }
        conditions
    }
}

impl TenantDb<'_> {
    /// Open a conversation with its first message, all or nothing.
    pub async fn start_conversation(&self, new: &NewConversation<'_>, first: &NewMessage<'_>) -> DbResult<(Conversation, Message)> {
        let mut tx = self.db.pool.begin().await.context("starting a conversation")?;
        let id = new_id();
        let (plugin, key) = new.subject.unwrap_or(("", ""));
        let at = now();
        sqlx::query(
            "INSERT INTO conversations (id, tenant_id, contact_id, job_id, subject_plugin, subject_key, title, message_count, last_author_kind, last_message_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $9)",
        )
        .bind(&id)
        .bind(self.tenant)
        .bind(new.contact_id)
        .bind(new.job_id)
        .bind(plugin)
        .bind(key)
        .bind(new.title)
        .bind(first.author.kind.as_str())
        .bind(at)
        .execute(&mut *tx)
        .await
        .context("opening a conversation")?;
        let message = insert_message(&mut tx, self.tenant, &id, first).await?;
        tx.commit().await.context("committing a new conversation")?;
        let conversation = self.conversation(&id).await?.ok_or_else(|| super::DbError::Invalid("a conversation vanished as it was opened".into()))?;
        Ok((conversation, message))
    }

    /// Add a message to a conversation; its author has read up to it.
    pub async fn add_message(&self, conversation_id: &str, message: &NewMessage<'_>) -> DbResult<Message> {
        let mut tx = self.db.pool.begin().await.context("starting a message")?;
        let added = insert_message(&mut tx, self.tenant, conversation_id, message).await?;
        tx.commit().await.context("committing a message")?;
        Ok(added)
    }

    /// The contact's thread about a section's subject on `job_id` (or on no
    /// job), if it was opened.
    pub async fn conversation_on_subject(&self, contact_id: &str, plugin_id: &str, subject: &str, job_id: Option<&JobId>) -> DbResult<Option<Conversation>> {
        let on_job = if job_id.is_some() { "c.job_id = $5" } else { "c.job_id IS NULL" };
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.tenant_id = $1 AND c.contact_id = $2 AND c.subject_plugin = $3 AND c.subject_key = $4 AND {on_job}"
        );
        let mut query = sqlx::query_as(&sql).bind(self.tenant).bind(contact_id).bind(plugin_id).bind(subject);
        if let Some(job_id) = job_id {
            query = query.bind(job_id);
        }
        query.fetch_optional(&self.db.pool).await.context("finding a subject's conversation")
    }

    /// One of the business's conversations.
    pub async fn conversation(&self, id: &str) -> DbResult<Option<Conversation>> {
        sqlx::query_as(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.tenant_id = $1 AND c.id = $2"))
            .bind(self.tenant)
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .context("reading a conversation")
    }

    /// Whether the conversation is the contact's: theirs by id, or another
    /// contact row of the business with the address their session proved.
    pub async fn conversation_is_contacts(&self, conversation: &Conversation, contact_id: &str, verified_email: Option<&str>) -> DbResult<bool> {
        if conversation.contact_id == contact_id {
            return Ok(true);
        }
        let Some(email) = verified_email else { return Ok(false) };
        let same: Option<i64> = sqlx::query_scalar("SELECT 1 FROM contacts WHERE tenant_id = $1 AND id = $2 AND email = $3")
            .bind(self.tenant)
            .bind(&conversation.contact_id)
            .bind(email)
            .fetch_optional(&self.db.pool)
            .await
            .context("matching a conversation's contact")?;
        Ok(same.is_some())
    }

    /// Conversations for `reader`, latest first, at most `limit` and, for
    /// the next page, only those before `(last_message_at, id)`.
    pub async fn conversations(
        &self,
        filter: &ConversationFilter<'_>,
        reader: Party<'_>,
        before: Option<(i64, &str)>,
        limit: i64,
    ) -> DbResult<Vec<ConversationLine>> {
        let Conditions { sql: condition, values: bound } = filter.conditions();
        let first_cursor = 4 + bound.len();
        let cursor = match before {
            Some(_) => format!(" AND (c.last_message_at < ${first_cursor} OR (c.last_message_at = ${first_cursor} AND c.id < ${}))", first_cursor + 1),
            None => String::new(),
        };
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS}, p.name AS contact_name, j.reference AS job_reference, COALESCE(r.read_seq, 0) AS read_seq \
             {FROM_READER} WHERE c.tenant_id = $1{condition}{cursor} \
             ORDER BY c.last_message_at DESC, c.id DESC LIMIT {}",
            limit.clamp(1, 500)
        );
        let mut query = sqlx::query_as(&sql).bind(self.tenant).bind(reader.kind.as_str()).bind(reader.id);
        for value in bound {
            query = query.bind(value);
        }
        if let Some((at, id)) = before {
            query = query.bind(at).bind(id);
        }
        query.fetch_all(&self.db.pool).await.context("listing conversations")
    }

    /// How many of the conversations `filter` lists have messages `reader`
    /// has not read.
    pub async fn unread_conversations(&self, filter: &ConversationFilter<'_>, reader: Party<'_>) -> DbResult<i64> {
        let Conditions { sql: condition, values: bound } = filter.conditions();
        let sql = format!("SELECT COUNT(*) {FROM_READER} WHERE c.tenant_id = $1{condition} AND c.message_count > COALESCE(r.read_seq, 0)");
        let mut query = sqlx::query_scalar(&sql).bind(self.tenant).bind(reader.kind.as_str()).bind(reader.id);
        for value in bound {
            query = query.bind(value);
        }
        query.fetch_one(&self.db.pool).await.context("counting unread conversations")
    }

    /// The conversation's messages in order, each with its attachments.
    pub async fn messages(&self, conversation_id: &str) -> DbResult<Vec<Message>> {
        let mut messages: Vec<Message> =
            sqlx::query_as(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY seq"))
                .bind(self.tenant)
                .bind(conversation_id)
                .fetch_all(&self.db.pool)
                .await
                .context("reading a conversation's messages")?;
        let attached: Vec<AttachedUpload> = sqlx::query_as(&format!(
            "SELECT a.message_id, {} FROM message_attachments a \
             JOIN messages m ON m.id = a.message_id AND m.tenant_id = a.tenant_id \
             JOIN uploads u ON u.id = a.upload_id AND u.tenant_id = a.tenant_id \
             WHERE a.tenant_id = $1 AND m.conversation_id = $2 ORDER BY a.position",
            super::uploads::COLUMNS.split(", ").map(|column| format!("u.{column}")).collect::<Vec<_>>().join(", ")
        ))
        .bind(self.tenant)
        .bind(conversation_id)
        .fetch_all(&self.db.pool)
        .await
        .context("reading a conversation's attachments")?;
        for file in attached {
            if let Some(message) = messages.iter_mut().find(|message| message.id == file.message_id) {
                message.attachments.push(file.upload);
            }
        }
        Ok(messages)
    }

    /// How far `reader` has read the conversation (0: never opened).
    pub async fn read_seq(&self, conversation_id: &str, reader: Party<'_>) -> DbResult<i64> {
        let seq: Option<i64> = sqlx::query_scalar(
            "SELECT read_seq FROM conversation_reads WHERE tenant_id = $1 AND conversation_id = $2 AND reader_kind = $3 AND reader_id = $4",
        )
        .bind(self.tenant)
        .bind(conversation_id)
        .bind(reader.kind.as_str())
        .bind(reader.id)
        .fetch_optional(&self.db.pool)
        .await
        .context("reading how far a conversation was read")?;
        Ok(seq.unwrap_or(0))
    }

    /// The last message before `seq` written by someone of `kind`'s side (0: none).
    pub async fn last_seq_by(&self, conversation_id: &str, kind: PersonKind, seq: i64) -> DbResult<i64> {
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(seq) FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND author_kind = $3 AND seq < $4",
        )
        .bind(self.tenant)
        .bind(conversation_id)
        .bind(kind.as_str())
        .bind(seq)
        .fetch_one(&self.db.pool)
        .await
        .context("finding a side's last message")?;
        Ok(last.unwrap_or(0))
    }

    /// `reader` has read up to `seq` (never back).
    pub async fn mark_read(&self, conversation_id: &str, reader: Party<'_>, seq: i64) -> DbResult<()> {
        let mut conn = self.db.pool.acquire().await.context("marking a conversation read")?;
        mark_read(&mut conn, self.tenant, conversation_id, reader, seq).await
    }

    /// The conversation a message's attachment was sent in, if the upload is one.
    pub async fn conversation_of_upload(&self, upload_id: &str) -> DbResult<Option<Conversation>> {
        sqlx::query_as(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM message_attachments a \
             JOIN messages m ON m.id = a.message_id AND m.tenant_id = a.tenant_id \
             JOIN conversations c ON c.id = m.conversation_id AND c.tenant_id = m.tenant_id \
             WHERE a.tenant_id = $1 AND a.upload_id = $2"
        ))
        .bind(self.tenant)
        .bind(upload_id)
        .fetch_optional(&self.db.pool)
        .await
        .context("finding the conversation of an attachment")
    }
}

impl super::Db {
    /// The business a conversation belongs to (to greet a signed-out
    /// visitor of its address in the business's colours).
    pub async fn conversation_tenant(&self, id: &str) -> DbResult<Option<portico_core::ids::TenantId>> {
        sqlx::query_scalar("SELECT tenant_id FROM conversations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .context("finding a conversation's tenant")
    }
}

#[derive(sqlx::FromRow)]
struct AttachedUpload {
    message_id: String,
    #[sqlx(flatten)]
    upload: Upload,
}

/// Add the message as the conversation's next, its attachments, and move
/// its author's read state to it.
async fn insert_message(conn: Executor<'_>, tenant: &portico_core::ids::TenantId, conversation_id: &str, message: &NewMessage<'_>) -> DbResult<Message> {
    let at = now();
    // The counter's row is locked by the update, so two writers take seq n and n+1.
    let (seq, contact_id): (i64, String) = sqlx::query_as(
        "UPDATE conversations SET message_count = message_count + 1, last_author_kind = $1, last_message_at = $2 \
         WHERE tenant_id = $3 AND id = $4 RETURNING message_count, contact_id",
    )
    .bind(message.author.kind.as_str())
    .bind(at)
    .bind(tenant)
    .bind(conversation_id)
    .fetch_one(&mut *conn)
    .await
    .context("numbering a message")?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO messages (id, tenant_id, conversation_id, seq, author_kind, author_id, author_name, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(tenant)
    .bind(conversation_id)
    .bind(seq)
    .bind(message.author.kind.as_str())
    .bind(message.author.id)
    .bind(message.author.name)
    .bind(message.body)
    .bind(at)
    .execute(&mut *conn)
    .await
    .context("adding a message")?;
    for (position, upload_id) in message.upload_ids.iter().enumerate() {
        sqlx::query("INSERT INTO message_attachments (tenant_id, message_id, upload_id, position) VALUES ($1, $2, $3, $4)")
            .bind(tenant)
            .bind(&id)
            .bind(upload_id)
            .bind(position as i64)
            .execute(&mut *conn)
            .await
            .context("attaching a file to a message")?;
    }
    // On the contact's side read state is the thread's contact's, whichever
    // of their rows (same proven address) wrote.
    let reader = match message.author.kind {
        PersonKind::Contact => Party { id: &contact_id, ..message.author },
        PersonKind::Staff => message.author,
    };
    mark_read(conn, tenant, conversation_id, reader, seq).await?;
    Ok(Message {
        id,
        conversation_id: conversation_id.to_string(),
        seq,
        author_kind: message.author.kind.as_str().to_string(),
        author_id: message.author.id.to_string(),
        author_name: message.author.name.to_string(),
        body: message.body.to_string(),
        created_at: at,
        attachments: Vec::new(),
    })
}

async fn mark_read(conn: Executor<'_>, tenant: &portico_core::ids::TenantId, conversation_id: &str, reader: Party<'_>, seq: i64) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO conversation_reads (tenant_id, conversation_id, reader_kind, reader_id, read_seq, read_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (conversation_id, reader_kind, reader_id) DO UPDATE SET \
         read_seq = CASE WHEN excluded.read_seq > conversation_reads.read_seq THEN excluded.read_seq ELSE conversation_reads.read_seq END, \
         read_at = excluded.read_at",
    )
    .bind(tenant)
    .bind(conversation_id)
    .bind(reader.kind.as_str())
    .bind(reader.id)
    .bind(seq)
    .bind(now())
    .execute(&mut *conn)
    .await
    .context("marking a conversation read")?;
    Ok(())
}
