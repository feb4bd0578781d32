//! The demo city's project ledger (重点工作项目台账): 58 member units, the 2020 ledger closed —
//! 114 projects in the four classes, with as many units per class as bulletin 2178 counts (8, 37,
//! 7 and 12: six units have a project in two classes) — and the current year's ledger in
//! progress, past its mid-year check. Every step goes through the domain's `decide` by the
//! unit's liaison or the office, at plausible times. The 2020 projects the bulletin names carry
//! its words; every other title, text, contact and rating is invented (docs/ledger.md).

use gridline_core::actor::{Actor, Role};
use gridline_core::ledger::{
    KeyTask, LedgerContext, LedgerYear, Light, MemberUnit, Milestone, Outcome, Project, ProjectCommand, ProjectDraft, ProjectEvent, Rating,
    UnitTier, decide, decide_proposal,
};
use gridline_core::period::day_of;
use gridline_core::unit::{Unit, UnitKind};
use gridline_store::{NewUser, Store};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use UnitTier::{Central, Enterprise, Municipal, University};

const ZD: &str = "制度建设";
const XC: &str = "文明宣传";
const ZL: &str = "文明治理";
const JG: &str = "机关建设";

/// A member unit of the demo and its 2020 projects: (code, name, tier, [(class, title, what
/// the closure summary says it achieved)]). The codes already in the demo city (`BJ-GAJ`, …) are
/// its departments; the others are added as member units.
type Member = (&'static str, &'static str, UnitTier, &'static [(&'static str, &'static str, &'static str)]);

