//! The segmenter's word dictionary: jieba's words and frequencies (copied from jieba-rs at build
//! time, see build.rs) plus the added words, as a double-array trie over dense character codes,
//! so that finding every word that starts at a position costs one array step per character.
//!
//! Each word keeps jieba's score, ln(frequency) − ln(total frequency), computed once here with
//! the very same floating-point operations jieba uses, so routes tie and win exactly as in jieba.

/// jieba's dictionary as "word frequency" lines.
const JIEBA_WORDS: &str = include_str!(concat!(env!("OUT_DIR"), "/jieba_dict.txt"));

/// `check` of a cell no node occupies.
const FREE: u32 = u32::MAX;
/// The root sits in cell 0; no child can land there (codes start at 1).
const ROOT: u32 = 0;

#[derive(Clone, Copy)]
struct Node {
    /// Children of this node are at `base + code`.
    base: u32,
    /// The parent's cell, or FREE.
    check: u32,
    /// The score of the word ending here; NaN where no word ends (a score can be −∞, never NaN).
    score: f64,
}

pub(crate) struct Dictionary {
    /// Code of each character of the Basic Multilingual Plane (0: in no word).
    bmp_codes: Vec<u32>,
    /// Codes of the other characters, sorted by character.
    astral_codes: Vec<(char, u32)>,
    nodes: Vec<Node>,
    /// jieba's score of a character no word starts with: ln(1) − ln(total).
    unknown_score: f64,
}

/// A word while the trie is built: its characters' codes are `codes[start..end]`.
struct Entry {
    start: u32,
    end: u32,
    frequency: u64,
}

impl Dictionary {
    /// jieba's words, then `added` (each at `frequency`, replacing jieba's own frequency for a
    /// word it knows, as `Jieba::add_word` does).
    pub(crate) fn jieba_with(added: &[String], frequency: u64) -> Dictionary {
        let jieba = JIEBA_WORDS.lines().filter_map(|line| {
            let (word, freq) = line.split_once(' ')?;
            Some((word, freq.parse().expect("build.rs writes whole numbers")))
        });
        Dictionary::new(jieba.chain(added.iter().map(|w| (w.as_str(), frequency))))
    }

    /// A dictionary of `words`; a word given twice keeps its last frequency.
    fn new<'w>(words: impl Iterator<Item = (&'w str, u64)> + Clone) -> Dictionary {
        // Frequent characters get small codes: their nodes pack densely at the front.
        let mut counts: Vec<(u32, char)> = Vec::new();
        let mut seen = vec![u32::MAX; 0x11_0000];
        for c in words.clone().flat_map(|(w, _)| w.chars()) {
            let slot = &mut seen[c as usize];
            if *slot == u32::MAX {
                *slot = counts.len() as u32;
                counts.push((0, c));
            }
            counts[*slot as usize].0 += 1;
        }
        counts.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut bmp_codes = vec![0u32; 0x1_0000];
        let mut astral_codes = Vec::new();
        for (i, &(_, c)) in counts.iter().enumerate() {
            let code = i as u32 + 1;
            match bmp_codes.get_mut(c as usize) {
                Some(slot) => *slot = code,
                None => astral_codes.push((c, code)),
            }
        }
        astral_codes.sort_unstable();
        let mut dictionary = Dictionary { bmp_codes, astral_codes, nodes: Vec::new(), unknown_score: 0.0 };

        let mut codes = Vec::new();
        let mut entries = Vec::new();
        for (word, frequency) in words {
            let start = codes.len() as u32;
            codes.extend(word.chars().map(|c| dictionary.code(c)));
            entries.push(Entry { start, end: codes.len() as u32, frequency });
        }
        let key = |e: &Entry| &codes[e.start as usize..e.end as usize];
        // Stable: of a word given twice, the later entry sorts last and is the one kept.
        entries.sort_by(|a, b| key(a).cmp(key(b)));
        let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
        for entry in entries {
            match kept.last_mut() {
                Some(last) if key(last) == key(&entry) => *last = entry,
                _ => kept.push(entry),
            }
        }
        // An empty word would be the root's own.
        kept.retain(|e| e.start < e.end);
        let total: u64 = kept.iter().map(|e| e.frequency).sum();
        // jieba: `(freq as f64).ln() - logtotal`, logtotal = `(total as f64).ln()`.
        let log_total = (total as f64).ln();
        dictionary.unknown_score = 1f64.ln() - log_total;
        dictionary.nodes = Builder::build(&codes, &kept, log_total);
        dictionary
    }

    /// The code of a character, 0 for a character in no word.
    #[inline]
    pub(crate) fn code(&self, c: char) -> u32 {
        match self.bmp_codes.get(c as usize) {
            Some(&code) => code,
            None => self.astral_codes.binary_search_by_key(&c, |&(c, _)| c).map_or(0, |i| self.astral_codes[i].1),
        }
    }

    pub(crate) fn unknown_score(&self) -> f64 {
        self.unknown_score
    }

    /// Every word that `codes` starts with, shortest first: `found(length in characters, score)`.
    #[inline]
    pub(crate) fn prefixes(&self, codes: &[u32], mut found: impl FnMut(usize, f64)) {
        let mut at = ROOT;
        for (i, &code) in codes.iter().enumerate() {
            // Code 0, a character in no word, would lead back to the root's own cell.
            if code == 0 {
                return;
            }
            let Some(next) = self.nodes[at as usize].base.checked_add(code) else { return };
            match self.nodes.get(next as usize) {
                Some(node) if node.check == at => {
                    if !node.score.is_nan() {
                        found(i + 1, node.score);
                    }
                    at = next;
                }
                _ => return,
            }
        }
    }
}

