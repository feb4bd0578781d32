//! Each kind rendered to DOCX and PDF, then read back by readers written elsewhere: python-docx
//! for the DOCX (text, tables, East-Asian fonts, page geometry), poppler's pdftotext for the PDF
//! (Chinese text, figures, numbering). First pages are rendered to PNG beside the output
//! (`$CARGO_TARGET_TMPDIR/documents/`) for a person to look at.

use std::path::PathBuf;

use gridline_report::{
    AlleyRollcall, Article, Block, Bulletin, CommendedUnit, Content, Correction, Fonts, HealthReport, Imprint, Kind, LedgerClass, LedgerExample, LedgerReport, LostLine,
    Notice, NoticeRow, Numbering, RatingLine, RectificationLine, RepeatLine, ReportError, RollcallRow, ScoreLine, Snapshot, SupervisionOrder, Template, TrendLine,
    VolumeLine, render,
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
    assert_eq!(err.to_string(), "article 2 has an empty title");
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

fn score_line(code: &str, name: &str, category: &str, score: Option<f64>, city: f64, best: f64) -> ScoreLine {
    let rate = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}"));
    ScoreLine {
        code: code.into(),
        name: name.into(),
        category: category.into(),
        score: rate(score),
        city_average: rate(Some(city)),
        best_district: rate(Some(best)),
        gap: score.map_or_else(|| "—".to_owned(), |s| format!("{:+.1}", s - city)),
        score_value: score,
        city_value: Some(city),
        best_value: Some(best),
    }
}

fn health() -> Snapshot {
    let trend = [(5, Some(84.0), 85.1), (6, Some(86.5), 85.9), (7, None, 86.0), (8, Some(88.2), 86.4), (9, Some(87.0), 87.1), (10, Some(89.4), 87.5)];
    Snapshot {
        numbering: Numbering { year: 2024, number: 5, total: 5 },
        dated: "2024 年 11 月 5 日".into(),
        corrects: None,
        content: Content::HealthReport(HealthReport {
            issuer: "首都精神文明办".into(),
            district: "朝阳区".into(),
            period: "2024 年 10 月".into(),
            score: "89.4".into(),
            score_value: Some(89.4),
            rank: "第 4 名".into(),
            movement: "↑2".into(),
            city_average: "87.5".into(),
            best_district: "东城区（93.2）".into(),
            summary: "2024 年 10 月，朝阳区创建测评综合得分 89.4，在全市各区中列第 4 名（较上期↑2）。".into(),
            categories: vec![
                score_line("1", "公共环境", "", Some(86.0), 88.0, 93.0),
                score_line("2", "公共秩序", "", Some(91.5), 87.0, 95.0),
                score_line("3", "公共服务", "", None, 80.0, 90.0),
            ],
            items: vec![score_line("1.1", "市容环境", "公共环境", Some(84.0), 86.0, 92.0), score_line("2.1", "交通秩序", "公共秩序", Some(91.5), 87.0, 95.0)],
            lost_most: vec![LostLine { code: "1.1.2".into(), text: "无暴露垃圾、无积存垃圾".into(), lost: "6.0".into(), possible: "20.0".into(), score: "70.0".into() }],
            repeat_failures: vec![RepeatLine { point: "望京东一巷".into(), address: "望京街道".into(), rounds: 3, clauses: "1.1.2、1.3.1".into() }],
            problem_volume: vec![VolumeLine { category: "暴露垃圾".into(), hotline: 42, grid: 17, total: 59 }],
            trend: trend
                .iter()
                .map(|(m, s, c)| TrendLine {
                    month: format!("2024.{m:02}"),
                    score: s.map_or_else(|| "—".to_owned(), |s| format!("{s:.1}")),
                    rank: "—".into(),
                    city_average: format!("{c:.1}"),
                    score_value: *s,
                    city_value: Some(*c),
                })
                .collect(),
            open_rectifications: vec![RectificationLine { point: "望京东一巷".into(), clause: "1.1.2".into(), case: "#4711".into(), status: "整改中".into() }],
        }),
    }
}

