#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian 12 packages sipserver needs to build and test, skipping
# what is already there. Run as root (or through sudo).
set -e
PKGS="build-essential autoconf automake libtool libltdl-dev pkg-config
libxml2-dev libxml2-utils libsqlite3-dev sqlite3 libssl-dev openssl libedit-dev
check libc-ares-dev sip-tester sipsak dnsmasq-base clang libclang-rt-14-dev
valgrind cppcheck clang-format procps baresip baresip-core sox python3"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