const MEMBERS: [Member; 58] = [
    // 制度建设 (8 units: six here, and 市体育局 and 市国资委 with a second class).
    ("BJ-RDCWH", "北京市人大常委会", Municipal, &[
        (ZD, "《北京市文明行为促进条例》制定", "市人大完成《北京市文明行为促进条例》的制定。"),
        (ZD, "《北京市志愿服务促进条例》修订", "市人大完成《北京市志愿服务促进条例》的修订。"),
    ]),
    ("BJ-ZX", "北京市政协", Municipal, &[
        (ZD, "“五千委员齐参与，助力分类新时尚”专项民主监督", "市政协组织市、区两级政协委员开展“五千委员齐参与，助力分类新时尚”专项民主监督活动120余次，各专委会和各区政协形成报告建议26份。"),
        (XC, "政协委员进社区宣讲文明行为促进条例", "组织政协委员深入社区宣讲条例40余场。"),
    ]),
    ("BJ-ZJW", "北京市住房和城乡建设委员会", Municipal, &[
        (ZD, "完善《施工围挡管理规范》", "市住建委完善《施工围挡管理规范》，更新图集和工艺标准，提升了首都建设工程的面貌形象。"),
        (ZD, "建设工程文明施工评价标准修订", "修订文明施工评价标准，纳入扬尘治理和围挡公益广告要求。"),
    ]),
    ("BJ-ZDZQ", "北京市重点站区管理委员会", Municipal, &[
        (ZD, "组建重点站区文明委", "市重点站区管委会组建重点站区文明委，将各站属地、铁路系统纳入成员单位，在机构改革中充实了工作力量。"),
        (ZL, "重点站区秩序环境综合治理", "开展站区秩序联合整治，黑车揽客等问题明显减少。"),
    ]),
    ("BJ-SFJ", "北京市司法局", Municipal, &[
        (ZD, "文明行为促进条例配套执法规范", "梳理条例罚则，制定配套执法指引。"),
        (XC, "“法律进社区”文明普法宣传", "开展“法律进社区”普法活动覆盖全市各街道。"),
    ]),
    ("BJ-WLJ", "北京市文化和旅游局", Municipal, &[
        (ZD, "文明旅游行业服务标准修订", "修订旅行社、导游文明服务标准。"),
        (ZD, "A级景区文明旅游管理制度", "在全市A级景区建立文明旅游劝导制度。"),
    ]),
    // 文明宣传 (37 units: thirty-four here, and 市政协, 市司法局 and 市交管局 with a second class).
    ("BJ-GWYGZW", "国务院国资委", Central, &[
        (XC, "央企“文明家园”志愿服务进社区", "组织在京中央企业志愿者进社区开展服务。"),
        (XC, "中央企业文明单位创建经验交流", "编印中央企业文明创建案例汇编。"),
    ]),
    ("BJ-JYGW", "中共北京市委教育工作委员会", Municipal, &[
        (XC, "“使命在肩、奋斗有我”新时代文明工程倡议", "市委教育工委疫情期间向首都学生发出“使命在肩、奋斗有我”新时代文明工程倡议。"),
        (XC, "文明校园创建巡回宣讲", "组织文明校园创建巡回宣讲覆盖全市高校。"),
    ]),
    ("BJ-MZJ", "北京市民政局", Municipal, &[
        (XC, "“社区邻里节”", "市委社会工委市民政局举办“社区邻里节”，带动全市3309个社区就近开展友爱互动活动。"),
        (XC, "文明婚俗宣传推广", "在婚姻登记机关推广简约适度的文明婚俗。"),
    ]),
    ("BJ-KX", "北京市科学技术协会", Municipal, &[
        (XC, "每月“科学”流言榜", "市科协建立“每月‘科学’流言榜”，疫情期间将《战“疫”》应急科普特刊送进全市近7000个新时代文明实践中心所站，为居民科学防护提供指南。"),
        (XC, "新时代文明实践科普进站所", "科普资源进入新时代文明实践站所。"),
    ]),
    ("BJ-TSW", "共青团北京市委员会", Municipal, &[
        (XC, "“青春文明行”志愿服务", "组织青年志愿者开展文明引导服务。"),
        (XC, "青少年文明礼仪宣传", "在中小学开展文明礼仪主题团日活动。"),
    ]),
    ("BJ-SWJ", "北京市商务局", Municipal, &[
        (XC, "诚信文明商圈宣传", "在重点商圈开展诚信经营宣传。"),
        (XC, "“文明餐桌”光盘行动", "推动全市餐饮企业落实“光盘行动”。"),
    ]),
    ("BJ-XCB", "中共北京市委宣传部", Municipal, &[
        (XC, "文明行为促进条例全媒体宣传", "组织市属媒体开展条例宣传报道。"),
        (XC, "“北京榜样”选树宣传", "全年推出“北京榜样”周榜人物。"),
    ]),
    ("BJ-JW", "北京市教育委员会", Municipal, &[
        (XC, "文明校园创建", "推进大中小学文明校园创建。"),
        (XC, "“小手拉大手”文明行为倡导", "发动学生带动家庭践行文明行为。"),
    ]),
    ("BJ-WJW", "北京市卫生健康委员会", Municipal, &[
        (XC, "文明就医宣传", "在全市医院开展文明就医宣传。"),
        (XC, "健康生活方式科普", "开展健康生活方式科普进社区。"),
    ]),
    ("BJ-STHJJ", "北京市生态环境局", Municipal, &[
        (XC, "“美丽北京”生态文明宣传", "开展生态文明主题宣传活动。"),
        (XC, "绿色出行倡导", "倡导市民绿色低碳出行。"),
    ]),
    ("BJ-YLJ", "北京市园林绿化局", Municipal, &[
        (XC, "文明游园宣传", "在市属公园开展文明游园引导。"),
        (XC, "全民义务植树宣传", "组织首都全民义务植树宣传活动。"),
    ]),
    ("BJ-JTW", "北京市交通委员会", Municipal, &[
        (XC, "文明乘车宣传", "在地铁、公交开展文明乘车宣传。"),
        (XC, "“礼让斑马线”宣传", "联合交管部门开展礼让斑马线宣传。"),
    ]),
    ("BJ-TYJ", "北京市体育局", Municipal, &[
        (XC, "全民健身文明观赛宣传", "在赛事场馆开展文明观赛宣传。"),
        (ZD, "全民健身场所文明管理规范", "制定全民健身场所文明管理规范。"),
    ]),
    ("BJ-GZW", "北京市人民政府国有资产监督管理委员会", Municipal, &[
        (XC, "市属国企文明服务窗口宣传", "在市属国企服务窗口开展文明服务宣传。"),
        (ZD, "市管企业精神文明建设考核办法", "出台市管企业精神文明建设考核办法。"),
    ]),
    ("BJ-ZGH", "北京市总工会", Municipal, &[
        (XC, "职工文明素养提升行动", "开展职工文明素养提升培训。"),
        (XC, "“首都劳动奖章”获得者宣讲", "组织劳模宣讲进企业。"),
    ]),
    ("BJ-CL", "北京市残疾人联合会", Municipal, &[
        (XC, "无障碍环境文明宣传", "开展无障碍环境建设宣传。"),
        (XC, "助残志愿服务宣传", "宣传助残志愿服务典型。"),
    ]),
    ("BJ-WL", "北京市文学艺术界联合会", Municipal, &[
        (XC, "文明主题文艺创作", "组织文明主题文艺作品创作。"),
        (XC, "文艺志愿者进基层", "组织文艺志愿者进基层演出。"),
    ]),
    ("BJ-SKL", "北京市社会科学界联合会", Municipal, &[
        (XC, "首都精神文明理论宣讲", "组织社科专家开展理论宣讲。"),
        (XC, "文明社区建设课题研究", "完成文明社区建设课题研究。"),
    ]),
    ("BJ-QL", "北京市归国华侨联合会", Municipal, &[
        (XC, "侨界文明风采宣传", "宣传侨界文明风采典型。"),
    ]),
    ("BJ-GDJ", "北京市广播电视局", Municipal, &[
        (XC, "文明公益广告展播", "组织全市广播电视播出文明公益广告。"),
        (XC, "网络视听文明传播", "推出文明主题网络视听节目。"),
    ]),
    ("BJ-BJRB", "北京日报社", Municipal, &[
        (XC, "“文明北京”专栏", "开设“文明北京”专栏全年刊发报道。"),
        (XC, "文明行为随手拍", "开展文明行为随手拍征集。"),
    ]),
    ("BJ-BTV", "北京广播电视台", Municipal, &[
        (XC, "文明主题系列节目", "制作播出文明主题系列节目。"),
        (XC, "公益广告创作", "创作播出文明公益广告。"),
    ]),
    ("BJ-PKU", "北京大学", University, &[
        (XC, "文明校园志愿服务", "组织学生志愿者开展校园文明服务。"),
        (XC, "新时代文明实践理论研究", "开展新时代文明实践理论研究。"),
    ]),
    ("BJ-THU", "清华大学", University, &[
        (XC, "“文明清华”主题教育", "开展“文明清华”主题教育。"),
        (XC, "大学生文明礼仪培训", "开展新生文明礼仪培训。"),
    ]),
    ("BJ-RUC", "中国人民大学", University, &[
        (XC, "文明城市建设智库研究", "形成文明城市建设研究报告。"),
        (XC, "学生社区文明公约", "推行学生社区文明公约。"),
    ]),
    ("BJ-BNU", "北京师范大学", University, &[
        (XC, "文明教师风范宣传", "宣传师德师风先进典型。"),
        (XC, "中小学文明教育课程研发", "研发中小学文明教育课程。"),
    ]),
    ("BJ-CNU", "首都师范大学", University, &[
        (XC, "师范生文明素养提升", "开展师范生文明素养提升活动。"),
    ]),
    ("BJ-TYJRJ", "北京市退役军人事务局", Municipal, &[
        (XC, "退役军人志愿服务宣传", "宣传退役军人志愿服务典型。"),
        (XC, "崇军尚武文明风尚宣传", "开展崇军尚武主题宣传。"),
    ]),
    ("BJ-RSJ", "北京市人力资源和社会保障局", Municipal, &[
        (XC, "文明服务窗口创建", "在人社服务窗口开展文明服务创建。"),
        (XC, "职业技能培训融入文明教育", "在职业培训中融入文明教育内容。"),
    ]),
    ("BJ-YJJ", "北京市应急管理局", Municipal, &[
        (XC, "安全文明宣传月", "开展安全生产文明宣传月活动。"),
        (XC, "应急科普进社区", "开展应急科普进社区。"),
    ]),
    ("BJ-SWUJ", "北京市水务局", Municipal, &[
        (XC, "节水文明宣传", "开展节约用水宣传。"),
        (XC, "河湖文明守护志愿行动", "组织河湖巡护志愿服务。"),
    ]),
    ("BJ-NYJ", "北京市农业农村局", Municipal, &[
        (XC, "文明村镇创建宣传", "开展文明村镇创建宣传。"),
        (XC, "乡风文明培育", "推动移风易俗和乡风文明。"),
    ]),
    ("BJ-XFZD", "北京市消防救援总队", Municipal, &[
        (XC, "消防安全文明宣传", "开展消防安全文明宣传。"),
        (XC, "消防志愿服务", "组建社区消防志愿队伍。"),
    ]),
    ("BJ-YZ", "中国邮政集团有限公司北京市分公司", Enterprise, &[
        (XC, "文明服务网点创建", "在邮政网点开展文明服务创建。"),
        (XC, "“邮路文明”宣传投递", "利用投递网络传递文明宣传品。"),
    ]),
    // 文明治理 (7 units: six here, and 市重点站区管委会 with a second class).
    ("BJ-GAJ", "北京市公安局", Municipal, &[
        (ZL, "不文明行为治理执法保障", "配合条例实施开展不文明行为执法。"),
        (ZL, "社区警务文明创建", "推进社区警务参与文明创建。"),
    ]),
    ("BJ-GHZRW", "北京市规划和自然资源委员会", Municipal, &[
        (ZL, "“百姓身边微空间改造”", "市规自委开展“百姓身边微空间改造”，以东城区北新桥街道民安小区等6个公共空间为试点，优化美化背街小巷“边角地、畸零地”。"),
        (ZL, "街区更新文明治理试点", "在老城街区开展更新试点。"),
    ]),
    ("BJ-JXJ", "北京市经济和信息化局", Municipal, &[
        (ZL, "信用进商圈、进社区", "市经信局推动信用进商圈、进社区，推动“先看病后付费”“预付费后有保障”，使信用产生社会价值和经济价值。"),
        (ZL, "信用信息平台文明行为应用", "信用平台纳入文明行为记录。"),
    ]),
    ("BJ-JGJ", "北京市公安局公安交通管理局", Municipal, &[
        (ZL, "“社区交警”驻点", "市交管局选派党员民警，作为“社区交警”一对一驻点式沉入103个重点社区，有效治理周边交通乱象。"),
        (XC, "文明交通宣传", "开展文明交通主题宣传。"),
    ]),
    ("BJ-FL", "北京市妇女联合会", Municipal, &[
        (ZL, "垃圾分类“家”行动", "市妇联推出垃圾分类“家”行动，推动垃圾前端分类，做足“家”字文章。"),
        (ZL, "文明家庭创建", "开展文明家庭创建评选。"),
    ]),
    ("BJ-CGW", "北京市城市管理委员会", Municipal, &[
        (ZL, "背街小巷环境精细化整治", "推进背街小巷环境精细化整治。"),
        (ZL, "垃圾分类桶站文明引导", "在社区桶站开展分类引导。"),
    ]),
    // 机关建设 (12 units).
    ("BJ-ZYGW", "中央和国家机关工委", Central, &[
        (JG, "“让党中央放心、让人民群众满意的模范机关”宣传专栏", "中央和国家机关工委打造“让党中央放心、让人民群众满意的模范机关”宣传专栏，成为各级党组织和党员干部学习交流的样板。"),
        (JG, "中央和国家机关文明单位创建", "推进中央和国家机关文明单位创建。"),
    ]),
    ("BJ-ZZGLJ", "中直机关事务管理局", Central, &[
        (JG, "“学习任广振”青年志愿服务队", "中直机关事务管理局建立“学习任广振”青年志愿服务队，注册志愿者200多名。"),
        (JG, "机关文明餐厅建设", "推进机关餐厅节约文明用餐。"),
    ]),
    ("BJ-GGJ", "国家机关事务管理局", Central, &[
        (JG, "“书香机关”建设", "国家机关事务管理局加强“书香机关”建设，开展多种形式的读书活动。"),
        (JG, "节约型机关创建", "推进节约型机关创建。"),
    ]),
    ("BJ-SWBGT", "中共北京市委办公厅", Municipal, &[
        (JG, "“书香机关”读书活动", "市委办公厅加强“书香机关”建设，开展多种形式的读书活动。"),
        (JG, "机关文明礼仪规范", "制定机关文明礼仪规范。"),
    ]),
    ("BJ-SZFBGT", "北京市人民政府办公厅", Municipal, &[
        (JG, "“书香机关”读书分享", "市政府办公厅加强“书香机关”建设，开展读书分享活动。"),
        (JG, "机关志愿服务常态化", "推动机关干部常态化参加志愿服务。"),
    ]),
    ("BJ-JRJGJ", "北京市地方金融监督管理局", Municipal, &[
        (JG, "“金融大讲堂”", "市金融监管局“金融大讲堂”全年培训系统干部2000余人。"),
        (JG, "文明机关创建", "开展文明机关创建。"),
    ]),
    ("BJ-TLJ", "中国铁路北京局集团有限公司", Enterprise, &[
        (JG, "“最美京铁人”评选", "中国铁路北京局评选“最美京铁人”，树立行业标杆，引领职工以首善标准提升服务水平。"),
        (JG, "文明车站创建", "推进管内车站文明创建。"),
    ]),
    ("BJ-ZZB", "中共北京市委组织部", Municipal, &[
        (JG, "干部文明素养培训", "在干部培训中设置文明素养课程。"),
        (JG, "模范机关创建", "推进模范机关创建。"),
    ]),
    ("BJ-SZJGGW", "中共北京市直属机关工作委员会", Municipal, &[
        (JG, "市级机关文明单位创建", "推进市级机关文明单位创建。"),
        (JG, "机关党员志愿服务", "组织机关党员到社区报到服务。"),
    ]),
    ("BJ-SJJ", "北京市审计局", Municipal, &[
        (JG, "文明审计作风建设", "开展文明审计作风建设。"),
        (JG, "机关读书活动", "开展机关读书活动。"),
    ]),
    ("BJ-TJJ", "北京市统计局", Municipal, &[
        (JG, "文明统计调查员培训", "培训统计调查员文明入户。"),
        (JG, "机关文明公约", "制定机关文明公约。"),
    ]),
    ("BJ-DL", "国网北京市电力公司", Enterprise, &[
        (JG, "“文明供电”服务窗口", "开展“文明供电”窗口创建。"),
        (JG, "电力职工文明素养提升", "开展职工文明素养提升活动。"),
    ]),
];