fn ledger() -> Snapshot {
    let class = |class: &str, lead: &str, projects: i64, completed: i64, examples: Vec<LedgerExample>| LedgerClass {
        class: class.into(),
        lead: lead.into(),
        units: projects / 2,
        projects,
        completed,
        partly: projects - completed,
        not_completed: 0,
        open: 0,
        completion_rate: format!("{:.1}%", completed as f64 * 100.0 / projects as f64),
        completion_value: (completed as f64 * 1000.0 / projects as f64).round() / 10.0,
        examples,
    };
    Snapshot {
        numbering: Numbering { year: 2021, number: 1, total: 1 },
        dated: "2021 年 3 月 8 日".into(),
        corrects: None,
        content: Content::LedgerReport(LedgerReport {
            issuer: "首都精神文明办".into(),
            year: 2020,
            headline: "2020 年台账共有 58 个成员单位报送 114 个工作项目，分为制度建设、文明宣传、文明治理、机关建设四大类。".into(),
            units: 58,
            projects: 114,
            completed: 110,
            partly: 4,
            not_completed: 0,
            open: 0,
            completion_rate: "96.5%".into(),
            classes: vec![
                class("制度建设", "市人大常委会等 8 家单位围绕制度建设立项 16 个", 16, 16, vec![LedgerExample {
                    unit: "市人大常委会".into(),
                    title: "文明行为促进立法".into(),
                    excerpt: "市人大完成《北京市文明行为促进条例》《北京市志愿服务促进条例》的制定修订。".into(),
                }]),
                class("文明宣传", "国务院国资委等 37 家单位围绕文明宣传立项 74 个", 74, 71, vec![]),
            ],
            ratings: vec![RatingLine { rating: "优秀".into(), count: 30 }, RatingLine { rating: "良好".into(), count: 80 }],
            commended: vec![CommendedUnit { name: "市人大常委会".into(), projects: 2, excellent: 2 }],
        }),
    }
}

#[test]
fn a_health_report_prints_the_scores_against_the_city_its_trend_and_its_charts() {
    let Some((text, docx, _)) = render_and_read("health-report", &health()) else { return };
    let flat = squeeze(&text);
    for expected in [
        "朝阳区2024年10月创建测评体检报告",
        "首文明办测〔2024〕5号",
        "一、总体得分",
        "公共秩序91.587.095.0+4.5",
        "三、近六个月走势",
        "图1",
        "图2",
        "图3",
        "无暴露垃圾、无积存垃圾",
        "望京东一巷",
        "#4711",
    ] {
        assert!(flat.contains(expected), "the PDF lacks {expected}:\n{text}");
    }
    let tables = docx["tables"].as_array().unwrap();
    assert_eq!(tables[0][0], serde_json::json!(["测评类别", "本区", "全市平均", "最好的区", "与全市比"]));
    assert_eq!(tables[0][3], serde_json::json!(["公共服务", "—", "80.0", "90.0", "—"]));
    // Three charts, each a PNG one type area (156 mm) wide.
    assert_eq!(docx["pictures_mm"], serde_json::json!([156, 156, 156]), "{docx}");
    assert_eq!(docx["images"], serde_json::json!(["image/png", "image/png", "image/png"]));
    assert_eq!(docx["font_table"]["仿宋_GB2312"], serde_json::json!({"alt": "仿宋", "charset": "86"}));
    assert_eq!(docx["font_table"]["黑体"]["alt"], "SimHei");
    assert_eq!(docx["font_table"]["方正小标宋简体"]["alt"], "宋体");
}

#[test]
fn an_empty_list_says_so_instead_of_an_empty_table() {
    let mut snapshot = health();
    let Content::HealthReport(h) = &mut snapshot.content else { unreachable!() };
    h.repeat_failures.clear();
    h.problem_volume.clear();
    let Some((text, docx, _)) = render_and_read("health-report-quiet", &snapshot) else { return };
    let flat = squeeze(&text);
    assert!(flat.contains("近六个月没有两轮以上不达标的点位。"), "{text}");
    assert!(flat.contains("失分的测评内容在本期没有对应的热线和网格案件。"), "{text}");
    assert!(!flat.contains("图3"), "no chart without data:\n{text}");
    assert_eq!(docx["pictures_mm"].as_array().unwrap().len(), 2);
}

#[test]
fn a_health_report_of_a_period_with_no_score_is_refused() {
    let mut snapshot = health();
    let Content::HealthReport(h) = &mut snapshot.content else { unreachable!() };
    h.score_value = None;
    h.categories.iter_mut().for_each(|c| c.score_value = None);
    let err = gridline_report::check(&snapshot, &Template::builtin(Kind::HealthReport)).unwrap_err();
    assert_eq!(err.to_string(), "no data for 朝阳区2024 年 10 月的测评得分");
}

#[test]
fn a_ledger_report_prints_the_classes_the_examples_and_the_units_to_commend() {
    let Some((text, docx, _)) = render_and_read("ledger-report", &ledger()) else { return };
    let flat = squeeze(&text);
    for expected in [
        "关于2020年首都文明委重点工作项目台账完成情况的报告",
        "首文明办报〔2021〕1号",
        "首都文明委：",
        "2020年台账共有58个成员单位报送114个工作项目",
        "完成110个",
        "市人大常委会等8家单位围绕制度建设立项16个，完成16个，完成率100.0%。",
        "市人大完成《北京市文明行为促进条例》",
        "三、建议表扬的单位",
        "图1",
    ] {
        assert!(flat.contains(expected), "the PDF lacks {expected}:\n{text}");
    }
    let tables = docx["tables"].as_array().unwrap();
    assert_eq!(tables[0][0], serde_json::json!(["类别", "单位", "项目", "完成", "部分完成", "未完成", "未结项", "完成率"]));
    assert_eq!(tables[0][2], serde_json::json!(["文明宣传", "37", "74", "71", "3", "0", "0", "95.9%"]));
    assert_eq!(tables[2][1], serde_json::json!(["市人大常委会", "2", "2"]));
}

