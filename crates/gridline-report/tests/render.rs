//! Each kind rendered to DOCX and PDF, then read back by readers written elsewhere: python-docx
//! for the DOCX (text, tables, East-Asian fonts, page geometry), poppler's pdftotext for the PDF
//! (Chinese text, figures, numbering). First pages are rendered to PNG beside the output
//! (`$CARGO_TARGET_TMPDIR/documents/`) for a person to look at.

use std::path::PathBuf;

use gridline_report::{
    Article, Block, Bulletin, Content, Correction, Fonts, Imprint, Kind, Notice, NoticeRow, Numbering, ReportError, Snapshot, SupervisionOrder,
    Template, render,
};
use gridline_testing::documents::{first_page_png, pdf_pages, pdf_text, read_docx};

fn bulletin(paragraphs_per_article: usize) -> Snapshot {
    let body = (0..paragraphs_per_article)
        .map(|i| format!("第{}段：各区按照“日巡、周查、月评、季点名”机制推进背街小巷环境精细化治理，12345 热线同期受理量下降 30.6%，群众满意度由 91.7% 上升到 97.35%。", i + 1))
        .collect::<Vec<_>>()
        .join("\n\n");
    Snapshot {
        numbering: Numbering { year: 2023, number: 2, total: 2214 },
        dated: "2023 年 3 月 7 日".into(),
        corrects: None,
        content: Content::Bulletin(Bulletin {
            masthead: "首都精神文明建设情况简报".into(),
            issuer: "首都精神文明办".into(),
            articles: vec![
                Article { section: "重要会议".into(), title: "首都精神文明建设工作暨背街小巷环境精细化治理动员部署大会召开".into(), body: body.clone(), office: "综合协调处".into() },
                Article { section: "创新案例".into(), title: "朝阳区“小巷管家”参与街巷治理".into(), body, office: "精神文明创建活动指导处".into() },
            ],
            imprint: Imprint {
                editor: "梅雪峰".into(),
                reviewer: "吕俊超".into(),
                phone: "55569506".into(),
                fax: "55569505".into(),
                email: "jswmzhxtc@163.com".into(),
                report_to: "中央文明办，首都文明委主任、副主任".into(),
                copy_to: "首都文明委委员，市委、市政府各部委办局".into(),
                issue_to: "各区委书记、区长、宣传部长，各区文明办".into(),
            },
        }),
    }
}

fn row(rank: u32, name: &str, score: f64, movement: &str) -> NoticeRow {
    NoticeRow {
        rank: rank.to_string(),
        name: name.into(),
        score: format!("{score:.1}"),
        response_rate: "98.0%".into(),
        resolution_rate: "90.5%".into(),
        satisfaction_rate: "88.2%".into(),
        movement: movement.into(),
        score_value: score,
    }
}

fn notice() -> Snapshot {
    let rows = vec![row(1, "东城区", 95.2, "↑2"), row(2, "西城区", 93.0, "持平"), row(3, "朝阳区", 81.4, "↓2")];
    Snapshot {
        numbering: Numbering { year: 2024, number: 10, total: 10 },
        dated: "2024 年 11 月 5 日".into(),
        corrects: None,
        content: Content::Notice(Notice {
            issuer: "首都精神文明办".into(),
            period: "2024 年 10 月".into(),
            level: "各区".into(),
            ranked: 3,
            unranked: 1,
            average_score: "89.9".into(),
            interview: vec![rows[2].clone()],
            rows,
            comment: "朝阳区解决率偏低，请于 11 月 15 日前报送整改方案。".into(),
        }),
    }
}

fn order() -> Snapshot {
    Snapshot {
        numbering: Numbering { year: 2024, number: 7, total: 7 },
        dated: "2024 年 11 月 5 日".into(),
        corrects: Some(Correction { id: 3, title: "督办单：井盖缺失".into(), cited_as: "督办〔2024〕6号".into() }),
        content: Content::SupervisionOrder(SupervisionOrder {
            issuer: "首都精神文明办".into(),
            unit: "朝阳区城市管理委员会".into(),
            case_id: 4711,
            case_title: "朝阳路井盖缺失".into(),
            case_description: "朝阳路 1 号路口井盖缺失，夜间行人易跌落。".into(),
            address: "朝阳路 1 号".into(),
            category: "井盖".into(),
            received_at: "2024 年 11 月 1 日".into(),
            level: "挂牌督办".into(),
            deadline: "2024 年 11 月 12 日".into(),
            note: "请区城管委牵头，当日设置警示，限期补装。".into(),
        }),
    }
}

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("documents");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Renders, writes both files and the first page's PNG; the PDF's text and python-docx's reading.
fn render_and_read(name: &str, snapshot: &Snapshot) -> Option<(String, serde_json::Value, u32)> {
    let fonts = Fonts::system().expect("fonts-noto-cjk is installed (see docs/documents.md)");
    let rendered = render(snapshot, &Template::builtin(snapshot.content.kind()), &fonts).unwrap();
    let dir = out_dir();
    let (docx, pdf) = (dir.join(format!("{name}.docx")), dir.join(format!("{name}.pdf")));
    std::fs::write(&docx, &rendered.docx).unwrap();
    std::fs::write(&pdf, &rendered.pdf).unwrap();
    let png = first_page_png(&pdf, &dir.join(format!("{name}.png")))?;
    eprintln!("first page: {}", png.display());
    Some((pdf_text(&pdf)?, read_docx(&docx)?, pdf_pages(&pdf)?))
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect()
}