/// The 2020 key tasks: the first three as bulletin 2178 names the committee's tasks; the last
/// two invented for the year's themes.
const KEY_TASKS_2020: [(&str, &str); 5] = [
    ("T1", "贯彻落实《北京市文明行为促进条例》"),
    ("T2", "开展文明实践主题活动"),
    ("T3", "创建文明城区、文明村镇、文明单位、文明校园、文明家庭"),
    ("T4", "推进垃圾分类，倡导文明新风"),
    ("T5", "疫情防控中的文明引导"),
];

/// The current year's key tasks (invented).
const KEY_TASKS_NOW: [(&str, &str); 4] = [
    ("T1", "深化《北京市文明行为促进条例》实施"),
    ("T2", "新时代文明实践中心建设"),
    ("T3", "文明城区创建常态长效"),
    ("T4", "背街小巷环境精细化治理"),
];

/// The current year's titles by class: two a class, after the unit's short name (invented).
fn current_title(short: &str, class: &str, n: usize) -> String {
    let titles: [&str; 2] = match class {
        ZD => ["文明创建工作制度完善", "文明行为促进条例配套措施"],
        XC => ["“文明有礼”主题宣传", "新时代文明实践志愿服务"],
        ZL => ["不文明行为专项治理", "背街小巷文明共治"],
        _ => ["文明机关创建", "干部职工文明素养提升"],
    };
    format!("{short}{}", titles[n % 2])
}

