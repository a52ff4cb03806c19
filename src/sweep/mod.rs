//! Parameter sweeps and sensitivity analysis: plan, run (resumable,
//! shardable), merge and analyse.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// `orglearn sweep`.
#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Sweep file, or the name of a built-in sweep (see `orglearn list`).
    pub sweep: String,
    /// Output folder (default: `out/<sweep name>/`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `orglearn merge`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Shard output folders.
    pub dirs: Vec<PathBuf>,
}

/// `orglearn analyze`.
#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// A sweep's output folder.
    pub dir: PathBuf,
}

pub fn sweep(_a: SweepArgs) -> Result<()> {
    anyhow::bail!("sweeps are not available yet")
}

pub fn merge(_a: MergeArgs) -> Result<()> {
    anyhow::bail!("merge is not available yet")
}

pub fn analyze(_a: AnalyzeArgs) -> Result<()> {
    anyhow::bail!("analyze is not available yet")
}
