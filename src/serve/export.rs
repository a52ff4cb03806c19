//! A page configuration written back as a scenario file: the base
//! scenario's TOML with the page's assignments applied and the strategies it
//! switched off removed. The file is read back before it is offered, and
//! it must resolve to exactly the scenario the page ran.

use toml::{Table, Value};

use crate::scenario::Scenario;

/// The value of a `KEY=VALUE` assignment as TOML: a TOML literal if it
/// reads as one, else a string (as `--set` reads it).
fn toml_value(raw: &str) -> Value {
    let raw = raw.trim();
    match format!("v = {raw}").parse::<Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| Value::String(raw.into())),
        Err(_) => Value::String(raw.into()),
    }
}

fn strategy_name(t: &Table) -> Option<&str> {
    t.get("name")
        .or_else(|| t.get("preset"))
        .and_then(|v| v.as_str())
}

fn sub_table<'a>(root: &'a mut Table, key: &str) -> Result<&'a mut Table, String> {
    root.entry(key.to_string())
        .or_insert_with(|| Value::Table(Table::new()))
        .as_table_mut()
        .ok_or_else(|| format!("`{key}` is not a table"))
}

/// Apply one assignment (the forms the page writes: `KEY`, `SECTION.KEY`,
/// `strategy.NAME.KEY`) to a scenario document.
fn apply(doc: &mut Table, assignment: &str) -> Result<(), String> {
    let (path, raw) = assignment
        .split_once('=')
        .ok_or_else(|| format!("`{assignment}` is not KEY=VALUE"))?;
    let path = path.trim();
    let value = toml_value(raw);
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        [key] => {
            doc.insert(key.to_string(), value);
        }
        ["strategy", rest @ ..] if rest.len() >= 2 => {
            let key = rest[rest.len() - 1];
            let sel = rest[..rest.len() - 1].join(".");
            let list = doc
                .get_mut("strategy")
                .and_then(|v| v.as_array_mut())
                .ok_or_else(|| "the scenario has no [[strategy]] tables".to_string())?;
            let pos = list
                .iter()
                .position(|t| t.as_table().and_then(strategy_name) == Some(sel.as_str()))
                .or_else(|| sel.parse::<usize>().ok().and_then(|i| i.checked_sub(1)))
                .filter(|&i| i < list.len())
                .ok_or_else(|| format!("no strategy `{sel}`"))?;
            let t = list[pos]
                .as_table_mut()
                .ok_or_else(|| "a [[strategy]] entry is not a table".to_string())?;
            t.insert(key.to_string(), value);
        }
        [section, key] => {
            sub_table(doc, section)?.insert(key.to_string(), value);
        }
        _ => return Err(format!("cannot write `{path}` into a scenario file")),
    }
    Ok(())
}

/// `--set levers.KEY=V` also reaches every strategy (and authority table)
/// whose mechanism uses the key, over its preset; in a file that is the key
/// written into each such `[[strategy]]` table as well.
fn carry_levers(doc: &mut Table, assignment: &str, expect: &Scenario) {
    let Some((path, raw)) = assignment.split_once('=') else {
        return;
    };
    let Some(key) = path.trim().strip_prefix("levers.") else {
        return;
    };
    let Some(spec) = crate::params::STRATEGY_LEVERS.iter().find(|s| s.key == key) else {
        return;
    };
    let value = toml_value(raw);
    let Some(list) = doc.get_mut("strategy").and_then(|v| v.as_array_mut()) else {
        return;
    };
    for t in list.iter_mut().filter_map(|v| v.as_table_mut()) {
        let on = strategy_name(t)
            .and_then(|n| expect.strategies.iter().find(|st| st.name == n))
            .is_some_and(|st| {
                st.levers.mechanism_on(spec.mechanism)
                    && (key != "upward_learning" || st.levers.learned())
            });
        if !on {
            continue;
        }
        t.insert(key.to_string(), value.clone());
        if let Some(groups) = t.get_mut("authority").and_then(|v| v.as_array_mut()) {
            for g in groups.iter_mut().filter_map(|v| v.as_table_mut()) {
                g.insert(key.to_string(), value.clone());
            }
        }
    }
}

/// The scenario file for `base_text` with `sets` applied and the strategies
/// named in `off` removed. `expect` is the scenario the page ran: the text
/// is read back and must resolve to it (apart from where it came from).
pub fn scenario_toml(
    base_text: &str,
    sets: &[String],
    off: &[String],
    expect: &Scenario,
) -> Result<String, String> {
    let mut doc: Table = base_text
        .parse()
        .map_err(|e| format!("cannot read the base scenario: {e}"))?;
    for s in sets {
        apply(&mut doc, s)?;
        carry_levers(&mut doc, s, expect);
    }
    if let Some(list) = doc.get_mut("strategy").and_then(|v| v.as_array_mut()) {
        list.retain(|t| {
            !t.as_table()
                .and_then(strategy_name)
                .is_some_and(|n| off.iter().any(|o| o == n))
        });
    }
    let body = toml::to_string(&doc).map_err(|e| format!("cannot write TOML: {e}"))?;
    let text = format!(
        "# Exported by `orglearn serve` from {}.\n# `orglearn run` on this file gives the numbers the page showed.\n\n{body}",
        expect.source
    );
    let back = Scenario::from_str(&text, &expect.source, expect.dir.clone())
        .map_err(|e| format!("the exported file does not read back: {e}"))?;
    let same = Scenario {
        source: expect.source.clone(),
        dir: expect.dir.clone(),
        ..back
    };
    if &same != expect {
        return Err("the exported file does not resolve to the scenario shown".into());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exported_file_resolves_to_the_scenario_with_its_assignments() {
        let (_, text, dir) = crate::scenario::builtin::resolve(Some("default")).unwrap();
        let s = sets(&[
            "years=4",
            "schools.schools=40",
            "levers.cpd_hours=70",
            "strategy.cascade.pressure=0.4",
        ]);
        let mut sc = Scenario::open(Some("default"), &s).unwrap();
        sc.strategies.retain(|st| st.name != "tri-level");
        let out = scenario_toml(&text, &s, &["tri-level".into()], &sc).unwrap();
        let back = Scenario::from_str(&out, "x.toml", dir).unwrap();
        assert_eq!(back.run.years, 4);
        assert_eq!(back.strategies.len(), 5);
        // A scenario other than the one the text gives is refused.
        let full = Scenario::open(Some("default"), &s).unwrap();
        assert!(scenario_toml(&text, &s, &["tri-level".into()], &full).is_err());
    }
}
