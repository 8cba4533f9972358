#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The crash matrix, sourced by its pieces (test_matrix_*.sh), each of which
# sets LW_MATRIX_BACKENDS (ours or c) and LW_MATRIX_CELLS (the cells it
# runs), so that the pieces run side by side (selftests/run.sh -jN) and one
# piece can be run alone. Without them, the whole matrix runs in one test.
#
# The crash matrix: a panic in each context (task, softirq, hardirq, NMI)
# under each lock state (none; the efivars lock held by another thread; the
# backend's own dump lock held), for lw_efi_pstore and, side by side, the C
# efi_pstore. Plus the fatal oopses in interrupt context (softirq, hardirq,
# NMI) and the unsafe case (another CPU stopped inside a slow SetVariable
# call by the panic).
#
# Boots are chained per backend on one NVRAM: boot k reads back and erases
# cell k-1's records, then arms and triggers cell k with a unique marker; a
# last boot reads the last cell. A cell is "persisted" when its record holds
# the marker and the panic message; for oops_nmi also an Oops# record (the
# oops dump, made in NMI context with the other CPUs live) and a Panic#
# record. lw_efi_pstore must persist every matrix cell and the three oopses;
# the C backend's cells are reported as they are. In the unsafe case the
# panic stops the looping CPU inside the firmware: the dump must find the
# firmware busy and not re-enter it (the record is lost), and the VM must go
# down and reboot cleanly. Results: matrix.md.
#
# LW_MATRIX_KDUMP=post (or nopost): a crash kernel is loaded in every cell
# (the C backend's pieces test_matrix_c_none and _efivars run so: they are
# the kdump matrix's C cells too)
# (selftests/kdump/kdump.sh), with crash_kexec_post_notifiers=1 (or
# without): the panic kexecs into it, and it must capture the vmcore, whose
# log holds the cell's marker, in every cell. With post, the kmsg dumpers
# run first: the backend's record must be there at the next boot as without
# kdump, and the time from the panic message to the end of the dumps (the
# time the dump adds before the kexec) is read from the vmcore's log. Without
# post, no backend runs: no cell may leave a record.
set -u
. "$(dirname "$0")/../lib.sh"
kdump=${LW_MATRIX_KDUMP:-}
if [ -n "$kdump" ]; then
	. "$(dirname "$0")/../kdump/kdump.sh"
	[ "$kdump" = post ] || [ "$kdump" = nopost ] || lw_fail "LW_MATRIX_KDUMP=$kdump: post or nopost"
fi

lw_expect_splat 'Kernel panic - not syncing: (lw_crash_test: panic_|(Oops - BUG: )?Fatal exception in interrupt)'
lw_expect_oops
# After the panic: x86 EFI calls from NMI warn about the FPU state, and the
# C backend's semaphore trylock in NMI context trips lockdep.
lw_expect_splat_after_panic 'arch/x86/kernel/fpu/core.c:[0-9]+ (at )?(irq_fpu_usable|kernel_fpu_begin_mask)'
lw_expect_splat_after_panic 'WARNING: inconsistent lock state'

matrix=()
for lock in "" _efivars _backend; do
	for ctx in task softirq hardirq nmi; do
		matrix+=("panic_$ctx$lock")
	done
done
extra=(oops_softirq oops_hardirq oops_nmi panic_task_fwloop)
# LW_MATRIX_CELLS="cell ...": run only these (the asserts then cover those
# cells). LW_MATRIX_BACKENDS="ours" (or "c"): only that chain.
# LW_MATRIX_EXPECT_C="cell=state ...": what the C backend must do in a cell
# (the baseline the comparison rests on: it persists a panic in any context,
# and loses it when the efivars lock is held).
if [ -n "${LW_MATRIX_CELLS:-}" ]; then
	read -ra matrix <<<"$LW_MATRIX_CELLS"
	extra=()
