#!/usr/bin/env bash
# Builds this module inside another npm project DIR (one that installed the
# module's dependencies, such as test/backstage or bench/backstage-module):
# the sources are copied to DIR/build/module and compiled (type-checked) with
# DIR's TypeScript, so that the compiled module resolves DIR's node_modules.
#   ./build-into.sh DIR        -> DIR/build/module/dist
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$(cd "$1" && pwd)"
rm -rf "$dir/build/module"
mkdir -p "$dir/build/module"
cp -r "$here/src" "$here/tsconfig.json" "$here/package.json" "$dir/build/module/"
cd "$dir/build/module"
"$dir/node_modules/.bin/tsc" -p tsconfig.json
