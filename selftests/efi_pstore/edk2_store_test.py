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
        self.assertEqual(edk2_store.live(img)["x"].data, b"abc")

    @unittest.skipUnless(os.path.exists(AAVMF), "no AAVMF")
    def test_aavmf_template_is_empty(self):
        self.assertEqual(bytes(edk2_store.format_empty(read(AAVMF))[:100]),
                         bytes(aavmf()[:100]))

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
        # Only a cursor past part 2's end leaves a moment to cut at.
        full = dump(aavmf(), 2)
        vs = {v.name.split("-")[3]: v for v in edk2_store.walk(full)}
        end2 = vs["2"].after
        for cursor in list(range(0, end2, 97)) + [end2, end2 + 500]:
            img = bytearray(full)
            img[cursor:edk2_store.AAVMF_BLOCK] = b"\xff" * (edk2_store.AAVMF_BLOCK - cursor)
            m = power_cut.whole(power_cut.parts(img))
            self.assertEqual(m, 2 if cursor >= end2 - 3 else 0, "cursor %#x" % cursor)

    def test_gap_is_not_whole(self):
        img = dump(aavmf(), 3)
        v = [v for v in edk2_store.walk(img) if v.name.startswith("lw-dense2-type0-2-")][0]
        img[v.offset + 2] = 0x3C  # deleted
        self.assertEqual(power_cut.whole(power_cut.parts(img)), 0)


if __name__ == "__main__":
    unittest.main()
