//! The event port: how domain code tells the sections that something happened
//! on a job, without naming the sections runtime. The runtime implements
//! [`EventPort`]; the binary hands it to the services as [`Events`]. So the
//! dependency runs one way (sections → services), and each kind of news is
//! told in one place.

use portico_core::ids::JobId;
use portico_core::model::{RequestOrigin, Tenant};
use portico_data::DbError;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, Weak};

/// What the sections may hear about; the same kinds as the contract's
/// `event-kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionEvent {
    /// The job, its property or its appointments changed.
    JobUpdated,
    /// A document was published.
    DocumentPublished,
    /// An invoice changed: its status, its lines or its total.
    InvoiceUpdated,
    /// A contact was added to or taken off the job.
    ContactsChanged,
}

/// What one delivery returns: how many sections accepted the event.
pub type Delivered<'a> = Pin<Box<dyn Future<Output = Result<usize, DbError>> + Send + 'a>>;

/// Delivers an event to every enabled section of the tenant that asked for
/// it. Implemented by the sections runtime.
pub trait EventPort: Send + Sync + 'static {
    fn deliver<'a>(&'a self, tenant: &'a Tenant, job_id: &'a JobId, event: SectionEvent, subject_id: &'a str, origin: RequestOrigin) -> Delivered<'a>;
}

/// The handle services keep on the event port; cheap to clone.
///
/// The port is bound once, after the fact: the sections runtime's own host
/// functions use services that tell events (a client reporting a payment
/// from a section moves an invoice), so those services exist before the
/// runtime that receives their events. `deferred` makes the handle and
/// `EventBinding::bind` completes it. The handle holds the port weakly: the
/// runtime holds these services, so a strong handle would be a cycle and
/// the runtime (its engine, its reserved memory) would outlive the app.
#[derive(Clone)]
pub struct Events(Arc<OnceLock<Weak<dyn EventPort>>>);

/// Completes a deferred [`Events`] handle.
pub struct EventBinding(Arc<OnceLock<Weak<dyn EventPort>>>);

impl EventBinding {
    /// Send every event told through the handle to `port` from now on, for
    /// as long as the caller keeps `port`.
    pub fn bind(self, port: &Arc<dyn EventPort>) {
        if self.0.set(Arc::downgrade(port)).is_err() {
            tracing::error!("the event port was bound twice; the first binding stays");
        }
    }
}

impl Events {
    /// A handle whose port is bound later.
    pub fn deferred() -> (Events, EventBinding) {
        let port = Arc::new(OnceLock::new());
        (Events(port.clone()), EventBinding(port))
    }

    /// Deliver `event` about `subject_id` on `job_id`; returns how many
    /// sections accepted it. A section that fails is the runtime's to log and
    /// count; only a failure to find the sections comes back here.
    pub async fn deliver(&self, tenant: &Tenant, job_id: &JobId, event: SectionEvent, subject_id: &str, origin: RequestOrigin) -> Result<usize, DbError> {
        match self.0.get().and_then(Weak::upgrade) {
            Some(port) => port.deliver(tenant, job_id, event, subject_id, origin).await,
            None => {
                // Before start-up finished, or after the app was dropped.
                tracing::error!(tenant = %tenant.id, ?event, "an event was told with no sections runtime to hear it; dropped");
                Ok(0)
            }
        }
    }

    /// Tell the sections that an invoice changed. The change itself is
    /// already saved, so a failure here is logged, never the caller's.
    pub async fn invoice_updated(&self, tenant: &Tenant, job_id: &JobId, invoice_id: &str, origin: RequestOrigin) {
        if let Err(error) = self.deliver(tenant, job_id, SectionEvent::InvoiceUpdated, invoice_id, origin).await {
            tracing::warn!(%error, tenant = %tenant.id, invoice = invoice_id, "could not tell sections about an invoice change");
        }
    }
}
