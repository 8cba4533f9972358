// SPDX-License-Identifier: GPL-2.0

//! The records the tool finds in variables built from the documented
//! formats (Documentation/efi_pstore.rst: names, the dense part header,
//! raw deflate after the dictionary; the C backend's records), whole,
//! damaged, aliased and moved; and in variable store images saved from VM
//! runs, against what the modules handed pstore.

use std::io::Read;

use flate2::{Compress, Compression, FlushCompress, Status};
use lastwords::records::{self, Format};
use lastwords::vars::{Store, Var, CRASH_GUID};
use lastwords::varsfd;
use lastwords_core::dense::dictionary;
use lastwords_core::line_codec;

fn var(name: &str, data: &[u8]) -> Var {
    Var {
        name: name.encode_utf16().collect(),
        guid: CRASH_GUID,
        data: data.to_vec(),
    }
}

fn deflate(dict: &[u8], text: &[u8]) -> Vec<u8> {
    let mut z = Compress::new_with_window_bits(Compression::best(), false, 15);
    if !dict.is_empty() {
        z.set_dictionary(dict).unwrap();
    }
    let mut out = vec![0u8; text.len() + 1024];
    assert_eq!(
        z.compress(text, &mut out, FlushCompress::Finish).unwrap(),
        Status::StreamEnd
    );
    out.truncate(z.total_out() as usize);
    out
}

/// A dense part (format version `version`) holding `text`, as
/// Documentation/efi_pstore.rst describes it: method 1, the text deflated
/// after the version's dictionary, in version 2 its lines coded first (a
/// version this code does not know: version 1's content).
fn part(text: &[u8], version: u8) -> Vec<u8> {
    let mut v = vec![b'L', b'W', version, 1];
    v.extend_from_slice(&(text.len() as u32).to_le_bytes());
    v.extend_from_slice(&lastwords_core::dense::crc32(text).to_le_bytes());
    if version == 2 {
        let mut coded = text.to_vec();
        let n = line_codec::encode_in_place(&mut coded, text.len()).unwrap();
        v.extend_from_slice(&deflate(dictionary(2).unwrap(), &coded[..n]));
    } else {
        v.extend_from_slice(&deflate(dictionary(1).unwrap(), text));
    }
    v
}

/// Part `p` (1..=4) of dump `count`: its header line and ten numbered lines
/// (part 1 the newest, lines 31..40).
fn text(count: i32, p: u32) -> Vec<u8> {
    let mut t = format!("Panic#{} Part{}\n", count, p);
    for n in (4 - p) * 10 + 1..=(5 - p) * 10 {
        t += &format!("<6>[ {:4}.000000] lw-dense-{} line {}\n", n, count, n);
    }
    t.into_bytes()
}

const T: i64 = 1_764_000_000;

fn dense_name(p: u32, count: i32) -> String {
    format!("lw-dense1-type0-{}-{}-{}", p, count, T)
}

/// The line numbers of dump `count` in `text`, in order.
fn lines(text: &[u8], count: i32) -> Vec<u32> {
    let want = format!("lw-dense-{} line ", count);
    String::from_utf8_lossy(text)
        .lines()
        .filter_map(|l| l.split_once(&want).and_then(|(_, n)| n.parse().ok()))
        .collect()
}

fn gaps(text: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(text)
        .lines()
        .filter(|l| l.contains("of this dump is missing") || l.contains("of this dump are missing"))
        .map(String::from)
        .collect()
}

fn whole(count: i32) -> Vec<Var> {
    (1..=4)
        .map(|p| var(&dense_name(p, count), &part(&text(count, p), 1)))
        .collect()
}

#[test]
fn dense_dump_is_one_record_in_log_order() {
    let f = records::read(&whole(101));
    assert_eq!(f.records.len(), 1);
    let r = &f.records[0];
    assert_eq!(r.format, Format::Dense1);
    assert_eq!(r.id, format!("dmesg-{}", (T * 100 + 1) * 1000 + 101));
    assert!(r.text.starts_with(b"Panic#101 Part1\n"));
    assert_eq!(lines(&r.text, 101), (1..=40).collect::<Vec<_>>());
    assert!(gaps(&r.text).is_empty());
    assert_eq!(r.vars.len(), 4);
    assert!(f.skipped.is_empty());
}

#[test]
fn damaged_part_is_a_gap_and_erased_with_its_dump() {
    let mut vars = whole(102);
    let d = &mut vars[1].data; // part 2
    let mid = 12 + (d.len() - 12) / 2;
    d[mid] ^= 0x10;
    let f = records::read(&vars);
    let r = &f.records[0];
    let want: Vec<u32> = (1..=20).chain(31..=40).collect();
    assert_eq!(lines(&r.text, 102), want);
    assert_eq!(
        gaps(&r.text),
        ["lw_efi_pstore: part 2 of this dump is missing or damaged"]
    );
    assert_eq!(r.damaged_parts, 1);
    // Ours by name and header: erased with the dump.
    assert_eq!(r.vars.len(), 4);
    assert_eq!(f.skipped.len(), 1);
    assert_eq!(f.skipped[0].name, dense_name(2, 102));
}

