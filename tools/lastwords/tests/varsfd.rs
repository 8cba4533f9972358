// SPDX-License-Identifier: GPL-2.0

//! The variable store image parser on images built from edk2's layout:
//! live, deleted and half-replaced variables, and images that lie.

use lastwords::vars::{Guid, CRASH_GUID};
use lastwords::varsfd::parse;

const AUTH_STORE: &str = "aaf32c78-947b-439a-a180-2e144ec37792";

/// An image: a firmware volume header, an authenticated variable store of
/// `size` bytes, then `vars` (state, name, data) and erased flash.
fn image(vars: &[(u8, &str, &[u8])], size: u32) -> Vec<u8> {
    let mut b = vec![0u8; 72];
    b[40..44].copy_from_slice(b"_FVH");
    b[48..50].copy_from_slice(&72u16.to_le_bytes());
    b.extend_from_slice(&Guid::parse(AUTH_STORE).unwrap().0);
    b.extend_from_slice(&size.to_le_bytes());
    b.extend_from_slice(&[0x5a, 0xfe, 0, 0, 0, 0, 0, 0]);
    for (state, name, data) in vars {
        let name: Vec<u8> = name
            .encode_utf16()
            .chain([0])
            .flat_map(|c| c.to_le_bytes())
            .collect();
        b.extend_from_slice(&0x55aau16.to_le_bytes());
        b.push(*state);
        b.push(0);
        b.extend_from_slice(&7u32.to_le_bytes());
        b.extend_from_slice(&[0u8; 28]); // count, time stamp, key index
        b.extend_from_slice(&(name.len() as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&CRASH_GUID.0);
        b.extend_from_slice(&name);
        b.extend_from_slice(data);
        while b.len() % 4 != 0 {
            b.push(0xff);
        }
    }
    b.resize(72 + size as usize, 0xff);
    b
}

fn names(img: &[u8]) -> Vec<String> {
    parse(img)
        .unwrap()
        .iter()
        .map(|v| String::from_utf16_lossy(&v.name))
        .collect()
}

#[test]
fn live_deleted_and_half_replaced() {
    let img = image(
        &[
            (0x3f, "a", b"1"),
            (0x3c, "deleted", b"2"),
            // Replaced: the old copy in transition, the new one added.
            (0x3e, "b", b"old"),
            (0x3f, "b", b"new"),
            // Cut while being replaced: the old copy is all there is.
            (0x3e, "c", b"only"),
            (0x7f, "header-only", b"x"),
        ],
        4096,
    );
    assert_eq!(names(&img), ["a", "b", "c"]);
    let vars = parse(&img).unwrap();
    assert_eq!(vars[1].data, b"new");
    assert_eq!(vars[2].data, b"only");
}

#[test]
fn images_that_lie() {
    assert!(parse(b"short").is_err());
    assert!(parse(&[0u8; 4096]).is_err());
    // The store's size past the image's end.
    let mut img = image(&[(0x3f, "a", b"1")], 4096);
    img.truncate(2000);
    assert!(parse(&img).is_err());
    // A data size past the store: the walk stops, what came before stays.
    let mut img = image(&[(0x3f, "a", b"1"), (0x3f, "b", b"2")], 4096);
    let second = 72 + 28 + ((60 + 4 + 1 + 3) & !3);
    img[second + 40..second + 44].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(names(&img), ["a"]);
    // Not a variable header where one should be.
    let mut img = image(&[(0x3f, "a", b"1"), (0x3f, "b", b"2")], 4096);
    img[second] = 0x12;
    assert_eq!(names(&img), ["a"]);
}
