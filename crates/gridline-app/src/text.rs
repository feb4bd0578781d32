//! Text intelligence (gridline-text) as the intake and the edges use it: the category suggestion
//! a case filed without a category gets at intake (and the web form asks for), and duplicate
//! (并案) suggestions among the open cases.
//!
//! With a trained model the suggestion is the model's; a suggestion at or above the threshold
//! files the case under it. Without a model the catalogue's names and keywords suggest, and
//! never file: they are a hint for the dispatcher, not evidence enough.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use gridline_core::case::{Case, CaseId, CategorySuggestion, Intake, SuggestedCategory, SuggestionSource};
use gridline_core::catalogue::Catalogue;
use gridline_core::ids::CategoryCode;
use gridline_core::region::{RegionLevel, RegionTree};
use gridline_text::TextError;
use gridline_text::dedupe::{DuplicateSuggestion, DedupeSettings, DuplicateIndex, OpenCase, simhash};
use gridline_text::keywords::KeywordSuggester;
use gridline_text::model::{Model, Prediction};
use gridline_text::segment::{Segmenter, catalogue_words, place_words};

/// How the server suggests categories and duplicates (`gridline serve --model …`).
#[derive(Clone, Debug)]
pub struct TextOptions {
    /// A model trained with `gridline model train` on catalogue codes.
    pub model: Option<PathBuf>,
    /// A model's suggestion at or above this confidence files the case automatically.
    pub auto_file_threshold: f32,
    /// Keyword suggestions file the case too: for an import, which has no dispatcher reading
    /// each of its rows; a server leaves them to the dispatcher.
    pub file_keyword_suggestions: bool,
    pub dedupe: DedupeSettings,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions { model: None, auto_file_threshold: 0.9, file_keyword_suggestions: false, dedupe: DedupeSettings::default() }
    }
}

pub struct TextIntel {
    model: Option<Model>,
    /// Built on first use: jieba's dictionary takes a moment to load.
    keywords: OnceLock<KeywordSuggester>,
    auto_file_threshold: f32,
    file_keyword_suggestions: bool,
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
            file_keyword_suggestions: options.file_keyword_suggestions,
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
    pub fn suggest(&self, text: &str, catalogue: &Catalogue, regions: &RegionTree) -> Result<Option<(Prediction, SuggestionSource)>, TextError> {
        match &self.model {
            Some(model) => Ok(Some((model.predict(text)?, SuggestionSource::Model))),
            None => Ok(self.keyword_suggester(catalogue, regions).suggest(text)?.map(|s| (s.prediction, SuggestionSource::Keywords))),
        }
    }

    /// Gives a case without a category the suggestion for its title and description, and files
    /// it under the suggestion when it names a fileable catalogue entry and comes from a model
    /// at or above the auto-file threshold (or from the keywords, where they file). `code_of` turns a model's label into a catalogue
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
        let confident = match source {
            SuggestionSource::Model => prediction.confidence >= self.auto_file_threshold,
            SuggestionSource::Keywords => self.file_keyword_suggestions,
        };
        let auto_filed = confident && fileable.is_some();
        if auto_filed {
            intake.category = CategoryCode::parse(&label).ok();
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
            id: case.id.get(),
            street: region.and_then(|r| regions.ancestor_at(r, RegionLevel::Street)).map(|s| s.code.clone()),
            point: case.intake.location.map(|p| (p.lat, p.lon)),
            category: case.category.clone().map(String::from),
            received: case.received_at.as_second(),
            fingerprint: simhash(&Self::fingerprint_text(&case.intake.title, &case.intake.description)),
        }
    }

    /// Adds an open case to the duplicate index (or drops a case that is no longer open).
    pub fn remember(&self, case: &Case, regions: &RegionTree) {
        if case.status.is_open() {
            // Fingerprinted before the lock: every intake passes here.
            let open = TextIntel::open_case(case, regions);
            self.duplicates.lock().expect("duplicate index").insert(open);
        } else {
            self.duplicates.lock().expect("duplicate index").remove(case.id.get());
        }
    }

    /// Those of `ids` the duplicate index does not hold.
    pub fn not_remembered(&self, ids: &[CaseId]) -> Vec<CaseId> {
        let index = self.duplicates.lock().expect("duplicate index");
        ids.iter().copied().filter(|&id| !index.holds(id.get())).collect()
    }

    /// The oldest a case may be received to enter the duplicate index now.
    pub fn window_start(&self) -> jiff::Timestamp {
        let days = self.duplicates.lock().expect("duplicate index").settings().days;
        jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days)
    }

    /// The open cases of the index that are likely the same problem as `case`, best first. The
    /// index learns of closings lazily: the caller checks each and [`TextIntel::forget`]s those
    /// no longer open.
    pub fn duplicate_candidates(&self, case: &Case, regions: &RegionTree) -> Vec<DuplicateSuggestion> {
        let probe = TextIntel::open_case(case, regions);
        self.duplicates.lock().expect("duplicate index").candidates(&probe)
    }

    /// Drops a case from the duplicate index.
    pub fn forget(&self, case: CaseId) {
        self.duplicates.lock().expect("duplicate index").remove(case.get());
    }
}
