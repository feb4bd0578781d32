//! Templates: what a kind prints, block by block, with `{field.path}` placeholders filled from the
//! snapshot. A template is data (serde), so an office can adapt one; a placeholder naming a field
//! the snapshot does not have is refused before anything is rendered or issued.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ReportError;
use crate::chart::{Chart, ChartKind, Series};
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

/// One series of a chart: its legend and the row field holding its numbers (null: no value).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesField {
    pub name: String,
    pub value: String,
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
    /// A chart over the array at `rows`: a label a row and one or more series of numbers,
    /// drawn as SVG (vectors in the PDF, PNG in the DOCX). Nothing is drawn when no row has a
    /// value.
    Chart {
        #[serde(default)]
        chart: ChartKind,
        rows: String,
        label: String,
        series: Vec<SeriesField>,
        caption: String,
    },
    /// The blocks repeated for each item of the array at `items`; inside, placeholders name the
    /// item's fields first, then the snapshot's.
    Each { items: String, blocks: Vec<Block> },
    /// The blocks when the value at `field` is neither null, empty nor false; else `otherwise`.
    When {
        field: String,
        blocks: Vec<Block>,
        #[serde(default)]
        otherwise: Vec<Block>,
    },
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
    Chart(Chart),
    Space(u8),
}

fn line(text: &str, style: Style, align: Align) -> Block {
    Block::Line { text: text.into(), style, align, red: false }
}

fn each(items: &str, blocks: Vec<Block>) -> Block {
    Block::Each { items: items.into(), blocks }
}

fn table(rows: &str, columns: &[(&str, &str)]) -> Block {
    Block::Table { rows: rows.into(), columns: columns.iter().map(|(header, field)| Column { header: (*header).into(), field: (*field).into() }).collect() }
}

fn chart(kind: ChartKind, rows: &str, label: &str, series: &[(&str, &str)], caption: &str) -> Block {
    Block::Chart {
        chart: kind,
        rows: rows.into(),
        label: label.into(),
        series: series.iter().map(|(name, value)| SeriesField { name: (*name).into(), value: (*value).into() }).collect(),
        caption: caption.into(),
    }
}

/// The blocks when the list (or value) at `field` has something, else one line saying so.
fn listed(field: &str, blocks: Vec<Block>, none: &str) -> Block {
    Block::When { field: field.into(), blocks, otherwise: vec![Block::Paragraphs { text: none.into() }] }
}

