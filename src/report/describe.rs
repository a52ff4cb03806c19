//! The scenario and its strategies in plain words, written from the
//! resolved levers (so what the report says is what was run).

use crate::params::{Levers, PRESETS, STRATEGY_LEVERS, Value};
use crate::scenario::{Scenario, StrategySpec};

fn plural(n: f64, one: &str, many: &str) -> String {
    if (n - 1.0).abs() < 1e-9 {
        one.to_string()
    } else {
        many.to_string()
    }
}

/// A number without needless decimals: 2, 2.5, 0.35.
pub fn short(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e12 {
        format!("{}", x as i64)
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

pub use crate::output::thousands;

/// What was simulated: the schools, their network and the run, in a few
/// sentences.
pub fn scenario_words(sc: &Scenario, schools_total: usize, teachers_total: usize) -> String {
    let sp = &sc.schools;
    let np = &sc.network;
    let auth = if sp.authorities == 1 {
        format!(
            "One authority of {} schools",
            thousands(schools_total.max(1))
        )
    } else {
        format!(
            "{} authorities of about {} schools each ({} schools in all)",
            sp.authorities,
            sp.schools,
            thousands(schools_total)
        )
    };
    let staff = if teachers_total > 0 {
        format!(" and about {} teachers", thousands(teachers_total))
    } else {
        String::new()
    };
    let net = match np.kind.as_str() {
        "clusters" => format!(
            "Schools work in learning communities of {} (a link between two schools of a community with probability {}, about {} ties a school to other communities)",
            np.cluster_size,
            short(np.p_within),
            short(np.between_ties)
        ),
        "geographic" => format!(
            "Schools are linked to the schools within {} of them on a map of the authority (unit square)",
            short(np.radius)
        ),
        "small-world" => format!(
            "Schools are linked in a small world (ring of degree {}, {} of links rewired)",
            np.sw_degree,
            short(np.sw_rewire)
        ),
        "scale-free" => format!(
            "Schools are linked in a scale-free network ({} links per newcomer)",
            np.sf_m
        ),
        "complete" => "Every school is linked to every other school".to_string(),
        "ring" => "Schools are linked in a ring".to_string(),
        "none" => "Schools have no links to each other".to_string(),
        _ => format!("Schools are linked as listed in {}", np.file),
    };
    let inter = if np.inter_authority_ties > 0 && sp.authorities > 1 {
        format!(
            "; {} ties join schools of different authorities",
            np.inter_authority_ties
        )
    } else {
        String::new()
    };
    let land = &sc.landscape;
    format!(
        "{auth}{staff}. {net}{inter}. What works is a practice landscape of {} dimensions with {} interactions each; {}% of what works depends on the kind of school (context weight {}), and {}% of it changes each year (turbulence). \
         Each strategy runs for {} {} after {} {} of schools left alone (burn-in), {} steps a year, on {} {}: each replicate draws new schools, a new landscape and a new network, and every strategy meets the same ones, so differences between strategies are the strategies', not luck's.",
        land.n,
        land.k,
        short(100.0 * land.context_weight),
        short(land.context_weight),
        short(100.0 * land.turbulence),
        sc.run.years,
        plural(sc.run.years as f64, "year", "years"),
        sc.run.burn_in_years,
        plural(sc.run.burn_in_years as f64, "year", "years"),
        sc.run.steps_per_year,
        sc.run.replicates,
        plural(sc.run.replicates as f64, "replicate", "replicates"),
    )
}

/// The levers of a strategy that differ from the built-in defaults, as
/// `(key, value, default)`, in declaration order.
pub fn changed_levers(l: &Levers) -> Vec<(&'static str, Value, Value)> {
    let d = Levers::default();
    STRATEGY_LEVERS
        .iter()
        .filter_map(|s| {
            let v = l.get(s.key)?;
            let dv = d.get(s.key)?;
            (v != dv).then_some((s.key, v, dv))
        })
        .collect()
}

/// One strategy in words: what it switches on and how hard, its schedule,
/// and any other lever it changes.
pub fn strategy_words(st: &StrategySpec) -> String {
    strategy_parts(st).join(" ")
}

/// What a preset is, in words.
fn preset_words(name: &str) -> &'static str {
    PRESETS
        .iter()
        .find(|(p, _)| *p == name)
        .map(|(_, d)| *d)
        .unwrap_or("")
}

/// [`strategy_words`] as separate sentences: the preset first, then one per
/// mechanism, the schedule, and other changed levers; then one per group of
/// authorities that runs levers of its own.
pub fn strategy_parts(st: &StrategySpec) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    parts.push(format!(
        "Built on the {} preset ({}).",
        st.preset,
        preset_words(&st.preset)
    ));
    parts.extend(lever_parts(&st.levers));
    for g in &st.groups {
        let who = if g.named {
            format!("{} ({})", g.name, authority_list(&g.authorities))
        } else {
            capitalise(&g.name)
        };
        let run = if g.authorities.len() == 1 {
            "runs"
        } else {
            "run"
        };
        match &g.preset {
            Some(p) => parts.push(format!(
                "{who} {run} the {p} preset instead ({}): {}",
                preset_words(p),
                lever_parts(&g.levers).join(" ")
            )),
            None => {
                let d = &st.levers;
                let changes: Vec<String> = STRATEGY_LEVERS
                    .iter()
                    .filter_map(|s| {
                        let v = g.levers.get(s.key)?;
                        (Some(&v) != d.get(s.key).as_ref()).then(|| format!("{} {v}", s.key))
                    })
                    .collect();
                if changes.is_empty() {
                    parts.push(format!("{who} {run} it unchanged."));
                } else {
                    parts.push(format!("{who} {run} it with {}.", changes.join(", ")));
                }
            }
        }
    }
    parts
}

