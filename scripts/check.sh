#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: everything, in order, from a fresh Debian 12 machine: install,
# host tests, the lastwords command (./lastwords), then for each kernel (7.3, 6.12 and Debian's stock 7.3 image,
# or the one KERNEL= or KDIR= names): build it (cached; for the stock kernel,
# prepare its tree), lint, build the modules, VM selftests. One progress line
# per phase with its wall time. A kernel whose phase fails does not stop the
# others: every kernel is tried, a table (kernel, phase reached, tests
# passed/failed/skipped, time) closes the run, and the exit status is 1 if
# anything failed. The harness's kernel-independent tests (vm.sh, the
# runner, the splat scanner, guest paths) run with the first kernel's suite
# only (LW_KERNEL_TESTS_ONLY, selftests/run.sh).
#
# `make check-arm64` (--arm64): the same phases for Debian's stock arm64
# kernel (KERNEL=debian-7.3-arm64), in arm64 VMs (qemu-system-aarch64, TCG,
# AAVMF); its suite is the tests marked "# lw-test: arm64" (selftests/run.sh).
# CI runs it after make check (.ci/run): the three x86 kernels' suites fill
# make check's budget.
#
# `make check-quick` (--quick): the same phases for one kernel (KERNEL=, the
# default 7.3), and of the VM selftests only the few that catch most
# regressions (QUICK_TESTS): the round trip, a panic in each context, interop
# with the C backend both ways, malformed NVRAM.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
lw_t0=$(date +%s)
export lw_t0
. "$here/scripts/lib.sh"

build_modules() {
	mkdir -p "$LW_CACHE"
	if ! "$here/scripts/modules.sh" >"$LW_CACHE/modules.log" 2>&1; then
		cat "$LW_CACHE/modules.log"
		return 1
	fi
	# objtool's findings are warnings to kbuild (a code path it cannot follow,
	# such as a panic call the tree does not know never returns): errors here.
	if grep -E 'warning: objtool|^(warning|error)(\[|:)' "$LW_CACHE/modules.log"; then
		return 1
	fi
}

kernel_quiet() {
	"$here/scripts/kernel.sh" >/dev/null
}

phase() {
	local name=$1 t
	t=$(date +%s)
	shift
	lw_say "check: $name"
	"$@" || lw_die "check: $name failed"
	lw_say "check: $name done in $(( $(date +%s) - t ))s"
}

# kernel_phase KERNEL NAME CMD...: one phase of one kernel; on failure, says
# so and returns 1 (the kernel's remaining phases are skipped, the other
# kernels still run).
kernel_phase() {
	local k=$1 name=$2 t
	t=$(date +%s)
	shift 2
	lw_say "check: $name $k"
	if "$@"; then
		lw_say "check: $name $k done in $(( $(date +%s) - t ))s"
	else
		lw_say "check: $name $k FAILED after $(( $(date +%s) - t ))s"
		return 1
	fi
}

QUICK_TESTS=(efi_pstore/test_roundtrip crash_matrix/test_matrix_ours_none
	efi_pstore/test_interop efi_pstore/test_malformed_nvram)

if [ "${1:-}" = --arm64 ]; then
	kernels=(debian-7.3-arm64)
	shift
elif [ -n "${KDIR:-}" ] || [ -n "${KERNEL:-}" ] || [ "${1:-}" = --quick ]; then
	kernels=("$LW_KERNEL")
else
	kernels=(7.3 6.12 debian-7.3)
fi

phase setup "$here/scripts/setup.sh"
phase hosttest "$here/scripts/hosttest.sh"
phase tool "$here/scripts/tool.sh"
for k in "${kernels[@]}"; do
	if [ "$(LW_KERNEL=$k lw_kernel_arch)" = arm64 ]; then
		phase tool-arm64 "$here/scripts/tool.sh" arm64
		break
	fi
done

# selftests KERNEL OUT: the VM selftests, their output kept in OUT (for the
# summary's counts) as well as shown.
selftests() {
	local rc
	if [ "${1:-}" = --quick ]; then
		"$here/selftests/run.sh" "${QUICK_TESTS[@]}" | tee "$2"
	else
		"$here/selftests/run.sh" | tee "$2"
	fi
	rc=${PIPESTATUS[0]}
	return "$rc"
}

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
failed=0
for k in "${kernels[@]}"; do
	export KERNEL=$k
	n=${KDIR:+tree}
	n=${n:-$k}
	t=$(date +%s)
	out=$LW_CACHE/check-selftests-$n.out
	rm -f "$out"
	reached=selftests
	# lint's clippy pass builds every module (with clippy-driver): it fails
	# on what does not compile, too. Then the modules are built normally.
	if ! kernel_phase "$n" kernel kernel_quiet; then
		reached="kernel FAILED"
	elif ! kernel_phase "$n" lint "$here/scripts/lint.sh"; then
		reached="lint FAILED"
	elif ! kernel_phase "$n" modules build_modules; then
		reached="modules FAILED"
	elif ! kernel_phase "$n" selftests selftests "${1:-}" "$out"; then
		reached="selftests FAILED"
	fi
	# The harness's own tests ran once (with this kernel): the next
	# kernels' suites leave them out.
	[ ! -s "$out" ] || export LW_KERNEL_TESTS_ONLY=1
	[ "$reached" = selftests ] || failed=1
	counts=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' \
		"$out" 2>/dev/null | tail -1)
	[ -n "$counts" ] || counts="- - -"
	echo "$n|$reached|$counts|$(( $(date +%s) - t ))" >>"$summary"
done

echo
echo "check: summary"
printf '  %-16s %-18s %7s %7s %7s %7s\n' kernel "phase" passed failed skipped time
while IFS='|' read -r n reached counts secs; do
	read -r p f sk <<<"$counts"
	printf '  %-16s %-18s %7s %7s %7s %6ss\n' "$n" "$reached" "$p" "$f" "$sk" "$secs"
done <"$summary"
lw_say "check: total $(( $(date +%s) - lw_t0 ))s"
if [ $failed != 0 ]; then
	lw_die "check: failed (see the table above)"
fi
lw_say "check: all passed"
