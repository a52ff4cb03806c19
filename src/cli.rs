//! The command line: parse, dispatch, and turn results into files and a
//! table. `main` only maps the `Result` of [`main_with_args`] to an exit code.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use crate::output;
use crate::params::PRESETS;
use crate::reference;
use crate::runner;
use crate::scenario::{self, Scenario};

/// Print a line to stdout; a closed pipe (`orglearn list | head`) is not an error.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// Print to stdout without a newline, ignoring a closed pipe.
macro_rules! say_raw {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

const EXAMPLES: &str = "\
Examples:
  orglearn run                       # built-in default: ~100 schools, 6 strategies
  orglearn run my-authority.toml --out results
  orglearn run default --replicates 50 --threads 2
  orglearn run default --set network.kind=ring --set levers.cpd_hours=70
  orglearn run default --set strategy.cascade.pressure=0.4
  orglearn check my-authority.toml   # validate without running
  orglearn list                      # built-in scenarios and presets
  orglearn levers                    # every key a scenario file may set";

const CHECK_EXAMPLES: &str = "\
Examples:
  orglearn check                         # the built-in default
  orglearn check my-authority.toml
  orglearn check burnham --set network.kind=ring";

const LIST_EXAMPLES: &str = "\
Examples:
  orglearn list
  orglearn list --format json | jq '.scenarios[].name'";

const LEVERS_EXAMPLES: &str = "\
Examples:
  orglearn levers                        # plain text
  orglearn levers --format markdown      # the README's tables
  orglearn levers --format csv > levers.csv
  orglearn levers --format json | jq '.[] | select(.section == \"network\") | .key'";

const MERGE_EXAMPLES: &str = "\
Examples:
  orglearn merge out/sobol-main/shard-*
  orglearn merge shard-1 shard-2 --out out/combined";

const ANALYZE_EXAMPLES: &str = "\
Examples:
  orglearn analyze out/sobol-main                   # the sweep's own output
  orglearn analyze out/sobol-main --indicator gap --year 5
  orglearn analyze out/sobol-main --minus none --bootstrap 2000";

const SCHEMA_EXAMPLES: &str = "\
Examples:
  orglearn schema scenario > scenario.schema.json  # first TOML line: #:schema scenario.schema.json
  orglearn schema sweep > sweep.schema.json
  orglearn schema schools                          # the schools file's columns";

const INIT_EXAMPLES: &str = "\
Examples:
  orglearn init burnham --out my-authority.toml   # edit it, then run it
  orglearn run my-authority.toml
  orglearn init smoke --out my-sweep.toml         # a built-in sweep
  orglearn init march1991                         # print a validation model";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  orglearn completions bash > ~/.local/share/bash-completion/completions/orglearn
  orglearn completions zsh > ~/.zfunc/_orglearn
  orglearn completions fish > ~/.config/fish/completions/orglearn.fish";

const SERVE_EXAMPLES: &str = "\
Examples:
  orglearn serve                         # the default scenario on http://127.0.0.1:8080/
  orglearn serve burnham --port 0        # any free port
  orglearn serve --listen 0.0.0.0:8080   # other computers, with the printed token";

const MAN_EXAMPLES: &str = "\
Examples:
  orglearn man > orglearn.1 && man ./orglearn.1
  orglearn man --out man/                # one page per subcommand";

/// orglearn: simulate how a school system learns under top-down cascade,
/// school-based enquiry and lateral networks, and compare the strategies.
#[derive(Parser, Debug)]
#[command(name = "orglearn", version = crate::VERSION, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Output formats of `orglearn levers`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeversFormat {
    Text,
    Markdown,
    Json,
    Csv,
}

/// Output formats of `orglearn list`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
}

