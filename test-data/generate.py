#!/usr/bin/env python3
"""Writes every file under test-data/ (except README.md and this script) and
test-data/expected-counts.yaml.

All text is invented. Every record is declared together with its expected fate
(ok / dup / a reject reason), so the expected counts are the sum of these hand-made
annotations; nothing here runs the pipeline. Output is deterministic: gzip files are
written with mtime=0 and no file name, Parquet with fixed row groups.

Run from anywhere:  python3 test-data/generate.py
"""
import gzip
import io
import json
import os
import shutil
from collections import OrderedDict

ROOT = os.path.dirname(os.path.abspath(__file__))

# instance -> role -> counters
COUNTS = OrderedDict()
# (instance, role, file, location, outcome, note)
PLANTED = []


def _role(inst, role):
    roles = COUNTS.setdefault(inst, OrderedDict())
    return roles.setdefault(
        role, {"read": 0, "written": 0, "duplicates": 0, "expanded": 0, "rejects": OrderedDict()}
    )


def account(inst, role, outcome, relpath, location, note="", expanded=0):
    c = _role(inst, role)
    c["read"] += 1
    if outcome == "ok":
        c["written"] += 1 + expanded
        c["expanded"] += expanded
        if expanded:
            PLANTED.append((inst, role, relpath, location, "expanded", note))
        return
    if outcome == "dup":
        c["duplicates"] += 1
    else:
        c["rejects"][outcome] = c["rejects"].get(outcome, 0) + 1
    PLANTED.append((inst, role, relpath, location, outcome, note))


def _path(relpath):
    p = os.path.join(ROOT, relpath)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write_bytes(relpath, data, gz=False):
    p = _path(relpath)
    if gz:
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as f:
            f.write(data)
        data = buf.getvalue()
    with open(p, "wb") as f:
        f.write(data)


def b(s):
    return s.encode("utf-8") if isinstance(s, str) else s


# An entry of a line file: (raw text or bytes without the final newline, outcome, note[, expanded])
# BLANK is an empty line (skipped by the readers, not counted as read).
BLANK = None


def line_file(inst, role, relpath, entries, header=None, gz=False):
    out = []
    line = 1
    if header is not None:
        out.append(b(header))
        line += 1
    for e in entries:
        if e is BLANK:
            out.append(b"")
            line += 1
            continue
        raw, outcome, note = e[0], e[1], e[2]
        expanded = e[3] if len(e) > 3 else 0
        raw = b(raw)
        account(inst, role, outcome, relpath, "line %d" % line, note, expanded)
        out.append(raw)
        line += raw.count(b"\n") + 1
    write_bytes(relpath, b"\n".join(out) + b"\n", gz=gz)


def jl(obj):
    return json.dumps(obj, ensure_ascii=False)


def tsv(*cols):
    return "\t".join(str(c) for c in cols)


OK = "ok"
DUP = "dup"

# ---------------------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------------------


