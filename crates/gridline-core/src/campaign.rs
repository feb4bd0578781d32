//! Campaigns (专项整治): a theme, its catalogue entries, its regions and its period; the effect
//! is the change in hotline volume of those entries in those regions against the period just
//! before and the same period a year earlier — the bulletin's "−30.6%".

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::period::{Month, Period};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub theme: String,
    /// Catalogue codes; a group code takes in every entry below it.
    pub entries: Vec<String>,
    /// Region codes; a district takes in its streets. Empty: the whole city.
    pub regions: Vec<String>,
    pub period: Period,
}

/// A campaign as submitted, before it has an id.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    pub theme: String,
    pub entries: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    pub first_month: Month,
    pub last_month: Month,
}

/// Upper bounds that keep a campaign's scope a handful of index ranges.
pub const MAX_SCOPE_CODES: usize = 100;

impl NewCampaign {
    /// Checks the texts and counts; whether the codes exist is for the caller, who has the
    /// catalogue and the region tree.
    pub fn validate(self) -> Result<(String, Vec<String>, Vec<String>, Period), DomainError> {
        let theme = self.theme.trim().to_owned();
        if theme.is_empty() || theme.chars().count() > 200 {
            return Err(DomainError::invalid("theme", "a theme is 1–200 characters"));
        }
        if self.entries.is_empty() || self.entries.len() > MAX_SCOPE_CODES {
            return Err(DomainError::invalid("entries", format!("a campaign covers 1–{MAX_SCOPE_CODES} catalogue entries")));
        }
        if self.regions.len() > MAX_SCOPE_CODES {
            return Err(DomainError::invalid("regions", format!("a campaign covers at most {MAX_SCOPE_CODES} regions")));
        }
        let mut entries = self.entries;
        entries.sort();
        entries.dedup();
        let mut regions = self.regions;
        regions.sort();
        regions.dedup();
        Ok((theme, entries, regions, Period::new(self.first_month, self.last_month)?))
    }
}

impl Campaign {
    pub fn covers(&self, category: &str, region: &str) -> bool {
        self.entries.iter().any(|e| category.starts_with(e.as_str()))
            && (self.regions.is_empty() || self.regions.iter().any(|r| region.starts_with(region_prefix(r))))
    }
}

/// The leading digits of a region code that everything inside it shares: a district's six, a
/// street's nine (codes pad with zeros to twelve).
pub fn region_prefix(code: &str) -> &str {
    let trimmed = code.trim_end_matches('0');
    let keep = [2, 4, 6, 9, 12].into_iter().find(|&n| n >= trimmed.len()).unwrap_or(code.len()).min(code.len());
    &code[..keep]
}

