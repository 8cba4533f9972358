#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The guests' view of the host's paths, and the refusal of what they cannot
# see:
#  - every directory of LW_GUEST_PRIVATE (scripts/lib.sh) that the host has
#    is the guest's own (a file the host put there is not seen), and /tmp and
#    the home directory are the host's (a file put there is seen): the list
#    matches the pinned virtme-ng;
#  - `make demo` in a clone under /var/tmp stops within a minute, before any
#    build, naming the directory and what to do; so does a cache under
#    /var/tmp (LW_CACHE); a clone under /tmp passes the check.
# lw-test: kernel-independent
set -u
. "$(dirname "$0")/../lib.sh"

tag=lw-visible-$$-$RANDOM
hidden=() seen=()
for d in "${LW_GUEST_PRIVATE[@]}"; do
	case $d in /proc | /sys | /dev | /run) continue ;; esac
	[ -d "$d" ] && [ -w "$d" ] || continue
	: >"$d/$tag" && hidden+=("$d")
done
for d in /tmp "$HOME"; do
	: >"$d/$tag" && seen+=("$d")
done
cleanup() {
	local d
	for d in "${hidden[@]}" "${seen[@]}"; do rm -f "$d/$tag"; done
	[ -z "${clone:-}" ] || rm -rf "$clone"
	[ -z "${clone2:-}" ] || rm -rf "$clone2"
}
trap cleanup EXIT
echo "host dirs with a marker: private ${hidden[*]}; shared ${seen[*]}"
lw_boot look --no-uefi -- "
	for d in ${hidden[*]} ${seen[*]}; do
		[ -e \$d/$tag ] && echo \"seen \$d\" || echo \"hidden \$d\"
	done
"
lw_assert_eq "$?" 0 "guest command"
out=$LW_TEST_LOG/look/out.log
cat "$out"
for d in "${hidden[@]}"; do
	lw_assert_grep "$out" "^hidden $d\$" "$d is the guest's own"
done
for d in "${seen[@]}"; do
	lw_assert_grep "$out" "^seen $d\$" "$d is the host's"
done

# A clone in /var/tmp: refused within a minute, before building.
clone=$(mktemp -d /var/tmp/lw-clone.XXXXXX)
git clone -q "$lw_repo" "$clone/nc" || lw_fail "git clone into $clone"
t0=$(date +%s)
timeout 60 make -C "$clone/nc" demo >"$LW_TEST_LOG/var-tmp.out" 2>&1
rc=$?
cat "$LW_TEST_LOG/var-tmp.out"
[ $rc != 0 ] && [ $rc != 124 ] || lw_fail "make demo in /var/tmp: exit $rc (want a refusal)"
echo "ok: make demo in /var/tmp refused (exit $rc) after $(($(date +%s) - t0)) s"
lw_assert_grep "$LW_TEST_LOG/var-tmp.out" "the repository is in $clone/nc, under /var/tmp, which the test VMs cannot see" "the message names the directory"
lw_assert_grep "$LW_TEST_LOG/var-tmp.out" "Clone it elsewhere" "the message says what to do"
! grep -qE 'setup:|kernel:|modules' "$LW_TEST_LOG/var-tmp.out" || lw_fail "something ran before the refusal"
echo "ok: nothing was set up or built"

# A cache under /var/tmp: refused too.
LW_CACHE=$clone/cache make -C "$lw_repo" guest-paths >"$LW_TEST_LOG/cache.out" 2>&1
lw_assert_eq "$?" 2 "make guest-paths with LW_CACHE under /var/tmp fails"
lw_assert_grep "$LW_TEST_LOG/cache.out" "the cache \\(LW_CACHE\\) is in $clone/cache, under /var/tmp" "the message names the cache"

# A clone under /tmp: accepted.
clone2=$(mktemp -d /tmp/lw-clone.XXXXXX)
git clone -q "$lw_repo" "$clone2/ok" || lw_fail "git clone into $clone2"
make -C "$clone2/ok" guest-paths >"$LW_TEST_LOG/tmp.out" 2>&1
lw_assert_eq "$?" 0 "make guest-paths in a clone under /tmp"
