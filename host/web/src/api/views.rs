//! What the API answers, as types: each handler builds one of these and
//! serialises it, and the OpenAPI document (`openapi.rs`) is derived from the
//! same types, so the two cannot drift apart.

use portico_core::ids::JobId;
use portico_core::formats::rfc3339;
use portico_core::model::{Document, InvoiceLine, Role};
use portico_data::AddOnRequest;
use portico_services::documents::DOCUMENT_KINDS;
use portico_services::jobs::JOB_ROLES;
use portico_services::payments::invoices::LINE_KINDS;
use serde::Serialize;
use std::borrow::Cow;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// A string schema whose values are `names`.
fn names_schema(names: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names)).into()
}

/// Declare a schema-only type: a string limited to the names the code
/// itself accepts, so the document lists exactly what the handlers take.
macro_rules! names_type {
    ($(#[$meta:meta])* $name:ident as $schema:literal = $names:expr) => {
        $(#[$meta])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                names_schema($names)
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($schema)
            }
        }
    };
}

names_type! {
    /// A person's part on a job.
    RoleName as "Role" = JOB_ROLES.map(Role::as_str)
}

names_type! {
    /// Where a job stands on its day.
    JobStageName as "JobStage" = portico_core::stages::JobStage::ALL.map(portico_core::stages::JobStage::as_str)
}

names_type! {
    /// What a document is.
    DocumentKind as "DocumentKind" = DOCUMENT_KINDS
}

names_type! {
    /// What an integration may add to an invoice.
    NewLineKind as "NewLineKind" = LINE_KINDS
}

names_type! {
    /// What an invoice line bills: the job's services, an add-on the client
    /// asked for, a fee, or a discount.
    LineKind as "LineKind" = ["service", "add-on", "fee", "discount"]
}

names_type! {
    /// Where an estimate stands: written (`draft`), awaiting the client's
    /// answer (`sent`), or answered or taken back.
    EstimateStatusName as "EstimateStatus" = portico_core::estimates::EstimateStatus::ALL.map(portico_core::estimates::EstimateStatus::as_str)
}

/// A file sent as it is, as the request's whole body.
pub struct FileBody;

impl PartialSchema for FileBody {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))).into()
    }
}

impl ToSchema for FileBody {}

/// A job in a list.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobSummary {
    #[schema(value_type = String)]
    pub id: JobId,
    pub reference: String,
    pub status: String,
    pub address: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A page of jobs, newest first.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobPage {
    pub data: Vec<JobSummary>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// A person on a job, as a change to them left them.
#[derive(Serialize, ToSchema)]
#[schema(as = Person)]
#[serde(deny_unknown_fields)]
pub struct PersonAnswer {
    pub id: String,
    pub name: String,
    #[schema(value_type = RoleName)]
    pub role: &'static str,
    #[schema(required = true)]
    pub email: Option<String>,
    /// What became of the invitation, when one was asked for.
    #[schema(required = true)]
    pub invitation: Option<String>,
}

/// One line of an invoice.
#[derive(Serialize, ToSchema)]
#[schema(as = InvoiceLine)]
#[serde(deny_unknown_fields)]
pub struct InvoiceLineView {
    #[schema(value_type = LineKind)]
    pub kind: String,
    pub description: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
}

impl From<&InvoiceLine> for InvoiceLineView {
    fn from(line: &InvoiceLine) -> Self {
        InvoiceLineView { kind: line.kind.clone(), description: line.description.clone(), quantity: line.quantity, unit_price_minor: line.unit_price_minor }
    }
}

/// An invoice with its lines and what was paid.
#[derive(Serialize, ToSchema)]
#[schema(as = Invoice)]
#[serde(deny_unknown_fields)]
pub struct InvoiceView {
    pub id: String,
    pub number: String,
    pub status: String,
    pub currency: String,
    #[schema(required = true)]
    pub total_minor: Option<i64>,
    #[schema(required = true)]
    pub paid_minor: Option<i64>,
    pub tax_minor: i64,
    #[schema(required = true, format = DateTime)]
    pub due_at: Option<String>,
    pub lines: Vec<InvoiceLineView>,
}

/// One line of an estimate.
#[derive(Serialize, ToSchema)]
#[schema(as = EstimateLine)]
#[serde(deny_unknown_fields)]
pub struct EstimateLineView {
    pub id: String,
    pub description: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
    /// Tax in basis points (825 is 8.25 %).
    pub tax_rate_bp: i64,
    /// The client may take it or leave it.
    pub optional: bool,
    /// An optional line the client took when accepting.
    pub chosen: bool,
}

/// An estimate of a job: its lines, what they add up to (the required lines
/// and, once accepted, the options taken), the deposit, and the answer.
#[derive(Serialize, ToSchema)]
#[schema(as = Estimate)]
#[serde(deny_unknown_fields)]
pub struct EstimateView {
    pub id: String,
    pub number: String,
    pub title: String,
    pub message: String,
    #[schema(value_type = EstimateStatusName)]
    pub status: String,
    pub currency: String,
    pub lines: Vec<EstimateLineView>,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub deposit_percent: i64,
    pub deposit_minor: i64,
    /// The last moment it may be accepted.
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// Past its last day.
    pub expired: bool,
    #[schema(required = true, format = DateTime)]
    pub sent_at: Option<String>,
    #[schema(required = true, format = DateTime)]
    pub decided_at: Option<String>,
    /// The name typed to accept, or the client who declined.
    #[schema(required = true)]
    pub decided_by: Option<String>,
    #[schema(required = true)]
    pub decline_reason: Option<String>,
    /// The invoices acceptance made (the deposit's first).
    pub invoice_ids: Vec<String>,
}

/// A job's estimates, newest first.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateList {
    pub data: Vec<EstimateView>,
}

