//! Any text as a settings file: parsed and validated, or an error that names the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use listlink_core::Settings;

fuzz_target!(|text: &str| {
    match Settings::from_toml(text, "fuzz.toml") {
        Ok(s) => {
            let again = Settings::from_toml(&s.to_toml(), "again.toml").expect("written settings read back");
            assert_eq!(again, s);
        }
        Err(e) => assert!(e.to_string().contains("fuzz.toml")),
    }
});
