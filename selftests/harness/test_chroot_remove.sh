#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# scripts/chroot.sh removes an old chroot (what an interrupted debootstrap
# left, with its /proc and /sys still mounted in it, or a container's bind
# mounts) without deleting through the mounts: the files behind them stay,
# the mounts are gone, and so is the old root. Host only; needs root.
# lw-test: kernel-independent
set -u
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || lw_skip "needs root (mounts)"

cache=$LW_TEST_LOG/cache
root=$(LW_CACHE=$cache "$lw_repo/scripts/chroot.sh" where)
case "$root" in "$cache"/chroot/*) ;; *) lw_fail "chroot path $root is not under $cache" ;; esac
behind=$LW_TEST_LOG/behind
mkdir -p "$behind/a" "$behind/b" "$root/proc" "$root/sys/deeper" "$root/usr"
echo keep >"$behind/a/keep"
echo keep >"$behind/b/keep"
echo old >"$root/usr/file"
mount --bind "$behind/a" "$root/proc" || lw_fail "bind mount"
mount --bind "$behind/b" "$root/sys/deeper" || { umount "$root/proc"; lw_fail "bind mount"; }
LW_CACHE=$cache "$lw_repo/scripts/chroot.sh" remove
rc=$?
# Never leave the mounts behind, whatever happened.
for m in "$root/sys/deeper" "$root/proc"; do
	! mountpoint -q "$m" 2>/dev/null || umount -l "$m"
done
lw_assert_eq "$rc" 0 "chroot.sh remove"
lw_assert_eq "$(cat "$behind/a/keep" 2>/dev/null)" keep "the files behind the /proc mount are still there"
lw_assert_eq "$(cat "$behind/b/keep" 2>/dev/null)" keep "the files behind a deeper mount are still there"
[ ! -e "$root" ] || lw_fail "the old root $root is still there"
echo "ok: the old root is gone"
lw_assert_eq "$(findmnt -rn -o TARGET | grep -c "^$cache/" || true)" 0 "nothing is mounted under the cache"
