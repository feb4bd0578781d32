//! Text intelligence at the HTTP edge (gridline-text): the category suggestion a hotline case
//! gets at intake and the web form asks for (`POST /api/v1/classify`), and duplicate (并案)
//! suggestions for a case (`GET /api/v1/cases/{id}/duplicates`).
//!
//! With a trained model the suggestion is the model's; a suggestion at or above the threshold
//! files the case under it. Without a model the catalogue's names and keywords suggest, and
//! never file: they are a hint for the dispatcher, not evidence enough.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use gridline_core::case::{Case, CategorySuggestion, Channel, Intake, SuggestedCategory, SuggestionSource};
use gridline_core::catalogue::Catalogue;
use gridline_core::region::{RegionLevel, RegionTree};
use gridline_store::Store;
use gridline_text::TextError;
use gridline_text::dedupe::{DedupeSettings, DuplicateIndex, OpenCase, simhash};
use gridline_text::keywords::KeywordSuggester;
use gridline_text::model::{Model, Prediction};
use gridline_text::segment::{Segmenter, catalogue_words, place_words};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::{ApiJson, AppState};

/// How the server suggests categories and duplicates (`gridline serve --model …`).
#[derive(Clone, Debug)]
pub struct TextOptions {
    /// A model trained with `gridline model train` on catalogue codes.
    pub model: Option<PathBuf>,
    /// A model's suggestion at or above this confidence files the case automatically.
    pub auto_file_threshold: f32,
    pub dedupe: DedupeSettings,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions { model: None, auto_file_threshold: 0.9, dedupe: DedupeSettings::default() }
    }
}

pub struct TextIntel {
    model: Option<Model>,
    /// Built on first use: jieba's dictionary takes a moment to load.
    keywords: OnceLock<KeywordSuggester>,
    auto_file_threshold: f32,
    duplicates: Mutex<DuplicateIndex>,
}

impl TextIntel {
    pub fn new(options: &TextOptions) -> Result<TextIntel, TextError> {
        if !(0.0..=1.0).contains(&options.auto_file_threshold) {
            return Err(TextError::Invalid(format!(
                "the auto-file threshold is a confidence between 0 and 1, not {}",
                options.auto_file_threshold
            )));
        }
        let model = options.model.as_deref().map(Model::load).transpose()?;
        Ok(TextIntel {
            model,
            keywords: OnceLock::new(),
            auto_file_threshold: options.auto_file_threshold,
            duplicates: Mutex::new(DuplicateIndex::new(options.dedupe)),
        })
    }

    fn keyword_suggester(&self, catalogue: &Catalogue, regions: &RegionTree) -> &KeywordSuggester {
        self.keywords.get_or_init(|| {
            let mut words = catalogue_words(catalogue);
            words.extend(place_words(regions));
            KeywordSuggester::new(catalogue, &Segmenter::new(&words))
        })
    }

    /// The suggestion for a text: the model's, or the catalogue keywords' (`None` when no
    /// keyword occurs).
    fn suggest(&self, text: &str, catalogue: &Catalogue, regions: &RegionTree) -> Result<Option<(Prediction, SuggestionSource)>, TextError> {
        match &self.model {
            Some(model) => Ok(Some((model.predict(text)?, SuggestionSource::Model))),
            None => Ok(self.keyword_suggester(catalogue, regions).suggest(text)?.map(|s| (s.prediction, SuggestionSource::Keywords))),
        }
    }

    /// At intake: a hotline case filed without a category gets the suggestion, and is filed
    /// under it when a model is confident enough and the label is a fileable catalogue code.
    /// Text the models cannot read (not Chinese) simply gets no suggestion.
    pub fn suggest_at_intake(&self, intake: &mut Intake, catalogue: &Catalogue, regions: &RegionTree) {
        if intake.channel != Channel::Hotline {
            return;
        }
        self.suggest_category(intake, catalogue, regions, |label| Some(label.to_owned()));
    }

