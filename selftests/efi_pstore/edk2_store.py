# SPDX-License-Identifier: GPL-2.0
"""edk2's variable store as the VMs' flash files hold it, for tests that
write variables into a store on the host or read what the firmware kept.

The layout (edk2's MdeModulePkg/Include/Guid/VariableFormat.h and PI's
firmware volume header): a firmware volume header (its length at offset
48), the store header (format GUID, size, format, state: 28 bytes), then
variables, each a 60-byte authenticated header, the name (UTF-16LE, NUL
included) and the data, the next one 4-byte aligned; free space is 0xff.
OVMF's VARS file ships formatted. AAVMF's (arm64) ships as zeros: its
flash driver formats it at the first boot (a volume of three 256 KiB
flash blocks: the store, the fault-tolerant write's working and spare
blocks); format_empty() lays it out the same way on the host.

A variable is written in steps (its header, its state "header valid",
its name and data, its state "added"); only an added variable is one the
firmware hands back. On AAVMF a write of more than 128 bytes (any name
with data) erases and rewrites the whole 256 KiB block that holds the
store, so a flash file read in the middle of such a write lacks
everything from the write's cursor on, even the volume header."""

import struct
import uuid

FV_GUID = uuid.UUID("fff12b8d-7696-4c8b-a985-2747075b4f50")  # EFI_SYSTEM_NV_DATA_FV_GUID
AUTH_STORE = uuid.UUID("aaf32c78-947b-439a-a180-2e144ec37792")
HEADER = struct.Struct("<HBBIQ16sIII16s")
START_ID = 0x55AA
VAR_ADDED = 0x3F
# An added variable being replaced (VAR_IN_DELETED_TRANSITION cleared):
# still the firmware's until its successor is added.
VAR_ADDED_IN_TRANSITION = 0x3E

# AAVMF's volume as its flash driver formats it (VirtNorFlashDxe): three
# blocks of QEMU's virt flash (256 KiB sectors) in a 64 MiB device.
AAVMF_BLOCK = 0x40000
AAVMF_BLOCKS = 256
AAVMF_FV_BLOCKS = 3
# EFI_FVB2_{READ_ENABLED_CAP,READ_STATUS,WRITE_ENABLED_CAP,WRITE_STATUS,
# STICKY_WRITE,MEMORY_MAPPED,ERASE_POLARITY}.
AAVMF_FV_ATTRS = 0xE36


class Var:
    """One variable header found in a store, with its name and data."""

    def __init__(self, offset, state, attrs, name, guid, data, after, name_whole):
        self.offset, self.state, self.attrs = offset, state, attrs
        self.name, self.guid, self.data = name, guid, data
        # Where the next variable's header goes.
        self.after = after
        # The name ends in its NUL (not cut off by a rewrite's cursor).
        self.name_whole = name_whole

    @property
    def added(self):
        return self.state in (VAR_ADDED, VAR_ADDED_IN_TRANSITION)


def store_region(img):
    """(start, end) of the variables in flash image `img`; ValueError if
    it holds no valid volume and store header (a store not formatted, or
    caught in the middle of a block rewrite)."""
    if len(img) < 72 or bytes(img[40:44]) != b"_FVH":
        raise ValueError("no firmware volume header")
    hlen = struct.unpack_from("<H", img, 48)[0]
    if sum(struct.unpack_from("<%dH" % (hlen // 2), img, 0)) & 0xFFFF:
        raise ValueError("firmware volume header checksum")
    if uuid.UUID(bytes_le=bytes(img[hlen:hlen + 16])) != AUTH_STORE:
        raise ValueError("not an authenticated variable store")
    size = struct.unpack_from("<I", img, hlen + 16)[0]
    if hlen + size > len(img):
        raise ValueError("store larger than the image")
    return hlen + 28, hlen + size


def walk(img):
    """Every variable header in the store of `img`, in flash order, as the
    firmware walks them, up to the first slot without a header. ValueError
    for a header whose sizes run past the store: one the firmware never
    writes, but a block rewrite cut in the middle of a header leaves."""
    at, end = store_region(img)
    while at + HEADER.size <= end:
        (sid, state, _, attrs, _, _, _, nsize, dsize, guid) = HEADER.unpack_from(img, at)
        if sid != START_ID:
            break
        name_at = at + HEADER.size
        if nsize > end or dsize > end or name_at + nsize + dsize > end:
            raise ValueError("a variable header at %#x whose sizes run past the store" % at)
        raw = bytes(img[name_at:name_at + nsize])
        name = raw.decode("utf-16-le", "replace").rstrip("\0")
        data = bytes(img[name_at + nsize:name_at + nsize + dsize])
        after = (name_at + nsize + dsize + 3) & ~3
        yield Var(at, state, attrs, name, str(uuid.UUID(bytes_le=bytes(guid))), data, after,
                  nsize >= 2 and raw[-2:] == b"\0\0")
        at = after


def format_empty(img):
    """Formats `img`, AAVMF's empty (all-zero) variable flash, as its flash
    driver does at the first boot; an image already formatted is left as
    it is. Returns `img`."""
    if bytes(img[40:44]) == b"_FVH":
        return img
    if len(img) != AAVMF_BLOCK * AAVMF_BLOCKS or any(img[:AAVMF_BLOCK * AAVMF_FV_BLOCKS]):
        raise ValueError("neither a formatted store nor AAVMF's empty one")
    fv_len = AAVMF_BLOCK * AAVMF_FV_BLOCKS
    img[:fv_len] = b"\xff" * fv_len
    hdr = bytearray(struct.pack("<16s16sQ4sIHHHBBIIII", bytes(16), FV_GUID.bytes_le, fv_len,
                                b"_FVH", AAVMF_FV_ATTRS, 72, 0, 0, 0, 2,
                                AAVMF_BLOCKS, AAVMF_BLOCK, 0, 0))
    struct.pack_into("<H", hdr, 50, (-sum(struct.unpack("<36H", hdr))) & 0xFFFF)
    img[:72] = hdr
    img[72:100] = struct.pack("<16sIBBHI", AUTH_STORE.bytes_le, AAVMF_BLOCK - 72, 0x5A, 0xFE, 0, 0)
    return img


def put(img, name, guid, attrs, data):
    """Appends variable `name` under `guid` to the store in `img` as the
    firmware would have written it (added, no time stamp or key)."""
    at, end = store_region(img)
    for v in walk(img):
        at = v.after
    encoded = (name + "\0").encode("utf-16-le")
    var = HEADER.pack(START_ID, VAR_ADDED, 0, attrs, 0, bytes(16), 0, len(encoded), len(data),
                      uuid.UUID(guid).bytes_le) + encoded + data
    if at + len(var) > end or any(b != 0xFF for b in img[at:at + len(var)]):
        raise ValueError("no room for %s in the variable store" % name)
    img[at:at + len(var)] = var

