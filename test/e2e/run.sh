#!/usr/bin/env bash
# Browser end-to-end tests: the tracking snippet in a real (Debian) Chromium, driven by
# playwright-core, against the real service on the embedded database. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Chromium (Debian package)…"
  apt-get update && apt-get install -y chromium
fi

env -u DATABASE_URL npx vitest run --config vitest.e2e.config.ts "$@"
