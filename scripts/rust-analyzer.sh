#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make rust-analyzer`: rust-project.json at the top of the repository, so
# that an editor's rust-analyzer resolves `kernel::` and `lastwords::` in
# the modules. The kernel's own target (`make rust-analyzer M=...`) writes
# the kernel's crates (core, kernel, macros, pin_init, ...) with the tree's
# cfgs; it takes as crate roots only files named in their own directory's
# Kbuild, and ours are all named in the top-level Kbuild, so this adds one
# crate per module (root: the main.rs its Kbuild line names), depending on
# the crates the kernel gives its own Rust samples, with the same cfgs (and
# lw_compat_6_12 for trees before 7.0, as Kbuild sets it). The shared code
# (rust/lastwords, rust/core) is part of each module crate through #[path].
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

kdir=$(KDIR=${KDIR:-} "$here/scripts/kernel.sh")
run=()
! lw_chroot_kernel || run=("$here/scripts/chroot.sh" run)
rc=$LW_RUSTC
[ ${#run[@]} -eq 0 ] || rc=rustc
cd "$here"
rm -f rust-project.json
"${run[@]}" make -s -C "$kdir" M="$here" RUSTC="$rc" rust-analyzer >/dev/null ||
	lw_die "the kernel's rust-analyzer target failed (tree: $kdir)"
[ -s rust-project.json ] || lw_die "the kernel's rust-analyzer target wrote no rust-project.json"
version=$(sed -n 's/^VERSION = //p' "$kdir/Makefile")
# For our 7.3 trees, the sysroot (core's sources) is the chroot's: seen from
# the host under the chroot's directory, which is also where it is inside the
# chroot (the cache is mounted there at the same path).
sysroot_root=
! lw_chroot_kernel || sysroot_root=$("$here/scripts/chroot.sh")
python3 - "$here" "$version" "$sysroot_root" <<'PY'
import json, pathlib, re, sys

here, version, root = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
path = here / "rust-project.json"
project = json.loads(path.read_text())
sysroot = project.get("sysroot", "")

def rebase(v):
    """Moves paths under the sysroot to the chroot's copy."""
    if isinstance(v, dict):
        return {k: rebase(x) for k, x in v.items()}
    if isinstance(v, list):
        return [rebase(x) for x in v]
    if isinstance(v, str) and sysroot and (v == sysroot or v.startswith(sysroot + "/")):
        return root + v
    return v

if root:
    project = rebase(project)
crates = project["crates"]
index = {c["display_name"]: i for i, c in enumerate(crates)}
kernel = crates[index["kernel"]]
# What the kernel gives its own samples (generate_rust_analyzer.py).
deps = [{"crate": index[n], "name": n}
        for n in ("core", "kernel", "pin_init", "zerocopy", "zerocopy_derive", "macros", "ffi")
        if n in index]
cfg = [c for c in kernel.get("cfg", []) if c not in ("kernel", 'feature="kernel"')]
if version < 7:
    cfg.append("lw_compat_6_12")
kbuild = (here / "Kbuild").read_text().replace("\\\n", " ")
added = []
for name, objs in re.findall(r"^(\w+)-y\s*:=\s*(.*)$", kbuild, re.M):
    roots = [o[:-2] + ".rs" for o in objs.split() if (here / (o[:-2] + ".rs")).is_file()]
    if len(roots) != 1:
        continue
    crates.append({
        "display_name": name,
        "root_module": str(here / roots[0]),
        "is_workspace_member": True,
        "is_proc_macro": False,
        "deps": deps,
        "cfg": cfg,
        "edition": kernel.get("edition", "2021"),
        "env": {"RUST_MODFILE": "This is only for rust-analyzer"},
        # rust/lastwords and rust/core come in through #[path]: files
        # outside the crate's own directory must be in its source roots.
        "source": {
            "include_dirs": [str((here / roots[0]).parent), str(here / "rust")],
            "exclude_dirs": [],
        },
    })
    added.append(f"{name} ({roots[0]})")
path.write_text(json.dumps(project, sort_keys=True, indent=4) + "\n")
print(f"rust-project.json: {len(crates)} crates, ours: " + ", ".join(added))
PY
