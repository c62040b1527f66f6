use super::*;
use crate::models::checkpoint::value::DType;

fn unicode(s: &str) -> Vec<u8> {
    let mut v = vec![b'X'];
    v.extend_from_slice(&(s.len() as u32).to_le_bytes());
    v.extend_from_slice(s.as_bytes());
    v
}

/// `{name: _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 6), 0, (2, 3), (3, 1), False, OrderedDict())}`
fn state_dict_pickle(name: &str) -> Vec<u8> {
    let mut p = vec![0x80, 2, b'}', b'q', 0, b'('];
    p.extend(unicode(name));
    p.extend_from_slice(b"ctorch._utils\n_rebuild_tensor_v2\nq\x01((");
    p.extend(unicode("storage"));
    p.extend_from_slice(b"ctorch\nFloatStorage\n");
    p.extend(unicode("0"));
    p.extend(unicode("cpu"));
    p.extend_from_slice(
        b"K\x06tQK\x00K\x02K\x03\x86K\x03K\x01\x86\x89ccollections\nOrderedDict\n)RtRu.",
    );
    p
}

#[test]
fn reads_a_minimal_state_dict() {
    let v = unpickle(&state_dict_pickle("w")).unwrap();
    let Some(Value::Tensor(t)) = v.get("w") else {
        panic!("no tensor: {v:?}");
    };
    assert_eq!(t.shape, vec![2, 3]);
    assert_eq!(t.stride, vec![3, 1]);
    assert_eq!(t.storage.dtype, DType::F32);
    assert_eq!(t.storage.numel, 6);
    assert_eq!(t.storage.key, "0");
}

#[test]
fn refuses_os_system_without_running_it() {
    let p = b"\x80\x02cos\nsystem\nX\x05\x00\x00\x00touch\x85R.";
    let err = unpickle(p).unwrap_err();
    assert_eq!(
        err,
        PickleError::ForbiddenGlobal {
            module: "os".into(),
            name: "system".into()
        }
    );
    assert!(err.to_string().contains("os.system"));
}

#[test]
fn refuses_stack_global_outside_allowed_set() {
    let mut p = vec![0x80, 4];
    p.extend(unicode("builtins"));
    p.extend(unicode("eval"));
    p.extend_from_slice(&[0x93, b'.']);
    assert!(matches!(
        unpickle(&p),
        Err(PickleError::ForbiddenGlobal { module, name }) if module == "builtins" && name == "eval"
    ));
}

#[test]
fn names_unsupported_opcodes() {
    let err = unpickle(b"\x80\x02G\x00\x00\x00\x00\x00\x00\x00\x00.").unwrap_err();
    assert_eq!(
        err,
        PickleError::UnsupportedOpcode {
            opcode: b'G',
            name: "BINFLOAT",
            offset: 2
        }
    );
    let err = unpickle(b"\x80\x02\x81.").unwrap_err();
    assert!(err.to_string().contains("NEWOBJ"), "{err}");
}

#[test]
fn truncation_is_detected_everywhere() {
    let full = state_dict_pickle("weight");
    for cut in 0..full.len() {
        assert!(
            unpickle(&full[..cut]).is_err(),
            "prefix of {cut} bytes accepted"
        );
    }
    assert!(unpickle(&full).is_ok());
}

#[test]
fn bad_memo_and_underflow_are_errors() {
    assert_eq!(
        unpickle(b"\x80\x02h\x07.").unwrap_err(),
        PickleError::BadMemo {
            index: 7,
            offset: 2
        }
    );
    assert_eq!(
        unpickle(b"\x80\x02\x85.").unwrap_err(),
        PickleError::StackUnderflow(2)
    );
    assert_eq!(
        unpickle(b"\x80\x02N).").unwrap_err(),
        PickleError::BadStop(2)
    );
}

#[test]
fn exponential_copying_is_bounded() {
    // x = (); x = (x, x) repeated through the memo doubles the size each round.
    let mut p = vec![0x80, 2, b')', b'q', 0];
    for _ in 0..40 {
        p.extend_from_slice(b"0h\x00h\x00\x86q\x00");
    }
    p.push(b'.');
    assert!(matches!(unpickle(&p), Err(PickleError::Bounds(_))));
}

#[test]
fn deep_nesting_is_bounded() {
    let mut p = vec![0x80, 2, b')'];
    p.extend(std::iter::repeat_n(0x85u8, 100_000));
    p.push(b'.');
    assert_eq!(
        unpickle(&p).unwrap_err(),
        PickleError::Bounds("nesting depth")
    );
}

#[test]
fn long1_is_sign_extended() {
    let v = unpickle(b"\x80\x02\x8a\x02\xff\xff.").unwrap();
    assert_eq!(v, Value::Int(-1));
    let v = unpickle(b"\x80\x02\x8a\x05\x00\x00\x00\x00\x01.").unwrap();
    assert_eq!(v, Value::Int(1 << 32));
}

#[test]
fn storage_type_as_callable_is_refused() {
    let p = b"\x80\x02ctorch\nFloatStorage\n)R.";
    assert!(matches!(unpickle(p), Err(PickleError::Type { .. })));
}

#[test]
fn old_protocols_are_refused() {
    assert_eq!(
        unpickle(b"\x80\x01N.").unwrap_err(),
        PickleError::Protocol(1)
    );
}