fi
backends=${LW_MATRIX_BACKENDS:-ours c}
# arm64 (Debian's kernel has no pseudo-NMI): the NMI cells are n/a, said in
# the table with the reason; lw_crash_test refuses them (ENODEV) and says so
# when it loads, which is checked below.
na_cells=()
na_reason="no NMI on arm64 without pseudo-NMI"
# without_nmi LIST...: LIST without the NMI cells (added to na_cells).
without_nmi() {
	local c
	for c in "$@"; do
		if [[ $c == *_nmi || $c == *_nmi_* ]]; then
			[[ " ${na_cells[*]} " == *" $c "* ]] || na_cells[${#na_cells[@]}]=$c
		else
			echo "$c"
		fi
	done
}
if [ "$(lw_kernel_arch)" = arm64 ]; then
	mapfile -t matrix < <(without_nmi "${matrix[@]}")
	mapfile -t extra < <(without_nmi "${extra[@]}")
	for c in $(printf '%s\n' "${LW_MATRIX_CELLS:-}" | tr ' ' '\n' | grep -E '_nmi(_|$)'); do
		na_cells[${#na_cells[@]}]=$c
	done
fi

# msg CELL: the panic message its record must hold (an extended regex: arm64
# says "Oops - BUG: " before the oopses' "Fatal exception").
msg() {
	case $1 in
	oops_*) echo 'Kernel panic - not syncing: (Oops - BUG: )?Fatal exception in interrupt' ;;
	*) echo "Kernel panic - not syncing: lw_crash_test: $1" ;;
	esac
}

# headers_ok CELL RECORDS: the records have the dumps CELL must leave. An
# oops in NMI context is dumped (KMSG_DUMP_OOPS, other CPUs live) before
# x86 panics on it: both records must be there.
headers_ok() {
	case $1 in
	oops_nmi) grep -q '^Oops#[0-9]* Part' "$2" && grep -q '^Panic#[0-9]* Part' "$2" ;;
	*) true ;;
	esac
}

# chain BACKEND LOAD GLOB CELL...: runs the chain, writes
# $LW_TEST_LOG/BACKEND.results lines "CELL persisted|lost|hang|n/a SECONDS".
chain() {
	local be=$1 load=$2 glob=$3
	shift 3
	local cells=("$@") nv=$LW_TEST_LOG/$be.nvram.fd n=$# i prev= name
	: >"$LW_TEST_LOG/$be.results"
	for ((i = 0; i <= n; i++)); do
		local cell=${cells[i]:-} marker=
		[ -n "$cell" ] && marker="lw-matrix-$be-$cell-$(date +%s)-$RANDOM"
		name=$be-$i${cell:+-$cell}
		# Host clock: when the trigger line reaches the console, and when
		# the VM has exited.
		mkdir -p "$LW_TEST_LOG/$name"
		(
			while ! grep -q 'lw_crash_test: trigger ' "$LW_TEST_LOG/$name/console.log" 2>/dev/null; do
				sleep 0.05
			done
			date +%s.%N >"$LW_TEST_LOG/$name/trigger_seen"
		) &
		local watcher=$!
		local kd_append= kd_load=:
		if [ -n "$kdump" ]; then
			kd_append=$(lw_kdump_boot_args "${kdump%nopost}")
			kd_load=$(lw_guest_kdump_load "$marker")
		fi
		lw_boot "$name" --nvram "$nv" ${kd_append:+--append "$kd_append"} -- "
			$LW_GUEST_DEBUGFS
			echo 0 >/proc/sys/kernel/panic_on_oops
			$load || exit 10
			$LW_GUEST_PSTORE || exit 11
			cat /sys/fs/pstore/$glob >\"\$LW_LOG/records.txt\" 2>/dev/null
			rm -f /sys/fs/pstore/$glob
			[ -n '$cell' ] || exit 0
			insmod ./lw_crash_test.ko || exit 12
			$kd_load || exit 13
			echo '$marker' >/dev/kmsg
			/bin/echo '$cell' >/sys/kernel/debug/lw_crash/run
			echo \"trigger returned \$?\"
		" >/dev/null
		date +%s.%N >"$LW_TEST_LOG/$name/exited"
		kill "$watcher" 2>/dev/null
		wait "$watcher" 2>/dev/null
		if [ -n "$kdump" ] && [ -n "$cell" ]; then
			lw_kdump_capture "$LW_TEST_LOG/$name" "$marker" >"$LW_TEST_LOG/$name/capture"
			lw_kdump_dump_ms "$LW_TEST_LOG/$name" >"$LW_TEST_LOG/$name/dump_ms"
		fi
		if [ -n "$prev" ]; then
			local r=$LW_TEST_LOG/$prevname/result rec=$LW_TEST_LOG/$name/records.txt st t
			t=-
			if [ -f "$LW_TEST_LOG/$prevname/trigger_seen" ]; then
				t=$(awk -v a="$(cat "$LW_TEST_LOG/$prevname/trigger_seen")" \
					-v b="$(cat "$LW_TEST_LOG/$prevname/exited")" 'BEGIN { printf "%.1f", b - a }')
			fi
			if [ "$(cat "$r")" = timeout ]; then
				st=hang
			elif grep -q "$prevmarker" "$rec" 2>/dev/null && grep -qE "$(msg "$prev")" "$rec" &&
				headers_ok "$prev" "$rec"; then
				st=persisted
			else
				st=lost
			fi
			if [ -n "$kdump" ]; then
				local cap ms
				cap=$(cat "$LW_TEST_LOG/$prevname/capture")
				ms=$(cat "$LW_TEST_LOG/$prevname/dump_ms")
				echo "$prev $st $t ${cap%% *} $ms" >>"$LW_TEST_LOG/$be.results"
				echo "$be $prev: $st, kdump: $cap, panic to end of dumps: $ms ms (trigger to VM exit ${t}s, boot $(cat "$r"))"
			else
				echo "$prev $st $t" >>"$LW_TEST_LOG/$be.results"
				echo "$be $prev: $st (trigger to VM exit ${t}s, boot $(cat "$r"))"
			fi
		fi
		prev=$cell prevname=$name prevmarker=$marker
	done
}

