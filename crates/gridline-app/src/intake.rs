//! The one intake: every channel (the REST API, Open311, the CLI import, the watch list's
//! scheduled inspections, and the modules to come) files a case through [`App::file_case`], and
//! a checked intake is completed the same way everywhere by [`App::prepare_intake`]. What a
//! channel submits is checked first by [`NewCase::validate`].

use gridline_core::DomainError;
use gridline_core::actor::Actor;
use gridline_core::case::{CaseEvent, Change, Channel, GeoPoint, Intake, Reporter};
use gridline_core::crosswalk::SourceCode;
use gridline_core::ids::{CategoryCode, RegionCode};
use gridline_core::reference::Reference;
use gridline_core::region::RegionTree;
use gridline_core::workflow::{check_region, required};
use gridline_store::Created;
use jiff::Timestamp;
use serde::Deserialize;

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
        let created = self.store.cases().create(event).await?;
        self.text.remember(&created.case, &self.regions);
        Ok(created)
    }
}

/// What a channel submits, before it is checked: the body of `POST /api/v1/cases`, and what
/// Open311 and the import build from their own forms and rows.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub channel: String,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub category: Option<CategoryCode>,
    /// The code in the channel's own taxonomy (e.g. the hotline's category); mapped through the
    /// crosswalk when no category is given.
    #[serde(default)]
    pub source: Option<SourceCode>,
    #[serde(default)]
    pub emergency: bool,
    #[serde(default)]
    pub region: Option<RegionCode>,
    #[serde(default)]
    pub title: Option<String>,
    pub description: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub location: Option<GeoPoint>,
    #[serde(default)]
    pub reporter: Option<Reporter>,
    #[serde(default)]
    pub photos: Vec<String>,
}

const MAX_TITLE_CHARS: usize = 200;
const MAX_DESCRIPTION_CHARS: usize = 5000;
const MAX_EXTERNAL_ID_BYTES: usize = 100;

impl NewCase {
    /// Checks the submission against the reference data and the actor's channels.
    pub fn validate(&self, actor: &Actor, reference: &Reference, regions: &RegionTree) -> Result<Intake, DomainError> {
        let catalogue = &reference.catalogue;
        let channel = Channel::parse(&self.channel).ok_or_else(|| {
            let known: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
            DomainError::invalid("channel", format!("unknown channel {:?}; one of {}", self.channel, known.join(", ")))
        })?;
        if !channel.open_to(actor.role) {
            return Err(DomainError::forbidden(format!(
                "role {} may not file cases through the {} channel",
                actor.role.as_str(),
                channel.as_str()
            )));
        }
        let external_id = match self.external_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) if id.len() > MAX_EXTERNAL_ID_BYTES || id.chars().any(char::is_control) => {
                return Err(DomainError::invalid(
                    "external_id",
                    format!("external_id is at most {MAX_EXTERNAL_ID_BYTES} bytes without control characters"),
                ));
            }
            Some(id) => Some(id.to_owned()),
        };
        let source = match &self.source {
            Some(source) => {
                let source = SourceCode { scheme: required("source.scheme", &source.scheme)?, code: required("source.code", &source.code)? };
                if source.scheme.len() > 50 || source.code.chars().count() > 200 {
                    return Err(DomainError::invalid("source", "source scheme is at most 50 bytes and code at most 200 characters"));
                }
                Some(source)
            }
            None => None,
        };
        // A category given wins; else the crosswalk's entry for the source code, when it has one.
        let category = match (&self.category, source.as_ref().and_then(|s| reference.crosswalk.entry_for(s))) {
            (Some(category), _) => Some(category.clone()),
            (None, entry) => entry.map(CategoryCode::parse).transpose()?,
        };
        let category_version = match &category {
            Some(code) => Some(catalogue.check_fileable(code)?.version),
            None => None,
        };
        if let Some(region) = &self.region {
            check_region(regions, region)?;
        }
        // Not `required`: its limit is that of a note, and a citizen's description may be longer.
        let description = self.description.trim().to_owned();
        if description.is_empty() {
            return Err(DomainError::invalid("description", "description must not be empty"));
        }
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(DomainError::invalid(
                "description",
                format!("description is longer than {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        let title = match self.title.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => {
                if t.chars().count() > MAX_TITLE_CHARS {
                    return Err(DomainError::invalid("title", format!("title is longer than {MAX_TITLE_CHARS} characters")));
                }
                t.to_owned()
            }
            _ => description.chars().take(40).collect(),
        };
        if let Some(point) = self.location
            && !(point.lat.is_finite()
                && point.lon.is_finite()
                && (-90.0..=90.0).contains(&point.lat)
                && (-180.0..=180.0).contains(&point.lon))
        {
            return Err(DomainError::invalid("location", "lat must be within ±90 and lon within ±180"));
        }
        let address = match self.address.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) if a.chars().count() > 300 => {
                return Err(DomainError::invalid("address", "address is longer than 300 characters"));
            }
            Some(a) => Some(a.to_owned()),
        };
        if let Some(phone) = self.reporter.as_ref().and_then(|r| r.phone.as_deref())
            && (phone.is_empty()
                || phone.len() > 20
                || !phone.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '+'))
        {
            return Err(DomainError::invalid("reporter.phone", "a phone number is up to 20 digits, '-' or '+'"));
        }
        gridline_core::case::check_photos(&self.photos)?;
        Ok(Intake {
            channel,
            external_id,
            category,
            category_version,
            source,
            emergency: self.emergency,
            region: self.region.clone(),
            title,
            description,
            address,
            location: self.location,
            reporter: self.reporter.clone(),
            photos: self.photos.clone(),
            suggestion: None,
        })
    }
}
