//! The three rates (三率) of 接诉即办 and the digital city-management rates, computed from
//! rollup counters, and the composite score that ranks units and places.
//!
//! Definitions (percentages, 0–100; `None` when nothing was there to measure):
//! - 响应率 response: dispatches accepted within the response limit ÷ (dispatches − returns);
//!   a return (退单) of a dispatch that was not the unit's to handle is not held against it;
//! - 解决率 resolution: call-backs where the citizen says it is solved ÷ call-backs;
//! - 满意率 satisfaction: (满意 + 基本满意) ÷ call-backs (基本满意 counts unless configured
//!   otherwise);
//! - 立案率: registered ÷ (registered + rejected);
//! - 按期结案率: closed on time ÷ closed; 返工率: closed after rework ÷ closed;
//!   延期率: closed with an approved extension ÷ closed.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::rollup::RateCounts;

/// How the composite score weighs the three rates, and what counts as satisfied.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RateConfig {
    pub response_weight: f64,
    pub resolution_weight: f64,
    pub satisfaction_weight: f64,
    /// Whether 基本满意 counts as satisfied.
    pub basically_satisfied_counts: bool,
}

impl Default for RateConfig {
    /// Beijing's 接诉即办 assessment weighs response, resolution and satisfaction 1 : 4.5 : 4.5.
    fn default() -> Self {
        RateConfig { response_weight: 0.10, resolution_weight: 0.45, satisfaction_weight: 0.45, basically_satisfied_counts: true }
    }
}

impl RateConfig {
    /// Weights must be finite, non-negative and add up to 1.
    pub fn validate(&self) -> Result<(), DomainError> {
        let weights = [self.response_weight, self.resolution_weight, self.satisfaction_weight];
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err(DomainError::invalid("weights", "each weight is a number from 0 to 1"));
        }
        if (weights.iter().sum::<f64>() - 1.0).abs() > 1e-6 {
            return Err(DomainError::invalid("weights", "the three weights add up to 1"));
        }
        Ok(())
    }
}

/// The rates of one unit or region over one period.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rates {
    pub response_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    /// The weighted composite of the three rates present, weights re-normalised over them;
    /// `None` when none is.
    pub score: Option<f64>,
    pub registration_rate: Option<f64>,
    pub on_time_closure_rate: Option<f64>,
    pub rework_rate: Option<f64>,
    pub extension_rate: Option<f64>,
}

/// One rate as the whole numbers behind it, so that a reader can check it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Share {
    pub numerator: i64,
    pub denominator: i64,
}

impl Share {
    /// The share as a fraction from 0 to 1; `None` when there was nothing to measure.
    pub fn fraction(self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }

    /// The share as a percentage from 0 to 100; `None` when there was nothing to measure.
    pub fn percent(self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 * 100.0 / self.denominator as f64)
    }
}

fn share(numerator: i64, denominator: i64) -> Share {
    Share { numerator, denominator }
}

/// The shares behind the three rates: the one definition that rankings, rates, the dashboard
/// and every other view of 三率 use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ThreeRates {
    pub response: Share,
    pub resolution: Share,
    pub satisfaction: Share,
}

impl ThreeRates {
    pub fn of(counts: &RateCounts, config: &RateConfig) -> ThreeRates {
        let satisfied = counts.satisfied + if config.basically_satisfied_counts { counts.basically_satisfied } else { 0 };
        ThreeRates {
            response: share(counts.responded, counts.dispatched - counts.returned),
            resolution: share(counts.resolved, counts.called_back),
            satisfaction: share(satisfied, counts.called_back),
        }
    }
}

fn percent(part: i64, whole: i64) -> Option<f64> {
    share(part, whole).percent()
}

