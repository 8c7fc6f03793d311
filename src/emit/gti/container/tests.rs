use super::*;

fn sample() -> Container {
    Container {
        kind: ContainerKind::Chip,
        chip: 2803,
        sections: vec![
            Section::new("network.json", &b"{\"layer\": []}\n"[..]),
            Section::new("empty", Vec::new()),
            Section::new("filter.txt", &b"2.2656250000000000e-01\n"[..]),
            Section::new("名前", vec![0, 1, 2, 255]),
        ],
    }
}

/// Offsets of the table entries' name lengths, and of the header CRC.
fn layout(bytes: &[u8]) -> (Vec<usize>, usize) {
    let count = u32::from_le_bytes(bytes[15..19].try_into().unwrap()) as usize;
    let mut at = HEADER_LEN;
    let mut entries = Vec::new();
    for _ in 0..count {
        entries.push(at);
        let n = u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap()) as usize;
        at += ENTRY_LEN + n;
    }
    (entries, at)
}

/// Recompute the header CRC after a test edits the header or table.
fn reseal(bytes: &mut [u8]) {
    let (_, crc_at) = layout(bytes);
    let crc = crc32fast::hash(&bytes[..crc_at]);
    bytes[crc_at..crc_at + 4].copy_from_slice(&crc.to_le_bytes());
}

/// Position of section `i`'s offset field (its length field follows, then its CRC).
fn offset_field(bytes: &[u8], i: usize) -> usize {
    let (entries, _) = layout(bytes);
    let at = entries[i];
    at + 2 + u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap()) as usize
}

fn read(bytes: &[u8]) -> ContainerError {
    Container::from_bytes(bytes).unwrap_err()
}

#[test]
fn crc_is_the_zlib_one() {
    assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
}

#[test]
fn round_trip_is_byte_identical() {
    let model = Container {
        kind: ContainerKind::Model,
        chip: 0,
        sections: vec![Section::new("model.json", &b"{}"[..])],
    };
    for c in [sample(), model, Container::new(ContainerKind::Chip, 5801)] {
        let bytes = c.to_bytes().unwrap();
        assert!(Container::is_container(&bytes));
        let back = Container::from_bytes(&bytes).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.to_bytes().unwrap(), bytes);
        assert_eq!(c.to_bytes().unwrap(), bytes, "deterministic");
    }
    let c = sample();
    assert_eq!(
        c.section("filter.txt"),
        Some(&b"2.2656250000000000e-01\n"[..])
    );
    assert_eq!(c.section("empty"), Some(&[][..]));
    assert_eq!(c.section("bias.txt"), None);
    assert!(!Container::is_container(b"QTOOLGT"));
}

#[test]
fn the_documented_example_is_what_the_writer_writes() {
    let doc = include_str!("../container.md");
    let example = doc.split("## Example").nth(1).unwrap();
    let block = example.split("```text\n").nth(1).unwrap();
    let block = block.split("```").next().unwrap();
    let documented: Vec<u8> = block
        .split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect();
    let c = Container {
        kind: ContainerKind::Chip,
        chip: 2803,
        sections: vec![Section::new("a", &b"hi"[..])],
    };
    assert_eq!(c.to_bytes().unwrap(), documented);
    assert_eq!(Container::from_bytes(&documented).unwrap(), c);
    assert_eq!(documented.len(), 48);
}

