//! How the kernels are compiled, shared by `build.rs` (nvcc, the fat binary; it includes this
//! file by path) and the run-time NVRTC path, so both compilers get the same options.

/// Options both compilers get: no multiply-add contraction (`--fmad=false`), so the device runs
/// the separately rounded IEEE operations of the Rust references (the host builds of the kernels
/// use `-ffp-contract=off` for the same reason), and the same C++ level. nvcc contracts by
/// default (`--fmad=true`), as NVRTC does.
pub const KERNEL_COMPILE_OPTIONS: &[&str] = &["--fmad=false", "-std=c++17"];

/// The fat binary's targets: SASS for sm_87 (Orin), sm_90 (Hopper), sm_110 (Thor) and
/// compute_110 PTX for newer GPUs (nvcc 13.0 knows compute_75 to compute_121; sm_110 needs 13.0).
pub const NVCC_ARCHS: &[&str] = &[
    "arch=compute_87,code=sm_87",
    "arch=compute_90,code=sm_90",
    "arch=compute_110,code=[sm_110,compute_110]",
];

/// nvcc's arguments (after the program name) to compile `source` into the fat binary `fatbin`,
/// with `ccbin` as the host compiler when given. `-Xptxas -v` prints the register and spill
/// counts build.rs checks.
pub fn nvcc_args(fatbin: &str, source: &str, ccbin: Option<&str>) -> Vec<String> {
    let mut args = vec!["-fatbin".to_string(), "-Xptxas".into(), "-v".into()];
    args.extend(KERNEL_COMPILE_OPTIONS.iter().map(|o| o.to_string()));
    args.extend(["-o".to_string(), fatbin.to_string()]);
    for arch in NVCC_ARCHS {
        args.extend(["-gencode".to_string(), arch.to_string()]);
    }
    if let Some(ccbin) = ccbin {
        args.extend(["-ccbin".to_string(), ccbin.to_string()]);
    }
    args.push(source.to_string());
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvcc_gets_fmad_false_like_nvrtc() {
        let args = nvcc_args("k.fatbin", "k.cu", Some("g++-12"));
        assert!(args.iter().any(|a| a == "--fmad=false"), "{args:?}");
        assert!(args.iter().any(|a| a == "-std=c++17"), "{args:?}");
        assert_eq!(args.last().map(String::as_str), Some("k.cu"));
        let ccbin = args.iter().position(|a| a == "-ccbin").unwrap();
        assert_eq!(args[ccbin + 1], "g++-12");
        for option in crate::cuda::NVRTC_OPTIONS {
            assert!(
                args.iter().any(|a| a == option),
                "nvcc lacks NVRTC's {option}"
            );
        }
        // The command build.rs really ran, when it found nvcc.
        if let Some(command) = crate::cuda::NVCC_COMMAND {
            assert!(command.split(' ').any(|a| a == "--fmad=false"), "{command}");
        } else {
            eprintln!("skipped: this build found no nvcc (the kernels are embedded as source)");
        }
    }
}
