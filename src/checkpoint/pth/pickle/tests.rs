//! Unit tests of the pickle VM on hand-built byte streams.

use super::*;

fn run(bytes: &[u8]) -> Pickle {
    match unpickle(bytes, 0) {
        Ok(p) => p,
        Err(e) => panic!("unpickle failed: {e}"),
    }
}

fn str_keys(p: &Pickle, id: ObjId) -> Vec<String> {
    let items = p.dict_items(id).expect("a dict");
    items
        .iter()
        .map(|&(k, _)| p.as_str(k).expect("str key").to_owned())
        .collect()
}

#[test]
fn ordered_dict_keeps_insertion_order() {
    // OrderedDict() then SETITEMS b=1, a=2, c=3 (not sorted order).
    let p = run(
        b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(X\x01\x00\x00\x00bK\x01\
X\x01\x00\x00\x00aK\x02X\x01\x00\x00\x00cK\x03u.",
    );
    assert_eq!(str_keys(&p, p.root()), ["b", "a", "c"]);
    let values: Vec<_> = p
        .dict_items(p.root())
        .unwrap()
        .iter()
        .map(|&(_, v)| p.as_int(v))
        .collect();
    assert_eq!(values, [Some(1), Some(2), Some(3)]);
}

#[test]
fn build_on_ordered_dict_is_ignored() {
    // OrderedDict() ; SETITEM x=1 ; BUILD with state {'_metadata': {}}.
    let p = run(
        b"\x80\x02ccollections\nOrderedDict\n)RX\x01\x00\x00\x00xK\x01s\
}X\x09\x00\x00\x00_metadata}sb.",
    );
    assert_eq!(str_keys(&p, p.root()), ["x"]);
}

#[test]
fn repeated_key_keeps_first_position_and_last_value() {
    let p = run(b"}(X\x01\x00\x00\x00aK\x01X\x01\x00\x00\x00bK\x02X\x01\x00\x00\x00aK\x09u.");
    assert_eq!(str_keys(&p, p.root()), ["a", "b"]);
    let items = p.dict_items(p.root()).unwrap();
    assert_eq!(p.as_int(items[0].1), Some(9));
}

#[test]
fn memo_get_returns_the_same_object_mutated_after_put() {
    // list; BINPUT 0; BINGET 0; APPEND 7 (to the gotten reference); TUPLE2 -> (l, l).
    let p = run(b"\x80\x02]q\x00h\x00K\x07a\x86.");
    let items = p.as_seq(p.root()).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0], items[1],
        "memo get must share the object, not copy it"
    );
    let list = p.as_seq(items[0]).unwrap();
    assert_eq!(
        list.iter().map(|&i| p.as_int(i)).collect::<Vec<_>>(),
        [Some(7)]
    );
}

#[test]
fn long_binput_and_memoize() {
    // LONG_BINPUT 70000 / LONG_BINGET 70000, and protocol-4 MEMOIZE (index = memo size).
    let p = run(b"K\x05r\x70\x11\x01\x00\x94j\x70\x11\x01\x00h\x01\x87.");
    let items = p.as_seq(p.root()).unwrap();
    assert_eq!(
        items.iter().map(|&i| p.as_int(i)).collect::<Vec<_>>(),
        [Some(5); 3]
    );
}

#[test]
fn tuple_opcodes() {
    // (EMPTY_TUPLE, TUPLE1(1), TUPLE2(1,2), TUPLE3(1,2,3), MARK 4 5 TUPLE) as a list.
    let p = run(b"](\x29K\x01\x85K\x01K\x02\x86K\x01K\x02K\x03\x87(K\x04K\x05te.");
    let outer = p.as_seq(p.root()).unwrap();
    let lens: Vec<_> = outer.iter().map(|&t| p.as_seq(t).unwrap().len()).collect();
    assert_eq!(lens, [0, 1, 2, 3, 2]);
    let last = p.as_seq(outer[4]).unwrap();
    assert_eq!(
        last.iter().map(|&i| p.as_int(i)).collect::<Vec<_>>(),
        [Some(4), Some(5)]
    );
}

