//! Any text as a model file: loaded or refused without a panic, and a model that loads has only
//! probabilities in range (its weights are finite).
#![no_main]
use libfuzzer_sys::fuzz_target;
use listlink_core::Model;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(model) = Model::from_json(text, Path::new("fuzz.json")) {
        assert!(model.problems().is_empty());
        assert!(model.prior > 0.0 && model.prior < 1.0);
        for c in &model.comparisons {
            for l in c.levels.iter().skip(1) {
                assert!(l.u > 0.0 && l.u <= 1.0 && (0.0..=1.0).contains(&l.m));
            }
        }
    }
});
