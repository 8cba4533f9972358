#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: everything, in order, from a fresh Debian 12 machine: install,
# host tests, then for each kernel (7.3, 6.12 and Debian's stock 7.3 image,
# or the one KERNEL= or KDIR= names): build it (cached; for the stock kernel,
# prepare its tree), lint, build the modules, VM selftests. One progress line
# per phase with its wall time.
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

QUICK_TESTS=(efi_pstore/test_roundtrip crash_matrix/test_matrix_ours_none
	efi_pstore/test_interop efi_pstore/test_malformed_nvram)

if [ -n "${KDIR:-}" ] || [ -n "${KERNEL:-}" ] || [ "${1:-}" = --quick ]; then
	kernels=("$LW_KERNEL")
else
	kernels=(7.3 6.12 debian-7.3)
fi

phase setup "$here/scripts/setup.sh"
phase hosttest "$here/scripts/hosttest.sh"
for k in "${kernels[@]}"; do
	export KERNEL=$k
	n=${KDIR:+tree}
	n=${n:-$k}
	phase "kernel $n" kernel_quiet
	# lint's clippy pass builds every module (with clippy-driver): it fails
	# on what does not compile, too. Then the modules are built normally.
	phase "lint $n" "$here/scripts/lint.sh"
	phase "modules $n" build_modules
	if [ "${1:-}" = --quick ]; then
		phase "selftests-quick $n" "$here/selftests/run.sh" "${QUICK_TESTS[@]}"
	else
		phase "selftests $n" "$here/selftests/run.sh"
	fi
done
