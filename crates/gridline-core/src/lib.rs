//! The pure domain of gridline: no I/O, no async. Everything here is decided from its inputs,
//! so the workflow, the clocks and the rules can be tested exhaustively.
#![forbid(unsafe_code)]

pub mod actor;
pub mod attachment;
pub mod alley;
pub mod calendar;
pub mod campaign;
pub mod case;
pub mod case_map;
pub mod catalogue;
pub mod crosswalk;
pub mod error;
pub mod evaluation;
pub mod hotspots;
pub mod labels;
pub mod message;
pub mod ids;
pub mod ledger;
pub mod period;
pub mod ranking;
pub mod rates;
pub mod reference;
pub mod region;
pub mod rollup;
pub mod routing;
pub mod sla;
pub mod supervision;
pub mod unit;
pub mod workflow;

pub use error::{DomainError, FileProblem};
pub use message::{Lang, Reason};
pub use ids::{CaseId, CategoryCode, RegionCode, UnitCode};
