//! Distant supervision from official replies: a government reply usually names the department
//! that handled the message (市住建局, 县教育局, 区人社局…), and a department's remit is one class
//! of the category scheme. A message whose reply names departments of one class only becomes an
//! example of that class: a noisy label, which the model weighs below a real one
//! ([`crate::model::TrainOptions::distant_weights`]).
//!
//! The department → class mapping is domain knowledge kept in a file (gridline ships
//! `data/text/departments.csv`, each row with its reason in the taxonomy). A department whose
//! remit spans classes (a merged 自然资源和规划局) is listed without a class: a reply naming it
//! gives no label. Departments not listed (信访局, a township government) are ignored.

use std::path::Path;

use crate::TextError;
use crate::model::Example;
use crate::table::Table;

/// The mapping gridline ships (department, class, the reason in the taxonomy).
pub const BUILTIN_DEPARTMENTS: &str = include_str!("../../../data/text/departments.csv");

/// Department names and the class each one's remit falls under.
#[derive(Clone, Debug)]
pub struct Departments {
    /// Name → class (`None`: the department handles several classes).
    names: Vec<(String, Option<String>)>,
}

/// A message with the reply it got.
#[derive(Clone, Debug)]
pub struct Answered {
    /// The message's number on the board (留言编号), empty when unknown.
    pub id: String,
    /// Subject and details, joined by a newline as the labelled messages are.
    pub text: String,
    pub reply: String,
}

/// What distant labelling made of a set of answered messages.
#[derive(Clone, Debug, Default)]
pub struct DistantLabels {
    pub examples: Vec<Example>,
    /// Replies naming no listed department.
    pub unnamed: usize,
    /// Replies naming departments of several classes (or one that handles several).
    pub ambiguous: usize,
    /// Messages that are among the labelled ones (same number or same subject): the real label
    /// counts, and in cross-validation the copy would leak the held-out fold.
    pub labelled_already: usize,
}

impl Departments {
    /// From (department, class) pairs; an empty class marks a department of several classes.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Departments, TextError> {
        let mut names: Vec<(String, Option<String>)> = Vec::new();
        for (name, class) in pairs {
            let name = name.trim().to_owned();
            if name.is_empty() {
                return Err(TextError::Invalid("a department mapping has a row without a department name".into()));
            }
            if names.iter().any(|(n, _)| *n == name) {
                return Err(TextError::Invalid(format!("the department {name:?} is listed twice")));
            }
            let class = Some(class.trim().to_owned()).filter(|c| !c.is_empty());
            names.push((name, class));
        }
        if names.is_empty() {
            return Err(TextError::Invalid("the department mapping is empty".into()));
        }
        Ok(Departments { names })
    }

    /// The mapping gridline ships: `data/text/departments.csv`.
    pub fn builtin() -> Departments {
        let table = Table::from_csv(Path::new("data/text/departments.csv"), BUILTIN_DEPARTMENTS.as_bytes()).expect("the built-in mapping is CSV (tested)");
        Departments::from_table(&table).expect("the built-in mapping is valid (tested)")
    }

    /// A mapping file: the department in the first column, its class in the second (empty for a
    /// department of several classes); further columns (the reason) are not read.
    pub fn from_table(table: &Table) -> Result<Departments, TextError> {
        if table.headers.len() < 2 {
            return Err(TextError::Table {
                path: table.path.clone(),
                message: "a department mapping needs a department column and a class column".into(),
            });
        }
        Departments::new(table.rows.iter().map(|row| (row[0].clone(), row[1].clone())))
    }

    /// The class that every department named in `reply` belongs to, or why there is none: the
    /// reply names no department, or departments of different classes. Where names overlap, the longest one is the
    /// department meant (自然资源和规划局 is not the 规划局).
    pub fn class_of(&self, reply: &str) -> Result<&str, Unlabelled> {
        let mut mentions: Vec<(usize, usize, Option<&str>)> = Vec::new();
        for (name, class) in &self.names {
            mentions.extend(reply.match_indices(name.as_str()).map(|(at, _)| (at, at + name.len(), class.as_deref())));
        }
        // By start, the longer first: a mention ending within the reach of an earlier one is
        // part of a longer name.
        mentions.sort_unstable_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
        let mut reach = 0;
        let mut found: Option<&str> = None;
        for (_, end, class) in mentions {
            if end <= reach {
                continue;
            }
            reach = reach.max(end);
            match (class, found) {
                (None, _) => return Err(Unlabelled::Ambiguous),
                (Some(c), Some(f)) if c != f => return Err(Unlabelled::Ambiguous),
                (Some(c), _) => found = Some(c),
            }
        }
        found.ok_or(Unlabelled::Unnamed)
    }

    /// Examples from the answered messages whose reply names one class, leaving out the
    /// messages that are among `labelled` (number, text): same number, or same subject (the
    /// first line of the text).
    pub fn label(&self, answered: &[Answered], labelled: &[(&str, &str)]) -> DistantLabels {
        let ids: std::collections::HashSet<&str> = labelled.iter().map(|l| l.0).filter(|id| !id.is_empty()).collect();
        let subjects: std::collections::HashSet<&str> = labelled.iter().map(|l| subject(l.1)).collect();
        let mut out = DistantLabels::default();
        for message in answered {
            if ids.contains(message.id.as_str()) || subjects.contains(subject(&message.text)) {
                out.labelled_already += 1;
                continue;
            }
            match self.class_of(&message.reply) {
                Ok(class) => out.examples.push(Example { text: message.text.clone(), label: class.to_owned(), weight: 1.0 }),
                Err(Unlabelled::Unnamed) => out.unnamed += 1,
                Err(Unlabelled::Ambiguous) => out.ambiguous += 1,
            }
        }
        out
    }
}

