#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Does scripts/setup.sh work on a clean Debian 12 machine without rustup
# (no cargo or rustc on PATH)? Makes one: a minimal bookworm debootstrap
# (the machine's own mirror, and its apt sources copied in, security
# updates included), copies the repository in, and runs setup.sh there as
# root, PATH=/usr/sbin:/usr/bin:/sbin:/bin, with a fresh cache. Not part of
# make check (15 to 25 min, 3 GB); run it when setup.sh changes.
#
# Usage: fresh-setup-check.sh [DIR]   (default: $LW_CACHE/fresh-bookworm;
#                                      removed first, kept afterwards)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
. "$here/scripts/debian.sh"
[ "$(id -u)" = 0 ] || lw_die "needs root (debootstrap, chroot)"
root=${1:-$LW_CACHE/fresh-bookworm}
root=$(realpath -m "$root")

if [ -e "$root" ]; then
	! findmnt -rn -o TARGET | grep -q "^$root/" || lw_die "something is mounted under $root"
	rm -rf --one-file-system "$root"
fi
mkdir -p "$root"
lw_say "fresh-setup-check: debootstrap bookworm into $root"
unshare --mount --propagation private -- debootstrap --variant=minbase \
	--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
	bookworm "$root" "$(lw_debian_mirror)" >"$root.debootstrap.log" 2>&1 ||
	{ tail -20 "$root.debootstrap.log"; lw_die "debootstrap failed"; }
# The machine's apt sources, as a fresh install has its own.
cp /etc/apt/sources.list "$root/etc/apt/" 2>/dev/null || true
cp -r /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/" 2>/dev/null || true
cp /etc/resolv.conf "$root/etc/resolv.conf"
# And its certificate authorities (a network that inspects TLS has its own),
# with the environment that names them.
mkdir -p "$root/etc/ssl/certs" "$root/usr/local/share/ca-certificates"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/" 2>/dev/null || true
cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
netenv=()
for v in SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE PIP_CERT REQUESTS_CA_BUNDLE \
	http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
	[ -z "${!v:-}" ] || netenv+=("$v=${!v}")
done
mkdir -p "$root/src"
git -C "$here" ls-files -z | (cd "$here" && xargs -0 tar cf -) | tar xf - -C "$root/src"
lw_say "fresh-setup-check: scripts/setup.sh in it (log: $root.setup.log)"
t=$(date +%s)
rc=0
unshare --mount --propagation private -- /bin/sh -c '
	mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" &&
	root=$1
	shift
	exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 "$@" \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "
		command -v cargo rustc && { echo rustup or cargo already here; exit 9; }
		cd /src && scripts/setup.sh && scripts/setup.sh && /usr/bin/cargo --version &&
		scripts/hosttest.sh"
' fresh "$root" "${netenv[@]}" >"$root.setup.log" 2>&1 || rc=$?
tail -25 "$root.setup.log"
lw_say "fresh-setup-check: exit $rc after $(( $(date +%s) - t ))s (setup twice, then the host tests)"
exit $rc