fn rollcall() -> Snapshot {
    let row = |rank: i64, name: &str, street: &str, mean: f64, low_months: i64, listed: &str, chief: &str| RollcallRow {
        rank,
        name: name.into(),
        district: "朝阳区".into(),
        street: street.into(),
        mean: format!("{mean:.2}"),
        mean_value: mean,
        low_months,
        listed: listed.into(),
        chief: chief.into(),
    };
    Snapshot {
        numbering: Numbering { year: 2026, number: 2, total: 2 },
        dated: "2026 年 10 月 9 日".into(),
        corrects: None,
        content: Content::AlleyRollcall(AlleyRollcall {
            issuer: "首都精神文明办".into(),
            quarter: "2026 年第三季度".into(),
            district: "朝阳区".into(),
            area: "朝阳区".into(),
            scored: 212,
            mean_score: "93.4".into(),
            threshold: "90".into(),
            below: 17,
            downgraded: 12,
            listed: 4,
            named: 2,
            rows: vec![
                row(1, "望京西园三巷", "望京街道", 81.27, 3, "是", "张建国"),
                row(2, "南湖东园北巷", "望京街道", 86.5, 1, "否", "未设"),
            ],
            listed_alleys: vec![gridline_report::ListedAlley {
                name: "望京西园三巷".into(),
                district: "朝阳区".into(),
                street: "望京街道".into(),
                listed_on: "2026 年 8 月 31 日".into(),
                deadline: "2026 年 9 月 30 日（已逾期）".into(),
                reason: "背街小巷月评连续 2 个月低于 90 分".into(),
            }],
            deadline: "2026 年 11 月 8 日".into(),
            recheck: "2026 年 11 月 9 日".into(),
            copy_to: "首都文明委委员单位".into(),
        }),
    }
}

#[test]
fn an_alley_rollcall_names_the_quarters_worst_with_their_chiefs_and_a_deadline() {
    let Some((text, docx, _)) = render_and_read("alley-rollcall", &rollcall()) else { return };
    let flat = squeeze(&text);
    for expected in [
        "关于2026年第三季度朝阳区背街小巷环境问题点名情况的通报",
        "首文明办巷〔2026〕2号",
        "共有212条背街小巷参加月评，季度平均得分93.4；17条有月评低于90分，月评降级12次，新挂牌督办4条",
        "1望京西园三巷朝阳区望京街道81.273是张建国",
        "2南湖东园北巷朝阳区望京街道86.501否未设",
        "二、挂牌督办中的背街小巷",
        "以下背街小巷正在挂牌督办",
        "三、整改要求",
        "于2026年11月8日前完成整改",
        "将于2026年11月9日起组织复查",
        "抄送：首都文明委委员单位",
        "2026年10月9日印发",
        "图1",
    ] {
        assert!(flat.contains(expected), "the PDF lacks {expected}:\n{text}");
    }
    let tables = docx["tables"].as_array().unwrap();
    assert_eq!(tables[0][0], serde_json::json!(["名次", "街巷", "区", "街道", "季均分", "低分月", "挂牌", "街巷长"]));
    assert_eq!(tables[0][1], serde_json::json!(["1", "望京西园三巷", "朝阳区", "望京街道", "81.27", "3", "是", "张建国"]));
    assert_eq!(tables[1][0], serde_json::json!(["街巷", "区", "街道", "挂牌日期", "整改期限", "挂牌原因"]));
    assert_eq!(
        tables[1][1],
        serde_json::json!(["望京西园三巷", "朝阳区", "望京街道", "2026 年 8 月 31 日", "2026 年 9 月 30 日（已逾期）", "背街小巷月评连续 2 个月低于 90 分"])
    );
    assert_eq!(tables[0].as_array().unwrap().len(), 3);
}

#[test]
fn an_alley_rollcall_with_no_alley_to_name_is_refused() {
    let mut snapshot = rollcall();
    let Content::AlleyRollcall(r) = &mut snapshot.content else { unreachable!() };
    r.rows.clear();
    let err = gridline_report::check(&snapshot, &Template::builtin(Kind::AlleyRollcall)).unwrap_err();
    assert_eq!(err.to_string(), "no data for 2026 年第三季度朝阳区背街小巷的月评得分");
}

#[test]
fn every_kind_has_a_builtin_template_that_fills_from_its_data() {
    for snapshot in [bulletin(1), notice(), order(), health(), ledger(), rollcall()] {
        let kind = snapshot.content.kind();
        gridline_report::check(&snapshot, &Template::builtin(kind)).unwrap_or_else(|e| panic!("{}: {e}", kind.as_str()));
    }
    assert_eq!(Kind::ALL.len(), 6, "a new kind gets its snapshot above");
}
