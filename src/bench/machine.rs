//! The machine a benchmark ran on, and the process's peak memory. Everything here is best
//! effort: a fact that cannot be read is `None` (`null` in the JSON), never an error.

use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};

/// The GPU, its driver, CUDA and TensorRT, when `nvidia-smi` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gpu {
    pub name: Option<String>,
    pub driver: Option<String>,
    /// The CUDA version the driver supports (from `nvidia-smi`).
    pub cuda: Option<String>,
    /// The newest `libnvinfer.so.X.Y.Z` found in the usual library folders.
    pub tensorrt: Option<String>,
    /// `major.minor` (from `nvidia-smi`, or the device a CUDA run opened).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_capability: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
}

/// Facts about the machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub cpu_model: Option<String>,
    /// `processor` entries in /proc/cpuinfo.
    pub logical_cpus: Option<usize>,
    /// CPUs this process may use (affinity, cgroup quota).
    pub available_cpus: Option<usize>,
    pub memory_bytes: Option<u64>,
    /// `PRETTY_NAME` of /etc/os-release.
    pub os: Option<String>,
    pub kernel: Option<String>,
    pub arch: String,
    pub gpu: Option<Gpu>,
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The value of the first `key : value` line of a /proc-style text.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// The CPU model of a /proc/cpuinfo text (x86 `model name`; Arm `Hardware` or `Model`).
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    ["model name", "Hardware", "Model"]
        .iter()
        .find_map(|k| field(cpuinfo, k))
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl Machine {
    /// Reads /proc, /etc/os-release and `nvidia-smi`.
    pub fn detect() -> Self {
        let cpuinfo = read("/proc/cpuinfo").unwrap_or_default();
        let devicetree = read("/sys/firmware/devicetree/base/model")
            .map(|m| m.trim_end_matches('\0').trim().to_string());
        let processors = cpuinfo
            .lines()
            .filter(|l| l.split(':').next().map(str::trim) == Some("processor"))
            .count();
        let memory_bytes = read("/proc/meminfo")
            .and_then(|m| kib(field(&m, "MemTotal")?))
            .map(|k| k * 1024);
        let os = read("/etc/os-release").and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        });
        Machine {
            cpu_model: cpu_model(&cpuinfo).or(devicetree),
            logical_cpus: (processors > 0).then_some(processors),
            available_cpus: std::thread::available_parallelism().ok().map(|n| n.get()),
            memory_bytes,
            os,
            kernel: read("/proc/sys/kernel/osrelease").map(|k| k.trim().to_string()),
            arch: std::env::consts::ARCH.to_string(),
            gpu: gpu(),
        }
    }
}

/// `"123 kB"` → 123.
fn kib(v: &str) -> Option<u64> {
    v.trim().trim_end_matches("kB").trim().parse().ok()
}

