#!/usr/bin/env bash
# Regenerates the README's pictures of the status page from the real-browser
# test (headless Chromium against the page served with the test fleet).
# Needs Chromium (scripts/test.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
ASR_README_SCREENSHOTS="$PWD/docs" \
  cargo test -p asr-gateway --test web_browser chromium_screenshots_every_page -- --nocapture
ls -l docs/*.png
