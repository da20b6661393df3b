use super::*;

fn headers(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|s| s.to_string()).collect()
}

#[test]
fn infers_febrl_columns() {
    let h = headers(&[
        "rec_id",
        "given_name",
        "surname",
        "street_number",
        "address_1",
        "address_2",
        "suburb",
        "postcode",
        "state",
        "date_of_birth",
        "soc_sec_id",
        "truth",
    ]);
    let (s, report) = infer(&[&h]).unwrap();
    assert_eq!(s.id_columns, vec!["rec_id"]);
    let names: Vec<&str> = s.fields.iter().map(|f| f.name.as_str()).collect();
    assert!(
        names.contains(&"given_name")
            && names.contains(&"family_name")
            && names.contains(&"national_id")
    );
    assert!(!names.contains(&"truth"));
    assert!(
        report
            .iter()
            .any(|r| r.column == "truth" && r.role.starts_with("ignored"))
    );
    assert!(
        s.comparisons
            .iter()
            .any(|c| c.name == "date_of_birth" && c.method == Method::Date)
    );
    // round trip through TOML
    let again = Settings::from_toml(&s.to_toml(), "x.toml").unwrap();
    assert_eq!(again, s);
}

#[test]
fn different_headers_share_a_field() {
    let a = headers(&["id", "first_name", "last_name"]);
    let b = headers(&["id", "given_name", "surname"]);
    let (s, _) = infer(&[&a, &b]).unwrap();
    let given = s.field("given_name").unwrap().1;
    assert_eq!(given.columns, vec!["first_name", "given_name"]);
}

#[test]
fn no_known_column_is_an_error_naming_the_columns() {
    let a = headers(&["foo", "bar"]);
    let err = infer(&[&a]).unwrap_err().to_string();
    assert!(err.contains("foo, bar"), "{err}");
}

#[test]
fn validation_reports_every_problem_with_its_key() {
    let h = headers(&["id", "given_name", "surname"]);
    let (mut s, _) = infer(&[&h]).unwrap();
    s.comparisons[0].field = "nope".into();
    s.comparisons[1].part = None;
    s.thresholds.match_probability = 1.5;
    let err = s.validate("my.toml").unwrap_err();
    let Error::Settings { path, problems } = &err else {
        panic!("{err}")
    };
    assert_eq!(path, "my.toml");
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "comparisons[0].field",
            "comparisons[1].part",
            "thresholds.match_probability"
        ]
    );
    assert!(
        err.to_string()
            .contains("no field named `nope`; fields are: given_name, family_name")
    );
}

#[test]
fn unknown_key_is_named() {
    let err = Settings::from_toml(
        "version = 1\nfields = []\ncomparisons = []\nbogus = 3\n[blocking]\nrules=[]\n",
        "s.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("s.toml") && err.contains("bogus"), "{err}");
}
