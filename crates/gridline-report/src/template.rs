//! Templates: what a kind prints, block by block, with `{field.path}` placeholders filled from the
//! snapshot. A template is data (serde), so an office can adapt one; a placeholder naming a field
//! the snapshot does not have is refused before anything is rendered or issued.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ReportError;
use crate::content::{Kind, Snapshot};

/// How a line of text is set (GB/T 9704-2012 §7: title 2号小标宋, body 3号仿宋; headings 3号黑体;
/// the imprint 4号仿宋).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// The red masthead (版头) of a 简报 or 通报.
    Masthead,
    /// 2号小标宋, 22 pt.
    Title,
    /// 3号黑体, 16 pt.
    Heading,
    /// 3号仿宋, 16 pt.
    #[default]
    Body,
    /// 4号仿宋, 14 pt: the imprint, tables.
    Small,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub header: String,
    pub field: String,
}

/// One block of a template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "block", rename_all = "snake_case")]
pub enum Block {
    /// One line (wrapped if long).
    Line {
        text: String,
        #[serde(default)]
        style: Style,
        #[serde(default)]
        align: Align,
        #[serde(default)]
        red: bool,
    },
    /// Two texts on one line, one at each margin (issuing office left, date right).
    Split { left: String, right: String },
    /// A horizontal rule across the type area; red under a masthead (版头中的分隔线).
    Rule {
        #[serde(default)]
        red: bool,
    },
    /// Body paragraphs, separated by blank lines in the text, each indented by two characters.
    Paragraphs { text: String },
    /// A table over the array at `rows`.
    Table { rows: String, columns: Vec<Column> },
    /// A bar chart over the array at `rows`, drawn by the renderer.
    Bars { rows: String, label: String, value: String, caption: String },
    /// The blocks repeated for each item of the array at `items`; inside, placeholders name the
    /// item's fields first, then the snapshot's.
    Each { items: String, blocks: Vec<Block> },
    /// The blocks only when the value at `field` is neither null, empty nor false.
    When { field: String, blocks: Vec<Block> },
    /// Blank space of `lines` body lines.
    Space { lines: u8 },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    pub blocks: Vec<Block>,
}

/// What the renderers lay out: the template's blocks with every placeholder filled.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Piece {
    Text { text: String, style: Style, align: Align, red: bool },
    Split { left: String, right: String },
    Rule { red: bool },
    Paragraph(String),
    Table { headers: Vec<String>, rows: Vec<Vec<String>> },
    Bars { caption: String, bars: Vec<(String, f64)> },
    Space(u8),
}

fn line(text: &str, style: Style, align: Align) -> Block {
    Block::Line { text: text.into(), style, align, red: false }
}

fn each(items: &str, blocks: Vec<Block>) -> Block {
    Block::Each { items: items.into(), blocks }
}