/// Hotline volume of one month, street and catalogue entry.
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeRow {
    pub month: Month,
    pub region: String,
    pub category: String,
    pub count: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
// Named apart from the case's `Change` (an event) in the API's description.
#[schema(as = VolumeChange)]
pub struct Change {
    pub period: Period,
    pub count: i64,
    /// Percent change of the campaign's count against this baseline; `None` when the baseline is 0.
    pub change_percent: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Effect {
    pub period: Period,
    pub count: i64,
    pub previous: Change,
    pub last_year: Change,
}

pub fn change_percent(now: i64, then: i64) -> Option<f64> {
    (then > 0).then(|| (now - then) as f64 * 100.0 / then as f64)
}

/// The effect from hotline volume rows covering at least the campaign's period, the period
/// before and the same period last year (other rows are ignored).
pub fn effect(campaign: &Campaign, rows: &[VolumeRow]) -> Effect {
    let total = |period: Period| -> i64 {
        rows.iter()
            .filter(|r| period.contains(r.month) && campaign.covers(&r.category, &r.region))
            .map(|r| r.count)
            .sum()
    };
    let count = total(campaign.period);
    let baseline = |period: Period| {
        let then = total(period);
        Change { period, count: then, change_percent: change_percent(count, then) }
    };
    Effect {
        period: campaign.period,
        count,
        previous: baseline(campaign.period.previous()),
        last_year: baseline(campaign.period.same_period_last_year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(month: &str, region: &str, category: &str, count: i64) -> VolumeRow {
        VolumeRow { month: Month::parse(month).unwrap(), region: region.into(), category: category.into(), count }
    }

    #[test]
    fn the_effect_against_both_baselines_by_hand() {
        let campaign = Campaign {
            id: 1,
            theme: "暴露垃圾专项整治".into(),
            entries: vec!["01".into()],
            regions: vec!["110105000000".into()],
            period: Period::parse("2026-04..2026-06").unwrap(),
        };
        let rows = vec![
            // In the campaign: 40 + 30 + 30 = 100 (朝阳, entries under 01).
            row("2026-04", "110105026000", "0101", 40),
            row("2026-05", "110105001000", "0102", 30),
            row("2026-06", "110105026000", "0101", 30),
            // Out of scope: another district, another entry.
            row("2026-05", "110101001000", "0101", 500),
            row("2026-05", "110105026000", "0201", 700),
            // The quarter before: 60 + 84 = 144 → (100 − 144) / 144 = −30.56 %.
            row("2026-01", "110105026000", "0101", 60),
            row("2026-03", "110105026000", "0102", 84),
            // Last year's quarter: 125 → −20 %; the month after it does not count.
            row("2025-05", "110105026000", "0101", 125),
            row("2025-07", "110105026000", "0101", 999),
        ];
        let e = effect(&campaign, &rows);
        assert_eq!(e.count, 100);
        assert_eq!(e.previous.count, 144);
        assert_eq!(e.previous.period.to_string(), "2026-01..2026-03");
        assert!((e.previous.change_percent.unwrap() - (-30.555_555_555_555_557)).abs() < 1e-9);
        assert_eq!(e.last_year.count, 125);
        assert!((e.last_year.change_percent.unwrap() + 20.0).abs() < 1e-9);
    }

    #[test]
    fn no_baseline_means_no_percentage() {
        let campaign = Campaign {
            id: 1,
            theme: "t".into(),
            entries: vec!["0101".into()],
            regions: vec![],
            period: Period::parse("2026-04").unwrap(),
        };
        let e = effect(&campaign, &[row("2026-04", "110101001000", "0101", 3)]);
        assert_eq!((e.count, e.previous.count, e.previous.change_percent), (3, 0, None));
    }

    #[test]
    fn region_prefixes_follow_the_code_levels() {
        assert_eq!(region_prefix("110105000000"), "110105");
        assert_eq!(region_prefix("110105026000"), "110105026");
        assert_eq!(region_prefix("110000000000"), "11");
        assert_eq!(region_prefix("110100000000"), "1101");
    }

    #[test]
    fn a_new_campaign_is_checked() {
        let ok = NewCampaign {
            theme: " 违规停车 ".into(),
            entries: vec!["0301".into(), "0301".into()],
            regions: vec![],
            first_month: Month::parse("2026-01").unwrap(),
            last_month: Month::parse("2026-03").unwrap(),
        };
        let (theme, entries, _, period) = ok.validate().unwrap();
        assert_eq!((theme.as_str(), entries.len(), period.month_count()), ("违规停车", 1, 3));
        let empty = NewCampaign {
            theme: "x".into(),
            entries: vec![],
            regions: vec![],
            first_month: Month::parse("2026-01").unwrap(),
            last_month: Month::parse("2026-01").unwrap(),
        };
        assert!(empty.validate().is_err());
        let backwards = NewCampaign {
            theme: "x".into(),
            entries: vec!["01".into()],
            regions: vec![],
            first_month: Month::parse("2026-03").unwrap(),
            last_month: Month::parse("2026-01").unwrap(),
        };
        assert!(backwards.validate().is_err());
    }
}
