//! The OpenAPI 3.1 document of the API (`GET /api/openapi.json`); a test checks it against the
//! routes the server declares and answers.

use serde_json::{Value, json};

fn error_responses(codes: &[&str]) -> serde_json::Map<String, Value> {
    codes
        .iter()
        .map(|c| {
            (
                c.to_string(),
                json!({
                    "description": match *c {
                        "400" => "a query parameter is malformed (the field is named)",
                        "401" => "the server has a token and the request did not carry it",
                        "403" => "a state-changing request without the token or the CSRF token, or a foreign Host",
                        "404" => "no such record, person or decision",
                        "409" => "the decision contradicts decisions in force, or is already undone",
                        "413" => "the body or the batch is over its limit",
                        "415" => "the body is not JSON",
                        "422" => "a field is missing or wrong (the field is named)",
                        _ => "error",
                    },
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }),
            )
        })
        .collect()
}

fn responses(ok: &str, description: &str, schema: Value, errors: &[&str]) -> Value {
    let mut r = error_responses(errors);
    r.insert(
        ok.to_string(),
        json!({"description": description, "content": {"application/json": {"schema": schema}}}),
    );
    Value::Object(r)
}

fn param(name: &str, place: &str, required: bool, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": place, "required": required, "schema": schema, "description": description})
}