/// The files `orglearn schema` describes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaKind {
    /// A scenario file (JSON Schema).
    Scenario,
    /// A sweep file (JSON Schema).
    Sweep,
    /// The schools CSV file (a Frictionless Table Schema).
    Schools,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario: every strategy on the same simulated authority, with replicates.
    #[command(after_help = EXAMPLES)]
    Run(RunArgs),
    /// Validate a scenario (file or built-in name) without running it.
    #[command(after_help = CHECK_EXAMPLES)]
    Check {
        /// Scenario file or built-in name (default: the built-in `default`).
        scenario: Option<String>,
        /// Override a key by its dotted path, e.g. `network.kind=ring` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// List the built-in scenarios, validation models, sweeps and strategy presets.
    #[command(after_help = LIST_EXAMPLES)]
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Run a parameter sweep (plan first, then run; resumable and shardable).
    Sweep(crate::sweep::SweepArgs),
    /// Combine the outputs of a sweep's shards.
    #[command(after_help = MERGE_EXAMPLES)]
    Merge(crate::sweep::MergeArgs),
    /// Sensitivity analysis (Sobol or Morris) of a finished sweep.
    #[command(after_help = ANALYZE_EXAMPLES)]
    Analyze(crate::sweep::AnalyzeArgs),
    /// Fit a scenario to an observed series (ABC-SMC) and forecast strategies from the posterior.
    Calibrate(crate::calibrate::CalibrateArgs),
    /// Serve a live page on this computer: move levers, watch the ensemble of runs arrive.
    #[command(after_help = SERVE_EXAMPLES)]
    Serve {
        /// Scenario file or built-in name (default: the built-in `default`).
        scenario: Option<String>,
        /// Port on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Listen on another address (e.g. 0.0.0.0:8080); a non-loopback
        /// address needs the access token printed in the URL.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Worker threads (default: all cores).
        #[arg(long, value_name = "T")]
        threads: Option<usize>,
    },
    /// Print every scenario key with its default, range, unit and source.
    #[command(after_help = LEVERS_EXAMPLES)]
    Levers {
        /// Output format.
        #[arg(long, value_enum, default_value_t = LeversFormat::Text)]
        format: LeversFormat,
        /// Print as Markdown tables (as in the README); the same as `--format markdown`.
        #[arg(long, conflicts_with = "format")]
        markdown: bool,
    },
    /// Print the JSON Schema of scenario or sweep files, or the schools file's columns.
    #[command(after_help = SCHEMA_EXAMPLES)]
    Schema {
        /// Which file to describe.
        #[arg(value_enum, default_value_t = SchemaKind::Scenario)]
        kind: SchemaKind,
    },
    /// Write a built-in scenario, validation model or sweep as a TOML file to start from.
    #[command(after_help = INIT_EXAMPLES)]
    Init {
        /// The built-in's name (see `orglearn list`).
        name: String,
        /// File to write (default: print to standard output). An existing file is not replaced.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print a shell completion script.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command into a folder.
    #[command(after_help = MAN_EXAMPLES)]
    Man {
        /// Write `orglearn.1` and `orglearn-COMMAND.1` pages into this folder.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file, or the name of a built-in scenario (see `orglearn list`). Default: `default`.
    pub scenario: Option<String>,
    /// Output folder (default: `out/<scenario name>/`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Number of replicates (overrides the scenario's `replicates`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub replicates: Option<u32>,
    /// Master seed (overrides the scenario's `seed`).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Override any scenario key by its dotted path, e.g. `network.kind=ring`,
    /// `levers.pressure=0.5` (every strategy, over its preset), `strategy.cascade.fidelity=0.9`
    /// (repeatable; later assignments win).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Also write `schools.csv` (one row per strategy, replicate, step and school).
    #[arg(long)]
    pub per_school: bool,
    /// No progress bar and no table: only errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not draw charts (nor the network pictures, which need runs replayed).
    #[arg(long)]
    pub no_charts: bool,
    /// Skip the report's robustness check of the headline (variations of
    /// the uncertain levers; see `robustness_points`).
    #[arg(long)]
    pub no_robustness: bool,
}

impl RunArgs {
    /// The runner's options from the command line.
    pub fn options(self) -> runner::RunOptions {
        runner::RunOptions {
            scenario: self.scenario,
            out: self.out,
            replicates: self.replicates,
            seed: self.seed,
            threads: self.threads,
            set: self.set,
            per_school: self.per_school,
            quiet: self.quiet,
            no_charts: self.no_charts,
            no_robustness: self.no_robustness,
        }
    }
}

/// Parse `args` and run the command.
pub fn main_with_args<I, T>(args: I) -> Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::parse_from(args);
    match cli.command {
        Command::Run(a) => run(a.options()),
        Command::Check { scenario, set } => check(scenario.as_deref(), &set),
        Command::List { format } => {
            match format {
                ListFormat::Text => list(),
                ListFormat::Json => say!("{:#}", crate::reference::list_json()),
            }
            Ok(())
        }
        Command::Sweep(a) => crate::sweep::sweep(a),
        Command::Merge(a) => crate::sweep::merge(a),
        Command::Analyze(a) => crate::sweep::analyze(a),
        Command::Calibrate(a) => crate::calibrate::calibrate(a),
        Command::Serve {
            scenario,
            port,
            listen,
            threads,
        } => {
            let server =
                crate::serve::Server::start(scenario.as_deref(), port, listen.as_deref(), threads)?;
            say!("orglearn serve: open {} (Ctrl-C to stop)", server.url());
            server.serve();
            Ok(())
        }
        Command::Levers { format, markdown } => {
            let format = if markdown {
                LeversFormat::Markdown
            } else {
                format
            };
            match format {
                LeversFormat::Text => say_raw!("{}", reference::levers_reference(false)),
                LeversFormat::Markdown => say_raw!("{}", reference::levers_reference(true)),
                LeversFormat::Json => say!("{:#}", reference::levers_json()),
                LeversFormat::Csv => say_raw!("{}", reference::levers_csv()?),
            }
            Ok(())
        }
        Command::Schema { kind } => {
            let s = match kind {
                SchemaKind::Scenario => crate::schema::scenario_schema(),
                SchemaKind::Sweep => crate::schema::sweep_schema(),
                SchemaKind::Schools => crate::schema::schools_schema(),
            };
            say!("{s:#}");
            Ok(())
        }
        Command::Init { name, out } => {
            let text = crate::scenario::builtin::any_builtin(&name)?;
            match out {
                None => say_raw!("{text}"),
                Some(path) => {
                    if path.exists() {
                        bail!(
                            "{} already exists; choose another --out, or remove the file first",
                            path.display()
                        );
                    }
                    output::atomic_write(&path, |w| w.write_all(text.as_bytes()))?;
                    say!("Wrote {} (built-in `{name}`)", path.display());
                }
            }
            Ok(())
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "orglearn", &mut std::io::stdout());
            Ok(())
        }
        Command::Man { out } => man(out.as_deref()),
    }
}