impl Template {
    /// The built-in template of a kind.
    pub fn builtin(kind: Kind) -> Template {
        use Align::*;
        use Style::*;
        let correction = Block::When {
            field: "corrects".into(),
            blocks: vec![line("（本期更正{corrects.cited_as}《{corrects.title}》）", Body, Center)],
        };
        let blocks = match kind {
            Kind::Bulletin => vec![
                Block::Line { text: "{masthead}".into(), style: Masthead, align: Center, red: true },
                line("第 {numbering.number} 期", Body, Center),
                line("（总第 {numbering.total} 期）", Body, Center),
                Block::Split { left: "{issuer}".into(), right: "{dated}".into() },
                Block::Rule { red: true },
                correction,
                each(
                    "articles",
                    vec![
                        line("【{section}】", Heading, Left),
                        line("{title}", Title, Center),
                        Block::Paragraphs { text: "{body}".into() },
                        line("（{office}）", Body, Right),
                    ],
                ),
                Block::Space { lines: 1 },
                Block::Rule { red: false },
                line("责编：{imprint.editor}　　核稿：{imprint.reviewer}", Small, Left),
                line("电话：{imprint.phone}　　传真：{imprint.fax}　　邮箱：{imprint.email}", Small, Left),
                Block::Rule { red: false },
                line("报：{imprint.report_to}", Small, Left),
                line("送：{imprint.copy_to}", Small, Left),
                line("发：{imprint.issue_to}", Small, Left),
                Block::Rule { red: false },
            ],
            Kind::Notice => vec![
                Block::Line { text: "{issuer}文件".into(), style: Masthead, align: Center, red: true },
                line("首都文明办〔{numbering.year}〕{numbering.number}号", Body, Center),
                Block::Rule { red: true },
                correction,
                line("关于{period}{level}三率排名情况的通报", Title, Center),
                Block::Space { lines: 1 },
                Block::Paragraphs {
                    text: "{period}，{level}共 {ranked} 个参加排名，{unranked} 个因派单量不足未参加排名，平均得分 {average_score}。按响应率、解决率、满意率加权计分，排名情况如下。".into(),
                },
                line("一、排名情况", Heading, Left),
                Block::Table {
                    rows: "rows".into(),
                    columns: vec![
                        Column { header: "名次".into(), field: "rank".into() },
                        Column { header: "名称".into(), field: "name".into() },
                        Column { header: "得分".into(), field: "score".into() },
                        Column { header: "响应率".into(), field: "response_rate".into() },
                        Column { header: "解决率".into(), field: "resolution_rate".into() },
                        Column { header: "满意率".into(), field: "satisfaction_rate".into() },
                        Column { header: "较上月".into(), field: "movement".into() },
                    ],
                },
                Block::Bars { rows: "rows".into(), label: "name".into(), value: "score_value".into(), caption: "图 1　{period}得分".into() },
                line("二、约谈名单", Heading, Left),
                each("interview", vec![Block::Paragraphs { text: "{name}（第 {rank} 名，得分 {score}，较上月 {movement}）".into() }]),
                line("三、点评", Heading, Left),
                Block::Paragraphs { text: "{comment}".into() },
                Block::Space { lines: 1 },
                line("{issuer}", Body, Right),
                line("{dated}", Body, Right),
            ],
            Kind::SupervisionOrder => vec![
                line("督　办　单", Title, Center),
                line("督办〔{numbering.year}〕{numbering.number}号", Body, Center),
                Block::Rule { red: true },
                correction,
                line("{unit}：", Body, Left),
                Block::Paragraphs {
                    text: "你单位承办的第 {case_id} 号案件“{case_title}”（{category}，{received_at}受理，地点：{address}）已列为{level}，请于{deadline}前办结并书面反馈办理结果。".into(),
                },
                line("案件情况", Heading, Left),
                Block::Paragraphs { text: "{case_description}".into() },
                line("督办意见", Heading, Left),
                Block::Paragraphs { text: "{note}".into() },
                Block::Space { lines: 2 },
                line("{issuer}", Body, Right),
                line("{dated}", Body, Right),
            ],
        };
        Template { name: format!("builtin:{}", kind.as_str()), blocks }
    }

    /// Fills every placeholder from the snapshot; a placeholder naming a field the snapshot does
    /// not have is an error.
    pub(crate) fn resolve(&self, snapshot: &Snapshot) -> Result<Vec<Piece>, ReportError> {
        let root = serde_json::to_value(snapshot).expect("a snapshot is plain data");
        let mut out = Vec::new();
        // The kind's data (under `data`) is named directly: `{masthead}`, not `{data.masthead}`.
        resolve_blocks(&self.name, &self.blocks, &[&root, &root["data"]], &mut out)?;
        Ok(out)
    }
}

/// The value at a dotted path, looked up in the innermost scope first.
fn lookup<'v>(template: &str, path: &str, scopes: &[&'v Value]) -> Result<&'v Value, ReportError> {
    for scope in scopes.iter().rev() {
        let mut at = Some(*scope);
        for key in path.split('.') {
            at = at.and_then(|v| v.as_object()).and_then(|o| o.get(key));
        }
        if let Some(v) = at {
            return Ok(v);
        }
    }
    Err(ReportError::UnknownField { template: template.to_owned(), field: path.to_owned() })
}

