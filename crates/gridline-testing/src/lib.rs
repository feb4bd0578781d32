//! For tests and benchmarks only: where the shared public data lies. The product never reads it.

pub mod documents;

use std::path::PathBuf;

/// A file (or folder) of the shared data: under `$GRIDLINE_SHARED_DATA`, in `shared/data` beside
/// the checkout, or in `/work/shared/data`. When it is nowhere, CI (`CI` set) fails; elsewhere the
/// caller is told to skip, and the test says so.
pub fn shared_data(file: &str) -> Option<PathBuf> {
    let beside_checkout = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let found = [std::env::var_os("GRIDLINE_SHARED_DATA").map(PathBuf::from), Some(beside_checkout), Some(PathBuf::from("/work/shared/data"))]
        .into_iter()
        .flatten()
        .map(|dir| dir.join(file))
        .find(|path| path.exists());
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "the shared data file {file} is missing");
        eprintln!("SKIPPED: the shared data file {file} is not beside the checkout");
    }
    found
}
