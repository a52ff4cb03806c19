//! The error type of the scenario layer: a list of problems, one line each.
//!
//! Every problem names where it was found (a file with line and column, a
//! `--set` assignment, or the scenario as a whole), the key at fault, and a
//! message that says what is allowed. The reader reports every problem it
//! finds, not only the first.

use std::fmt;

/// One problem with a scenario, shown as
/// `ORIGIN:LINE:COLUMN: key `SECTION.KEY`: MESSAGE`.
///
/// `origin` is the file as the user named it, `--set #N (ASSIGNMENT)`, or
/// the scenario's source when no finer place is known; line and column are
/// 1-based and absent when the origin is not a file position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub origin: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Dotted key at fault (`years`, `landscape.k`, `strategy.NAME.KEY`).
    pub key: Option<String>,
    pub message: String,
}

impl Problem {
    /// A problem with no position and no key.
    pub fn general(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            origin: origin.into(),
            line: None,
            column: None,
            key: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.origin.is_empty() {
            f.write_str(&self.origin)?;
            if let (Some(line), Some(column)) = (self.line, self.column) {
                write!(f, ":{line}:{column}")?;
            }
            f.write_str(": ")?;
        }
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Everything wrong with a scenario (at least one problem). Its `Display`
/// writes one line per problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    problems: Vec<Problem>,
}

impl ScenarioError {
    /// An error made of these problems.
    ///
    /// # Panics
    /// If `problems` is empty: an error must say what is wrong.
    pub fn new(problems: Vec<Problem>) -> Self {
        assert!(!problems.is_empty(), "a ScenarioError needs a problem");
        ScenarioError { problems }
    }

    /// An error of one problem with no position and no key.
    pub fn general(origin: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError::new(vec![Problem::general(origin, message)])
    }

    /// The problems, in the order of the file, then of the `--set`
    /// assignments.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

/// The most problems shown; the rest are counted.
pub const MAX_SHOWN_PROBLEMS: usize = 20;
/// The most characters of one problem's line; the rest are counted.
pub const MAX_PROBLEM_CHARS: usize = 2000;

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().take(MAX_SHOWN_PROBLEMS).enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            let line = p.to_string();
            let n = line.chars().count();
            if n > MAX_PROBLEM_CHARS {
                let head: String = line.chars().take(MAX_PROBLEM_CHARS).collect();
                write!(
                    f,
                    "{head}... ({} more characters not shown)",
                    n - MAX_PROBLEM_CHARS
                )?;
            } else {
                f.write_str(&line)?;
            }
        }
        let rest = self.problems.len().saturating_sub(MAX_SHOWN_PROBLEMS);
        if rest > 0 {
            write!(
                f,
                "\n... and {rest} more problem{} (fix those above first)",
                if rest == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_caps_the_problems_and_their_length() {
        let many: Vec<Problem> = (0..5000)
            .map(|i| Problem::general("f.toml", format!("problem {i}")))
            .collect();
        let shown = ScenarioError::new(many).to_string();
        assert_eq!(shown.lines().count(), MAX_SHOWN_PROBLEMS + 1, "{shown}");
        assert!(shown.ends_with("and 4980 more problems (fix those above first)"));
        let huge = Problem::general("f.toml", "x".repeat(20_000_000));
        let shown = ScenarioError::new(vec![huge]).to_string();
        assert!(shown.len() < MAX_PROBLEM_CHARS + 100, "{}", shown.len());
        assert!(shown.contains("more characters not shown"));
    }

    #[test]
    fn display_has_one_line_per_problem() {
        let e = ScenarioError::new(vec![
            Problem {
                origin: "a.toml".into(),
                line: Some(3),
                column: Some(1),
                key: Some("landscape.k".into()),
                message: "too large".into(),
            },
            Problem::general("", "no file"),
        ]);
        assert_eq!(
            e.to_string(),
            "a.toml:3:1: key `landscape.k`: too large\nno file"
        );
        assert_eq!(e.problems().len(), 2);
    }
}
