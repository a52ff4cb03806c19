//! Results of a sweep: the journal that records each run as it finishes,
//! and the tables made from it (`runs.csv`, `points.csv`).
//!
//! The journal (`journal.jsonl`) holds one JSON line per finished run, in
//! completion order, appended with a single write as soon as the run ends.
//! A line is complete once its newline is written, so a crash or `kill -9`
//! loses at most the runs in flight and, at worst, leaves a partial last
//! line, which reading drops. Numbers are written in their shortest exact
//! form (an undefined indicator as `null`), so the tables made from the
//! journal are the same whichever process, thread or shard ran each run.

use super::plan::{Plan, Shard};
use super::spec::Sweep;
use crate::output::{OutputError, atomic_write};
use crate::stats::summarise;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// File names in a sweep's output folder.
pub const JOURNAL: &str = "journal.jsonl";
pub const RUNS: &str = "runs.csv";
pub const POINTS: &str = "points.csv";

/// One finished run: per strategy (the sweep's order), per recorded column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub run: u64,
    pub point: u64,
    pub replicate: u32,
    pub seed: u64,
    /// `values[strategy][column]`; `None` where the indicator is undefined.
    pub values: Vec<Vec<Option<f64>>>,
}

impl Record {
    /// The journal line (with its newline).
    pub fn line(&self) -> String {
        let mut s = serde_json::to_string(self).expect("a record serialises");
        s.push('\n');
        s
    }

    /// Value of strategy `s`, column `c` (NaN where undefined).
    pub fn get(&self, s: usize, c: usize) -> f64 {
        self.values[s][c].unwrap_or(f64::NAN)
    }
}

/// Why results could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {msg}")]
    Bad {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    #[error("{0}")]
    Output(#[from] OutputError),
}

/// What a journal holds.
#[derive(Debug, Default)]
pub struct Journal {
    /// Finished runs by run id.
    pub records: BTreeMap<u64, Record>,
    /// Length in bytes of the complete lines (a partial last line starts here).
    pub complete_len: u64,
    /// A partial last line was found (and is not in `records`).
    pub partial: bool,
}

/// Check a record against the plan (and the shard, if any).
fn check(rec: &Record, sw: &Sweep, plan: &Plan, shard: Option<Shard>) -> Result<(), String> {
    if rec.run >= plan.n_runs() {
        return Err(format!(
            "run {} is not in the plan ({} runs): these results belong to another sweep",
            rec.run,
            plan.n_runs()
        ));
    }
    let want = plan.run(rec.run);
    if (rec.point, rec.replicate, rec.seed) != (want.point, want.replicate, want.seed) {
        return Err(format!(
            "run {} has point {}, replicate {}, seed {}; the plan says point {}, replicate {}, seed {}: these results belong to another sweep",
            rec.run, rec.point, rec.replicate, rec.seed, want.point, want.replicate, want.seed
        ));
    }
    let ncol = sw.columns().len();
    if rec.values.len() != sw.strategies.len() || rec.values.iter().any(|v| v.len() != ncol) {
        return Err(format!(
            "run {} does not have {} strategies x {} columns",
            rec.run,
            sw.strategies.len(),
            ncol
        ));
    }
    if let Some(s) = shard
        && !s.holds(rec.run)
    {
        return Err(format!("run {} does not belong to shard {s}", rec.run));
    }
    Ok(())
}

/// Read a journal (missing: empty). Complete lines must parse and match the
/// plan; a partial last line (no newline: a run cut off mid-write) is
/// dropped. A run recorded twice is an error.
pub fn read_journal(
    path: &Path,
    sw: &Sweep,
    plan: &Plan,
    shard: Option<Shard>,
) -> Result<Journal, ResultsError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Journal::default()),
        Err(source) => {
            return Err(ResultsError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let complete_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let mut j = Journal {
        complete_len: complete_len as u64,
        partial: complete_len < bytes.len(),
        ..Journal::default()
    };
    let bad = |line: usize, msg: String| ResultsError::Bad {
        path: path.to_path_buf(),
        line,
        msg,
    };
    for (i, line) in bytes[..complete_len].split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let rec: Record = serde_json::from_slice(line).map_err(|e| {
            bad(
                i + 1,
                format!("not a run record ({e}); the journal is damaged"),
            )
        })?;
        check(&rec, sw, plan, shard).map_err(|m| bad(i + 1, m))?;
        if j.records.contains_key(&rec.run) {
            return Err(bad(
                i + 1,
                format!(
                    "run {} is recorded twice (did two processes write to this folder?)",
                    rec.run
                ),
            ));
        }
        j.records.insert(rec.run, rec);
    }
    Ok(j)
}

/// Write a journal of `records` (in order) atomically.
pub fn write_journal<'a>(
    path: &Path,
    records: impl Iterator<Item = &'a Record>,
) -> Result<(), OutputError> {
    atomic_write(path, |w| {
        for r in records {
            w.write_all(r.line().as_bytes())?;
        }
        Ok(())
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Full precision (shortest exact form); empty when undefined.
fn exact(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x}"),
        _ => String::new(),
    }
}

/// Six decimals, trailing zeros trimmed; empty when undefined.
fn short(v: f64) -> String {
    if v.is_finite() {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.to_string() }
    } else {
        String::new()
    }
}

