//! Tests of the engine / manifest / buffer checks.

use super::*;

fn tensor(name: &str, mode: IoMode, shape: &[i64]) -> TensorInfo {
    TensorInfo {
        name: name.into(),
        mode,
        dtype: DataType::F32,
        shape: shape.to_vec(),
    }
}

fn tile_profile() -> InputProfile {
    InputProfile {
        name: "input".into(),
        min: vec![1, 3, 640, 640],
        opt: vec![4, 3, 640, 640],
        max: vec![4, 3, 640, 640],
    }
}

fn tile_engine() -> Vec<TensorInfo> {
    vec![
        tensor("input", IoMode::Input, &[-1, 3, 640, 640]),
        tensor("out", IoMode::Output, &[-1, 3, 1280, 1280]),
    ]
}

#[test]
fn an_engine_matching_its_manifest_passes() {
    assert_eq!(check_engine(&[tile_profile()], &tile_engine()), Ok(()));
}

#[test]
fn engines_with_other_tensors_are_refused() {
    let mut renamed = tile_engine();
    renamed[0].name = "images".into();
    let e = check_engine(&[tile_profile()], &renamed).unwrap_err();
    assert!(
        matches!(e, InterfaceError::Missing { mode: "input", .. }),
        "{e}"
    );
    assert!(e.to_string().contains("it has images, out"), "{e}");
    let mut extra = tile_engine();
    extra.push(tensor("aux", IoMode::Output, &[1]));
    assert_eq!(
        check_engine(&[tile_profile()], &extra),
        Err(InterfaceError::Unbound { name: "aux".into() })
    );
    let mut rank = tile_engine();
    rank[0].shape = vec![-1, 3, 640];
    assert!(matches!(
        check_engine(&[tile_profile()], &rank),
        Err(InterfaceError::Shape { .. })
    ));
    let no_out = vec![tensor("input", IoMode::Input, &[1, 3, 640, 640])];
    assert!(matches!(
        check_engine(&[tile_profile()], &no_out),
        Err(InterfaceError::Missing { mode: "output", .. })
    ));
}

#[test]
fn input_shapes_stay_inside_the_profile() {
    let p = tile_profile();
    assert_eq!(check_input_shape(&p, &[3, 3, 640, 640]), Ok(()));
    for bad in [
        vec![5, 3, 640, 640],
        vec![0, 3, 640, 640],
        vec![1, 3, 640, 641],
        vec![1, 3, 640],
    ] {
        assert!(check_input_shape(&p, &bad).is_err(), "{bad:?}");
    }
}

#[test]
fn buffers_must_fit_exactly_and_have_the_type() {
    let t = tensor("out", IoMode::Output, &[-1, 3, 1280, 1280]);
    let shape = [2, 3, 1280, 1280];
    let n = 2 * 3 * 1280 * 1280;
    assert_eq!(check_buffer(&t, &shape, DataType::F32, n), Ok(()));
    let e = check_buffer(&t, &shape, DataType::F32, n - 1).unwrap_err();
    assert!(e.to_string().contains("buffer holds"), "{e}");
    assert!(check_buffer(&t, &[-1, 3, 2, 2], DataType::F32, 12).is_err());
    assert!(matches!(
        check_buffer(&t, &shape, DataType::F16, n),
        Err(InterfaceError::Type { .. })
    ));
}
