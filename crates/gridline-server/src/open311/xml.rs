//! GeoReport v2's XML: the same documents as the JSON, with each array as an element whose
//! children carry the singular name the specification gives them (`<services><service>`).

use serde_json::Value;

/// The element name of one item of the array called `plural`.
fn item_name(plural: &str) -> &'static str {
    match plural {
        "services" => "service",
        "attributes" => "attribute",
        "values" => "value",
        "service_requests" => "request",
        "service_request_updates" => "request_update",
        "errors" => "error",
        "endpoints" => "endpoint",
        "formats" => "format",
        "events" => "event",
        _ => "item",
    }
}

/// The document `root` holding `value`; a top-level array becomes `<root><item/>…</root>`.
pub fn document(root: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    element(&mut out, root, value);
    out
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Value::Array(items) => {
            open(out, name);
            for item in items {
                element(out, item_name(name), item);
            }
            close(out, name);
        }
        Value::Object(fields) => {
            open(out, name);
            for (key, field) in fields {
                element(out, key, field);
            }
            close(out, name);
        }
        Value::String(text) => {
            open(out, name);
            escape_into(out, text);
            close(out, name);
        }
        Value::Bool(b) => {
            open(out, name);
            out.push_str(if *b { "true" } else { "false" });
            close(out, name);
        }
        Value::Number(n) => {
            open(out, name);
            out.push_str(&n.to_string());
            close(out, name);
        }
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Escapes markup and drops the control characters XML 1.0 cannot carry at all.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arrays_take_the_singular_names_of_the_specification() {
        let services = json!([{"service_code": "0101", "metadata": false, "group": null}]);
        let doc = document("services", &services);
        assert!(doc.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service>"), "{doc}");
        assert!(doc.ends_with("</service></services>"), "{doc}");
        for part in ["<service_code>0101</service_code>", "<metadata>false</metadata>", "<group/>"] {
            assert!(doc.contains(part), "{part} in {doc}");
        }
        let definition = json!({"attributes": [{"values": [{"key": "a", "name": "甲"}]}]});
        assert!(document("service_definition", &definition)
            .contains("<attributes><attribute><values><value><key>a</key><name>甲</name></value></values></attribute></attributes>"));
    }

    #[test]
    fn hostile_text_cannot_break_out_of_its_element() {
        let doc = document("x", &json!({"description": "</description><evil a='1'>&\u{1}"}));
        assert_eq!(
            doc,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><x><description>&lt;/description&gt;&lt;evil a=&apos;1&apos;&gt;&amp;</description></x>"
        );
    }
}
