//! Turns the FFmpeg version flags that ffmpeg-sys-next publishes (`DEP_FFMPEG_FFMPEG_7_0=true`, …)
//! into `cfg`s, so the side-data code can follow the API of the FFmpeg found at build time.

fn main() {
    for (name, value) in std::env::vars() {
        let Some(flag) = name.strip_prefix("DEP_FFMPEG_") else {
            continue;
        };
        let flag = flag.to_lowercase();
        if flag.starts_with("ffmpeg_") {
            println!("cargo:rustc-check-cfg=cfg({flag})");
            if value == "true" {
                println!("cargo:rustc-cfg={flag}");
            }
        }
    }
    println!("cargo:rustc-check-cfg=cfg(ffmpeg_7_0)");
}