fn check(arg: Option<&str>, sets: &[String]) -> Result<()> {
    if crate::validation::is_validation(arg) {
        return crate::validation::check(arg.unwrap_or_default(), sets);
    }
    let sc = Scenario::open(arg, sets)?;
    scenario::check_memory(&sc, rayon::current_num_threads())?;
    // Building replicate 0's world reads any schools or edge file.
    let w = runner::world(&sc, 0)?;
    // Authority tables must name the world's authorities.
    runner::mixes(&sc, &w, 0)?;
    say!(
        "{}: ok — {} strateg{} ({}), {} replicates, {} years; {} schools in {} authorit{}, {} teachers, {} network edges (replicate 0)",
        sc.source,
        sc.strategies.len(),
        if sc.strategies.len() == 1 { "y" } else { "ies" },
        sc.strategies
            .iter()
            .map(|s| match s.groups.len() {
                0 => s.name.clone(),
                1 => format!("{} with 1 authority table", s.name),
                k => format!("{} with {k} authority tables", s.name),
            })
            .collect::<Vec<_>>()
            .join(", "),
        sc.run.replicates,
        sc.run.years,
        w.n_schools,
        w.n_authorities,
        if w.n_authorities == 1 { "y" } else { "ies" },
        w.n_teachers(),
        w.network.edges.len(),
    );
    Ok(())
}

fn list() {
    say!("Built-in scenarios (run with `orglearn run NAME`):");
    let b = scenario::builtin::builtins();
    let v = crate::validation::list_lines();
    let sw = crate::sweep::list_lines();
    let w = b
        .iter()
        .map(|(n, _)| n.len())
        .chain(v.iter().chain(&sw).map(|(n, _)| n.len()))
        .max()
        .unwrap_or(0);
    for (n, d) in b {
        say!("  {n:w$}  {d}");
    }
    say!("\nValidation models (published models, run with `orglearn run NAME`):");
    for (n, d) in v {
        say!("  {n:w$}  {d}");
    }
    say!("\nBuilt-in sweeps (run with `orglearn sweep NAME`):");
    for (n, d) in sw {
        say!("  {n:w$}  {d}");
    }
    say!("\nStrategy presets (use in a scenario as `[[strategy]] preset = \"NAME\"`):");
    for (n, d) in PRESETS {
        say!("  {n:18}  {d}");
    }
}

