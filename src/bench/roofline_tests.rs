//! The roofline table: names to rows, and every row's numbers.

use super::*;

#[test]
fn device_names_find_their_rows() {
    let key = |name: &str, cc| lookup(name, cc).map(|p| p.key);
    assert_eq!(key("NVIDIA Thor", (11, 0)).as_deref(), Some("thor"));
    assert_eq!(
        key("NVIDIA H100 80GB HBM3", (9, 0)).as_deref(),
        Some("h100")
    );
    assert_eq!(
        key("NVIDIA H100 PCIe", (9, 0)).as_deref(),
        Some("h100-pcie")
    );
    assert_eq!(key("NVIDIA H100 NVL", (9, 0)).as_deref(), Some("h100-nvl"));
    assert_eq!(key("NVIDIA H200", (9, 0)).as_deref(), Some("h200"));
    assert_eq!(key("NVIDIA H200 NVL", (9, 0)).as_deref(), Some("h200-nvl"));
    assert_eq!(key("NVIDIA L40S", (8, 9)).as_deref(), Some("l40s"));
    assert_eq!(
        key("NVIDIA GeForce RTX 4090", (8, 9)).as_deref(),
        Some("rtx4090")
    );
    assert_eq!(
        key("NVIDIA A100-SXM4-80GB", (8, 0)).as_deref(),
        Some("a100-80gb")
    );
    assert_eq!(
        key("NVIDIA A100 80GB PCIe", (8, 0)).as_deref(),
        Some("a100-80gb-pcie")
    );
    assert_eq!(
        key("NVIDIA A100-PCIE-40GB", (8, 0)).as_deref(),
        Some("a100")
    );
    // The compute capability is part of the key; unknown GPUs have no row.
    assert_eq!(key("NVIDIA H100 80GB HBM3", (8, 0)), None);
    assert_eq!(key("NVIDIA GeForce RTX 3060", (8, 6)), None);
    assert_eq!(key("Orin (nvgpu)", (8, 7)), None);
}

#[test]
fn every_row_is_sane_and_reachable_by_key() {
    for r in TABLE {
        let p = by_key(r.key).unwrap();
        assert_eq!(p, r.peak());
        assert!(p.fp16_tflops > 100.0 && p.memory_gbps > 200.0, "{}", r.key);
        // fp8 tensor cores from compute 8.9 on, at twice the fp16 rate.
        let has_fp8 = r.cc >= (8, 9);
        assert_eq!(p.fp8_tflops.is_some(), has_fp8, "{}", r.key);
        if let Some(fp8) = p.fp8_tflops {
            assert!((fp8 / p.fp16_tflops - 2.0).abs() < 0.05, "{}", r.key);
        }
        assert!(!p.source.is_empty());
    }
    assert_eq!(by_key("H200").unwrap().memory_gbps, 4800.0);
    assert!(by_key("v100").is_none());
    assert_eq!(keys().len(), TABLE.len());
}