/// "北京市商务局" → "市商务局"; names without the prefix stay as they are.
fn short_name(name: &str) -> String {
    name.strip_prefix("北京").map_or_else(|| name.to_owned(), ToOwned::to_owned)
}

fn key_task_for(class: &str, i: usize) -> &'static str {
    match class {
        ZD => "T1",
        XC => ["T2", "T3", "T5"][i % 3],
        ZL => "T4",
        _ => "T3",
    }
}

/// Whether a 2020 summary is one the bulletin cites: those open with the unit's name, the
/// invented ones do not. The office picks them as the report's examples.
fn cited(achieved: &str) -> bool {
    ["市", "中央", "中直", "国家", "中国铁路"].iter().any(|p| achieved.starts_with(p))
}

fn date(year: i16, month: i8, day: i8) -> Date {
    Date::new(year, month, day).expect("a real date")
}

/// Beijing 10:00 on `day`, plus `minutes`.
fn at(day: Date, minutes: i64) -> Timestamp {
    day.at(10, 0, 0, 0).to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("Asia/Shanghai")).expect("a Beijing time").timestamp()
        + SignedDuration::from_mins(minutes)
}

fn draft(year: i16, class: &str, key_task: &str, title: &str, rng: &mut StdRng) -> ProjectDraft {
    let responsible = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"][rng.random_range(0..10)];
    ProjectDraft {
        class: class.to_owned(),
        key_task: key_task.to_owned(),
        title: title.to_owned(),
        goals: format!("围绕首都文明委{year}年重点任务，完成{title}，形成可复制推广的经验做法。"),
        measures: "制定实施方案，明确责任分工；按季度推进并报送进展；年底总结成效、报送佐证材料。".to_owned(),
        milestones: vec![
            Milestone { title: "制定实施方案".into(), due: date(year, 3, 31), done_on: None },
            Milestone { title: "中期推进".into(), due: date(year, 6, 30), done_on: None },
            Milestone { title: "总结评估".into(), due: date(year, 11, 30), done_on: None },
        ],
        responsible: format!("{responsible}{}", ["处长", "主任", "副处长", "科长"][rng.random_range(0..4)]),
        evidence: "实施方案、工作简报、媒体报道、活动照片".to_owned(),
    }
}

