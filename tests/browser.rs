//! The report in a real browser: headless Chromium opens `report.html`,
//! takes a screenshot and dumps the DOM it built. Every chart must be
//! there as rendered SVG, and the page must request nothing from the
//! network (Chromium logs every URL request it starts; its own background
//! calls to Google services are set aside).
//!
//! Without Chromium on the PATH this test prints a note and passes;
//! `.ci/browser-test.sh` installs it and sets `ORGLEARN_REQUIRE_BROWSER=1`,
//! which makes a missing browser a failure. `ORGLEARN_SCREENSHOT_DIR`
//! keeps the screenshot (and the report) for a person to look at.

use std::path::{Path, PathBuf};
use std::process::Command;

const BROWSERS: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

fn find_browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for b in BROWSERS {
            let p = dir.join(b);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Hosts the browser itself calls in the background (updates, time,
/// accounts), whatever the page.
fn browser_own(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split(['/', ':', '?'])
        .next()
        .unwrap_or("");
    [
        "google.com",
        "googleapis.com",
        "gstatic.com",
        "gvt1.com",
        "gvt2.com",
    ]
    .iter()
    .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// Run the browser on `page`; returns (stdout, stderr).
fn browse(browser: &Path, profile: &Path, extra: &[String], page: &Path) -> (String, String) {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--enable-logging=stderr",
        "--v=1",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.display()));
    cmd.args(extra);
    cmd.arg(format!("file://{}", page.display()));
    let out = cmd.output().expect("the browser starts");
    assert!(
        out.status.success(),
        "the browser failed on {}:\n{}",
        page.display(),
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .join("\n")
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// URLs the page asked for (the browser's own background calls left out).
fn page_requests(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.split("NotifyBeforeURLRequest: ").nth(1))
        .map(|u| u.split_whitespace().next().unwrap_or("").to_string())
        .filter(|u| !browser_own(u))
        .collect()
}

#[test]
fn the_report_renders_every_chart_and_requests_nothing() {
    let Some(browser) = find_browser() else {
        if std::env::var_os("ORGLEARN_REQUIRE_BROWSER").is_some() {
            panic!("ORGLEARN_REQUIRE_BROWSER is set but no Chromium is on the PATH");
        }
        println!(
            "note: no Chromium on the PATH ({}); the browser check of report.html is skipped. \
             Run .ci/browser-test.sh to install it and run this test.",
            BROWSERS.join(", ")
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let status = Command::new(env!("CARGO_BIN_EXE_orglearn"))
        .args([
            "run",
            "burnham",
            "--replicates",
            "3",
            "--set",
            "years=4",
            "--set",
            "schools.schools=48",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let svgs = html.matches("<svg").count();
    assert!(svgs >= 5, "the report has its charts ({svgs})");

    // The control: a page that does ask for an image from elsewhere is
    // caught, so a clean result below means something.
    let control = tmp.path().join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><html><body><img src=\"https://orglearn-check.invalid/x.png\"></body></html>",
    )
    .unwrap();
    let (_, log) = browse(
        &browser,
        &tmp.path().join("profile-control"),
        &["--dump-dom".to_string()],
        &control,
    );
    assert!(
        page_requests(&log)
            .iter()
            .any(|u| u.contains("orglearn-check.invalid")),
        "the request log shows a page's requests"
    );

    // The report: its DOM holds every chart, and it asked for nothing.
    let (dom, log) = browse(
        &browser,
        &tmp.path().join("profile-dom"),
        &["--dump-dom".to_string()],
        &page,
    );
    assert_eq!(
        dom.matches("<svg").count(),
        svgs,
        "every chart is in the rendered page"
    );
    for needle in ["What the numbers say", "Every lever", "How to reproduce"] {
        assert!(dom.contains(needle), "{needle}");
    }
    assert_eq!(
        page_requests(&log),
        Vec::<String>::new(),
        "report.html requested something"
    );

    // A screenshot as a reader sees it.
    let shots = std::env::var_os("ORGLEARN_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&shots).unwrap();
    let png = shots.join("report.png");
    let _ = std::fs::remove_file(&png);
    let (_, log) = browse(
        &browser,
        &tmp.path().join("profile-shot"),
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1400,4000".to_string(),
            "--hide-scrollbars".to_string(),
        ],
        &page,
    );
    assert_eq!(page_requests(&log), Vec::<String>::new());
    let bytes = std::fs::read(&png).expect("a screenshot was written");
    assert!(bytes.starts_with(b"\x89PNG"));
    // A blank 1400 x 4000 page compresses to a few kilobytes; text and
    // charts do not.
    assert!(bytes.len() > 100_000, "screenshot of {} bytes", bytes.len());
    if std::env::var_os("ORGLEARN_SCREENSHOT_DIR").is_some() {
        std::fs::copy(&page, shots.join("report.html")).unwrap();
        println!("screenshot: {}", png.display());
    }
}

#[test]
fn browser_background_hosts_are_told_apart_from_the_page() {
    assert!(browser_own(
        "https://update.googleapis.com/service/update2/json"
    ));
    assert!(browser_own("http://clients2.google.com/time/1/current"));
    assert!(!browser_own("https://orglearn-check.invalid/x.png"));
    assert!(!browser_own("https://notgoogle.com/x"));
    let log = "[1:2:VERBOSE1:net/base/network_delegate.cc:38] NetworkDelegate::NotifyBeforeURLRequest: https://accounts.google.com/ListAccounts?x=1\n\
               [1:2:VERBOSE1:net/base/network_delegate.cc:38] NetworkDelegate::NotifyBeforeURLRequest: https://cdn.example.org/lib.js\n";
    assert_eq!(page_requests(log), vec!["https://cdn.example.org/lib.js"]);
}