impl Rates {
    pub fn of(counts: &RateCounts, config: &RateConfig) -> Rates {
        let three = ThreeRates::of(counts, config);
        let response_rate = three.response.percent();
        let resolution_rate = three.resolution.percent();
        let satisfaction_rate = three.satisfaction.percent();
        let parts = [
            (response_rate, config.response_weight),
            (resolution_rate, config.resolution_weight),
            (satisfaction_rate, config.satisfaction_weight),
        ];
        let weight: f64 = parts.iter().filter(|(r, _)| r.is_some()).map(|(_, w)| w).sum();
        let score = (weight > 0.0)
            .then(|| parts.iter().filter_map(|(r, w)| r.map(|r| r * w)).sum::<f64>() / weight);
        Rates {
            response_rate,
            resolution_rate,
            satisfaction_rate,
            score,
            registration_rate: percent(counts.registered, counts.registered + counts.rejected),
            on_time_closure_rate: percent(counts.closed_on_time, counts.closed),
            rework_rate: percent(counts.closed_reworked, counts.closed),
            extension_rate: percent(counts.closed_extended, counts.closed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Channel, Satisfaction};
    use crate::rollup::Rollup;
    use crate::rollup::tests::History;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn the_three_rates_and_the_score_by_hand() {
        // 10 dispatches, 2 returned, 6 responded in time → 6/8 = 75 %.
        // 8 call-backs: 6 resolved (75 %); 5 satisfied + 1 basically (75 %).
        let counts = RateCounts {
            dispatched: 10,
            returned: 2,
            responded: 6,
            called_back: 8,
            resolved: 6,
            satisfied: 5,
            basically_satisfied: 1,
            ..RateCounts::default()
        };
        let rates = Rates::of(&counts, &RateConfig::default());
        assert!(close(rates.response_rate, 75.0));
        assert!(close(rates.resolution_rate, 75.0));
        assert!(close(rates.satisfaction_rate, 75.0));
        assert!(close(rates.score, 75.0));
        // Without 基本满意: 5/8 = 62.5 %; score 0.1·75 + 0.45·75 + 0.45·62.5 = 69.375.
        let strict = RateConfig { basically_satisfied_counts: false, ..RateConfig::default() };
        let rates = Rates::of(&counts, &strict);
        assert!(close(rates.satisfaction_rate, 62.5));
        assert!(close(rates.score, 69.375));
    }

    #[test]
    fn each_rate_is_a_share_of_whole_numbers() {
        let counts = RateCounts { dispatched: 5, returned: 1, responded: 3, called_back: 4, resolved: 2, satisfied: 1, basically_satisfied: 2, ..RateCounts::default() };
        let three = ThreeRates::of(&counts, &RateConfig::default());
        assert_eq!(three.response, Share { numerator: 3, denominator: 4 });
        assert_eq!(three.resolution, Share { numerator: 2, denominator: 4 });
        assert_eq!(three.satisfaction, Share { numerator: 3, denominator: 4 });
        assert_eq!(three.response.fraction(), Some(0.75));
        let strict = RateConfig { basically_satisfied_counts: false, ..RateConfig::default() };
        assert_eq!(ThreeRates::of(&counts, &strict).satisfaction, Share { numerator: 1, denominator: 4 });
        assert_eq!(Share::default().fraction(), None, "nothing to measure is not 0 %");
    }

    #[test]
    fn a_missing_rate_leaves_the_score_to_the_others() {
        // No call-backs yet: the score is the response rate alone.
        let counts = RateCounts { dispatched: 4, responded: 3, ..RateCounts::default() };
        let rates = Rates::of(&counts, &RateConfig::default());
        assert_eq!((rates.resolution_rate, rates.satisfaction_rate), (None, None));
        assert!(close(rates.score, 75.0));
        assert_eq!(Rates::of(&RateCounts::default(), &RateConfig::default()).score, None);
    }

    #[test]
    fn the_digital_city_management_rates_by_hand() {
        let counts = RateCounts {
            registered: 9,
            rejected: 1,
            closed: 8,
            closed_on_time: 6,
            closed_reworked: 2,
            closed_extended: 1,
            ..RateCounts::default()
        };
        let rates = Rates::of(&counts, &RateConfig::default());
        assert!(close(rates.registration_rate, 90.0));
        assert!(close(rates.on_time_closure_rate, 75.0));
        assert!(close(rates.rework_rate, 25.0));
        assert!(close(rates.extension_rate, 12.5));
    }

    #[test]
    fn rates_from_real_histories_with_a_dissatisfied_call_back() {
        let mut rollup = Rollup::default();
        for (day, s) in [("2026-03-02", Satisfaction::Satisfied), ("2026-03-03", Satisfaction::BasicallySatisfied), ("2026-03-04", Satisfaction::Dissatisfied)] {
            rollup.record_history(&History::closed_loop(Channel::Hotline, "110105026000", "U1", day, s).events);
        }
        let mut total = RateCounts::default();
        for counts in rollup.rates.values() {
            total.add(counts);
        }
        let rates = Rates::of(&total, &RateConfig::default());
        assert!(close(rates.response_rate, 100.0));
        assert!(close(rates.resolution_rate, 200.0 / 3.0));
        assert!(close(rates.satisfaction_rate, 200.0 / 3.0));
        // 0.1·100 + 0.45·66.67 + 0.45·66.67 = 70
        assert!(close(rates.score, 70.0));
    }

    #[test]
    fn weights_are_checked() {
        assert!(RateConfig::default().validate().is_ok());
        for bad in [
            RateConfig { response_weight: 0.5, ..RateConfig::default() },
            RateConfig { response_weight: -0.1, resolution_weight: 0.65, ..RateConfig::default() },
            RateConfig { response_weight: f64::NAN, ..RateConfig::default() },
        ] {
            assert!(bad.validate().is_err());
        }
    }
}
