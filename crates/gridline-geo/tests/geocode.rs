//! Geocoding accuracy on the labelled sample of real Beijing addresses. The figures are printed
//! (`cargo test -p gridline-geo --test geocode -- --nocapture`) and reported in BENCHMARKS.md;
//! the floors below catch a regression, they are not the targets.

mod common;

use gridline_geo::Geography;

#[test]
fn geocoding_the_labelled_sample_is_right_when_it_answers_and_says_unknown_otherwise() {
    let rows = common::sample();
    assert!(rows.len() >= 150, "the sample has {} addresses", rows.len());
    let acc = common::evaluate(Geography::beijing());
    println!("{}", acc.district.line("district"));
    println!("{}", acc.street_named.line("street, address names it"));
    println!("{}", acc.street_place.line("street, road/landmark only"));
    for m in &acc.mistakes {
        println!("wrong: {m}");
    }
    for u in &acc.unknown {
        println!("street unknown: {u}");
    }
    assert!(acc.district.precision() >= 0.97 && acc.district.recall() >= 0.95, "{:?}", acc.district);
    assert!(acc.street_named.precision() >= 0.95 && acc.street_named.recall() >= 0.9, "{:?}", acc.street_named);
    assert!(acc.street_place.precision() >= 0.8, "{:?}", acc.street_place);
}
