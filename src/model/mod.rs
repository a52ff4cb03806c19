//! The model: pure computation over a replicate's world.
//!
//! `world` builds the schools, landscape, network and hierarchy of one
//! replicate; `sim` holds the state and the dynamics of spec §3-4;
//! `indicators` names what is recorded (spec §7). Nothing here does I/O
//! beyond reading an optional schools or edge file while building a world,
//! and nothing here knows of TOML, plotters or the CLI.

pub mod bits;
pub mod indicators;
pub mod sim;
pub mod world;

pub use indicators::{N_IND, NAMES};
pub use sim::{
    Mix, Run, RunRecord, SchoolRow, Settings, State, burn_in, burn_in_taking, run_mix,
    run_mix_from, run_strategy,
};
pub use world::{World, WorldInputs, build_world};
