//! Estimates: the office writes one for a job (lines, options the client
//! may tick, tax per line, a deposit, the last day it holds) and sends it;
//! a client of the job accepts it with a signature, or declines it with a
//! reason. Acceptance makes the invoices — the work, and a deposit invoice
//! when one is asked — and tells the office; so does a "no". Every rule is
//! here, whichever surface (console, section, API) asks.

use crate::agreements::{sha256_hex, Signer};
use crate::events::Events;
use crate::notifications::Notifications;
use crate::Problem;
use portico_core::estimates::{parse_tax_rate, totals, EstimateStatus, EstimateText, PricedLine, Totals};
use portico_core::formats::{Formats as _, TenantFormats};
use portico_core::ids::JobId;
use portico_core::model::{now, Tenant};
use portico_core::money::InvoiceStatus;
use portico_core::notifications::NotificationKind;
use portico_data::{Acceptance, Actor, AuditEntry, Db, DbError, Estimate, EstimateLine, NewEstimate, NewInvoice};
use serde_json::json;

/// The most lines an estimate holds, and the longest words in it.
pub const MAX_LINES: usize = 30;
const MAX_TITLE: usize = 120;
const MAX_MESSAGE: usize = 2_000;
const MAX_DESCRIPTION: usize = 200;
const MAX_QUANTITY: i64 = 10_000;
/// A line's unit price may not pass $1,000,000.00: a typo guard.
const MAX_UNIT_PRICE: i64 = 100_000_000;
const MAX_REASON: usize = 1_000;
/// How far ahead an estimate may expire.
const MAX_DAYS_VALID: i64 = 366;

/// An estimate as the office typed it: text, checked here.
#[derive(Debug, Clone, Default)]
pub struct EstimateDraft {
    pub title: String,
    pub message: String,
    /// `YYYY-MM-DD`, the last day it may be accepted (business time zone).
    pub expires_on: String,
    /// Whole percent of the total, asked on acceptance; empty for none.
    pub deposit_percent: String,
    pub lines: Vec<DraftLine>,
}

/// One line as typed; a line with nothing in it is skipped.
#[derive(Debug, Clone, Default)]
pub struct DraftLine {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    /// "8.25" (percent); empty for no tax.
    pub tax_rate: String,
    pub optional: bool,
}

impl DraftLine {
    /// Nothing typed: no work and no price (the form fills in a quantity and
    /// the business's tax rate on every row).
    fn is_blank(&self) -> bool {
        self.description.trim().is_empty() && self.unit_price.trim().is_empty()
    }
}

/// What can go wrong with an estimate.
#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    /// The job has no such estimate (or the business no such job).
    #[error("no such estimate")]
    NotFound,
    /// The draft has problems, each beside its input (`title`, `message`,
    /// `expires_on`, `deposit_percent`, `lines`, or `line-N` for the Nth line).
    #[error("the estimate has {} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    /// Refused, in words for the person asking.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// An estimate with its lines, what they add up to and the version a
/// client must have read to accept it.
#[derive(Debug, Clone)]
pub struct EstimateView {
    pub estimate: Estimate,
    pub lines: Vec<EstimateLine>,
    /// The required lines and, once accepted, the options chosen.
    pub totals: Totals,
    /// SHA-256 of the text a client accepts.
    pub version: String,
    /// Past its last day at the time it was read.
    pub expired: bool,
}

impl EstimateView {
    fn new(estimate: Estimate, lines: Vec<EstimateLine>, at: i64) -> EstimateView {
        let priced: Vec<PricedLine> = lines.iter().map(EstimateLine::priced).collect();
        let totals = totals(priced.iter().zip(lines.iter().map(EstimateLine::chosen)), estimate.deposit_percent);
        let text = EstimateText {
            number: &estimate.number,
            title: &estimate.title,
            message: &estimate.message,
            deposit_percent: estimate.deposit_percent,
            expires_at: estimate.expires_at,
            lines: lines.iter().zip(&priced).map(|(line, priced)| (line.id.as_str(), line.description.as_str(), priced)).collect(),
        };
        let version = sha256_hex(&text.canonical());
        let expired = at > estimate.expires_at;
        EstimateView { estimate, lines, totals, version, expired }
    }

