#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kselftest form (selftests/kselftest, installed by `make
# kselftest-install` with the kernel's run_kselftest.sh) in three boots:
#  1. UEFI: run_kselftest.sh -c lastwords: lw_efi_pstore_tests passes,
#     lw_post_reboot_tests skips (no crash yet); then lw_crash_step.sh
#     panics (in a hard interrupt) after writing the reboot flag;
#  2. same NVRAM: run_kselftest.sh again: both pass, the panic's record read
#     back and erased;
#  3. no UEFI: both skip (exit 4), saying why.
set -u
. "$(dirname "$0")/../lib.sh"

lw_expect_splat 'Kernel panic - not syncing: lw_crash_test: panic_hardirq'

nv=$LW_TEST_LOG/nvram.fd
ks=$LW_TEST_LOG/boot1/ksft
"$lw_repo/scripts/kselftest.sh" "$ks" || lw_fail "make kselftest-install failed"
# Through a pipe: the runner writes through /dev/stdout, which reopened on a
# regular file would start again at its beginning.
run='{ ./run_kselftest.sh -c lastwords; echo runner_rc=$?; } 2>&1 | cat >"$LW_LOG/ktap.txt"'
lw_boot boot1 --nvram "$nv" -- "
	cd \"\$LW_LOG/ksft\" || exit 10
	$run
	./lastwords/lw_crash_step.sh panic_hardirq
"
lw_assert_eq "$(lw_result boot1)" panic "boot 1: lw_crash_step.sh panicked"
for b in boot2 boot3; do
	mkdir -p "$LW_TEST_LOG/$b"
	cp -r "$ks" "$LW_TEST_LOG/$b/"
done
rm -f "$LW_TEST_LOG/boot3/ksft/lastwords/reboot_flag"
lw_boot boot2 --nvram "$nv" -- "cd \"\$LW_LOG/ksft\" || exit 10; $run"
lw_assert_eq "$(lw_result boot2)" "exit 0" "boot 2 ran"
lw_boot boot3 --no-uefi -- "cd \"\$LW_LOG/ksft\" || exit 10; $run"
lw_assert_eq "$(lw_result boot3)" "exit 0" "boot 3 ran"

for b in boot1 boot2 boot3; do
	echo "--- $b: run_kselftest.sh -c lastwords"
	sed 's/^/  /' "$LW_TEST_LOG/$b/ktap.txt"
done
k1=$LW_TEST_LOG/boot1/ktap.txt k2=$LW_TEST_LOG/boot2/ktap.txt k3=$LW_TEST_LOG/boot3/ktap.txt
lw_assert_grep "$k1" '^ok 1 selftests: lastwords: lw_efi_pstore_tests.sh$' "boot 1: lw_efi_pstore_tests passes"
lw_assert_grep "$k1" '^ok 2 selftests: lastwords: lw_post_reboot_tests.sh # SKIP' "boot 1: post-reboot test skips before the crash"
lw_assert_grep "$LW_TEST_LOG/boot1/out.log" '^Causing a kernel panic: panic_hardirq' "boot 1: the crash step ran"
lw_assert_grep "$k2" '^ok 1 selftests: lastwords: lw_efi_pstore_tests.sh$' "boot 2: lw_efi_pstore_tests passes"
lw_assert_grep "$k2" '^ok 2 selftests: lastwords: lw_post_reboot_tests.sh$' "boot 2: post-reboot test passes"
lw_assert_grep "$k2" "ok 4 the panic's record holds the marker" "boot 2: the record was read back"
lw_assert_grep "$k2" 'ok 5 erased records are gone after a remount' "boot 2: and erased"
lw_assert_grep "$k3" '^ok 1 selftests: lastwords: lw_efi_pstore_tests.sh # SKIP' "boot 3 (no UEFI): lw_efi_pstore_tests skips"
lw_assert_grep "$k3" 'SKIP not booted through UEFI' "boot 3: with the reason"
! grep -q '^not ok' "$k1" "$k2" "$k3" || lw_fail "a kselftest failed"
for k in "$k1" "$k2" "$k3"; do
	lw_assert_grep "$k" '^runner_rc=0$' "run_kselftest.sh exit status 0 (${k#"$LW_TEST_LOG/"})"
done
echo "ok: no kselftest failed"
