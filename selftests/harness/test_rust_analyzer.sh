#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make rust-analyzer`: rust-project.json has the kernel's crates and one
# crate per module of Kbuild (its main.rs, depending on the kernel crate);
# and, where the trixie chroot builds the tree (its rust-analyzer 1.85.1 is
# the kernel's rustc's), rust-analyzer resolves every `kernel::` and
# `lastwords::` path in our crates. (What it cannot resolve are names made
# by the pin-init proc macros, as in the kernel's own crates; their number is
# printed and bounded.)
set -u
. "$(dirname "$0")/../lib.sh"

"$lw_repo/scripts/rust-analyzer.sh" || lw_fail "make rust-analyzer failed"
json=$lw_repo/rust-project.json
python3 - "$json" "$lw_repo" <<'PY' || lw_fail "rust-project.json is incomplete"
import json, pathlib, re, sys
project = json.load(open(sys.argv[1]))
repo = pathlib.Path(sys.argv[2])
crates = project["crates"]
names = [c["display_name"] for c in crates]
for n in ("core", "kernel", "macros"):
    assert n in names, f"no {n} crate"
kernel = names.index("kernel")
kbuild = (repo / "Kbuild").read_text()
mods = re.findall(r"^obj-m \+= (\w+)\.o$", kbuild, re.M)
assert mods, "no modules in Kbuild"
for m in mods:
    c = [c for c in crates if c["display_name"] == m]
    assert len(c) == 1, f"{m}: {len(c)} crates"
    c = c[0]
    assert c["root_module"].endswith("/main.rs"), c["root_module"]
    assert pathlib.Path(c["root_module"]).is_file(), c["root_module"]
    assert {"crate": kernel, "name": "kernel"} in c["deps"], f"{m} does not depend on kernel"
    print(f"ok: {m}: {c['root_module'][len(str(repo)) + 1:]}, depends on kernel")
PY

if ! lw_chroot_kernel; then
	echo "rust-analyzer itself not run: it is in the trixie chroot, which builds for 7.3 and debian-7.3"
	exit 0
fi
# Our crates only as workspace members: the report covers them, and the
# kernel's crates are analysed only as far as ours use them.
ws=$LW_CACHE/tmp/ra-$$
trap 'rm -rf "$ws"' EXIT
mkdir -p "$ws"
python3 - "$json" "$ws/rust-project.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for c in p["crates"]:
    c["is_workspace_member"] = c["display_name"].startswith("lw_")
json.dump(p, open(sys.argv[2], "w"))
PY
"$lw_repo/scripts/chroot.sh" run timeout 900 rust-analyzer unresolved-references "$ws" \
	>"$LW_TEST_LOG/unresolved.txt" 2>&1 || lw_fail "rust-analyzer failed ($(tail -3 "$LW_TEST_LOG/unresolved.txt"))"
n_crates=$(grep -c '^processing crate: lw_' "$LW_TEST_LOG/unresolved.txt")
[ "$n_crates" -gt 0 ] || lw_fail "rust-analyzer processed none of our files"
echo "ok: rust-analyzer processed $n_crates files of our crates"
grep -q 'rust/lastwords/' "$LW_TEST_LOG/unresolved.txt" ||
	lw_fail "rust-analyzer did not reach rust/lastwords (#[path] modules outside the source roots?)"
bad=0 other=0
while IFS=: read -r file line col name; do
	text=$(sed -n "${line}p" "$file")
	if [[ $text == *kernel::* || $text == *lastwords::* ]]; then
		echo "unresolved: $file:$line:$col: $name: $text"
		bad=$((bad + 1))
	else
		other=$((other + 1))
	fi
done < <(grep -E '^/.*:[0-9]+:[0-9]+: ' "$LW_TEST_LOG/unresolved.txt")
lw_assert_eq "$bad" 0 "every kernel:: and lastwords:: path resolves"
echo "other unresolved names (made by the pin-init proc macros): $other"
[ "$other" -le 100 ] || lw_fail "$other unresolved names: more than the pin-init macros make"
echo "ok: at most 100"
