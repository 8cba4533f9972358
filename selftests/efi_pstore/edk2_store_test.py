# SPDX-License-Identifier: GPL-2.0
"""Host tests of edk2_store.py and of power_cut.py's choice of a moment
(scripts/hosttest.sh runs them): AAVMF's empty store formatted as its
firmware does, variables put and walked back, and the flash states a
power cut may meet on AAVMF (a block rewrite's cursor anywhere)."""

import os
import struct
import unittest

import edk2_store
import lw_vars
import power_cut

GUID = "cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0"
# The first 100 bytes (volume header, store header) of an AAVMF store its
# firmware formatted at a first boot (Debian 12's qemu-efi-aarch64
# 2022.11-6+deb12u2, in a test VM of 2026-12-07).
FIRMWARE_FORMATTED = bytes.fromhex(
    "000000000000000000000000000000008d2bf1ff96768b4ca9852747075b4f50"
    "00000c00000000005f465648360e00004800f8f8000000020001000000000400"
    "0000000000000000782cf3aa7b949a43a1802e144ec37792b8ff03005afe0000"
    "00000000")
OVMF = "/usr/share/OVMF/OVMF_VARS_4M.fd"
AAVMF = "/usr/share/AAVMF/AAVMF_VARS.fd"


def aavmf():
    """AAVMF's empty store, formatted."""
    return edk2_store.format_empty(bytearray(edk2_store.AAVMF_BLOCK * edk2_store.AAVMF_BLOCKS))


def read(path):
    with open(path, "rb") as f:
        return bytearray(f.read())


def dense(text):
    """A version 2 dense part of `text` (no variable files are written)."""
    return lw_vars.Vars(None).part(text, version=2)


def dump(img, n):
    """Parts 1..n of one dump, as lw_efi_pstore names them."""
    for p in range(1, n + 1):
        text = b"".join(b"<6>[ %4d.000000] part %d line %d\n" % (i, p, i) for i in range(1, 80))
        edk2_store.put(img, "lw-dense2-type0-%d-1-1764000000" % p, GUID, lw_vars.ATTRS,
                       dense(text))
    return img


class Store(unittest.TestCase):
    def test_format_empty_as_the_firmware(self):
        img = aavmf()
        self.assertEqual(bytes(img[:100]), FIRMWARE_FORMATTED)
        self.assertEqual(edk2_store.store_region(img), (100, 0x40000))
        self.assertEqual(bytes(img[40:44]), b"_FVH")
        self.assertEqual(sum(struct.unpack_from("<36H", img, 0)) & 0xFFFF, 0)
        self.assertEqual(struct.unpack_from("<QHII", img, 32)[0], 3 * edk2_store.AAVMF_BLOCK)
        # The working and spare blocks erased, the rest of the device as it was.
        self.assertEqual(set(img[100:3 * edk2_store.AAVMF_BLOCK]), {0xFF})
        self.assertEqual(set(img[3 * edk2_store.AAVMF_BLOCK:]), {0})
        self.assertEqual(list(edk2_store.walk(img)), [])

    def test_format_leaves_a_formatted_store(self):
        img = dump(aavmf(), 1)
        self.assertEqual(edk2_store.format_empty(bytearray(img)), img)

    @unittest.skipUnless(os.path.exists(OVMF), "no OVMF")
    def test_ovmf_template(self):
        img = read(OVMF)
        self.assertEqual(edk2_store.format_empty(bytearray(img)), img)
        edk2_store.put(img, "x", GUID, 7, b"abc")
        self.assertEqual([(v.name, v.data) for v in edk2_store.walk(img) if v.added], [("x", b"abc")])

    @unittest.skipUnless(os.path.exists(AAVMF), "no AAVMF")
    def test_aavmf_template(self):
        self.assertEqual(bytes(edk2_store.format_empty(read(AAVMF))[:100]), FIRMWARE_FORMATTED)

    def test_put_walk(self):
        img = aavmf()
        for i, data in enumerate([b"", b"a", b"ab" * 100, b"abc"]):
            edk2_store.put(img, "v%d" % i, GUID, 7, data)
        got = [(v.name, v.data, v.guid, v.offset % 4) for v in edk2_store.walk(img)]
        self.assertEqual(got, [("v0", b"", GUID, 0), ("v1", b"a", GUID, 0),
                               ("v2", b"ab" * 100, GUID, 0), ("v3", b"abc", GUID, 0)])

    def test_not_added_is_not_live(self):
        img = dump(aavmf(), 2)
        v = [v for v in edk2_store.walk(img) if v.name.startswith("lw-dense2-type0-2-")][0]
        img[v.offset + 2] = 0x7F  # VAR_HEADER_VALID_ONLY: its data not written yet
        self.assertEqual(sorted(power_cut.parts(img)), [1])

    def test_full_store_refused(self):
        img = aavmf()
        with self.assertRaises(ValueError):
            for i in range(10000):
                edk2_store.put(img, "v%d" % i, GUID, 7, b"x" * 500)

    def test_garbage_is_no_store(self):
        for img in (bytearray(4096), bytearray(b"\xff" * 4096), bytearray(os.urandom(4096))):
            with self.assertRaises(ValueError):
                edk2_store.store_region(img)