#[test]
fn dump_with_no_part_that_decodes_says_so() {
    let mut vars = whole(109);
    for v in &mut vars {
        let n = v.data.len();
        v.data.truncate(n - 7);
    }
    let f = records::read(&vars);
    assert_eq!(f.records.len(), 1);
    let t = String::from_utf8_lossy(&f.records[0].text).into_owned();
    assert!(
        t.starts_with(
            "lw_efi_pstore: no part of dump #109 decodes; removing this file erases them\n"
        ),
        "{}",
        t
    );
    assert_eq!(f.records[0].vars.len(), 4);
}

#[test]
fn aliases_and_foreign_versions_are_skipped_and_kept() {
    let mut vars = whole(112);
    for (name, p) in [
        (format!("lw-dense1-type0-01-112-{}", T), 1),
        (format!("lw-dense1-type0-2-0112-{}", T), 2),
        (format!("lw-dense1-type0-+3-112-{}", T), 3),
        (format!("lw-dense01-type0-4-112-{}", T), 4),
    ] {
        vars.push(var(&name, &part(&text(112, p), 1)));
    }
    for p in 1..=4 {
        vars.push(var(
            &format!("lw-dense3-type0-{}-108-{}", p, T),
            &part(&text(108, p), 3),
        ));
    }
    let f = records::read(&vars);
    assert_eq!(f.records.len(), 1);
    assert_eq!(lines(&f.records[0].text, 112), (1..=40).collect::<Vec<_>>());
    assert_eq!(f.records[0].vars.len(), 4);
    assert_eq!(f.skipped.len(), 8);
    for s in &f.skipped {
        assert!(
            s.reason == "name not in its canonical spelling"
                || s.reason == "dense record of an unknown format version",
            "{:?}",
            s
        );
    }
}

#[test]
fn part_moved_between_dumps_is_not_merged() {
    let mut vars = whole(111);
    for p in [1, 3, 4] {
        vars.push(var(&dense_name(p, 110), &part(&text(110, p), 1)));
    }
    vars.push(var(&dense_name(2, 110), &part(&text(111, 2), 1)));
    let f = records::read(&vars);
    assert_eq!(f.records.len(), 2);
    let r110 = f.records.iter().find(|r| r.count == 110).unwrap();
    let r111 = f.records.iter().find(|r| r.count == 111).unwrap();
    assert_eq!(
        lines(&r110.text, 110),
        (1..=20).chain(31..=40).collect::<Vec<_>>()
    );
    assert!(lines(&r110.text, 111).is_empty());
    assert_eq!(gaps(&r110.text).len(), 1);
    assert_eq!(lines(&r111.text, 111), (1..=40).collect::<Vec<_>>());
    assert_eq!(f.skipped[0].reason, "dense part's text is another part's");
}

#[test]
fn c_records_plain_and_compressed() {
    let plain = b"Oops#1 Part1\nplain text\n";
    let big = b"Panic#1 Part2\ncompressed text\n".repeat(20);
    let vars = vec![
        var(&format!("dump-type0-1-1-{}-D", T), plain),
        var(&format!("dump-type0-2-1-{}-C", T), &deflate(&[], &big)),
        var(&format!("dump-type0-3-1-{}-C", T), b"not deflate data"),
        var(&format!("dump-type7-1-1-{}-D", T), b"a pmsg record\n"),
        // The C backend's oldest form: no count, no flag.
        var("dump-type0-3-1700000000", b"Oops#1 Part3\nold form\n"),
        // The same id as the first, in the form without the flag.
        var(&format!("dump-type0-1-1-{}", T), plain),
    ];
    let f = records::read(&vars);
    let ids: Vec<&str> = f.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(f.records.len(), 4, "{:?}", ids);
    let find = |p: u32, t: &str| {
        f.records
            .iter()
            .find(|r| r.type_name == t && r.id.ends_with(&format!("{:02}001", p)))
            .unwrap()
    };
    assert_eq!(find(1, "dmesg").text, plain);
    assert_eq!(find(2, "dmesg").text, big);
    assert_eq!(find(1, "pmsg").text, b"a pmsg record\n");
    let old = f.records.iter().find(|r| r.time == 1_700_000_000).unwrap();
    assert_eq!(old.text, b"Oops#1 Part3\nold form\n");
    assert_eq!(
        String::from_utf16_lossy(&old.vars[0]),
        "dump-type0-3-1700000000"
    );
    let reasons: Vec<&str> = f.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert!(
        reasons.contains(&"compressed data does not inflate"),
        "{:?}",
        reasons
    );
    assert!(
        reasons.contains(&"same record id as an earlier variable"),
        "{:?}",
        reasons
    );
}

