//! The evaluation (测评) of the civilised-city drive, and the point-and-checklist mechanism it
//! shares with the back-alley patrols: an indicator system as versioned data
//! ([`system`]: system → category → item 测评项目 → clause 测评内容, each clause with its method,
//! points and scoring rule), typed inspection points ([`point`]: 点位, an alley being one of type
//! 背街小巷), rounds of field checks drawn by stratified sampling from a stored seed and their
//! answers ([`round`]), half-yearly material review with its joint review ([`review`]), and the
//! pure scoring behind 得分率, composites and rankings ([`score`]).
//!
//! Nothing here is particular to the evaluation office: an alley patrol is a round over points
//! of one type answered against the clauses that apply to that type, scored by the same rules.

pub mod point;
pub mod questionnaire;
pub mod relevant;
pub mod review;
pub mod round;
pub mod score;
pub mod system;
pub mod table;

pub use questionnaire::{AnswerValue, Estimate, Form, Moments, ScoredResponse};
pub use point::{InspectionPoint, Location, NewPoint, PointType};
pub use round::{Answer, Candidate, Check, NewRound, Outcome, Rectification, Round, SamplingLevel, SamplingPlan, Scored, draw};
pub use score::{Composite, RegionScore, Tally};
pub use system::{Category, Clause, IndicatorSystem, Item, Method, MethodWeights, PlatformMetric, ScoringRule};
