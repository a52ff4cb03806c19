//! Scenarios: reading, validating and resolving scenario files.
//!
//! A scenario file (TOML) is read once, here, into a [`Scenario`] of typed
//! parameter structs (`params`). Every error names the file, line, column
//! and key, and says what is allowed. The model never sees TOML.
//!
//! # File layout
//!
//! ```toml
//! name = "default"        # top level: the run levers (name, description, seed, years,
//! seed = 42               #   steps_per_year, replicates, burn_in_years, sustain_years)
//! [landscape]             # landscape levers (n, k, contexts, ...)
//! [schools]               # school levers (authorities, schools, staff_mean, ...)
//! [network]               # network levers (kind, cluster_size, ...)
//! [levers]                # strategy levers: the base of every strategy and of burn-in
//! socialisation = 0.3
//! [[strategy]]            # zero or more; none means the six presets in `PRESETS` order
//! preset = "cascade"      # required: one of `params::PRESETS`
//! name = "cascade (low)"  # optional, defaults to the preset name; names are unique
//! pressure = 0.4          # any strategy lever
//! [[strategy.authority]]  # zero or more per strategy: levers of some authorities
//! authorities = [2, 5]    # required: authority numbers (from 1) or schools-file names
//! preset = "enquiry"      # optional: start over from this preset instead of the strategy
//! name = "enquirers"      # optional label for the report
//! cpd_hours = 70          # any strategy lever
//! ```
//!
//! `orglearn levers` lists every key with its default, range and source.
//!
//! # Resolution
//!
//! A strategy's levers are `Levers::default()`, then the `[levers]` table,
//! then the keys its preset sets away from the defaults
//! (`params::preset_overrides`), then the strategy table's own keys. So a
//! preset beats `[levers]` (the cascade preset's pressure 0.8 stays 0.8
//! whatever `[levers]` says), and a strategy table beats its preset.
//!
//! An authority listed in one of a strategy's `[[strategy.authority]]`
//! tables runs that table's levers instead: the strategy's levers, then
//! the table's keys; or, when the table names a `preset`, the defaults,
//! `[levers]`, that preset, then the table's keys. Authorities not listed
//! run the strategy's levers. Burn-in is common to every strategy and
//! authority.
//!
//! # Validation
//!
//! Every problem is reported, one line each, as
//! `FILE:LINE:COLUMN: key `SECTION.KEY`: MESSAGE` ([`ScenarioError`]):
//! TOML syntax; unknown keys (with the nearest known key when one is
//! close); wrong types and out-of-range values (at the value); a strategy
//! table setting a lever of a mechanism the strategy switches off (the
//! `[levers]` table is exempt: it is a base for all strategies);
//! `upward_learning` outside a learned cascade; a missing or unknown
//! preset; duplicate strategy names; and cross-field rules: `k < n` (and
//! `k <= landscape::MAX_K`), `change_size <= focus_size <= n` for
//! strategies with enquiry, `initiative_size <= n` for strategies with a
//! cascade, `withdraw_year`, `relax_year`, `funding_end_year <= years`, an
//! even `sw_degree`, and `network.file` exactly when `kind = "file"`. A
//! cross-field problem points at the later of the keys involved, with a
//! message written for that key.
//!
//! # `--set`
//!
//! `KEY=VALUE` assignments change the scenario as if the file said so:
//! [`Scenario::from_str_with_sets`] and [`Scenario::load_with_sets`] apply
//! them to the parsed file before validation (so a `--set` may also repair
//! a value of the file), and [`Scenario::apply_set`] applies them to an
//! already resolved scenario. KEY is `years` (a top-level key),
//! `landscape.k`, `schools.schools`, `network.kind`, `levers.pressure` (the
//! base: every strategy is resolved again), `strategy.NAME.KEY` (NAME is a
//! strategy's name, or its position from 1) or `strategy.*.KEY` (every
//! strategy). VALUE is read as a TOML value, and as bare text when it is not
//! one or when the key takes text, so `network.kind=ring` needs no quotes.
//! A later assignment to the same key wins. `strategy.*.KEY` for a lever of
//! a mechanism (cascade, enquiry, lateral, upward) acts only on the
//! strategies that switch that mechanism on (and, for `upward_learning`,
//! use a learned cascade); it is an error if it acts on none. The same
//! validation applies after `--set`; its problems read
//! `--set #2 (network.kind=rng): key `network.kind`: MESSAGE`.
//!
//! # Built-in scenarios and memory
//!
//! [`builtin`] embeds the files of `scenarios/`; [`builtin::resolve`] turns
//! a command-line argument into a file or a built-in. [`estimate_memory_bytes`]
//! and [`check_memory`] refuse a scenario that would not fit in memory.

pub mod builtin;
mod error;
pub(crate) mod load;
mod memory;

pub use error::{Problem, ScenarioError};
pub use memory::{check_memory, estimate_memory_bytes};

use crate::params::{LandscapeParams, Levers, NetworkParams, RunParams, SchoolParams};
use std::path::{Path, PathBuf};

/// A fully resolved scenario: every lever has a value.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Scenario {
    pub run: RunParams,
    pub landscape: LandscapeParams,
    pub schools: SchoolParams,
    pub network: NetworkParams,
    /// The `[levers]` table applied over the built-in defaults: the base of every strategy and of burn-in.
    pub base: Levers,
    pub strategies: Vec<StrategySpec>,
    /// Where the scenario came from: a path, or `built-in:NAME`.
    pub source: String,
    /// Folder that relative file paths in the scenario are resolved against.
    #[serde(skip)]
    pub dir: Option<PathBuf>,
}

