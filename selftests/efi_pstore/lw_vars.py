# SPDX-License-Identifier: GPL-2.0
"""EFI variables for the efi_pstore selftests, built on the host from the
documented formats alone (Documentation/efi_pstore.rst), not from the
module's code: dense parts (header, raw deflate after kmsg.dict, or stored)
and the files the guest writes through efivarfs (lw_put_vars in
selftests/lib.sh: attributes, then data, in the order of order.list)."""

import os
import struct
import zlib

# EFI_VARIABLE_NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS.
ATTRS = 7
# Most text a dense part holds: 8 * the largest record_size.
TEXT_MAX = 32768 * 8


class Vars:
    """Variable files in directory `d`; `order.list` beside it names them
    in the order they were put."""

    def __init__(self, d, dict_path):
        self.d = d
        self.dict = open(dict_path, "rb").read()
        self.order = []

    def part(self, text, method=1, version=1):
        """A dense part holding `text`: method 1 deflates it with the
        dictionary, 0 stores it; `version` goes in the header as is."""
        if method == 1:
            c = zlib.compressobj(9, zlib.DEFLATED, -15, 8, zdict=self.dict)
            data = c.compress(text) + c.flush()
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
