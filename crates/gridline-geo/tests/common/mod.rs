//! The labelled address sample (tests/data/beijing_addresses.csv, see its README) and its scoring,
//! shared by the accuracy test and the benchmark.
#![allow(dead_code)] // each includer uses a part

use gridline_geo::{DEFAULT_THRESHOLD, Geography};

pub const SAMPLE: &str = include_str!("../data/beijing_addresses.csv");

pub struct Labelled {
    pub address: String,
    pub district: String,
    /// Empty when the street could not be labelled with confidence (a boundary road).
    pub street: String,
}

pub fn sample() -> Vec<Labelled> {
    csv::Reader::from_reader(SAMPLE.as_bytes())
        .records()
        .map(|r| {
            let r = r.expect("sample row");
            Labelled { address: r[0].to_owned(), district: r[1].to_owned(), street: r[2].to_owned() }
        })
        .collect()
}

/// Right, wrong and unknown answers at one level.
#[derive(Default, Debug)]
pub struct Tally {
    pub right: usize,
    pub wrong: usize,
    pub unknown: usize,
}

impl Tally {
    fn add(&mut self, expected: &str, got: Option<&str>) {
        match got {
            None => self.unknown += 1,
            Some(g) if g == expected => self.right += 1,
            Some(_) => self.wrong += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.right + self.wrong + self.unknown
    }

    /// Right answers among all answers given.
    pub fn precision(&self) -> f64 {
        self.right as f64 / (self.right + self.wrong).max(1) as f64
    }

    /// Right answers among all addresses.
    pub fn recall(&self) -> f64 {
        self.right as f64 / self.total().max(1) as f64
    }

    pub fn line(&self, what: &str) -> String {
        format!(
            "{what}: {} addresses, {} right, {} wrong, {} unknown — precision {:.1}%, recall {:.1}%",
            self.total(),
            self.right,
            self.wrong,
            self.unknown,
            100.0 * self.precision(),
            100.0 * self.recall()
        )
    }
}

pub struct Accuracy {
    pub district: Tally,
    /// Streets of addresses that name their street (in any form).
    pub street_named: Tally,
    /// Streets of addresses that give only a road, number or landmark.
    pub street_place: Tally,
    pub mistakes: Vec<String>,
    pub unknown: Vec<String>,
}

pub fn evaluate(geo: &Geography) -> Accuracy {
    let mut acc = Accuracy { district: Tally::default(), street_named: Tally::default(), street_place: Tally::default(), mistakes: vec![], unknown: vec![] };
    for row in sample() {
        let answer = geo.geocode(&row.address, DEFAULT_THRESHOLD).expect("sample addresses are valid");
        let district = answer.district.as_ref().map(|d| d.name.as_str());
        let street = answer.street.as_ref().map(|s| s.name.as_str());
        acc.district.add(&row.district, district);
        if row.street.is_empty() {
            continue;
        }
        let bare = ["街道", "地区", "镇", "乡"].iter().find_map(|s| row.street.strip_suffix(s)).unwrap_or(&row.street);
        let tally = if row.address.contains(bare) { &mut acc.street_named } else { &mut acc.street_place };
        tally.add(&row.street, street);
        if street.is_none() {
            acc.unknown.push(format!("{} (labelled {})", row.address, row.street));
        }
        if street.is_some_and(|s| s != row.street) || district.is_some_and(|d| d != row.district) {
            acc.mistakes.push(format!("{} → {district:?} {street:?} (labelled {} {})", row.address, row.district, row.street));
        }
    }
    acc
}