def banking77():
    cats = ["card_arrival", "lost_or_stolen_card", "exchange_rate", "top_up_failed",
            "pin_blocked", "cash_withdrawal_charge"]
    write_bytes("banking77/categories.json", b(json.dumps(cats, indent=2) + "\n"))
    line_file("banking77", "records", "banking77/train.csv", [
        ('"I am still waiting for my new card, when will it arrive?",card_arrival', OK, ""),
        ("How long does card delivery usually take?,card_arrival", OK, ""),
        ("How do I track the card you sent me?,card_arrival", OK, ""),
        ("I think someone stole my card yesterday,lost_or_stolen_card", OK, ""),
        ("My wallet was taken and my card was in it,lost_or_stolen_card", OK, ""),
        ("What exchange rate do you use for euros?,exchange_rate", OK, ""),
        ('"Why is the rate I got for dollars so bad, is there a fee?",exchange_rate', OK, ""),
        ("My top up did not go through,top_up_failed", OK, ""),
        ('"I tried to top up twice\nand both attempts failed, what is going on?",top_up_failed',
         OK, "multi-line quoted field (2 physical lines)"),
        ("I entered the wrong PIN too many times and now it is blocked,pin_blocked", OK, ""),
        ("How do I unblock my PIN?,pin_blocked", OK, ""),
        ('"  How do I   unblock my PIN?  ",pin_blocked', DUP,
         "same text/label as 'How do I unblock my PIN?' (line 13) after whitespace collapse"),
        ("Why was I charged for taking cash out?,cash_withdrawal_charge", OK, ""),
        ("Is there a fee for ATM withdrawals abroad?,cash_withdrawal_charge", OK, ""),
        ("I want a refund for a double charge,refund_request", "unknown_label",
         "refund_request is not in categories.json"),
        ('"   ",card_arrival', "empty_text", "text is three spaces"),
        ("My card\x01 is not working at the shop,card_arrival", "control_characters",
         "raw 0x01 byte in text"),
        ('"Where is my card,card_arrival', "malformed_record",
         "unbalanced CSV quote (last record of the file, runs to EOF)"),
    ], header="text,category")
    line_file("banking77_test", "records", "banking77/test.csv", [
        ("Has my card been posted yet?,card_arrival", OK, ""),
        ("I can't find my card anywhere,lost_or_stolen_card", OK, ""),
        ("Which rate applies when I pay in pounds?,exchange_rate", OK, ""),
        ("The top-up keeps getting declined,top_up_failed", OK, ""),
        ('"My PIN is blocked, help",pin_blocked', OK, ""),
        ("Why did the cash machine charge me?,cash_withdrawal_charge", OK, ""),
        ("Can I get a virtual card?,get_virtual_card", "unknown_label",
         "get_virtual_card is not in categories.json"),
    ], header="text,category")


def amazon_counterfactual():
    line_file("amazon_counterfactual", "records", "amazon_counterfactual/EN_train.tsv", [
        (tsv("I wish the battery had lasted longer than a week.", 1), OK, ""),
        (tsv("If it had come with a case I would have given it five stars.", 1), OK, ""),
        (tsv("Great blender, crushes ice in seconds.", 0), OK, ""),
        (tsv("The shoes fit exactly as described.", 0), OK, ""),
        (tsv('"He said it was ""unbreakable"" but it cracked on day one."', 0), OK,
         "quoted field with doubled quotes"),
        (tsv("Had I known about the smell, I would never have ordered it.", 1), OK, ""),
        (tsv("Arrived on time and works fine.", 2), "unknown_label", "label 2 is not in the map"),
        (tsv("The charger stopped working after two days.", 0), OK, ""),
        (tsv("Too many", "columns", "here"), "malformed_record", "wrong column count (3 of 2)"),
        (tsv("Great blender, crushes ice in seconds.", 0), DUP, "exact duplicate of line 4"),
    ], header="sentence\tis_counterfactual")
    line_file("amazon_counterfactual_test", "records", "amazon_counterfactual/EN_test.tsv", [
        (tsv("Would have been perfect if the lid fit.", 1), OK, ""),
        (tsv("Lovely colour and very soft.", 0), OK, ""),
        (tsv("If only the strap were longer.", 1), OK, ""),
        (tsv("Does what it says.", 0), OK, ""),
    ], header="sentence\tis_counterfactual")


