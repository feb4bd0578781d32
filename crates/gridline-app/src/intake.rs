//! The one intake: every channel (the REST API, Open311, the CLI import, the watch list's
//! scheduled inspections, and the modules to come) files a case through [`App::file_case`], and
//! a checked intake is completed the same way everywhere by [`App::prepare_intake`].

use gridline_core::actor::Actor;
use gridline_core::case::{CaseEvent, Change, Intake};
use gridline_store::Created;
use jiff::Timestamp;

use crate::{App, AppError};

impl App {
    /// Completes a checked intake as every channel's is completed: placed in a street from its
    /// address or point when it came without a region, and given the category suggestion for
    /// its text when it came without a category. `code_of` maps a model's label onto a catalogue
    /// code (the import's category map); a label it does not map is taken as it is.
    pub fn prepare_intake_mapped(&self, intake: &mut Intake, code_of: impl Fn(&str) -> Option<String>) {
        crate::geo::place(intake);
        self.text.suggest_category(intake, &self.reference().catalogue, &self.regions, code_of);
    }

    /// [`App::prepare_intake_mapped`] with the model's labels taken as catalogue codes.
    pub fn prepare_intake(&self, intake: &mut Intake) {
        self.prepare_intake_mapped(intake, |label| Some(label.to_owned()));
    }

    /// Files a checked intake as a case: prepared ([`App::prepare_intake`]), stored, and
    /// remembered for duplicate detection. Idempotent on channel and external id: the same
    /// ticket again returns the case it filed, with `created: false`.
    pub async fn file_case(&self, mut intake: Intake, actor: &Actor, now: Timestamp) -> Result<Created, AppError> {
        self.prepare_intake(&mut intake);
        let event = CaseEvent { seq: 1, at: now, actor: actor.clone(), change: Change::Receive(intake) };
        let created = self.store.create_case(event).await?;
        self.text.remember(&created.case, &self.regions);
        Ok(created)
    }
}
