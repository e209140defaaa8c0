//! A large data set, for measuring how Portico grows (`portico seed-growth`
//! and the load benchmark's growth run): many businesses, each running the
//! same sections as a template business, each with many jobs that have
//! what a real job has.
//!
//! Every row is made by the database itself (`INSERT … SELECT` over a run of
//! numbers), a few thousand jobs per statement, so a million jobs take
//! minutes rather than hours. A run goes on where an earlier one stopped:
//! businesses are made whole, a batch per transaction, and counted by slug.
//!
//! Per job: its property, its client (each with a personal link), the
//! business's buyer's agent (one per business, on every job, so the agent's
//! account lists them all), an appointment, two services, an invoice with
//! two lines, and the inspection report. Older jobs are completed, paid and
//! reported; the newest tenth is scheduled with its invoice due. The report
//! rows name no stored file: a seeded report lists but does not download.
//! Links are stored as placeholders that no token hashes to; a benchmark
//! that signs in first issues a real link (`rotate_link_token`).

use super::{Backend, Db, DbResult, QueryContext};
use portico_core::ids::TenantId;

/// How much to make.
#[derive(Debug, Clone, Copy)]
pub struct GrowthPlan {
    pub businesses: u32,
    pub jobs_per_business: u32,
}

/// Businesses made in one transaction (a few thousand jobs' rows per statement).
const BUSINESSES_PER_BATCH: u32 = 50;

/// The slug of seeded business `n` (from 0), so a benchmark can find it.
pub fn growth_slug(n: u32) -> String {
    format!("growth-{n}")
}

/// What was made.
#[derive(Debug, Clone, Copy, Default)]
pub struct Grown {
    /// Businesses made by this run (those of an earlier run are kept).
    pub businesses_made: u32,
    /// Seeded businesses in the database now.
    pub businesses: u32,
    pub jobs: u64,
}

impl Db {
    /// Make the seeded businesses of `plan` that are missing, each running
    /// the sections `template` runs; `progress` hears the count made so far.
    pub async fn seed_growth(&self, template: &TenantId, plan: GrowthPlan, mut progress: impl FnMut(u32)) -> DbResult<Grown> {
        if plan.jobs_per_business == 0 {
            return Err(super::DbError::Invalid("a seeded business needs at least one job".into()));
        }
        let present: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants WHERE slug LIKE 'growth-%'")
            .fetch_one(&self.pool)
            .await
            .context("counting seeded businesses")?;
        let present = u32::try_from(present).unwrap_or(u32::MAX);
        if present > 0 {
            // Seeded rows are numbered by business × jobs per business: going
            // on with another count would reuse the ids of earlier rows.
            let earlier: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs j JOIN tenants t ON t.id = j.tenant_id WHERE t.slug = $1")
                .bind(growth_slug(0))
                .fetch_one(&self.pool)
                .await
                .context("counting a seeded business's jobs")?;
            if earlier != i64::from(plan.jobs_per_business) {
                return Err(super::DbError::Invalid(format!(
                    "the {present} businesses seeded earlier have {earlier} jobs each: go on with {earlier} jobs per business, or start from an empty database"
                )));
            }
        }
        let jobs = u64::from(plan.jobs_per_business);
        let sql = GrowthSql::new(self.backend, plan.jobs_per_business);
        let now = portico_core::model::now();
        let mut from = present;
        while from < plan.businesses {
            let to = (from + BUSINESSES_PER_BATCH).min(plan.businesses);
            let mut tx = self.pool.begin().await.context("starting a batch of seeded businesses")?;
            let businesses = (i64::from(from), i64::from(to) - 1);
            let jobs_of_them = (i64::from(from) * jobs as i64, i64::from(to) * jobs as i64 - 1);
            for (statements, (first, last)) in [(&sql.per_business, businesses), (&sql.per_job, jobs_of_them)] {
                for statement in statements {
                    sqlx::query(statement)
                        .bind(first)
                        .bind(last)
                        .bind(now)
                        .bind(template)
                        .execute(&mut *tx)
                        .await
                        .context("seeding businesses and their jobs")?;
                }
            }
            tx.commit().await.context("committing a batch of seeded businesses")?;
            progress(to);
            from = to;
        }
        if self.backend == Backend::Postgres && from > present {
            // What autovacuum would do later, as after any bulk load: the
            // planner's figures for tables that just grew a thousandfold,
            // and the rows marked visible to all, so the first pages read
            // after seeding neither write hint bits nor compete with
            // autovacuum for the cores.
            sqlx::query("VACUUM (ANALYZE)").execute(&self.pool).await.context("vacuuming and analysing the seeded tables")?;
            // And the gigabytes of pages that load left dirty written now,
            // not by the checkpointer while the first pages are served (a
            // measurement right after seeding would count that writing).
            // Only a superuser or pg_checkpoint may; otherwise the
            // checkpointer writes them in its own time.
            if let Err(error) = sqlx::query("CHECKPOINT").execute(&self.pool).await {
                tracing::info!(%error, "no checkpoint after seeding: the server writes the seeded pages in its own time");
            }
        }
        let businesses = plan.businesses.max(present);
        Ok(Grown { businesses_made: plan.businesses.saturating_sub(present), businesses, jobs: u64::from(businesses) * jobs })
    }
}