fn display(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => {
                let f = n.as_f64().unwrap_or_default();
                let s = format!("{f:.2}");
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            }
        },
        Value::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}

/// `text` with each `{path}` replaced by the value it names.
fn fill(template: &str, text: &str, scopes: &[&Value]) -> Result<String, ReportError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| ReportError::invalid("template", format!("{template}: unclosed placeholder in {text:?}")))?;
        out.push_str(&display(lookup(template, after[..close].trim(), scopes)?));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn array<'v>(template: &str, path: &str, scopes: &[&'v Value]) -> Result<&'v Vec<Value>, ReportError> {
    lookup(template, path, scopes)?
        .as_array()
        .ok_or_else(|| ReportError::invalid("template", format!("{template}: {path} is not a list")))
}

fn resolve_blocks(template: &str, blocks: &[Block], scopes: &[&Value], out: &mut Vec<Piece>) -> Result<(), ReportError> {
    for block in blocks {
        match block {
            Block::Line { text, style, align, red } => {
                out.push(Piece::Text { text: fill(template, text, scopes)?, style: *style, align: *align, red: *red })
            }
            Block::Split { left, right } => {
                out.push(Piece::Split { left: fill(template, left, scopes)?, right: fill(template, right, scopes)? })
            }
            Block::Rule { red } => out.push(Piece::Rule { red: *red }),
            Block::Paragraphs { text } => {
                let filled = fill(template, text, scopes)?;
                for paragraph in filled.split("\n\n").map(|p| p.split_whitespace().collect::<Vec<_>>().join(" ")) {
                    if !paragraph.is_empty() {
                        out.push(Piece::Paragraph(paragraph));
                    }
                }
            }
            Block::Table { rows, columns } => {
                let mut table_rows = Vec::new();
                for row in array(template, rows, scopes)? {
                    let inner: Vec<&Value> = scopes.iter().copied().chain([row]).collect();
                    table_rows.push(columns.iter().map(|c| fill(template, &format!("{{{}}}", c.field), &inner)).collect::<Result<_, _>>()?);
                }
                out.push(Piece::Table { headers: columns.iter().map(|c| c.header.clone()).collect(), rows: table_rows });
            }
            Block::Bars { rows, label, value, caption } => {
                let mut bars = Vec::new();
                for row in array(template, rows, scopes)? {
                    let inner: Vec<&Value> = scopes.iter().copied().chain([row]).collect();
                    let v = lookup(template, value, &inner)?;
                    let number = v.as_f64().ok_or_else(|| ReportError::invalid("template", format!("{template}: {value} is not a number")))?;
                    bars.push((display(lookup(template, label, &inner)?), number));
                }
                out.push(Piece::Bars { caption: fill(template, caption, scopes)?, bars });
            }
            Block::Each { items, blocks } => {
                for item in array(template, items, scopes)? {
                    let inner: Vec<&Value> = scopes.iter().copied().chain([item]).collect();
                    resolve_blocks(template, blocks, &inner, out)?;
                }
            }
            Block::When { field, blocks } => {
                let present = match lookup(template, field, scopes)? {
                    Value::Null | Value::Bool(false) => false,
                    Value::String(s) => !s.is_empty(),
                    Value::Array(a) => !a.is_empty(),
                    _ => true,
                };
                if present {
                    resolve_blocks(template, blocks, scopes, out)?;
                }
            }
            Block::Space { lines } => out.push(Piece::Space(*lines)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_read_the_item_first_then_the_snapshot() {
        let root = json!({"issuer": "文明办", "rows": [{"name": "东城区", "score": 91.456}]});
        let item = &root["rows"][0];
        assert_eq!(fill("t", "{issuer}：{name} {score}", &[&root, item]).unwrap(), "文明办：东城区 91.46");
    }

    #[test]
    fn a_placeholder_naming_no_field_is_refused() {
        let root = json!({"issuer": "文明办"});
        let err = fill("t", "{isuer}", &[&root]).unwrap_err();
        assert_eq!(err.to_string(), "template t names a field the document has no data for: isuer");
    }
}
