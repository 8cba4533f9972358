# SPDX-License-Identifier: GPL-2.0
# Sourced by test_dense_damage.sh (format version 1: what the modules before
# version 2 wrote) and test_dense_damage_v2.sh (version 2, written now), each
# setting V to its version.
#
# Dense records that are cut off or damaged decode up to the break. The host
# builds dense dumps of format version V from the documented format alone
# (Python's zlib with the version's dictionary, version 2's line codec:
# lw_vars.py, from Documentation/efi_pstore.rst), one dump per case,
# each of four parts of numbered lines: intact; part 2 with a bit flipped in
# its deflate data; part 1 truncated; part 2 missing; parts 1 and 2 swapped;
# part 3 with a header of the other format version (1 or 2); part 4 shorter
# than a header; every part damaged (a bit flip in 1 and 2, 3 cut short, 4
# cut after its version byte); a whole dump named lw-dense3 (a version this
# code does not know); another
# dump's intact part 2 under this dump's part 2 name (a part moved between
# dumps); and a whole dump whose parts also sit under aliases of their
# names (leading zeros, a sign, lw-dense0V). The
# guest writes them through efivarfs, loads lw_efi_pstore, reads every
# record and unlinks it. Asserts: no splat; each dump is one record holding
# every intact part's lines, in order, and one line per break (a damaged
# oldest part too); the dump with no part that decodes is a record that
# says so; damaged parts are skipped (counter) but, being ours by name and
# header (magic, version V), erased with their record; the other version's
# part and the foreign version stay in NVRAM; every intact part is erased;
# the moved part is a break, the aliases add no text and stay in NVRAM.
set -u
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
: "${V:?set the dense format version to test}"
O=$((3 - V))

guid=cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0
b=$LW_TEST_LOG/dense
vars=$b/vars
mkdir -p "$vars"
time=1764000000

PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$lw_repo/selftests/efi_pstore python3 - "$vars" "$time" "$V" >"$b/cases.txt" <<'PY' ||
import sys
from lw_vars import Vars
v = Vars(sys.argv[1])
t, V = int(sys.argv[2]), int(sys.argv[3])
put = v.put
def part(text, version=V):
    return v.part(text, version=version)
def texts(count):
    # Part 1 holds the newest lines (31..40), part 4 the oldest (1..10).
    out = {}
    for p in range(1, 5):
        lines = "".join("<6>[ %4d.000000] lw-dense-%d line %d\n" % (n, count, n)
                        for n in range((4 - p) * 10 + 1, (5 - p) * 10 + 1))
        out[p] = ("Panic#%d Part%d\n" % (count, p) + lines).encode()
    return out
