//! The pure domain of gridline: no I/O, no async. Everything here is decided from its inputs,
//! so the workflow, the clocks and the rules can be tested exhaustively.
#![forbid(unsafe_code)]

pub mod actor;
pub mod calendar;
pub mod case;
pub mod catalogue;
pub mod error;
pub mod intake;
pub mod region;
pub mod sla;
pub mod unit;
pub mod workflow;

pub use error::DomainError;
