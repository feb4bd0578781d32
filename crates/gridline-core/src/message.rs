//! Refusals told as a stable code and its parameters, with a Chinese and an English text for every
//! code in one table ([`TEXTS`]). The edges render a [`Reason`] in the reader's language; the
//! English text is also what `Display` and the logs show.

use std::fmt;

/// The reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    Zh,
    #[default]
    En,
}

impl Lang {
    /// The language an `Accept-Language` header asks for first: Chinese for `zh…`, else English.
    pub fn from_accept_language(header: &str) -> Lang {
        let first = header.split(',').next().unwrap_or("").trim().to_ascii_lowercase();
        if first.starts_with("zh") { Lang::Zh } else { Lang::En }
    }
}

/// What an error answer says: the HTTP class it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Invalid,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    /// 413: an upload larger than its limit.
    TooLarge,
    /// 415: an upload of a type that is not kept.
    UnsupportedType,
    /// 503: the server lacks what the request needs (e.g. no attachments directory configured).
    Unavailable,
}

/// `(code, class, Chinese, English)`; `{name}` in a text is the parameter `name`. The class codes
/// of the API's error answers (`invalid`, `not_found`, …) are here too: they are what a reader
/// sees when a refusal has no more precise code.
pub const TEXTS: &[(&str, Option<Class>, &str, &str)] = &[
    // the classes of the API's answers
    ("bad_request", None, "请求格式有误", "the request is malformed"),
    ("malformed_json", None, "提交的数据格式有误", "the request body is not valid JSON"),
    ("invalid", Some(Class::Invalid), "“{field}”填写有误", "{field} is invalid"),
    ("invalid_files", None, "文件中有错误，请逐条修改后重新导入", "the files have problems"),
    ("unauthorized", Some(Class::Unauthorized), "请先登录", "sign in first"),
    ("forbidden", Some(Class::Forbidden), "您无权进行此操作", "you may not do this"),
    ("not_found", Some(Class::NotFound), "没有找到要访问的内容", "not found"),
    ("method_not_allowed", None, "不支持此请求方法", "this method is not allowed here"),
    ("conflict", Some(Class::Conflict), "案件状态已变化，此操作不能进行，请刷新后重试", "the action conflicts with the current state"),
    ("payload_too_large", None, "提交的内容过大", "the request body is too large"),
    ("too_many_requests", None, "登录失败次数过多，请稍后再试或请管理员解除锁定", "too many failed sign-ins; try again later"),
    ("unavailable", None, "服务暂时不可用，请稍后重试", "the server cannot answer now; try again later"),
    ("unsupported_media_type", None, "提交的数据类型不受支持", "unsupported content type"),
    ("internal", None, "服务器处理出错，已记录，请稍后重试", "the server failed to complete the request; it has been logged"),
    // precise refusals
    ("wrong_credentials", Some(Class::Unauthorized), "用户名或密码错误", "wrong username or password"),
    ("session_expired", Some(Class::Unauthorized), "登录已过期，请重新登录", "the session token is unknown or has expired; sign in again"),
    ("required", Some(Class::Invalid), "请填写“{field}”", "{field} must not be empty"),
    ("too_long", Some(Class::Invalid), "“{field}”不能超过 {max} 个字", "{field} is longer than {max} characters"),
    ("unknown_unit", Some(Class::Invalid), "没有代码为“{unit}”的单位", "unknown unit \"{unit}\""),
    ("unknown_region", Some(Class::Invalid), "没有代码为“{region}”的区域", "unknown region \"{region}\""),
    ("case_not_found", Some(Class::NotFound), "案件 {id} 不存在或您无权查看", "case {id} not found"),
    // the case list's and the export's filters
    // `unknown_value` also carries the accepted values in `known` (English codes: not in the texts).
    ("unknown_value", Some(Class::Invalid), "“{field}”没有“{value}”这一项", "unknown {field} \"{value}\""),
    ("unknown_category", Some(Class::Invalid), "没有代码为“{category}”的问题类别", "unknown category \"{category}\""),
    ("bad_date", Some(Class::Invalid), "“{field}”应为日期，如 2024-10-08，而不是“{value}”", "{field} is a date like 2024-10-08 or an RFC 3339 time, not \"{value}\""),
    // documents (公文)
    ("article_untitled", Some(Class::Invalid), "第 {number} 篇稿件没有标题", "article {number} has an empty title"),
    ("article_empty", Some(Class::Invalid), "第 {number} 篇稿件《{title}》没有正文", "article {number} ({title}) has an empty body"),
    ("article_no_section", Some(Class::Invalid), "第 {number} 篇稿件《{title}》没有栏目", "article {number} ({title}) has no section heading"),
    ("template_unknown_field", Some(Class::Invalid), "模板引用了公文数据中没有的字段“{name}”，未印发", "the template names a field the document has no data for: {name}"),
    ("nothing_to_report", Some(Class::NotFound), "{what}没有数据，未印发", "no data for {what}; nothing was issued"),
    ("quarter_not_over", Some(Class::Invalid), "{quarter}尚未结束（{end}结束），还不能点名，未印发", "{quarter} is not over until {end}: its alleys cannot be named yet; nothing was issued"),
    ("quarter_unscored", Some(Class::Invalid), "{area}的背街小巷{quarter}没有月评得分，无可点名，未印发", "no alley of {area} has a monthly score in {quarter}: there is nothing to name; nothing was issued"),
    (
        "snapshot_changed",
        Some(Class::Conflict),
        "预览之后公文的数据或期号已变化（快照 SHA-256 {actual}，预览时为 {expected}），未印发，请重新预览",
        "the document's data snapshot has sha256 {actual}, not the {expected} previewed: its data or its number changed since; preview it again (nothing was issued)",
    ),
    // attachments
    ("file_too_large", Some(Class::TooLarge), "文件过大，每个文件不能超过 {max_mb} MB", "the file is larger than {max_mb} MB"),
    ("photo_not_image", Some(Class::UnsupportedType), "照片必须是 JPEG、PNG 或 WebP 图片", "a photo must be a JPEG, PNG or WebP image"),
    ("file_type_refused", Some(Class::UnsupportedType), "只能上传图片（JPEG、PNG、WebP）、PDF、Word 或 Excel 文件", "only images (JPEG, PNG, WebP), PDF, Word and Excel files are accepted"),
    ("file_empty", Some(Class::Invalid), "上传的文件是空的", "the file is empty"),
    ("photo_unreadable", Some(Class::Invalid), "照片无法读取，文件可能已损坏", "the photo cannot be read; the file may be damaged"),
    ("photo_too_big", Some(Class::Invalid), "照片像素过多，不能超过 {max} 百万像素", "the photo has more than {max} megapixels"),
    ("too_many_files", Some(Class::Invalid), "一次最多上传 {max} 个文件", "at most {max} files per upload"),
    ("patrol_photos_without_problem", Some(Class::Invalid), "照片随问题上报：请先勾选发现的问题", "a patrol's photos go with its problems: tick the problems found first"),
    ("unknown_stage", Some(Class::Invalid), "附件环节“{stage}”无效，应为受理、处置、核查或回访", "unknown stage \"{stage}\"; one of intake, handling, verification, callback"),
    ("attachment_not_found", Some(Class::NotFound), "附件 {id} 不存在或您无权查看", "attachment {id} not found"),
    ("photo_not_uploaded", Some(Class::Invalid), "照片 {id} 不是您上传的照片，请重新拍照上传", "photo {id} is not a photo you uploaded; upload it again"),
    ("attachments_unavailable", Some(Class::Unavailable), "服务器未配置附件存储目录，暂不能上传或查看附件", "no attachments directory is configured on this server"),
    // the to-do inbox (gridline_app::inbox)
    ("inbox_item_unknown", Some(Class::Invalid), "待办事项“{item}”不在您的待办中（可能已处理）", "\"{item}\" is not an item of your inbox (it may have been dealt with)"),
    ("inbox_too_many", Some(Class::Invalid), "一次最多标记 {max} 条待办", "at most {max} inbox items at a time"),
    // administration: users, units, passwords
    ("bad_username", Some(Class::Invalid), "用户名须为 1 至 64 个字母、汉字、数字或“._-”", "a username is 1–64 letters, digits, '.', '_' or '-'"),
    ("weak_password", Some(Class::Invalid), "密码至少要 {min} 个字符", "the password must be at least {min} characters"),
    ("username_taken", Some(Class::Conflict), "用户名“{username}”已被使用", "user {username} already exists"),
    ("unit_required", Some(Class::Invalid), "此角色须属于一个单位，请选择所属单位", "this role works for a unit: give its unit"),
    ("wrong_old_password", Some(Class::Invalid), "原密码不正确", "the old password is wrong"),
    ("user_not_found", Some(Class::NotFound), "用户 {id} 不存在", "user {id} not found"),
    ("own_account", Some(Class::Conflict), "不能停用自己的账号，也不能取消自己的管理员角色", "you cannot disable your own account or take away your own administrator role"),
    ("own_password", Some(Class::Conflict), "自己的密码请用页面顶部的“修改密码”修改（需输入原密码）", "change your own password with POST /api/v1/me/password, which asks for the old one"),
    ("account_disabled", Some(Class::Unauthorized), "此账号已停用，请联系管理员", "this account is disabled; ask an administrator"),
    ("unit_code_taken", Some(Class::Conflict), "单位代码“{unit}”已被使用", "unit {unit} already exists"),
    ("unit_not_found", Some(Class::NotFound), "单位“{unit}”不存在", "unit {unit} not found"),
    ("unknown_unit_type", Some(Class::Invalid), "没有“{type}”这一承办类型", "unknown unit type \"{type}\""),
    // the problems of a file an office sends (FileProblem): each told with its row by the page
    ("bad_cell", Some(Class::Invalid), "“{column}”一栏填写有误", "{column} is invalid"),
    ("bad_row", Some(Class::Invalid), "这一行填写有误", "this row is invalid"),
    ("missing_column", Some(Class::Invalid), "表头没有“{column}”一栏；应有的栏目：{columns}", "the header row has no column {column}; the columns are {columns}"),
    ("no_rows", Some(Class::Invalid), "表头下面没有数据行", "no rows below the headers"),
    ("not_xlsx", Some(Class::Invalid), "不是可读取的 XLSX 工作簿", "not a readable XLSX workbook"),
    ("workbook_no_sheet", Some(Class::Invalid), "工作簿中没有工作表", "the workbook has no sheet"),
    ("sheet_unreadable", Some(Class::Invalid), "工作表“{sheet}”无法读取", "sheet {sheet} cannot be read"),
    ("not_csv", Some(Class::Invalid), "不是有效的 CSV 文件", "not CSV"),
    ("not_in_encoding", Some(Class::Invalid), "文件不是有效的 {encoding} 文本", "not valid {encoding} text"),
    (
        "not_utf8",
        Some(Class::Invalid),
        "文件不是 UTF-8 文本（第 {byte} 字节），像是 GBK/GB18030 文件：请注明其编码（命令行 --encoding gb18030，接口 encoding=gb18030），或另存为 XLSX 或 UTF-8 CSV。未写入任何内容。",
        "not UTF-8 text (byte {byte}); it looks like a GBK/GB18030 file: give its encoding (--encoding gb18030 on the command line, encoding=gb18030 over HTTP), or save it as XLSX or UTF-8 CSV. Nothing was written.",
    ),
    ("rows_duplicate", Some(Class::Invalid), "文件中的内容与已有记录重复（可能有人同时导入），未写入任何内容", "the file repeats what is already registered (imported at the same time?); nothing was written"),
    // the ledger's import
    ("not_member_unit", Some(Class::Invalid), "“单位”一栏的“{unit}”不是成员单位", "单位: \"{unit}\" is not a member unit of the committee"),
    ("milestone_no_date", Some(Class::Invalid), "节点安排“{entry}”没有以日期开头（如 2026-03-31）", "节点安排: \"{entry}\" does not start with a date such as 2026-03-31"),
    ("milestone_no_title", Some(Class::Invalid), "节点安排“{entry}”有日期但没有内容", "节点安排: \"{entry}\" has a date but no title"),
    ("no_milestone", Some(Class::Invalid), "没有节点安排：每行写一个，如“2026-03-31 制定方案”", "节点安排: no milestone: write one a line, as 2026-03-31 制定方案"),
    ("project_twice", Some(Class::Invalid), "{unit}在 {year} 年已有名为“{title}”的项目", "项目名称: {unit} already has a project titled \"{title}\" in {year}"),
    // the inspection points' import
    ("not_a_number", Some(Class::Invalid), "“{column}”一栏的“{value}”不是数字", "{column}: \"{value}\" is not a number"),
    ("not_lat_lon", Some(Class::Invalid), "“线路”一栏的“{pair}”不是“纬度,经度”", "线路: \"{pair}\" is not 纬度,经度"),
    ("point_no_location", Some(Class::Invalid), "没有位置：请填写纬度和经度，或者线路", "纬度 and 经度, or 线路: the point has no location"),
    ("point_two_locations", Some(Class::Invalid), "纬度、经度和线路只能填一种", "纬度 and 经度, or 线路: not both"),
    ("unknown_point_type", Some(Class::Invalid), "“类型”一栏的“{value}”不是点位类型（应为：{known}）", "类型: unknown point type \"{value}\"; one of {known}"),
    ("unknown_unit_cell", Some(Class::Invalid), "“{column}”一栏的“{unit}”既不是单位代码也不是单位名称", "{column}: \"{unit}\" is neither a unit's code nor its name"),
    ("code_twice", Some(Class::Invalid), "编码“{code}”在文件中出现了两次", "编码: \"{code}\" is used twice in the file"),
    ("code_registered", Some(Class::Invalid), "编码“{code}”已经登记过", "编码: \"{code}\" is registered already"),
    // shared by the files below
    ("toml_syntax", Some(Class::Invalid), "文件“{file}”此处不是有效的 TOML 写法（请检查引号、等号、方括号和字段名）", "{file} is not valid TOML here"),
    ("sheet_empty", Some(Class::Invalid), "工作表“{sheet}”是空的", "the sheet {sheet} is empty"),
    ("sheet_missing", Some(Class::Invalid), "工作簿中没有名为“{sheet}”的工作表", "the workbook has no sheet named {sheet}"),
    ("bad_header", Some(Class::Invalid), "表头应为“{columns}”，而不是“{found}”", "the header must be {columns}, not {found}"),
    ("cells_required", Some(Class::Invalid), "“{columns}”必须填写", "{columns} must be filled in"),
    ("number_below", Some(Class::Invalid), "“{column}”一栏的“{value}”应为不小于 {min} 的数", "{column}: \"{value}\" is not a number of at least {min}"),
    ("number_out_of_range", Some(Class::Invalid), "“{column}”一栏的“{value}”应为 {min} 至 {max} 之间的数", "{column}: \"{value}\" is not a number from {min} to {max}"),
    ("unknown_cell_value", Some(Class::Invalid), "“{column}”一栏的“{value}”不是可填的值（应为：{known}）", "{column}: unknown value \"{value}\"; one of {known}"),
    ("not_a_date", Some(Class::Invalid), "“{column}”一栏的“{value}”应为日期（如 2024-10-08）或时间", "{column}: \"{value}\" is neither a date YYYY-MM-DD nor a time"),
    ("not_yes_no", Some(Class::Invalid), "“{column}”一栏的“{value}”应为“是”或“否”", "{column} is yes or no, not \"{value}\""),
    ("rows_not_together", Some(Class::Invalid), "“{column}”为“{code}”的各行须排在一起", "the rows of {column} {code} must be together"),
    // the catalogue (catalogue.toml)
    ("no_entries", Some(Class::Invalid), "目录中没有任何条目", "the catalogue has no entries"),
    ("bad_code", Some(Class::Invalid), "代码“{code}”应为 1 至 {max} 个字母、数字、“-”或“.”", "code \"{code}\": 1–{max} letters, digits, '-' or '.'"),
    ("entry_no_name", Some(Class::Invalid), "条目“{code}”没有名称", "entry {code} has no name"),
    ("entry_own_parent", Some(Class::Invalid), "条目“{code}”的上级是它自己", "entry {code} is its own parent"),
    ("attribute_twice", Some(Class::Invalid), "条目“{code}”的属性“{attribute}”出现了两次", "entry {code}: attribute {attribute} appears twice"),
    ("attribute_values", Some(Class::Invalid), "条目“{code}”的属性“{attribute}”：列表类属性须有可选值，其他属性不能有", "entry {code}: attribute {attribute} has values exactly when it is a list"),
    ("unknown_parent", Some(Class::Invalid), "条目“{code}”的上级“{parent}”不在目录中", "entry {code} names unknown parent {parent}"),
    ("parent_cycle", Some(Class::Invalid), "条目“{code}”的上下级关系构成了循环", "entry {code} is inside a cycle of parents"),
    ("entry_no_time_limit", Some(Class::Invalid), "条目“{code}”及其上级都没有处置时限", "entry {code} has no time limit, nor any ancestor"),
    ("entry_no_unit_type", Some(Class::Invalid), "条目“{code}”及其上级都没有承办类型", "entry {code} has no unit type, nor any ancestor"),
    ("entry_unknown_unit_type", Some(Class::Invalid), "条目“{code}”的承办类型“{type}”在分派规则文件中没有定义", "entry {code} names unknown unit type {type}"),
    // the routing rules (routing.toml)
    ("unit_type_incomplete", Some(Class::Invalid), "承办类型须有代码和名称", "a unit type needs a code and a name"),
    ("unit_type_twice", Some(Class::Invalid), "承办类型“{type}”定义了两次", "unit type {type} is defined twice"),
    ("rule_no_id", Some(Class::Invalid), "规则没有编号", "a rule needs an id"),
    ("rule_twice", Some(Class::Invalid), "规则编号“{rule}”重复（第一次在第 {first} 行）", "rule id {rule} is used twice (first on line {first})"),
    ("rule_unknown_entry", Some(Class::Invalid), "规则“{rule}”中的问题类别“{entry}”不在目录中", "rule {rule} names unknown catalogue entry {entry}"),
    ("rule_unknown_region", Some(Class::Invalid), "规则“{rule}”中的区域“{region}”不存在", "rule {rule} names unknown region {region}"),
    ("rule_unknown_unit_type", Some(Class::Invalid), "规则“{rule}”中的承办类型“{type}”没有定义", "rule {rule} names unknown unit type {type}"),
    ("rule_unit_or_type", Some(Class::Invalid), "规则“{rule}”须指定承办类型或承办单位二者之一", "rule {rule} needs either unit_type or unit, not both or neither"),
    ("rule_window_reversed", Some(Class::Invalid), "规则“{rule}”的时段开始 {from} 晚于结束 {until}", "rule {rule}: window from {from} is after until {until}"),
    ("rule_contradicts", Some(Class::Invalid), "规则“{rule}”与第 {line} 行的规则“{other}”冲突：问题类别、区域和时段都相同", "rule {rule} contradicts rule {other} (line {line}): same entries, regions and time"),
    ("rule_unknown_unit", Some(Class::Invalid), "规则“{rule}”中的承办单位“{unit}”不存在", "rule {rule} names unknown unit {unit}"),
    // the crosswalk (crosswalk.csv)
    ("maps_to_unknown", Some(Class::Invalid), "来源代码“{code}”对应的条目“{entry}”不在目录中", "{code} maps to unknown entry {entry}"),
    ("maps_to_group", Some(Class::Invalid), "来源代码“{code}”对应的“{entry}”是分组，请对应到其下的具体条目", "{code} maps to {entry}, a group; map to one of its entries"),
    ("source_code_twice", Some(Class::Invalid), "来源代码“{scheme} {code}”出现了两次", "{scheme} {code} appears twice"),
    // the indicator system (测评体系)
    ("bad_year", Some(Class::Invalid), "年度 {year} 不合理", "{year} is not a plausible year"),
    ("system_no_name", Some(Class::Invalid), "测评体系没有名称", "the system needs a name"),
    ("bad_method_weights", Some(Class::Invalid), "各测评方法的权重须不小于 0，且不能全为 0", "method weights must be at least 0 and not all 0"),
    ("system_no_category", Some(Class::Invalid), "测评体系没有任何类别", "the system has no category"),
    ("code_empty", Some(Class::Invalid), "有一项的代码是空的", "a code must not be empty"),
    ("indicator_code_twice", Some(Class::Invalid), "代码“{code}”用了两次", "the code {code} is used twice"),
    ("points_do_not_add_up", Some(Class::Invalid), "“{code}”下各项分值合计 {sum} 分，与其 {points} 分不符", "{code}: its parts add up to {sum} points, not its {points}"),
    ("total_does_not_add_up", Some(Class::Invalid), "各类别分值合计 {sum} 分，与总分 {total} 分不符", "the categories add up to {sum} points, not the total {total}"),
    ("item_no_clause", Some(Class::Invalid), "指标“{code}”没有测评内容", "the item {code} has no clause"),
    ("clause_no_text", Some(Class::Invalid), "测评内容“{code}”没有文字", "the clause {code} has no text"),
    ("clause_points", Some(Class::Invalid), "测评内容“{code}”的分值应为正数，而不是 {points}", "{code}: points must be positive, not {points}"),
    ("clause_rule_value", Some(Class::Invalid), "测评内容“{code}”的评分规则数值 {value} 无效（扣分和目标值须为正数，达标线不能小于 0）", "{code}: the scoring rule's value {value} is out of range"),
    ("clause_floor", Some(Class::Invalid), "测评内容“{code}”的最低分 {floor} 应不小于 0 且低于其 {points} 分", "{code}: the floor {floor} must be at least 0 and below the clause's {points} points"),
    ("field_check_no_point_types", Some(Class::Invalid), "实地考察内容“{code}”须列出适用的点位类型", "{code}: a field check must name the point types it applies to"),
    ("field_check_no_observe", Some(Class::Invalid), "实地考察内容“{code}”须写明考察什么", "{code}: a field check must say what the inspector observes"),
    ("field_check_no_category", Some(Class::Invalid), "实地考察内容“{code}”须指定发现问题时立案的目录条目", "{code}: a field check must name the catalogue entry its failures are filed under"),
    ("field_check_bad_category", Some(Class::Invalid), "实地考察内容“{code}”的问题类别“{category}”不是目录中可立案的条目", "{code}: {category} is not an entry of the catalogue that cases can be filed under"),
    ("not_field_check", Some(Class::Invalid), "测评内容“{code}”不是实地考察，不应填写点位类型和问题类别", "{code}: point types and a case category belong to field checks only"),
    ("platform_no_metric", Some(Class::Invalid), "平台数据测评内容“{code}”须指定所依据的数据", "{code}: a platform-data clause must name its metric"),
    ("metric_not_platform", Some(Class::Invalid), "测评内容“{code}”不是平台数据测评，不应指定数据", "{code}: only platform-data clauses have a metric"),
    // questionnaires: the XLSForm's sheets and the answers' import
    ("group_nested", Some(Class::Invalid), "不支持组内再套组", "a group inside a group is not supported"),
    ("group_relevant", Some(Class::Invalid), "组不能有显示条件（“{column}”一栏），请把条件写在组内各题上", "{column} on a group is not supported: put the condition on its questions"),
    ("group_end_unmatched", Some(Class::Invalid), "此行结束一个组，但前面没有开始组的行", "end group without a begin group"),
    ("group_not_ended", Some(Class::Invalid), "此行开始的组没有结束", "the group begun here is never ended (end group)"),
    ("repeat_unsupported", Some(Class::Invalid), "不支持重复组", "repeats are not supported"),
    ("column_unsupported", Some(Class::Invalid), "问题“{name}”：不支持“{column}”一栏", "the column {column} is not supported (question {name})"),
    ("list_name_missing", Some(Class::Invalid), "题型“{type}”后须写选项列表的名称", "{type} needs a list name"),
    ("unknown_list", Some(Class::Invalid), "选项工作表中没有名为“{list}”的列表", "the choices sheet has no list {list}"),
    ("unknown_question_type", Some(Class::Invalid), "不支持题型“{type}”（支持：{known}）", "unknown question type \"{type}\" (supported: {known})"),
    ("question_no_type", Some(Class::Invalid), "问题“{name}”没有题型", "question \"{name}\" has no type"),
    ("bad_question_name", Some(Class::Invalid), "“{name}”不是有效的问题名（以字母或下划线开头，其后为字母、数字、下划线、“-”或“.”）", "\"{name}\" is not a valid question name (a letter or _, then letters, digits, _ - .)"),
    ("question_name_twice", Some(Class::Invalid), "问题名“{name}”在第 {first} 行已用过", "the name {name} is used before, on row {first}"),
    ("question_no_label", Some(Class::Invalid), "问题“{name}”没有题目文字", "question {name} has no label"),
    ("relevant_unreadable", Some(Class::Invalid), "问题“{name}”的显示条件无法解析", "the relevant of {name} cannot be read"),
    ("relevant_self", Some(Class::Invalid), "问题“{name}”的显示条件引用了它自己", "the relevant of {name} refers to the question itself"),
    ("relevant_not_before", Some(Class::Invalid), "问题“{name}”的显示条件引用的“{reference}”不是它前面的问题", "the relevant of {name} refers to {reference}, which is no question before it"),
    ("relevant_not_a_choice", Some(Class::Invalid), "问题“{name}”的显示条件把“{reference}”与“{value}”比较，但它没有这个选项", "the relevant of {name} compares {reference} with '{value}', which is not one of its choices"),
    ("weight_without_scores", Some(Class::Invalid), "问题“{name}”有权重，但其选项都没有分值", "question {name} has a weight but none of its choices has a score"),
    ("clause_without_scores", Some(Class::Invalid), "问题“{name}”对应了测评内容，但其选项都没有分值", "question {name} gives a clause its value but none of its choices has a score"),
    ("note_required", Some(Class::Invalid), "说明“{name}”不能设为必答", "the note {name} cannot be required"),
    ("no_question", Some(Class::Invalid), "问卷中没有任何问题", "the form has no question"),
    ("too_many_questions", Some(Class::Invalid), "问卷有 {count} 个问题，最多只能有 {max} 个", "{count} questions: at most {max}"),
    ("choice_no_name", Some(Class::Invalid), "列表“{list}”中有一个选项没有名称", "a choice of list {list} has no name"),
    ("duplicate_choice", Some(Class::Invalid), "列表“{list}”中的选项“{name}”出现了两次", "list {list} has the choice {name} twice"),
    ("column_not_question", Some(Class::Invalid), "“{column}”一栏不是本问卷的问题", "column \"{column}\" is no question of the questionnaire"),
    // a questionnaire's answers (a response sent, or a row of an import)
    ("answer_unknown_question", Some(Class::Invalid), "本问卷没有问题“{name}”", "the questionnaire has no question \"{name}\""),
    ("answer_required", Some(Class::Invalid), "请回答问题“{label}”（{name}）", "question {name} ({label}) must be answered"),
    ("answer_not_asked", Some(Class::Invalid), "按前面的回答，问题“{name}”不应作答（显示条件：{relevant}）", "question {name} is not asked with these answers (relevant: {relevant})"),
    ("answer_not_a_choice", Some(Class::Invalid), "“{value}”不是问题“{name}”的选项", "\"{value}\" is not a choice of question {name}"),
    ("answer_chosen_twice", Some(Class::Invalid), "问题“{name}”中“{value}”选了两次", "\"{value}\" is chosen twice in question {name}"),
    ("answer_takes_choice", Some(Class::Invalid), "问题“{name}”应填一个选项", "question {name} takes one choice's name"),
    ("answer_takes_choices", Some(Class::Invalid), "问题“{name}”应填所选选项的列表", "question {name} takes a list of choices"),
    ("answer_takes_integer", Some(Class::Invalid), "问题“{name}”应填整数", "question {name} takes a whole number"),
    ("answer_takes_number", Some(Class::Invalid), "问题“{name}”应填数字", "question {name} takes a number"),
    ("answer_takes_text", Some(Class::Invalid), "问题“{name}”应填文字", "question {name} takes a text"),
    ("answer_too_long", Some(Class::Invalid), "问题“{name}”的回答不能超过 {max} 个字", "question {name} takes at most {max} characters"),
    ("answer_to_note", Some(Class::Invalid), "“{name}”是说明，不用回答", "question {name} takes no answer (it is a note)"),
    ("no_answer", Some(Class::Invalid), "没有回答任何问题", "no question is answered"),
    // the alleys' register
    ("outside_city", Some(Class::Invalid), "线路上的点（{lat}, {lon}）不在本市的街道范围内", "line: ({lat}, {lon}) lies outside the city's streets"),
];

