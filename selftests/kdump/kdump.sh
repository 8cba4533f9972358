# SPDX-License-Identifier: GPL-2.0
# kdump in the test VMs, sourced by the kdump tests after ../lib.sh: a crash
# kernel (the kernel the VM boots, Debian's kexec-tools) with a small
# initramfs (scripts/kdump-initrd.sh) that reads /proc/vmcore, prints the
# crashed kernel's last log lines on the console and powers off.
#
#   lw_kdump_boot_args [post]   kernel arguments for a boot that loads it:
#                               memory reserved for the crash kernel, and with
#                               "post" crash_kexec_post_notifiers=1 (the panic
#                               notifiers and kmsg dumpers run before kexec)
#   lw_guest_kdump_load MARKER  guest command: load the crash kernel (kexec -p)
#   lw_kdump_capture LOGDIR MARKER
#                               prints "captured VMCORE_BYTES" when the crash
#                               kernel of that boot read a vmcore whose log
#                               holds MARKER, else "none (why)"

# What the crash kernel is: the image the VM boots (a tree's bzImage or
# Image, or the stock kernel's vmlinuz: on arm64 an uncompressed Image).
lw_kdump_image() {
	local b
	b=$(KDIR=${KDIR:-} "$lw_repo/scripts/kernel.sh" --boot) || return 1
	if [ ! -d "$b" ]; then
		echo "$b"
	elif [ "$(lw_kernel_arch)" = arm64 ]; then
		echo "$b/arch/arm64/boot/Image"
	else
		echo "$b/arch/x86/boot/bzImage"
	fi
}

LW_KDUMP_IMAGE=$(lw_kdump_image) || lw_fail "kdump: no kernel image"
LW_KDUMP_INITRD=$("$lw_repo/scripts/kdump-initrd.sh" "$(lw_kernel_arch)") ||
	lw_fail "kdump: no initramfs (scripts/kdump-initrd.sh)"
# The guest's kexec: this machine's, or the arm64 root's (kexec-tools in both).
[ -x /sbin/kexec ] || lw_fail "kdump: /sbin/kexec missing: run scripts/setup.sh (apt-get install kexec-tools)"

# 1 GiB guests (scripts/vm.sh): 256 MiB for a lockdep crash kernel.
lw_kdump_boot_args() {
	echo "crashkernel=256M${1:+ crash_kexec_post_notifiers=1}"
}

# One CPU, devices reset, the console the harness reads; if the crash kernel
# itself panics, the VM goes down rather than hangs. no_timer_check: the
# IO-APIC timer check counts timer ticks over a delay loop, which under TCG
# on a busy host can see none ("IO-APIC + timer doesn't work!", a panic in
# the crash kernel: seen on 6.12 with two other suites running); virtual
# machines' kernels skip it for that reason.
# arm64: its console is the PL011, and it has no IO-APIC.
if [ "$(lw_kernel_arch)" = arm64 ]; then
	LW_KDUMP_APPEND="console=ttyAMA0 reset_devices irqpoll nr_cpus=1 panic=-1 loglevel=4"
else
	LW_KDUMP_APPEND="console=ttyS0 reset_devices irqpoll nr_cpus=1 panic=-1 loglevel=4 no_timer_check"
fi
# lw_guest_kdump_load MARKER: the guest command that loads the crash kernel
# (kexec -p); its initramfs prints the crashed kernel's log lines holding
# MARKER.
lw_guest_kdump_load() {
	echo "/sbin/kexec -p '$LW_KDUMP_IMAGE' --initrd='$LW_KDUMP_INITRD' --append='$LW_KDUMP_APPEND lw_kdump_mark=$1' && [ \"\$(cat /sys/kernel/kexec_crash_loaded)\" = 1 ]"
}

lw_kdump_capture() {
	local c=$1/console.log size
	[ -f "$c" ] || { echo "none (no console log)"; return; }
	size=$(tr -d '\r' <"$c" | sed -n 's/^lw-kdump: vmcore \([0-9]*\)$/\1/p' | tail -1)
	if ! grep -q '^lw-kdump: crash kernel up' <(tr -d '\r' <"$c"); then
		echo "none (no crash kernel)"
	elif [ -z "$size" ] || [ "$size" = 0 ]; then
		echo "none (no /proc/vmcore)"
	elif ! tr -d '\r' <"$c" | grep '^lw-kdump-log: ' | grep -qF -- "$2"; then
		echo "none (vmcore of $size bytes, its log lacks the marker)"
	else
		echo "captured $size"
	fi
}

# lw_kdump_dump_ms LOGDIR: milliseconds from the panic message to
# lw_crash_test's "kmsg dumpers done" in the crashed kernel's log as the
# crash kernel printed it (the time the kmsg dumpers added before the
# kexec), or "-" when either line is missing (no dumpers ran: no
# crash_kexec_post_notifiers).
lw_kdump_dump_ms() {
	tr -d '\r' <"$1/console.log" 2>/dev/null | awk '
		/^lw-kdump: last lines/ { exit }
		/^lw-kdump-log: / {
			if (!match($0, /\[ *[0-9]+\.[0-9]+\]/)) next
			t = substr($0, RSTART + 1, RLENGTH - 2) + 0
			if (index($0, "Kernel panic - not syncing") && p == "") p = t
			else if (index($0, "kmsg dumpers done") && p != "") d = t
		}
		END { if (p != "" && d != "") printf "%.0f\n", (d - p) * 1000; else print "-" }'
}
