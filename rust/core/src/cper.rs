// SPDX-License-Identifier: GPL-2.0

//! A small CPER-like error record format for the synthetic firmware: a fixed
//! little-endian header, then the payload.
//!
//! | offset | size | field                                              |
//! |--------|------|----------------------------------------------------|
//! | 0      | 4    | magic, `b"LWER"` ([`MAGIC`])                       |
//! | 4      | 4    | total length, header included, at most 64 KiB      |
//! | 8      | 1    | severity ([`Severity`], CPER's values)             |
//! | 9      | 1    | reserved, 0                                        |
//! | 10     | 2    | source id                                          |
//! | 12     | 4    | sequence number                                    |
//! | 16     | 4    | checksum                                           |
//! | 20     | ...  | payload                                            |
//!
//! The checksum is FNV-1a 32 ([`fnv1a32`]) over header bytes 0..16 followed
//! by the payload, so it covers every byte of the record except itself: any
//! single corrupted byte is detected (an FNV-1a step is a bijection of the
//! state for a given byte, and differs between bytes). It detects accidents,
//! not forgery.
//!
//! Bytes after the total length are not part of the record and are ignored,
//! so a record can be parsed from the start of a larger buffer.

/// The magic number: `b"LWER"` read as a little-endian `u32`.
pub const MAGIC: u32 = u32::from_le_bytes(*b"LWER");

/// Size of the header.
pub const HEADER_LEN: usize = 20;

/// Largest record, header included.
pub const MAX_RECORD_LEN: usize = 64 * 1024;

/// Largest payload.
pub const MAX_PAYLOAD_LEN: usize = MAX_RECORD_LEN - HEADER_LEN;

/// Error severity, with the values of the UEFI CPER section severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Severity {
    /// Uncorrected, recoverable.
    Recoverable = 0,
    /// Uncorrected, fatal.
    Fatal = 1,
    /// Corrected.
    Corrected = 2,
    /// Informational.
    Info = 3,
}

impl Severity {
    /// The severity with on-record value `v`, if any.
    pub const fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Recoverable),
            1 => Some(Self::Fatal),
            2 => Some(Self::Corrected),
            3 => Some(Self::Info),
            _ => None,
        }
    }

    /// The on-record value.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }
}

/// A parsed, validated record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Severity.
    pub severity: Severity,
    /// Which error source reported it.
    pub source_id: u16,
    /// Sequence number.
    pub seq: u32,
    /// Record length, header included.
    pub total_len: u32,
    /// The checksum, as stored and verified.
    pub checksum: u32,
}

impl Header {
    /// Payload length.
    pub fn payload_len(&self) -> usize {
        usize::try_from(self.total_len)
            .unwrap_or(0)
            .saturating_sub(HEADER_LEN)
    }
}

/// Why encoding or parsing a record failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CperError {
    /// [`encode`]: the output buffer is shorter than the record.
    OutputTooSmall,
    /// [`encode`]: the payload is longer than [`MAX_PAYLOAD_LEN`].
    PayloadTooLarge,
    /// [`parse`]: the buffer is shorter than a header.
    Truncated,
    /// [`parse`]: the magic number is wrong.
    BadMagic,
    /// [`parse`]: the total length is shorter than a header.
    LengthTooSmall,
    /// [`parse`]: the total length is above [`MAX_RECORD_LEN`].
    LengthTooLarge,
    /// [`parse`]: the total length runs past the end of the buffer.
    LengthBeyondBuffer,
    /// [`parse`]: the checksum does not match the record.
    BadChecksum,
    /// [`parse`]: the reserved byte is not 0.
    ReservedNotZero,
    /// [`parse`]: the severity value is unknown.
    BadSeverity,
}

const FNV32_OFFSET: u32 = 0x811c_9dc5;
const FNV32_PRIME: u32 = 0x0100_0193;

fn fnv1a32_update(h: u32, bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ u32::from(b)).wrapping_mul(FNV32_PRIME))
}

