# SPDX-License-Identifier: GPL-2.0
"""EFI variables for the efi_pstore selftests, built on the host from the
documented formats alone (Documentation/efi_pstore.rst), not from the
module's code: dense parts (header, raw deflate after the version's
dictionary, version 2's lines coded first; or stored) and the files the
guest writes through efivarfs (lw_put_vars in selftests/lib.sh: attributes,
then data, in the order of order.list). Also the reference decoder of a
dense part (decode_part), for tests that check what the module wrote."""

import os
import re
import struct
import zlib

import edk2_store

# EFI_VARIABLE_NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS.
ATTRS = 7
# Most text a dense part holds: 8 * the largest record_size.
TEXT_MAX = 32768 * 8


class Vars:
    """Variable files in directory `d`; `order.list` beside it names them
    in the order they were put."""

    def __init__(self, d, dict_path=None):
        self.d = d
        self.dict = open(dict_path, "rb").read() if dict_path else dictionary(1)
        self.order = []

    def part(self, text, method=1, version=1):
        """A dense part holding `text`: method 1 deflates it after the
        dictionary (version 2: its lines coded first), 2 (version 2) deflates
        it not coded, 3 (version 2) deflates it coded after the alternate
        dictionary (version 1's), 0 stores it; `version` goes in the header
        as is (a version without a dictionary deflates after version 1's)."""
        zd = dictionary(version) if version == 2 else self.dict
        if method == 3 and version == 2:
            data = deflate(dictionary(1), encode_lines(text))
        elif method == 1 and version == 2:
            data = deflate(zd, encode_lines(text))
        elif method in (1, 2):
            data = deflate(zd, text)
        else:
            data = text
        return struct.pack("<2sBBII", b"LW", version, method, len(text),
                           zlib.crc32(text)) + data

    def put(self, name, data):
        """Variable `name` (without its GUID) holding `data`."""
        with open(os.path.join(self.d, name), "wb") as f:
            f.write(struct.pack("<I", ATTRS) + data)
        self.order.append(name)

    def close(self):
        with open(os.path.join(self.d, "..", "order.list"), "w") as f:
            f.write("".join(n + "\n" for n in self.order))

    def write_store(self, template, out, guid):
        """The variables put so far, in their order, under `guid`, written
        into a copy of the firmware's empty variable store `template` (OVMF's
        or AAVMF's) as `out` (the file a VM boots with: what the firmware
        will hand back, without a SetVariable call each, which takes 0.1 to
        0.2 s under TCG)."""
        with open(template, "rb") as f:
            img = edk2_store.format_empty(bytearray(f.read()))
        for n in self.order:
            with open(os.path.join(self.d, n), "rb") as f:
                data = f.read()
            attrs = struct.unpack("<I", data[:4])[0]
            edk2_store.put(img, n, guid, attrs, data[4:])
        with open(out + ".tmp", "wb") as f:
            f.write(img)
        os.replace(out + ".tmp", out)


REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

def dictionary(version):
    """The preset dictionary of dense format `version`."""
    with open(os.path.join(REPO, "rust", "core", "dict", "kmsg%d.dict" % version), "rb") as f:
        return f.read()


def deflate(zd, text):
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 8, zdict=zd)
    return c.compress(text) + c.flush()


# The line codec of version 2 (Documentation/efi_pstore.rst): a kernel
# prefix "<L>[%5lu.%06lu] " becomes "\x01" L "+" delta-us " " (or "=" the
# time, where it goes back); a line starting with \x01 or \x02 gets a
# \x02 in front.
PREFIX = re.compile(rb"<(0|[1-9][0-9]{0,2})>\[( *)(0|[1-9][0-9]{0,11})\.([0-9]{6})\] ")
CODED = re.compile(rb"\x01(0|[1-9][0-9]{0,2})([+=])(0|[1-9][0-9]{0,18}) ")


def lines(b):
    out, i = [], 0
    while i < len(b):
        j = b.find(b"\n", i)
        j = len(b) if j < 0 else j + 1
        out.append(b[i:j])
        i = j
    return out


def encode_lines(text):
    out, prev = [], 0
    for line in lines(text):
        m = PREFIX.match(line)
        if m and len(m.group(2)) == max(0, 5 - len(m.group(3))):
            t = int(m.group(3)) * 1000000 + int(m.group(4))
            tok = b"+%d " % (t - prev) if t >= prev else b"=%d " % t
            prev = t
            out.append(b"\x01" + m.group(1) + tok + line[m.end():])
        elif line[:1] in (b"\x01", b"\x02"):
            out.append(b"\x02" + line)
        else:
            out.append(line)
    return b"".join(out)


def decode_lines(coded):
    out, prev = [], 0
    for line in lines(coded):
        if line[:1] == b"\x01":
            m = CODED.match(line)
            if not m:
                raise ValueError("malformed coded line")
            v = int(m.group(3))
            t = prev + v if m.group(2) == b"+" else v
            prev = t
            out.append(b"<%s>[%5d.%06d] " % (m.group(1), t // 1000000, t % 1000000) + line[m.end():])
        elif line[:1] == b"\x02":
            out.append(line[1:])
        else:
            out.append(line)
    return b"".join(out)


def decode_part(data):
    """The text of a dense part's data (header and payload), checked
    against its header's length and CRC: (version, method, text)."""
    magic, ver, method, tlen, crc = struct.unpack("<2sBBII", data[:12])
    if magic != b"LW" or ver not in (1, 2):
        raise ValueError("not a dense part")
    if method == 0:
        text = data[12:]
    else:
        if method not in (1, 2) and not (ver == 2 and method == 3):
            raise ValueError("unknown method")
        z = zlib.decompressobj(-15, zdict=dictionary(1 if method == 3 else ver))
        text = z.decompress(data[12:]) + z.flush()
        if not z.eof:
            raise ValueError("stream not finished")
        if ver == 2 and method in (1, 3):
            text = decode_lines(text)
    if len(text) != tlen or zlib.crc32(text) != crc:
        raise ValueError("length or CRC")
    return ver, method, text