#[test]
fn header_errors() {
    let good = sample().to_bytes().unwrap();
    assert_eq!(
        read(b"PK\x03\x04 not a container"),
        ContainerError::BadMagic
    );
    assert_eq!(
        read(b"QTOOL"),
        ContainerError::Truncated {
            what: "the header",
            needed: 19,
            len: 5
        }
    );
    assert_eq!(read(b"QTx"), ContainerError::BadMagic);

    let mut bad = good.clone();
    bad[8] = 2;
    assert_eq!(read(&bad), ContainerError::UnsupportedVersion(2));
    assert_eq!(
        read(&good[..12]),
        ContainerError::Truncated {
            what: "the header",
            needed: 19,
            len: 12
        }
    );

    let mut bad = good.clone();
    bad[10] = 3;
    reseal(&mut bad);
    assert_eq!(read(&bad), ContainerError::UnknownKind(3));

    let mut bad = good.clone();
    bad[11..15].copy_from_slice(&0u32.to_le_bytes());
    reseal(&mut bad);
    assert_eq!(read(&bad), ContainerError::MissingChip);

    let mut bad = good.clone();
    bad[15..19].copy_from_slice(&(MAX_SECTIONS + 1).to_le_bytes());
    assert_eq!(read(&bad), ContainerError::TooManySections { count: 4097 });

    // A header that claims the most sections allowed, in a tiny file.
    let mut bad = good[..HEADER_LEN].to_vec();
    bad[15..19].copy_from_slice(&MAX_SECTIONS.to_le_bytes());
    assert_eq!(
        read(&bad),
        ContainerError::Truncated {
            what: "the section table",
            needed: 19 + 4096 * 23 + 4,
            len: 19
        }
    );

    let mut bad = good.clone();
    let (_, crc_at) = layout(&bad);
    bad[crc_at] ^= 1;
    assert!(matches!(read(&bad), ContainerError::HeaderChecksum { .. }));
    let msg = read(&bad).to_string();
    assert!(msg.contains("header checksum mismatch"), "{msg}");
}

#[test]
fn table_and_name_errors() {
    let good = sample().to_bytes().unwrap();
    let (entries, crc_at) = layout(&good);

    // A name length that runs past the end of the file.
    let mut bad = good[..crc_at].to_vec();
    let last = entries[3];
    bad[last..last + 2].copy_from_slice(&u16::MAX.to_le_bytes());
    assert!(matches!(
        read(&bad),
        ContainerError::Truncated {
            what: "the section table",
            ..
        }
    ));
    assert_eq!(
        read(&good[..crc_at + 2]),
        ContainerError::Truncated {
            what: "the header checksum",
            needed: crc_at as u64 + 4,
            len: crc_at as u64 + 2
        }
    );

    // "名前" is 6 bytes: 0xff is never UTF-8.
    let mut bad = good.clone();
    bad[entries[3] + 2] = 0xff;
    reseal(&mut bad);
    assert_eq!(read(&bad), ContainerError::NameNotUtf8 { index: 3 });

    // Two one-byte names; the second renamed to the first.
    let c = Container {
        kind: ContainerKind::Model,
        chip: 0,
        sections: vec![Section::new("a", vec![1]), Section::new("b", vec![2])],
    };
    let mut bad = c.to_bytes().unwrap();
    let (entries, _) = layout(&bad);
    bad[entries[1] + 2] = b'a';
    reseal(&mut bad);
    assert_eq!(read(&bad), ContainerError::DuplicateName("a".into()));

    // An empty name, written by hand: one section, name length 0.
    let mut bad = c.to_bytes().unwrap()[..HEADER_LEN].to_vec();
    bad[15..19].copy_from_slice(&1u32.to_le_bytes());
    bad.extend_from_slice(&0u16.to_le_bytes());
    let data_start = (HEADER_LEN + ENTRY_LEN + CRC_LEN) as u64;
    bad.extend_from_slice(&data_start.to_le_bytes());
    bad.extend_from_slice(&1u64.to_le_bytes());
    bad.extend_from_slice(&crc32fast::hash(b"x").to_le_bytes());
    bad.extend_from_slice(&[0; 4]);
    bad.push(b'x');
    reseal(&mut bad);
    assert_eq!(read(&bad), ContainerError::EmptyName { index: 0 });
}

