//! The README's generated reference sections match the program.

fn section<'a>(text: &'a str, name: &str) -> &'a str {
    let begin = format!("<!-- {name}:begin -->\n");
    let end = format!("<!-- {name}:end -->");
    let b = text
        .find(&begin)
        .unwrap_or_else(|| panic!("README.md lacks {begin}"))
        + begin.len();
    let e = text[b..]
        .find(&end)
        .unwrap_or_else(|| panic!("README.md lacks {end}"))
        + b;
    &text[b..e]
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

#[test]
fn scenario_reference_is_current() {
    let generated = orglearn::reference::levers_reference(true);
    assert_eq!(
        section(&readme(), "levers").trim_end(),
        generated.trim_end(),
        "README.md's scenario reference is out of date: paste the output of `orglearn levers --markdown`"
    );
}

#[test]
fn indicator_reference_is_current() {
    assert_eq!(
        section(&readme(), "indicators"),
        orglearn::output::indicator_reference(),
        "README.md's indicator table is out of date: paste orglearn::output::indicator_reference()"
    );
}

#[test]
fn schools_file_reference_is_current() {
    assert_eq!(
        section(&readme(), "school-columns"),
        orglearn::network::school_columns_reference(),
        "README.md's schools-file table is out of date: paste orglearn::network::school_columns_reference()"
    );
}

#[test]
fn quick_start_commands_come_first() {
    let r = readme();
    let first_screen: String = r.lines().take(30).collect::<Vec<_>>().join("\n");
    assert!(first_screen.contains("cargo run --release -- run"));
    assert!(first_screen.contains("cargo test"));
}

#[test]
fn schools_columns_are_current() {
    assert_eq!(
        section(&readme(), "schools-columns"),
        orglearn::schema::schools_markdown(),
        "README.md's schools file table is out of date: paste orglearn::schema::schools_markdown()"
    );
}