#[test]
fn scalars() {
    let p = run(
        b"(NK\xffM\xff\xffJ\xfe\xff\xff\xff\x88\x89G?\xf0\x00\x00\x00\x00\x00\x00\
\x8a\x01\xff\x8a\x02\xff\x00\x8a\x00\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\xff\
\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19C\x02\x01\x02\x8c\x02hit.",
    );
    let objs: Vec<_> = p
        .as_seq(p.root())
        .unwrap()
        .iter()
        .map(|&i| p.get(i).clone())
        .collect();
    assert_eq!(
        objs,
        [
            Obj::None,
            Obj::Int(255),
            Obj::Int(65535),
            Obj::Int(-2),
            Obj::Bool(true),
            Obj::Bool(false),
            Obj::Float(1.0),
            Obj::Int(-1),
            Obj::Int(255),
            Obj::Int(0),
            Obj::Int(-1),
            Obj::BigInt(vec![
                0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19
            ]),
            Obj::Bytes(vec![1, 2]),
            Obj::Str("hi".into()),
        ]
    );
}

#[test]
fn globals_reduce_and_persistent_ids_are_recorded_not_run() {
    // Protocol 4: FRAME, STACK_GLOBAL os.system, REDUCE ('x',) ; BINPERSID ('storage',).
    let p = run(
        b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00(\x8c\x02os\x94\x8c\x06system\x94\
\x93\x94\x8c\x01x\x85R\x8c\x07storage\x85Qt.",
    );
    let items = p.as_seq(p.root()).unwrap();
    let Obj::Call { callable, .. } = p.get(items[0]) else {
        panic!("REDUCE must record a call")
    };
    assert_eq!(
        *p.get(*callable),
        Obj::Global {
            module: "os".into(),
            name: "system".into()
        }
    );
    assert!(matches!(p.get(items[1]), Obj::PersistentId(_)));
}

#[test]
fn sets_and_end_offset() {
    let bytes = b"\x8f(K\x01K\x02\x90.K\x03.";
    let p = run(bytes);
    assert_eq!(p.get(p.root()).kind(), "set");
    assert_eq!(p.end(), 8);
    let second = unpickle(bytes, p.end()).unwrap();
    assert_eq!(second.as_int(second.root()), Some(3));
}

#[test]
fn unsupported_opcode_is_reported_with_offset() {
    let err = unpickle(b"\x80\x02I1\n.", 0).unwrap_err();
    assert_eq!(
        err,
        PickleError::Unsupported {
            opcode: b'I',
            offset: 2
        }
    );
    assert_eq!(
        err.to_string(),
        "pickle opcode 0x49 at byte 2 is not supported"
    );
}

#[test]
fn malformed_streams_are_errors() {
    let cases: &[&[u8]] = &[
        b"",                                     // no STOP
        b"X\x10\x00\x00\x00ab.",                 // string longer than the data
        b"h\x03.",                               // memo get of an unset entry
        b"(\x85.",                               // TUPLE1 below the MARK
        b"K\x01u.",                              // SETITEMS without MARK
        b"K\x01(K\x02K\x03u.",                   // SETITEM on an int
        b"\x80\x07.",                            // protocol 7
        b"\x8d\xff\xff\xff\xff\xff\xff\xff\xff", // BINUNICODE8 of 2^64-1 bytes
        b"cos\nsys",                             // GLOBAL without newline
    ];
    for case in cases {
        assert!(unpickle(case, 0).is_err(), "{case:?} should be rejected");
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A fixed pseudo-random walk over bytes biased towards opcodes; only Ok/Err is allowed.
    let alphabet = b"(tu}]a)es.qhrjK\x85\x86\x87\x88\x89NRQbX\x8c\x8a\x94\x93\x80\x02\x00\x01\xff";
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..20_000 {
        let mut bytes = Vec::new();
        for _ in 0..24 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        let _ = unpickle(&bytes, 0);
        let _ = unpickle(&bytes, 30);
    }
}