: >"$LW_TEST_LOG/ours.results"
: >"$LW_TEST_LOG/c.results"
if [[ " $backends " == *" ours "* ]]; then
	chain ours "$LW_LOAD_OURS test_hooks=1" 'dmesg-lw_efi_pstore-*' "${matrix[@]}" "${extra[@]}"
fi
# The C backend has no dump lock of its own to hold: the *_backend cells are
# n/a. oops_nmi is n/a too: its oops dump calls the firmware from NMI context
# while the other CPUs run (irq_fpu_usable and kernel_fpu_begin_mask warn
# before the panic), which this test would rightly count as a bug.
# LW_MATRIX_C_CELLS="cell ...": the C backend's chain runs only these.
c_cells=()
for cell in "${matrix[@]}" "${extra[@]}"; do
	[[ $cell == *_backend || $cell == oops_nmi ]] || c_cells+=("$cell")
done
if [ -n "${LW_MATRIX_C_CELLS:-}" ]; then
	read -ra c_cells <<<"$LW_MATRIX_C_CELLS"
	[ ${#na_cells[@]} = 0 ] || mapfile -t c_cells < <(without_nmi "${c_cells[@]}")
fi
if [[ " $backends " == *" c "* ]] && [ ${#c_cells[@]} = 0 ]; then
	# (kdump's nopost piece runs C only in panic_nmi: n/a on arm64.)
	echo "c: every cell n/a here (${na_cells[*]}): no C chain"
	backends=$(echo " $backends " | sed 's/ c / /')
fi
if [[ " $backends " == *" c "* ]]; then
	chain c "$LW_LOAD_C" 'dmesg-efi_pstore-*' "${c_cells[@]}"
fi

# The Markdown table.
LW_NA="${na_cells[*]}" LW_NA_REASON="$na_reason" \
python3 - "$LW_TEST_LOG" "${matrix[@]}" "${extra[@]}" "${na_cells[@]}" >"$LW_TEST_LOG/matrix.md" <<'PY'
import os, sys
log, cells = sys.argv[1], sys.argv[2:]
na = set(os.environ["LW_NA"].split())
res = {}
for be in ("ours", "c"):
    res[be] = {}
    for line in open(f"{log}/{be}.results"):
        f = line.split()
        res[be][f[0]] = f[1:]
def fmt(be, cell):
    if cell in na:
        return f"n/a ({os.environ['LW_NA_REASON']})"
    f = res[be].get(cell, ["n/a", "-"])
    st, t = f[0], f[1]
    if len(f) > 2:
        # kdump: the capture, and the time from the panic message to the
        # end of the kmsg dumps, read from the vmcore's log.
        st += f", kdump {f[2]}" + (f", dumps {f[3]} ms" if f[3] != "-" else "")
    return st if t == "-" else f"{st} ({t} s)"
print("| case | context | lock state | lw_efi_pstore | C efi_pstore |")
print("|---|---|---|---|---|")
for cell in cells:
    parts = cell.split("_")
    ctx = parts[1]
    lock = parts[2] if len(parts) > 2 else "none"
    print(f"| {cell} | {ctx} | {lock} | {fmt('ours', cell)} | {fmt('c', cell)} |")
print("\n(persisted/lost: the record after reboot holds the marker and the panic"
      " message; time: host clock from the trigger line on the console to the VM's exit)")
if any(len(v) > 2 for r in res.values() for v in r.values()):
    print("(kdump captured: the crash kernel read a vmcore whose log holds the marker;"
          " dumps: panic message to the end of the kmsg dumps, crashed kernel's clock)")
PY
cat "$LW_TEST_LOG/matrix.md"

if [ -n "$kdump" ]; then
	for be in $backends; do
		while read -r cell st _ cap ms; do
			lw_assert_eq "$cap" captured "$be $cell: the crash kernel captured the vmcore"
			# lw_crash_test's dumper, after the backend's, ran before the
			# kexec with post notifiers, and not at all without them.
			if [ "$kdump" = post ]; then
				[[ $ms =~ ^[0-9]+$ ]] || lw_fail "$be $cell: no end of the kmsg dumps in the vmcore's log"
			else
				lw_assert_eq "$ms" - "$be $cell: no kmsg dumper ran before the kexec"
				lw_assert_eq "$st" lost "$be $cell: no record without crash_kexec_post_notifiers (no backend runs)"
			fi
		done <"$LW_TEST_LOG/$be.results"
	done
fi

# lw_efi_pstore: every cell persisted, but the unsafe one.
if [[ " $backends " == *" ours "* ]] && [ "$kdump" != nopost ]; then
	want=0 ours=0
	for cell in "${matrix[@]}" "${extra[@]}"; do
		[ "$cell" = panic_task_fwloop ] && continue
		want=$((want + 1))
		if grep -q "^$cell persisted" "$LW_TEST_LOG/ours.results"; then
			ours=$((ours + 1))
		else
			echo "lw_efi_pstore lost $cell"
		fi
	done
	[ -n "${LW_MATRIX_CELLS:-}" ] ||
		lw_assert_eq "$want" $((15 - ${#na_cells[@]})) "the whole matrix ran: 12 panic cells and 3 oopses, less ${#na_cells[@]} n/a"
	lw_assert_eq "$ours" "$want" "lw_efi_pstore persisted every cell (matrix and interrupt-context oopses)"
fi

# The unsafe case: the panic stopped the looping CPU inside SetVariable.
# ours: the dump finds the firmware busy, does not re-enter it (the record is
# lost), and the VM goes down and reboots cleanly. The C backend's outcome is
# reported.
if [[ " ${matrix[*]} ${extra[*]} " == *" panic_task_fwloop "* ]]; then
	for be in ours c; do
		[[ " $backends " == *" $be "* ]] || continue
		d=$(ls -d "$LW_TEST_LOG"/$be-*-panic_task_fwloop)
		n=${d##*/$be-}
		n=${n%%-*}
		# The boot after it reads its records back.
		next=$(ls -d "$LW_TEST_LOG/$be-$((n + 1))" "$LW_TEST_LOG/$be-$((n + 1))-"* 2>/dev/null | head -1)
		st=$(awk '$1 == "panic_task_fwloop" {print $2}' "$LW_TEST_LOG/$be.results")
		echo "$be unsafe case: $st (boot $(cat "$d/result"), next boot $(cat "$next/result"))"
		grep -hoE 'lock state fwloop: looping.*|fwloop thread is inside SetVariable|firmware busy on a stopped CPU.*|(efi_)?pstore: backend.*' \
			"$d/console.log" | tr -d '\r' | sed "s/^/$be unsafe case: /"
		[ "$be" = ours ] || continue
		lw_assert_grep "$d/console.log" 'panic_task_fwloop: in task context \(the fwloop thread is inside SetVariable\)' \
			"unsafe case: the panic came while the thread was inside SetVariable"
		lw_assert_eq "$(cat "$d/result")" panic "unsafe case: the VM went down (no hang)"
		lw_assert_grep "$d/console.log" 'firmware busy on a stopped CPU: not re-entering it' "unsafe case: the dump found the firmware busy"
		lw_assert_eq "$st" lost "unsafe case: no record written (the firmware was not re-entered)"
		lw_assert_eq "$(cat "$next/result")" "exit 0" "unsafe case: the next boot ran cleanly on that NVRAM"
	done
fi
# The n/a cells: lw_crash_test said why, in a boot that loaded it.
if [ ${#na_cells[@]} -gt 0 ]; then
	first=$(grep -l 'lw_crash_test: trigger ' "$LW_TEST_LOG"/*/console.log | head -1)
	lw_assert_grep "$first" 'lw_crash_test: nmi cases: n/a' "lw_crash_test has no NMI cases here (n/a: ${na_cells[*]})"
fi
for be in $backends; do
	n=$(grep -c . "$LW_TEST_LOG/$be.results")
	[ "$n" -gt 0 ] || lw_fail "$be: no results"
done
for want in ${LW_MATRIX_EXPECT_C:-}; do
	cell=${want%%=*}
	[[ " ${na_cells[*]} " != *" $cell "* ]] || continue
	lw_assert_eq "$(awk -v c="$cell" '$1 == c {print $2}' "$LW_TEST_LOG/c.results")" "${want#*=}" \
		"C efi_pstore, $cell"
done