/// The Latin words a Chinese text may hold: names of formats and units that Chinese offices
/// write in Latin letters too. Anything else in Latin letters in a Chinese text is English.
pub const LATIN_IN_CHINESE: &[&str] = &[
    "--encoding gb18030", "encoding=gb18030", "GBK/GB18030", "GB18030", "UTF-8", "XLSX", "CSV", "JPEG", "PNG", "WebP", "PDF", "Word",
    "Excel", "SHA-256", "MB", "TOML",
];

/// Whether `text` (a Chinese text, with its parameters left out) holds English: Latin letters
/// other than [`LATIN_IN_CHINESE`].
pub fn has_english(text: &str) -> bool {
    let mut rest = text.to_owned();
    for word in LATIN_IN_CHINESE {
        rest = rest.replace(word, "");
    }
    rest.chars().any(|c| c.is_ascii_alphabetic())
}

/// The field names a refusal can name, `(field, Chinese, English)`; a field not listed is shown
/// as its name.
pub const FIELDS: &[(&str, &str, &str)] = &[
    ("amount", "时长", "amount"),
    ("category", "问题类别", "category"),
    ("description", "问题描述", "description"),
    ("into", "并入案件编号", "case to merge into"),
    ("note", "意见", "note"),
    ("photos", "照片", "photos"),
    ("reason", "理由", "reason"),
    ("region", "所在区域", "region"),
    ("target", "对象", "target"),
    ("title", "标题", "title"),
    ("unit", "承办单位", "unit"),
    ("username", "用户名", "username"),
    ("password", "密码", "password"),
    ("lat", "纬度", "latitude"),
    ("lon", "经度", "longitude"),
    ("address", "地址", "address"),
    ("articles", "稿件", "articles"),
    ("template", "模板", "template"),
    ("period", "期间", "period"),
    ("year", "年度", "year"),
    ("level", "层级", "level"),
    ("format", "格式", "format"),
    ("corrects", "更正的公文", "corrected document"),
    ("order", "督办单", "supervision order"),
    ("kind", "种类", "kind"),
    ("file", "文件", "file"),
    ("stage", "环节", "stage"),
    ("status", "状态", "status"),
    ("channel", "渠道", "channel"),
    ("overdue", "是否超期", "overdue"),
    ("from", "起始日期", "from"),
    ("to", "截止日期", "to"),
    ("q", "关键词", "q"),
    ("page", "页码", "page"),
    ("page_size", "每页条数", "page_size"),
    ("lang", "语言", "lang"),
    ("role", "角色", "role"),
    ("display_name", "姓名", "display name"),
    ("old_password", "原密码", "old password"),
    ("new_password", "新密码", "new password"),
    ("regions", "覆盖区域", "regions"),
    ("types", "承办类型", "unit types"),
    ("name", "名称", "name"),
    ("code", "代码", "code"),
    ("actor", "操作人", "actor"),
    ("subject", "对象", "subject"),
    ("limit", "条数", "limit"),
    // the dashboard map's query (GET /api/v1/dashboard/map)
    ("cases", "案件范围", "cases"),
    ("precision", "网格精度", "precision"),
    // the catalogue's search, a questionnaire's upload and answers
    ("within", "所属分类", "within"),
    ("xlsform", "问卷文件", "XLSForm"),
    ("respondent", "答卷人标识", "respondent"),
    ("street", "街道", "street"),
    ("answers", "回答", "answers"),
];