def emotion():
    line_file("emotion", "records", "emotion/train.txt", [
        ("i feel so alone since my best friend moved away;sadness", OK, ""),
        ("i cried all evening after reading the letter;sadness", OK, ""),
        ("i am so happy the exam results came out great;joy", OK, ""),
        ("i feel wonderful and relaxed on this sunny morning;joy", OK, ""),
        ("i adore the way my partner makes me laugh;love", OK, ""),
        ("i feel so cared for and loved by my family;love", OK, ""),
        ("i am furious that they cancelled my flight again;anger", OK, ""),
        ("i feel irritated by the constant noise next door;anger", OK, ""),
        ("i feel nervous walking home alone at night;fear", OK, ""),
        ("i am scared of what the doctor will say tomorrow;fear", OK, ""),
        ("i was amazed to find a party waiting for me at home;surprise", OK, ""),
        ("i feel shocked that the bakery closed overnight;surprise", OK, ""),
        ("i feel bored waiting in line for hours;boredom", "unknown_label",
         "boredom is not one of the six labels"),
        ("i feel that; honestly; nothing matters;sadness", "malformed_record",
         "wrong column count (4 fields split on ';', quote none)"),
        (b"i feel so \xff\xfe lost today;sadness", "invalid_utf8", "raw bytes FF FE"),
        ("i feel so alone since my best friend moved away;sadness", DUP, "exact duplicate of line 1"),
        ("   ;joy", "empty_text", "text is three spaces"),
    ])


def imdb():
    files = [
        ("train/pos/0_9.txt", "A warm, funny film with a cast that clearly enjoyed every scene.<br /><br />"
         "The ending made the whole audience cheer. I would watch it again tomorrow.", OK, ""),
        ("train/pos/1_8.txt", "Beautiful photography and a score that stays with you. The pacing drags a "
         "little in the middle, but the last act is superb.", OK, ""),
        ("train/pos/2_10.txt", "One of the best thrillers I have seen in years. Every twist is earned and "
         "the lead performance is magnetic.", OK, ""),
        ("train/pos/3_7.txt", "Not perfect, but charming. The kids in the cast steal the show and the jokes "
         "mostly land.", OK, ""),
        ("train/pos/4_10.txt", "A warm, funny film with a cast that clearly enjoyed every scene.<br /><br />"
         "The ending made the whole audience   cheer. I would watch it again tomorrow.\n", DUP,
         "same text as train/pos/0_9.txt after whitespace collapse"),
        ("train/neg/0_2.txt", "Two hours I will never get back. The plot makes no sense and the dialogue "
         "is painfully wooden.", OK, ""),
        ("train/neg/1_3.txt", "The trailer promised a horror film; what we got was a dull soap opera with "
         "a single jump scare.", OK, ""),
        ("train/neg/2_1.txt", b"Terrible sound, terrible acting \xff\xfe and a terrible script.", "invalid_utf8",
         "raw bytes FF FE"),
        ("train/neg/3_4.txt", "   \n\t  \n", "empty_text", "file holds only whitespace"),
        ("train/neg/4_1.txt", "The worst sequel\x01 of the decade.", "control_characters", "raw 0x01 byte"),
    ]
    for rel, content, outcome, note in files:
        relpath = "imdb/aclImdb/" + rel
        write_bytes(relpath, b(content))
        account("imdb", "records", outcome, relpath, "file", note)


def tweet_sentiment_extraction():
    line_file("tweet_sentiment_extraction", "records", "tweet_sentiment_extraction/train.csv", [
        ('a1b2c3d4e5,"I love this new coffee place, best latte ever",best latte ever,positive', OK, ""),
        ("b2c3d4e5f6,Had a great time at the beach today,great time,positive", OK, ""),
        ("c3d4e5f6a7,My phone died and I lost all my photos,lost all my photos,negative", OK, ""),
        ('d4e5f6a7b8,"This traffic is awful,\n been stuck for an hour",awful,negative', OK,
         "multi-line quoted field (2 physical lines)"),
        ("e5f6a7b8c9,Going to the store later,Going to the store later,neutral", OK, ""),
        ("f6a7b8c9d0,The meeting moved to 3pm,The meeting moved to 3pm,neutral", OK, ""),
        ("a7b8c9d0e1,Loving the caf\u00e9 downstairs,Loving,positive", OK, "composed e-acute"),
        ("a7b8c9d0e1,Loving the cafe\u0301 downstairs,Loving,positive", DUP,
         "decomposed e + U+0301: same as line 9 after NFC"),
        ("b8c9d0e1f2,only three columns,neutral", "malformed_record", "wrong column count (3 of 4)"),
        ("c9d0e1f2a3,Not sure how I feel about this,Not sure,mixed", "unknown_label",
         "mixed is not in the label map"),
    ], header="textID,text,selected_text,sentiment")