/// The manual page of `orglearn` (to stdout), or of it and every
/// subcommand (into `dir`).
fn man(dir: Option<&Path>) -> Result<()> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let Some(dir) = dir else {
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut buf)?;
        say_raw!("{}", String::from_utf8_lossy(&buf));
        return Ok(());
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let mut pages = vec![("orglearn".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands() {
        let page = sub
            .clone()
            .display_name(format!("orglearn-{}", sub.get_name()))
            .bin_name(format!("orglearn {}", sub.get_name()));
        pages.push((format!("orglearn-{}", sub.get_name()), page));
    }
    for (name, page) in pages {
        let mut buf = Vec::new();
        clap_mangen::Man::new(page)
            .title(name.clone())
            .source(format!("orglearn {}", crate::VERSION))
            .render(&mut buf)?;
        let path = dir.join(format!("{name}.1"));
        output::atomic_write(&path, |w| w.write_all(&buf))?;
    }
    say!(
        "Wrote {} manual pages into {}",
        cmd.get_subcommands().count() + 1,
        dir.display()
    );
    Ok(())
}

fn run(a: runner::RunOptions) -> Result<()> {
    if crate::validation::is_validation(a.scenario.as_deref()) {
        return crate::validation::run(&a);
    }
    let started = SystemTime::now();
    let t0 = Instant::now();
    let mut sc = Scenario::open(a.scenario.as_deref(), &a.set)?;
    if let Some(r) = a.replicates {
        sc.run.replicates = r;
    }
    if let Some(s) = a.seed {
        sc.run.seed = s;
    }
    let pool = runner::thread_pool(a.threads)?;
    let nthreads = pool.current_num_threads();
    scenario::check_memory(&sc, nthreads)?;
    let target = a
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(&sc.run.name));
    let staged = crate::outdir::OutDir::begin(&target)?;
    let out_dir = staged.path().to_path_buf();
    let inputs = crate::provenance::scenario_inputs(&sc);

    let total = sc.strategies.len() * sc.run.replicates as usize;
    let bar = if !a.quiet && std::io::stderr().is_terminal() {
        let pb = indicatif::ProgressBar::new(total as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg} [{bar:40}] {pos}/{len} runs, {elapsed} elapsed, ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        pb.set_message(sc.run.name.clone());
        Some(pb)
    } else {
        None
    };
    let progress = |n: usize| {
        if let Some(pb) = &bar {
            pb.set_position(n as u64);
        }
    };
    let res = pool.install(|| runner::run(&sc, a.per_school, &progress))?;
    if let Some(pb) = &bar {
        pb.finish_and_clear();
    }

    // Charts and the report are drawn in the sized pool too: --threads bounds the whole run.
    let written = pool.install(|| {
        output::write_all(
            &out_dir,
            &sc,
            &res,
            &output::Provenance {
                command_line: std::env::args().collect(),
                started,
                wall_seconds: t0.elapsed().as_secs_f64(),
                threads: nthreads,
                inputs,
            },
            &output::WriteOptions {
                per_school: a.per_school,
                charts: !a.no_charts,
                robustness: !a.no_robustness,
            },
        )
    })?;
    let out_dir = staged.commit()?;
    if !a.quiet {
        print_table(&sc, &res, &written.years);
        say!(
            "\nWrote {}: indicators.csv, summary.csv{}{}, manifest.json{}{} ({:.1} s, {} threads)",
            out_dir.display(),
            if a.per_school { ", schools.csv" } else { "" },
            if written.groups { ", groups.csv" } else { "" },
            if written.charts == 0 {
                String::new()
            } else {
                format!(", {} charts (PNG and SVG)", written.charts / 2)
            },
            if written.report_files == 0 {
                String::new()
            } else {
                format!(", {} report files", written.report_files)
            },
            t0.elapsed().as_secs_f64(),
            nthreads
        );
    }
    Ok(())
}

fn print_table(sc: &Scenario, res: &runner::Results, ys: &[Vec<Vec<crate::stats::Summary>>]) {
    say!(
        "{} — {} run{}; mean [95% interval of the mean]; “80% of runs”: the range the middle 80% of runs fell in{}",
        sc.run.name,
        sc.run.replicates,
        if sc.run.replicates == 1 { "" } else { "s" },
        if sc.run.replicates < 2 {
            " (one run cannot support a comparison: no interval, —)"
        } else {
            ""
        }
    );
    let (head, rows) = output::headline_table(sc, res, ys);
    say_raw!("{}", output::text_table("", &head, &rows));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_help_has_examples() {
        use clap::CommandFactory;
        let mut cmd = Cli::command();
        for sub in cmd.get_subcommands_mut() {
            let help = sub.render_long_help().to_string();
            assert!(
                help.contains("Examples:"),
                "`orglearn {}` --help has no examples",
                sub.get_name()
            );
        }
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