    /// Sent and not yet past its last day: a client may answer it.
    pub fn open(&self) -> bool {
        self.estimate.status == EstimateStatus::Sent && !self.expired
    }
}

/// What a client submits to accept.
pub struct AcceptRequest<'a> {
    pub version: &'a str,
    pub signer_name: &'a str,
    pub consent: bool,
    /// The optional lines they took, by id.
    pub chosen: &'a [String],
}

/// Writes, sends and settles estimates; cheap to clone.
#[derive(Clone)]
pub struct Estimates {
    db: Db,
    events: Events,
    notifications: Notifications,
}

impl Estimates {
    pub fn new(db: Db, events: Events, notifications: Notifications) -> Estimates {
        Estimates { db, events, notifications }
    }

    /// The estimates of these jobs, newest first; those never sent (drafts,
    /// and drafts the office discarded) only when `drafts`.
    pub async fn of_jobs(&self, tenant: &Tenant, job_ids: &[JobId], drafts: bool) -> Result<Vec<EstimateView>, DbError> {
        let at = now();
        let found = self.db.tenant(&tenant.id).estimates_of_jobs(job_ids).await?;
        Ok(found
            .into_iter()
            .filter(|(estimate, _)| drafts || estimate.sent_at.is_some())
            .map(|(estimate, lines)| EstimateView::new(estimate, lines, at))
            .collect())
    }

    /// One estimate of the job.
    pub async fn on_job(&self, tenant: &Tenant, job_id: &JobId, estimate_id: &str) -> Result<EstimateView, EstimateError> {
        match self.db.tenant(&tenant.id).estimate(estimate_id).await? {
            Some((estimate, lines)) if estimate.job_id == *job_id => Ok(EstimateView::new(estimate, lines, now())),
            _ => Err(EstimateError::NotFound),
        }
    }

    /// Write a draft for the job. Returns its id and number.
    pub async fn write(&self, tenant: &Tenant, job_id: &JobId, draft: &EstimateDraft, actor: &Actor<'_>) -> Result<(String, String), EstimateError> {
        let db = self.db.tenant(&tenant.id);
        let job = db.job(job_id).await?.ok_or(EstimateError::NotFound)?;
        let checked = check(tenant, draft, now())?;
        let new = NewEstimate {
            job_id,
            title: &checked.title,
            message: &checked.message,
            deposit_percent: checked.deposit_percent,
            expires_at: checked.expires_at,
            created_by: actor.name,
            lines: &checked.lines,
        };
        let (id, number) = db.create_estimate(&new).await?;
        let summary = format!("Wrote estimate {number} ({}) for job {}", checked.title, job.reference);
        self.db.record_audit(&AuditEntry::new(&tenant.id, "estimate.written", &summary).by(*actor).on_job(job_id)).await?;
        Ok((id, number))
    }

    /// Show a draft to the job's clients and tell them by e-mail.
    pub async fn send(&self, tenant: &Tenant, job_id: &JobId, estimate_id: &str, actor: &Actor<'_>) -> Result<EstimateView, EstimateError> {
        let view = self.on_job(tenant, job_id, estimate_id).await?;
        let db = self.db.tenant(&tenant.id);
        if view.estimate.status != EstimateStatus::Draft {
            return Err(EstimateError::Refused(format!("Estimate {} was sent already; only a draft is sent.", view.estimate.number)));
        }
        if !db.live_job_contacts(job_id).await?.iter().any(|person| matches!(person.role.0, portico_core::model::Role::Client | portico_core::model::Role::CoClient)) {
            return Err(EstimateError::Refused("Add the client to the job first: nobody could answer this estimate.".into()));
        }
        if view.expired {
            return Err(EstimateError::Refused("Its last day has passed; write a new estimate with a later one.".into()));
        }
        if !db.send_estimate(estimate_id, now()).await? {
            // A colleague sent or withdrew it a moment ago.
            return Err(EstimateError::Refused(format!("Estimate {} was just sent or withdrawn by someone else.", view.estimate.number)));
        }
        let summary = format!("Sent estimate {} to the clients", view.estimate.number);
        self.db.record_audit(&AuditEntry::new(&tenant.id, "estimate.sent", &summary).by(*actor).on_job(job_id)).await?;
        let formats = TenantFormats::new(tenant);
        let facts = json!({
            "number": view.estimate.number,
            "title": view.estimate.title,
            "amount": formats.money(view.totals.total),
            "expires": formats.day(view.estimate.expires_at),
        });
        self.notifications.job_moved(tenant, job_id, NotificationKind::EstimateSent, facts).await;
        self.on_job(tenant, job_id, estimate_id).await
    }

