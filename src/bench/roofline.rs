//! Peak throughput of the GPUs the project targets, for the roofline: dense (not 2:4 sparse)
//! fp16 and fp8 tensor-core TFLOP/s and DRAM bandwidth, keyed by the CUDA device name and the
//! compute capability. NVIDIA's datasheets quote tensor throughput "with sparsity"; the dense
//! figures here are half of those. A GPU that is not in the table has no peak: the bench then
//! reports times without fractions of peak.

use serde::{Deserialize, Serialize};

/// One GPU's peaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Peak {
    /// The `--gpu` name.
    pub key: String,
    /// What it is, in words.
    pub name: String,
    /// Compute capability `major.minor`.
    pub compute_capability: String,
    /// Dense fp16 tensor-core TFLOP/s.
    pub fp16_tflops: f64,
    /// Dense fp8 tensor-core TFLOP/s (`None`: no fp8 tensor cores).
    pub fp8_tflops: Option<f64>,
    /// DRAM bandwidth, GB/s (10^9 bytes).
    pub memory_gbps: f64,
    /// Whether the GPU has NVENC (else the job encodes in software, on the host).
    pub nvenc: bool,
    /// Where the numbers come from, and how sure they are.
    pub source: String,
}

/// A row of the table: how to recognise the device, and its peaks.
struct Row {
    key: &'static str,
    name: &'static str,
    /// Lower-case substrings the device name must all contain...
    all: &'static [&'static str],
    /// ...and must not contain.
    none: &'static [&'static str],
    cc: (u32, u32),
    fp16: f64,
    fp8: Option<f64>,
    gbps: f64,
    nvenc: bool,
    source: &'static str,
}