def parquet(relpath, columns, rows):
    import pyarrow as pa
    import pyarrow.parquet as pq
    arrays = {}
    for name, typ in columns:
        arrays[name] = pa.array([r[name] for r in rows], type=typ)
    table = pa.table(arrays)
    p = _path(relpath)
    pq.write_table(table, p, compression="snappy", row_group_size=1000)


def amazon_reviews():
    import pyarrow as pa
    rel = "amazon_reviews/en/train-00000-of-00001.parquet"
    data = [
        ("en_0000001", "Broke after one use\n\nThe handle snapped the first time I used it.", 0, OK, ""),
        ("en_0000002", "Do not buy\n\nArrived scratched and the seller never answered.", 0, OK, ""),
        ("en_0000003", "Disappointing\n\nSmaller than the photos suggest and flimsy.", 1, OK, ""),
        ("en_0000004", "Meh\n\nWorks, but the battery barely lasts a day.", 1, OK, ""),
        ("en_0000005", "It is okay\n\nDoes the job, nothing special.", 2, OK, ""),
        ("en_0000006", "Average\n\nDecent for the price, instructions were confusing.", 2, OK, ""),
        ("en_0000007", "Pretty good\n\nSturdy and looks nice, shipping was slow.", 3, OK, ""),
        ("en_0000008", "Nice kettle\n\nBoils fast and is quiet, lid is a bit stiff.", 3, OK, ""),
        ("en_0000009", "Love it\n\nPerfect fit for my kitchen and easy to clean.", 4, OK, ""),
        ("en_0000010", "Excellent\n\nBest headphones I have owned, great sound.", 4, OK, ""),
        ("en_0000011", None, 2, "missing_field", "text is null"),
        ("en_0000012", "\t \u3000 \n", 3, "empty_text", "text is tab/space/ideographic space only"),
        ("en_0000001", "Broke after one use\n\nThe handle snapped the first time I used it.", 0, DUP,
         "exact duplicate of row 0"),
    ]
    rows = []
    for i, (id_, text, label, outcome, note) in enumerate(data):
        rows.append({"id": id_, "text": text, "label": label, "label_text": str(label)})
        account("amazon_reviews", "records", outcome, rel, "row %d" % i, note)
    parquet(rel, [("id", pa.string()), ("text", pa.string()), ("label", pa.int64()),
                  ("label_text", pa.string())], rows)


def toxic_conversations():
    import pyarrow as pa
    rel = "toxic_conversations/train-00000-of-00001.parquet"
    names = {0: "not toxic", 1: "toxic"}
    data = [
        ("Thanks for the thoughtful reply, that clears it up.", 0, OK, ""),
        ("I disagree with the article but the author makes fair points.", 0, OK, ""),
        ("Does anyone know when the council votes on this?", 0, OK, ""),
        ("Great photos, the harbour looks lovely at sunset.", 0, OK, ""),
        ("You are an idiot and nobody wants you here.", 1, OK, ""),
        ("Shut up, your opinion is worthless garbage.", 1, OK, ""),
        ("People like you are too stupid to vote.", 1, OK, ""),
        ("What a pathetic excuse for a comment.", None, "missing_field", "label (and label_text) null"),
        ("Nice work on the\u0001 new park.", 0, "control_characters", "U+0001 in text"),
    ]
    rows = []
    for i, (text, label, outcome, note) in enumerate(data):
        rows.append({"text": text, "label": label,
                     "label_text": names[label] if label is not None else None})
        account("toxic_conversations", "records", outcome, rel, "row %d" % i, note)
    parquet(rel, [("text", pa.string()), ("label", pa.int64()), ("label_text", pa.string())], rows)


