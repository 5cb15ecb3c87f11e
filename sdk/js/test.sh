#!/bin/sh
# Runs the TypeScript SDK's tests as CI does: a clean install from the
# lockfile, the build, then the tests against a rallypoint built from this
# repository (so Go must be on PATH too).
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm test
