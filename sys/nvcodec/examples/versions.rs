//! Prints the NVENC API version of the headers this crate was built against and the struct
//! versions the build computed from them, on one line (used by `scripts/check-nvcodec-headers`):
//! `12.1 NV_ENC_CONFIG_VER=0x… NV_ENC_INITIALIZE_PARAMS_VER=0x… …`.

use smoothscale_nvcodec_sys::version::*;

fn main() {
    let (major, minor) = HEADER_API_VERSION;
    let values = [
        ("NV_ENC_CONFIG_VER", NV_ENC_CONFIG_VER),
        ("NV_ENC_INITIALIZE_PARAMS_VER", NV_ENC_INITIALIZE_PARAMS_VER),
        ("NV_ENC_PIC_PARAMS_VER", NV_ENC_PIC_PARAMS_VER),
        ("NV_ENC_LOCK_BITSTREAM_VER", NV_ENC_LOCK_BITSTREAM_VER),
    ];
    let mut line = format!("{major}.{minor}");
    for (name, value) in values {
        line.push_str(&format!(" {name}={value:#x}"));
    }
    println!("{line}");
}
