//! The rules of service requests, without I/O: where a request stands, and
//! the visits that suit a client (a day and a part of it).

use serde::{Deserialize, Serialize};

crate::named_enum! {
    /// Where a service request stands.
    pub enum RequestStatus("request status") {
        /// Waiting for the office.
        Open => "open",
        /// The office made it a job.
        Scheduled => "scheduled",
        /// The office closed it without a job (answered, not done, a duplicate).
        Closed => "closed",
    }
}

impl RequestStatus {
    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::Open => "Waiting for the office",
            RequestStatus::Scheduled => "Booked",
            RequestStatus::Closed => "Closed",
        }
    }
}

crate::named_enum! {
    /// A part of a day a client would like the visit in.
    pub enum DayPart("part of the day") {
        Morning => "morning",
        Afternoon => "afternoon",
        Evening => "evening",
        AnyTime => "any-time",
    }
}

impl DayPart {
    pub fn label(self) -> &'static str {
        match self {
            DayPart::Morning => "morning (8–12)",
            DayPart::Afternoon => "afternoon (12–5)",
            DayPart::Evening => "evening (5–8)",
            DayPart::AnyTime => "any time",
        }
    }

    /// The hour a visit in this part starts, for the office's first guess.
    pub fn start_hour(self) -> i8 {
        match self {
            DayPart::Morning | DayPart::AnyTime => 9,
            DayPart::Afternoon => 13,
            DayPart::Evening => 17,
        }
    }
}

/// A visit that suits the client: a day (`YYYY-MM-DD`, in the business's
/// time zone) and a part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferredVisit {
    pub day: String,
    pub part: String,
}

impl PreferredVisit {
    /// "Thu Dec 3, 2026, morning (8–12)"; the day as stored when it does not parse.
    pub fn describe(&self) -> String {
        let day = jiff::civil::Date::strptime("%Y-%m-%d", &self.day).map(|d| d.strftime("%a %b %-d, %Y").to_string()).unwrap_or_else(|_| self.day.clone());
        let part = self.part.parse::<DayPart>().map(DayPart::label).unwrap_or("any time");
        format!("{day}, {part}")
    }
}

/// The most visits a client may offer.
pub const MAX_PREFERRED: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preferred_visit_reads_as_a_day_and_a_part() {
        let visit = PreferredVisit { day: "2026-12-03".into(), part: "morning".into() };
        assert_eq!(visit.describe(), "Thu Dec 3, 2026, morning (8–12)");
        let odd = PreferredVisit { day: "soon".into(), part: "whenever".into() };
        assert_eq!(odd.describe(), "soon, any time");
    }
}
