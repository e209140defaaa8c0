//! What the host tells people by e-mail without being asked each time: the
//! kinds of notification, and how a person's choice, the business's default
//! and the host's default combine.

crate::named_enum! {
    /// Something that happened which the people on a job may want to hear of.
    pub enum NotificationKind("notification kind") {
        /// A report of the job was published to the people it is shared with.
        ReportPublished => "report-published",
        /// An invoice of the job became due.
        InvoiceIssued => "invoice-issued",
        /// A payment towards the job's invoice went through.
        PaymentRecorded => "payment-recorded",
        /// The office grouped the person's invoices into a batch to pay at once.
        BatchReady => "batch-invoice-ready",
        /// The crew is on the way to the job.
        JobOnTheWay => "job-on-the-way",
        /// The work of the job is finished.
        JobFinished => "job-finished",
        /// The office wrote in one of the person's conversations.
        NewMessage => "new-message",
        /// The office sent an estimate to answer.
        EstimateSent => "estimate-sent",
    }
}

impl NotificationKind {
    /// What the kind is, as a choice on a preferences page.
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::ReportPublished => "A report is published",
            NotificationKind::InvoiceIssued => "An invoice is issued",
            NotificationKind::PaymentRecorded => "A payment is received",
            NotificationKind::BatchReady => "A batch invoice is ready",
            NotificationKind::JobOnTheWay => "The crew is on the way",
            NotificationKind::JobFinished => "The work is finished",
            NotificationKind::NewMessage => "A message from the office",
            NotificationKind::EstimateSent => "An estimate is ready",
        }
    }

    /// When it is sent, to finish "… tells you when": "a report is published".
    pub fn occasion(self) -> &'static str {
        match self {
            NotificationKind::ReportPublished => "a report is published",
            NotificationKind::InvoiceIssued => "an invoice is issued",
            NotificationKind::PaymentRecorded => "a payment is received",
            NotificationKind::BatchReady => "a batch invoice is ready",
            NotificationKind::JobOnTheWay => "the crew is on the way",
            NotificationKind::JobFinished => "the work is finished",
            NotificationKind::NewMessage => "the office writes to you",
            NotificationKind::EstimateSent => "an estimate is ready for you",
        }
    }

    /// The mail template it is sent with.
    pub fn template(self) -> &'static str {
        self.as_str()
    }

    /// Whether it is sent when neither the person nor the business chose.
    pub fn on_by_default(self) -> bool {
        true
    }

    /// The kind a mail template sends, if it is a notification.
    pub fn of_template(template: &str) -> Option<NotificationKind> {
        template.parse().ok()
    }
}

/// Whether to e-mail a person about `kind`: their own choice first, then
/// the business's default, then the host's.
pub fn wants_email(kind: NotificationKind, person: Option<bool>, business: Option<bool>) -> bool {
    person.or(business).unwrap_or_else(|| kind.on_by_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_persons_choice_beats_the_business_default_which_beats_the_hosts() {
        let kind = NotificationKind::ReportPublished;
        assert!(wants_email(kind, None, None));
        assert!(!wants_email(kind, None, Some(false)));
        assert!(wants_email(kind, Some(true), Some(false)));
        assert!(!wants_email(kind, Some(false), Some(true)));
    }

    #[test]
    fn each_kind_has_its_template() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::of_template(kind.template()), Some(kind));
        }
        assert_eq!(NotificationKind::of_template("magic-link"), None);
    }
}