#[test]
fn a_bulletin_prints_its_masthead_numbering_articles_and_imprint() {
    let Some((text, docx, pages)) = render_and_read("bulletin", &bulletin(12)) else { return };
    let flat = squeeze(&text);
    for expected in ["首都精神文明建设情况简报", "第2期", "（总第2214期）", "首都精神文明办", "2023年3月7日", "【重要会议】", "【创新案例】", "（综合协调处）", "责编：梅雪峰", "邮箱：jswmzhxtc@163.com", "报：中央文明办", "发：各区委书记", "97.35%", "—1—", "—2—"] {
        assert!(flat.contains(expected), "the PDF lacks {expected}:\n{text}");
    }
    assert!(pages >= 3, "24 paragraphs make several pages, got {pages}");
    let paragraphs: Vec<&str> = docx["paragraphs"].as_array().unwrap().iter().filter_map(|p| p.as_str()).collect();
    assert_eq!(paragraphs[0], "首都精神文明建设情况简报");
    assert!(paragraphs.contains(&"（总第 2214 期）"), "{paragraphs:?}");
    assert!(paragraphs.contains(&"【创新案例】"), "{paragraphs:?}");
    assert_eq!(docx["page_mm"], serde_json::json!([210, 297]));
    assert_eq!(docx["margins_mm"], serde_json::json!([37, 35, 28, 26]));
    let fonts = docx["east_asia_fonts"].as_array().unwrap();
    for font in ["方正小标宋简体", "仿宋_GB2312", "黑体"] {
        assert!(fonts.iter().any(|f| f == font), "the DOCX does not name {font}: {fonts:?}");
    }
}

#[test]
fn a_body_line_holds_28_characters() {
    let Some((text, _, _)) = render_and_read("bulletin-lines", &bulletin(2)) else { return };
    // The first body paragraph's first line, indented by two characters, fills the other 26 (in
    // half-widths: an ASCII digit is half a character, so 51 or 52 of 52).
    let first = text.lines().map(squeeze).find(|l| l.starts_with("第1段")).expect("the first paragraph is in the PDF");
    let halves: usize = first.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    assert!((51..=52).contains(&halves), "{first:?} is {halves} half-widths");
}

#[test]
fn a_notice_prints_the_ranking_table_chart_and_interview_list() {
    let Some((text, docx, _)) = render_and_read("notice", &notice()) else { return };
    let flat = squeeze(&text);
    for expected in ["首都文明办〔2024〕10号", "关于2024年10月各区三率排名情况的通报", "共3个参加排名", "东城区", "95.2", "↑2", "二、约谈名单", "朝阳区（第3名，得分81.4，较上月↓2）", "图1", "请于11月15日前报送整改方案"] {
        assert!(flat.contains(expected), "the PDF lacks {expected}:\n{text}");
    }
    let tables = docx["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0][0], serde_json::json!(["名次", "名称", "得分", "响应率", "解决率", "满意率", "较上月"]));
    assert_eq!(tables[0][3], serde_json::json!(["3", "朝阳区", "81.4", "98.0%", "90.5%", "88.2%", "↓2"]));
}

#[test]
fn a_supervision_order_names_the_case_the_unit_the_deadline_and_what_it_corrects() {
    let Some((text, docx, pages)) = render_and_read("supervision-order", &order()) else { return };
    let flat = squeeze(&text);
    for expected in ["督办单", "督办〔2024〕7号", "朝阳区城市管理委员会：", "第4711号案件“朝阳路井盖缺失”", "挂牌督办", "2024年11月12日前办结", "本期更正督办〔2024〕6号"] {
        assert!(flat.contains(expected), "the PDF lacks {expected}:\n{text}");
    }
    assert_eq!(pages, 1, "a supervision order is one page");
    assert!(docx["paragraphs"].as_array().unwrap().iter().any(|p| p.as_str().is_some_and(|p| p.contains("第 4711 号案件"))));
}

#[test]
fn an_article_with_an_empty_title_is_refused() {
    let mut snapshot = bulletin(1);
    let Content::Bulletin(b) = &mut snapshot.content else { unreachable!() };
    b.articles[1].title = "  ".into();
    let err = gridline_report::check(&snapshot, &Template::builtin(Kind::Bulletin)).unwrap_err();
    assert_eq!(err.to_string(), "articles: article 2 has an empty title");
}

#[test]
fn a_template_naming_a_missing_field_is_refused() {
    let mut template = Template::builtin(Kind::Notice);
    template.blocks.push(Block::Line { text: "签发人：{signer}".into(), style: Default::default(), align: Default::default(), red: false });
    let err = gridline_report::check(&notice(), &template).unwrap_err();
    assert!(matches!(&err, ReportError::UnknownField { field, .. } if field == "signer"), "{err}");
}

#[test]
fn a_notice_of_a_period_with_nothing_ranked_is_refused() {
    let mut snapshot = notice();
    let Content::Notice(n) = &mut snapshot.content else { unreachable!() };
    n.rows.clear();
    let err = gridline_report::check(&snapshot, &Template::builtin(Kind::Notice)).unwrap_err();
    assert!(matches!(err, ReportError::NoData(_)), "{err}");
}
