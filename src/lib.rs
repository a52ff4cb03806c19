//! orglearn: an agent-based simulator of how a whole school system learns.
pub mod charts;
pub mod cli;
pub mod landscape;
pub mod model;
pub mod network;
pub mod output;
pub mod params;
pub mod report;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod serve;
pub mod stats;
pub mod sweep;
pub mod validation;