/// `runs.csv`: one row per run and strategy, sorted by run id then the
/// sweep's strategy order: run_id, point_id, replicate, seed, each varied
/// lever, strategy, each recorded column (full precision).
pub fn write_runs<'a>(
    path: &Path,
    sw: &Sweep,
    plan: &Plan,
    records: impl Iterator<Item = &'a Record>,
) -> Result<(), OutputError> {
    atomic_write(path, |w| {
        write!(w, "run_id,point_id,replicate,seed")?;
        for l in &sw.levers {
            write!(w, ",{}", csv_field(&l.key))?;
        }
        write!(w, ",strategy")?;
        for c in sw.column_names() {
            write!(w, ",{c}")?;
        }
        writeln!(w)?;
        for r in records {
            let levers: String = plan.points[r.point as usize]
                .iter()
                .map(|v| format!(",{}", csv_field(&v.to_string())))
                .collect();
            for (s, name) in sw.strategies.iter().enumerate() {
                write!(
                    w,
                    "{},{},{},{}{levers},{}",
                    r.run,
                    r.point,
                    r.replicate,
                    r.seed,
                    csv_field(name)
                )?;
                for v in &r.values[s] {
                    write!(w, ",{}", exact(*v))?;
                }
                writeln!(w)?;
            }
        }
        Ok(())
    })
}

/// Read `runs.csv` back into records (for `analyze`), checking it against
/// the plan. Rows may be in any order; every run must be there once.
pub fn read_runs(path: &Path, sw: &Sweep, plan: &Plan) -> Result<Vec<Record>, ResultsError> {
    let io = |source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bad = |line: usize, msg: String| ResultsError::Bad {
        path: path.to_path_buf(),
        line,
        msg,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .from_path(path)
        .map_err(|e| io(std::io::Error::other(e)))?;
    let headers = rdr.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let need = |name: &str| col(name).ok_or_else(|| bad(1, format!("no column `{name}`")));
    let (c_run, c_strategy) = (need("run_id")?, need("strategy")?);
    let cols: Vec<usize> = sw
        .column_names()
        .iter()
        .map(|n| need(n))
        .collect::<Result<_, _>>()?;
    let mut recs: BTreeMap<u64, Record> = BTreeMap::new();
    for (i, row) in rdr.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| bad(line, e.to_string()))?;
        let run: u64 = row[c_run]
            .parse()
            .map_err(|_| bad(line, format!("run_id \"{}\" is not a run id", &row[c_run])))?;
        if run >= plan.n_runs() {
            return Err(bad(line, format!("run {run} is not in the plan")));
        }
        let s = sw
            .strategies
            .iter()
            .position(|n| n == &row[c_strategy])
            .ok_or_else(|| bad(line, format!("unknown strategy \"{}\"", &row[c_strategy])))?;
        let values: Vec<Option<f64>> = cols
            .iter()
            .map(|&c| {
                let f = &row[c];
                if f.is_empty() {
                    Ok(None)
                } else {
                    f.parse()
                        .map(Some)
                        .map_err(|_| bad(line, format!("\"{f}\" is not a number")))
                }
            })
            .collect::<Result<_, _>>()?;
        let p = plan.run(run);
        let rec = recs.entry(run).or_insert_with(|| Record {
            run,
            point: p.point,
            replicate: p.replicate,
            seed: p.seed,
            values: vec![Vec::new(); sw.strategies.len()],
        });
        if !rec.values[s].is_empty() {
            return Err(bad(
                line,
                format!("run {run}, strategy {} appears twice", sw.strategies[s]),
            ));
        }
        rec.values[s] = values;
    }
    if recs.len() as u64 != plan.n_runs()
        || recs.values().any(|r| r.values.iter().any(Vec::is_empty))
    {
        return Err(bad(
            0,
            format!(
                "holds {} of the plan's {} runs (with every strategy): is the sweep finished and merged?",
                recs.values()
                    .filter(|r| r.values.iter().all(|v| !v.is_empty()))
                    .count(),
                plan.n_runs()
            ),
        ));
    }
    Ok(recs.into_values().collect())
}

/// `points.csv`: per point and strategy, over the point's replicates, the
/// mean and 95% interval (Student's t) of each recorded column.
pub fn write_points(
    path: &Path,
    sw: &Sweep,
    plan: &Plan,
    records: &[Record],
) -> Result<(), OutputError> {
    let r = plan.replicates as usize;
    atomic_write(path, |w| {
        write!(w, "point_id")?;
        for l in &sw.levers {
            write!(w, ",{}", csv_field(&l.key))?;
        }
        write!(w, ",strategy,replicates")?;
        for c in sw.column_names() {
            write!(w, ",{c}_mean,{c}_ci95_low,{c}_ci95_high")?;
        }
        writeln!(w)?;
        for (p, values) in plan.points.iter().enumerate() {
            let runs = &records[p * r..(p + 1) * r];
            let levers: String = values
                .iter()
                .map(|v| format!(",{}", csv_field(&v.to_string())))
                .collect();
            for (s, name) in sw.strategies.iter().enumerate() {
                write!(w, "{p}{levers},{},{r}", csv_field(name))?;
                for c in 0..sw.columns().len() {
                    let v: Vec<f64> = runs.iter().map(|x| x.get(s, c)).collect();
                    let m = summarise(&v);
                    write!(w, ",{},{},{}", short(m.mean), short(m.lo), short(m.hi))?;
                }
                writeln!(w)?;
            }
        }
        Ok(())
    })
}
