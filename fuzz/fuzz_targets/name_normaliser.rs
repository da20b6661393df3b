//! Any text as a name: folded (idempotently), keyed, parsed and compared without a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use listlink_names::{analyse, fold, match_key, parse_full_name, variants};

fuzz_target!(|text: &str| {
    let folded = fold(text);
    assert_eq!(fold(&folded), folded);
    let key = match_key(text);
    assert_eq!(match_key(&key), key);
    let _ = parse_full_name(text);
    let v = variants::bundled();
    let a = analyse(&folded, v);
    let b = analyse(&key, v);
    let (x, _) = listlink_names::forms::compare(&a, &b, Some(v), true);
    let (y, _) = listlink_names::forms::compare(&b, &a, Some(v), true);
    assert_eq!(x, y);
});