fn gpu() -> Option<Gpu> {
    let run = |args: &[&str]| {
        Command::new("nvidia-smi")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let (name, driver) = parse_gpu_query(&run(&[
        "--query-gpu=name,driver_version",
        "--format=csv,noheader",
    ])?);
    // A separate query: drivers older than 510 do not know `compute_cap`.
    let (compute_capability, memory_bytes) = run(&[
        "--query-gpu=compute_cap,memory.total",
        "--format=csv,noheader,nounits",
    ])
    .map(|t| parse_cap_memory(&t))
    .unwrap_or_default();
    Some(Gpu {
        name,
        driver,
        cuda: run(&[]).and_then(|t| parse_cuda_version(&t)),
        tensorrt: tensorrt_version(),
        compute_capability,
        memory_bytes,
    })
}

/// Compute capability and memory (MiB → bytes) from the first line of `nvidia-smi
/// --query-gpu=compute_cap,memory.total --format=csv,noheader,nounits`.
fn parse_cap_memory(text: &str) -> (Option<String>, Option<u64>) {
    let mut parts = text.lines().next().unwrap_or("").split(',').map(str::trim);
    let cap = parts
        .next()
        .filter(|c| c.split('.').count() == 2 && c.split('.').all(|n| n.parse::<u32>().is_ok()))
        .map(str::to_string);
    let memory = parts
        .next()
        .and_then(|m| m.parse::<u64>().ok())
        .map(|m| m << 20);
    (cap, memory)
}

/// Name and driver from the first line of `nvidia-smi --query-gpu=name,driver_version
/// --format=csv,noheader`.
fn parse_gpu_query(text: &str) -> (Option<String>, Option<String>) {
    let mut parts = text
        .lines()
        .next()
        .unwrap_or("")
        .split(',')
        .map(|s| Some(s.trim().to_string()).filter(|s| !s.is_empty()));
    (parts.next().flatten(), parts.next().flatten())
}

/// The `CUDA Version: X.Y` of `nvidia-smi`'s banner.
fn parse_cuda_version(text: &str) -> Option<String> {
    let at = text.find("CUDA Version:")?;
    text[at + "CUDA Version:".len()..]
        .split_whitespace()
        .next()
        .map(str::to_string)
}

/// The highest version of the `libnvinfer.so.X.Y.Z` files in the usual library folders.
fn tensorrt_version() -> Option<String> {
    let dirs = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/local/cuda/lib64",
        "/usr/local/cuda/targets/sbsa-linux/lib",
        "/usr/lib64",
        "/usr/lib",
    ];
    let mut best: Option<Vec<u32>> = None;
    for dir in dirs.iter().map(Path::new) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(v) = name.strip_prefix("libnvinfer.so.") else {
                continue;
            };
            let Ok(parts) = v
                .split('.')
                .map(str::parse)
                .collect::<Result<Vec<u32>, _>>()
            else {
                continue;
            };
            if best.as_ref().is_none_or(|b| parts > *b) {
                best = Some(parts);
            }
        }
    }
    best.map(|v| v.iter().map(u32::to_string).collect::<Vec<_>>().join("."))
}

/// The peak resident set of this process (`VmHWM`), in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = read("/proc/self/status")?;
    kib(field(&status, "VmHWM")?).map(|k| k * 1024)
}

/// Resets the peak resident set to the current one (Linux 4.0+), so that the next
/// [`peak_rss_bytes`] is the peak since now. Returns whether it worked.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_model_from_x86_and_arm_cpuinfo() {
        let x86 = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t: fpu\n";
        assert_eq!(
            cpu_model(x86).as_deref(),
            Some("Intel(R) Xeon(R) Processor")
        );
        let arm = "processor\t: 0\nBogoMIPS\t: 2000.00\n\nHardware\t: NVIDIA Thor\n";
        assert_eq!(cpu_model(arm).as_deref(), Some("NVIDIA Thor"));
        assert_eq!(cpu_model("processor : 0\n"), None);
    }

    #[test]
    fn nvidia_smi_output_parses() {
        let query = "NVIDIA H200, 570.133.20\nNVIDIA H200, 570.133.20\n";
        assert_eq!(
            parse_gpu_query(query),
            (Some("NVIDIA H200".into()), Some("570.133.20".into()))
        );
        assert_eq!(parse_gpu_query(""), (None, None));
        let banner =
            "| NVIDIA-SMI 570.133.20   Driver Version: 570.133.20   CUDA Version: 12.8     |";
        assert_eq!(parse_cuda_version(banner).as_deref(), Some("12.8"));
        assert_eq!(parse_cuda_version("no banner"), None);
        assert_eq!(
            parse_cap_memory("9.0, 143771\n"),
            (Some("9.0".into()), Some(143771 << 20))
        );
        assert_eq!(parse_cap_memory("[N/A], [N/A]"), (None, None));
    }

    #[test]
    fn peak_memory_grows_and_resets() {
        let Some(before) = peak_rss_bytes() else {
            eprintln!("skipping: /proc/self/status has no VmHWM");
            return;
        };
        let block = vec![1u8; 64 << 20];
        std::hint::black_box(&block);
        let peak = peak_rss_bytes().unwrap();
        assert!(peak >= before + (60 << 20), "{before} -> {peak}");
        drop(block);
        if reset_peak_rss() {
            assert!(peak_rss_bytes().unwrap() < peak);
        }
    }
}