/// Lays the trie out in the double array. The trie is first built with child lists; then each
/// node's children are given a base, the nodes with most children first (they are the hardest
/// to fit, and fit easily while the array is empty); last, every node is written to its cell,
/// from the root down. A node with one child takes the first free cell; nodes with more take
/// the first fitting base from where the last node of their kind (as many children, or many)
/// fitted, so that each kind sweeps the array once rather than once per node (the holes they
/// skip are filled by the single children, the most numerous). Free cells are found through
/// two bitmaps: cells taken, and words of the first bitmap that are full.
struct Builder {
    /// Per trie node: its first child in `children`, its number of children, its word's score.
    trie: Vec<(u32, u32, f64)>,
    /// Children as (code, trie node), each node's together, codes ascending.
    children: Vec<(u32, u32)>,
    taken: Vec<u64>,
    full: Vec<u64>,
    /// No cell below this one is free.
    first_free: usize,
}

impl Builder {
    /// Nodes with at least this many children are of one kind (few nodes, each hard to fit).
    const MANY_CHILDREN: u32 = 16;

    /// The double array of `entries` (sorted by codes, each word once).
    fn build(codes: &[u32], entries: &[Entry], log_total: f64) -> Vec<Node> {
        let mut builder = Builder { trie: Vec::new(), children: Vec::new(), taken: Vec::new(), full: Vec::new(), first_free: 0 };
        builder.grow(codes, entries, 0, log_total);
        let mut order: Vec<u32> = (0..builder.trie.len() as u32).filter(|&n| builder.trie[n as usize].1 > 0).collect();
        order.sort_by_key(|&n| std::cmp::Reverse(builder.trie[n as usize].1));
        builder.take(ROOT as usize);
        let mut base = vec![0u32; builder.trie.len()];
        // Where the last node of the same kind fitted.
        let (mut last_kind, mut last_base) = (0, 0);
        for node in order {
            let (first, count, _) = builder.trie[node as usize];
            let kids = first as usize..(first + count) as usize;
            let kind = count.min(Self::MANY_CHILDREN);
            let from = if kind > 1 && kind == last_kind { last_base } else { 0 };
            let b = builder.free_base(&builder.children[kids.clone()], from);
            (last_kind, last_base) = (kind, b as usize);
            for kid in kids {
                builder.take((b + builder.children[kid].0) as usize);
            }
            base[node as usize] = b;
        }
        let size = builder.taken.len() * 64;
        let mut nodes = vec![Node { base: 0, check: FREE, score: f64::NAN }; size];
        // Trie node 0 is the root, in cell 0; a node's cell is its parent's base plus its code.
        let mut stack = vec![(0u32, ROOT, ROOT)];
        while let Some((node, cell, parent)) = stack.pop() {
            let (first, count, score) = builder.trie[node as usize];
            nodes[cell as usize] = Node { base: base[node as usize], check: parent, score };
            for &(code, child) in &builder.children[first as usize..(first + count) as usize] {
                stack.push((child, base[node as usize] + code, cell));
            }
        }
        while nodes.last().is_some_and(|n| n.check == FREE) {
            nodes.pop();
        }
        nodes
    }

    /// Adds the trie node for `entries`, which share their first `depth` codes, and its
    /// subtree; returns its number.
    fn grow(&mut self, codes: &[u32], entries: &[Entry], depth: u32, log_total: f64) -> u32 {
        let node = self.trie.len() as u32;
        let mut rest = entries;
        let mut score = f64::NAN;
        if let Some(word) = rest.first().filter(|e| e.end - e.start == depth) {
            score = (word.frequency as f64).ln() - log_total;
            rest = &rest[1..];
        }
        self.trie.push((0, 0, score));
        let code_at = |e: &Entry| codes[(e.start + depth) as usize];
        let mut groups: Vec<(u32, &[Entry])> = Vec::new();
        while let Some(first) = rest.first() {
            let code = code_at(first);
            let n = rest.partition_point(|e| code_at(e) == code);
            groups.push((code, &rest[..n]));
            rest = &rest[n..];
        }
        let kids: Vec<(u32, u32)> = groups.into_iter().map(|(code, group)| (code, self.grow(codes, group, depth + 1, log_total))).collect();
        self.trie[node as usize] = (self.children.len() as u32, kids.len() as u32, score);
        self.children.extend(kids);
        node
    }

