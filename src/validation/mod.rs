//! Validation models: published models of organisational learning rebuilt
//! from orglearn's parts (practice bit vectors, landscapes, networks, keyed
//! streams, outputs, charts), runnable as built-in scenarios.

use anyhow::Result;

use crate::cli::RunArgs;

/// Does this scenario argument name a validation model (a built-in name or
/// a file whose top-level `model` key names one)?
pub fn is_validation(_arg: Option<&str>) -> bool {
    false
}

/// Run a validation model from the command line.
pub fn run(_args: &RunArgs) -> Result<()> {
    anyhow::bail!("no validation model is built in")
}
