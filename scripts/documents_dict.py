#!/usr/bin/env python3
"""Trains crates/gridline-store/src/documents.dict, the zstd dictionary of the stored case and event
documents (crates/gridline-store/src/packed.rs), from a gridline database (SQLite) written before
the documents were packed (the demo city of `gridline demo`, at commit 5021ba9 or earlier).

Every string value is blanked unless it is a timestamp (its fraction of a second redrawn at
random: the demo's all end alike), a lower-case enum word or a code of digits and capitals
(categories, regions), and names and phone numbers always are: the dictionary learns the
documents' structure, field names and vocabularies, and no one's words, names, phone numbers or
photo paths.

    python3 scripts/documents_dict.py DB OUT_DIR && zstd --train OUT_DIR/* --maxdict=16384 -o documents.dict

The dictionary is part of the stored format: never replace it, add a new one beside it.
"""
import json, os, random, re, sqlite3, sys

KEEP = re.compile(r"^([a-z_]+|[A-Z0-9]+)$")
TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$")
PERSONAL = {"name", "phone", "username"}

def blank(value, key=None):
    if isinstance(value, dict):
        return {k: blank(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [blank(v) for v in value]
    if isinstance(value, str):
        time = TIME.match(value)
        if time:
            return time.group(1) + (".%09d" % random.randrange(10**9) if time.group(2) else "") + "Z"
        if key in PERSONAL or not KEEP.match(value):
            return ""
    return value

db, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
random.seed(20261206)
cases = [d for (d,) in conn.execute("SELECT doc FROM cases")]
events = [d for (d,) in conn.execute("SELECT doc FROM case_events")]
def stored_case(doc):
    # As the store writes a case's document: without its intake, keys in sorted order.
    doc.pop("intake", None)
    return doc

for name, docs, n in (("case", cases, 4000), ("event", events, 12000)):
    for i, doc in enumerate(random.sample(docs, min(n, len(docs)))):
        doc = json.loads(doc)
        doc = blank(stored_case(doc) if name == "case" else doc)
        with open(os.path.join(out, f"{name}-{i}.json"), "w") as f:
            f.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=(name == "case")))