/// The statements, written once per backend. Each takes `$1`..`$2` (the
/// numbers to make, inclusive: businesses or jobs), `$3` (now) and `$4`
/// (the template business).
struct GrowthSql {
    per_business: Vec<String>,
    per_job: Vec<String>,
}

/// A seeded row's id: UUID-shaped like every other id, one `tag` per kind
/// of row, numbered by `number` (an SQL expression).
fn seeded_id(backend: Backend, tag: &str, number: &str) -> String {
    match backend {
        Backend::Sqlite => format!("printf('00000000-0000-7000-80{tag}-%012x', {number})"),
        Backend::Postgres => format!("('00000000-0000-7000-80{tag}-' || lpad(to_hex({number}), 12, '0'))"),
    }
}

/// `$1`..`$2` as the rows of `n(i)`: a recursive count, which both databases run;
/// `seed` is the one row of `at` (now, $3) and `template` ($4), so that every
/// statement names all four parameters (PostgreSQL refuses a bound one left unused).
const NUMBERS: &str = "WITH RECURSIVE n(i) AS (SELECT CAST($1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < $2), \
                       seed(at, template) AS (SELECT CAST($3 AS BIGINT), CAST($4 AS TEXT))";

impl GrowthSql {
    fn new(backend: Backend, jobs_per_business: u32) -> GrowthSql {
        let id = |tag: &str, number: &str| seeded_id(backend, tag, number);
        let per = jobs_per_business;
        // For per-job statements: i is the job's number across all businesses.
        let business = format!("(i / {per})");
        let job = format!("(i % {per})");
        let tenant_of_job = id("01", &business);
        // The job's day: one a day, the newest the day before now.
        let created = format!("(seed.at - ({per} - {job}) * 86400)");
        // The newest tenth (at least one) is still to come.
        let open = format!("({job} >= {per} - ({per} + 9) / 10)");
        let per_business = vec![
            format!(
                "{NUMBERS} INSERT INTO tenants (id, slug, name, brand_color, accent_color, welcome_text, locale, timezone, currency, \
                   payment_provider, report_release, summary_while_held, tax_rate_bp, created_at) \
                 SELECT {tenant}, 'growth-' || CAST(i AS TEXT), 'Growth Inspections ' || CAST(i AS TEXT), t.brand_color, t.accent_color, \
                   t.welcome_text, t.locale, t.timezone, t.currency, t.payment_provider, t.report_release, t.summary_while_held, t.tax_rate_bp, seed.at \
                 FROM n, seed, tenants t WHERE t.id = seed.template",
                tenant = id("01", "i"),
            ),
            // The owner signs in with the template owner's password.
            format!(
                "{NUMBERS} INSERT INTO staff_users (id, tenant_id, email, display_name, role, password_hash, created_at) \
                 SELECT {staff}, {tenant}, 'owner@growth-' || CAST(i AS TEXT) || '.example', 'Owner ' || CAST(i AS TEXT), 'owner', s.password_hash, seed.at \
                 FROM n, seed, staff_users s WHERE s.tenant_id = seed.template AND s.role = 'owner' \
                   AND s.id = (SELECT MIN(o.id) FROM staff_users o WHERE o.tenant_id = s.tenant_id AND o.role = 'owner')",
                staff = id("02", "i"),
                tenant = id("01", "i"),
            ),
            format!(
                "{NUMBERS} INSERT INTO plugin_installations (id, tenant_id, plugin_id, package_sha256, enabled, position, settings_json, \
                   grants_json, placements_json, updated_at) \
                 SELECT {installation}, {tenant}, p.plugin_id, p.package_sha256, p.enabled, p.position, p.settings_json, p.grants_json, \
                   p.placements_json, seed.at \
                 FROM n, seed, plugin_installations p WHERE p.tenant_id = seed.template",
                installation = id("03", "i * 256 + (SELECT COUNT(*) FROM plugin_installations q WHERE q.tenant_id = p.tenant_id AND q.plugin_id < p.plugin_id)"),
                tenant = id("01", "i"),
            ),
            // The business's buyer's agent, on every one of its jobs.
            format!(
                "{NUMBERS} INSERT INTO contacts (id, tenant_id, name, email, phone, created_at) \
                 SELECT {agent}, {tenant}, 'Agent ' || CAST(i AS TEXT), 'agent' || CAST(i AS TEXT) || '@growth.example', NULL, seed.at \
                 FROM n, seed",
                agent = id("04", "i"),
                tenant = id("01", "i"),
            ),
        ];
        let agent = id("04", &business);
        let per_job = vec![
            format!(
                "{NUMBERS} INSERT INTO properties (id, tenant_id, line1, city, region, postal_code, country, address_key) \
                 SELECT {property}, {tenant_of_job}, CAST({job} + 1 AS TEXT) || ' Growth Street', 'Springfield', 'IL', '62701', 'US', \
                   CAST({job} + 1 AS TEXT) || ' growth street|62701' \
                 FROM n, seed",
                property = id("05", "i"),
            ),
            format!(
                "{NUMBERS} INSERT INTO contacts (id, tenant_id, name, email, phone, created_at) \
                 SELECT {client}, {tenant_of_job}, 'Client ' || CAST(i AS TEXT), 'client' || CAST(i AS TEXT) || '@growth.example', NULL, {created} \
                 FROM n, seed",
                client = id("06", "i"),
            ),
            format!(
                "{NUMBERS} INSERT INTO jobs (id, tenant_id, property_id, reference, status, created_at) \
                 SELECT {job_id}, {tenant_of_job}, {property}, 'G-' || CAST(10001 + {job} AS TEXT), \
                   CASE WHEN {open} THEN 'scheduled' ELSE 'completed' END, {created} \
                 FROM n, seed",
                job_id = id("07", "i"),
                property = id("05", "i"),
            ),
            // The client's link and the agent's: placeholders no token hashes to.
            format!(
                "{NUMBERS} INSERT INTO job_contacts (id, tenant_id, job_id, contact_id, role, access_token_hash, created_at) \
                 SELECT {link}, {tenant_of_job}, {job_id}, {client}, 'client', 'seeded-' || {link}, {created} FROM n, seed \
                 UNION ALL \
                 SELECT {agent_link}, {tenant_of_job}, {job_id}, {agent}, 'buyer-agent', 'seeded-' || {agent_link}, {created} FROM n, seed",
                link = id("08", "i * 2"),
                agent_link = id("08", "i * 2 + 1"),
                job_id = id("07", "i"),
                client = id("06", "i"),
            ),
            format!(
                "{NUMBERS} INSERT INTO appointments (id, tenant_id, job_id, starts_at, ends_at, staff_name, status) \
                 SELECT {appointment}, {tenant_of_job}, {job_id}, {created} + 3 * 86400, {created} + 3 * 86400 + 10800, \
                   'Inspector ' || CAST({business} AS TEXT), CASE WHEN {open} THEN 'scheduled' ELSE 'completed' END \
                 FROM n, seed",
                appointment = id("09", "i"),
                job_id = id("07", "i"),
            ),
            format!(
                "{NUMBERS} INSERT INTO job_services (id, tenant_id, job_id, name, price_minor, position) \
                 SELECT {first}, {tenant_of_job}, {job_id}, 'Home inspection', 42500, 0 FROM n, seed \
                 UNION ALL SELECT {second}, {tenant_of_job}, {job_id}, 'Radon test', 15000, 1 FROM n, seed",
                first = id("0a", "i * 2"),
                second = id("0a", "i * 2 + 1"),
                job_id = id("07", "i"),
            ),
            format!(
                "{NUMBERS} INSERT INTO invoices (id, tenant_id, job_id, number, status, paid_minor, due_at, created_at) \
                 SELECT {invoice}, {tenant_of_job}, {job_id}, 'G-' || CAST(10001 + {job} AS TEXT), \
                   CASE WHEN {open} THEN 'due' ELSE 'paid' END, CASE WHEN {open} THEN 0 ELSE 57500 END, {created} + 3 * 86400, {created} \
                 FROM n, seed",
                invoice = id("0b", "i"),
                job_id = id("07", "i"),
            ),
            format!(
                "{NUMBERS} INSERT INTO invoice_lines (id, tenant_id, invoice_id, description, quantity, unit_price_minor, position) \
                 SELECT {first}, {tenant_of_job}, {invoice}, 'Home inspection', 1, 42500, 0 FROM n, seed \
                 UNION ALL SELECT {second}, {tenant_of_job}, {invoice}, 'Radon test', 1, 15000, 1 FROM n, seed",
                first = id("0c", "i * 2"),
                second = id("0c", "i * 2 + 1"),
                invoice = id("0b", "i"),
            ),
            format!(
                "{NUMBERS} INSERT INTO documents (id, tenant_id, job_id, kind, title, file_key, content_type, byte_size, published_at, created_at) \
                 SELECT {document}, {tenant_of_job}, {job_id}, 'report', 'Inspection report', 'growth/report.pdf', 'application/pdf', 250000, \
                   CASE WHEN {open} THEN NULL ELSE {created} + 4 * 86400 END, {created} \
                 FROM n, seed",
                document = id("0d", "i"),
                job_id = id("07", "i"),
            ),
        ];
        GrowthSql { per_business, per_job }
    }
}
