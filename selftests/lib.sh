# SPDX-License-Identifier: GPL-2.0
# Helpers for the tests under selftests/. Sourced by each test script, which
# run.sh starts with LW_TEST_LOG set to the test's own log directory.
#
# A test prints diagnostics on stdout (run.sh turns them into KTAP "# " lines)
# and exits 0 for pass, 4 for skip (kselftest's KSFT_SKIP), anything else for
# fail. After it exits, run.sh scans every console.log under LW_TEST_LOG for
# splats; a splat the test did not announce with lw_expect_splat fails it.

: "${LW_TEST_LOG:?run tests through selftests/run.sh}"
lw_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# LW_KERNEL, LW_CACHE and the tools on PATH, as the scripts see them.
. "$lw_repo/scripts/lib.sh"
LW_VM=$lw_repo/scripts/vm.sh
# The firmware's empty variable store, which vm.sh copies for a new NVRAM:
# OVMF's (x86-64) or AAVMF's (arm64).
if [ "$(lw_kernel_arch)" = arm64 ]; then
	LW_VARS_TEMPLATE=/usr/share/AAVMF/AAVMF_VARS.fd
else
	LW_VARS_TEMPLATE=/usr/share/OVMF/OVMF_VARS_4M.fd
fi
export LW_KSFT_SKIP=4

# lw_kconfig OPTION: the tested kernel's value of CONFIG_OPTION (y, m, a
# string, or nothing if unset), from its tree's .config (for Debian's stock
# kernel, the stock configuration).
lw_kconfig() {
	[ -n "${lw_kdir:-}" ] || lw_kdir=$(KDIR=${KDIR:-} "$lw_repo/scripts/kernel.sh")
	sed -n "s/^CONFIG_$1=//p" "$lw_kdir/.config"
}

# lw_require OPTION WHAT: skip the test, saying so, unless the tested kernel
# has CONFIG_OPTION (Debian's stock kernel has no lockdep, no LKDTM and no
# PSTORE_PMSG); WHAT says what the test needs it for.
lw_require() {
	[ -n "$(lw_kconfig "$1")" ] || lw_skip "this kernel has no CONFIG_$1 ($2)"
}

# lw_boot NAME [vm.sh options] -- 'guest command'
# One boot, logged under $LW_TEST_LOG/NAME. Returns the vm.sh status: the
# guest command's exit status, 124 on timeout, 125 on a crash or death.
lw_boot() {
	local name=$1
	shift
	"$LW_VM" --log "$LW_TEST_LOG/$name" "$@"
}

# lw_result NAME: prints the boot's outcome ("exit N", "panic", ...).
lw_result() {
	cat "$LW_TEST_LOG/$1/result" 2>/dev/null || echo missing
}

# lw_expect_splat REGEX: this test provokes splats whose header matches REGEX.
lw_expect_splat() {
	printf '%s\n' "$1" >>"$LW_TEST_LOG/expected_splats"
}

# lw_expect_splat_after_panic REGEX: splats matching REGEX are expected only
# after the kernel panicked (e.g. the FPU warnings of EFI calls from NMI).
lw_expect_splat_after_panic() {
	printf '%s\n' "$1" >>"$LW_TEST_LOG/expected_after_panic"
}

lw_fail() {
	echo "FAIL: $*"
	exit 1
}

lw_skip() {
	echo "SKIP: $*"
	exit "$LW_KSFT_SKIP"
}

# lw_assert_grep FILE REGEX WHAT: fail unless FILE has a line matching REGEX.
lw_assert_grep() {
	grep -qE -- "$2" "$1" 2>/dev/null || lw_fail "$3 (no /$2/ in $1)"
	echo "ok: $3"
}

# lw_assert_eq GOT WANT WHAT
lw_assert_eq() {
	[ "$1" = "$2" ] || lw_fail "$3: got '$1', want '$2'"
	echo "ok: $3 ($1)"
}

# Guest-side snippet: print every counter file of a debugfs directory as
# "name=value" lines. Use inside a guest command: "$(lw_dump_counters DIR)".
lw_dump_counters() {
	echo "for f in /sys/kernel/debug/$1/*; do [ -f \"\$f\" ] && [ -r \"\$f\" ] && [ \"\${f##*/}\" != run ] && echo \"\${f##*/}=\$(cat \"\$f\")\"; done"
}

# Guest-side snippet: mount debugfs if needed.
LW_GUEST_DEBUGFS='mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug'

# lw_counter FILE NAME: the value of NAME in a "name=value" dump (last one).
lw_counter() {
	sed -n "s/^$2=//p" "$1" | tail -1
}

# lw_wait_console LOGDIR REGEX TIMEOUT [PID]: wait until a running boot's
# console shows REGEX. With PID (the background lw_boot's), stop waiting
# once it has exited: the bound can then be as generous as the boot's own
# timeout (a slow host must not fail the test) without a dead boot being
# waited for. Returns 1 on timeout, 2 if the boot ended first.
lw_wait_console() {
	local i
	for ((i = 0; i < $3 * 5; i++)); do
		grep -qE -- "$2" "$1/console.log" 2>/dev/null && return 0
		if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
			# One last look: the line may have come just before the end.
			grep -qE -- "$2" "$1/console.log" 2>/dev/null && return 0
			return 2
		fi
		sleep 0.2
	done
	return 1
}

