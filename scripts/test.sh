#!/usr/bin/env bash
# The test command: every workspace's vitest suite against the real services on this machine.
# Extra arguments go to vitest (e.g. `npm test -- --project fhir-hub`).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/node-env.sh"
cd "$ROOT" && exec npx vitest run "$@"
