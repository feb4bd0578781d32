//! Text intelligence over HTTP: the category suggestion the web form asks for
//! (`POST /api/v1/classify`) and duplicate (并案) suggestions for a case
//! (`GET /api/v1/cases/{id}/duplicates`). The services are gridline-app's `TextIntel`.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use gridline_core::case::{CaseId, CaseStatus, SuggestionSource};
use gridline_core::catalogue::Catalogue;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::{ApiJson, AppState};

/// A catalogue code with its name and the classifier's confidence in it.
#[derive(Serialize, ToSchema)]
pub struct NamedLabel {
    label: String,
    name: Option<String>,
    confidence: f32,
}

fn named(catalogue: &Catalogue, label: &str, confidence: f32) -> NamedLabel {
    NamedLabel { label: label.to_owned(), name: catalogue.get(label).map(|e| e.name.clone()), confidence }
}

/// The suggested category of a text; `label` null when nothing is suggested.
#[derive(Serialize, ToSchema)]
pub struct Classified {
    label: Option<String>,
    name: Option<String>,
    confidence: f32,
    /// The best few, best first.
    top: Vec<NamedLabel>,
    source: SuggestionSource,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    text: String,
}

/// Longest text classified (characters), as for a case description.
const MAX_TEXT_CHARS: usize = 5000;

/// `POST /api/v1/classify` `{"text": …}`: the suggested category for the web form.
#[utoipa::path(post, path = "/classify", tag = "text", security(("bearer" = [])),
    request_body(content = ClassifyRequest, description = "`{\"text\": …}`: at most 5000 characters"),
    responses((status = 200, description = "the suggested category; `label` null when nothing is suggested", body = Classified),
        (status = 422, description = "the text is too long, or cannot be read")))]
pub async fn classify(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    ApiJson(request): ApiJson<ClassifyRequest>,
) -> Result<Json<Classified>, ApiError> {
    if request.text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::invalid("text", format!("text is longer than {MAX_TEXT_CHARS} characters")));
    }
    let reference = state.reference();
    let catalogue = &reference.catalogue;
    let suggestion = state.text.suggest(&request.text, catalogue, &state.regions).map_err(|e| ApiError::invalid("text", e.to_string()))?;
    Ok(Json(match suggestion {
        Some((p, source)) => {
            let best = named(catalogue, &p.label, p.confidence);
            Classified {
                label: Some(best.label),
                name: best.name,
                confidence: best.confidence,
                top: p.top.iter().map(|s| named(catalogue, &s.label, s.confidence)).collect(),
                source,
            }
        }
        None => Classified { label: None, name: None, confidence: 0.0, top: Vec::new(), source: SuggestionSource::Keywords },
    }))
}

/// The duplicate suggestions for `case`.
#[derive(Serialize, ToSchema)]
pub struct Duplicates {
    case: CaseId,
    /// Best first.
    suggestions: Vec<Duplicate>,
}

/// An open case that may be the same problem.
#[derive(Serialize, ToSchema)]
pub struct Duplicate {
    /// The other case's id.
    case: CaseId,
    /// 0–1: how likely the same problem.
    score: f32,
    text_similarity: f32,
    same_category: bool,
    same_street: bool,
    /// Metres between the two points, when both have one.
    distance_m: Option<f64>,
    title: String,
    status: CaseStatus,
    received_at: Timestamp,
}

/// `GET /api/v1/cases/{id}/duplicates`: open cases nearby and recent whose text (and
/// category) make them likely the same problem, best first, for the dispatcher to merge.
#[utoipa::path(get, path = "/cases/{id}/duplicates", tag = "text", security(("bearer" = [])), params(("id" = i64, Path, description = "case id")),
    responses((status = 200, description = "the open cases that may be the same problem, best first", body = Duplicates),
        (status = 404, description = "no such case, or not visible to you")))]
pub async fn duplicates(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Duplicates>, ApiError> {
    let id = crate::cases::parse_id(path)?;
    let case = state.visible_case(id, &who.actor).await?;
    let candidates = state.text.duplicate_candidates(&case, &state.regions);
    let mut suggestions = Vec::new();
    for candidate in candidates {
        // The index learns of closings lazily: a candidate that is no longer open leaves it here.
        match state.store.cases().get(CaseId::new(candidate.case)?).await? {
            Some(other) if other.status.is_open() => {
                if state.visibility(&who.actor).admits(&other) {
                    suggestions.push(Duplicate {
                        case: other.id,
                        score: candidate.score,
                        text_similarity: candidate.text_similarity,
                        same_category: candidate.same_category,
                        same_street: candidate.same_street,
                        distance_m: candidate.distance_m,
                        title: other.intake.title,
                        status: other.status,
                        received_at: other.received_at,
                    });
                }
            }
            _ => state.text.forget(CaseId::new(candidate.case)?),
        }
    }
    Ok(Json(Duplicates { case: id, suggestions }))
}
