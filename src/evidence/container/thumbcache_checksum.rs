//! The two CRC-64 checksums of a Windows thumbnail cache entry (`thumbcache_*.db`).
//!
//! Owns the checksum arithmetic; where the fields sit is `thumbcache`'s. Both use the
//! CRC-64/MS parameters (polynomial 0x259C84CBA6426349, reflected, no final XOR: the table
//! Explorer's `thumbcache.dll` carries, as libwtcdb and thumbcacheviewer reproduce it):
//! - the header checksum: initial value all ones, over the entry's fixed header up to the
//!   header checksum field (the data checksum field included, as stored);
//! - the data checksum: initial value 0, over the data, but sampled past 1 KiB: the CRC of
//!   the first 1024 bytes XOR one chained CRC over the first 4 bytes of every following
//!   400-byte block (thumbcacheviewer's reading; Explorer checksums large thumbnails
//!   without reading them whole).
//!
//! A test checks the header checksum against an entry header of a real Windows 10 cache.

use crc::{Crc, CRC_64_MS};

const CRC64: Crc<u64> = Crc::<u64>::new(&CRC_64_MS);
/// Data up to this size is checksummed whole.
const WHOLE_DATA: usize = 1024;
/// Past `WHOLE_DATA`, the first `SAMPLE` bytes of every `STRIDE` bytes are checksummed.
const STRIDE: usize = 400;
const SAMPLE: usize = 4;

/// The header checksum over `header`, the entry's bytes before its header checksum field.
pub(super) fn header_checksum(header: &[u8]) -> u64 {
    CRC64.checksum(header)
}

/// The data checksum of an entry's `data`.
pub(super) fn data_checksum(data: &[u8]) -> u64 {
    let (head, rest) = data.split_at(data.len().min(WHOLE_DATA));
    let mut first = CRC64.digest_with_initial(0);
    first.update(head);
    let mut samples = CRC64.digest_with_initial(0);
    for block in rest.chunks(STRIDE) {
        samples.update(&block[..block.len().min(SAMPLE)]);
    }
    let sampled = if rest.is_empty() {
        0
    } else {
        samples.finalize()
    };
    first.finalize() ^ sampled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_64_ms_check_value() {
        assert_eq!(header_checksum(b"123456789"), 0x75d4_b74f_024e_ceea);
    }

    /// The first 48 bytes of an entry of a Windows 10 1709 `thumbcache_768.db` (version
    /// 0x20), as published in a forensic write-up
    /// (port139.hatenablog.com/entry/2018/01/13/093804), and the header checksum stored
    /// after them.
    #[test]
    fn header_checksum_of_a_real_windows_10_entry() {
        let header: [u8; 48] = [
            0x43, 0x4D, 0x4D, 0x4D, 0x06, 0xE1, 0x01, 0x00, 0x69, 0xE2, 0x89, 0xB3, 0x06, 0xB1,
            0x66, 0xEB, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xA7, 0xE0, 0x01, 0x00,
            0xDE, 0x02, 0x00, 0x00, 0x80, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE1, 0x7A,
            0x3F, 0x47, 0x2B, 0x6D, 0xEE, 0x78,
        ];
        let stored = u64::from_le_bytes([0x64, 0x55, 0x95, 0x7F, 0xFE, 0x4F, 0xBD, 0x1F]);
        assert_eq!(header_checksum(&header), stored);
    }

    #[test]
    fn data_checksum_is_whole_to_1_kib_then_sampled() {
        // One byte, initial value 0: the table entry of that byte.
        assert_eq!(data_checksum(&[0x80]), 0x92C6_4265_D321_39A4);
        assert_eq!(data_checksum(&[0x01]), 0x0809_E8A2_9694_51E9);
        assert_eq!(data_checksum(&[]), 0);
        let data: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
        let original = data_checksum(&data);
        // Bytes past 1 KiB outside the sampled 4 of every 400 do not count...
        let mut changed = data.clone();
        changed[1024 + 10] ^= 0xFF;
        assert_eq!(data_checksum(&changed), original);
        // ...the sampled ones and the first 1 KiB do.
        let mut changed = data.clone();
        changed[1024 + 400 + 2] ^= 0xFF;
        assert_ne!(data_checksum(&changed), original);
        let mut changed = data;
        changed[1000] ^= 0xFF;
        assert_ne!(data_checksum(&changed), original);
    }
}
