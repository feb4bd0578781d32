//! The one way to act on a case: [`App::act`] decides a workflow command with the domain's
//! permission checks (gridline-core's `decide`) and appends its event, for every edge; and what
//! an actor may see of the cases.

use gridline_core::actor::Actor;
use gridline_core::calendar::WorkCalendar;
use gridline_core::case::{Case, CaseEvent, CaseId};
use gridline_core::routing::{Route, RouteQuery};
use gridline_core::workflow::{Command, Context, Visibility, decide};
use gridline_store::StoreError;
use jiff::Timestamp;

use crate::{App, AppError};

/// How often an action is re-decided when another writer got to the case first.
const CONFLICT_RETRIES: usize = 5;

impl App {
    pub fn visibility(&self, actor: &Actor) -> Visibility {
        let unit = actor.unit.as_deref().and_then(|u| self.unit(u));
        Visibility::of(actor, unit.as_ref(), &self.regions)
    }

    /// The case if it exists and `actor` may see it; not found otherwise, so that the existence
    /// of other units' cases is not revealed.
    pub async fn visible_case(&self, id: CaseId, actor: &Actor) -> Result<Case, AppError> {
        match self.store.cases().get(id).await? {
            Some(case) if self.visibility(actor).admits(&case) => Ok(case),
            _ => Err(AppError::Domain(gridline_core::DomainError::Refused(gridline_core::Reason::new("case_not_found").with("id", id)))),
        }
    }

    /// Takes one workflow step on a case in `actor`'s name and returns the case after it. A
    /// registration whose routing is certain dispatches at once, without waiting for the
    /// dispatcher.
    pub async fn act(&self, id: CaseId, actor: &Actor, command: &Command) -> Result<Case, AppError> {
        // One action at a time per case in this process; other processes (PostgreSQL deployments
        // with several servers) are caught by the store's version check and retried.
        let _turn = self.case_locks[usize::try_from(id.get()).unwrap_or(0) % self.case_locks.len()].lock().await;
        let case = self.decide_and_append(id, actor, command).await?;
        if matches!(command, Command::Register { .. })
            && let Some(route) = self.route_of(&case, Timestamp::now())
            && route.certain
            && let Some(unit) = route.unit
        {
            let dispatch = Command::Dispatch { unit, note: Some(route.reason), rule: route.rule.map(|r| r.id) };
            match self.decide_and_append(id, actor, &dispatch).await {
                Ok(dispatched) => return Ok(dispatched),
                Err(err) => tracing::warn!(case = id.get(), %err, "automatic dispatch refused; the case waits for the dispatcher"),
            }
        }
        Ok(case)
    }

    /// Decides `command` on the case as it is now and appends the change, deciding again when
    /// another writer got there first.
    async fn decide_and_append(&self, id: CaseId, actor: &Actor, command: &Command) -> Result<Case, AppError> {
        for _ in 0..CONFLICT_RETRIES {
            let case = self.visible_case(id, actor).await?;
            let merge_target = match command {
                Command::Merge { into, .. } => self.visible_case(*into, actor).await.ok(),
                _ => None,
            };
            let now = Timestamp::now();
            let change = {
                let units = |code: &str| self.unit(code);
                let reference = self.reference();
                let ctx = Context {
                    calendar: WorkCalendar::china(),
                    catalogue: &reference.catalogue,
                    regions: &self.regions,
                    units: &units,
                    now,
                };
                decide(&case, command, actor, &ctx, merge_target.as_ref())?
            };
            let event = CaseEvent { seq: case.version + 1, at: now, actor: actor.clone(), change };
            let mut after = case;
            after.apply(&event);
            let notice = crate::notify::Notice::of_event(&after, &event);
            match self.store.cases().append(after, event).await {
                Ok(case) => {
                    tracing::info!(case = id.get(), action = command.action(), user = %actor.username, "case action");
                    self.text.remember(&case, &self.regions);
                    if let Some(notice) = notice {
                        self.notify(notice);
                    }
                    return Ok(case);
                }
                Err(StoreError::VersionConflict { .. }) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::Conflict(format!("case {id} is changing too fast; try again")))
    }

    /// Where `case` would go now, and why. `None` when it has no category yet.
    pub fn route_of(&self, case: &Case, at: Timestamp) -> Option<Route> {
        let category = case.category.as_deref()?;
        Some(self.route_for(category, case.region.as_deref(), at))
    }

    /// Where a case of `category` in `region` would go at `at`, and why.
    pub fn route_for(&self, category: &str, region: Option<&str>, at: Timestamp) -> Route {
        let reference = self.reference();
        let calendar = WorkCalendar::china();
        let query = RouteQuery { category, region, at, time_zone: calendar.time_zone() };
        reference.routing.route(query, &reference.catalogue, &self.regions, &self.units())
    }
}
