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

/// The end of a journal line before its newline: `,"crc32":"XXXXXXXX"}`.
const CRC_KEY: &str = ",\"crc32\":\"";

impl Record {
    /// The journal line (with its newline): the record as a JSON object
    /// whose values are labelled by strategy and column
    /// (`"values":{"cascade":{"att_mean_y10":61.2,...},...}`), ending with
    /// `"crc32"`, the CRC-32 of the line without that key (written as the
    /// object closed after `values`).
    pub fn line(&self, sw: &Sweep) -> String {
        let columns = sw.column_names();
        let values: serde_json::Map<String, serde_json::Value> = sw
            .strategies
            .iter()
            .zip(&self.values)
            .map(|(name, vals)| {
                let cols: serde_json::Map<String, serde_json::Value> = columns
                    .iter()
                    .zip(vals)
                    .map(|(c, v)| (c.clone(), serde_json::json!(v)))
                    .collect();
                (name.clone(), serde_json::Value::Object(cols))
            })
            .collect();
        let body = serde_json::json!({
            "run": self.run,
            "point": self.point,
            "replicate": self.replicate,
            "seed": self.seed,
            "values": values,
        })
        .to_string();
        let crc = crc32fast::hash(body.as_bytes());
        format!("{}{CRC_KEY}{crc:08x}\"}}\n", &body[..body.len() - 1])
    }

    /// Parse a journal line (without its newline), checking its checksum
    /// and labels against the sweep.
    pub fn parse(line: &[u8], sw: &Sweep) -> Result<Record, String> {
        let text = std::str::from_utf8(line)
            .map_err(|_| "the record is not UTF-8 text: the journal is damaged".to_string())?;
        let damaged = "the journal is damaged (or was written by another version of orglearn)";
        let at = text
            .rfind(CRC_KEY)
            .filter(|&i| text.len() == i + CRC_KEY.len() + 10 && text.ends_with("\"}"))
            .ok_or_else(|| format!("the record has no checksum at its end: {damaged}"))?;
        let hex = &text[at + CRC_KEY.len()..text.len() - 2];
        // Lower-case digits only, as written: a flipped case bit is damage too.
        let want = Some(hex)
            .filter(|h| h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or(())
            .map_err(|_| format!("the record's checksum is not 8 hex digits: {damaged}"))?;
        let body = format!("{}}}", &text[..at]);
        if crc32fast::hash(body.as_bytes()) != want {
            return Err(format!("the record does not match its checksum: {damaged}"));
        }
        #[derive(Deserialize)]
        struct Labelled {
            run: u64,
            point: u64,
            replicate: u32,
            seed: u64,
            values: BTreeMap<String, BTreeMap<String, Option<f64>>>,
        }
        let l: Labelled = serde_json::from_str(&body)
            .map_err(|e| format!("not a run record ({e}): {damaged}"))?;
        let columns = sw.column_names();
        let values = sw
            .strategies
            .iter()
            .map(|name| {
                let cols = l.values.get(name).ok_or_else(|| {
                    format!("run {} has no values for strategy \"{name}\"", l.run)
                })?;
                columns
                    .iter()
                    .map(|c| {
                        cols.get(c).copied().ok_or_else(|| {
                            format!("run {}, strategy \"{name}\" has no column {c}", l.run)
                        })
                    })
                    .collect::<Result<Vec<_>, String>>()
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Record {
            run: l.run,
            point: l.point,
            replicate: l.replicate,
            seed: l.seed,
            values,
        })
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
    /// Damaged lines dropped when reading leniently: `(line, why)`.
    pub dropped: Vec<(usize, String)>,
}

/// How [`read_journal`] treats a damaged record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Damaged {
    /// An error naming the file and line (merge, and the finished sweep).
    Refuse,
    /// Dropped and listed in [`Journal::dropped`], to be run again (resume).
    Drop,
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
    damaged: Damaged,
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
        let rec = match Record::parse(line, sw) {
            Ok(r) => r,
            Err(m) if damaged == Damaged::Drop => {
                j.dropped.push((i + 1, m));
                continue;
            }
            Err(m) => return Err(bad(i + 1, m)),
        };
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
    if j.partial && damaged == Damaged::Refuse {
        let line = bytes[..complete_len]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        return Err(bad(
            line,
            "the last record is incomplete (no newline): the sweep was cut off mid-write, or \
             something was appended to the journal; finish the sweep with --resume"
                .into(),
        ));
    }
    Ok(j)
}

/// Write a journal of `records` (in order) atomically.
pub fn write_journal<'a>(
    path: &Path,
    sw: &Sweep,
    records: impl Iterator<Item = &'a Record>,
) -> Result<(), OutputError> {
    atomic_write(path, |w| {
        for r in records {
            w.write_all(r.line(sw).as_bytes())?;
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