/// One strategy of a scenario.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StrategySpec {
    pub name: String,
    pub preset: String,
    /// Resolved levers: defaults, then `[levers]`, then the preset, then the strategy's own keys.
    pub levers: Levers,
    /// Keys the strategy table (or `--set strategy.NAME.KEY`) set explicitly.
    pub overrides: Vec<String>,
    /// Authorities that run levers of their own (`[[strategy.authority]]`);
    /// the others run `levers`.
    pub groups: Vec<GroupSpec>,
}

/// Authorities of a strategy that run levers of their own.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GroupSpec {
    /// A label for reports: the table's `name`, else "authorities 1, 2".
    pub name: String,
    /// Whether `name` was written in the table.
    pub named: bool,
    /// The authorities, by name (generated authorities are named `1`, `2`, ...).
    pub authorities: Vec<String>,
    /// The preset the group starts from, if it names one (else it builds on
    /// the strategy's levers).
    pub preset: Option<String>,
    /// Resolved levers.
    pub levers: Levers,
    /// Keys the table set explicitly.
    pub overrides: Vec<String>,
}

impl StrategySpec {
    /// Whether the strategy's own levers or any group's satisfy `f`.
    pub fn any(&self, f: impl Fn(&Levers) -> bool) -> bool {
        f(&self.levers) || self.groups.iter().any(|g| f(&g.levers))
    }

    /// The last year after which the strategy, or any group of its
    /// authorities, withdraws support (0: never).
    pub fn withdraw_year(&self) -> u32 {
        self.groups
            .iter()
            .map(|g| g.levers.withdraw_year)
            .fold(self.levers.withdraw_year, u32::max)
    }

    /// The lever set of each authority of `world`.
    ///
    /// # Errors
    /// If a group lists an authority the world does not have.
    pub fn mix(&self, world: &crate::model::World) -> Result<crate::model::Mix, String> {
        let mut sets = vec![self.levers.clone()];
        let mut of_authority = vec![0u16; world.n_authorities];
        for (k, g) in self.groups.iter().enumerate() {
            sets.push(g.levers.clone());
            for name in &g.authorities {
                let a = world
                    .auth_names
                    .iter()
                    .position(|n| n == name)
                    .ok_or_else(|| {
                        format!(
                            "strategy \"{}\" lists authority \"{name}\", which the schools do not have (they have {})",
                            self.name,
                            world.auth_names.join(", ")
                        )
                    })?;
                of_authority[a] = (k + 1) as u16;
            }
        }
        Ok(crate::model::Mix { sets, of_authority })
    }
}

impl Scenario {
    /// The levers burn-in runs with: `status-quo` on top of `[levers]`.
    pub fn burn_in_levers(&self) -> Levers {
        let mut l = self.base.clone();
        l.cascade = false;
        l.enquiry = false;
        l.lateral = false;
        l.upward = false;
        l
    }

    /// Read a scenario from TOML text. `origin` names it in messages (the
    /// path as the user gave it, or `built-in:NAME`) and becomes
    /// [`Scenario::source`]; `dir` is the folder relative paths are
    /// resolved against.
    pub fn from_str(
        text: &str,
        origin: &str,
        dir: Option<PathBuf>,
    ) -> Result<Scenario, ScenarioError> {
        load::from_text(text, origin, dir, &[])
    }

    /// [`Scenario::from_str`], with `--set` assignments applied to the
    /// file's contents before validation.
    pub fn from_str_with_sets(
        text: &str,
        origin: &str,
        dir: Option<PathBuf>,
        sets: &[String],
    ) -> Result<Scenario, ScenarioError> {
        load::from_text(text, origin, dir, sets)
    }

    /// Read a scenario file. Relative paths in it are resolved against its
    /// folder.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::load_with_sets(path, &[])
    }

    /// [`Scenario::load`], with `--set` assignments applied before
    /// validation.
    pub fn load_with_sets(path: &Path, sets: &[String]) -> Result<Scenario, ScenarioError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ScenarioError::general(&origin, format!("cannot read the scenario file: {e}"))
        })?;
        let dir = path.parent().map(|d| {
            if d.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                d.to_path_buf()
            }
        });
        load::from_text(&text, &origin, dir, sets)
    }

    /// Open what the command line names (a file, a built-in name, or `None`
    /// for the built-in `default`; see [`builtin::resolve`]) and apply
    /// `--set` assignments.
    pub fn open(arg: Option<&str>, sets: &[String]) -> Result<Scenario, ScenarioError> {
        let (origin, text, dir) = builtin::resolve(arg)?;
        load::from_text(&text, &origin, dir, sets)
    }

    /// Apply `--set` assignments (`KEY=VALUE`, see the module docs) to a
    /// resolved scenario: `levers.KEY` changes the base and resolves every
    /// strategy again, and the whole scenario is validated again. On error
    /// the scenario is left unchanged.
    pub fn apply_set(&mut self, assignments: &[String]) -> Result<(), ScenarioError> {
        *self = load::reapply(self, assignments)?;
        Ok(())
    }

    /// Total steps after burn-in.
    pub fn steps(&self) -> usize {
        (self.run.years * self.run.steps_per_year) as usize
    }
}
