//! Classifier evaluation: accuracy, per-class precision/recall/F1, macro-F1, the confusion
//! matrix, the stratified folds of a cross-validation (deterministic for a seed, and
//! exportable so that another tool can be scored on exactly the same folds) and the
//! cross-validation itself.

use serde::Serialize;

use crate::TextError;
use crate::model::{Example, Model, SplitMix};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassScore {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    pub labels: Vec<String>,
    pub examples: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub classes: Vec<ClassScore>,
    /// `confusion[truth][predicted]`, both in `labels` order.
    pub confusion: Vec<Vec<usize>>,
}

impl Evaluation {
    /// Scores predictions against the truth; labels are the union of both, sorted.
    pub fn score(truth: &[String], predicted: &[String]) -> Evaluation {
        assert_eq!(truth.len(), predicted.len(), "one prediction per example");
        let mut labels: Vec<String> = truth.iter().chain(predicted).cloned().collect();
        labels.sort();
        labels.dedup();
        let index = |l: &String| labels.binary_search(l).expect("label collected above");
        let k = labels.len();
        let mut confusion = vec![vec![0usize; k]; k];
        for (t, p) in truth.iter().zip(predicted) {
            confusion[index(t)][index(p)] += 1;
        }
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let classes: Vec<ClassScore> = (0..k)
            .map(|c| {
                let tp = confusion[c][c];
                let predicted_c: usize = (0..k).map(|t| confusion[t][c]).sum();
                let support: usize = confusion[c].iter().sum();
                let (precision, recall) = (ratio(tp, predicted_c), ratio(tp, support));
                let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
                ClassScore { label: labels[c].clone(), precision, recall, f1, support }
            })
            .collect();
        // Macro-F1 over the classes that occur in the truth, as scikit-learn's f1_score does
        // when given the true label set.
        let present: Vec<&ClassScore> = classes.iter().filter(|c| c.support > 0).collect();
        let macro_f1 = present.iter().map(|c| c.f1).sum::<f64>() / present.len().max(1) as f64;
        let correct = (0..k).map(|c| confusion[c][c]).sum();
        Evaluation { labels, examples: truth.len(), accuracy: ratio(correct, truth.len()), macro_f1, classes, confusion }
    }

    /// A plain-text report: the figures, the per-class table and the confusion matrix.
    pub fn report(&self) -> String {
        let mut out = format!(
            "examples {}  accuracy {:.4}  macro-F1 {:.4}\n\n{:<14} {:>9} {:>9} {:>9} {:>8}\n",
            self.examples, self.accuracy, self.macro_f1, "class", "precision", "recall", "F1", "support"
        );
        for c in &self.classes {
            out += &format!("{:<14} {:>9.4} {:>9.4} {:>9.4} {:>8}\n", c.label, c.precision, c.recall, c.f1, c.support);
        }
        out += "\nconfusion (rows: truth, columns: predicted, in the order above)\n";
        for (label, row) in self.labels.iter().zip(&self.confusion) {
            let cells: Vec<String> = row.iter().map(|n| format!("{n:>5}")).collect();
            out += &format!("{:<14} {}\n", label, cells.join(""));
        }
        out
    }
}

/// Assigns each example to one of `k` folds so that every class is spread evenly: each
/// class's examples are shuffled (seeded) and dealt round-robin, continuing the deal where the
/// previous class stopped so that fold sizes differ by at most one.
pub fn stratified_folds<L: Ord + Clone>(labels: &[L], k: usize, seed: u64) -> Vec<usize> {
    assert!(k >= 2, "at least two folds");
    let mut classes: Vec<L> = labels.to_vec();
    classes.sort();
    classes.dedup();
    let mut rng = SplitMix(seed);
    let mut folds = vec![0; labels.len()];
    let mut next = 0;
    for class in &classes {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| &labels[i] == class).collect();
        rng.shuffle(&mut members);
        for i in members {
            folds[i] = next % k;
            next += 1;
        }
    }
    folds
}