    /// Take back a draft or an unanswered estimate.
    pub async fn withdraw(&self, tenant: &Tenant, job_id: &JobId, estimate_id: &str, actor: &Actor<'_>) -> Result<(), EstimateError> {
        let view = self.on_job(tenant, job_id, estimate_id).await?;
        if !self.db.tenant(&tenant.id).withdraw_estimate(estimate_id, now()).await? {
            return Err(EstimateError::Refused(format!("Estimate {} was already answered or withdrawn.", view.estimate.number)));
        }
        let summary = format!("Withdrew estimate {}", view.estimate.number);
        self.db.record_audit(&AuditEntry::new(&tenant.id, "estimate.withdrawn", &summary).by(*actor).on_job(job_id)).await?;
        Ok(())
    }

    /// Accept an estimate for a client of its job: their typed name, their
    /// consent and the version they read are checked; the acceptance, the
    /// options they took and the invoices are written at once; the office
    /// and the sections hear of it.
    pub async fn accept(
        &self,
        tenant: &Tenant,
        job_id: &JobId,
        estimate_id: &str,
        answerer: &Signer<'_>,
        request: &AcceptRequest<'_>,
    ) -> Result<EstimateView, EstimateError> {
        let view = self.on_job(tenant, job_id, estimate_id).await?;
        let name = self.answering_client(tenant, job_id, answerer).await?;
        refuse_unless_open(tenant, &view)?;
        let signer_name = request.signer_name.trim();
        if !(2..=200).contains(&signer_name.chars().count()) {
            return Err(EstimateError::Refused("Type your full name to accept.".into()));
        }
        if !request.consent {
            return Err(EstimateError::Refused("Tick the box to agree to the estimate and to signing electronically.".into()));
        }
        if request.version != view.version {
            return Err(EstimateError::Refused("The estimate changed since you opened it. Read it again and accept the new version.".into()));
        }
        let mut chosen: Vec<&str> = Vec::new();
        for id in request.chosen {
            if !view.lines.iter().any(|line| line.id == *id && line.optional()) {
                return Err(EstimateError::Refused("An option you ticked is not on this estimate.".into()));
            }
            if !chosen.contains(&id.as_str()) {
                chosen.push(id);
            }
        }
        let at = now();
        let priced: Vec<PricedLine> = view.lines.iter().map(EstimateLine::priced).collect();
        let taken = |line: &EstimateLine| !line.optional() || chosen.contains(&line.id.as_str());
        let accepted = totals(priced.iter().zip(view.lines.iter().map(taken)), view.estimate.deposit_percent);
        let number = &view.estimate.number;
        let deposit_number = format!("{number}-D");
        let deposit_line = format!("Deposit ({}%) on estimate {number}: {}", view.estimate.deposit_percent, view.estimate.title);
        let credit_line = format!("Less the deposit, invoice {deposit_number}");
        // A deposit of the whole total is the invoice itself, due now.
        let deposit = if accepted.deposit < accepted.total { accepted.deposit } else { 0 };
        let mut lines: Vec<(&str, &str, i64, i64)> =
            view.lines.iter().filter(|line| taken(line)).map(|line| ("service", line.description.as_str(), line.quantity, line.unit_price_minor)).collect();
        if deposit > 0 {
            lines.push(("discount", &credit_line, 1, -deposit));
        }
        let first_visit = self.db.tenant(&tenant.id).appointments(job_id).await?.iter().map(|a| a.starts_at).filter(|starts| *starts > at).min();
        let due_at = if deposit == 0 && accepted.deposit > 0 { Some(at) } else { first_visit };
        let deposit_lines = [("service", deposit_line.as_str(), 1, deposit)];
        // The evidence binds the text read and the options taken.
        let evidence = sha256_hex(&format!("{}\nchosen {}", view.version, chosen.join(" ")));
        let acceptance = Acceptance {
            estimate_id,
            contact_id: answerer.contact_id,
            signer_name,
            sha256: &evidence,
            ip: &answerer.origin.ip,
            user_agent: &answerer.origin.user_agent,
            at,
            chosen_line_ids: &chosen,
            invoice: NewInvoice { number, status: InvoiceStatus::Due, tax_minor: accepted.tax, due_at, lines: &lines },
            deposit_invoice: (deposit > 0)
                .then(|| NewInvoice { number: &deposit_number, status: InvoiceStatus::Due, tax_minor: 0, due_at: Some(at), lines: &deposit_lines }),
        };
        let accepted_now = match self.db.tenant(&tenant.id).accept_estimate(&acceptance).await {
            Err(error) if error.is_unique_violation() => {
                // An invoice of the business already has one of these numbers.
                tracing::error!(tenant = %tenant.id, estimate = %number, %error, "an estimate's invoice number is taken");
                return Err(EstimateError::Refused(format!(
                    "Estimate {number} could not be accepted because invoice {number} or {number}-D exists already. Please tell the office; nothing was recorded."
                )));
            }
            other => other?,
        };
        let Some(invoices) = accepted_now else {
            // Answered (or expired) between reading and writing.
            let now_view = self.on_job(tenant, job_id, estimate_id).await?;
            refuse_unless_open(tenant, &now_view)?;
            return Err(EstimateError::Refused("The estimate could not be accepted; reload the page and try again.".into()));
        };
        let formats = TenantFormats::new(tenant);
        let summary = format!("{name} accepted estimate {number} ({}) as \"{signer_name}\"", formats.money(accepted.total));
        self.db.record_audit(&answer_entry(tenant, job_id, "estimate.accepted", &summary, answerer, &name)).await?;
        for invoice_id in invoices.deposit_invoice_id.iter().chain([&invoices.invoice_id]) {
            self.events.invoice_updated(tenant, job_id, invoice_id, answerer.origin.clone()).await;
            self.notifications.invoice_issued(tenant, job_id, invoice_id).await;
        }
        let answer = match deposit {
            0 => format!("accepted it ({})", formats.money(accepted.total)),
            deposit => format!("accepted it ({}, with a deposit of {} invoiced)", formats.money(accepted.total), formats.money(deposit)),
        };
        self.tell_office(tenant, job_id, &view, &name, &answer).await;
        self.on_job(tenant, job_id, estimate_id).await
    }

