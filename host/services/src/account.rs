//! A customer's account with the business at a glance, as the account hub's
//! dashboard shows it: jobs done and to come, what was invoiced, what is
//! still receivable, what was written off, and the invoicing of each of the
//! last twelve months. One rule for every surface that shows these figures.

use portico_core::ids::JobId;
use portico_core::model::{Invoice, InvoiceLine};
use portico_core::money::InvoiceStatus;
use portico_core::stages::JobStage;
use portico_data::AccountJobDetail;

/// How many months the revenue chart covers, this one included.
pub const MONTHS: usize = 12;

/// Where a job of the account stands: its latest step if the office moved
/// it, else what its status says.
pub fn stage_of(job: &AccountJobDetail) -> JobStage {
    JobStage::current(job.latest_stage.as_deref(), &job.status)
}

/// What was invoiced in one calendar month (in the business's time zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthTotal {
    /// "2026-03".
    pub month: String,
    /// "Mar 2026".
    pub label: String,
    pub invoiced: i64,
}

/// The dashboard's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSummary {
    /// Jobs finished.
    pub completed_jobs: u32,
    /// Jobs booked and not yet finished (nor cancelled).
    pub pending_jobs: u32,
    /// Everything invoiced (not void nor refunded), written-off invoices included.
    pub invoiced: i64,
    /// Still to be paid on invoices not written off.
    pub receivable: i64,
    /// The jobs with something receivable.
    pub receivable_jobs: u32,
    /// Still unpaid on invoices written off as bad debt.
    pub bad_debt: i64,
    /// The jobs with such an invoice.
    pub bad_debt_jobs: u32,
    /// The invoices written off and still unpaid.
    pub bad_debt_invoices: Vec<String>,
    /// The last `MONTHS` months, oldest first, this one last.
    pub months: Vec<MonthTotal>,
}

