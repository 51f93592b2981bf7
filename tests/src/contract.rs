//! The MQTT contract as a test reads it: the JSON Schemas of
//! `docs/asyncapi.yaml`, to validate what real parts publish.

use std::collections::BTreeMap;

use jsonschema::Validator;
use serde_json::{Value, json};

/// The AsyncAPI document as JSON.
pub fn asyncapi() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/asyncapi.yaml");
    let text = std::fs::read_to_string(path).expect("docs/asyncapi.yaml");
    serde_yaml_ng::from_str(&text).expect("docs/asyncapi.yaml is YAML")
}

/// A validator for `#/components/schemas/<name>`: the whole document is the
/// root, so the schemas' internal `$ref`s resolve as in the document.
pub fn validator(doc: &Value, name: &str) -> Validator {
    assert!(
        doc["components"]["schemas"].get(name).is_some(),
        "schema {name} is in docs/asyncapi.yaml"
    );
    let mut root = doc.clone();
    root["$ref"] = json!(format!("#/components/schemas/{name}"));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema {name}: {e}"))
}

/// Validators for `names`, by name.
pub fn validators<'a>(names: &[&'a str]) -> BTreeMap<&'a str, Validator> {
    let doc = asyncapi();
    names.iter().map(|n| (*n, validator(&doc, n))).collect()
}

/// Fails the test, naming every error, unless `payload` matches `schema`.
pub fn check(validators: &BTreeMap<&str, Validator>, schema: &str, what: &str, payload: &Value) {
    let v = &validators[schema];
    let errors: Vec<String> = v
        .iter_errors(payload)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match {schema}: {errors:?}\npayload: {payload}"
    );
}
