//! The host's domain: what tenants, jobs, contacts and documents are, as the
//! rest of the host sees them (the data layer, `portico-data`, reads them
//! from the database).

crate::named_enum! {
    /// A person's part on a job. The same names appear in the WIT contract, the
    /// database and the settings of plugins.
    pub enum Role("role") {
        Client => "client",
        CoClient => "co-client",
        BuyerAgent => "buyer-agent",
        ListingAgent => "listing-agent",
        Other => "other",
        Staff => "staff",
    }
}

impl Role {
    /// The people who see what the business charges and can pay it: the
    /// clients (and staff). Agents see the job's progress, not its bill.
    pub fn sees_billing(self) -> bool {
        matches!(self, Role::Client | Role::CoClient | Role::Staff)
    }

    /// Who reads the notes the office shows a job's clients (on the job, on
    /// its property): the clients (and staff), never an agent or a guest.
    pub fn reads_client_notes(self) -> bool {
        matches!(self, Role::Client | Role::CoClient | Role::Staff)
    }

    /// Whether this viewer sees the e-mail and phone of a person in role
    /// `of`: clients and staff see everyone's, agents see the other agents'
    /// (not the clients'), a guest on a public link sees nobody's.
    pub fn sees_contact_details_of(self, of: Role) -> bool {
        match self {
            Role::Client | Role::CoClient | Role::Staff => true,
            Role::BuyerAgent | Role::ListingAgent => !matches!(of, Role::Client | Role::CoClient),
            Role::Other => false,
        }
    }

    /// The agents on a job, who follow it for their clients.
    pub fn is_agent(self) -> bool {
        matches!(self, Role::BuyerAgent | Role::ListingAgent)
    }

    /// How the role is named to people ("Buyer's agent").
    pub fn label(self) -> &'static str {
        match self {
            Role::Client => "Client",
            Role::CoClient => "Co-client",
            Role::BuyerAgent => "Buyer's agent",
            Role::ListingAgent => "Listing agent",
            Role::Other => "Guest",
            Role::Staff => "Staff",
        }
    }

    /// Parse a comma-separated list, ignoring unknown names.
    pub fn parse_list(list: &str) -> Vec<Role> {
        list.split(',').filter_map(|name| name.trim().parse().ok()).collect()
    }
}

crate::named_enum! {
    /// A staff member's role in their business; what each may do is the staff
    /// console's `roles::allows`. Most powerful first, as the team page lists them.
    pub enum StaffRole("staff role") {
        Owner => "owner",
        Office => "office",
        Employee => "employee",
    }
}

impl StaffRole {
    /// How the role is named to people.
    pub fn label(self) -> &'static str {
        match self {
            StaffRole::Owner => "Owner",
            StaffRole::Office => "Office",
            StaffRole::Employee => "Employee",
        }
    }
}

crate::named_enum! {
    /// Where a client's request for an add-on service stands.
    pub enum AddOnStatus("add-on request status") {
        /// Waiting for the office's decision.
        Requested => "requested",
        /// On the job's invoice.
        Approved => "approved",
        /// Not available for this job.
        Declined => "declined",
    }
}

crate::named_enum! {
    /// When a job's reports reach the people on it, once published.
    pub enum ReleaseRule("release rule") {
        OnPublish => "on-publish",
        AfterSigning => "after-signing",
        AfterPayment => "after-payment",
        AfterSigningAndPayment => "after-signing-and-payment",
    }
}

impl ReleaseRule {
    /// In the business's words, for the settings page.
    pub fn label(self) -> &'static str {
        match self {
            ReleaseRule::OnPublish => "As soon as they are published",
            ReleaseRule::AfterSigning => "Once the agreements are signed",
            ReleaseRule::AfterPayment => "Once the invoice is paid",
            ReleaseRule::AfterSigningAndPayment => "Once the agreements are signed and the invoice is paid",
        }
    }

    /// Whether reports wait for the job's agreements to be signed.
    pub fn after_signing(self) -> bool {
        matches!(self, ReleaseRule::AfterSigning | ReleaseRule::AfterSigningAndPayment)
    }

    /// Whether reports wait for the job's invoices to be paid.
    pub fn after_payment(self) -> bool {
        matches!(self, ReleaseRule::AfterPayment | ReleaseRule::AfterSigningAndPayment)
    }
}

/// Portico's consent to electronic signature, for businesses that did not word their own.
pub const DEFAULT_ESIGN_CONSENT: &str = "By typing my name and signing, I agree to sign this agreement electronically. \
My electronic signature is as binding as a handwritten one. I may ask the business for a paper copy, and I can \
download the signed agreement from this portal at any time.";

