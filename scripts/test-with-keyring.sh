#!/usr/bin/env bash
# `npm run test:ci`: the test suite with a real OS keychain. On Linux that is a Secret
# Service; a CI machine has no desktop session, so start a private D-Bus session with a
# throwaway, unlocked gnome-keyring for the length of the run. Arguments go to vitest.
set -euo pipefail

section() { printf '\n==> %s\n' "$*"; }

# True when this shell's session bus already has (or can start) a Secret Service.
has_secret_service() {
  [[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]] && command -v dbus-send >/dev/null || return 1
  local method
  for method in NameHasOwner ListActivatableNames; do
    local args=()
    [[ $method == NameHasOwner ]] && args=(string:org.freedesktop.secrets)
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      "org.freedesktop.DBus.$method" "${args[@]}" 2>/dev/null |
      grep -Eq 'boolean true|"org\.freedesktop\.secrets"' && return 0
  done
  return 1
}

if [[ "$(uname -s)" != Linux ]]; then
  section "Tests (using the system keychain)"
  exec npm test -- "$@"
fi

if has_secret_service; then
  section "Tests (using this session's Secret Service)"
  exec npm test -- "$@"
fi

for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null; then
    echo "test:ci needs $tool for the keychain tests: apt-get install dbus gnome-keyring" >&2
    exit 1
  fi
done

# The keyring files go to a temporary directory, so a developer's own login keyring is
# never created or touched; only the daemon sees this XDG_DATA_HOME, not the tests.
keyring_home="$(mktemp -d)"
trap 'rm -rf "$keyring_home"' EXIT
KEYRING_PW="$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')"
export KEYRING_PW keyring_home

section "Tests (private D-Bus session, throwaway gnome-keyring)"
dbus-run-session -- bash -c '
  set -euo pipefail
  echo -n "$KEYRING_PW" |
    XDG_DATA_HOME="$keyring_home" gnome-keyring-daemon --unlock --components=secrets >/dev/null
  unset KEYRING_PW keyring_home
  npm test -- "$@"
' bash "$@"
