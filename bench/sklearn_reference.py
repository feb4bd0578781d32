#!/usr/bin/env python3
"""The reference a data scientist would reach for: jieba words + TF-IDF + linear SVM
(scikit-learn), cross-validated on exactly the folds gridline used.

Only for the comparison in BENCHMARKS.md; nothing in gridline needs Python.

    pip install jieba scikit-learn
    gridline model cv --input labelled_messages.csv --text-col 留言主题,留言详情 \
        --label-col 一级标签 --folds-out /tmp/folds.csv
    python3 bench/sklearn_reference.py labelled_messages.csv /tmp/folds.csv
"""
import csv
import sys
import time

import jieba
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC


def main(messages_path, folds_path, text_cols=("留言主题", "留言详情"), label_col="一级标签"):
    with open(messages_path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    texts = ["\n".join(r[c].strip() for c in text_cols if r[c].strip()) for r in rows]
    labels = [r[label_col] for r in rows]
    with open(folds_path, encoding="utf-8", newline="") as f:
        folds = {int(r["row"]): int(r["fold"]) for r in csv.DictReader(f)}
    if len(folds) != len(rows):
        sys.exit(f"{folds_path} has {len(folds)} rows, {messages_path} has {len(rows)}")
    jieba.setLogLevel(60)
    tokens = [[w for w in jieba.lcut(t) if w.strip()] for t in texts]
    k = max(folds.values()) + 1
    started = time.time()
    truth, predicted, per_fold = [], [], []
    for fold in range(k):
        train = [i for i in range(len(rows)) if folds[i] != fold]
        test = [i for i in range(len(rows)) if folds[i] == fold]
        vectoriser = TfidfVectorizer(analyzer=lambda words: words)
        x_train = vectoriser.fit_transform([tokens[i] for i in train])
        model = LinearSVC(C=1.0).fit(x_train, [labels[i] for i in train])
        guess = model.predict(vectoriser.transform([tokens[i] for i in test]))
        per_fold.append(f1_score([labels[i] for i in test], guess, average="macro"))
        truth += [labels[i] for i in test]
        predicted += list(guess)
    mean = sum(per_fold) / k
    sd = (sum((f - mean) ** 2 for f in per_fold) / k) ** 0.5
    accuracy = sum(t == p for t, p in zip(truth, predicted)) / len(truth)
    print(f"jieba + TF-IDF + LinearSVC, {k} folds in {time.time() - started:.1f} s: macro-F1 per fold "
          + " ".join(f"{f:.4f}" for f in per_fold) + f"; mean {mean:.4f} ± {sd:.4f}")
    print(f"pooled: accuracy {accuracy:.4f}  macro-F1 {f1_score(truth, predicted, average='macro'):.4f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