/// A business using Portico, with its branding.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Tenant {
    pub id: crate::ids::TenantId,
    pub slug: String,
    pub name: String,
    pub brand_color: String,
    pub accent_color: String,
    pub logo_url: Option<String>,
    pub welcome_text: String,
    pub support_email: Option<String>,
    pub support_phone: Option<String>,
    pub locale: String,
    pub timezone: String,
    pub currency: String,
    /// Days a personal link works once issued; `None`: links never expire.
    pub link_lifetime_days: Option<i64>,
    /// What the sign-in page e-mails: `magic-link` or `code`.
    pub signin_method: String,
    /// Whether contacts may set a password (0/1).
    pub client_passwords: i64,
    /// Who takes card payments online.
    #[sqlx(try_from = "String")]
    pub payment_provider: crate::money::PaymentProvider,
    /// The Stripe connected account that receives the money, when the
    /// operator's Stripe platform account pays out to the business.
    pub stripe_account: Option<String>,
    /// The business's consent to electronic signature; `None`: Portico's wording.
    pub esign_consent: Option<String>,
    /// When published reports are released.
    #[sqlx(try_from = "String")]
    pub report_release: ReleaseRule,
    /// Whether agents may read a report's summary while the report is held (0/1).
    pub summary_while_held: i64,
    /// The card fee added to online card payments: basis points and a fixed
    /// amount (see `card_fee`).
    pub card_fee_basis_points: i64,
    pub card_fee_fixed_minor: i64,
    /// The business's sales tax, in basis points (825 = 8.25 %): the rate of
    /// every service that has none of its own, and of new estimate lines.
    pub tax_rate_bp: i64,
}

impl Tenant {
    /// When a link issued now stops working.
    pub fn link_expiry(&self) -> Option<i64> {
        self.link_lifetime_days.map(|days| now() + days * 24 * 3600)
    }

    /// What paying by card online adds (nothing unless the business set it).
    pub fn card_fee(&self) -> crate::money::CardFee {
        crate::money::CardFee { basis_points: self.card_fee_basis_points, fixed_minor: self.card_fee_fixed_minor }
    }

    pub fn sign_in_by_code(&self) -> bool {
        self.signin_method == "code"
    }

    pub fn allows_client_passwords(&self) -> bool {
        self.client_passwords != 0
    }

    /// The consent a signer accepts by signing electronically.
    pub fn esign_consent(&self) -> &str {
        self.esign_consent.as_deref().filter(|text| !text.trim().is_empty()).unwrap_or(DEFAULT_ESIGN_CONSENT)
    }

