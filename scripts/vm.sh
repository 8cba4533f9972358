#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the kernel once under virtme-ng (TCG, UEFI/OVMF with a persistent NVRAM
# file), run one guest command from the repository's directory, and record:
#
#   LOG/console.log   everything the guest printed on its console (kernel log
#                     at loglevel 7, including anything after a panic)
#   LOG/out.log       the guest command's stdout and stderr
#   LOG/rc            the guest command's exit status (absent if it never ended)
#   LOG/dmesg.log     the guest's dmesg after the command (absent after a crash)
#   LOG/result        one of: "exit N", "panic", "timeout", "died", "killed"
#
# Usage: vm.sh --log DIR [--nvram FILE] [--timeout SEC] [--monitor SOCK]
#              [--cpus N] [--append ARGS] [--kvm] [--no-uefi]
#              -- 'guest shell command'
#
# --nvram FILE is created from OVMF's template if missing; pass the same file to
# consecutive boots so that EFI variables survive from one boot to the next.
# --no-uefi boots without OVMF (QEMU's BIOS loads the kernel directly): no EFI
# variables, a few seconds less per boot under TCG, for tests that do not
# touch them.
# --monitor SOCK exposes the QEMU monitor on a UNIX socket (see vm-monitor.sh),
# e.g. to inject an NMI; a path too long for a socket address (108 bytes) is
# made a symlink to a socket in a short directory under /tmp, removed on exit.
# The guest command sees LW_REPO (the repository) and LW_LOG (the log
# directory, writable, at /tmp/lw-log in the guest). Exit status: the guest
# command's, 124 for a timeout, 125 for a VM that died or panicked without
# finishing it, 128+N if vm.sh got signal N (SIGTERM, SIGINT, SIGHUP): then it
# kills the VM at once (its whole process group) and the result is "killed".
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

log= nvram= timeout=300 monitor= cpus=2 append= kvm=--disable-kvm uefi=1
while [ $# -gt 0 ]; do
	case "$1" in
	--log) log=$2; shift 2 ;;
	--nvram) nvram=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--monitor) monitor=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--kvm) kvm=; shift ;;
	--no-uefi) uefi=; shift ;;
	--) shift; break ;;
	*) lw_die "vm.sh: unknown option $1" ;;
	esac