/// One project's history: each step decided by the domain as it would have been then.
struct History<'a> {
    year: &'a LedgerYear,
    tasks: &'a [KeyTask],
    project: Project,
    events: Vec<ProjectEvent>,
}

impl History<'_> {
    fn step(&mut self, actor: &Actor, command: ProjectCommand, when: Timestamp) -> anyhow::Result<()> {
        let ctx = LedgerContext { year: self.year, key_tasks: self.tasks, unit_projects: 0 };
        let change = decide(&self.project, &command, actor, &ctx)?;
        let event = ProjectEvent { seq: self.project.version + 1, at: when, actor: actor.clone(), change };
        self.project.apply(&event);
        self.events.push(event);
        Ok(())
    }
}

/// Adds the member units, their liaisons, the 2020 ledger (closed) and the current year's (in
/// progress as of `now`). `member_user` is the demo's member-unit user (its unit's liaison);
/// `office` the demo supervisor.
pub async fn seed(store: &Store, units: &[Unit], office: &Actor, member_user: &Actor, now: Timestamp) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(2178);
    let mut liaisons = Vec::new();
    for (i, (code, name, tier, _)) in MEMBERS.iter().enumerate() {
        if !units.iter().any(|u| u.code == *code) {
            let unit = Unit { code: super::demo_code(code), name: (*name).into(), kind: UnitKind::MemberUnit, regions: vec!["110000000000".into()], types: vec![] };
            store.people().put_unit(&unit, now).await?;
        }
        let liaison = if member_user.unit.as_deref() == Some(*code) {
            member_user.clone()
        } else {
            let user = store
                .people()
                .create_user(
                    &NewUser {
                        username: format!("liaison-{code}"),
                        display_name: format!("{name}联络员"),
                        role: Role::MemberUnit,
                        unit: Some(super::demo_code(code)),
                        password_hash: super::LOCKED.into(),
                    },
                    now,
                )
                .await?;
            Actor { user_id: user.id, username: user.username, role: user.role, unit: user.unit }
        };
        let contact = ["王", "李", "张", "刘", "陈", "杨"][i % 6];
        store
            .ledger()
            .put_member(&MemberUnit {
                unit: super::demo_code(code),
                tier: *tier,
                contact_name: format!("{contact}{}", ["老师", "同志"][i % 2]),
                contact_phone: format!("010-{:08}", 55_560_000 + i * 7),
            })
            .await?;
        liaisons.push(liaison);
    }
    seed_2020(store, office, &liaisons, &mut rng).await?;
    let current = i32::from(day_of(now).year());
    if current > 2020 {
        seed_current(store, office, &liaisons, current, now, &mut rng).await?;
    }
    Ok(())
}