    /// "(555) 010-4477 · office@example.com", or empty.
    pub fn support_line(&self) -> String {
        [self.support_phone.clone(), self.support_email.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ")
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Property {
    pub id: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    /// What the client calls it ("Beach house"), if the office named it.
    pub name: Option<String>,
    /// A [`PropertyKind`], as stored.
    pub kind: String,
}

/// What kind of place a property is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyKind {
    Residential,
    Rental,
    Business,
    Pool,
    Other,
}

impl PropertyKind {
    pub const ALL: [PropertyKind; 5] = [Self::Residential, Self::Rental, Self::Business, Self::Pool, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Residential => "residential",
            Self::Rental => "rental",
            Self::Business => "business",
            Self::Pool => "pool",
            Self::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Residential => "Residential",
            Self::Rental => "Rental",
            Self::Business => "Business",
            Self::Pool => "Pool",
            Self::Other => "Other",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

/// How jobs at the same address find their shared property: the street line
/// and postal code with the spaces around them trimmed and ASCII lower-cased,
/// exactly as the migration that introduced it computed it in SQL (both
/// databases can, so the keys it stored and the host's always agree).
pub fn address_key(line1: &str, postal_code: &str) -> String {
    let fold = |text: &str| text.trim_matches(' ').to_ascii_lowercase();
    format!("{}|{}", fold(line1), fold(postal_code))
}

impl Property {
    /// The kind's label ("Rental"); a kind this build does not know shows as stored.
    pub fn kind_label(&self) -> String {
        PropertyKind::parse(&self.kind).map(|kind| kind.label().to_string()).unwrap_or_else(|| self.kind.clone())
    }

    /// Its name if it has one, else its first address line.
    pub fn title(&self) -> String {
        self.name.clone().filter(|name| !name.trim().is_empty()).unwrap_or_else(|| self.line1.clone())
    }

    /// "12 Elm Street, Springfield, IL 62704"
    pub fn one_line(&self) -> String {
        let mut parts = vec![self.line1.clone()];
        parts.extend(self.line2.clone().filter(|line| !line.is_empty()));
        parts.push(self.city.clone());
        parts.push(format!("{} {}", self.region, self.postal_code).trim().to_string());
        parts.join(", ")
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: crate::ids::JobId,
    pub tenant_id: crate::ids::TenantId,
    pub property_id: String,
    pub reference: String,
    pub status: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Appointment {
    pub id: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub staff_name: String,
    pub status: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobService {
    pub id: String,
    pub name: String,
    pub price_minor: i64,
    /// Its own tax rate in basis points; `None`: the business's.
    pub tax_rate_bp: Option<i64>,
}

impl JobService {
    /// Its tax rate, the business's (`business_bp`) unless it has its own.
    pub fn tax_rate(&self, business_bp: i64) -> i64 {
        self.tax_rate_bp.unwrap_or(business_bp)
    }

    /// Its tax at that rate, to the nearest cent.
    pub fn tax(&self, business_bp: i64) -> i64 {
        crate::estimates::PricedLine { quantity: 1, unit_price_minor: self.price_minor, tax_rate_bp: self.tax_rate(business_bp), optional: false }.tax()
    }
}

/// A contact as they appear on one job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobContact {
    pub id: String,
    pub job_id: crate::ids::JobId,
    pub contact_id: String,
    #[sqlx(try_from = "String")]
    pub role: RoleColumn,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A role read from a database column.
#[derive(Debug, Clone, Copy)]
pub struct RoleColumn(pub Role);

impl TryFrom<String> for RoleColumn {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse().map(RoleColumn)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Document {
    pub id: String,
    pub job_id: crate::ids::JobId,
    pub kind: String,
    pub title: String,
    pub file_key: String,
    pub content_type: String,
    pub byte_size: i64,
    pub visible_to: String,
    pub published_at: Option<i64>,
}

impl Document {
    pub fn visible_roles(&self) -> Vec<Role> {
        Role::parse_list(&self.visible_to)
    }

    /// What keeps this document from the people it is shared with: the job's
    /// release holds, for reports, their summaries and photos only, in the
    /// words `role` may read.
    pub fn held_until<'a>(&self, release: &'a Release, role: Role) -> &'a [String] {
        if self.may_be_held() { release.holds_for(role) } else { &[] }
    }

    /// Whether a release rule can hold this document back: reports, their
    /// summaries and their photos.
    pub fn may_be_held(&self) -> bool {
        matches!(self.kind.as_str(), "report" | "summary" | "photo")
    }

    /// Whether `role` may open the document now: it must be published, shared
    /// with the role and not held, except that agents may read a summary while
    /// the report is held if the business allows it. Staff see everything.
    pub fn may_open(&self, role: Role, release: &Release) -> bool {
        if role == Role::Staff {
            return true;
        }
        if self.published_at.is_none() || !self.visible_roles().contains(&role) {
            return false;
        }
        self.held_until(release, role).is_empty() || (self.kind == "summary" && release.summary_while_held && role.is_agent())
    }
}

/// A job's report release: what still holds its reports back under the
/// business's rule, one phrase each ("the Pre-Inspection Agreement is signed").
#[derive(Debug, Clone, Default)]
pub struct Release {
    /// The holds as the people who pay read them (with what is due).
    pub holds: Vec<String>,
    /// The same holds without amounts, for everyone else (agents never
    /// learn the client's bill).
    pub holds_without_amounts: Vec<String>,
    pub summary_while_held: bool,
}

impl Release {
    /// The holds in the words `role` may read.
    pub fn holds_for(&self, role: Role) -> &[String] {
        if role.sees_billing() { &self.holds } else { &self.holds_without_amounts }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invoice {
    pub id: String,
    pub number: String,
    #[sqlx(try_from = "String")]
    pub status: crate::money::InvoiceStatus,
    pub tax_minor: i64,
    pub paid_minor: i64,
    pub due_at: Option<i64>,
    /// When it was issued, Unix seconds.
    pub created_at: i64,
    /// When the business wrote it off as bad debt, if it did.
    pub written_off_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvoiceLine {
    pub invoice_id: String,
    /// `service`, `add-on`, `fee` or `discount`.
    pub kind: String,
    pub description: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
}

impl InvoiceLine {
    /// quantity × unit price.
    pub fn amount(&self) -> i64 {
        self.quantity * self.unit_price_minor
    }
}

impl Invoice {
    /// The sum of `lines` (this invoice's) plus tax.
    pub fn total(&self, lines: &[InvoiceLine]) -> i64 {
        lines.iter().map(InvoiceLine::amount).sum::<i64>() + self.tax_minor
    }
}

/// The current time in Unix seconds.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A new time-ordered unique id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Where a request came from, recorded with audit entries; never given to plugins
/// except through an audit receipt.
#[derive(Debug, Clone, Default)]
pub struct RequestOrigin {
    pub ip: String,
    pub user_agent: String,
}