# count: (case, {part: payload or None}, parts expected to decode, kept)
cases = {
    101: "intact", 102: "bitflip", 103: "truncated", 104: "missing",
    105: "swapped", 106: "version", 107: "short", 109: "all",
}
for count, case in cases.items():
    tx = texts(count)
    parts = {p: part(tx[p]) for p in tx}
    if case == "bitflip":
        b = bytearray(parts[2]); b[12 + len(b[12:]) // 2] ^= 0x10; parts[2] = bytes(b)
    elif case == "truncated":
        parts[1] = parts[1][: len(parts[1]) // 2]
    elif case == "missing":
        del parts[2]
    elif case == "swapped":
        parts[1], parts[2] = parts[2], parts[1]
    elif case == "version":
        parts[3] = part(tx[3], version=3 - V)
    elif case == "short":
        parts[4] = parts[4][:5]
    elif case == "all":
        for p in (1, 2):
            b = bytearray(parts[p]); b[12 + len(b[12:]) // 2] ^= 0x10; parts[p] = bytes(b)
        parts[3] = parts[3][: len(parts[3]) - 7]
        parts[4] = parts[4][:3]
    for p, data in parts.items():
        put("lw-dense%d-type0-%d-%d-%d" % (V, p, count, t), data)
    print(count, case)
tx = texts(108)
for p in tx:
    put("lw-dense3-type0-%d-108-%d" % (p, t), part(tx[p], version=3))
print(108, "foreign")
# A part moved between dumps: dump 111's part 2, intact, under dump 110's
# part 2 name (110's own part 2 is gone); 111 keeps all four.
tx110, tx111 = texts(110), texts(111)
for p in tx110:
    put("lw-dense%d-type0-%d-110-%d" % (V, p, t), part(tx111[2] if p == 2 else tx110[p]))
for p in tx111:
    put("lw-dense%d-type0-%d-111-%d" % (V, p, t), part(tx111[p]))
print(110, "moved")
print(111, "intact")
# Aliases: dump 112 whole, and its parts again under names that spell the
# same fields otherwise (leading zeros, a sign, a padded version): each
# would duplicate its part's text if taken as the same part.
tx = texts(112)
for p in tx:
    put("lw-dense%d-type0-%d-112-%d" % (V, p, t), part(tx[p]))
put("lw-dense%d-type0-01-112-%d" % (V, t), part(tx[1]))
put("lw-dense%d-type0-2-0112-%d" % (V, t), part(tx[2]))
put("lw-dense%d-type0-+3-112-%d" % (V, t), part(tx[3]))
put("lw-dense0%d-type0-4-112-%d" % (V, t), part(tx[4]))
print(112, "aliases")
v.close()
PY
	lw_fail "could not build the variables"

cat >"$b/guest-dense.sh" <<GUEST
set -u
export LC_ALL=C
$LW_GUEST_DEBUGFS
$LW_GUEST_PUT_VARS
ev=/sys/firmware/efi/efivars
lw_put_vars $guid || exit 10
$LW_LOAD_OURS || exit 11
$LW_GUEST_PSTORE || exit 12
d=/sys/kernel/debug/lw_efi_pstore
echo read=\$(cat \$d/read)
echo read_skipped=\$(cat \$d/read_skipped)
echo read_damaged=\$(cat \$d/read_damaged)
for f in /sys/fs/pstore/dmesg-*; do cp "\$f" "\$LW_LOG/record-\${f##*-}.txt"; done
rm -f /sys/fs/pstore/dmesg-*
echo erased=\$(cat \$d/erased)
umount \$ev && mount -t efivarfs none \$ev || echo 'could not remount efivarfs'
ls \$ev | grep -- '-$guid\$' | sed 's/-$guid\$//' | sort >\$LW_LOG/after_erase.txt
GUEST

lw_boot dense -- "bash \$LW_LOG/guest-dense.sh"
rc=$?
out=$b/out.log
cat "$out"
lw_assert_eq "$rc" 0 "the guest wrote the variables and read the records"

# record_files COUNT: the records saved of dump COUNT (its id ends in the
# count), one a line.
record_files() { ls "$b"/record-*"$1".txt 2>/dev/null; }
# record_for COUNT: the one record of dump COUNT, whose header line is this
# dump's (Panic#COUNT PartN, of its newest part decoded). If there is none,
# more than one, or another dump's, prints why and returns 1.
record_for() {
	local f
	f=$(record_files "$1")
	if [ -z "$f" ]; then
		echo "no record of dump $1"
		return 1
	elif [ "$(printf '%s\n' "$f" | wc -l)" != 1 ]; then
		echo "more than one record of dump $1:" $f
		return 1
	elif ! head -1 "$f" | grep -qE "^Panic#$1 Part[0-9]+\$"; then
		echo "${f##*/} is not dump $1's (its first line: $(head -1 "$f"))"
		return 1
	fi
	echo "$f"
}
# lines COUNT: the numbers of the dump's lines, in record order; gaps COUNT:
# its break lines. Without the dump's record, each prints why between < and
# >, which no assertion expects.
lines() {
	local f
	f=$(record_for "$1") || { echo "<$f>"; return 1; }
	grep -o "lw-dense-$1 line [0-9]*" "$f" | awk '{print $3}' | tr '\n' ' '
}
gaps() {
	local f
	f=$(record_for "$1") || { echo "<$f>"; return 1; }
	grep -o 'parts\? [0-9-]* of this dump' "$f" | tr '\n' ';'
}

for count in 101 102 103 104 105 106 107; do
	f=$(record_for $count) || lw_fail "dump $count: $f"
	echo "ok: dump $count is one record (${f##*/})"
done
f=$(record_files 109)
lw_assert_eq "$(printf '%s\n' "$f" | grep -c .)" 1 "all parts damaged: one record"
lw_assert_eq "$(head -1 "$f")" "lw_efi_pstore: no part of dump #109 decodes; removing this file erases them" "all parts damaged: the record says so"
lw_assert_eq "$(grep -o 'parts\? [0-9-]* of this dump' "$f" | tr '\n' ';')" "parts 1-4 of this dump;" "all parts damaged: the gap names them"
lw_assert_eq "$(find "$b" -maxdepth 1 -name 'record-*.txt' | wc -l)" 11 "one record file per dump of this version"
lw_assert_eq "$(lines 101)" "$(seq 1 40 | tr '\n' ' ')" "intact: lines 1..40 in order"
lw_assert_eq "$(gaps 101)" "" "intact: no break"
lw_assert_eq "$(lines 102)" "$(seq 1 20 | tr '\n' ' ')$(seq 31 40 | tr '\n' ' ')" "bit flip: all but part 2's lines"
lw_assert_eq "$(gaps 102)" "part 2 of this dump;" "bit flip: the break is part 2"
lw_assert_eq "$(lines 103)" "$(seq 1 30 | tr '\n' ' ')" "truncated part 1: parts 2..4"
lw_assert_eq "$(gaps 103)" "part 1 of this dump;" "truncated: the break is part 1"
lw_assert_eq "$(lines 104)" "$(seq 1 20 | tr '\n' ' ')$(seq 31 40 | tr '\n' ' ')" "missing part 2"
lw_assert_eq "$(gaps 104)" "part 2 of this dump;" "missing: the break is part 2"
lw_assert_eq "$(lines 105)" "$(seq 1 20 | tr '\n' ' ')" "swapped parts 1 and 2: parts 3..4"
lw_assert_eq "$(gaps 105)" "parts 1-2 of this dump;" "swapped: the break is parts 1-2"
lw_assert_eq "$(lines 106)" "$(seq 1 10 | tr '\n' ' ')$(seq 21 40 | tr '\n' ' ')" "version $O part 3: the others"
lw_assert_eq "$(lines 107)" "$(seq 11 40 | tr '\n' ' ')" "short part 4: parts 1..3, no break shown above them"
lw_assert_eq "$(gaps 107)" "part 4 of this dump;" "short part 4: ours (magic, version), so its break is shown"
lw_assert_eq "$(record_files 108)" "" "the foreign version is not read"
lw_assert_eq "$(lines 110)" "$(seq 1 20 | tr '\n' ' ')$(seq 31 40 | tr '\n' ' ')" "moved part: dump 110 without another dump's part 2"
lw_assert_eq "$(gaps 110)" "part 2 of this dump;" "moved part: the break is part 2"
lw_assert_eq "$(lines 111)" "$(seq 1 40 | tr '\n' ' ')" "the dump a part was copied from: lines 1..40"
lw_assert_eq "$(lines 112)" "$(seq 1 40 | tr '\n' ' ')" "aliases: every line once, in order"
lw_assert_eq "$(gaps 112)" "" "aliases: no break"
lw_assert_eq "$(lw_counter "$out" read)" 11 "one record per dense dump of this version"
lw_assert_eq "$(lw_counter "$out" read_damaged)" 1 "one dump with no part that decodes"
# Damaged: bit flip, truncated, the two swapped, version $O, short, the 4
# of dump 109, the moved part = 11 parts; the 4 of lw-dense3 and the 4
# aliases are skipped too.
lw_assert_eq "$(lw_counter "$out" read_skipped)" 19 "damaged, foreign and alias parts skipped"
# Intact 21 + 3 + 4 + 4, damaged ours 5 (bit flip, truncated, swapped 2,
# short) and 4, and the moved part (ours by name and header, in dump 110's
# place).
lw_assert_eq "$(lw_counter "$out" erased)" 42 "intact and damaged parts of ours erased"
lw_assert_eq "$(grep "^lw-dense$V-" "$b/after_erase.txt" | tr '\n' ' ')" \
	"lw-dense$V-type0-+3-112-$time lw-dense$V-type0-01-112-$time lw-dense$V-type0-2-0112-$time lw-dense$V-type0-3-106-$time " \
	"only the part of another format version and the aliases stay in NVRAM"
lw_assert_eq "$(grep -c "^lw-dense0$V-" "$b/after_erase.txt")" 1 "the alias of the version stays in NVRAM"
lw_assert_eq "$(grep -c '^lw-dense3-' "$b/after_erase.txt")" 4 "the foreign version stays in NVRAM"
# Each skip line names a variable and the reason its case gives. The lines
# are rate-limited (10 per 5 s): names are checked as they are enumerated
# (the foreign version, the aliases), then dumps are read newest first, so
# the first 10 lines hold those and the newest dumps' damaged parts.
python3 - "$b/console.log" "$time" "$V" <<'PY' || lw_fail "skip lines do not match the cases"
import re, sys
log, t, V = open(sys.argv[1], errors="replace").read(), sys.argv[2], sys.argv[3]
inflate = {"dense part does not inflate", "dense part fails its CRC"}
other = {"dense part's text is another part's"}
short = {"dense part shorter than its header"}
# A bit flip in version 2's coded text may also fail the line decoder.
if V == "2":
    inflate |= {"dense part's coded lines do not decode"}
d = "lw-dense%s-type0-" % V
want = {
    d + "2-102-%s" % t: inflate,
    d + "1-103-%s" % t: inflate | {"dense part shorter than its header"},
    d + "1-105-%s" % t: other, d + "2-105-%s" % t: other,
    d + "3-106-%s" % t: {"dense part of another format version than its name"},
    d + "4-107-%s" % t: short,
    d + "1-109-%s" % t: inflate, d + "2-109-%s" % t: inflate,
    d + "3-109-%s" % t: inflate, d + "4-109-%s" % t: short,
    d + "2-110-%s" % t: other,
}
for p in range(1, 5):
    want["lw-dense3-type0-%d-108-%s" % (p, t)] = {"dense record of an unknown format version"}
for n in (d + "01-112-", d + "2-0112-", d + "+3-112-", "lw-dense0%s-type0-4-112-" % V):
    want[n + t] = {"name not in its canonical spelling"}
lines = re.findall(r"lw_efi_pstore: skipped variable '(.*)': (.*?)\r?$", log, re.M)
ok = len(lines) >= 10
if not ok:
    print(f"{len(lines)} skip lines; the rate limit lets 10 through")
for name, why in lines:
    if why not in want.get(name, ()):
        print(f"line names '{name}': '{why}', its case says {sorted(want.get(name, ()))}")
        ok = False
seen = {name for name, _ in lines}
for n in ("lw-dense3-type0-1-108-" + t, "lw-dense0%s-type0-4-112-" % V + t):
    if n not in seen:
        print(f"no line names {n}, which the enumeration meets first")
        ok = False
print(f"ok: {len(lines)} skip lines, each naming its variable and its case's reason")
sys.exit(0 if ok else 1)
PY
