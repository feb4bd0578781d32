//! Text as it arrives, checked the same way for every engine: a NUL character (which PostgreSQL
//! cannot store in text and SQLite can) or bytes that are not UTF-8 are refused at the edge with
//! 422 naming the field, in JSON bodies, query strings and form bodies alike.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// A field whose text cannot be taken: its name (a query parameter's, a form field's, or a JSON
/// body's path such as `reporter.name` or `photos[0]`) and why.
#[derive(Debug, PartialEq)]
pub struct InvalidText {
    pub field: String,
    pub message: String,
}

impl InvalidText {
    fn nul(field: String) -> Self {
        let message = format!("{field} holds a NUL character (U+0000), which text may not contain");
        InvalidText { field, message }
    }
}

impl From<InvalidText> for ApiError {
    fn from(invalid: InvalidText) -> Self {
        ApiError::Invalid { field: Some(invalid.field), message: invalid.message }
    }
}

/// The path of the first string (or object key) of `value` holding a NUL, if any.
fn nul_in(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::String(text) => text.contains('\0').then(|| path.to_owned()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| nul_in(item, &format!("{path}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            if key.contains('\0') { Some(path) } else { nul_in(item, &path) }
        }),
        _ => None,
    }
}

/// Checks a JSON body's text. A NUL can only reach a JSON string as the escape `\u0000`, so a
/// body without that escape (nearly every one) is not parsed twice.
fn check_json_text(body: &[u8]) -> Result<(), ApiError> {
    if !body.windows(6).any(|w| w == b"\\u0000") {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Ok(()); // malformed: the typed parse says where
    };
    match nul_in(&value, "") {
        Some(field) if field.is_empty() => Err(InvalidText::nul("body".into()).into()),
        Some(field) => Err(InvalidText::nul(field).into()),
        None => Ok(()),
    }
}

/// Whether the request says its body is JSON (`application/json` or `application/…+json`).
fn json_content_type(req: &Request) -> bool {
    let Some(content_type) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// `Json` whose rejections answer in the API's error format, and whose text is checked first.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(&req) {
            return Err(ApiError::UnsupportedMediaType("send the body as JSON with Content-Type: application/json".into()));
        }
        let limit = crate::BODY_LIMIT_BYTES;
        let body = axum::body::Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!("the request body is larger than {} KiB", limit / 1024))
            } else {
                ApiError::BadRequest(rejection.body_text())
            }
        })?;
        Ok(ApiJson(json_from_bytes(&body)?))
    }
}

/// A JSON body's value, checked as [`ApiJson`] checks it (also a JSON part of a multipart body).
pub(crate) fn json_from_bytes<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    check_json_text(body)?;
    // Parsed plainly first: axum's parse tracks the path of every field it enters, which only a
    // refusal needs (in the intake benchmark that parse was 3.7 % of the request threads'
    // samples). A body that fails is parsed again by axum, whose rejection names the field.
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let axum::Json(value) = axum::Json::<T>::from_bytes(body)?;
    Ok(value)
}

/// Decodes `application/x-www-form-urlencoded` text (a query string or a form body) strictly:
/// a name or value whose bytes are not UTF-8, or that holds a NUL, is refused rather than
/// patched with U+FFFD.
pub fn strict_pairs(input: &[u8]) -> Result<Vec<(String, String)>, InvalidText> {
    let mut pairs = Vec::new();
    for part in input.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match part.iter().position(|&b| b == b'=') {
            Some(at) => (&part[..at], &part[at + 1..]),
            None => (part, &b""[..]),
        };
        let name = decode(name).map_err(|_| InvalidText {
            field: String::from_utf8_lossy(&percent_decode(name)).into_owned(),
            message: "a parameter's name is not UTF-8 text".into(),
        })?;
        let value = decode(value)
            .map_err(|_| InvalidText { field: name.clone(), message: format!("{name} is not UTF-8 text") })?;
        if name.contains('\0') || value.contains('\0') {
            return Err(InvalidText::nul(name));
        }
        pairs.push((name, value));
    }
    Ok(pairs)
}