async fn open_year(store: &Store, year: i32, tasks: &[(&str, &str)]) -> anyhow::Result<(LedgerYear, Vec<KeyTask>)> {
    let ledger_year = LedgerYear::new(year, None, None)?;
    store.ledger().put_year(&ledger_year).await?;
    let tasks: Vec<KeyTask> = tasks.iter().map(|(code, title)| KeyTask { year, code: (*code).into(), title: (*title).into() }).collect();
    for task in &tasks {
        store.ledger().put_key_task(task).await?;
    }
    Ok((ledger_year, tasks))
}

/// The project's proposal on `day`, decided as the unit's liaison.
fn proposal<'a>(year: &'a LedgerYear, tasks: &'a [KeyTask], unit: &str, liaison: &Actor, d: ProjectDraft, when: Timestamp, n: usize) -> anyhow::Result<History<'a>> {
    let ctx = LedgerContext { year, key_tasks: tasks, unit_projects: n };
    let unit = super::demo_code(unit);
    let change = decide_proposal(&unit, &d, liaison, &ctx)?;
    let event = ProjectEvent { seq: 1, at: when, actor: liaison.clone(), change };
    let mut project = Project::proposed(0, year.year, &unit, d);
    project.apply(&event);
    Ok(History { year, tasks, project, events: vec![event] })
}

