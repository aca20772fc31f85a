#!/usr/bin/env bash
# A complete local Jabirc setup from a fresh clone, on loopback, in the foreground:
# Prosody (XMPP domain `localhost`, c2s 127.0.0.1:5222, component irc.localhost on
# 127.0.0.1:5347), InspIRCd (127.0.0.1:6667) and Jabirc, with a demo account whose
# JID and password are printed. Ctrl-C stops all three.
#
# Run as root on Debian 12 (it installs the server packages):  bash scripts/dev-up.sh
#
# State lives in .dev/ (gitignored): config.toml, the database, the servers' run
# directories. The servers are started by the same harness the integration tests
# use (test/harness/servers.ts), compiled into .dev/harness since test/ is not part
# of the build. Everything binds 127.0.0.1 only; c2s is plaintext, which is fine
# for a demo on loopback and nothing else.
set -euo pipefail

cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "dev-up.sh: run as root (it installs Prosody and InspIRCd with apt)" >&2
  exit 1
fi

bash scripts/install-system-deps.sh
if [ ! -d node_modules ]; then
  npm ci
fi
npm run build

mkdir -p .dev
npx tsc --module nodenext --moduleResolution nodenext --target es2022 --types node \
  --strict --skipLibCheck --outDir .dev/harness --rootDir test/harness test/harness/servers.ts

# exec: node receives Ctrl-C itself and stops Jabirc, then the servers.
exec node scripts/dev-up.mjs