# Guest-side snippet: defines lw_oops, a synchronous oops in task context
# (kernel BUG in a kernel thread of lw_crash_test, loaded if it is not;
# returns once the oops is dumped), so that the tests need no LKDTM. Expect
# its splat with lw_expect_oops.
LW_GUEST_OOPS='lw_oops() {
	grep -q "^lw_crash_test " /proc/modules || insmod ./lw_crash_test.ko || return 1
	echo oops_task >/sys/kernel/debug/lw_crash/run && echo wait >/sys/kernel/debug/lw_crash/run
}'

# Guest-side snippet: lw_until COMMAND WHAT waits until COMMAND succeeds
# (polling every 0.1 s, with a 2 min backstop), or says "never: WHAT" and
# returns 1; lw_hold_efivars has lw_crash_test hold the efivars lock from a
# background job until lw_release_efivars (returns once it is held).
LW_GUEST_HOLD_EFIVARS='lw_until() {
	local t=0
	until eval "$1"; do
		t=$((t + 1))
		[ $t -le 1200 ] || { echo "never: $2"; return 1; }
		sleep 0.1
	done
}
lw_hold_efivars() {
	grep -q "^lw_crash_test " /proc/modules || insmod ./lw_crash_test.ko || return 1
	echo hold_efivars_on >/sys/kernel/debug/lw_crash/run &
	lw_until "dmesg | grep -q \"hold_efivars_on: holding\"" "hold_efivars_on held the lock"
}
lw_release_efivars() { echo hold_efivars_off >/sys/kernel/debug/lw_crash/run; wait; }'

# lw_expect_oops: the test raises lw_oops (its BUG and oops header).
# On arm64 the oops reads "Internal error: Oops - BUG", and a BUG() is a
# debug exception (BRK), which the kernel enters as it enters an NMI: the
# task that oopses is killed inside it and never leaves it, so the next
# switch away from it and the next idle entry on that CPU warn (DAIF still
# masked, context tracking's NMI nesting). They come from the kernel's
# arm64 entry code after any BUG() that kills a task, so they are expected
# with the oops.
lw_expect_oops() {
	lw_expect_splat 'kernel BUG at .*rust/helpers.c:[0-9]+!|Oops: invalid opcode|Internal error: Oops - BUG: '
	if [ "$(lw_kernel_arch)" = arm64 ]; then
		lw_expect_splat 'WARNING: arch/arm64/kernel/process.c:[0-9]+ at __switch_to'
		lw_expect_splat 'WARNING: kernel/context_tracking.c:[0-9]+ at ct_kernel_exit'
	fi
}

# Guest-side snippet: defines lw_put_vars GUID, which writes the variables
# the host put in $LW_LOG/vars (one file each, in efivarfs' format: the
# attributes, then the data) through efivarfs, in the order of
# $LW_LOG/order.list, under GUID.
LW_GUEST_PUT_VARS='lw_put_vars() {
	local ev=/sys/firmware/efi/efivars n
	mountpoint -q $ev || mount -t efivarfs none $ev || return 1
	while IFS= read -r n; do
		cat "$LW_LOG/vars/$n" >"$ev/$n-$1" || echo "could not write $n"
	done <"$LW_LOG/order.list"
}'

# Guest-side snippets: load our backend; mount pstorefs if needed.
LW_LOAD_OURS='insmod ./lw_efi_pstore.ko'
LW_LOAD_C='modprobe efi_pstore'
LW_GUEST_PSTORE='mountpoint -q /sys/fs/pstore || mount -t pstore pstore /sys/fs/pstore'

# lw_boot_read NAME NVRAM [LOAD] [GLOB]: boot on NVRAM, load a backend
# (default: ours), mount pstorefs, and save the records matching GLOB
# (default: our dmesg records) to $LW_TEST_LOG/NAME/records.txt; out.log gets
# "files=N", the number of dmesg records listed, and "dense_parts=N", the
# dense parts (variables) in NVRAM. Returns the boot's status.
lw_boot_read() {
	local name=$1 nv=$2 load=${3:-$LW_LOAD_OURS} glob=${4:-dmesg-lw_efi_pstore-*}
	lw_boot "$name" --nvram "$nv" -- "
		$load || exit 10
		$LW_GUEST_PSTORE || exit 11
		echo files=\$(ls /sys/fs/pstore | grep -c '^dmesg-')
		mountpoint -q /sys/firmware/efi/efivars || mount -t efivarfs none /sys/firmware/efi/efivars
		echo dense_parts=\$(ls /sys/firmware/efi/efivars | grep -c '^lw-dense2-type0-')
		cat /sys/fs/pstore/$glob >\"\$LW_LOG/records.txt\" 2>/dev/null
		true
	"
}
