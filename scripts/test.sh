#!/usr/bin/env bash
# The test command: every workspace's vitest suite against the real services on this machine.
# Extra arguments go to vitest (e.g. `npm test -- --project fhir-hub`).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/node-env.sh"
cd "$ROOT" || exit 1
# The viewer's browser test drives the built app the hub serves at /app/.
npm run -s build -w ui >/dev/null || { echo "test: building the viewer (npm run build -w ui) failed"; exit 1; }
exec npx vitest run "$@"
