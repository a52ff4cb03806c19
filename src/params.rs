//! Parameters: every lever of the model, with its default, allowed range,
//! unit, mechanism and source, declared once.
//!
//! The declaration in this file is the single source of truth for the
//! scenario reader (`scenario/`), the `--set` overrides, the manifest, and
//! the scenario reference in the README (`orglearn levers --markdown`).
//! The model (`model/`) reads the typed structs and never sees TOML.

use serde::Serialize;
use std::fmt;

/// A lever value as read from a scenario file or `--set`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Float(f64),
    Int(i64),
    Bool(bool),
    Str(String),
    /// A list of integers (e.g. years).
    List(Vec<i64>),
}

impl Value {
    /// A short name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Float(_) => "a float",
            Value::Int(_) => "an integer",
            Value::Bool(_) => "a boolean",
            Value::Str(_) => "a string",
            Value::List(_) => "a list",
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Float(x) => write!(f, "{x}"),
            Value::Int(x) => write!(f, "{x}"),
            Value::Bool(x) => write!(f, "{x}"),
            Value::Str(x) => write!(f, "\"{x}\""),
            Value::List(x) => {
                let parts: Vec<String> = x.iter().map(|v| v.to_string()).collect();
                write!(f, "[{}]", parts.join(", "))
            }
        }
    }
}

/// What values a lever accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Float {
        min: f64,
        max: f64,
    },
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    Choice(&'static [&'static str]),
    /// A free string (a name or a path).
    Text,
    /// An optional free string: `""` means none.
    OptText,
}

impl Kind {
    /// "a number from 0 to 1", "one of \"expert\", \"random\"", ...
    pub fn allowed(&self) -> String {
        match *self {
            Kind::Float { min, max } => {
                if max.is_infinite() {
                    format!("a number >= {min}")
                } else {
                    format!("a number from {min} to {max}")
                }
            }
            Kind::Int { min, max } => {
                if max == i64::MAX {
                    format!("a whole number >= {min}")
                } else {
                    format!("a whole number from {min} to {max}")
                }
            }
            Kind::Bool => "true or false".to_string(),
            Kind::Choice(opts) => {
                let q: Vec<String> = opts.iter().map(|o| format!("\"{o}\"")).collect();
                format!("one of {}", q.join(", "))
            }
            Kind::Text => "a string".to_string(),
            Kind::OptText => "a string (\"\" for none)".to_string(),
        }
    }
}

/// Which mechanism a strategy lever belongs to. Setting a lever of a
/// mechanism the strategy switches off is an error (no lever silently does
/// nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Mechanism {
    /// Always active (within-school learning, turnover, CPD, schedules).
    Always,
    /// A mechanism switch itself.
    Switch,
    Cascade,
    Enquiry,
    Lateral,
    Upward,
}

impl Mechanism {
    pub fn switch_key(&self) -> Option<&'static str> {
        match self {
            Mechanism::Cascade => Some("cascade"),
            Mechanism::Enquiry => Some("enquiry"),
            Mechanism::Lateral => Some("lateral"),
            Mechanism::Upward => Some("upward"),
            _ => None,
        }
    }
}

/// The declaration of one lever.
#[derive(Clone, Copy, Debug)]
pub struct LeverSpec {
    pub key: &'static str,
    pub kind: Kind,
    pub mechanism: Mechanism,
    pub unit: &'static str,
    pub source: &'static str,
    pub doc: &'static str,
}

/// Conversion between typed lever fields and [`Value`].
pub trait LeverType: Sized {
    fn from_value(v: &Value, kind: &Kind) -> Result<Self, String>;
    fn to_value(&self) -> Value;
}

fn wrong_type(v: &Value, kind: &Kind) -> String {
    format!("expected {}, found {} ({v})", kind.allowed(), v.type_name())
}

impl LeverType for f64 {
    fn from_value(v: &Value, kind: &Kind) -> Result<Self, String> {
        let x = match v {
            Value::Float(x) => *x,
            Value::Int(i) => *i as f64,
            _ => return Err(wrong_type(v, kind)),
        };
        if let Kind::Float { min, max } = *kind
            && (!x.is_finite() || x < min || x > max)
        {
            return Err(format!("{x} is out of range: expected {}", kind.allowed()));
        }
        Ok(x)
    }
    fn to_value(&self) -> Value {
        Value::Float(*self)
    }
}