    /// Decline an estimate for a client of its job, with their reason.
    pub async fn decline(&self, tenant: &Tenant, job_id: &JobId, estimate_id: &str, answerer: &Signer<'_>, reason: &str) -> Result<EstimateView, EstimateError> {
        let view = self.on_job(tenant, job_id, estimate_id).await?;
        let name = self.answering_client(tenant, job_id, answerer).await?;
        refuse_unless_open(tenant, &view)?;
        let reason = portico_core::text::typed_paragraphs(reason);
        if reason.chars().count() < 2 {
            return Err(EstimateError::Refused("Say why you decline, so the office can help.".into()));
        }
        if reason.chars().count() > MAX_REASON {
            return Err(EstimateError::Refused(format!("Keep the reason to {MAX_REASON} characters.")));
        }
        if !self.db.tenant(&tenant.id).decline_estimate(estimate_id, answerer.contact_id, &name, &reason, now()).await? {
            let now_view = self.on_job(tenant, job_id, estimate_id).await?;
            refuse_unless_open(tenant, &now_view)?;
            return Err(EstimateError::Refused("The estimate could not be declined; reload the page and try again.".into()));
        }
        let summary = format!("{name} declined estimate {}: {reason}", view.estimate.number);
        self.db.record_audit(&answer_entry(tenant, job_id, "estimate.declined", &summary, answerer, &name)).await?;
        self.tell_office(tenant, job_id, &view, &name, &format!("declined it: \"{reason}\"")).await;
        self.on_job(tenant, job_id, estimate_id).await
    }