def mtop_intent():
    def r(i, text, label, lt):
        return jl({"id": i, "text": text, "label": label, "label_text": lt})
    line_file("mtop_intent", "records", "mtop_intent/en/train.jsonl", [
        (r(1, "what's the weather like tomorrow in Paris", 0, "GET_WEATHER"), OK, ""),
        (r(2, "will it rain this weekend", 0, "GET_WEATHER"), OK, ""),
        (r(3, "set an alarm for 6 am", 1, "CREATE_ALARM"), OK, ""),
        (r(4, "wake me up at 7 tomorrow", 1, "CREATE_ALARM"), OK, ""),
        (r(5, "play some jazz music", 2, "PLAY_MUSIC"), OK, ""),
        BLANK,
        (r(6, "put on my workout playlist", 2, "PLAY_MUSIC"), OK, ""),
        (r(7, "call mom", 3, "CREATE_CALL"), OK, ""),
        (r(8, "ring John on speaker", 3, "CREATE_CALL"), OK, ""),
        ('{"id": 9, "text": "remind me to buy milk", "label": 4', "malformed_record",
         "truncated JSON object"),
        ('["send a message to Anna", 5, "SEND_MESSAGE"]', "malformed_record",
         "JSON array, not an object"),
        (jl({"id": 11, "text": "send a text to Anna saying I'm late", "label_text": "SEND_MESSAGE"}),
         "missing_field", "no label key"),
        (jl({"id": 12, "text": {"en": "stop the music"}, "label": 2, "label_text": "PLAY_MUSIC"}),
         "wrong_type", "text is a JSON object"),
        ('{"id": 13, "text": "turn up\\u0007 the volume", "label": 2, "label_text": "PLAY_MUSIC"}',
         "control_characters", "escaped \\u0007 (BEL) in text"),
        (r(14, "set an  alarm for 6 am ", 1, "CREATE_ALARM"), DUP,
         "same text/label as line 3 after whitespace collapse (id differs, id is not mapped)"),
    ])


# ---------------------------------------------------------------------------------------------
# STS
# ---------------------------------------------------------------------------------------------


def stsbenchmark():
    line_file("stsbenchmark", "records", "stsbenchmark/sts-train.csv", [
        (tsv("main-captions", "MSRvid", "2012test", "0001", "5.000", "A dog is running on the beach.",
             "A dog runs along the beach."), OK, ""),
        (tsv("main-captions", "MSRvid", "2012test", "0002", "4.200", "A woman is slicing an onion.",
             "A woman is cutting an onion."), OK, ""),
        (tsv("main-news", "headlines", "2013", "0003", "0.400", "Stocks fall in early trading.",
             "Storm hits coastal town."), OK, ""),
        (tsv("main-forums", "answers-forums", "2015", "0004", "2.600",
             "You should water the plant once a week.", "Most houseplants need little water in winter."),
         OK, ""),
        (tsv("main-captions", "images", "2014", "0005", "3.400", "Two children play in the snow.",
             "Kids are playing outside in winter."), OK, ""),
        (tsv("main-news", "headlines", "2014", "0006", "1.500", "Parliament passes new budget.",
             "Parliament debates new budget."), OK, ""),
        (tsv("main-news", "headlines", "2015", "0007", "4.600", "Earthquake strikes off Japan coast.",
             "Strong earthquake hits off the coast of Japan.", "2015-news-a", "2015-news-b"), OK,
         "two extra trailing columns (allowed)"),
        (tsv("main-captions", "MSRvid", "2012test", "0008", "NaN", "A cat sleeps on a sofa.",
             "A cat is sleeping on a couch."), "score_nan", "score NaN"),
        (tsv("main-captions", "MSRvid", "2012test", "0009", "5.800", "A man rides a horse.",
             "A man is riding a horse."), "score_out_of_range", "score 5.8 > 5"),
        (tsv("main-forums", "answers-forums", "2015", "0010", "n/a", "Is this the right place to ask?",
             "Where should I post this question?"), "wrong_type", "score 'n/a' is not a number"),
        (tsv("main-captions", "MSRvid", "2012test", "0011", "3.000", "A man is playing a guitar."),
         "malformed_record", "wrong column count (6 of 7: sentence2 missing)"),
        (tsv("main-captions", "MSRvid", "2012test", "0002", "4.200", "A woman is slicing an onion.",
             "A woman is cutting an onion."), DUP, "exact duplicate of line 2"),
        (tsv("main-news", "headlines", "2013", "0013", "2.000", "Bridge closed for repairs.", "   "),
         "empty_text", "sentence2 is three spaces"),
        (tsv("main-captions", "images", "2014", "0014", "0.000", "A red bus parked on a street.",
             "A woman reading a book in a library."), OK, ""),
    ])
    line_file("stsbenchmark_test", "records", "stsbenchmark/sts-test.csv", [
        (tsv("main-captions", "MSRvid", "2012test", "0101", "4.800", "A girl is playing the piano.",
             "A girl plays the piano."), OK, ""),
        (tsv("main-captions", "MSRvid", "2012test", "0102", "1.000", "A man is cooking rice.",
             "A man is driving a car."), OK, ""),
        (tsv("main-news", "headlines", "2016", "0103", "3.200", "Rain delays the final match.",
             "Final postponed because of heavy rain."), OK, ""),
        (tsv("main-forums", "answers-forums", "2016", "0104", "2.200", "Use a lower heat for pancakes.",
             "Pancakes cook better in a cast iron pan."), OK, ""),
        (tsv("main-captions", "images", "2015", "0105", "0.200", "A plane on a runway.",
             "A bowl of soup on a table."), OK, ""),
    ])