impl LeverType for u32 {
    fn from_value(v: &Value, kind: &Kind) -> Result<Self, String> {
        let x = match v {
            Value::Int(i) => *i,
            Value::Float(f) if f.fract() == 0.0 && f.is_finite() => *f as i64,
            _ => return Err(wrong_type(v, kind)),
        };
        if let Kind::Int { min, max } = *kind
            && (x < min || x > max)
        {
            return Err(format!("{x} is out of range: expected {}", kind.allowed()));
        }
        u32::try_from(x).map_err(|_| format!("{x} is out of range: expected {}", kind.allowed()))
    }
    fn to_value(&self) -> Value {
        Value::Int(*self as i64)
    }
}

impl LeverType for u64 {
    fn from_value(v: &Value, kind: &Kind) -> Result<Self, String> {
        match v {
            Value::Int(i) if *i >= 0 => Ok(*i as u64),
            Value::Int(i) => Err(format!("{i} is out of range: expected {}", kind.allowed())),
            _ => Err(wrong_type(v, kind)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Int(*self as i64)
    }
}

impl LeverType for bool {
    fn from_value(v: &Value, kind: &Kind) -> Result<Self, String> {
        match v {
            Value::Bool(b) => Ok(*b),
            _ => Err(wrong_type(v, kind)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

/// The longest text value (a name, a description or a path), in characters.
pub const MAX_TEXT_CHARS: usize = 1000;

impl LeverType for String {
    fn from_value(v: &Value, kind: &Kind) -> Result<Self, String> {
        match v {
            Value::Str(s) => {
                if let Kind::Choice(opts) = kind
                    && !opts.contains(&s.as_str())
                {
                    return Err(format!(
                        "\"{}\" is not allowed: expected {}",
                        crate::network::shown(s),
                        kind.allowed()
                    ));
                }
                let n = s.chars().count();
                if n > MAX_TEXT_CHARS {
                    return Err(format!(
                        "\"{}\" is too long: expected a string of at most {MAX_TEXT_CHARS} characters",
                        crate::network::shown(s)
                    ));
                }
                Ok(s.clone())
            }
            _ => Err(wrong_type(v, kind)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Str(self.clone())
    }
}

/// Declares a parameter struct, its `Default`, and its lever table.
macro_rules! levers {
    (
        $(#[$smeta:meta])*
        pub struct $name:ident, $table:ident {
            $( $key:ident : $ty:ty = $def:expr, $kind:expr, $mech:ident, $unit:literal, $src:literal, $doc:literal; )*
        }
    ) => {
        $(#[$smeta])*
        #[derive(Clone, Debug, PartialEq, Serialize)]
        pub struct $name { $( #[doc = $doc] pub $key: $ty, )* }

        impl Default for $name {
            fn default() -> Self { Self { $( $key: $def, )* } }
        }

        /// The lever table of this section, in declaration order.
        pub const $table: &[LeverSpec] = &[ $( LeverSpec {
            key: stringify!($key), kind: $kind, mechanism: Mechanism::$mech,
            unit: $unit, source: $src, doc: $doc,
        }, )* ];

        impl $name {
            /// Set a lever by key, validating type and range.
            pub fn set(&mut self, key: &str, v: &Value) -> Result<(), String> {
                match key {
                    $( stringify!($key) => {
                        self.$key = <$ty as LeverType>::from_value(v, &$kind)?;
                        Ok(())
                    } )*
                    _ => Err(format!("unknown key")),
                }
            }
            /// Read a lever by key.
            pub fn get(&self, key: &str) -> Option<Value> {
                match key {
                    $( stringify!($key) => Some(self.$key.to_value()), )*
                    _ => None,
                }
            }
            /// The lever table of this section.
            pub fn specs() -> &'static [LeverSpec] { $table }
        }
    };
}

const P01: Kind = Kind::Float { min: 0.0, max: 1.0 };
const RATE: Kind = Kind::Float {
    min: 0.0,
    max: 100.0,
};

levers! {
    /// Run-level settings (the scenario file's top-level keys).
    pub struct RunParams, RUN_LEVERS {
        name: String = "scenario".to_string(), Kind::Text, Always, "", "assumption",
            "Scenario name; names the default output folder `out/<name>/`.";
        description: String = String::new(), Kind::Text, Always, "", "assumption",
            "One line saying what the scenario asks (shown by `orglearn list` and in the manifest).";
        seed: u64 = 20040301, Kind::Int { min: 0, max: i64::MAX }, Always, "", "assumption",
            "Master seed. Every random draw comes from a stream keyed by (seed, replicate, entity, purpose, step).";
        years: u32 = 10, Kind::Int { min: 1, max: 200 }, Always, "years", "spec §3",
            "Years simulated after burn-in (year 0 is the end of burn-in).";
        steps_per_year: u32 = 3, Kind::Int { min: 1, max: 52 }, Always, "steps", "spec §3 (school terms)",
            "Steps per year; rates are per year and turned into per-step hazards, so this does not change behaviour.";
        replicates: u32 = 20, Kind::Int { min: 1, max: 1_000_000 }, Always, "", "assumption",
            "Independent replicates (new landscape, schools, network and shocks each); strategies share them.";
        burn_in_years: u32 = 30, Kind::Int { min: 0, max: 200 }, Always, "years", "spec §3; docs/ODD.md §10 (a measured steady state)",
            "Years of status-quo dynamics before year 0, shared by all strategies of a replicate.";
        sustain_years: u32 = 3, Kind::Int { min: 1, max: 100 }, Always, "years", "spec §7 (Coburn 2003, via 004)",
            "Sustainability is the share of the gain still held this many years after support is withdrawn.";
        meaningful_attainment: f64 = 1.0, Kind::Float { min: 0.001, max: 100.0 }, Always, "points", "assumption (about an eighth of the intake spread across schools, `schools.intake_sd` = 8; see docs/ODD.md)",
            "Smallest difference in mean attainment that matters: the report calls a difference clear only when its whole interval lies beyond this.";
        meaningful_gap: f64 = 1.0, Kind::Float { min: 0.001, max: 100.0 }, Always, "points", "assumption (as for attainment; see docs/ODD.md)",
            "Smallest difference in the gap between the top and bottom quarter of schools that matters.";
        meaningful_capacity: f64 = 0.02, Kind::Float { min: 0.0001, max: 1.0 }, Always, "", "assumption (a tenth of the spread of initial capacity, `schools.capacity_sd` = 0.15, rounded; see docs/ODD.md)",
            "Smallest difference in mean capacity (0-1) that matters.";
        meaningful_diversity: f64 = 0.25, Kind::Float { min: 0.0001, max: 64.0 }, Always, "dimensions", "assumption (a quarter of a practice dimension; see docs/ODD.md)",
            "Smallest difference in practice diversity (dimensions on which schools differ) that matters.";
        robustness_points: u32 = 64, Kind::Int { min: 0, max: 100_000 }, Always, "variations", "assumption (issue: at least 64 points of a space-filling design)",
            "Variations of the uncertain levers the report's robustness check runs (0: none; `--no-robustness` also skips it).";
        robustness_runs: u32 = 2, Kind::Int { min: 1, max: 1000 }, Always, "runs", "assumption",
            "Runs (replicates) per variation in the robustness check.";
    }
}

levers! {
    /// The practice landscape (spec §2).
    pub struct LandscapeParams, LANDSCAPE_LEVERS {
        n: u32 = 16, Kind::Int { min: 1, max: 64 }, Always, "dimensions", "spec §2",
            "Practice dimensions N. Maxima are exact (and evaluation a table lookup) for N <= 20.";
        k: u32 = 3, Kind::Int { min: 0, max: 63 }, Always, "dimensions", "spec §2 (Kauffman NK)",
            "Interactions K: each dimension's contribution depends on K others (must be < N).";
        contexts: u32 = 4, Kind::Int { min: 1, max: 64 }, Always, "types", "spec §2 (004: local context)",
            "Context types C; each has its own local table.";
        context_weight: f64 = 0.5, P01, Always, "", "spec §2, 5 (000, 004: fit to local context); default tuned, see docs/ODD.md",
            "lambda: weight of the local table against the shared one (0: one best practice everywhere).";
        turbulence: f64 = 0.02, P01, Always, "per row per year", "spec §2 (004 quoting Fullan)",
            "Probability that each table row is redrawn each year (problems don't stay solved).";
    }
}

levers! {
    /// The schools and what is observed of them (spec §1, 4.8).
    pub struct SchoolParams, SCHOOL_LEVERS {
        authorities: u32 = 1, Kind::Int { min: 1, max: 10_000 }, Always, "", "spec §1 (004: 19 authorities)",
            "Number of authorities (each with its own centre and network).";
        schools: u32 = 100, Kind::Int { min: 1, max: 1_000_000 }, Always, "schools", "000 (93 schools), assumption",
            "Mean schools per authority.";
        schools_cv: f64 = 0.0, Kind::Float { min: 0.0, max: 3.0 }, Always, "", "assumption",
            "Coefficient of variation of authority sizes (log-normal); 0 makes every authority the same size.";
        staff_mean: f64 = 37.6, Kind::Float { min: 1.0, max: 1000.0 }, Always, "teachers", "000 (3,500 staff / 93 schools)",
            "Mean teachers per school.";
        staff_sd: f64 = 15.0, Kind::Float { min: 0.0, max: 1000.0 }, Always, "teachers", "assumption",
            "Standard deviation of teachers per school (gamma distributed, at least 3).";
        cohort: f64 = 45.0, Kind::Float { min: 1.0, max: 10_000.0 }, Always, "pupils", "spec §5",
            "Mean pupils per tested year group (sets the sampling noise of published results).";
        intake_mean: f64 = 60.0, Kind::Float { min: 0.0, max: 100.0 }, Always, "%", "spec §5",
            "Mean intake: attainment a school's pupils reach with average-quality practice.";
        intake_sd: f64 = 8.0, Kind::Float { min: 0.0, max: 50.0 }, Always, "points", "spec §5",
            "Standard deviation of intake across schools.";
        intake_context_link: f64 = 0.0, P01, Always, "", "assumption",
            "How far intake is tied to context type (0: independent; 1: context types are intake bands).";
        practice_effect: f64 = 25.0, Kind::Float { min: 0.0, max: 100.0 }, Always, "points", "spec §4.8",
            "Points that optimal practice everywhere would add to mean attainment.";
        responsiveness: f64 = 1.0, Kind::Float { min: 0.0, max: 50.0 }, Always, "per year", "spec §4.8",
            "Rate at which attainment moves toward its potential (practice shows in results with a lag).";
        capacity_mean: f64 = 0.4, P01, Always, "", "assumption",
            "Mean initial capacity c (staff capability for enquiry and change), before burn-in.";
        capacity_sd: f64 = 0.15, Kind::Float { min: 0.0, max: 1.0 }, Always, "", "assumption (002: different starting points)",
            "Spread of initial capacity across schools (beta distributed).";
        ownership_mean: f64 = 0.5, P01, Always, "", "assumption",
            "Mean initial ownership o.";
        schools_per_adviser: u32 = 10, Kind::Int { min: 1, max: 100_000 }, Always, "schools", "assumption",
            "Schools per adviser in the hierarchy tree (advisers are assigned by cluster).";
        file: String = String::new(), Kind::OptText, Always, "", "spec §6",
            "Optional schools CSV (id,authority,context,staff,cohort,intake,x,y,cluster); relative to the scenario file.";
    }
}

levers! {
    /// The school network (spec §6).
    pub struct NetworkParams, NETWORK_LEVERS {
        kind: String = "clusters".to_string(),
            Kind::Choice(&["clusters", "geographic", "small-world", "scale-free", "complete", "ring", "none", "file"]),
            Always, "", "spec §6", "Network kind.";
        cluster_size: u32 = 6, Kind::Int { min: 1, max: 100_000 }, Always, "schools", "002 (learning communities of at least 6)",
            "Schools per cluster (learning community).";
        p_within: f64 = 0.8, P01, Always, "", "spec §5", "Link probability inside a cluster.";
        between_ties: f64 = 1.0, Kind::Float { min: 0.0, max: 1000.0 }, Always, "ties per school", "spec §5 (0.01 of the pairs at 100 schools), docs/ODD.md §10",
            "Expected ties from each school to other clusters of its authority (whatever the authority's size).";
        radius: f64 = 0.15, Kind::Float { min: 0.0, max: 1.5 }, Always, "unit square", "assumption",
            "Geographic: link schools closer than this.";
        sw_degree: u32 = 4, Kind::Int { min: 2, max: 1000 }, Always, "", "Watts & Strogatz 1998",
            "Small world: degree of the ring lattice (even).";
        sw_rewire: f64 = 0.1, P01, Always, "", "Watts & Strogatz 1998", "Small world: rewiring probability.";
        sf_m: u32 = 2, Kind::Int { min: 1, max: 1000 }, Always, "", "Barabasi & Albert 1999",
            "Scale-free: edges per new school.";
        inter_authority_ties: u32 = 0, Kind::Int { min: 0, max: 10_000_000 }, Always, "ties", "004 (LEArning project)",
            "Random ties between schools of different authorities.";
        file: String = String::new(), Kind::OptText, Always, "", "spec §6",
            "Edge list CSV (`from,to[,trust]`) for kind = \"file\"; relative to the scenario file.";
    }
}

levers! {
    /// The levers of one strategy (spec §4, 5). Presets set some of them;
    /// a scenario's `[levers]` table and each `[[strategy]]` table override
    /// them key by key.
    pub struct Levers, STRATEGY_LEVERS {
        // --- mechanism switches
        cascade: bool = false, Kind::Bool, Switch, "", "spec §5", "Top-down cascade of a central programme (4.4).";
        enquiry: bool = false, Kind::Bool, Switch, "", "spec §5", "Decentralised enquiry: each school's action research (4.2).";
        lateral: bool = false, Kind::Bool, Switch, "", "spec §5", "Lateral sharing between schools in the network (4.3).";
        upward: bool = false, Kind::Bool, Switch, "", "spec §5", "Upward learning and publication of findings (4.5).";
        // --- within-school learning (always on)
        socialisation: f64 = 0.5, RATE, Always, "per year", "spec §4.1 (March 1991 p1); default tuned, see docs/ODD.md",
            "Rate at which teachers adopt the school code where they differ.";
        code_learning: f64 = 0.15, RATE, Always, "per year", "spec §4.1 (March 1991 p2)",
            "Rate at which the code learns from the superior group of teachers.";
        tinkering: f64 = 0.5, RATE, Always, "per teacher per year", "spec §4.1",
            "Rate at which a teacher tries flipping one practice dimension.";
        classroom_noise: f64 = 0.05, Kind::Float { min: 0.0, max: 10.0 }, Always, "effectiveness", "spec §4.1",
            "S.d. of the noise on a teacher's observed classroom effectiveness.";
        collaboration: f64 = 0.0, P01, Always, "", "spec §4.1 (003 dimension 3)",
            "Team learning: raises p1 and p2 to p + collaboration * (1 - p).";
        // --- turnover (always on)
        teacher_turnover: f64 = 0.1, P01, Always, "per year", "spec §4.6", "Probability a teacher leaves each year.";
        induction: f64 = 0.5, P01, Always, "", "spec §4.6", "Probability a replacement starts with the code's values.";
        head_turnover: f64 = 0.1, P01, Always, "per year", "spec §4.6", "Probability a school changes head each year.";
        head_change_cost: f64 = 0.2, P01, Always, "capacity", "spec §4.6", "Capacity lost with a new head.";
        mentoring: f64 = 0.0, P01, Always, "", "spec §4.6 (002: new-head mentoring)", "Share of the head-change cost that mentoring averts.";
        // --- CPD (always on)
        cpd_hours: f64 = 35.0, Kind::Float { min: 0.0, max: 1000.0 }, Always, "hours per teacher per year", "000 (post-McCrone 35 h)",
            "Continuing professional development.";
        cpd_effect: f64 = 0.2, P01, Always, "", "spec §5", "Share of the capacity gap closed per year by 35 h of CPD.";
        // --- pressure, funding and schedules (always on)
        pressure: f64 = 0.3, P01, Always, "", "spec §5 (0.8 under cascade)", "Accountability pressure pi.";
        relax_year: u32 = 0, Kind::Int { min: 0, max: 200 }, Always, "year", "spec §4.7",
            "From the year after this one, pressure becomes `relaxed_pressure` (0: never).";
        relaxed_pressure: f64 = 0.3, P01, Always, "", "spec §4.7", "Pressure after `relax_year`.";
        funding_end_year: u32 = 0, Kind::Int { min: 0, max: 200 }, Always, "year", "spec §4.7 (002)",
            "Last funded year of enquiry and network activity (0: funded throughout).";
        withdraw_year: u32 = 0, Kind::Int { min: 0, max: 200 }, Always, "year", "spec §7 (Coburn, via 004)",
            "Last year of support: afterwards the cascade stops, funding ends and pressure becomes `withdrawn_pressure` (0: never).";
        withdrawn_pressure: f64 = 0.3, P01, Always, "", "assumption", "Pressure after withdrawal.";
        benchmark: String = "value-added".to_string(), Kind::Choice(&["value-added", "raw"]), Always, "", "spec §4.3",
            "What schools compare: published results, or results minus intake.";
        benchmark_years: u32 = 2, Kind::Int { min: 1, max: 20 }, Always, "years", "spec §4.3",
            "Publications averaged in a benchmark.";
        // --- enquiry
        projects_per_year: f64 = 2.5, Kind::Float { min: 0.0, max: 50.0 }, Enquiry, "projects", "000 (2-3 a school)",
            "Enquiry projects a school runs each year.";
        focus_size: u32 = 4, Kind::Int { min: 1, max: 64 }, Enquiry, "dimensions", "000 (one priority area)",
            "Dimensions in the yearly priority area.";
        change_size: u32 = 1, Kind::Int { min: 1, max: 64 }, Enquiry, "dimensions", "spec §5",
            "Dimensions a project changes.";
        team_share: f64 = 0.25, Kind::Float { min: 0.0, max: 1.0 }, Enquiry, "", "spec §5", "Share of staff in a project team.";
        evidence_noise: f64 = 4.0, Kind::Float { min: 0.0, max: 100.0 }, Enquiry, "points", "spec §5",
            "Noise of a project's evidence, divided by (0.5 + capacity).";
        adopt_threshold: f64 = 0.0, Kind::Float { min: -100.0, max: 100.0 }, Enquiry, "points", "spec §5",
            "Observed effect above which a change is adopted.";
        capacity_gain: f64 = 0.05, P01, Enquiry, "", "spec §5", "Share of the capacity gap closed by an adopted project.";
        ownership_gain: f64 = 0.05, P01, Enquiry, "", "spec §5", "Share of the ownership gap closed by an adopted project.";
        focus_choice: String = "peers".to_string(), Kind::Choice(&["peers", "random"]), Enquiry, "", "spec §4.2",
            "Priority area: where the code differs most from better schools it can see, or at random.";
        // --- lateral
        meetings_per_year: f64 = 6.0, Kind::Float { min: 0.0, max: 100.0 }, Lateral, "per edge per year at full trust", "spec §5",
            "Meeting rate of a linked pair.";
        imitation: f64 = 0.25, P01, Lateral, "per dimension", "spec §5", "Probability a differing dimension is taken.";
        adapt: bool = false, Kind::Bool, Lateral, "", "spec §4.3 (004 on Coburn)",
            "Mutual adaptation: trial what is seen as an enquiry project instead of copying it.";
        trust_init: f64 = 0.5, P01, Lateral, "", "spec §5", "Initial trust on every edge.";
        trust_gain: f64 = 0.1, P01, Lateral, "", "spec §5", "Trust change after an adoption.";
        trust_decay: f64 = 0.2, P01, Lateral, "per year", "spec §5 (004: competitive practices)",
            "Yearly trust loss, times pressure.";
        beacons: u32 = 0, Kind::Int { min: 0, max: 1_000_000 }, Lateral, "schools", "002 (rejected beacon model)",
            "Beacon model: links only to the nearest of this many top schools per authority (0: off).";
        brokered_ties_per_year: u32 = 0, Kind::Int { min: 0, max: 1_000_000 }, Lateral, "ties per authority", "004 (authority as broker)",
            "Ties the centre adds each year between clusters.";
        broker_by_context: bool = false, Kind::Bool, Lateral, "", "004", "Brokered ties prefer schools of the same context type.";
        // --- cascade
        design: String = "expert".to_string(), Kind::Choice(&["expert", "random", "learned"]), Cascade, "", "spec §4.4",
            "How the programme is designed.";
        design_effort: u32 = 20, Kind::Int { min: 1, max: 100_000 }, Cascade, "hill climbs", "spec §5",
            "Expert design: best of this many hill climbs on the shared table.";
        initiatives_per_year: f64 = 4.0, Kind::Float { min: 0.0, max: 100.0 }, Cascade, "initiatives", "spec §5",
            "Initiatives issued each year.";
        initiative_size: u32 = 4, Kind::Int { min: 1, max: 64 }, Cascade, "dimensions", "spec §5; default tuned, see docs/ODD.md", "Dimensions per initiative.";
        tiers: u32 = 4, Kind::Int { min: 2, max: 12 }, Cascade, "hand-overs", "spec §4.4",
            "Hand-overs from designer to classroom (4: authority, adviser, school, teacher; more add tiers at the top).";
        fidelity: f64 = 0.95, P01, Cascade, "", "spec §5", "Probability a bit survives a hand-over.";
        compliance: f64 = 0.7, P01, Cascade, "", "spec §5", "Base probability a school complies (raised by pressure).";
        enactment: f64 = 0.8, P01, Cascade, "", "spec §5", "Probability a teacher enacts each mandated bit.";
        imposition_cost: f64 = 0.05, P01, Cascade, "", "spec §5 (000: \"they feel it's imposed\")",
            "Ownership lost per initiative received, times (1 - legitimacy).";
        legitimacy: f64 = 0.3, P01, Cascade, "", "000 (legitimising change)", "How well change is explained and justified.";
        reversion: f64 = 0.5, RATE, Cascade, "per year", "spec §5", "Reversion rate of mandated, unowned practice (times (1-o)(1-pi)).";
        overload_limit: f64 = 6.0, Kind::Float { min: 0.0, max: 1000.0 }, Cascade, "initiatives per year", "002 (initiative overload)",
            "Initiatives a year above which enactment is scaled down.";
        // --- upward learning and publication
        upward_learning: f64 = 0.01, P01, Upward, "per year", "spec §4.5 (000); default tuned, see docs/ODD.md", "p2 of the programme learning from better schools (design = \"learned\").";
        publish: f64 = 0.5, P01, Upward, "", "spec §5", "Probability an adopted finding is published authority-wide.";
        advice_uptake: f64 = 0.3, P01, Upward, "", "spec §5", "Probability a school writes published advice into its code, times its trust in the centre.";
        centre_trust_gain: f64 = 0.1, P01, Upward, "", "spec §4.5 (the edge rule of §4.3)", "Change of a school's trust in the centre after advice it took up raised (or lowered) its next result.";
        centre_trust: f64 = 0.5, P01, Upward, "", "spec §5", "Initial trust of schools in the centre.";
    }
}

/// The six strategy presets of spec §5.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "status-quo",
        "schools left alone: only within-school learning and turnover",
    ),
    (
        "cascade",
        "expert programme cascaded down the hierarchy under high pressure",
    ),
    ("enquiry", "decentralised action research, school by school"),
    ("network", "lateral sharing alone (replication)"),
    (
        "networked-enquiry",
        "enquiry plus lateral mutual adaptation (learning communities)",
    ),
    (
        "tri-level",
        "light learned cascade, enquiry, lateral and upward learning together",
    ),
];

/// The levers of a preset, or `None` for an unknown name.
pub fn preset(name: &str) -> Option<Levers> {
    let mut l = Levers::default();
    match name {
        "status-quo" => {}
        "cascade" => {
            l.cascade = true;
            l.design = "expert".into();
            l.pressure = 0.8;
        }
        "enquiry" => {
            l.enquiry = true;
        }
        "network" => {
            l.lateral = true;
            l.adapt = false;
        }
        "networked-enquiry" => {
            l.enquiry = true;
            l.lateral = true;
            l.adapt = true;
        }
        "tri-level" => {
            l.cascade = true;
            l.enquiry = true;
            l.lateral = true;
            l.adapt = true;
            l.upward = true;
            l.design = "learned".into();
            l.pressure = 0.3;
            l.legitimacy = 0.8;
            l.initiatives_per_year = 2.0;
        }
        _ => return None,
    }
    Some(l)
}

/// The keys a preset sets away from the defaults (for documentation).
pub fn preset_overrides(name: &str) -> Vec<(&'static str, Value)> {
    let base = Levers::default();
    let Some(p) = preset(name) else {
        return Vec::new();
    };
    STRATEGY_LEVERS
        .iter()
        .filter_map(|s| {
            let v = p.get(s.key)?;
            (Some(&v) != base.get(s.key).as_ref()).then_some((s.key, v))
        })
        .collect()
}

impl Levers {
    /// Is the mechanism this lever belongs to switched on?
    pub fn mechanism_on(&self, m: Mechanism) -> bool {
        match m {
            Mechanism::Always | Mechanism::Switch => true,
            Mechanism::Cascade => self.cascade,
            Mechanism::Enquiry => self.enquiry,
            Mechanism::Lateral => self.lateral,
            Mechanism::Upward => self.upward,
        }
    }

    /// Learned design.
    pub fn learned(&self) -> bool {
        self.cascade && self.design == "learned"
    }

    /// Value-added benchmark?
    pub fn value_added(&self) -> bool {
        self.benchmark == "value-added"
    }
}

/// A lever whose value is uncertain: the report's robustness check varies
/// it over `[lo, hi]` (a Latin hypercube) to see whether the headline
/// verdict holds.
#[derive(Clone, Copy, Debug)]
pub struct Uncertain {
    /// Dotted key: `landscape.KEY`, `schools.KEY` or `levers.KEY` (a
    /// strategy lever, varied in every strategy and in burn-in at once).
    pub key: &'static str,
    /// Words for the lever in sentences.
    pub words: &'static str,
    pub lo: f64,
    pub hi: f64,
    /// Why it is uncertain, and where the range comes from.
    pub why: &'static str,
}

/// The levers marked uncertain, with the ranges the robustness check
/// varies them over (docs/ODD.md, "Robustness of the headline").
pub const UNCERTAIN: &[Uncertain] = &[
    Uncertain {
        key: "landscape.context_weight",
        words: "context weight",
        lo: 0.2,
        hi: 0.8,
        why: "tuned, not measured (spec §2; docs/ODD.md); S2 changes sign inside this range",
    },
    Uncertain {
        key: "landscape.turbulence",
        words: "turbulence",
        lo: 0.0,
        hi: 0.06,
        why: "assumption quoting Fullan (004); no measured rate",
    },
    Uncertain {
        key: "levers.teacher_turnover",
        words: "teacher turnover",
        lo: 0.05,
        hi: 0.2,
        why: "English turnover rates vary by region and year (assumption)",
    },
    Uncertain {
        key: "levers.socialisation",
        words: "socialisation rate",
        lo: 0.25,
        hi: 1.0,
        why: "tuned default (docs/ODD.md)",
    },
    Uncertain {
        key: "schools.responsiveness",
        words: "responsiveness of results to practice",
        lo: 0.5,
        hi: 2.0,
        why: "spec §4.8 gives no value for the lag (assumption)",
    },
];

/// The uncertain-lever entry of a dotted key, if it is marked uncertain.
pub fn uncertain(key: &str) -> Option<&'static Uncertain> {
    UNCERTAIN.iter().find(|u| u.key == key)
}

/// Find a lever's declaration in any section by section name and key.
pub fn find_spec(section: &str, key: &str) -> Option<&'static LeverSpec> {
    let table = match section {
        "" => RUN_LEVERS,
        "landscape" => LANDSCAPE_LEVERS,
        "schools" => SCHOOL_LEVERS,
        "network" => NETWORK_LEVERS,
        "levers" | "strategy" => STRATEGY_LEVERS,
        _ => return None,
    };
    table.iter().find(|s| s.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_in_range() {
        let l = Levers::default();
        for s in STRATEGY_LEVERS {
            let v = l.get(s.key).unwrap();
            let mut m = Levers::default();
            m.set(s.key, &v)
                .unwrap_or_else(|e| panic!("{}: {e}", s.key));
        }
        let r = RunParams::default();
        for s in RUN_LEVERS {
            let mut m = RunParams::default();
            m.set(s.key, &r.get(s.key).unwrap()).unwrap();
        }
    }

    #[test]
    fn set_rejects_out_of_range_and_wrong_type() {
        let mut l = Levers::default();
        assert!(
            l.set("fidelity", &Value::Float(1.5))
                .unwrap_err()
                .contains("from 0 to 1")
        );
        assert!(
            l.set("fidelity", &Value::Str("x".into()))
                .unwrap_err()
                .contains("found a string")
        );
        assert!(
            l.set("design", &Value::Str("magic".into()))
                .unwrap_err()
                .contains("\"learned\"")
        );
        assert!(l.set("nonsense", &Value::Float(1.0)).is_err());
        l.set("fidelity", &Value::Int(1)).unwrap();
        assert_eq!(l.fidelity, 1.0);
    }

    #[test]
    fn presets_switch_the_mechanisms_of_model_5() {
        let on = |n: &str| {
            let p = preset(n).unwrap();
            (p.cascade, p.enquiry, p.lateral, p.upward)
        };
        assert_eq!(on("status-quo"), (false, false, false, false));
        assert_eq!(on("cascade"), (true, false, false, false));
        assert_eq!(on("enquiry"), (false, true, false, false));
        assert_eq!(on("network"), (false, false, true, false));
        assert_eq!(on("networked-enquiry"), (false, true, true, false));
        assert_eq!(on("tri-level"), (true, true, true, true));
        assert!(preset("network").map(|p| !p.adapt).unwrap());
        assert!(preset("networked-enquiry").map(|p| p.adapt).unwrap());
        assert!(preset("nope").is_none());
    }

    #[test]
    fn lever_keys_are_unique_across_strategy_table() {
        let mut keys: Vec<&str> = STRATEGY_LEVERS.iter().map(|s| s.key).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len());
    }
}
