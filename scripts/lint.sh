#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Lints that fail `make check` on any finding:
#  - rustfmt --check on every .rs file, with the kernel's .rustfmt.toml and the
#    rustfmt that matches the kernel's rustc;
#  - the kernel's clippy build of our modules (CLIPPY=1, the kernel's lint set,
#    warnings are errors), with the clippy-driver that matches that rustc;
#  - checkpatch.pl on the C shims.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"
kdir=$(KDIR=${KDIR:-} "$here/scripts/kernel.sh")
cd "$here"
# Our 7.3 trees' rustc, rustfmt and clippy are the trixie chroot's.
if lw_chroot_kernel; then
	exec "$here/scripts/chroot.sh" run env KDIR="$kdir" "$0" "$@"
fi

# `lint.sh --fix` rewrites the files instead of checking them (make fmt).
mode=--check
[ "${1:-}" != --fix ] || mode=

mapfile -t rs < <(git ls-files '*.rs' 2>/dev/null ||
	find rust samples selftests tools -name '*.rs' ! -name bindings_generated.rs -not -path '*/target/*' | sort)
[ -x "$LW_RUSTFMT" ] || lw_die "$LW_RUSTFMT missing (apt-get install rustfmt-web)"
lw_say "lint: rustfmt ${mode:---fix} (${#rs[@]} files)"
# Host crates have their own Cargo.toml edition; kernel crates use the
# kernel's config.
host=() kern=()
for f in "${rs[@]}"; do
	case "$f" in rust/core/* | tools/*) host+=("$f") ;; *) kern+=("$f") ;; esac
done
[ ${#kern[@]} -eq 0 ] || "$LW_RUSTFMT" $mode --edition 2021 --config-path "$kdir/.rustfmt.toml" "${kern[@]}"
[ ${#host[@]} -eq 0 ] || "$LW_RUSTFMT" $mode --edition 2021 "${host[@]}"
[ -n "$mode" ] || exit 0

lw_say "lint: clippy build of the modules (CLIPPY=1)"
[ -x "$LW_CLIPPY_DRIVER" ] || lw_die "$LW_CLIPPY_DRIVER missing (apt-get install rust-web-clippy)"
# Touch the Rust sources so that every crate really goes through clippy.
find . -name '*.rs' -not -path './target/*' -not -path './rust/core/*' -exec touch {} +
"$here/scripts/modules.sh" CLIPPY=1 CLIPPY_DRIVER="$LW_CLIPPY_DRIVER" KCFLAGS=-Werror modules \
	>"$LW_CACHE/clippy.log" 2>&1 || { cat "$LW_CACHE/clippy.log"; lw_die "clippy found problems"; }
if grep -E '^(warning|error)(\[|:)' "$LW_CACHE/clippy.log"; then
	cat "$LW_CACHE/clippy.log"
	lw_die "clippy found problems"
fi

# Inside the trixie chroot there is no git: find the same files.
mapfile -t cs < <(git ls-files '*.c' '*.h' 2>/dev/null ||
	find rust samples selftests tools -name '*.[ch]' ! -name '*.mod.c' | sort)
lw_say "lint: checkpatch.pl (${#cs[@]} C files)"
# AVOID_BUG: the one BUG() is lw_bug(), the crash test's oops on purpose.
[ ${#cs[@]} -eq 0 ] || "$kdir/scripts/checkpatch.pl" --no-tree --quiet --strict --terse \
	--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES,AVOID_BUG -f "${cs[@]}"
