//! The job's day, as the office moves it: scheduled → on the way → started →
//! finished, or cancelled. Each step is kept with who took it and when; the
//! job's `status` column keeps the coarse state older readers know
//! (`scheduled`, `in-progress`, `completed`, `cancelled`).

crate::named_enum! {
    /// Where a job stands on its day.
    pub enum JobStage("job stage") {
        Scheduled => "scheduled",
        OnTheWay => "on-the-way",
        Started => "started",
        Finished => "finished",
        Cancelled => "cancelled",
    }
}

impl JobStage {
    /// As the client and the office read it.
    pub fn label(self) -> &'static str {
        match self {
            JobStage::Scheduled => "Scheduled",
            JobStage::OnTheWay => "On the way",
            JobStage::Started => "Started",
            JobStage::Finished => "Finished",
            JobStage::Cancelled => "Cancelled",
        }
    }

    /// The button that moves a job to this stage.
    pub fn action(self) -> &'static str {
        match self {
            JobStage::Scheduled => "Back to scheduled",
            JobStage::OnTheWay => "On the way",
            JobStage::Started => "Started",
            JobStage::Finished => "Finished",
            JobStage::Cancelled => "Cancel the job",
        }
    }

    /// The job's coarse `status` at this stage (on the way is not started yet).
    pub fn status(self) -> &'static str {
        match self {
            JobStage::Scheduled | JobStage::OnTheWay => "scheduled",
            JobStage::Started => "in-progress",
            JobStage::Finished => "completed",
            JobStage::Cancelled => "cancelled",
        }
    }

    /// The stage of a job that has no step recorded, from its coarse status.
    pub fn from_status(status: &str) -> JobStage {
        match status {
            "in-progress" => JobStage::Started,
            "completed" => JobStage::Finished,
            "cancelled" => JobStage::Cancelled,
            _ => JobStage::Scheduled,
        }
    }

    /// Where a job stands: its latest recorded step, else its coarse status.
    pub fn current(latest_step: Option<&str>, status: &str) -> JobStage {
        latest_step.and_then(|stage| stage.parse().ok()).unwrap_or_else(|| JobStage::from_status(status))
    }

    /// Where a job at this stage may go next, in the order offered. A
    /// finished job is done; a cancelled one may be scheduled again; a slip
    /// (on the way too early) goes back.
    pub fn next(self) -> &'static [JobStage] {
        match self {
            JobStage::Scheduled => &[JobStage::OnTheWay, JobStage::Started, JobStage::Cancelled],
            JobStage::OnTheWay => &[JobStage::Started, JobStage::Scheduled, JobStage::Cancelled],
            JobStage::Started => &[JobStage::Finished, JobStage::Cancelled],
            JobStage::Finished => &[],
            JobStage::Cancelled => &[JobStage::Scheduled],
        }
    }

    pub fn may_move_to(self, to: JobStage) -> bool {
        self.next().contains(&to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_moves_forward_and_ends() {
        assert!(JobStage::Scheduled.may_move_to(JobStage::OnTheWay));
        assert!(JobStage::OnTheWay.may_move_to(JobStage::Started));
        assert!(JobStage::Started.may_move_to(JobStage::Finished));
        assert!(!JobStage::Scheduled.may_move_to(JobStage::Finished), "not finished before it started");
        assert!(!JobStage::Finished.may_move_to(JobStage::Cancelled), "a finished job is done");
        assert!(!JobStage::Started.may_move_to(JobStage::Started), "no step to where it is");
        assert!(JobStage::Cancelled.may_move_to(JobStage::Scheduled));
    }

    #[test]
    fn each_stage_keeps_a_status_older_readers_know() {
        for stage in JobStage::ALL {
            assert!(["scheduled", "in-progress", "completed", "cancelled"].contains(&stage.status()));
            let back = JobStage::from_status(stage.status());
            assert!(back == stage || stage == JobStage::OnTheWay, "{stage}");
        }
    }
}