def sts12():
    def r(s1, s2, score):
        return jl({"sentence1": s1, "sentence2": s2, "score": score})
    line_file("sts12", "records", "sts12/train.jsonl.gz", [
        (r("The committee approved the new proposal on Tuesday.",
           "On Tuesday the committee approved the new proposal.", 5.0), OK, ""),
        (r("Prices rose sharply in the third quarter.",
           "Prices went up steeply during the third quarter.", 4.4), OK, ""),
        (r("The minister resigned after the scandal.",
           "After the scandal, the minister stepped down from office.", 4.0), OK, ""),
        (r("The company reported higher profits.", "The company cut hundreds of jobs.", 1.2), OK, ""),
        (r("We must protect the environment for future generations.",
           "Protecting nature is important for our children.", 3.6), OK, ""),
        (r("A vote on the amendment is expected tomorrow.",
           "The amendment will be debated next week.", 2.4), OK, ""),
        (r("The museum opens at nine.", "Fishermen returned with a large catch.", 0.0), OK, ""),
        (r("Exports to Asia doubled last year.", "Last year exports to Asia fell slightly.", 1.8), OK, ""),
        (r("The bill was passed by a narrow margin.", "The bill narrowly passed.", "high"),
         "wrong_type", "score is the string 'high'"),
        (jl({"sentence1": "The talks ended without agreement.", "score": 3.2}),
         "missing_field", "no sentence2"),
        (r("The committee approved the new proposal on Tuesday.",
           "On Tuesday the committee approved the new proposal.", 5.0), DUP, "exact duplicate of line 1"),
    ], gz=True)


