//! Any text as a date of birth: parsed or refused, never a panic; the readings of an ambiguous
//! date swap day and month and nothing else.
#![no_main]
use libfuzzer_sys::fuzz_target;
use listlink_core::prepare::{parse_age, parse_date};

fuzz_target!(|text: &str| {
    if let Some(d) = parse_date(text) {
        let _ = d.is_valid();
        let _ = d.digits();
        for r in d.readings() {
            assert_eq!(r.year, d.year);
            if r.is_valid() {
                let _ = r.day_number();
            }
        }
    }
    let _ = parse_age(text);
});
