#!/usr/bin/env bash
# Installs, with apt-get, the programs the tests start or drive, and what building better-sqlite3
# from source needs, each only when it is missing. Debian or Ubuntu; as root, or through sudo.
#   scripts/install-test-deps.sh            install what is missing
#   scripts/install-test-deps.sh --dry-run  print what is missing and the command, install nothing
# The README's test line and .ci/run both start with this script.
set -euo pipefail

PROG="install-test-deps.sh"
dry_run=false
case "${1:-}" in
  '') ;;
  --dry-run) dry_run=true ;;
  -h | --help)
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "$PROG: unknown argument \"$1\" (try --help)" >&2
    exit 2
    ;;
esac

# Daemons live in sbin, which is not on every user's PATH.
have() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/local/sbin/$1" ] || [ -x "/sbin/$1" ]
}

missing=()
need() { # need PROGRAM PACKAGE: add PACKAGE unless PROGRAM is there (each package once)
  have "$1" && return 0
  local p
  for p in "${missing[@]}"; do [ "$p" = "$2" ] && return 0; done
  missing+=("$2")
}

need nats-server nats-server
need mosquitto mosquitto
need mosquitto_passwd mosquitto
need mosquitto_pub mosquitto-clients
need mosquitto_sub mosquitto-clients
need openssl openssl
need shellcheck shellcheck
# The status page test drives Debian's Chromium at this path (playwright-core downloads no browser).
[ -x /usr/bin/chromium ] || missing+=(chromium)
# node-gyp compiles better-sqlite3 when no prebuilt binary can be downloaded.
need python3 python3
need make make
need g++ g++

if [ ${#missing[@]} -eq 0 ]; then
  echo "$PROG: nothing to install"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "$PROG: missing ${missing[*]}; run this script as root, or install sudo" >&2
    exit 1
  fi
  sudo=(sudo)
fi
install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}")

if [ "$dry_run" = true ]; then
  echo "$PROG: missing: ${missing[*]}"
  echo "${sudo[*]}${sudo[*]:+ }apt-get update -qq"
  echo "${install[*]}"
  exit 0
fi

echo "$PROG: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
"${install[@]}"