async fn seed_2020(store: &Store, office: &Actor, liaisons: &[Actor], rng: &mut StdRng) -> anyhow::Result<()> {
    let (year, tasks) = open_year(store, 2020, &KEY_TASKS_2020).await?;
    let mut histories = Vec::new();
    for ((code, _, _, projects), liaison) in MEMBERS.iter().zip(liaisons) {
        for (n, (class, title, achieved)) in projects.iter().enumerate() {
            let d = draft(2020, class, key_task_for(class, histories.len()), title, rng);
            let proposed = date(2020, 1, 6 + rng.random_range(0..14));
            let mut h = proposal(&year, &tasks, code, liaison, d.clone(), at(proposed, 0), n)?;
            if rng.random_bool(0.12) {
                h.step(office, ProjectCommand::Return { guidance: "请对标文明委重点任务，细化年度目标和节点安排。".into() }, at(proposed, 60 * 24 * 5))?;
                let mut revised = d;
                revised.measures = format!("{}细化到季度节点，明确牵头处室。", revised.measures);
                h.step(liaison, ProjectCommand::Revise { draft: revised }, at(proposed, 60 * 24 * 12))?;
            }
            h.step(office, ProjectCommand::Accept { note: Some("同意立项".into()) }, at(date(2020, 2, 20 + rng.random_range(0..9)), 0))?;
            h.step(liaison, report("完成实施方案制定并启动实施。", vec![0]), at(date(2020, 3, 25 + rng.random_range(0..6)), 0))?;
            h.step(liaison, report("按计划推进，开展阶段性活动。", vec![1]), at(date(2020, 6, 15 + rng.random_range(0..14)), 0))?;
            let light = light(rng);
            h.step(office, check(light), at(date(2020, 7, 10 + rng.random_range(0..12)), 0))?;
            h.step(liaison, report("完成全年主要任务，开展总结评估。", vec![2]), at(date(2020, 11, 16 + rng.random_range(0..14)), 0))?;
            h.step(
                liaison,
                ProjectCommand::SubmitClosure { outcome: Outcome::Completed, summary: (*achieved).into(), evidence: "总结报告、媒体报道、活动照片".into() },
                at(date(2020, 12, 1 + rng.random_range(0..12)), 0),
            )?;
            let rating = if cited(achieved) {
                Rating::Excellent
            } else {
                [Rating::Excellent, Rating::Good, Rating::Good, Rating::Good, Rating::Fair][rng.random_range(0..5)]
            };
            let comment = if rating == Rating::Excellent { "成效显著，经验可推广。" } else { "完成年度目标。" };
            h.step(office, ProjectCommand::Close { outcome: Outcome::Completed, rating, comment: comment.into() }, at(date(2020, 12, 18 + rng.random_range(0..10)), 0))?;
            if cited(achieved) {
                h.step(office, ProjectCommand::PickExample { excerpt: (*achieved).into() }, at(date(2021, 1, 12), 0))?;
            }
            h.step(office, ProjectCommand::Archive, at(date(2021, 1, 20), 0))?;
            histories.push((h.project, h.events));
        }
    }
    store.ledger().create(&histories).await?;
    store.ledger().close_year(2020, at(date(2021, 1, 25), 0)).await?;
    Ok(())
}

fn report(text: &str, milestones_done: Vec<usize>) -> ProjectCommand {
    ProjectCommand::Report { text: text.into(), figures: vec![], files: vec![], milestones_done }
}

fn light(rng: &mut StdRng) -> Light {
    match rng.random_range(0..100) {
        0..70 => Light::Green,
        70..92 => Light::Yellow,
        _ => Light::Red,
    }
}