/// Ordered: the first row that matches wins (the NVL and PCIe boards before the SXM default).
const TABLE: &[Row] = &[
    // NVIDIA Jetson Thor page and Jetson AGX Thor developer kit user guide: 2070 FP4 TFLOPS
    // (sparse), 128 GB LPDDR5X at 273 GB/s. The driver names the GPU "NVIDIA Thor" (20 SMs,
    // compute 11.0). NVIDIA quotes no fp8 or fp16 figure: fp8 dense = 2070 / 2 (sparsity) / 2
    // (fp4 → fp8) = 517.5 and fp16 half of that, assuming Blackwell's usual 2:1 ratios.
    // UNCERTAIN: derived, not published.
    Row {
        key: "thor",
        name: "NVIDIA Jetson AGX Thor (T5000)",
        all: &["thor"],
        none: &[],
        cc: (11, 0),
        fp16: 258.75,
        fp8: Some(517.5),
        gbps: 273.0,
        nvenc: true,
        source: "Jetson Thor: 2070 FP4 TFLOPS sparse, 273 GB/s (NVIDIA); fp8/fp16 derived by halving (uncertain)",
    },
    // NVIDIA H100 datasheet, NVL column: FP16 1,671 / FP8 3,341 TFLOPS with sparsity, 3.9 TB/s.
    Row {
        key: "h100-nvl",
        name: "NVIDIA H100 NVL",
        all: &["h100", "nvl"],
        none: &[],
        cc: (9, 0),
        fp16: 835.5,
        fp8: Some(1670.5),
        gbps: 3900.0,
        nvenc: false,
        source: "NVIDIA H100 datasheet (NVL): 1671/3341 TFLOPS sparse, 3.9 TB/s",
    },
    // NVIDIA H100 datasheet, PCIe column: FP16 1,513 / FP8 3,026 TFLOPS with sparsity, 2 TB/s
    // (HBM2e).
    Row {
        key: "h100-pcie",
        name: "NVIDIA H100 PCIe",
        all: &["h100", "pcie"],
        none: &[],
        cc: (9, 0),
        fp16: 756.5,
        fp8: Some(1513.0),
        gbps: 2000.0,
        nvenc: false,
        source: "NVIDIA H100 datasheet (PCIe): 1513/3026 TFLOPS sparse, 2 TB/s",
    },
    // NVIDIA H100 datasheet, SXM column (device name "NVIDIA H100 80GB HBM3"): FP16 1,979 /
    // FP8 3,958 TFLOPS with sparsity, 3.35 TB/s. Dense 989.4 / 1978.9 (Hopper whitepaper).
    Row {
        key: "h100",
        name: "NVIDIA H100 SXM5",
        all: &["h100"],
        none: &["pcie", "nvl"],
        cc: (9, 0),
        fp16: 989.4,
        fp8: Some(1978.9),
        gbps: 3350.0,
        nvenc: false,
        source: "NVIDIA H100 datasheet (SXM): 1979/3958 TFLOPS sparse, 3.35 TB/s",
    },
    // NVIDIA H200 datasheet, NVL column: FP16 1,671 / FP8 3,341 TFLOPS with sparsity, 4.8 TB/s.
    Row {
        key: "h200-nvl",
        name: "NVIDIA H200 NVL",
        all: &["h200", "nvl"],
        none: &[],
        cc: (9, 0),
        fp16: 835.5,
        fp8: Some(1670.5),
        gbps: 4800.0,
        nvenc: false,
        source: "NVIDIA H200 datasheet (NVL): 1671/3341 TFLOPS sparse, 4.8 TB/s",
    },
    // NVIDIA H200 datasheet, SXM column: the H100 SXM's compute, 141 GB HBM3e at 4.8 TB/s.
    Row {
        key: "h200",
        name: "NVIDIA H200 SXM",
        all: &["h200"],
        none: &["nvl"],
        cc: (9, 0),
        fp16: 989.4,
        fp8: Some(1978.9),
        gbps: 4800.0,
        nvenc: false,
        source: "NVIDIA H200 datasheet (SXM): 1979/3958 TFLOPS sparse, 4.8 TB/s",
    },
    // NVIDIA L40S datasheet: FP16 362.05 (733 sparse), FP8 733 (1,466 sparse), 864 GB/s.
    Row {
        key: "l40s",
        name: "NVIDIA L40S",
        all: &["l40s"],
        none: &[],
        cc: (8, 9),
        fp16: 362.05,
        fp8: Some(733.0),
        gbps: 864.0,
        nvenc: true,
        source: "NVIDIA L40S datasheet: 362/733 TFLOPS dense, 864 GB/s",
    },
    // NVIDIA Ada Lovelace architecture whitepaper (RTX 4090): FP16 tensor 330.3 TFLOPS dense
    // with FP16 accumulation (165.2 with FP32 accumulation), FP8 660.6 dense (FP16
    // accumulation), 1008 GB/s. UNCERTAIN which accumulation TensorRT's kernels use: with FP32
    // accumulation the peaks are half.
    Row {
        key: "rtx4090",
        name: "NVIDIA GeForce RTX 4090",
        all: &["4090"],
        none: &[],
        cc: (8, 9),
        fp16: 330.3,
        fp8: Some(660.6),
        gbps: 1008.0,
        nvenc: true,
        source: "Ada whitepaper: 330.3/660.6 TFLOPS dense with FP16 accumulation (half with FP32), 1008 GB/s",
    },
    // NVIDIA A100 datasheet: FP16 312 TFLOPS dense (624 sparse), no fp8; 80 GB SXM 2,039 GB/s,
    // 80 GB PCIe 1,935 GB/s, 40 GB 1,555 GB/s. No NVENC.
    Row {
        key: "a100-80gb-pcie",
        name: "NVIDIA A100 80GB PCIe",
        all: &["a100", "80gb", "pcie"],
        none: &[],
        cc: (8, 0),
        fp16: 312.0,
        fp8: None,
        gbps: 1935.0,
        nvenc: false,
        source: "NVIDIA A100 datasheet: 312 TFLOPS fp16 dense, 1935 GB/s (80GB PCIe)",
    },
    Row {
        key: "a100-80gb",
        name: "NVIDIA A100 80GB SXM4",
        all: &["a100", "80gb"],
        none: &[],
        cc: (8, 0),
        fp16: 312.0,
        fp8: None,
        gbps: 2039.0,
        nvenc: false,
        source: "NVIDIA A100 datasheet: 312 TFLOPS fp16 dense, 2039 GB/s (80GB SXM)",
    },
    Row {
        key: "a100",
        name: "NVIDIA A100 40GB",
        all: &["a100"],
        none: &[],
        cc: (8, 0),
        fp16: 312.0,
        fp8: None,
        gbps: 1555.0,
        nvenc: false,
        source: "NVIDIA A100 datasheet: 312 TFLOPS fp16 dense, 1555 GB/s (40GB)",
    },
];

impl Row {
    fn peak(&self) -> Peak {
        Peak {
            key: self.key.into(),
            name: self.name.into(),
            compute_capability: format!("{}.{}", self.cc.0, self.cc.1),
            fp16_tflops: self.fp16,
            fp8_tflops: self.fp8,
            memory_gbps: self.gbps,
            nvenc: self.nvenc,
            source: self.source.into(),
        }
    }
}

/// The peaks of the device called `name` with compute capability `(major, minor)`: the first
/// row whose name patterns match and whose compute capability is the device's.
pub fn lookup(name: &str, compute: (u32, u32)) -> Option<Peak> {
    let lower = name.to_lowercase();
    TABLE
        .iter()
        .find(|r| {
            r.cc == compute
                && r.all.iter().all(|p| lower.contains(p))
                && !r.none.iter().any(|p| lower.contains(p))
        })
        .map(Row::peak)
}

/// The row `--gpu KEY` names (`thor`, `h100`, `h100-pcie`, `h200`, `l40s`, `rtx4090`, `a100`...).
pub fn by_key(key: &str) -> Option<Peak> {
    let key = key.trim().to_lowercase();
    TABLE.iter().find(|r| r.key == key).map(Row::peak)
}

/// Every `--gpu` name.
pub fn keys() -> Vec<&'static str> {
    TABLE.iter().map(|r| r.key).collect()
}

/// Said where a GPU has no row.
pub const NO_PEAK: &str = "no peak known";

#[cfg(test)]
#[path = "roofline_tests.rs"]
mod tests;