impl Template {
    /// The built-in template of a kind.
    pub fn builtin(kind: Kind) -> Template {
        use Align::*;
        use Style::*;
        let correction = Block::When {
            field: "corrects".into(),
            blocks: vec![line("（本期更正{corrects.cited_as}《{corrects.title}》）", Body, Center)],
            otherwise: vec![],
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
                table(
                    "rows",
                    &[("名次", "rank"), ("名称", "name"), ("得分", "score"), ("响应率", "response_rate"), ("解决率", "resolution_rate"), ("满意率", "satisfaction_rate"), ("较上月", "movement")],
                ),
                chart(ChartKind::Bars, "rows", "name", &[("得分", "score_value")], "图 1　{period}得分"),
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
            Kind::HealthReport => vec![
                Block::Line { text: "{issuer}".into(), style: Masthead, align: Center, red: true },
                line("首文明办测〔{numbering.year}〕{numbering.number}号", Body, Center),
                Block::Rule { red: true },
                correction,
                line("{district}{period}创建测评体检报告", Title, Center),
                Block::Space { lines: 1 },
                Block::Paragraphs { text: "{summary}".into() },
                line("一、总体得分", Heading, Left),
                table("categories", &[("测评类别", "name"), ("本区", "score"), ("全市平均", "city_average"), ("最好的区", "best_district"), ("与全市比", "gap")]),
                chart(ChartKind::Bars, "categories", "name", &[("本区", "score_value"), ("全市平均", "city_value"), ("最好的区", "best_value")], "图 1　{district}各类别得分率与全市平均、最好的区"),
                line("二、测评项目得分", Heading, Left),
                table("items", &[("类别", "category"), ("测评项目", "name"), ("本区", "score"), ("全市平均", "city_average"), ("最好的区", "best_district"), ("与全市比", "gap")]),
                line("三、近六个月走势", Heading, Left),
                table("trend", &[("月份", "month"), ("得分", "score"), ("名次", "rank"), ("全市平均", "city_average")]),
                chart(ChartKind::Lines, "trend", "month", &[("本区", "score_value"), ("全市平均", "city_value")], "图 2　{district}近六个月综合得分与全市平均"),
                line("四、失分最多的测评内容", Heading, Left),
                listed(
                    "lost_most",
                    vec![table("lost_most", &[("编号", "code"), ("测评内容", "text"), ("失分", "lost"), ("应得分", "possible"), ("得分率", "score")])],
                    "本期没有失分的测评内容。",
                ),
                line("五、反复不达标的点位", Heading, Left),
                listed(
                    "repeat_failures",
                    vec![table("repeat_failures", &[("点位", "point"), ("地址", "address"), ("不达标轮次", "rounds"), ("不达标内容", "clauses")])],
                    "近六个月没有两轮以上不达标的点位。",
                ),
                line("六、同类问题的热线与网格案件", Heading, Left),
                listed(
                    "problem_volume",
                    vec![
                        Block::Paragraphs { text: "本期失分的测评内容所对应的问题，在本区同期 12345 热线和网格上报的案件如下，是失分的“病因”所在。".into() },
                        table("problem_volume", &[("问题类别", "category"), ("热线", "hotline"), ("网格", "grid"), ("合计", "total")]),
                        chart(ChartKind::Bars, "problem_volume", "category", &[("热线", "hotline"), ("网格", "grid")], "图 3　{district}失分问题的热线与网格案件量"),
                    ],
                    "失分的测评内容在本期没有对应的热线和网格案件。",
                ),
                line("七、未完成的整改", Heading, Left),
                listed(
                    "open_rectifications",
                    vec![table("open_rectifications", &[("点位", "point"), ("测评内容", "clause"), ("案件", "case"), ("办理状态", "status")])],
                    "测评发现的问题均已整改并核查销号。",
                ),
                Block::Space { lines: 1 },
                line("{issuer}", Body, Right),
                line("{dated}", Body, Right),
            ],
            Kind::LedgerReport => vec![
                Block::Line { text: "{issuer}文件".into(), style: Masthead, align: Center, red: true },
                line("首文明办报〔{numbering.year}〕{numbering.number}号", Body, Center),
                Block::Rule { red: true },
                correction,
                line("关于{year} 年首都文明委重点工作项目台账完成情况的报告", Title, Center),
                Block::Space { lines: 1 },
                line("首都文明委：", Body, Left),
                Block::Paragraphs {
                    text: "{headline}截至目前，完成 {completed} 个，部分完成 {partly} 个，未完成 {not_completed} 个，尚未结项 {open} 个，完成率 {completion_rate}。现将有关情况报告如下。".into(),
                },
                line("一、{year} 年台账完成情况", Heading, Left),
                table(
                    "classes",
                    &[("类别", "class"), ("单位", "units"), ("项目", "projects"), ("完成", "completed"), ("部分完成", "partly"), ("未完成", "not_completed"), ("未结项", "open"), ("完成率", "completion_rate")],
                ),
                chart(ChartKind::Bars, "classes", "class", &[("完成率（%）", "completion_value")], "图 1　各类项目完成率（%）"),
                each(
                    "classes",
                    vec![
                        Block::Paragraphs { text: "{lead}，完成 {completed} 个，完成率 {completion_rate}。".into() },
                        // The office's pick from a closure text, which names its unit (as 简报 2178 prints them).
                        each("examples", vec![Block::Paragraphs { text: "{excerpt}".into() }]),
                    ],
                ),
                line("二、结项评定", Heading, Left),
                listed("ratings", vec![table("ratings", &[("评定等次", "rating"), ("项目数", "count")])], "本年度尚无结项评定。"),
                line("三、建议表扬的单位", Heading, Left),
                listed(
                    "commended",
                    vec![
                        Block::Paragraphs { text: "以下单位的项目全部完成，且至少一个项目评定为优秀、其余不低于良好，建议予以通报表扬。".into() },
                        table("commended", &[("单位", "name"), ("项目数", "projects"), ("评定优秀", "excellent")]),
                    ],
                    "本年度没有符合表扬条件的单位。",
                ),
                Block::Space { lines: 1 },
                line("{issuer}", Body, Right),
                line("{dated}", Body, Right),
            ],
            Kind::AlleyRollcall => vec![
                Block::Line { text: "{issuer}文件".into(), style: Masthead, align: Center, red: true },
                line("首文明办巷〔{numbering.year}〕{numbering.number}号", Body, Center),
                Block::Rule { red: true },
                correction,
                line("关于{quarter}{district}背街小巷环境问题点名情况的通报", Title, Center),
                Block::Space { lines: 1 },
                line("各区文明办，各街道（乡镇）：", Body, Left),
                Block::Paragraphs {
                    text: "按照背街小巷“日巡、周查、月评、季点名”工作机制，现将{quarter}{area}背街小巷环境问题点名情况通报如下。本季度{area}共有 {scored} 条背街小巷参加月评，季度平均得分 {mean_score}；{below} 条有月评低于 {threshold} 分，月评降级 {downgraded} 次，新挂牌督办 {listed} 条。季度平均得分（季均分）最低的 {named} 条背街小巷予以点名，“低分月”为本季度月评低于 {threshold} 分的月数。".into(),
                },
                line("一、点名的背街小巷", Heading, Left),
                table(
                    "rows",
                    &[("名次", "rank"), ("街巷", "name"), ("区", "district"), ("街道", "street"), ("季均分", "mean"), ("低分月", "low_months"), ("挂牌", "listed"), ("街巷长", "chief")],
                ),
                chart(ChartKind::Bars, "rows", "name", &[("季度平均得分", "mean_value")], "图 1　{quarter}点名背街小巷的季度平均得分"),
                line("二、挂牌督办中的背街小巷", Heading, Left),
                listed(
                    "listed_alleys",
                    vec![
                        Block::Paragraphs { text: "截至发文之日，以下背街小巷正在挂牌督办，所在街道（乡镇）要在整改期限内完成整改，经复查达标后摘牌。".into() },
                        table(
                            "listed_alleys",
                            &[("街巷", "name"), ("区", "district"), ("街道", "street"), ("挂牌日期", "listed_on"), ("整改期限", "deadline"), ("挂牌原因", "reason")],
                        ),
                    ],
                    "截至发文之日，没有挂牌督办中的背街小巷。",
                ),
                line("三、整改要求", Heading, Left),
                Block::Paragraphs {
                    text: "被点名背街小巷所在街道（乡镇）要落实街巷长制，由街巷长牵头，对照“十无五好四有”标准逐项查找问题，限期整改，于{deadline}前完成整改并将整改情况书面报送{issuer}。\n\n{issuer}将于{recheck}起组织复查，复查仍不达标的，实行挂牌督办并予以通报。".into(),
                },
                Block::Space { lines: 1 },
                line("{issuer}", Body, Right),
                line("{dated}", Body, Right),
                Block::Space { lines: 1 },
                Block::Rule { red: false },
                line("抄送：{copy_to}", Small, Left),
                Block::Rule { red: false },
                Block::Split { left: "{issuer}".into(), right: "{dated}印发".into() },
                Block::Rule { red: false },
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
            Block::Chart { chart, rows, label, series, caption } => {
                let items = array(template, rows, scopes)?;
                let mut labels = Vec::with_capacity(items.len());
                let mut columns: Vec<Series> = series.iter().map(|s| Series { name: s.name.clone(), values: Vec::with_capacity(items.len()) }).collect();
                for row in items {
                    let inner: Vec<&Value> = scopes.iter().copied().chain([row]).collect();
                    labels.push(display(lookup(template, label, &inner)?));
                    for (spec, column) in series.iter().zip(&mut columns) {
                        let v = lookup(template, &spec.value, &inner)?;
                        if !v.is_null() && !v.is_number() {
                            return Err(ReportError::invalid("template", format!("{template}: {} is not a number", spec.value)));
                        }
                        column.values.push(v.as_f64());
                    }
                }
                let chart = Chart { kind: *chart, caption: fill(template, caption, scopes)?, labels, series: columns };
                if !chart.is_empty() {
                    out.push(Piece::Chart(chart));
                }
            }
            Block::Each { items, blocks } => {
                for item in array(template, items, scopes)? {
                    let inner: Vec<&Value> = scopes.iter().copied().chain([item]).collect();
                    resolve_blocks(template, blocks, &inner, out)?;
                }
            }
            Block::When { field, blocks, otherwise } => {
                let present = match lookup(template, field, scopes)? {
                    Value::Null | Value::Bool(false) => false,
                    Value::String(s) => !s.is_empty(),
                    Value::Array(a) => !a.is_empty(),
                    _ => true,
                };
                resolve_blocks(template, if present { blocks } else { otherwise }, scopes, out)?;
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
