#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    smoothscale_fuzz::checkpoint(data);
});