/// "authority 3" or "authorities 1, 2 and 5".
pub fn authority_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("authority {one}"),
        [rest @ .., last] => format!("authorities {} and {last}", rest.join(", ")),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// One lever set in words: one sentence per mechanism, the schedule, and
/// other changed levers.
pub fn lever_parts(l: &Levers) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();

    if l.cascade {
        let design = match l.design.as_str() {
            "expert" => format!(
                "an expert-designed programme (best of {} designs; experts see what works everywhere, not what works locally)",
                l.design_effort
            ),
            "random" => "a poorly designed programme".to_string(),
            _ => "a programme that starts expert-designed and learns from the better schools"
                .to_string(),
        };
        parts.push(format!(
            "Cascade: the centre sends {design} down {} hand-overs to classrooms, {} {} a year of {} practice dimensions each; each hand-over keeps a detail right with probability {}; {}% of schools comply at least, and change is explained and justified to degree {} (legitimacy).",
            l.tiers,
            short(l.initiatives_per_year),
            plural(l.initiatives_per_year, "initiative", "initiatives"),
            l.initiative_size,
            short(l.fidelity),
            short(100.0 * l.compliance),
            short(l.legitimacy)
        ));
    }
    if l.enquiry {
        let focus = if l.focus_choice == "peers" {
            "where it lags the better schools it can see"
        } else {
            "chosen at random"
        };
        parts.push(format!(
            "Enquiry: each school runs {} action-research {} a year on one priority area of {} dimensions ({focus}), trialling a change with {}% of its staff and keeping it if the evidence is positive.",
            short(l.projects_per_year),
            plural(l.projects_per_year, "project", "projects"),
            l.focus_size,
            short(100.0 * l.team_share)
        ));
    }
    if l.lateral {
        let how = if l.adapt {
            "trial what they see in their own school before keeping it (mutual adaptation)"
        } else {
            "copy what they see (replication)"
        };
        let structure = if l.beacons > 0 {
            format!(
                " Beacon structure: only links from each school to the nearest of the {} best schools at year 0 are used.",
                l.beacons
            )
        } else {
            String::new()
        };
        let broker = if l.brokered_ties_per_year > 0 {
            format!(
                " The centre brokers {} new {} a year between learning communities{}.",
                l.brokered_ties_per_year,
                plural(l.brokered_ties_per_year as f64, "tie", "ties"),
                if l.broker_by_context {
                    ", preferring schools of the same kind"
                } else {
                    ""
                }
            )
        } else {
            String::new()
        };
        parts.push(format!(
            "Networks: linked schools meet (up to {} times a year at full trust) and {how}.{structure}{broker}",
            short(l.meetings_per_year)
        ));
    }
    if l.upward {
        parts.push(format!(
            "Upward and across: adopted findings are published authority-wide with probability {} and taken up with probability {} times trust in the centre{}.",
            short(l.publish),
            short(l.advice_uptake),
            if l.learned() {
                "; the central programme learns from the better schools"
            } else {
                ""
            }
        ));
    }
    if !(l.cascade || l.enquiry || l.lateral || l.upward) {
        parts.push(
            "No central strategy: schools learn only within themselves (teachers tinkering, the school code learning from its best teachers) and lose staff and heads to turnover.".to_string(),
        );
    }
    let mut sched = format!("Accountability pressure {}", short(l.pressure));
    if l.relax_year > 0 {
        sched.push_str(&format!(
            ", relaxed to {} after year {}",
            short(l.relaxed_pressure),
            l.relax_year
        ));
    }
    if l.funding_end_year > 0 {
        sched.push_str(&format!(
            "; funding for enquiry and networks ends after year {}",
            l.funding_end_year
        ));
    }
    if l.withdraw_year > 0 {
        sched.push_str(&format!(
            "; all support withdrawn after year {} (cascade stops, funding ends, pressure {})",
            l.withdraw_year,
            short(l.withdrawn_pressure)
        ));
    }
    sched.push_str(&format!(
        "; {} h of CPD per teacher a year.",
        short(l.cpd_hours)
    ));
    parts.push(sched);

    let said = [
        "cascade",
        "enquiry",
        "lateral",
        "upward",
        "design",
        "design_effort",
        "tiers",
        "initiatives_per_year",
        "initiative_size",
        "fidelity",
        "compliance",
        "legitimacy",
        "projects_per_year",
        "focus_size",
        "focus_choice",
        "team_share",
        "adapt",
        "beacons",
        "brokered_ties_per_year",
        "broker_by_context",
        "meetings_per_year",
        "publish",
        "advice_uptake",
        "pressure",
        "relax_year",
        "relaxed_pressure",
        "funding_end_year",
        "withdraw_year",
        "withdrawn_pressure",
        "cpd_hours",
    ];
    let other: Vec<String> = changed_levers(l)
        .into_iter()
        .filter(|(k, _, _)| !said.contains(k))
        .filter(|(k, _, _)| {
            let spec = STRATEGY_LEVERS.iter().find(|s| s.key == *k);
            spec.is_some_and(|s| l.mechanism_on(s.mechanism))
        })
        .map(|(k, v, d)| format!("{k} {v} (default {d})"))
        .collect();
    if !other.is_empty() {
        parts.push(format!("Also changed: {}.", other.join(", ")));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(short(2.0), "2");
        assert_eq!(short(2.5), "2.5");
        assert_eq!(short(0.35), "0.35");
        assert_eq!(thousands(9000), "9,000");
        assert_eq!(thousands(153), "153");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn a_strategy_says_what_it_switches_on() {
        let sc = Scenario::open(Some("default"), &[]).unwrap();
        let words: Vec<String> = sc.strategies.iter().map(strategy_words).collect();
        assert!(words[0].contains("No central strategy"));
        assert!(words[1].contains("Cascade:"));
        assert!(words[2].contains("Enquiry:"));
        assert!(words[3].contains("replication"));
        assert!(words[4].contains("mutual adaptation"));
        assert!(words[5].contains("Upward"));
    }
}
