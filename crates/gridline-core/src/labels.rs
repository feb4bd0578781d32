//! The words of a case's values for people, in Chinese and English: its statuses, channels and
//! call-back satisfaction; users' roles, units' kinds and the audit log's kinds of entry. One table for every edge: the exports label their cells with it, and
//! the web pages receive it from the page shell (`<meta name="gridline-labels">`) instead of
//! keeping their own, so a status reads the same on the page and in the spreadsheet.

use crate::case::{CaseStatus, Channel, Satisfaction};
use crate::message::Lang;

/// `(key, Chinese, English)`; the key is `kind.value` with the value as the API writes it.
pub const LABELS: &[(&str, &str, &str)] = &[
    ("status.received", "已受理", "Received"),
    ("status.registered", "已立案", "Registered"),
    ("status.rejected", "不予立案", "Rejected"),
    ("status.merged", "已并案", "Merged"),
    ("status.dispatched", "已派遣", "Dispatched"),
    ("status.returned", "已退单", "Returned"),
    ("status.accepted", "已签收", "Accepted"),
    ("status.handled", "已办结", "Handled"),
    ("status.closed", "已结案", "Closed"),
    ("status.called_back", "已回访", "Called back"),
    ("channel.hotline", "12345热线", "12345 hotline"),
    ("channel.grid", "网格上报", "Grid worker"),
    ("channel.inspection", "测评抽查", "Spot check"),
    ("channel.alley_patrol", "背街小巷巡查", "Alley patrol"),
    ("channel.public", "市民网上反映", "Public"),
    ("channel.import", "批量导入", "Import"),
    ("sat.satisfied", "满意", "Satisfied"),
    ("sat.basically_satisfied", "基本满意", "Basically satisfied"),
    ("sat.dissatisfied", "不满意", "Dissatisfied"),
    ("role.hotline_operator", "话务员", "Hotline operator"),
    ("role.grid_worker", "网格员", "Grid worker"),
    ("role.dispatcher", "派单员", "Dispatcher"),
    ("role.handling_unit", "承办单位", "Handling unit"),
    ("role.supervisor", "督查", "Supervisor"),
    ("role.inspector", "测评员", "Inspector"),
    ("role.member_unit", "成员单位", "Member unit"),
    ("role.admin", "管理员", "Administrator"),
    ("unit_kind.department", "职能部门", "Department"),
    ("unit_kind.street_office", "街道办事处", "Street office"),
    ("unit_kind.member_unit", "成员单位", "Member unit"),
    ("unit_kind.public_service", "公共服务企业", "Public service"),
    // The audit log's kinds of entry (`audit_log.kind`).
    ("audit.sign_in_failed", "登录失败", "Failed sign-in"),
    ("audit.sign_in_locked", "登录锁定", "Sign-in locked out"),
    ("audit.sign_in_refused", "停用账号登录被拒", "Sign-in of a disabled account refused"),
    ("audit.lock_lifted", "解除登录锁定", "Lockout lifted"),
    ("audit.user_created", "新建用户", "User created"),
    ("audit.user_changed", "修改用户", "User changed"),
    ("audit.user_disabled", "停用用户", "User disabled"),
    ("audit.user_enabled", "启用用户", "User enabled"),
    ("audit.password_reset", "重置密码", "Password reset"),
    ("audit.password_changed", "修改密码", "Password changed"),
    ("audit.unit_created", "新建单位", "Unit created"),
    ("audit.unit_changed", "修改单位", "Unit changed"),
];

/// The label of `kind.value` in `lang`, if the table has one.
pub fn label(kind: &str, value: &str, lang: Lang) -> Option<&'static str> {
    LABELS
        .iter()
        .find(|(key, _, _)| key.strip_prefix(kind).and_then(|rest| rest.strip_prefix('.')) == Some(value))
        .map(|(_, zh, en)| if lang == Lang::Zh { *zh } else { *en })
}

impl CaseStatus {
    /// The status as people read it (已派遣, Dispatched).
    pub fn label(self, lang: Lang) -> &'static str {
        label("status", self.as_str(), lang).unwrap_or(self.as_str())
    }
}

impl crate::actor::Role {
    /// The role as people read it (派单员).
    pub fn label(self, lang: Lang) -> &'static str {
        label("role", self.as_str(), lang).unwrap_or(self.as_str())
    }
}

impl crate::unit::UnitKind {
    /// The kind of unit as people read it (街道办事处).
    pub fn label(self, lang: Lang) -> &'static str {
        label("unit_kind", self.as_str(), lang).unwrap_or(self.as_str())
    }
}

impl Channel {
    /// The channel as people read it (12345热线).
    pub fn label(self, lang: Lang) -> &'static str {
        label("channel", self.as_str(), lang).unwrap_or(self.as_str())
    }
}

impl Satisfaction {
    /// The caller's satisfaction as people read it (基本满意).
    pub fn label(self, lang: Lang) -> &'static str {
        label("sat", self.as_str(), lang).unwrap_or(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_channel_and_satisfaction_has_a_chinese_and_an_english_label() {
        let values = CaseStatus::ALL.map(|s| ("status", s.as_str())).into_iter()
            .chain(Channel::ALL.map(|c| ("channel", c.as_str())))
            .chain(Satisfaction::ALL.map(|s| ("sat", s.as_str())))
            .chain(crate::actor::Role::ALL.map(|r| ("role", r.as_str())))
            .chain(["department", "street_office", "member_unit", "public_service"].map(|k| ("unit_kind", k)));
        let mut count = 0;
        for (kind, value) in values {
            let zh = label(kind, value, Lang::Zh).unwrap_or_else(|| panic!("no label for {kind}.{value}"));
            let en = label(kind, value, Lang::En).unwrap_or_else(|| panic!("no label for {kind}.{value}"));
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{kind}.{value}: {zh}");
            assert!(!en.is_empty() && en.is_ascii(), "{kind}.{value}: {en}");
            count += 1;
        }
        // The audit log's kinds are plain strings, not an enum: each needs both texts.
        let audit: Vec<_> = LABELS.iter().filter(|(key, _, _)| key.starts_with("audit.")).collect();
        for (key, zh, en) in &audit {
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) && !en.is_empty() && en.is_ascii(), "{key}");
        }
        assert_eq!(count + audit.len(), LABELS.len(), "no label for a value that does not exist");
        assert_eq!(crate::unit::UnitKind::parse("street_office").map(|k| k.label(Lang::Zh)), Some("街道办事处"));
        assert_eq!(crate::actor::Role::Dispatcher.label(Lang::Zh), "派单员");
        assert_eq!(CaseStatus::Dispatched.label(Lang::Zh), "已派遣");
        assert_eq!(Channel::Hotline.label(Lang::Zh), "12345热线");
        assert_eq!(Satisfaction::BasicallySatisfied.label(Lang::En), "Basically satisfied");
        assert_eq!(label("status", "dispatched.x", Lang::Zh), None);
        assert_eq!(label("stat", "us.dispatched", Lang::Zh), None);
    }
}
