//! orglearn: an agent-based simulator of how a whole school system learns.
pub mod calibrate;

/// The version with the git commit it was built from, and `modified` when
/// the working tree had uncommitted changes (see `build.rs`).
pub const VERSION: &str = env!("ORGLEARN_VERSION");

pub mod charts;
pub mod cli;
pub mod landscape;
pub mod model;
pub mod network;
pub mod outdir;
pub mod output;
pub mod params;
pub mod provenance;
pub mod reference;
pub mod report;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod schema;
pub mod serve;
pub mod stats;
pub mod sweep;
pub mod validation;