/// A job's invoices.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceList {
    pub data: Vec<InvoiceView>,
}

/// A document of a job.
#[derive(Serialize, ToSchema)]
#[schema(as = Document)]
#[serde(deny_unknown_fields)]
pub struct DocumentView {
    pub id: String,
    #[schema(value_type = DocumentKind)]
    pub kind: String,
    pub title: String,
    pub content_type: String,
    pub byte_size: i64,
    #[schema(value_type = Vec<RoleName>)]
    pub visible_to: Vec<&'static str>,
    #[schema(required = true, format = DateTime)]
    pub published_at: Option<String>,
}

impl From<&Document> for DocumentView {
    fn from(document: &Document) -> Self {
        DocumentView {
            id: document.id.clone(),
            kind: document.kind.clone(),
            title: document.title.clone(),
            content_type: document.content_type.clone(),
            byte_size: document.byte_size,
            visible_to: document.visible_roles().iter().map(|role| role.as_str()).collect(),
            published_at: document.published_at.map(rfc3339),
        }
    }
}

/// A job's documents, published or not.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentList {
    pub data: Vec<DocumentView>,
}

/// What a client asked to add to their job, and what was decided.
#[derive(Serialize, ToSchema)]
#[schema(as = AddOnRequest)]
#[serde(deny_unknown_fields)]
pub struct AddOnRequestView {
    pub id: String,
    /// The add-on service asked for, from the business's catalogue.
    pub service_id: String,
    pub name: String,
    /// The add-on service's price, in minor units of the business's currency.
    pub price_minor: i64,
    /// Who asked, by name.
    pub requested_by: String,
    #[schema(format = DateTime)]
    pub requested_at: String,
    #[schema(value_type = AddOnStatusName)]
    pub status: portico_core::model::AddOnStatus,
    /// Who approved or declined it: a staff member's name or the API key's.
    #[schema(required = true)]
    pub decided_by: Option<String>,
}

names_type! {
    /// Where a request for an add-on stands.
    AddOnStatusName as "AddOnStatus" = portico_core::model::AddOnStatus::ALL.map(portico_core::model::AddOnStatus::as_str)
}

impl From<&AddOnRequest> for AddOnRequestView {
    fn from(request: &AddOnRequest) -> Self {
        AddOnRequestView {
            id: request.id.clone(),
            service_id: request.service_id.clone(),
            name: request.name.clone(),
            price_minor: request.price_minor,
            requested_by: request.requested_by.clone(),
            requested_at: rfc3339(request.requested_at),
            status: request.status,
            decided_by: request.decided_by.clone(),
        }
    }
}

/// A job's add-on requests, oldest first.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddOnRequestList {
    pub data: Vec<AddOnRequestView>,
}

/// What every refusal and failure answers.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// One entry per problem, for `invalid`; empty otherwise.
    pub details: Vec<String>,
}

/// What kind of refusal or failure it was; the HTTP status says the same.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Unauthorized,
    Forbidden,
    NotFound,
    BadRequest,
    Invalid,
    Conflict,
    Internal,
}
