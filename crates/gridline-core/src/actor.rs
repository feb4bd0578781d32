//! Users' roles and the actor behind every action.

use serde::{Deserialize, Serialize};
use crate::ids::UnitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 12345 热线话务员: takes citizens' calls, records call-backs.
    HotlineOperator,
    /// 网格员: finds problems on patrol and verifies fixes in the field.
    GridWorker,
    /// 派单员 / 创城专席: registers, dispatches, approves extensions, suspends.
    Dispatcher,
    /// 承办单位 staff: accepts, handles, returns, asks for more time.
    HandlingUnit,
    /// 文明办督查: supervises.
    Supervisor,
    /// 测评/抽查 inspector: files findings from spot checks, verifies.
    Inspector,
    /// 文明委成员单位 staff: handles the cases of its unit.
    MemberUnit,
    Admin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::HotlineOperator,
        Role::GridWorker,
        Role::Dispatcher,
        Role::HandlingUnit,
        Role::Supervisor,
        Role::Inspector,
        Role::MemberUnit,
        Role::Admin,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::HotlineOperator => "hotline_operator",
            Role::GridWorker => "grid_worker",
            Role::Dispatcher => "dispatcher",
            Role::HandlingUnit => "handling_unit",
            Role::Supervisor => "supervisor",
            Role::Inspector => "inspector",
            Role::MemberUnit => "member_unit",
            Role::Admin => "admin",
        }
    }

    /// Roles that act for one unit and must belong to one.
    pub fn needs_unit(self) -> bool {
        matches!(self, Role::HandlingUnit | Role::MemberUnit | Role::GridWorker)
    }

    /// Whether this role may read a citizen's full phone number.
    pub fn sees_phone_numbers(self) -> bool {
        matches!(self, Role::HotlineOperator | Role::Dispatcher | Role::Admin)
    }
}

/// Who does something: recorded on every event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub unit: Option<UnitCode>,
}

/// Masks a phone number for roles that must not see it: keeps the first three and last four
/// digits of a mobile number (138****5678), less for short numbers.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    let (head, tail) = match n {
        0..=4 => (0, 0),
        5..=7 => (1, 2),
        _ => (3, 4),
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { *c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_masked_to_their_ends() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("12345"), "1**45");
        assert_eq!(mask_phone("110"), "***");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert_eq!(Role::parse("root"), None);
    }
}
