#!/usr/bin/env bash
# Runs `npm install && npm test` on another Node.js, in a temporary copy of this checkout: the copy
# gets its own node_modules, because better-sqlite3 is compiled for one Node ABI.
#   scripts/test-on-node.sh [VERSION]   VERSION of the npm registry's node-linux-<arch> package
#                                       (exact; default 24.22.3, Node 24 LTS)
# The binary comes from the npm registry (no other download is needed); npm keeps it in its cache.
# The copy and the binary are removed at the end.
set -euo pipefail

PROG="test-on-node.sh"
version="${1:-24.22.3}"
case "$version" in
  -h | --help)
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *)
    echo "$PROG: no node-linux package for $(uname -m)" >&2
    exit 1
    ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/mainflux-export-node-$version-XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "$PROG: node-linux-$arch@$version from the npm registry"
(cd "$work" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
mkdir "$work/node"
tar -xzf "$work/node-linux-$arch-$version.tgz" -C "$work/node" --strip-components=1
rm "$work/node-linux-$arch-$version.tgz"

# The working tree as it is (tracked files and new ones, not what .gitignore excludes), so that
# the run tests the same code as the run on the machine's Node.
mkdir "$work/repo"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  commit=$(git -C "$root" rev-parse --short HEAD)
  (cd "$root" && git ls-files -z --cached --others --exclude-standard) |
    (cd "$root" && tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$work/repo"
else
  commit="${MF_EXPORT_COMMIT:-unknown}"
  (cd "$root" && tar --exclude=./node_modules --exclude=./dist -cf - .) | tar -xf - -C "$work/repo"
fi

cd "$work/repo"
# Node first on PATH: npm, node-gyp and the tests (process.execPath) all run on it. node-gyp takes
# the headers from the package (include/node) instead of downloading them. The copy has no .git:
# the build records the checkout's commit from MF_EXPORT_COMMIT.
export PATH="$work/node/bin:$PATH"
export npm_config_nodedir="$work/node"
export MF_EXPORT_COMMIT="$commit"
echo "$PROG: node $(node --version), npm $(npm --version), in $work/repo"
start=$SECONDS
npm install
npm test
echo "$PROG: node $(node --version): npm install && npm test passed in $((SECONDS - start)) s"
