//! The run report (`report.html`) and pictures of the network, written
//! after a run from its finished results.

use std::path::{Path, PathBuf};

use crate::output::OutputError;
use crate::runner::Results;
use crate::scenario::Scenario;
use crate::stats::Summary;

/// Everything a report may draw on.
pub struct ReportInputs<'a> {
    pub dir: &'a Path,
    pub scenario: &'a Scenario,
    pub results: &'a Results,
    /// `[strategy][year][indicator]` summaries across replicates.
    pub years: &'a [Vec<Vec<Summary>>],
    pub manifest: &'a serde_json::Value,
    pub draw_charts: bool,
}

/// Write the report and pictures; returns the files written.
pub fn write(_inp: &ReportInputs) -> Result<Vec<PathBuf>, OutputError> {
    Ok(Vec::new())
}
