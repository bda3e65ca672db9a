#!/usr/bin/env bash
# Installs the Node.js runtime ifreg runs on into .runtime/node-<version>/ of this repository
# (ignored by git), from the npm registry's `node` package, which carries the official binary.
# Prints the folder to put first on PATH. Usage: tools/node/install.sh [24|22]
# Idempotent: a runtime already installed is reused. npm comes with it, so a machine whose own
# Node and npm are older needs nothing else.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
major="${1:-24}"
version="$(sed -n "s/^$major=//p" "$root/tools/node/versions")"
npm_version="$(sed -n 's/^npm=//p' "$root/tools/node/versions")"
if [ -z "$version" ]; then
  echo "tools/node/install.sh: no pinned version for Node $major (see tools/node/versions)" >&2
  exit 2
fi
prefix="$root/.runtime/node-$version"
bin="$prefix/node_modules/.bin"
if ! "$bin/node" --version > /dev/null 2>&1 || ! [ -x "$bin/npm" ]; then
  echo "installing Node $version and npm $npm_version into .runtime/ (from the npm registry)" >&2
  rm -rf "$prefix" && mkdir -p "$prefix"
  # --ignore-scripts=false: the node package links its platform binary in a preinstall script.
  npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund --ignore-scripts=false \
    --loglevel=error "node@$version" "npm@$npm_version" >&2
fi
actual="$("$bin/node" --version)"
if [ "$actual" != "v$version" ]; then
  echo "tools/node/install.sh: expected Node v$version in $prefix, found $actual" >&2
  exit 1
fi
echo "$bin"
