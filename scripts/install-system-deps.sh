#!/usr/bin/env bash
# Installs the real servers the integration tests start (test/harness/servers.ts):
# Prosody, ejabberd, InspIRCd, ngIRCd and Atheme (IRC services linked to
# InspIRCd), biboumi (whose database the import-biboumi test reads), and profanity and
# tmux (a real XMPP client under a terminal), on Debian 12, as root, non-interactively.
#
# Idempotent:
# - /usr/sbin/policy-rc.d (exit 101 = "do not start services") is written only if
#   absent, so apt never starts system-wide daemons that would hold ports or the
#   Erlang node names our tests use.
# - apt runs only when one of the binaries is missing.
# - System daemons that were started anyway are stopped. They run as their
#   service accounts (prosody, ejabberd, irc); the harness runs its servers as
#   root (ngIRCd drops to nobody), so matching on the account leaves test
#   servers alone. Atheme's init script would run it as irc (pid file in
#   /run/atheme, so the loop below misses it); the pkill by account stops it.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps.sh: must run as root" >&2
  exit 1
fi
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH}"

if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\n# Written by jabirc scripts/install-system-deps.sh: no service starts from apt.\nexit 101\n' \
    > /usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
fi

# Binaries the harness runs, and the packages that provide them.
# profanity and tmux: test/integration/client.test.ts drives a real XMPP client (issue 9 §1).
required_bins=(prosody prosodyctl ejabberdctl erl inspircd ngircd atheme-services biboumi pgrep pkill profanity tmux)
packages=(prosody lua-unbound ejabberd inspircd ngircd atheme-services biboumi procps profanity tmux)

missing=()
for bin in "${required_bins[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-system-deps.sh: missing ${missing[*]}; installing ${packages[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
else
  echo "install-system-deps.sh: all server binaries present; skipping apt"
fi

# Stop system-wide instances, whether started by an init system or by hand.
for svc in prosody ejabberd inspircd ngircd atheme-services biboumi; do
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl stop "$svc" >/dev/null 2>&1 || true
    systemctl disable "$svc" >/dev/null 2>&1 || true
  elif command -v service >/dev/null 2>&1 && [ -e "/run/$svc/$svc.pid" ]; then
    # Only when running: ejabberd's init script would otherwise spawn epmd just to fail.
    service "$svc" stop >/dev/null 2>&1 || true
  fi
done
stop_user_procs() { # user [exact process name]
  local user=$1 name=${2:-}
  getent passwd "$user" >/dev/null || return 0
  if [ -n "$name" ]; then
    pkill -TERM -u "$user" -x "$name" 2>/dev/null || true
  else
    pkill -TERM -u "$user" 2>/dev/null || true
  fi
}
stop_user_procs prosody
stop_user_procs ejabberd # beam.smp, epmd, erl_child_setup
stop_user_procs irc inspircd
stop_user_procs irc ngircd
stop_user_procs irc atheme-services
stop_user_procs _biboumi biboumi # its unit would attach to the test XMPP servers' component port
sleep 1
for user in prosody ejabberd; do
  getent passwd "$user" >/dev/null && { pkill -KILL -u "$user" 2>/dev/null || true; }
done
for name in inspircd ngircd atheme-services; do
  getent passwd irc >/dev/null && { pkill -KILL -u irc -x "$name" 2>/dev/null || true; }
done

echo "install-system-deps.sh: done"