/// The result of a k-fold cross-validation: each fold predicted by a model trained on the others.
#[derive(Clone, Debug)]
pub struct CrossValidation {
    pub fold_macro_f1: Vec<f64>,
    /// All folds' predictions scored together.
    pub pooled: Evaluation,
}

impl CrossValidation {
    pub fn mean_macro_f1(&self) -> f64 {
        self.fold_macro_f1.iter().sum::<f64>() / self.fold_macro_f1.len() as f64
    }

    /// The standard deviation of the folds' macro-F1 (of the population of folds).
    pub fn sd_macro_f1(&self) -> f64 {
        let mean = self.mean_macro_f1();
        (self.fold_macro_f1.iter().map(|f| (f - mean).powi(2)).sum::<f64>() / self.fold_macro_f1.len() as f64).sqrt()
    }
}

/// Cross-validates `train` on `examples`, fold `folds[i]` holding example `i` out.
pub fn cross_validate(
    examples: &[Example],
    folds: &[usize],
    mut train: impl FnMut(&[Example]) -> Result<Model, TextError>,
) -> Result<CrossValidation, TextError> {
    let k = folds.iter().max().map_or(0, |m| m + 1);
    let (mut truth, mut predicted, mut fold_macro_f1) = (Vec::new(), Vec::new(), Vec::with_capacity(k));
    for fold in 0..k {
        let held_out = |i: &usize| folds[*i] == fold;
        let training: Vec<Example> = (0..examples.len()).filter(|i| !held_out(i)).map(|i| examples[i].clone()).collect();
        let model = train(&training)?;
        let (mut t, mut p) = (Vec::new(), Vec::new());
        for i in (0..examples.len()).filter(held_out) {
            t.push(examples[i].label.clone());
            p.push(model.predict(&examples[i].text)?.label);
        }
        fold_macro_f1.push(Evaluation::score(&t, &p).macro_f1);
        truth.extend(t);
        predicted.extend(p);
    }
    Ok(CrossValidation { fold_macro_f1, pooled: Evaluation::score(&truth, &predicted) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn scores_a_known_confusion() {
        let truth = s(&["a", "a", "a", "b", "b", "c"]);
        let pred = s(&["a", "a", "b", "b", "c", "c"]);
        let e = Evaluation::score(&truth, &pred);
        assert_eq!(e.confusion, vec![vec![2, 1, 0], vec![0, 1, 1], vec![0, 0, 1]]);
        assert!((e.accuracy - 4.0 / 6.0).abs() < 1e-12);
        // a: P 1, R 2/3 → F1 0.8; b: P 0.5, R 0.5 → 0.5; c: P 0.5, R 1 → 2/3.
        assert!((e.macro_f1 - (0.8 + 0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert!(e.report().contains("macro-F1 0.6556"));
    }

    #[test]
    fn a_label_only_predicted_does_not_count_in_macro_f1() {
        let e = Evaluation::score(&s(&["a", "a"]), &s(&["a", "z"]));
        assert_eq!(e.labels, s(&["a", "z"]));
        assert!((e.macro_f1 - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn folds_are_stratified_balanced_and_seeded() {
        let labels: Vec<u8> = (0..103).map(|i| (i % 7 == 0) as u8).collect();
        let folds = stratified_folds(&labels, 5, 1);
        for f in 0..5 {
            let size = folds.iter().filter(|&&x| x == f).count();
            assert!((20..=21).contains(&size), "fold {f} has {size}");
            let minority = (0..103).filter(|&i| folds[i] == f && labels[i] == 1).count();
            assert!((2..=4).contains(&minority), "fold {f} has {minority} of the minority class");
        }
        assert_eq!(folds, stratified_folds(&labels, 5, 1));
        assert_ne!(folds, stratified_folds(&labels, 5, 2));
    }
}