fn percent_decode(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < input.len() => match (hex(input[i + 1]), hex(input[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    out
}

fn decode(input: &[u8]) -> Result<String, std::string::FromUtf8Error> {
    String::from_utf8(percent_decode(input))
}

/// The refusal of an `/api/v1` request whose query string holds a NUL or bytes that are not
/// UTF-8 (422 naming the parameter), before any handler reads it; checked by the edge's one layer.
pub(crate) fn refused_api_query(uri: &axum::http::Uri) -> Option<ApiError> {
    if !uri.path().starts_with("/api/v1/") {
        return None;
    }
    strict_pairs(uri.query()?.as_bytes()).err().map(ApiError::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_nul_is_found_with_the_path_of_its_field() {
        assert_eq!(nul_in(&json!({"description": "a\u{0}b"}), ""), Some("description".into()));
        assert_eq!(nul_in(&json!({"reporter": {"name": "x\u{0}"}}), ""), Some("reporter.name".into()));
        assert_eq!(nul_in(&json!({"photos": ["ok", "\u{0}"]}), ""), Some("photos[1]".into()));
        assert_eq!(nul_in(&json!({"a\u{0}": 1}), ""), Some("a\u{0}".into()));
        assert_eq!(nul_in(&json!({"description": "望京 \\u0000 literal"}), ""), None);
        assert!(check_json_text(br#"{"description": "a\u0000b"}"#).is_err());
        assert!(check_json_text(br#"{"description": "a\\u0000b"}"#).is_ok(), "an escaped backslash is text");
    }

    #[test]
    fn form_text_is_decoded_strictly() {
        assert_eq!(
            strict_pairs(b"q=%E6%9C%9B%E4%BA%AC&page=2&x+y=a+b&flag").unwrap(),
            vec![("q".into(), "望京".into()), ("page".into(), "2".into()), ("x y".into(), "a b".into()), ("flag".into(), String::new())]
        );
        assert_eq!(strict_pairs(b"pct=100%&bad=%zz").unwrap(), vec![("pct".into(), "100%".into()), ("bad".into(), "%zz".into())]);
        assert_eq!(strict_pairs(b"q=%00").unwrap_err().field, "q");
        assert_eq!(strict_pairs(b"description=a%00b").unwrap_err(), InvalidText::nul("description".into()));
        assert_eq!(strict_pairs(b"description=%FF%FE").unwrap_err().field, "description");
        assert_eq!(strict_pairs(b"%C3%28=1").unwrap_err().message, "a parameter's name is not UTF-8 text");
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Body {
        reporter: Reporter,
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Reporter {
        phone: String,
    }

    #[test]
    fn a_body_that_parses_is_taken_and_one_that_does_not_is_refused_naming_its_field() {
        let body: Body = json_from_bytes(br#"{"reporter": {"phone": "13800000001"}}"#).expect("parsed");
        assert_eq!(body, Body { reporter: Reporter { phone: "13800000001".into() } });
        // The plain parse fails on these; the refusal still comes from the parse that tracks paths.
        match json_from_bytes::<Body>(br#"{"reporter": {"phone": 138}}"#) {
            Err(ApiError::Invalid { message, .. }) => assert!(message.contains("reporter.phone"), "{message}"),
            other => panic!("a wrong type: {other:?}"),
        }
        match json_from_bytes::<Body>(br#"{"reporter": {"phone": "1", "fax": "2"}}"#) {
            Err(ApiError::Invalid { message, .. }) => assert!(message.contains("reporter") && message.contains("fax"), "{message}"),
            other => panic!("an unknown field: {other:?}"),
        }
        assert!(matches!(json_from_bytes::<Body>(br#"{"reporter": "#), Err(ApiError::MalformedJson(_))));
        assert!(matches!(json_from_bytes::<Body>(b""), Err(ApiError::MalformedJson(_))));
    }
}