    /// The name of the client answering, or a refusal for anyone else on
    /// the job (an agent sees no estimate, and answers none).
    async fn answering_client(&self, tenant: &Tenant, job_id: &JobId, answerer: &Signer<'_>) -> Result<String, EstimateError> {
        let people = self.db.tenant(&tenant.id).live_job_contacts(job_id).await?;
        people
            .into_iter()
            .find(|person| person.contact_id == answerer.contact_id && matches!(person.role.0, portico_core::model::Role::Client | portico_core::model::Role::CoClient))
            .map(|person| person.name)
            .ok_or_else(|| EstimateError::Refused("Only the job's clients answer its estimates.".into()))
    }

    /// Mail the office a client's answer. Best effort: the answer is kept.
    async fn tell_office(&self, tenant: &Tenant, job_id: &JobId, view: &EstimateView, client: &str, answer: &str) {
        let facts = json!({
            "client": client,
            "number": view.estimate.number,
            "title": view.estimate.title,
            "answer": answer,
            "link": format!("{}/staff/jobs/{job_id}#estimates", self.notifications.public_url()),
        });
        if let Err(error) = crate::office::mail(&self.db, &tenant.id, "office-estimate-answered", &facts).await {
            tracing::error!(tenant = %tenant.id, job = %job_id, %error, "could not tell the office of an estimate's answer");
        }
    }
}

/// The audit entry of a client's answer: who, from where, through which section.
fn answer_entry(tenant: &Tenant, job_id: &JobId, action: &str, summary: &str, answerer: &Signer<'_>, name: &str) -> AuditEntry {
    let mut entry = AuditEntry::new(&tenant.id, action, summary).by(Actor::contact(answerer.contact_id, name)).on_job(job_id);
    entry.plugin_id = answerer.plugin_id.map(str::to_string);
    entry.ip = answerer.origin.ip.clone();
    entry.user_agent = answerer.origin.user_agent.clone();
    entry
}

/// Refuse, in the client's words, an estimate that cannot be answered now.
fn refuse_unless_open(tenant: &Tenant, view: &EstimateView) -> Result<(), EstimateError> {
    let formats = TenantFormats::new(tenant);
    let estimate = &view.estimate;
    let on = |at: Option<i64>| at.map(|at| format!(" on {}", formats.day(at))).unwrap_or_default();
    let refusal = match estimate.status {
        EstimateStatus::Sent if view.expired => {
            format!("This estimate expired on {}. Ask the office for a new one.", formats.day(estimate.expires_at))
        }
        EstimateStatus::Sent => return Ok(()),
        EstimateStatus::Draft => return Err(EstimateError::NotFound),
        EstimateStatus::Accepted => format!("This estimate was already accepted{}.", on(estimate.decided_at)),
        EstimateStatus::Declined => format!("This estimate was declined{}; ask the office for a new one.", on(estimate.decided_at)),
        EstimateStatus::Withdrawn => "The office withdrew this estimate.".to_string(),
    };
    Err(EstimateError::Refused(refusal))
}

/// A draft that passed every check.
struct Checked {
    title: String,
    message: String,
    deposit_percent: i64,
    expires_at: i64,
    lines: Vec<(String, PricedLine)>,
}