/// Why a reply gives no label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unlabelled {
    Unnamed,
    Ambiguous,
}

/// The subject of a message: its first line, trimmed.
fn subject(text: &str) -> &str {
    text.lines().next().unwrap_or_default().trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn departments() -> Departments {
        let rows = [
            ("教育局", "教育文体"),
            ("住建局", "城乡建设"),
            ("规划局", "城乡建设"),
            ("城乡规划局", "城乡建设"),
            ("自然资源和规划局", ""),
            ("人社局", "劳动和社会保障"),
            ("公安局", "政法"),
        ];
        Departments::new(rows.iter().map(|(n, c)| ((*n).to_owned(), (*c).to_owned()))).unwrap()
    }

    #[test]
    fn a_reply_naming_one_class_gives_it() {
        let d = departments();
        assert_eq!(d.class_of("您好！经县教育局调查核实，现回复如下"), Ok("教育文体"));
        assert_eq!(d.class_of("市住建局已责令整改，区城乡规划局将复核"), Ok("城乡建设"), "two departments of one class");
        assert_eq!(d.class_of("网友您好！留言已收悉。"), Err(Unlabelled::Unnamed));
    }

    #[test]
    fn departments_of_several_classes_give_none() {
        let d = departments();
        assert_eq!(d.class_of("在县人社局的指导下，县教育局按程序实施"), Err(Unlabelled::Ambiguous));
        assert_eq!(d.class_of("请与市公安局联系。市教育局"), Err(Unlabelled::Ambiguous), "a class outside the labels still disagrees");
    }

    #[test]
    fn the_longest_name_is_the_department_meant() {
        let d = departments();
        assert_eq!(d.class_of("市自然资源和规划局回复如下"), Err(Unlabelled::Ambiguous), "not the 规划局 inside it");
        assert_eq!(d.class_of("市城乡规划局回复如下"), Ok("城乡建设"));
    }

    #[test]
    fn labelled_messages_are_left_out_by_number_or_subject() {
        let d = departments();
        let answered = |id: &str, text: &str, reply: &str| Answered { id: id.into(), text: text.into(), reply: reply.into() };
        let messages = [
            answered("1", "学校乱收费\n详情", "县教育局已责令退还"),
            answered("2", "教师工资拖欠\n详情", "县教育局回复"),
            answered("3", "小区违建\n详情", "区住建局回复"),
            answered("4", "路灯坏了\n详情", "已收悉"),
            answered("5", "招聘考试\n详情", "县人社局、县教育局回复"),
        ];
        let labelled = [("2", "别的主题\n详情"), ("99", " 小区违建 \n另一份详情")];
        let out = d.label(&messages, &labelled);
        assert_eq!(out.examples.len(), 1);
        assert_eq!((out.examples[0].text.as_str(), out.examples[0].label.as_str()), ("学校乱收费\n详情", "教育文体"));
        assert_eq!((out.labelled_already, out.unnamed, out.ambiguous), (2, 1, 1));
    }

    #[test]
    fn the_builtin_mapping_reads_and_knows_the_usual_bureaux() {
        let d = Departments::builtin();
        assert_eq!(d.class_of("经市住房和城乡建设局核实"), Ok("城乡建设"));
        assert_eq!(d.class_of("县人力资源和社会保障局回复"), Ok("劳动和社会保障"));
        assert_eq!(d.class_of("区卫健委回复"), Ok("卫生计生"));
        assert_eq!(d.class_of("市生态环境局回复"), Ok("环境保护"));
        assert_eq!(d.class_of("县文化旅游广电局回复"), Err(Unlabelled::Ambiguous), "culture and tourism are two classes");
    }

    #[test]
    fn a_bad_mapping_is_refused() {
        let pairs = |rows: &[(&str, &str)]| rows.iter().map(|(n, c)| ((*n).to_owned(), (*c).to_owned())).collect::<Vec<_>>();
        assert!(Departments::new(pairs(&[])).is_err());
        assert!(Departments::new(pairs(&[(" ", "教育文体")])).is_err());
        assert!(Departments::new(pairs(&[("教育局", "教育文体"), ("教育局", "城乡建设")])).is_err());
    }
}