    /// The lowest base from `from` at which every child code lands on a free cell.
    fn free_base(&self, kids: &[(u32, u32)], from: usize) -> u32 {
        let first = kids[0].0 as usize;
        let mut cell = self.first_free.max(first).max(from + first);
        loop {
            cell = self.next_free(cell);
            let base = cell - first;
            if kids[1..].iter().all(|&(code, _)| !self.is_taken(base + code as usize)) {
                return u32::try_from(base).expect("the trie fits 2^32 cells");
            }
            cell += 1;
        }
    }

    fn is_taken(&self, cell: usize) -> bool {
        self.taken.get(cell / 64).is_some_and(|bits| bits & (1 << (cell % 64)) != 0)
    }

    /// The first free cell at or after `cell`.
    fn next_free(&self, cell: usize) -> usize {
        let word = cell / 64;
        let Some(&bits) = self.taken.get(word) else { return cell };
        let free = !bits & (u64::MAX << (cell % 64));
        if free != 0 {
            return word * 64 + free.trailing_zeros() as usize;
        }
        // The next word that is not full, 64 words at a time.
        let mut next = word + 1;
        loop {
            let group = next / 64;
            let Some(&full) = self.full.get(group) else { return next * 64 };
            let open = !full & (u64::MAX << (next % 64));
            if open != 0 {
                let word = group * 64 + open.trailing_zeros() as usize;
                return word * 64 + self.taken.get(word).map_or(0, |bits| (!bits).trailing_zeros() as usize);
            }
            next = (group + 1) * 64;
        }
    }

    fn take(&mut self, cell: usize) {
        if cell / 64 >= self.taken.len() {
            self.taken.resize(cell / 64 + 1, 0);
            self.full.resize(cell / 64 / 64 + 1, 0);
        }
        self.taken[cell / 64] |= 1 << (cell % 64);
        if self.taken[cell / 64] == u64::MAX {
            self.full[cell / 64 / 64] |= 1 << (cell / 64 % 64);
        }
        if cell == self.first_free {
            self.first_free = self.next_free(cell);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words_at(dictionary: &Dictionary, text: &str) -> Vec<(String, f64)> {
        let codes: Vec<u32> = text.chars().map(|c| dictionary.code(c)).collect();
        let mut found = Vec::new();
        dictionary.prefixes(&codes, |n, score| found.push((text.chars().take(n).collect(), score)));
        found
    }

    #[test]
    fn finds_every_word_a_text_starts_with_scored_as_jieba_scores_them() {
        let words = [("北京", 3), ("北京大学", 1), ("北", 4), ("大学", 2), ("京", 0)];
        let d = Dictionary::new(words.iter().copied());
        let total = 10f64.ln();
        let found = words_at(&d, "北京大学生");
        let names: Vec<&str> = found.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(names, ["北", "北京", "北京大学"]);
        assert_eq!(found[1].1, 3f64.ln() - total);
        assert_eq!(words_at(&d, "京城")[0].1, f64::NEG_INFINITY, "frequency 0 scores −∞ as in jieba");
        assert!(words_at(&d, "生北京").is_empty());
        assert!(words_at(&d, "").is_empty());
        assert_eq!(d.unknown_score(), -total);
    }

    #[test]
    fn a_word_given_again_keeps_its_last_frequency() {
        let d = Dictionary::new([("路灯", 5), ("路", 1), ("路灯", 2000)].into_iter());
        assert_eq!(words_at(&d, "路灯")[1].1, 2000f64.ln() - 2001f64.ln());
    }

    #[test]
    fn characters_outside_the_basic_plane_are_coded_too() {
        let d = Dictionary::new([("𠀀𠀁", 2), ("a𠀀", 3)].into_iter());
        assert_eq!(words_at(&d, "𠀀𠀁𠀂").len(), 1);
        assert_eq!(words_at(&d, "a𠀀").len(), 1);
        assert_eq!(d.code('z'), 0);
    }

    #[test]
    fn the_jieba_dictionary_loads_with_added_words() {
        let d = Dictionary::jieba_with(&["堆物堆料".to_owned()], 2000);
        let names: Vec<String> = words_at(&d, "堆物堆料").into_iter().map(|(w, _)| w).collect();
        assert!(names.contains(&"堆物堆料".to_owned()), "{names:?}");
        assert!(names.contains(&"堆".to_owned()), "{names:?}");
    }
}