/// Check a draft, every problem at once.
fn check(tenant: &Tenant, draft: &EstimateDraft, at: i64) -> Result<Checked, EstimateError> {
    let mut problems = Vec::new();
    let mut problem = |field: &str, message: String| problems.push(Problem { field: field.to_string(), message });
    let title = portico_core::text::typed_line(&draft.title);
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        problem("title", format!("Give the estimate a title of at most {MAX_TITLE} characters."));
    }
    let message = portico_core::text::typed_paragraphs(&draft.message);
    if message.chars().count() > MAX_MESSAGE {
        problem("message", format!("Keep the note to {MAX_MESSAGE} characters."));
    }
    let deposit_percent = match draft.deposit_percent.trim().trim_end_matches('%').trim() {
        "" => 0,
        text => text.parse::<i64>().ok().filter(|p| (0..=100).contains(p)).unwrap_or_else(|| {
            problem("deposit_percent", "The deposit is a whole percent from 0 to 100.".into());
            0
        }),
    };
    let expires_at = match last_moment_of(tenant, &draft.expires_on) {
        Some(end) if end < at => {
            problem("expires_on", "The last day has already passed; choose today or a later day.".into());
            0
        }
        Some(end) if end > at + MAX_DAYS_VALID * 86_400 => {
            problem("expires_on", "An estimate holds for at most a year; choose an earlier day.".into());
            0
        }
        Some(end) => end,
        None => {
            problem("expires_on", "Give the last day the client may accept, like 2026-12-31.".into());
            0
        }
    };
    let mut lines = Vec::new();
    for (index, line) in draft.lines.iter().enumerate().filter(|(_, line)| !line.is_blank()) {
        let field = format!("line-{}", index + 1);
        let description = portico_core::text::typed_line(&line.description);
        let quantity = match line.quantity.trim() {
            "" => Some(1),
            text => text.parse::<i64>().ok().filter(|q| (1..=MAX_QUANTITY).contains(q)),
        };
        let price = portico_core::amounts::parse_amount(&line.unit_price).filter(|p| (0..=MAX_UNIT_PRICE).contains(p));
        let tax = parse_tax_rate(&line.tax_rate);
        let said = match (description.is_empty() || description.chars().count() > MAX_DESCRIPTION, quantity, price, tax) {
            (true, ..) => Some(format!("Line {}: describe the work in at most {MAX_DESCRIPTION} characters.", index + 1)),
            (_, None, ..) => Some(format!("Line {}: the quantity is a whole number from 1 to {MAX_QUANTITY}.", index + 1)),
            (_, _, None, _) => Some(format!("Line {}: “{}” is not a price; write it like 125.00.", index + 1, line.unit_price.trim())),
            (_, _, _, None) => Some(format!("Line {}: the tax is a percent from 0 to 30, like 8.25.", index + 1)),
            (false, Some(quantity), Some(unit_price_minor), Some(tax_rate_bp)) => {
                lines.push((description, PricedLine { quantity, unit_price_minor, tax_rate_bp, optional: line.optional }));
                None
            }
        };
        if let Some(said) = said {
            problem(&field, said);
        }
    }
    let typed = draft.lines.iter().filter(|line| !line.is_blank()).count();
    if typed > MAX_LINES {
        problem("lines", format!("An estimate holds at most {MAX_LINES} lines."));
    } else if lines.len() == typed && lines.iter().all(|(_, line)| line.optional) {
        problem("lines", "Add at least one line the client does not have to choose.".into());
    }
    if !problems.is_empty() {
        return Err(EstimateError::Invalid(problems));
    }
    Ok(Checked { title, message, deposit_percent, expires_at, lines })
}

/// The last second of `day` (`YYYY-MM-DD`) in the business's time zone.
fn last_moment_of(tenant: &Tenant, day: &str) -> Option<i64> {
    let date = jiff::civil::Date::strptime("%Y-%m-%d", day.trim()).ok()?;
    let zone = jiff::tz::TimeZone::get(&tenant.timezone).ok()?;
    let next = date.tomorrow().ok()?.to_zoned(zone).ok()?;
    Some(next.timestamp().as_second() - 1)
}
