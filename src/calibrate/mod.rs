//! `orglearn calibrate`: fit a scenario to an observed series with ABC-SMC,
//! report the posterior honestly, and forecast strategies from it.
//!
//! [`spec`] reads the calibration file and its CSV; [`abc`] is the
//! sampler (pure); [`engine`] runs it against the simulator with a journal
//! and resume; [`summary`] turns a posterior into numbers and words (pure);
//! [`chart`] draws the posterior predictive chart; [`forecast`] compares
//! strategies from posterior draws. This file is the command: it drives the
//! others and writes the outputs.

pub mod abc;
pub mod chart;
pub mod engine;
pub mod forecast;
pub mod spec;
pub mod summary;

pub use spec::Calibration;

use anyhow::{Context, Result, bail};
use clap::Args;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::output::atomic_write;
use engine::{Fit, Progress};
use summary::{Bands, Diagnosis, ParamSummary};

const EXAMPLES: &str = "\
Examples:
  orglearn calibrate calibrations/ks2-maths.toml             # fit, report, chart
  orglearn calibrate ks2-maths --forecast                    # shipped example, then strategy forecasts
  orglearn calibrate calibrations/synthetic.toml --threads 2
  orglearn calibrate ks2-maths --resume                      # finish an interrupted calibration";

/// `orglearn calibrate`.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct CalibrateArgs {
    /// Calibration file, or the name of a shipped one (`ks2-maths`, `synthetic`).
    pub calibration: String,
    /// Output folder (default: `out/calibrate-<name>/`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Continue an interrupted calibration in the output folder.
    #[arg(long)]
    pub resume: bool,
    /// Discard a calibration already in the output folder and start again.
    #[arg(long, conflicts_with = "resume")]
    pub fresh: bool,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Also run the scenario's other strategies from posterior draws and
    /// give the probability that each beats the calibrated one.
    #[arg(long)]
    pub forecast: bool,
    /// Year of the forecast comparison (default: the scenario's `years`).
    #[arg(long, value_name = "Y")]
    pub forecast_year: Option<u32>,
    /// Posterior draws for the forecast.
    #[arg(long, default_value_t = 40, value_name = "N")]
    pub draws: usize,
    /// Skip the hold-out check even if the calibration file asks for one.
    #[arg(long)]
    pub no_holdout: bool,
    /// No progress: only errors and the summary.
    #[arg(long, short)]
    pub quiet: bool,
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
    // A second Ctrl-C ends the program at once.
    // SAFETY: signal() is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
}

fn catch_interrupt() {
    // SAFETY: the handler only stores to an atomic and resets the handler.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}

fn say(quiet: bool, s: &str) {
    if !quiet {
        let _ = writeln!(std::io::stdout(), "{s}");
    }
}

/// The command.
pub fn calibrate(a: CalibrateArgs) -> Result<()> {
    let (cal, text) = Calibration::open(&a.calibration)?;
    if a.threads == Some(0) {
        bail!("--threads must be at least 1 (leave it out to use every core)");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(format!("calibrate-{}", cal.name)));
    if engine::has_state(&out) && !a.resume {
        if a.fresh {
            for sub in ["generations", "holdout"] {
                let _ = std::fs::remove_dir_all(out.join(sub));
            }
            let _ = std::fs::remove_file(out.join("state.json"));
        } else {
            bail!(
                "{} already holds a calibration: pass --resume to continue it, or --fresh to start again",
                out.display()
            );
        }
    }
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    catch_interrupt();
    let quiet = a.quiet;
    let show = |label: &'static str| {
        let tty = std::io::stderr().is_terminal();
        move |p: Progress| {
            if quiet {
                return;
            }
            match p {
                Progress::Proposal {
                    generation,
                    done,
                    total,
                } if tty => {
                    eprint!("\r{label}generation {generation}: {done}/{total} proposals   ");
                }
                Progress::Proposal { .. } => {}
                Progress::Generation { info, eta } => {
                    eprintln!(
                        "\r{label}generation {}: tolerance {:.3}, acceptance {:.0}%, {} simulations, {:.1} simulations/s, ETA to the budget {}",
                        info.generation,
                        info.tolerance,
                        info.acceptance * 100.0,
                        info.simulations,
                        info.simulations as f64 / info.seconds.max(1e-9),
                        minutes(eta)
                    );
                }
            }
        }
    };
    let n_obs = cal.observed.years.len();
    let fit = pool.install(|| engine::run(&cal, &text, n_obs, &out, a.resume, &STOP, &show("")))?;
    let holdout = if cal.holdout > 0 && !a.no_holdout {
        let dir = out.join("holdout");
        let k = n_obs - cal.holdout;
        let resume = a.resume || engine::has_state(&dir);
        let f =
            pool.install(|| engine::run(&cal, &text, k, &dir, resume, &STOP, &show("hold-out: ")))?;
        Some(f)
    } else {
        None
    };
    let forecast = if a.forecast {
        let year = a.forecast_year.unwrap_or(cal.base.run.years);
        if year == 0 || year > 200 {
            bail!("--forecast-year must be from 1 to 200");
        }
        say(
            quiet,
            &format!(
                "forecast: {} posterior draws x {} runs of every strategy to year {year} ...",
                a.draws, cal.abc.runs
            ),
        );
        Some((
            year,
            pool.install(|| {
                forecast::forecast(&cal, &fit.population, year, a.draws, cal.abc.runs)
            })?,
        ))
    } else {
        None
    };
    let report = Report::new(&cal, &fit, holdout.as_ref());
    report.write(&out, forecast.as_ref())?;
    let _ = writeln!(std::io::stdout(), "{}", report.text(forecast.as_ref()));
    say(
        quiet,
        &format!(
            "Wrote {}/posterior.csv, calibration.md, predictive.png{}",
            out.display(),
            if forecast.is_some() {
                ", forecast.csv"
            } else {
                ""
            }
        ),
    );
    Ok(())
}

