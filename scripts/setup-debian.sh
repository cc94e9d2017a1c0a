#!/bin/sh
# The system packages Tessera needs on Debian or Ubuntu, after an `apt-get update`:
#   sh scripts/setup-debian.sh app    build and start the desktop app, and the CLI
#   sh scripts/setup-debian.sh test   also run the tests (a throwaway keyring, Chromium)
# The README's set-up commands call it, and CI runs them on a fresh Debian as root. It uses
# sudo only when not root: a fresh container runs as root and has no sudo.
set -eu

# keytar (the OS keychain binding) links against libsecret; keytar and better-sqlite3 build
# from source (build-essential, python3) where no prebuilt binary downloads.
APP="build-essential python3 libsecret-1-dev gnome-keyring ca-certificates"
# dbus-run-session and a Secret Service for the keychain tests; Chromium for the end-to-end tests;
# PostgreSQL for the relay's PostgreSQL backend (its tests run when TESSERA_TEST_PG is set), and
# its server binaries (initdb) for the built-in rotator's and leases' tests, which start a cluster of their own.
TEST="$APP dbus dbus-x11 chromium postgresql"

list=false
if [ "${1:-}" = --list ]; then list=true; shift; fi
case "${1:-}" in
  app) packages=$APP ;;
  test) packages=$TEST ;;
  *) echo "usage: sh scripts/setup-debian.sh app|test" >&2; exit 2 ;;
esac
if $list; then echo "$packages"; exit 0; fi

if [ "$(id -u)" = 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo=sudo
else
  echo "setup-debian.sh: apt-get needs root: run this as root, or install sudo" >&2
  exit 1
fi

$sudo apt-get update
# Ubuntu has no `chromium` package: its chromium-browser brings the snap.
case " $packages " in
  *" chromium "*)
    if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
      packages=$(echo "$packages" | sed 's/ chromium$/ chromium-browser/')
    fi ;;
esac
# shellcheck disable=SC2086 # the package list is meant to split into words
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages
