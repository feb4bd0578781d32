//! The answers a reporter gives to a service's attributes (`attribute[code]=…` and, for a
//! multivaluelist, `attribute[code][]=…` repeated), checked against the catalogue entry.

use std::collections::BTreeMap;

use gridline_core::catalogue::{AttributeDatatype, CatalogueEntry, ServiceAttribute};

const MAX_STRING_CHARS: usize = 200;
const MAX_TEXT_CHARS: usize = 2000;

/// Collects the `attribute[…]` fields of a form: code → values in the order given. A code sent
/// both as a single value and as a list is refused, as is an empty code.
pub fn collect(pairs: &[(String, String)]) -> Result<BTreeMap<String, (bool, Vec<String>)>, String> {
    let mut answers: BTreeMap<String, (bool, Vec<String>)> = BTreeMap::new();
    for (name, value) in pairs {
        let Some(rest) = name.strip_prefix("attribute[") else { continue };
        let (code, many) = match rest.strip_suffix("][]") {
            Some(code) => (code, true),
            None => (rest.strip_suffix(']').ok_or_else(|| format!("malformed attribute field {name:?}"))?, false),
        };
        if code.is_empty() || code.contains(['[', ']']) {
            return Err(format!("malformed attribute field {name:?}"));
        }
        let entry = answers.entry(code.to_owned()).or_insert((many, Vec::new()));
        if entry.0 != many || (!many && !entry.1.is_empty()) {
            return Err(format!("attribute[{code}] is given more than once"));
        }
        entry.1.push(value.clone());
    }
    Ok(answers)
}

/// Checks the answers against the entry's attributes and renders them as lines for the case's
/// description (`description: value`), in the attributes' order.
pub fn check(entry: &CatalogueEntry, answers: &BTreeMap<String, (bool, Vec<String>)>) -> Result<Vec<String>, String> {
    if let Some(unknown) = answers.keys().find(|code| !entry.attributes.iter().any(|a| &a.code == *code)) {
        return Err(format!("service {} has no attribute {unknown:?}", entry.code));
    }
    let mut attributes: Vec<&ServiceAttribute> = entry.attributes.iter().collect();
    attributes.sort_by_key(|a| a.order);
    let mut lines = Vec::new();
    for attribute in attributes {
        let values: Vec<&str> = answers
            .get(&attribute.code)
            .map(|(_, v)| v.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        if values.is_empty() {
            if attribute.required {
                return Err(format!("attribute[{}] ({}) is required", attribute.code, attribute.description));
            }
            continue;
        }
        let code = &attribute.code;
        let one = || -> Result<&str, String> {
            match values.as_slice() {
                [one] => Ok(one),
                _ => Err(format!("attribute[{code}] takes one value")),
            }
        };
        let label = |key: &str| attribute.values.iter().find(|v| v.key == key).map(|v| v.name.clone());
        let shown = match attribute.datatype {
            AttributeDatatype::String | AttributeDatatype::Text => {
                let text = one()?;
                let max = if attribute.datatype == AttributeDatatype::String { MAX_STRING_CHARS } else { MAX_TEXT_CHARS };
                if text.chars().count() > max {
                    return Err(format!("attribute[{code}] is longer than {max} characters"));
                }
                text.to_owned()
            }
            AttributeDatatype::Number => {
                let text = one()?;
                text.parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| format!("attribute[{code}] is a number, not {text:?}"))?;
                text.to_owned()
            }
            AttributeDatatype::Datetime => {
                let text = one()?;
                text.parse::<jiff::Timestamp>()
                    .map_err(|_| format!("attribute[{code}] is a date and time like 2026-11-22T09:30:00+08:00, not {text:?}"))?;
                text.to_owned()
            }
            AttributeDatatype::Singlevaluelist => {
                let key = one()?;
                label(key).ok_or_else(|| format!("attribute[{code}] has no value {key:?}"))?
            }
            AttributeDatatype::Multivaluelist => values
                .iter()
                .map(|key| label(key).ok_or_else(|| format!("attribute[{code}] has no value {key:?}")))
                .collect::<Result<Vec<_>, _>>()?
                .join("、"),
        };
        lines.push(format!("{}: {shown}", attribute.description));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built from a catalogue file, as the real catalogue is, so that new entry fields need no change here.
    fn entry() -> CatalogueEntry {
        let catalogue = gridline_core::catalogue::Catalogue::from_toml(
            r#"
            [[entry]]
            code = "0101"
            name = "暴露垃圾"
            unit_type = "district_city_management"
            time_limit = { amount = 1, unit = "working_days" }
            [[entry.attributes]]
            code = "size"
            datatype = "singlevaluelist"
            required = true
            description = "问题size"
            order = 1
            values = [{ key = "s", name = "小" }, { key = "l", name = "大" }]
            [[entry.attributes]]
            code = "kinds"
            datatype = "multivaluelist"
            description = "问题kinds"
            order = 2
            values = [{ key = "a", name = "生活垃圾" }, { key = "b", name = "建筑垃圾" }]
            [[entry.attributes]]
            code = "bags"
            datatype = "number"
            description = "问题bags"
            order = 3
            [[entry.attributes]]
            code = "seen"
            datatype = "datetime"
            description = "问题seen"
            order = 4
            "#,
        )
        .expect("a valid catalogue");
        catalogue.get("0101").expect("the entry").clone()
    }

    fn form(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    #[test]
    fn good_answers_become_labelled_lines_in_order() {
        let answers = collect(&form(&[
            ("attribute[kinds][]", "b"),
            ("attribute[size]", "l"),
            ("attribute[kinds][]", "a"),
            ("attribute[bags]", "3"),
            ("description", "ignored here"),
        ]))
        .unwrap();
        assert_eq!(check(&entry(), &answers).unwrap(), ["问题size: 大", "问题kinds: 建筑垃圾、生活垃圾", "问题bags: 3"]);
    }

    #[test]
    fn bad_answers_are_named() {
        let fail = |fields: &[(&str, &str)]| {
            collect(&form(fields)).and_then(|answers| check(&entry(), &answers)).expect_err("refused")
        };
        assert!(fail(&[]).contains("attribute[size]"), "required");
        assert!(fail(&[("attribute[size]", "xl")]).contains("no value \"xl\""));
        assert!(fail(&[("attribute[size]", "s"), ("attribute[bags]", "many")]).contains("is a number"));
        assert!(fail(&[("attribute[size]", "s"), ("attribute[seen]", "yesterday")]).contains("date and time"));
        assert!(fail(&[("attribute[size]", "s"), ("attribute[colour]", "red")]).contains("no attribute \"colour\""));
        assert!(fail(&[("attribute[size]", "s"), ("attribute[size]", "l")]).contains("more than once"));
        assert!(fail(&[("attribute[size]", "s"), ("attribute[kinds][]", "a"), ("attribute[kinds]", "b")]).contains("more than once"));
        assert!(fail(&[("attribute[]", "s")]).contains("malformed"));
        assert!(fail(&[("attribute[size", "s")]).contains("malformed"));
    }
}