/// The account's figures, its months in the business's time zone.
pub fn summary_for(tenant: &portico_core::model::Tenant, jobs: &[AccountJobDetail], invoices: &[(JobId, Invoice, Vec<InvoiceLine>)], now: i64) -> AccountSummary {
    let zone = jiff::tz::TimeZone::get(&tenant.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    summarize(jobs, invoices, &zone, now)
}

/// The account's figures from its jobs and the invoices of the jobs it is
/// billed for, with months counted in `zone` up to the one holding `now`.
pub fn summarize(jobs: &[AccountJobDetail], invoices: &[(JobId, Invoice, Vec<InvoiceLine>)], zone: &jiff::tz::TimeZone, now: i64) -> AccountSummary {
    let mut summary = AccountSummary::default();
    for job in jobs {
        match stage_of(job) {
            JobStage::Finished => summary.completed_jobs += 1,
            JobStage::Cancelled => {}
            _ => summary.pending_jobs += 1,
        }
    }
    summary.months = last_months(zone, now);
    let mut receivable_jobs: Vec<&JobId> = Vec::new();
    let mut bad_debt_jobs: Vec<&JobId> = Vec::new();
    for (job_id, invoice, lines) in invoices {
        // Cancelled and refunded invoices were not revenue in the end.
        if matches!(invoice.status, InvoiceStatus::Void | InvoiceStatus::Draft | InvoiceStatus::Refunded) {
            continue;
        }
        let total = invoice.total(lines).max(0);
        summary.invoiced += total;
        let key = month_key(zone, invoice.created_at);
        if let Some(month) = summary.months.iter_mut().find(|month| Some(&month.month) == key.as_ref()) {
            month.invoiced += total;
        }
        let unpaid = (total - invoice.paid_minor).max(0);
        let owed = unpaid > 0 && matches!(invoice.status, InvoiceStatus::Due | InvoiceStatus::Failed | InvoiceStatus::Processing);
        if !owed {
            continue;
        }
        let (sum, jobs) = if invoice.written_off_at.is_some() {
            summary.bad_debt_invoices.push(invoice.id.clone());
            (&mut summary.bad_debt, &mut bad_debt_jobs)
        } else {
            (&mut summary.receivable, &mut receivable_jobs)
        };
        *sum += unpaid;
        if !jobs.contains(&job_id) {
            jobs.push(job_id);
        }
    }
    summary.receivable_jobs = receivable_jobs.len() as u32;
    summary.bad_debt_jobs = bad_debt_jobs.len() as u32;
    summary
}

/// "2026-03" for the month holding `at` in `zone`.
fn month_key(zone: &jiff::tz::TimeZone, at: i64) -> Option<String> {
    let date = jiff::Timestamp::from_second(at).ok()?.to_zoned(zone.clone()).date();
    Some(format!("{:04}-{:02}", date.year(), date.month()))
}

/// The `MONTHS` months up to the one holding `now`, oldest first, at zero.
fn last_months(zone: &jiff::tz::TimeZone, now: i64) -> Vec<MonthTotal> {
    let Ok(at) = jiff::Timestamp::from_second(now) else { return Vec::new() };
    let first_of_this = at.to_zoned(zone.clone()).date().first_of_month();
    (0..MONTHS as i32)
        .rev()
        .filter_map(|back| first_of_this.checked_sub(jiff::Span::new().months(back)).ok())
        .map(|month| MonthTotal {
            month: format!("{:04}-{:02}", month.year(), month.month()),
            label: month.strftime("%b %Y").to_string(),
            invoiced: 0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_core::model::{Property, RoleColumn};

    fn job(id: &str, status: &str, stage: Option<&str>) -> AccountJobDetail {
        AccountJobDetail {
            job_id: JobId::new(id),
            reference: id.into(),
            status: status.into(),
            latest_stage: stage.map(str::to_string),
            role: RoleColumn(portico_core::model::Role::Client),
            property: Property { id: "p".into(), line1: "1 Elm St".into(), line2: None, city: "Springfield".into(), region: "IL".into(), postal_code: "62704".into(), country: "US".into(), name: None, kind: "residential".into() },
            first_visit: None,
        }
    }

    fn invoice(id: &str, status: InvoiceStatus, total: i64, paid: i64, at: i64, written_off: bool) -> Invoice {
        Invoice {
            id: id.into(),
            number: id.into(),
            status,
            tax_minor: total,
            paid_minor: paid,
            due_at: None,
            created_at: at,
            written_off_at: written_off.then_some(at),
        }
    }

    // 2026-11-15 12:00 UTC.
    const NOW: i64 = 1_794_744_000;
    const DAY: i64 = 86_400;

    #[test]
    fn the_figures_add_up_from_the_invoices() {
        let utc = jiff::tz::TimeZone::UTC;
        let jobs = [job("a", "completed", None), job("b", "scheduled", Some("started")), job("c", "cancelled", None), job("d", "scheduled", Some("finished"))];
        let (a, b, d) = (JobId::new("a"), JobId::new("b"), JobId::new("d"));
        let invoices = vec![
            (a.clone(), invoice("1", InvoiceStatus::Paid, 10_000, 10_000, NOW - 40 * DAY, false), vec![]),
            (a, invoice("2", InvoiceStatus::Due, 5_000, 1_000, NOW, false), vec![]),
            (b.clone(), invoice("3", InvoiceStatus::Void, 7_000, 0, NOW, false), vec![]),
            (b.clone(), invoice("6", InvoiceStatus::Refunded, 4_000, 0, NOW, false), vec![]),
            (b, invoice("4", InvoiceStatus::Failed, 3_000, 0, NOW - 400 * DAY, true), vec![]),
            (d, invoice("5", InvoiceStatus::Paid, 2_000, 2_000, NOW - 2 * DAY, true), vec![]),
        ];
        let summary = summarize(&jobs, &invoices, &utc, NOW);
        assert_eq!((summary.completed_jobs, summary.pending_jobs), (2, 1));
        assert_eq!(summary.invoiced, 20_000, "void and refunded invoices are not invoiced");
        assert_eq!((summary.receivable, summary.receivable_jobs), (4_000, 1));
        assert_eq!((summary.bad_debt, summary.bad_debt_jobs), (3_000, 1), "a written-off invoice paid since is no bad debt");
        assert_eq!(summary.bad_debt_invoices, ["4"]);
        assert_eq!(summary.months.len(), MONTHS);
        assert_eq!(summary.months.last().unwrap(), &MonthTotal { month: "2026-11".into(), label: "Nov 2026".into(), invoiced: 7_000 });
        assert_eq!(summary.months[0].month, "2025-12");
        assert_eq!(summary.months[10].invoiced, 10_000, "October's");
        let charted: i64 = summary.months.iter().map(|m| m.invoiced).sum();
        assert_eq!(charted, 17_000, "what is older than twelve months is invoiced but not charted");
    }

    #[test]
    fn months_are_the_business_s() {
        // 2026-12-01 03:00 UTC is still November in Chicago.
        let chicago = jiff::tz::TimeZone::get("America/Chicago").unwrap();
        let at = 1_796_094_000;
        assert_eq!(month_key(&chicago, at).as_deref(), Some("2026-11"));
        assert_eq!(month_key(&jiff::tz::TimeZone::UTC, at).as_deref(), Some("2026-12"));
    }
}
