#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# scripts/vm.sh itself:
#  - a --monitor path longer than a socket address allows (108 bytes) works:
#    vm-monitor.sh reaches the QEMU monitor through it, and the short socket
#    directory vm.sh made for it is gone after the boot;
#  - SIGTERM to vm.sh, and SIGHUP to its process group, kill its QEMU at once:
#    vm.sh exits with 128+N and "killed", and no QEMU of that boot is left,
#    nor any other process of it (vng, virtiofsd);
#  - a boot that outlives --timeout ends with "timeout" (exit 124), and no
#    process of it is left either.
# lw-test: kernel-independent
set -u
. "$(dirname "$0")/../lib.sh"

# QEMU processes of a boot: its command line holds the boot's NVRAM path.
qemus() {
	pgrep -f -- "file=$1/nvram.fd" || true
}

# Every process of a boot (vm.sh, vng, QEMU, virtiofsd): their command lines
# hold the boot's log directory (virtiofsd's: --shared-dir DIR).
leftovers() {
	pgrep -af -- "$1([/ ]|\$)" || true
}

long=$LW_TEST_LOG/a-monitor-socket-directory-whose-path-is-longer-than-sun-path/and-then-some
mkdir -p "$long"
sock=$long/monitor.sock
[ "${#sock}" -gt 108 ] || lw_fail "socket path only ${#sock} bytes"
echo "monitor path: ${#sock} bytes"
lw_boot mon --no-uefi --monitor "$sock" -- 'sleep 5' &
boot=$!
reply=$("$lw_repo/scripts/vm-monitor.sh" "$sock" 'info status' 2>&1)
echo "$reply" | grep -v '^\s*$' | sed 's/^/monitor: /'
short=$(readlink "$sock" || true)
wait "$boot"
lw_assert_eq "$?" 0 "boot with the long monitor path"
echo "$reply" | grep -q 'VM status: running' || lw_fail "no monitor reply through the long path"
echo "ok: the monitor answered through the long path"
case "$short" in
/tmp/lw-mon.*/monitor.sock) echo "ok: socket made at $short" ;;
*) lw_fail "no short socket behind the long path (readlink: '$short')" ;;
esac
[ ! -e "$(dirname "$short")" ] && [ ! -L "$sock" ] || lw_fail "short socket directory or symlink left"
echo "ok: short socket directory and symlink removed"

# kill_test NAME SIGNAL WANT_RC SETSID
kill_test() {
	local name=$1 sig=$2 want=$3 d=$LW_TEST_LOG/$1 pid i rc t0
	mkdir -p "$d"
	# With the signal's default disposition whatever this test inherited: a
	# shell started with SIGHUP ignored (nohup) cannot trap it.
	if [ "$4" = setsid ]; then
		setsid env --default-signal="$sig" "$LW_VM" --log "$d" -- 'sleep 600' &
	else
		env --default-signal="$sig" "$LW_VM" --log "$d" -- 'sleep 600' &
	fi
	pid=$!
	for ((i = 0; i < 300; i++)); do
		[ -z "$(qemus "$d")" ] || break
		sleep 0.2
	done
	[ -n "$(qemus "$d")" ] || lw_fail "$name: QEMU never started"
	sleep 2
	t0=$(date +%s)
	if [ "$4" = setsid ]; then
		kill -"$sig" -- "-$pid"
	else
		kill -"$sig" "$pid"
	fi
	wait "$pid"
	rc=$?
	echo "$name: vm.sh exited after $(($(date +%s) - t0)) s"
	lw_assert_eq "$rc" "$want" "$name: vm.sh exit status"
	lw_assert_eq "$(lw_result "$name")" killed "$name: result"
	for ((i = 0; i < 10; i++)); do
		[ -n "$(qemus "$d")" ] || break
		sleep 0.2
	done
	lw_assert_eq "$(qemus "$d" | wc -l)" 0 "$name: no QEMU left"
	for ((i = 0; i < 10; i++)); do
		[ -n "$(leftovers "$d")" ] || break
		sleep 0.2
	done
	leftovers "$d" | sed "s/^/$name: left: /"
	lw_assert_eq "$(leftovers "$d" | wc -l)" 0 "$name: no process of the boot left (virtiofsd, vng)"
	# "At once": well before the 300 s timeout would end it (a bound for a
	# busy machine, not a measurement).
	[ "$(($(date +%s) - t0))" -le 30 ] || lw_fail "$name: took more than 30 s"
}
kill_test term TERM 143 -
kill_test hup_group HUP 129 setsid

# The timeout: QEMU is running when it strikes.
d=$LW_TEST_LOG/timeout
mkdir -p "$d"
lw_boot timeout --timeout 60 -- 'sleep 600' &
pid=$!
for ((i = 0; i < 250; i++)); do
	[ -z "$(qemus "$d")" ] || break
	sleep 0.2
done
[ -n "$(qemus "$d")" ] || lw_fail "timeout: QEMU never started"
echo "ok: timeout: QEMU started"
wait "$pid"
lw_assert_eq "$?" 124 "timeout: vm.sh exit status"
lw_assert_eq "$(lw_result timeout)" timeout "timeout: result"
lw_assert_eq "$(qemus "$d" | wc -l)" 0 "timeout: no QEMU left when vm.sh returned"
leftovers "$d" | sed "s/^/timeout: left: /"
lw_assert_eq "$(leftovers "$d" | wc -l)" 0 "timeout: no process of the boot left"
