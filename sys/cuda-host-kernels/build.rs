//! Compiles every `src/cuda/kernels/*.cu` of the root package as C++ with the host emulation header
//! (`src/cuda/host/cuda_host.h`), plus the launchers. No floating-point contraction, so the
//! kernels' arithmetic is the same IEEE sequence as the Rust references'.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    let kernels = root.join("src/cuda/kernels");
    let header = root.join("src/cuda/host/cuda_host.h");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&kernels)
        .expect("src/cuda/kernels")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "cu" || e == "cuh"))
        .collect();
    sources.sort();
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++17")
        .flag("-x")
        .flag("c++")
        .flag("-include")
        .flag(header.to_str().expect("utf-8 path"))
        .flag("-ffp-contract=off")
        .flag("-fno-fast-math")
        .flag("-Wno-unused-parameter")
        .include(&kernels)
        .warnings(true);
    for source in sources
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "cu"))
    {
        build.file(source);
    }
    build.file(manifest.join("src/launchers.cpp"));
    build.compile("smoothscale_cuda_host_kernels");
    for path in sources
        .iter()
        .chain([&header, &manifest.join("src/launchers.cpp")])
    {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    println!("cargo:rerun-if-changed={}", kernels.display());
}
