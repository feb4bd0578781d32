//! Intake: what a channel submits, checked before a case exists.

use serde::Deserialize;

use crate::actor::Actor;
use crate::case::{Channel, GeoPoint, Intake, Reporter};
use crate::catalogue::Catalogue;
use crate::error::DomainError;
use crate::region::RegionTree;
use crate::workflow::{check_region, required};

/// The body of `POST /api/v1/cases`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub channel: String,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
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
    pub fn validate(&self, actor: &Actor, catalogue: &Catalogue, regions: &RegionTree) -> Result<Intake, DomainError> {
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
        let category_version = match &self.category {
            Some(code) => Some(catalogue.check_fileable(code)?.version),
            None => None,
        };
        if let Some(region) = &self.region {
            check_region(regions, region)?;
        }
        let description = required("description", &self.description)?;
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
        if self.photos.len() > 20 || self.photos.iter().any(|p| p.trim().is_empty() || p.len() > 1000) {
            return Err(DomainError::invalid("photos", "at most 20 photos, each a non-empty reference of at most 1000 bytes"));
        }
        Ok(Intake {
            channel,
            external_id,
            category: self.category.clone(),
            category_version,
            region: self.region.clone(),
            title,
            description,
            address,
            location: self.location,
            reporter: self.reporter.clone(),
            photos: self.photos.clone(),
        })
    }
}