/// The label of a field in `lang`.
pub fn field_label(field: &str, lang: Lang) -> &str {
    FIELDS
        .iter()
        .find(|(name, _, _)| *name == field)
        .map_or(field, |(_, zh, en)| if lang == Lang::Zh { zh } else { en })
}

/// A refusal: a code of [`TEXTS`] and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    code: &'static str,
    field: Option<&'static str>,
    params: Vec<(&'static str, String)>,
}

impl Reason {
    /// # Panics
    /// When `code` is not in [`TEXTS`]: a programming error, caught by the tests that meet it.
    pub fn new(code: &'static str) -> Reason {
        assert!(entry(code).is_some(), "no text for the refusal code {code}");
        Reason { code, field: None, params: Vec::new() }
    }

    /// The refusal concerns the input field `field` (also the `{field}` parameter).
    pub fn on(mut self, field: &'static str) -> Reason {
        self.field = Some(field);
        self
    }

    pub fn with(mut self, name: &'static str, value: impl fmt::Display) -> Reason {
        self.params.push((name, value.to_string()));
        self
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn field(&self) -> Option<&'static str> {
        self.field
    }

    /// The parameters, the field included.
    pub fn params(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.field.map(|f| ("field", f)).into_iter().chain(self.params.iter().map(|(n, v)| (*n, v.as_str())))
    }