#[test]
fn section_errors() {
    let good = sample().to_bytes().unwrap();

    let mut bad = good.clone();
    let at = offset_field(&bad, 2);
    let offset = u64::from_le_bytes(bad[at..at + 8].try_into().unwrap());
    bad[at..at + 8].copy_from_slice(&(offset + 1).to_le_bytes());
    reseal(&mut bad);
    assert_eq!(
        read(&bad),
        ContainerError::Misplaced {
            name: "filter.txt".into(),
            offset: offset + 1,
            expected: offset
        }
    );

    let mut bad = good.clone();
    let at = offset_field(&bad, 3) + 8;
    bad[at..at + 8].copy_from_slice(&5u64.to_le_bytes());
    reseal(&mut bad);
    assert!(matches!(
        read(&bad),
        ContainerError::SectionOutOfBounds { ref name, length: 5, .. } if name == "名前"
    ));

    // A length that overflows u64 when added to the offset.
    let mut bad = good.clone();
    bad[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    reseal(&mut bad);
    assert!(matches!(
        read(&bad),
        ContainerError::SectionOutOfBounds { .. }
    ));

    let mut bad = good.clone();
    bad.push(0);
    assert_eq!(read(&bad), ContainerError::TrailingBytes { count: 1 });

    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 1] ^= 0x40;
    let err = read(&bad);
    assert!(matches!(
        err,
        ContainerError::SectionChecksum { ref name, .. } if name == "名前"
    ));
    assert!(
        err.to_string().contains("section `名前` checksum mismatch"),
        "{err}"
    );

    // A truncated file whose last section is cut short.
    assert!(matches!(
        read(&good[..good.len() - 1]),
        ContainerError::SectionOutOfBounds { .. }
    ));
}

#[test]
fn the_writer_refuses_what_the_reader_would() {
    let mut c = sample();
    c.chip = 0;
    assert_eq!(c.to_bytes(), Err(ContainerError::MissingChip));

    let mut c = sample();
    c.sections[1].name = "network.json".into();
    assert_eq!(
        c.to_bytes(),
        Err(ContainerError::DuplicateName("network.json".into()))
    );

    let mut c = sample();
    c.sections[2].name.clear();
    assert_eq!(c.to_bytes(), Err(ContainerError::EmptyName { index: 2 }));

    let mut c = sample();
    c.sections[0].name = "n".repeat(65_536);
    assert_eq!(
        c.to_bytes(),
        Err(ContainerError::NameTooLong {
            index: 0,
            len: 65_536
        })
    );
    c.sections[0].name.pop();
    let bytes = c.to_bytes().unwrap();
    assert_eq!(Container::from_bytes(&bytes).unwrap(), c);

    let mut c = Container::new(ContainerKind::Model, 0);
    c.sections = (0..=MAX_SECTIONS)
        .map(|i| Section::new(i.to_string(), Vec::new()))
        .collect();
    assert_eq!(
        c.to_bytes(),
        Err(ContainerError::TooManySections { count: 4097 })
    );
    c.sections.pop();
    let bytes = c.to_bytes().unwrap();
    assert_eq!(Container::from_bytes(&bytes).unwrap(), c);
}

#[test]
fn every_single_byte_change_is_detected() {
    let good = sample().to_bytes().unwrap();
    for at in 0..good.len() {
        for flip in 1..=255u8 {
            let mut bad = good.clone();
            bad[at] ^= flip;
            assert!(
                Container::from_bytes(&bad).is_err(),
                "byte {at} xor {flip:#04x} went unnoticed"
            );
        }
    }
}

#[test]
fn every_truncation_is_an_error() {
    let good = sample().to_bytes().unwrap();
    for n in 0..good.len() {
        assert!(Container::from_bytes(&good[..n]).is_err(), "{n} bytes");
    }
}

#[test]
fn garbage_after_a_valid_prefix_is_an_error() {
    // xorshift64: arbitrary tails after a valid magic and version.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2000 {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        let n = (next() % 200) as usize;
        bytes.extend((0..n).map(|_| next() as u8));
        if bytes.len() > 18 && next() % 2 == 0 {
            // Keep the section count small, so the table is read.
            bytes[15..19].copy_from_slice(&((next() % 4) as u32).to_le_bytes());
        }
        assert!(Container::from_bytes(&bytes).is_err());
    }
}
