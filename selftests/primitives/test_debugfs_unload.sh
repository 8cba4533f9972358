#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# debugfs files of rust/lastwords/debugfs.rs hold their module while open:
# their file_operations live in the module and name it as owner. With a
# trigger file (lw_crash_test's run) or a text file (lw_apei_test's
# orphans) open, rmmod must fail (the module is in use) and the file must
# still work; once it is closed, rmmod must succeed. Without an owner,
# rmmod succeeded under the open file and closing it ran
# full_proxy_release() on the freed module's file_operations.
# lw-test: arm64
. "$(dirname "$0")/../lib.sh"

# delete_module(2) straight, to see the kernel's errno (kmod's rmmod stops
# early when the refcount is not zero); its number is the architecture's.
delete_module='import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
nr = {"x86_64": 176, "aarch64": 106}[os.uname().machine]
r = libc.syscall(nr, sys.argv[1].encode(), os.O_NONBLOCK)
print("errno=%d" % (ctypes.get_errno() if r else 0))'

# guest_case MODULE FILE REDIR: REDIR opens FILE on fd 3 (">" or "<").
guest_case() {
	local m=$1 f=$2 redir=$3
	echo "
	insmod ./$m.ko || exit 10
	exec 3$redir/sys/kernel/debug/$f || exit 11
	echo $m.refcnt_open=\$(cat /sys/module/$m/refcnt)
	rmmod $m 2>\"\$LW_LOG/$m.rmmod.err\"
	echo $m.rmmod_open=\$?
	echo $m.delete_module_open_\$(python3 -c '$delete_module' $m)
	echo $m.loaded_open=\$([ -d /sys/module/$m ] && echo 1 || echo 0)
	exec 3>&-
	echo $m.refcnt_closed=\$(cat /sys/module/$m/refcnt 2>/dev/null)
	rmmod $m
	echo $m.rmmod_closed=\$?
	echo $m.loaded_closed=\$([ -d /sys/module/$m ] && echo 1 || echo 0)
	"
}

lw_boot boot --no-uefi -- "
	$LW_GUEST_DEBUGFS
	$(guest_case lw_crash_test lw_crash/run '>')
	# The trigger file still works while rmmod is refused: an unknown
	# case is EINVAL from the module's handler.
	insmod ./lw_crash_test.ko || exit 12
	exec 3>/sys/kernel/debug/lw_crash/run
	rmmod lw_crash_test 2>/dev/null
	/bin/echo no_such_case >&3 2>/dev/null
	echo write_after_refused_rmmod=\$?
	exec 3>&-
	rmmod lw_crash_test || exit 13
	$(guest_case lw_apei_test lw_apei/orphans '<')
	echo done=1
"
out=$LW_TEST_LOG/boot/out.log
cat "$out"
for e in "$LW_TEST_LOG"/boot/*.rmmod.err; do
	[ -f "$e" ] && sed "s|^|${e##*/}: |" "$e"
done
lw_assert_eq "$(lw_result boot)" "exit 0" "the guest ran to the end"
lw_assert_eq "$(lw_counter "$out" done)" 1 "all steps ran"
for m in lw_crash_test lw_apei_test; do
	c() { lw_counter "$out" "$m.$1"; }
	[ "$(c refcnt_open)" -ge 1 ] || lw_fail "$m: an open file holds no module reference (refcnt $(c refcnt_open))"
	echo "ok: $m: the open file holds a module reference (refcnt $(c refcnt_open))"
	lw_assert_eq "$(c rmmod_open)" 1 "$m: rmmod fails while the file is open"
	lw_assert_grep "$LW_TEST_LOG/boot/$m.rmmod.err" "Module $m is in use" "$m: rmmod says the module is in use"
	# EWOULDBLOCK (EAGAIN, 11): try_stop_module() with a reference held.
	lw_assert_eq "$(c delete_module_open_errno)" 11 "$m: delete_module(2) fails with EWOULDBLOCK"
	lw_assert_eq "$(c loaded_open)" 1 "$m: still loaded while the file is open"
	lw_assert_eq "$(c refcnt_closed)" 0 "$m: closing the file drops the reference"
	lw_assert_eq "$(c rmmod_closed)" 0 "$m: rmmod succeeds once the file is closed"
	lw_assert_eq "$(c loaded_closed)" 0 "$m: unloaded"
done
lw_assert_eq "$(lw_counter "$out" write_after_refused_rmmod)" 1 "the trigger file still works after the refused rmmod (EINVAL from its handler)"