fn gunzip(path: &str) -> Vec<u8> {
    let f = std::fs::File::open(format!(
        "{}/tests/fixtures/{}",
        env!("CARGO_MANIFEST_DIR"),
        path
    ))
    .unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(f)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// What a module showed, and what the tool reads from the same NVRAM.
fn image_matches_module(image: &str, shown: &str, want_records: usize) {
    let img = gunzip(image);
    let dir = std::env::temp_dir().join(format!("lastwords-test-{}-{}", std::process::id(), image));
    std::fs::write(&dir, &img).unwrap();
    let vars = varsfd::VarsFd::new(&dir).vars(CRASH_GUID).unwrap();
    std::fs::remove_file(&dir).unwrap();
    let mut f = records::read(&vars);
    assert!(f.skipped.is_empty(), "{:?}", f.skipped);
    assert_eq!(f.records.len(), want_records);
    // pstore's files in name order, concatenated.
    f.records.sort_by(|a, b| a.id.cmp(&b.id));
    let all: Vec<u8> = f
        .records
        .iter()
        .flat_map(|r| r.text.iter().copied())
        .collect();
    assert!(
        all == gunzip(shown),
        "{} differs from what the module showed",
        image
    );
}

#[test]
fn vm_image_dense_oops_reads_as_lw_efi_pstore_showed_it() {
    image_matches_module("vars-7.3-oops.fd.gz", "vars-7.3-oops.pstore.txt.gz", 1);
}

#[test]
fn vm_image_dense2_oops_reads_as_lw_efi_pstore_showed_it() {
    image_matches_module(
        "vars-7.3-dense2-oops.fd.gz",
        "vars-7.3-dense2-oops.pstore.txt.gz",
        1,
    );
}

#[test]
fn vm_image_c_panic_reads_as_the_c_efi_pstore_showed_it() {
    image_matches_module(
        "vars-7.3-c-panic.fd.gz",
        "vars-7.3-c-panic.pstore.txt.gz",
        16,
    );
}

/// A version 2 part of method 3: the coded text deflated after the
/// alternate dictionary (version 1's).
fn part_alt(text: &[u8]) -> Vec<u8> {
    let mut v = vec![b'L', b'W', 2, 3];
    v.extend_from_slice(&(text.len() as u32).to_le_bytes());
    v.extend_from_slice(&lastwords_core::dense::crc32(text).to_le_bytes());
    let mut coded = text.to_vec();
    let n = line_codec::encode_in_place(&mut coded, text.len()).unwrap();
    v.extend_from_slice(&deflate(
        lastwords_core::dense::alt_dictionary(),
        &coded[..n],
    ));
    v
}

/// Parts of format version 2 (`lw-dense2-` names), as the module writes
/// them now: each after whichever dictionary gave it fewer bytes (here
/// parts 2 and 4 after the alternate one, method 3).
fn whole2(count: i32) -> Vec<Var> {
    (1..=4)
        .map(|p| {
            let t = text(count, p);
            var(
                &format!("lw-dense2-type0-{}-{}-{}", p, count, T),
                &if p % 2 == 0 {
                    part_alt(&t)
                } else {
                    part(&t, 2)
                },
            )
        })
        .collect()
}

#[test]
fn version_2_dump_is_one_record_beside_version_1() {
    let mut vars = whole2(120);
    vars.extend(whole(120));
    let f = records::read(&vars);
    // Same count and time, other versions: two dumps, that are not mixed,
    // but with the same record id (the C backend's, from time, part and
    // count): the version 1 dump is listed, the other one's parts skipped.
    assert_eq!(f.records.len(), 1);
    let r = &f.records[0];
    assert_eq!(r.format, Format::Dense1);
    assert_eq!(lines(&r.text, 120), (1..=40).collect::<Vec<_>>());
    assert!(gaps(&r.text).is_empty());
    assert_eq!(f.skipped.len(), 4);
    assert!(f
        .skipped
        .iter()
        .all(|s| s.name.starts_with("lw-dense2-")
            && s.reason == "same record id as an earlier variable"));
    let f = records::read(&whole2(121));
    assert_eq!(f.records.len(), 1);
    assert_eq!(f.records[0].format, Format::Dense2);
    assert_eq!(lines(&f.records[0].text, 121), (1..=40).collect::<Vec<_>>());
}

#[test]
fn a_part_under_another_versions_name_is_skipped() {
    let mut vars = whole2(122);
    // Part 3 of version 1 content under its version 2 name.
    vars[2].data = part(&text(122, 3), 1);
    let f = records::read(&vars);
    let r = &f.records[0];
    assert_eq!(
        gaps(&r.text),
        ["lw_efi_pstore: part 3 of this dump is missing or damaged"]
    );
    assert_eq!(f.skipped.len(), 1);
    assert_eq!(
        f.skipped[0].reason,
        "dense part of another format version than its name"
    );
    // Not ours by content for that name: not erased with the dump.
    assert_eq!(r.vars.len(), 3);
}