fn check(light: Light) -> ProjectCommand {
    let (assessment, comment) = match light {
        Light::Green => ("项目按节点推进，阶段成效明显。", "继续保持，注意总结经验做法。"),
        Light::Yellow => ("部分节点滞后，需加快推进。", "请倒排工期，确保年底完成。"),
        Light::Red => ("项目进展明显滞后。", "请说明原因并报送整改计划。"),
    };
    ProjectCommand::Check { assessment: assessment.into(), comment: comment.into(), light }
}

/// The current year as of `now`: every step whose day has come. Proposals in January, acceptance
/// in February, reports in spring, the mid-year check in July, further reports and — in
/// December — the first year-end summaries.
async fn seed_current(store: &Store, office: &Actor, liaisons: &[Actor], year_number: i32, now: Timestamp, rng: &mut StdRng) -> anyhow::Result<()> {
    let (year, tasks) = open_year(store, year_number, &KEY_TASKS_NOW).await?;
    let y = i16::try_from(year_number)?;
    let mut histories = Vec::new();
    for ((code, name, _, projects), liaison) in MEMBERS.iter().zip(liaisons) {
        for (n, (class, _, _)) in projects.iter().enumerate() {
            let title = current_title(&short_name(name), class, n);
            let d = draft(y, class, ["T1", "T2", "T3", "T4"][(histories.len() + n) % 4], &title, rng);
            let proposed = at(date(y, 1, 8 + rng.random_range(0..14)), 0);
            if proposed >= now {
                continue;
            }
            let mut h = proposal(&year, &tasks, code, liaison, d, proposed, n)?;
            // One project in twenty is never reported on: its unit is on the board's 未报送 list.
            let silent = rng.random_bool(0.05);
            let diligent = !silent && rng.random_bool(0.7);
            let light = if silent { Light::Red } else { light(rng) };
            let steps: [(Date, &Actor, ProjectCommand); 5] = [
                (date(y, 2, 20 + rng.random_range(0..8)), office, ProjectCommand::Accept { note: Some("同意立项".into()) }),
                (date(y, 3, 24 + rng.random_range(0..7)), liaison, report("实施方案已印发，项目启动。", vec![0])),
                (date(y, 6, 16 + rng.random_range(0..12)), liaison, report("阶段任务完成，开展中期自查。", if light == Light::Red { vec![] } else { vec![1] })),
                (date(y, 7, 8 + rng.random_range(0..14)), office, check(light)),
                (date(y, 10 + rng.random_range(0..2), 5 + rng.random_range(0..20)), liaison, report("完成全年主要任务，正在总结评估。", vec![2])),
            ];
            for (i, (day, actor, command)) in steps.into_iter().enumerate() {
                // About three projects in ten are not reported on again after the check: their last milestone runs late.
                if at(day, 0) >= now || (i == 4 && !diligent) {
                    break;
                }
                if silent && i != 0 && i != 3 {
                    continue;
                }
                h.step(actor, command, at(day, 0))?;
            }
            let summary_day = at(date(y, 12, 1 + rng.random_range(0..4)), 0);
            if diligent && summary_day < now && rng.random_bool(0.5) {
                h.step(
                    liaison,
                    ProjectCommand::SubmitClosure { outcome: Outcome::Completed, summary: format!("{title}全面完成，形成年度总结。"), evidence: "总结报告、活动照片".into() },
                    summary_day,
                )?;
            }
            histories.push((h.project, h.events));
        }
    }
    store.ledger().create(&histories).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    #[test]
    fn the_2020_members_match_the_bulletins_counts() {
        let projects: usize = MEMBERS.iter().map(|m| m.3.len()).sum();
        assert_eq!((MEMBERS.len(), projects), (58, 114));
        let mut units_by_class: HashMap<&str, HashSet<&str>> = HashMap::new();
        for (code, _, _, projects) in MEMBERS {
            for (class, _, _) in projects {
                units_by_class.entry(class).or_default().insert(code);
            }
        }
        let counts = [ZD, XC, ZL, JG].map(|c| units_by_class[c].len());
        assert_eq!(counts, [8, 37, 7, 12], "市人大常委会等 8 家, 国务院国资委等 37 家, 市公安局等 7 家, 中央和国家机关工委等 12 家");
        let codes: HashSet<&str> = MEMBERS.iter().map(|m| m.0).collect();
        assert_eq!(codes.len(), 58, "codes are unique");
    }
}
