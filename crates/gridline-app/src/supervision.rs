//! The periodic supervision sweep: reminders of the cases due soon or overdue, and the watch
//! list's (未诉先办) inspections, filed through the one intake like any case.

use std::time::Duration;

use gridline_core::calendar::WorkCalendar;
use gridline_core::supervision::{Watch, reminder};
use gridline_core::actor::{Actor, Role};
use gridline_store::{OrderScope, Reminder};
use jiff::Timestamp;

use crate::notify::Notice;
use crate::{App, AppError};

/// How often the sweep looks for cases due soon or overdue.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Cases read per page by the sweep.
const SWEEP_PAGE: u32 = 1000;
/// Due watches handled per sweep; the rest wait for the next one.
const DUE_PER_SWEEP: u32 = 1000;

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Reminders not sent before.
    pub reminders: u64,
    /// Inspection cases filed for the watch list.
    pub inspections: u64,
}

impl App {
    /// The supervision orders `actor` may see, scoped like the cases: those on cases they may
    /// see, those addressed to their unit for the unit's own staff (who answer them), and those
    /// on places for dispatchers (who answer those). Roles that see every case see every order.
    pub fn order_scope(&self, actor: &Actor) -> OrderScope {
        let answers_for_unit = matches!(actor.role, Role::HandlingUnit | Role::MemberUnit);
        OrderScope {
            visibility: self.visibility(actor),
            unit: actor.unit.clone().filter(|_| answers_for_unit),
            places: actor.role == Role::Dispatcher,
        }
    }

    /// Sends the reminders that the running clocks call for and were not sent before, and files
    /// the inspections of the watches that are due.
    pub async fn sweep(&self, now: Timestamp) -> Result<Swept, AppError> {
        Ok(Swept { reminders: self.send_reminders(now).await?, inspections: self.file_due_inspections(now).await? })
    }

    /// Records the reminders that the running clocks call for and were not sent before; returns
    /// how many were new.
    async fn send_reminders(&self, now: Timestamp) -> Result<u64, AppError> {
        let mut after = 0;
        let mut new = 0;
        loop {
            let cases = self.store.supervision().cases_on_the_clock(after, SWEEP_PAGE).await?;
            let Some(last) = cases.last() else { break };
            after = last.id.get();
            for case in &cases {
                let Some((kind, deadline)) = reminder(case, WorkCalendar::china(), now) else { continue };
                let reminder = Reminder { case_id: case.id, kind, deadline, unit: case.unit.clone(), at: now };
                // One at a time (the store writes them one by one anyway), so that only a
                // reminder not sent before is notified.
                if self.store.supervision().record_reminders(std::slice::from_ref(&reminder)).await? > 0 {
                    new += 1;
                    self.notify(Notice::of_reminder(case, kind, deadline, now));
                }
            }
        }
        Ok(new)
    }

    /// Files the inspection of every watch that is due at `now` and moves each on to its next
    /// slot; returns how many cases were filed. The inspection of a slot carries the slot in its
    /// external id, so a sweep that runs twice (or on two servers) files it once. A watch that
    /// cannot be filed is logged and left due; the others go on.
    async fn file_due_inspections(&self, now: Timestamp) -> Result<u64, AppError> {
        let mut filed = 0;
        for (watch, created_by) in self.store.watches().due(now, DUE_PER_SWEEP).await? {
            match self.file_inspection(&watch, created_by, now).await {
                Ok(true) => filed += 1,
                Ok(false) => {}
                Err(err) => tracing::warn!(watch = watch.id, error = %err, "watch list inspection not filed"),
            }
        }
        Ok(filed)
    }

    /// Files one due watch's inspection, in the name of whoever put the pair on watch; true when
    /// this call created the case.
    async fn file_inspection(&self, watch: &Watch, created_by: i64, now: Timestamp) -> Result<bool, AppError> {
        let user = self
            .store
            .people().user(created_by)
            .await?
            .ok_or_else(|| AppError::Internal(format!("the watch's author {created_by} no longer exists")))?;
        let mut intake = watch.inspection(watch.next_due);
        intake.category_version = Some(self.reference().catalogue.check_fileable(&watch.category)?.version);
        let created = self.file_case(intake, &user.actor(), now).await?;
        self.store.watches().advance(watch.id, watch.next_due, watch.next_after(now), created.case.id).await?;
        if created.created {
            tracing::info!(watch = watch.id, case = created.case.id.get(), "watch list inspection filed");
        }
        Ok(created.created)
    }
}