def sts22():
    def r(lang, s1, s2, score):
        return jl({"lang": lang, "sentence1": s1, "sentence2": s2, "score": score})
    line_file("sts22", "records", "sts22/train.jsonl.gz", [
        (r("en", "City council approves new cycling lanes downtown. The plan adds 12 km of protected lanes.",
           "Downtown to get 12 km of protected bike lanes after council vote.", 4.0), OK, ""),
        (r("en", "Heatwave grips southern Europe as temperatures pass 40C.",
           "Wildfires spread in Greece amid extreme heat.", 3.0), OK, ""),
        (r("de", "Die Bahn kündigt neue Verbindungen nach Prag an.",
           "Neue Zugverbindungen zwischen Berlin und Prag ab Dezember.", 3.5), OK, ""),
        (r("es", "El gobierno aprueba la reforma de las pensiones.",
           "La selección gana el partido amistoso en Madrid.", 1.0), OK, ""),
        (r("en", "Tech company unveils a foldable phone.", "Central bank raises interest rates again.", 1.5),
         OK, ""),
        (r("de-en", "Hochwasser in Bayern: Tausende evakuiert.",
           "Floods in Bavaria force thousands to leave their homes.", 2.75), OK, ""),
        (r("en", "Local elections see record turnout.", "Turnout hits record high in local vote.", 4.5),
         "score_out_of_range", "score 4.5 > 4"),
        (r("en", "Airport strike cancels hundreds of flights.", "Museum reopens after renovation.", 0.5),
         "score_out_of_range", "score 0.5 < 1"),
        (jl({"lang": "en", "sentence1": "New vaccine approved for children.",
             "sentence2": ["Regulator approves", "child vaccine"], "score": 3.0}),
         "wrong_type", "sentence2 is a JSON array"),
    ], gz=True)


# ---------------------------------------------------------------------------------------------

STEPS = [banking77, amazon_counterfactual, emotion, imdb, tweet_sentiment_extraction,
         amazon_reviews, toxic_conversations, mtop_intent, stsbenchmark, sts12, sts22]


def expected_yaml():
    out = ["# Expected ingest counts of conf/local.yaml over test-data/ (generated by generate.py",
           "# from the per-record annotations there; every number was also checked by hand).",
           "# Per instance and input role:",
           "#   read       records read (lines / records / files; blank lines and CSV headers excluded)",
           "#   written    rows written to the output table of that role",
           "#   duplicates exact duplicates removed",
           "#   expanded   extra rows produced by multi-valued positives",
           "#   rejects    reason -> count",
           "# Invariant: read + expanded = written + sum(rejects) + duplicates.",
           "# For queries+qrels sources: queries.written = rows of the queries table, corpus.written =",
           "# rows of the corpus table, qrels.written = retrieval rows.",
           ""]
    for inst, roles in COUNTS.items():
        out.append("%s:" % inst)
        for role, c in roles.items():
            assert c["read"] + c["expanded"] == c["written"] + sum(c["rejects"].values()) + c["duplicates"]
            out.append("  %s:" % role)
            out.append("    read: %d" % c["read"])
            out.append("    written: %d" % c["written"])
            out.append("    duplicates: %d" % c["duplicates"])
            if c["expanded"]:
                out.append("    expanded: %d" % c["expanded"])
            if c["rejects"]:
                out.append("    rejects:")
                for k, v in c["rejects"].items():
                    out.append("      %s: %d" % (k, v))
            else:
                out.append("    rejects: {}")
            for (pi, pr, pf, loc, outcome, note) in PLANTED:
                if pi == inst and pr == role:
                    what = {"dup": "duplicate", "expanded": "expanded"}.get(outcome, outcome)
                    out.append("    # %s %s: %s%s" % (pf, loc, what, (" - " + note) if note else ""))
        out.append("")
    return "\n".join(out)


def planted_md():
    out = ["| source | role | file | location | reason | what |", "|---|---|---|---|---|---|"]
    for (pi, pr, pf, loc, outcome, note) in PLANTED:
        what = {"dup": "duplicate (counted, not rejected)", "expanded": "expanded (multi-valued positive)"}.get(
            outcome, "`%s`" % outcome)
        out.append("| %s | %s | `%s` | %s | %s | %s |" % (pi, pr, pf, loc, what, note))
    return "\n".join(out) + "\n"


def main():
    for name in os.listdir(ROOT):
        p = os.path.join(ROOT, name)
        if os.path.isdir(p):
            shutil.rmtree(p)
    for step in STEPS:
        step()
    with open(os.path.join(ROOT, "expected-counts.yaml"), "w") as f:
        f.write(expected_yaml())
    with open(os.path.join(ROOT, "planted.md.part"), "w") as f:
        f.write(planted_md())


if __name__ == "__main__":
    main()
