#!/usr/bin/env bash
# Browser check of the run report: installs Debian's Chromium when it is
# missing, then runs tests/browser.rs, which opens report.html headless,
# takes a screenshot and checks that every chart rendered and that the page
# requested nothing from the network. The screenshot and the report are kept
# in $ORGLEARN_SCREENSHOT_DIR (default target/browser-test/) for a person to
# look at. Run from a fresh clone with `bash .ci/browser-test.sh`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v chromium >/dev/null 2>&1 &&
    ! command -v chromium-browser >/dev/null 2>&1 &&
    ! command -v google-chrome >/dev/null 2>&1; then
    echo "installing chromium (Debian package)"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
    fi
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
fi

export ORGLEARN_REQUIRE_BROWSER=1
export ORGLEARN_SCREENSHOT_DIR="${ORGLEARN_SCREENSHOT_DIR:-$PWD/target/browser-test}"
mkdir -p "$ORGLEARN_SCREENSHOT_DIR"
cargo test --locked --test browser -- --nocapture
echo "screenshot and report: $ORGLEARN_SCREENSHOT_DIR"