class CutMoment(unittest.TestCase):
    """What power_cut.py takes for a moment to cut at, on flash states."""

    def test_whole_parts(self):
        self.assertEqual(power_cut.whole(power_cut.parts(dump(aavmf(), 3))), 3)

    def test_one_part_is_not_enough(self):
        self.assertEqual(power_cut.whole(power_cut.parts(dump(aavmf(), 1))), 0)

    def test_rewrite_cursor_anywhere(self):
        # A block rewrite on AAVMF: everything from the cursor on is 0xff.
        # A moment to cut at: parts 1 and 2 whole, and the cursor past the
        # end of a header or name (part 3's, being rewritten).
        full = dump(aavmf(), 3)
        vs = {v.name.split("-")[3]: v for v in edk2_store.walk(full)}
        end2 = vs["2"].offset + edk2_store.HEADER.size + 2 * (len(vs["2"].name) + 1) + len(vs["2"].data)
        name3 = vs["3"].offset + edk2_store.HEADER.size + 2 * (len(vs["3"].name) + 1)
        data3 = name3 + len(vs["3"].data)
        cursors = list(range(0, vs["3"].after + 64, 29))
        for cursor in cursors + [end2 - 1, end2, name3 - 1, name3, data3 - 1, data3]:
            img = bytearray(full)
            img[cursor:edk2_store.AAVMF_BLOCK] = b"\xff" * (edk2_store.AAVMF_BLOCK - cursor)
            m = power_cut.whole(power_cut.parts(img))
            if end2 <= cursor <= vs["3"].offset + 1:
                want = 2  # part 3's header not begun: the store ends there
            elif cursor >= data3:
                want = 3
            else:
                want = 0  # part 1 or 2 cut off, or part 3's header, name or data
            self.assertEqual(m, want, "cursor %#x" % cursor)

    def test_other_guid_is_not_whole(self):
        img = aavmf()
        for p in (1, 2):
            edk2_store.put(img, "lw-dense2-type0-%d-1-1764000000" % p,
                           "00000000-0000-0000-0000-000000000000" if p == 2 else GUID,
                           lw_vars.ATTRS, dense(b"<6>[    1.000000] x\n"))
        self.assertEqual(power_cut.whole(power_cut.parts(img)), 0)

    def test_gap_is_not_whole(self):
        img = dump(aavmf(), 3)
        v = [v for v in edk2_store.walk(img) if v.name.startswith("lw-dense2-type0-2-")][0]
        img[v.offset + 2] = 0x3C  # deleted
        self.assertEqual(power_cut.whole(power_cut.parts(img)), 0)


if __name__ == "__main__":
    unittest.main()
