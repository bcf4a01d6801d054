#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs what the benchmarks in tests/bench/ need on Debian 12: Kamailio
# 5.6 with the SQLite driver (auth_db reads the subscriber table from it),
# sipp (sip-tester) to generate load, sipsak to probe a server's port, and
# sqlite3 and perl (Digest::MD5) to fill the subscriber table with HA1. Idempotent: only missing packages
# are installed. Not part of `make check`.
set -eu

PKGS="kamailio kamailio-sqlite-modules sip-tester sipsak sqlite3 perl"

missing=
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "bench deps: all installed ($PKGS)"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "bench deps: missing:$missing; run as root" >&2
	exit 1
fi

# The benchmarks start their own Kamailio on free loopback ports; the
# packaged service must not grab 5060 or run in the background of a
# measurement, so service starts are refused during the install when no
# policy is in place already.
policy=/usr/sbin/policy-rc.d
added_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	added_policy=1
fi
cleanup() {
	[ -n "$added_policy" ] && rm -f "$policy"
	return 0
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! apt-get install -y --no-install-recommends $missing; then
	apt-get update
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $missing
fi
echo "bench deps: installed:$missing"