fn minutes(s: f64) -> String {
    if !s.is_finite() {
        return "unknown".into();
    }
    let s = s.max(0.0).round() as u64;
    if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// Everything the outputs say.
pub struct Report<'a> {
    pub cal: &'a Calibration,
    pub fit: &'a Fit,
    pub params: Vec<ParamSummary>,
    pub warnings: Vec<String>,
    pub bands: Bands,
    pub rmse: f64,
    pub diagnosis: Diagnosis,
    /// Held-out points inside the hold-out fit's 90% band, of how many, and its bands.
    pub holdout: Option<(usize, usize, Bands)>,
}

fn bands_of(cal: &Calibration, pop: &[abc::Particle]) -> Bands {
    summary::predictive(
        pop,
        &cal.observed.se,
        cal.priors.len(),
        cal.offset.is_some(),
        cal.scale.is_some(),
        cal.abc.runs,
        cal.seed,
        4000,
    )
}

impl<'a> Report<'a> {
    pub fn new(cal: &'a Calibration, fit: &'a Fit, holdout: Option<&Fit>) -> Report<'a> {
        let pop = &fit.population;
        let params = summary::summarise(pop, &cal.all_priors());
        let warnings = summary::warnings(pop, &params);
        let bands = bands_of(cal, pop);
        let n = cal.observed.years.len();
        let rmse = summary::rmse(&cal.observed.values, &bands, 0..n);
        let diagnosis = summary::diagnose(&cal.observed.values, &cal.observed.se, &bands, n);
        let holdout = holdout.map(|h| {
            let b = bands_of(cal, &h.population);
            let k = n - cal.holdout;
            (
                summary::inside90(&cal.observed.values, &b, k..n),
                cal.holdout,
                b,
            )
        });
        Report {
            cal,
            fit,
            params,
            warnings,
            bands,
            rmse,
            diagnosis,
            holdout,
        }
    }

    fn scale_far(&self) -> Option<&ParamSummary> {
        self.params
            .iter()
            .find(|p| p.key == "scale" && (p.hi < 0.8 || p.lo > 1.25))
    }

    /// The plain-language paragraph.
    pub fn paragraph(&self) -> String {
        let c = self.cal;
        let d = &self.diagnosis;
        let mut s = format!(
            "The {} strategy of `{}` was fitted to {} observed values of {} ({}-{}) by ABC-SMC: {} generations, {} simulations ({}). ",
            c.strategy,
            c.scenario,
            c.observed.years.len(),
            c.indicator,
            c.observed.years[0],
            c.observed.years.last().unwrap_or(&0),
            self.fit.generations.len(),
            self.fit.generations.last().map_or(0, |g| g.simulations),
            self.fit.stopped
        );
        if d.fits {
            s += &format!(
                "The model reproduces the series within its noise: {} of {} points lie inside the 90% posterior predictive band, and the fit's RMSE is {:.2} points. ",
                d.inside, d.fitted, self.rmse
            );
        } else {
            s += &format!(
                "The model cannot reproduce the series within its noise: {} of {} points lie inside the 90% posterior predictive band (RMSE {:.2} points){}. ",
                d.inside,
                d.fitted,
                self.rmse,
                if d.misses.is_empty() {
                    String::new()
                } else {
                    format!(", but it misses the {}", d.misses.join("; and the "))
                }
            );
        }
        let identified: Vec<String> = self
            .params
            .iter()
            .filter(|p| p.contraction >= summary::WEAK_CONTRACTION)
            .map(|p| {
                format!(
                    "{} (median {}, 90% interval {} to {})",
                    p.label,
                    num(p.median),
                    num(p.lo),
                    num(p.hi)
                )
            })
            .collect();
        let weak: Vec<&str> = self
            .params
            .iter()
            .filter(|p| p.contraction < summary::WEAK_CONTRACTION)
            .map(|p| p.label.as_str())
            .collect();
        if identified.is_empty() {
            s += "The series identifies none of the parameters: every posterior is close to its prior. ";
        } else {
            s += &format!("The series pins down {}. ", identified.join(", "));
        }
        if !weak.is_empty() {
            s += &format!("It says little about {}. ", weak.join(", "));
        }
        if let Some(p) = self.scale_far() {
            s += &format!(
                "The fit needs an observation scale far from 1 (90% interval {} to {}): the model's movements are of the wrong size, and a scale is no substitute for the mechanism that would produce them. ",
                num(p.lo),
                num(p.hi)
            );
        }
        if let Some((inside, k, _)) = &self.holdout {
            s += &format!(
                "Fitted to all but the last {k} years, the model's 90% band holds {inside} of those {k} held-out points."
            );
        }
        s.trim_end().to_string()
    }

    /// The summary printed after a calibration.
    pub fn text(&self, forecast: Option<&(u32, Vec<forecast::Beat>)>) -> String {
        let mut head = vec!["parameter".to_string()];
        head.extend(["median", "90% interval", "contraction", "prior"].map(String::from));
        let priors = self.cal.all_priors();
        let rows: Vec<Vec<String>> = self
            .params
            .iter()
            .zip(&priors)
            .map(|(p, pr)| {
                vec![
                    p.label.clone(),
                    num(p.median),
                    format!("{} to {}", num(p.lo), num(p.hi)),
                    format!("{:.2}", p.contraction),
                    pr.describe(),
                ]
            })
            .collect();
        let mut s = format!(
            "Posterior of {} ({} particles; 90% credible intervals; contraction = 1 - posterior variance / prior variance)\n{}",
            self.cal.name,
            self.fit.population.len(),
            crate::output::text_table("  ", &head, &rows)
        );
        for w in &self.warnings {
            s += &format!("warning: {w}\n");
        }
        s += &format!("\n{}\n", self.paragraph());
        if let Some((year, beats)) = forecast {
            s += &format!("\n{}", forecast_text(self.cal, *year, beats));
        }
        s
    }

    /// Write posterior.csv, calibration.md, predictive.png (and forecast.csv).
    pub fn write(&self, out: &Path, forecast: Option<&(u32, Vec<forecast::Beat>)>) -> Result<()> {
        let priors = self.cal.all_priors();
        let total: f64 = self.fit.population.iter().map(|p| p.weight).sum();
        atomic_write(&out.join("posterior.csv"), |w| {
            let keys: Vec<&str> = priors.iter().map(|p| p.key.as_str()).collect();
            writeln!(w, "particle,generation,weight,distance,{}", keys.join(","))?;
            for (i, p) in self.fit.population.iter().enumerate() {
                let th: Vec<String> = p.theta.iter().map(f64::to_string).collect();
                writeln!(
                    w,
                    "{i},{},{},{},{}",
                    p.born,
                    p.weight / total,
                    p.distance,
                    th.join(",")
                )?;
            }
            Ok(())
        })?;
        let c = self.cal;
        let fitted = c.observed.years.len();
        let subtitle = format!(
            "Bands: 50% and 90% posterior predictive intervals ({} particles; noise included). RMSE {:.2} points.",
            self.fit.population.len(),
            self.rmse
        );
        let title = format!(
            "{}: {} of {}, observed and fitted",
            c.name, c.indicator, c.strategy
        );
        chart::draw(
            &chart::Predictive {
                title: &title,
                subtitle: &subtitle,
                y_label: c.indicator.as_str(),
                years: &c.observed.years,
                observed: &c.observed.values,
                se: &c.observed.se,
                bands: &self.bands,
                fitted,
            },
            &out.join("predictive.png"),
        )
        .map_err(|e| {
            anyhow::anyhow!("cannot draw {}: {e}", out.join("predictive.png").display())
        })?;
        if let Some((_, _, b)) = &self.holdout {
            let sub = format!(
                "Fitted to the first {} years only; hollow points were held out. Bands: 50% and 90% posterior predictive intervals.",
                fitted - c.holdout
            );
            let t = format!("{}: hold-out check", c.name);
            chart::draw(
                &chart::Predictive {
                    title: &t,
                    subtitle: &sub,
                    y_label: c.indicator.as_str(),
                    years: &c.observed.years,
                    observed: &c.observed.values,
                    se: &c.observed.se,
                    bands: b,
                    fitted: fitted - c.holdout,
                },
                &out.join("holdout.png"),
            )
            .map_err(|e| anyhow::anyhow!("cannot draw the hold-out chart: {e}"))?;
        }
        if let Some((year, beats)) = forecast {
            atomic_write(&out.join("forecast.csv"), |w| {
                writeln!(
                    w,
                    "strategy,indicator,year,p_beats_calibrated,ci95_low,ci95_high,paired_runs"
                )?;
                for b in beats {
                    writeln!(
                        w,
                        "{},{},{year},{},{},{},{}",
                        b.strategy, b.indicator, b.p, b.lo, b.hi, b.n
                    )?;
                }
                Ok(())
            })?;
        }
        let md = self.markdown(forecast);
        atomic_write(&out.join("calibration.md"), |w| w.write_all(md.as_bytes()))?;
        Ok(())
    }

    /// The report section (Markdown).
    pub fn markdown(&self, forecast: Option<&(u32, Vec<forecast::Beat>)>) -> String {
        let c = self.cal;
        let mut s = format!("## Calibration: {}\n\n{}\n\n", c.name, self.paragraph());
        s += "| parameter | prior | median | 90% credible interval | contraction |\n|---|---|---:|---:|---:|\n";
        for (p, pr) in self.params.iter().zip(c.all_priors()) {
            s += &format!(
                "| {} | {} | {} | {} to {} | {:.2} |\n",
                p.label,
                pr.describe(),
                num(p.median),
                num(p.lo),
                num(p.hi),
                p.contraction
            );
        }
        if !self.warnings.is_empty() {
            s += "\nWarnings:\n\n";
            for w in &self.warnings {
                s += &format!("- {w}\n");
            }
        }
        s += &format!(
            "\nFit: RMSE {:.2} points over {} years; {} of {} observed points inside the 90% posterior predictive band. The model {} (rule: at least {:.0}% of points inside the band and no feature missing by more than two predictive standard deviations).\n",
            self.rmse,
            c.observed.years.len(),
            self.diagnosis.inside,
            self.diagnosis.fitted,
            if self.diagnosis.fits {
                "fits"
            } else {
                "does not fit"
            },
            summary::FIT_COVERAGE * 100.0
        );
        for m in &self.diagnosis.misses {
            s += &format!("- misses the {m}\n");
        }
        s += "\n| year | observed | se | model median | 50% band | 90% band |\n|---:|---:|---:|---:|---:|---:|\n";
        for t in 0..c.observed.years.len() {
            let b = &self.bands;
            s += &format!(
                "| {} | {:.1} | {:.1} | {:.1} | {:.1} to {:.1} | {:.1} to {:.1} |\n",
                c.observed.years[t],
                c.observed.values[t],
                c.observed.se[t],
                b.median[t],
                b.lo50[t],
                b.hi50[t],
                b.lo90[t],
                b.hi90[t]
            );
        }
        s += "\n| generation | tolerance | acceptance | simulations |\n|---:|---:|---:|---:|\n";
        for g in &self.fit.generations {
            s += &format!(
                "| {} | {:.3} | {:.0}% | {} |\n",
                g.generation,
                g.tolerance,
                g.acceptance * 100.0,
                g.simulations
            );
        }
        s += "\n![Posterior predictive](predictive.png)\n";
        if let Some((year, beats)) = forecast {
            s += &format!(
                "\n### Strategy forecasts\n\n{}",
                forecast_text(c, *year, beats)
            );
        }
        s
    }
}

fn forecast_text(cal: &Calibration, year: u32, beats: &[forecast::Beat]) -> String {
    let mut s = format!(
        "Forecast at year {year}: P(strategy beats {} on the indicator), the share of paired runs (posterior draws x runs, common random numbers) in which it does better, with its Wilson 95% interval:\n",
        cal.strategy
    );
    for b in beats {
        s += &format!(
            "  P({} beats {} on the {} by year {year}) = {:.2} (95% interval {:.2} to {:.2}, {} paired runs): {}\n",
            b.strategy,
            cal.strategy,
            b.label,
            b.p,
            b.lo,
            b.hi,
            b.n,
            forecast::verdict(b)
        );
    }
    s
}

/// A number with three significant digits.
fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}