    /// Gives a case without a category the suggestion for its title and description, and files
    /// it under the suggestion when it comes from a model, at or above the auto-file threshold,
    /// and names a fileable catalogue entry. `code_of` turns a model's label into a catalogue
    /// code (a model trained on another taxonomy's labels is mapped through an import mapping);
    /// a label it does not map is kept as it is. Returns whether the case was filed.
    pub fn suggest_category(
        &self,
        intake: &mut Intake,
        catalogue: &Catalogue,
        regions: &RegionTree,
        code_of: impl Fn(&str) -> Option<String>,
    ) -> bool {
        if intake.category.is_some() {
            return false;
        }
        let text = format!("{}\n{}", intake.title, intake.description);
        let Ok(Some((prediction, source))) = self.suggest(&text, catalogue, regions) else { return false };
        let code = |label: String| code_of(&label).unwrap_or(label);
        let label = code(prediction.label);
        let fileable = catalogue.check_fileable(&label).ok();
        let auto_filed = source == SuggestionSource::Model && prediction.confidence >= self.auto_file_threshold && fileable.is_some();
        if auto_filed {
            intake.category = Some(label.clone());
            intake.category_version = fileable.map(|e| e.version);
        }
        intake.suggestion = Some(CategorySuggestion {
            label,
            confidence: prediction.confidence,
            top: prediction.top.into_iter().map(|s| SuggestedCategory { label: code(s.label), confidence: s.confidence }).collect(),
            source,
            auto_filed,
        });
        auto_filed
    }

    /// The text a case is fingerprinted by. A title cut from the description (the default) would
    /// count its opening twice and make near-copies of short messages look less alike.
    fn fingerprint_text(title: &str, description: &str) -> String {
        if description.starts_with(title) { description.to_owned() } else { format!("{title}\n{description}") }
    }

    fn open_case(case: &Case, regions: &RegionTree) -> OpenCase {
        let region = case.region.as_deref().or(case.intake.region.as_deref());
        OpenCase {
            id: case.id,
            street: region.and_then(|r| regions.ancestor_at(r, RegionLevel::Street)).map(|s| s.code.clone()),
            point: case.intake.location.map(|p| (p.lat, p.lon)),
            category: case.category.clone(),
            received: case.received_at.as_second(),
            fingerprint: simhash(&Self::fingerprint_text(&case.intake.title, &case.intake.description)),
        }
    }

    /// Adds an open case to the duplicate index (or drops a case that is no longer open).
    pub fn remember(&self, case: &Case, regions: &RegionTree) {
        let mut index = self.duplicates.lock().expect("duplicate index");
        if case.status.is_open() {
            index.insert(TextIntel::open_case(case, regions));
        } else {
            index.remove(case.id);
        }
    }

    /// Fills the duplicate index with the open cases received within the comparison window.
    pub async fn load_open_cases(&self, store: &Store, regions: &RegionTree) -> Result<usize, ApiError> {
        let days = self.duplicates.lock().expect("duplicate index").settings().days;
        let since = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days);
        let cases = store.cases_for_text(true, Some(since)).await?;
        let mut index = self.duplicates.lock().expect("duplicate index");
        for case in &cases {
            index.insert(TextIntel::open_case(case, regions));
        }
        Ok(index.len())
    }
}

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
    let candidates = {
        let index = state.text.duplicates.lock().expect("duplicate index");
        index.candidates(&TextIntel::open_case(&case, &state.regions))
    };
    let mut suggestions = Vec::new();
    for candidate in candidates {
        // The index learns of closings lazily: a candidate that is no longer open leaves it here.
        match state.store.case(candidate.case).await? {
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
            _ => state.text.duplicates.lock().expect("duplicate index").remove(candidate.case),
        }
    }
    Ok(Json(json!({"case": id, "suggestions": suggestions})))
}