done
[ -n "$log" ] && [ $# -eq 1 ] || lw_die "usage: vm.sh --log DIR [options] -- 'guest command'"
lw_check_guest_visible

# What vng boots: the kernel tree, or Debian's stock image (KERNEL=debian-7.3),
# unpacked with its modules, which vng then finds next to it.
kboot=$(KDIR=${KDIR:-} "$here/scripts/kernel.sh" --boot)
mkdir -p "$log"
log=$(cd "$log" && pwd)
rm -f "$log/rc" "$log/out.log" "$log/dmesg.log" "$log/console.log" "$log/result"

# The architecture's firmware and machine. arm64 (KERNEL=debian-7.3-arm64):
# qemu-system-aarch64's virt machine (vng picks it and the CPU), AAVMF, and a
# root of arm64 binaries (scripts/rootfs.sh), with the repository and the
# cache mounted at their host paths: the host's own root cannot run there.
arch=$(lw_kernel_arch)
machine=(-machine q35)
vngarch=()
if [ "$arch" = arm64 ]; then
	ovmf_code=/usr/share/AAVMF/AAVMF_CODE.fd
	ovmf_vars=/usr/share/AAVMF/AAVMF_VARS.fd
	[ -f "$ovmf_code" ] || lw_die "$ovmf_code missing: run scripts/setup.sh (apt-get install qemu-efi-aarch64)"
	command -v qemu-system-aarch64 >/dev/null ||
		lw_die "qemu-system-aarch64 missing: run scripts/setup.sh (apt-get install qemu-system-arm)"
	root=$("$here/scripts/rootfs.sh" arm64)
	# The mount points of the host directories the guest gets.
	mkdir -p "$root$here" "$root$LW_CACHE"
	# vng takes the modules from the root's /lib/modules: the stock image's,
	# unpacked in the cache (which the guest sees at the same path).
	moddir=$(dirname "$kboot")
	[ -f "$moddir/modules.dep" ] ||
		lw_die "vm.sh: arm64 VMs boot Debian's stock image (KERNEL=debian-7.3-arm64); $kboot has no modules beside it"
	# (Replaced atomically, and only if it differs: other VMs may be using
	# it right now.)
	mods=$root/lib/modules/$(basename "$moddir")
	if [ "$(readlink "$mods" 2>/dev/null)" != "$moddir" ]; then
		mkdir -p "$root/lib/modules"
		ln -sfn "$moddir" "$mods.$$"
		mv -T "$mods.$$" "$mods"
	fi
	machine=()
	vngarch=(--arch arm64 --root "$root" --cwd "$root" --busybox "$root/bin/busybox"
		--rodir="$here=$here" --rodir="$LW_CACHE=$LW_CACHE")
	[ -n "$kvm" ] || lw_die "vm.sh: --kvm is not for an arm64 guest on this host"
	# No hard-lockup detector, as in the x86-64 guests (no PMU under TCG):
	# arm64's buddy detector would report a CPU that runs a long kmsg dump
	# with interrupts off (an oops's, inside the debug exception) on a busy
	# host, a dump the tests ask for.
	append="nmi_watchdog=0${append:+ $append}"
else
	ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd
	ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd
	[ -f "$ovmf_code" ] || lw_die "$ovmf_code missing: run scripts/setup.sh (apt-get install ovmf)"
fi
if [ -n "$uefi" ]; then
	[ -n "$nvram" ] || nvram=$log/nvram.fd
	[ -f "$nvram" ] || cp "$ovmf_vars" "$nvram"
	nvram=$(cd "$(dirname "$nvram")" && pwd)/$(basename "$nvram")
fi

# The guest side: run the command from the repository, keep its output and
# status in the (host-writable) log directory, then save the kernel log. The
# guest sees the log directory at a short fixed path, so that guest paths do
# not depend on (or contain words from) the test's name.
glog=/tmp/lw-log
cat >"$log/guest.sh" <<GUEST
#!/bin/bash
export LW_REPO='$here' LW_LOG='$glog' PATH=/usr/sbin:/usr/bin:/sbin:/bin
cd '$here' || { echo 'vm.sh: the guest cannot see $here' >'$glog/out.log'; echo 126 >'$glog/rc'; exit; }
( $1 ) >'$glog/out.log' 2>&1 </dev/null
echo \$? >'$glog/rc.tmp'
dmesg >'$glog/dmesg.log' 2>&1
mv '$glog/rc.tmp' '$glog/rc'
sync
GUEST

# Single-threaded TCG: with one host thread per vCPU (MTTCG), the guest's
# int3-based live code patching (static keys, e.g. "sched_clock: Marking
# stable" at boot) raced with TCG's translation cache and oopsed ("Oops:
# int3" in sched_clock_cpu) in one of our first three boots. The guest still has
# --cpus vCPUs, run round-robin. LW_TCG_THREAD=multi restores MTTCG.
qpid=$log/qemu.pid
rm -f "$qpid"
qopts="${machine[*]} -pidfile $qpid"
[ -z "$kvm" ] || qopts+=" -accel tcg,thread=${LW_TCG_THREAD:-single}"
if [ -n "$uefi" ]; then
	qopts+=" -drive if=pflash,format=raw,unit=0,readonly=on,file=$ovmf_code"
	qopts+=" -drive if=pflash,format=raw,unit=1,file=$nvram"
fi
# The VM (timeout leads its own process group: vng, QEMU, virtiofsd) and the
# short monitor directory, cleaned up however vm.sh ends: after a timeout, a
# signal, or a normal end, whatever of the boot is still running is killed,
# its process group and its QEMU (by QEMU's own pid file, in case QEMU left
# the group), so that no VM outlives vm.sh.
vm_pid= mon_dir=
qemu_of_boot() {
	local p
	p=$(cat "$qpid" 2>/dev/null) || return 1
	[[ $p =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$qpid" &&
		echo "$p"
}
vm_alive() {
	ps -e -o pgid=,stat= | awk -v g="$vm_pid" '$1 == g && $2 !~ /^Z/ { a = 1 } END { exit !a }' ||
		qemu_of_boot >/dev/null
}
cleanup() {
	local q
	if [ -n "$vm_pid" ]; then
		q=$(qemu_of_boot) || q=
		kill -TERM -- "-$vm_pid" "$vm_pid" $q 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			vm_alive || break
			sleep 0.2
		done
		q=$(qemu_of_boot) || q=
		kill -KILL -- "-$vm_pid" $q 2>/dev/null || true
	fi
	if [ -n "$mon_dir" ]; then
		[ ! -L "$monitor" ] || rm -f "$monitor"
		rm -rf "$mon_dir"
	fi
}
killed() {
	trap - EXIT
	cleanup
	echo killed >"$log/result"
	exit "$1"
}
trap cleanup EXIT
trap 'killed 129' HUP
trap 'killed 130' INT
trap 'killed 143' TERM

if [ -n "$monitor" ]; then
	rm -f "$monitor"
	qsock=$monitor
	# sun_path holds 108 bytes with the terminating NUL.
	if [ "$(printf %s "$monitor" | wc -c)" -ge 108 ]; then
		mon_dir=$(mktemp -d /tmp/lw-mon.XXXXXX)
		qsock=$mon_dir/monitor.sock
		ln -s "$qsock" "$monitor"
	fi
	qopts+=" -monitor unix:$qsock,server,nowait"
fi

# The guest's root (the host's, read-only, with tmpfs overlays) and the log
# directory: virtio-fs when the Rust virtiofsd is installed (scripts/setup.sh
# puts it in $LW_TOOLS/bin, where vng finds it on PATH): the guest caches what
# it reads, so virtme-ng's init and the test's commands take about 2 s less
# per boot under TCG. Else (or LW_VIRTIOFS=0) 9p, forced: left to itself, vng
# would first try QEMU 7.2's C virtiofsd, which does not take its options,
# and wait 3 s for it.
fs=--force-9p
if [ "${LW_VIRTIOFS:-1}" != 0 ] && [ -x "$LW_TOOLS/bin/virtiofsd" ]; then
	fs=
fi
cmd=(vng --run "$kboot" "${vngarch[@]}" $kvm --disable-microvm $fs --cpus "$cpus" --memory 1G --verbose
     --rwdir="$glog=$log" --append "loglevel=7 $append" --qemu-opts="$qopts"
     --exec "bash $glog/guest.sh")
printf '%q ' "${cmd[@]}" >"$log/vng.cmd"
echo >>"$log/vng.cmd"

# In the background, so that a signal to vm.sh runs its trap at once (bash
# defers traps until a foreground command ends).
timeout -k 10 "$timeout" "${cmd[@]}" </dev/null >"$log/console.log" 2>&1 &
vm_pid=$!
set +e
wait "$vm_pid"
vrc=$?
set -e
# Anything of the boot left (QEMU after a timeout): gone before the result.
# The group's leader has been reaped, so only processes that are both in its
# group and of this boot (their command lines name the log directory) are
# killed.
leftovers() {
	local p
	for p in $(pgrep -g "$vm_pid" 2>/dev/null); do
		tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$log" && echo "$p"
	done
	qemu_of_boot || true
}
for sig in TERM TERM TERM TERM TERM KILL; do
	left=$(leftovers | sort -u)
	[ -n "$left" ] || break
	# shellcheck disable=SC2086 # a list of pids
	kill -"$sig" $left 2>/dev/null || true
	sleep 0.2
done
vm_pid=

if [ -f "$log/rc" ]; then
	rc=$(cat "$log/rc")
	echo "exit $rc" >"$log/result"
	exit "$rc"
elif [ $vrc = 124 ] || [ $vrc = 137 ]; then
	echo timeout >"$log/result"
	exit 124
elif grep -q 'Kernel panic - not syncing' "$log/console.log"; then
	echo panic >"$log/result"
	exit 125
else
	echo died >"$log/result"
	exit 125
fi