    pub fn class(&self) -> Option<Class> {
        entry(self.code).and_then(|(_, class, _, _)| *class)
    }

    /// The text in `lang`, its parameters filled in (a field by its label).
    pub fn render(&self, lang: Lang) -> String {
        let (_, _, zh, en) = entry(self.code).expect("checked in Reason::new");
        let mut text = (if lang == Lang::Zh { *zh } else { *en }).to_owned();
        if let Some(field) = self.field {
            text = text.replace("{field}", field_label(field, lang));
        }
        for (name, value) in &self.params {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

fn entry(code: &str) -> Option<&'static (&'static str, Option<Class>, &'static str, &'static str)> {
    TEXTS.iter().find(|(known, ..)| *known == code)
}

/// The `{name}` placeholders of a text, sorted.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = text.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect();
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_chinese_and_an_english_text_with_the_same_parameters() {
        let mut codes = std::collections::HashSet::new();
        for (code, _, zh, en) in TEXTS {
            assert!(codes.insert(code), "{code} twice");
            assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{code} lacks a text");
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{code}: the Chinese text has no Chinese");
            assert_eq!(placeholders(zh), placeholders(en), "{code}: the texts name different parameters");
        }
        for (field, zh, en) in FIELDS {
            assert!(!zh.is_empty() && !en.is_empty(), "{field}");
            assert!(!has_english(zh), "field {field}: English in {zh:?}");
        }
    }

    /// The Chinese texts hold no English words outside their parameters (which the page fills
    /// with codes, ids and the office's own words) and the names of formats and units.
    #[test]
    fn no_chinese_text_holds_english() {
        for (code, _, zh, _) in TEXTS {
            let mut bare = (*zh).to_owned();
            for name in placeholders(zh) {
                bare = bare.replace(&format!("{{{name}}}"), "");
            }
            assert!(!has_english(&bare), "{code}: English in {zh:?}");
        }
        assert!(has_english("第 3 行: unknown unit") && !has_english("请另存为 XLSX 或 UTF-8 CSV"));
    }

    #[test]
    fn a_reason_renders_in_either_language() {
        let reason = Reason::new("required").on("reason");
        assert_eq!(reason.render(Lang::Zh), "请填写“理由”");
        assert_eq!(reason.to_string(), "reason must not be empty");
        let unit = Reason::new("unknown_unit").on("unit").with("unit", "");
        assert_eq!(unit.render(Lang::Zh), "没有代码为“”的单位");
        assert_eq!(Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en-US"), Lang::En);
    }

    #[test]
    #[should_panic(expected = "no text")]
    fn a_code_without_texts_is_refused() {
        let _ = Reason::new("no_such_code");
    }
}