/// FNV-1a 32-bit hash of `bytes`.
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    fnv1a32_update(FNV32_OFFSET, bytes)
}

/// The checksum of a record: over header bytes 0..16, then the payload.
fn checksum(head: &[u8; 16], payload: &[u8]) -> u32 {
    fnv1a32_update(fnv1a32(head), payload)
}

/// Header bytes 0..16 (everything but the checksum).
fn head_bytes(total_len: u32, severity: u8, reserved: u8, source_id: u16, seq: u32) -> [u8; 16] {
    let [m0, m1, m2, m3] = MAGIC.to_le_bytes();
    let [l0, l1, l2, l3] = total_len.to_le_bytes();
    let [s0, s1] = source_id.to_le_bytes();
    let [q0, q1, q2, q3] = seq.to_le_bytes();
    [
        m0, m1, m2, m3, l0, l1, l2, l3, severity, reserved, s0, s1, q0, q1, q2, q3,
    ]
}

/// Writes a record with `payload` at the start of `out`; returns its length.
/// Bytes of `out` past the record are left alone.
pub fn encode(
    severity: Severity,
    source_id: u16,
    seq: u32,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, CperError> {
    if payload.len() > MAX_PAYLOAD_LEN {
        return Err(CperError::PayloadTooLarge);
    }
    // At most MAX_RECORD_LEN: no overflow, and it fits in a u32.
    let total = HEADER_LEN.saturating_add(payload.len());
    let total_u32 = u32::try_from(total).map_err(|_| CperError::PayloadTooLarge)?;
    let record = out.get_mut(..total).ok_or(CperError::OutputTooSmall)?;
    let head = head_bytes(total_u32, severity.as_u8(), 0, source_id, seq);
    let sum = checksum(&head, payload).to_le_bytes();
    let bytes = head.iter().chain(sum.iter()).chain(payload.iter());
    for (dst, src) in record.iter_mut().zip(bytes) {
        *dst = *src;
    }
    Ok(total)
}

/// Parses and validates the record at the start of `buf`: returns its header
/// and payload. Checks, in order: a whole header, magic, length bounds,
/// checksum, reserved byte, severity.
pub fn parse(buf: &[u8]) -> Result<(Header, &[u8]), CperError> {
    let head: &[u8; HEADER_LEN] = buf.first_chunk().ok_or(CperError::Truncated)?;
    let [m0, m1, m2, m3, l0, l1, l2, l3, severity, reserved, s0, s1, q0, q1, q2, q3, c0, c1, c2, c3] =
        *head;
    if u32::from_le_bytes([m0, m1, m2, m3]) != MAGIC {
        return Err(CperError::BadMagic);
    }
    let total_len = u32::from_le_bytes([l0, l1, l2, l3]);
    let total = usize::try_from(total_len).map_err(|_| CperError::LengthTooLarge)?;
    if total < HEADER_LEN {
        return Err(CperError::LengthTooSmall);
    }
    if total > MAX_RECORD_LEN {
        return Err(CperError::LengthTooLarge);
    }
    let payload = buf
        .get(HEADER_LEN..total)
        .ok_or(CperError::LengthBeyondBuffer)?;
    let source_id = u16::from_le_bytes([s0, s1]);
    let seq = u32::from_le_bytes([q0, q1, q2, q3]);
    let stored = u32::from_le_bytes([c0, c1, c2, c3]);
    let head16: &[u8; 16] = buf.first_chunk().ok_or(CperError::Truncated)?;
    if checksum(head16, payload) != stored {
        return Err(CperError::BadChecksum);
    }
    if reserved != 0 {
        return Err(CperError::ReservedNotZero);
    }
    let severity = Severity::from_u8(severity).ok_or(CperError::BadSeverity)?;
    Ok((
        Header {
            severity,
            source_id,
            seq,
            total_len,
            checksum: stored,
        },
        payload,
    ))
}