/// The document.
pub fn document() -> Value {
    let obj = json!({"type": "object"});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "listlink review desk",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Look people up in a listlink store, review the uncertain pairs and record decisions. With a token file, every request carries `Authorization: Bearer TOKEN`; without one (loopback), requests that change the store carry the CSRF token of GET /api/csrf in `X-CSRF-Token`.",
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "object", "properties": {
                        "field": {"type": "string", "description": "the field, parameter or header at fault"},
                        "message": {"type": "string"},
                    }}},
                },
                "Explanation": {
                    "type": "array",
                    "description": "the weight part by part (prior, each comparison, namesakes and relatives); the parts add up to the weight",
                    "items": {"type": "object", "properties": {
                        "comparison": {"type": "string"},
                        "level": {"type": "string"},
                        "weight": {"type": "number"},
                        "rule": {"type": ["string", "null"], "description": "the name rule that matched, e.g. ICAO: Evgenii ~ Евгений"},
                    }},
                },
                "Candidate": {"type": "object", "properties": {
                    "person_id": {"type": ["string", "null"]},
                    "record": {"type": "object", "additionalProperties": {"type": "string"}},
                    "probability": {"type": "number"},
                    "weight": {"type": "number"},
                    "explanation": {"$ref": "#/components/schemas/Explanation"},
                    "explanation_text": {"type": "string"},
                }},
                "StoredRecord": {"type": "object", "properties": {
                    "key": {"type": "string"}, "source": {"type": "string"}, "id": {"type": "string"},
                    "values": {"type": "object", "additionalProperties": {"type": "string"}},
                    "status": {"type": "string"}, "status_date": {"type": "string"},
                    "first_seen": {"type": "string"}, "last_seen": {"type": "string"},
                    "list_version": {"type": "integer"}, "file_name": {"type": "string"}, "received": {"type": "string"},
                }},
                "Decision": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "left": {"type": "string"}, "right": {"type": "string"},
                    "decision": {"enum": ["match", "not_match", "unsure", "undo"]},
                    "by": {"type": "string"}, "at": {"type": "string"}, "note": {"type": "string"},
                    "model_version": {"type": ["integer", "null"]}, "probability": {"type": ["number", "null"]},
                    "undoes": {"type": ["integer", "null"]}, "undone": {"type": "boolean"},
                }},
            },
        },
        "security": [{"bearer": []}, {"csrf": []}, {}],
        "paths": {
            "/api/healthz": {"get": {
                "summary": "the server is up; records held and the model's version",
                "responses": responses("200", "up", obj.clone(), &["401", "403"]),
            }},
            "/api/csrf": {"get": {
                "summary": "the CSRF token for state-changing requests without a Bearer token (readable by same-origin pages only)",
                "responses": responses("200", "the token", obj.clone(), &["401", "403"]),
            }},
            "/api/openapi.json": {"get": {
                "summary": "this document",
                "responses": responses("200", "OpenAPI 3.1", obj.clone(), &["401", "403"]),
            }},
            "/api/match": {"post": {
                "summary": "look records up against the store with its model, as `find --store` does",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["records"],
                    "properties": {
                        "records": {"type": "array", "maxItems": crate::MAX_BATCH, "items": {
                            "type": "object", "description": "columns named as in the list files (full_name, given_name, family_name, date_of_birth, age, sex…)",
                            "additionalProperties": {"type": ["string", "number", "null"]},
                        }},
                        "top": {"type": "integer", "minimum": 1, "maximum": 50, "default": 3},
                    },
                }}}},
                "responses": responses("200", "one result per record, in order", json!({
                    "type": "object", "properties": {"results": {"type": "array", "items": {"type": "object", "properties": {
                        "status": {"enum": ["found", "possible", "not_found"]},
                        "query": {"type": "object"},
                        "candidates": {"type": "array", "items": {"$ref": "#/components/schemas/Candidate"}},
                    }}}},
                }), &["401", "403", "413", "415", "422"]),
            }},
            "/api/persons/{person_id}": {"get": {
                "summary": "a person: records with provenance, history, decisions, merged and split ids",
                "parameters": [param("person_id", "path", true, json!({"type": "string"}), "e.g. P-000012")],
                "responses": responses("200", "the person", obj.clone(), &["401", "403", "404"]),
            }},
            "/api/review": {"get": {
                "summary": "pairs waiting for a decision, most consequential first",
                "parameters": [param("limit", "query", false, json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 20}), "pairs at most")],
                "responses": responses("200", "the queue", json!({"type": "object", "properties": {"pairs": {"type": "array", "items": {"type": "object", "properties": {
                    "left": {"$ref": "#/components/schemas/StoredRecord"},
                    "right": {"$ref": "#/components/schemas/StoredRecord"},
                    "left_person": {"type": "string"}, "right_person": {"type": "string"},
                    "probability": {"type": "number"}, "records_touched": {"type": "integer"},
                    "has_status": {"type": "boolean"}, "unsure": {"type": "boolean"},
                }}}}}), &["400", "401", "403"]),
            }},
            "/api/pair": {"get": {
                "summary": "two stored records as the model compares them: probability, weight and its parts, each record as read (name parts with their Latin renderings, dates, ages) and the blocking rule that paired them",
                "parameters": [
                    param("left", "query", true, json!({"type": "string"}), "SOURCE:ID"),
                    param("right", "query", true, json!({"type": "string"}), "SOURCE:ID"),
                ],
                "responses": responses("200", "the comparison", obj.clone(), &["400", "401", "403", "404", "422"]),
            }},
            "/api/roster": {"get": {
                "summary": "the roster, one row per person (the columns of roster.csv)",
                "parameters": [
                    param("status", "query", false, json!({"type": "string"}), "only persons with this latest status"),
                    param("source", "query", false, json!({"type": "string"}), "only persons with a record from this source"),
                ],
                "responses": responses("200", "columns and rows", obj.clone(), &["400", "401", "403"]),
            }},
            "/api/model": {"get": {
                "summary": "the store's model (m and u per level) and thresholds",
                "responses": responses("200", "the model", obj.clone(), &["401", "403"]),
            }},
            "/api/decisions": {
                "post": {
                    "summary": "record a decision (as `listlink decide`); answered 201 once committed to disk",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["left", "right", "decision"],
                        "properties": {
                            "left": {"type": "string", "description": "SOURCE:ID"},
                            "right": {"type": "string", "description": "SOURCE:ID"},
                            "decision": {"enum": ["match", "not_match", "unsure"]},
                            "note": {"type": "string"},
                            "by": {"type": "string", "description": "who decided (default: desk)"},
                        },
                    }}}},
                    "responses": responses("201", "recorded", json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}, "persons": {"type": "array", "items": {"type": "string"}}}}), &["401", "403", "404", "409", "413", "415", "422"]),
                },
                "get": {
                    "summary": "the decision log after a decision id, or from a date",
                    "parameters": [param("since", "query", false, json!({"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}), "a decision id (the decisions after it), or a date YYYY-MM-DD or UTC time YYYY-MM-DDTHH:MM:SSZ (the decisions from then)")],
                    "responses": responses("200", "decisions, oldest first", json!({"type": "object", "properties": {"decisions": {"type": "array", "items": {"$ref": "#/components/schemas/Decision"}}, "last_id": {"type": "integer"}}}), &["400", "401", "403"]),
                },
            },
            "/api/decisions/{id}": {"delete": {
                "summary": "undo a decision: an undo is appended (the log keeps both) and the pair's earlier decision is in force again",
                "parameters": [
                    param("id", "path", true, json!({"type": "integer"}), "the decision to undo"),
                    param("by", "query", false, json!({"type": "string"}), "who undid it"),
                    param("note", "query", false, json!({"type": "string"}), "why"),
                ],
                "responses": responses("200", "the undo's id", json!({"type": "object", "properties": {"id": {"type": "integer"}, "undone": {"type": "integer"}}}), &["400", "401", "403", "404", "409", "422"]),
            }},
            "/api/lists": {"post": {
                "summary": "add a list as `listlink add` does; with `Accept: application/x-ndjson` the answer streams a `{\"stage\": …}` line as each stage starts, then `{\"result\": …}` or `{\"error\": …}`",
                "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "contentMediaType": "application/octet-stream"},
                        "source": {"type": "string"},
                        "received": {"type": "string", "format": "date"},
                    },
                }}}},
                "responses": responses("200", "what the add did", obj, &["400", "401", "403", "413", "422"]),
            }},
        },
    })
}
