//! Text intelligence over HTTP: the category suggestion the web form asks for
//! (`POST /api/v1/classify`) and duplicate (并案) suggestions for a case
//! (`GET /api/v1/cases/{id}/duplicates`). The services are gridline-app's `TextIntel`.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use gridline_core::case::SuggestionSource;
use gridline_core::catalogue::Catalogue;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::{ApiJson, AppState};

fn named(catalogue: &Catalogue, label: &str, confidence: f32) -> Value {
    json!({"label": label, "name": catalogue.get(label).map(|e| e.name.as_str()), "confidence": confidence})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    text: String,
}

/// Longest text classified (characters), as for a case description.
const MAX_TEXT_CHARS: usize = 5000;

/// `POST /api/v1/classify` `{"text": …}`: the suggested category for the web form.
#[utoipa::path(post, path = "/classify", tag = "text", security(("bearer" = [])),
    request_body(content = serde_json::Value, description = "`{\"text\": …}`: at most 5000 characters"),
    responses((status = 200, description = "`{label, name, confidence, top, source: model|keywords}`; `label` null when nothing is suggested", body = serde_json::Value),
        (status = 422, description = "the text is too long, or cannot be read")))]
pub async fn classify(
    State(state): State<Arc<AppState>>,
    _who: SignedIn,
    ApiJson(request): ApiJson<ClassifyRequest>,
) -> Result<Json<Value>, ApiError> {
    if request.text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::invalid("text", format!("text is longer than {MAX_TEXT_CHARS} characters")));
    }
    let reference = state.reference();
    let catalogue = &reference.catalogue;
    let suggestion = state.text.suggest(&request.text, catalogue, &state.regions).map_err(|e| ApiError::invalid("text", e.to_string()))?;
    Ok(Json(match suggestion {
        Some((p, source)) => {
            let mut body = named(catalogue, &p.label, p.confidence);
            body["top"] = p.top.iter().map(|s| named(catalogue, &s.label, s.confidence)).collect();
            body["source"] = json!(source);
            body
        }
        None => json!({"label": null, "name": null, "confidence": 0.0, "top": [], "source": SuggestionSource::Keywords}),
    }))
}

/// `GET /api/v1/cases/{id}/duplicates`: open cases nearby and recent whose text (and
/// category) make them likely the same problem, best first, for the dispatcher to merge.
#[utoipa::path(get, path = "/cases/{id}/duplicates", tag = "text", security(("bearer" = [])), params(("id" = i64, Path, description = "case id")),
    responses((status = 200, description = "`{case, suggestions}`: each `{case, score, text_similarity, same_category, same_street, distance_m, title, status, received_at}`", body = serde_json::Value),
        (status = 404, description = "no such case, or not visible to you")))]
pub async fn duplicates(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = crate::cases::parse_id(path)?;
    let case = state.visible_case(id, &who.actor).await?;
    let candidates = state.text.duplicate_candidates(&case, &state.regions);
    let mut suggestions = Vec::new();
    for candidate in candidates {
        // The index learns of closings lazily: a candidate that is no longer open leaves it here.
        match state.store.cases().get(candidate.case).await? {
            Some(other) if other.status.is_open() => {
                if state.visibility(&who.actor).admits(&other) {
                    suggestions.push(json!({
                        "case": other.id,
                        "score": candidate.score,
                        "text_similarity": candidate.text_similarity,
                        "same_category": candidate.same_category,
                        "same_street": candidate.same_street,
                        "distance_m": candidate.distance_m,
                        "title": other.intake.title,
                        "status": other.status,
                        "received_at": other.received_at.to_string(),
                    }));
                }
            }
            _ => state.text.forget(candidate.case),
        }
    }
    Ok(Json(json!({"case": id, "suggestions": suggestions})))
}
