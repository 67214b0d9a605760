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
import zlib
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


def truncated_gz_file(inst, role, relpath, lines, keep):
    """A gzip file cut after `keep` of its compressed bytes, as an interrupted download leaves it.

    The lines that decompress whole from the kept bytes are read (and must be OK records); the
    rest, from the first cut line on, is one `truncated_input` reject.
    """
    data = b"\n".join(b(x) for x in lines) + b"\n"
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as f:
        f.write(data)
    cut = buf.getvalue()[:keep]
    readable = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut)
    whole = readable.count(b"\n")
    partial = readable[readable.rfind(b"\n") + 1:]
    # The decoder may hold back a few bytes: keep the cut well inside a line.
    assert 20 < len(partial) < len(data.split(b"\n")[whole]) - 20, (len(partial), whole)
    for i in range(whole):
        account(inst, role, OK, relpath, "line %d" % (i + 1))
    account(inst, role, "truncated_input", relpath, "line %d" % (whole + 1),
            "gzip cut after %d of its %d bytes: lines %d-%d cannot be read"
            % (keep, len(buf.getvalue()), whole + 1, len(lines)))
    with open(_path(relpath), "wb") as f:
        f.write(cut)


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
        ('"Can I choose the colour of my card,card_arrival', "malformed_record",
         "stray opening quote in the middle of the file: costs this record only (the quote runs to"
         " line 9; lines 6-8 are read as they are)"),
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
         "same text/label as 'How do I unblock my PIN?' (line 14) after whitespace collapse"),
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
        ("When should my card be delivered?,card_arrival", OK, ""),
        ("Someone took my card at the gym,lost_or_stolen_card", OK, ""),
        ("Is the exchange rate different at weekends?,exchange_rate", OK, ""),
        ("Why did my top-up fail?,top_up_failed", OK, ""),
        ("How can I reset a blocked PIN?,pin_blocked", OK, ""),
        ("I was charged a fee for withdrawing cash,cash_withdrawal_charge", OK, ""),
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
    # Present in the published layout but not matched by the source's glob (train/{pos,neg}):
    write_bytes("imdb/aclImdb/README", b"Large Movie Review Dataset (test-data stand-in; invented reviews).\n")
    write_bytes("imdb/aclImdb/train/unsup/0_0.txt", b"An unlabelled review: never read by the imdb source.")
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
        (r(15, "what time is it in Tokyo", 6, "GET_TIME") + " trailing text", "malformed_record",
         "text after the JSON object"),
        (r(16, "skip this song", 2, "PLAY_MUSIC") + r(17, "pause the music", 2, "PLAY_MUSIC"),
         "malformed_record", "two JSON objects on one line (the second was dropped silently)"),
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
        (r("A boy kicks a ball.", "A child is kicking a football.", "4d"), "wrong_type",
         "score '4d' is not decimal syntax (Java's parseDouble reads 4.0)"),
        (r("Two dogs play in a park.", "Dogs are playing on the grass.", " 3.0"), "wrong_type",
         "score ' 3.0' has a leading space"),
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
        (r("en", "Ferry services resume after the storm.", "Storm over, ferries sail again.", "0x1p1"),
         "wrong_type", "score '0x1p1' is hexadecimal (Java's parseDouble reads 2.0)"),
    ], gz=True)


# ---------------------------------------------------------------------------------------------
# Clustering
# ---------------------------------------------------------------------------------------------


def arxiv():
    def r(id_, title, cats, abstract):
        return jl(OrderedDict([
            ("id", id_), ("submitter", "A. Author"), ("authors", "A. Author, B. Author"),
            ("title", title), ("comments", "10 pages"), ("journal-ref", None), ("doi", None),
            ("report-no", None), ("categories", cats), ("license", None), ("abstract", abstract),
            ("versions", [{"version": "v1", "created": "Mon, 4 Jan 2021 10:00:00 GMT"}]),
            ("update_date", "2021-01-05"), ("authors_parsed", [["Author", "A.", ""], ["Author", "B.", ""]]),
        ]))
    gnn = r("2101.00005", "On the chromatic number of random Cayley graphs", "math.CO",
            "  We bound the chromatic number of random Cayley graphs of abelian groups and show\n"
            "that it is concentrated on a small interval.\n")
    no_title = json.loads(r("2101.00010", "x", "cs.DS", "  An algorithm for dynamic matching.\n"))
    del no_title["title"]
    line_file("arxiv", "records", "arxiv/arxiv-metadata-oai-snapshot.json", [
        (r("2101.00001", "Graph neural networks for\n  molecular property prediction", "cs.LG stat.ML",
           "  We study message passing networks on molecular graphs and report gains on\nsolubility "
           "and toxicity benchmarks.\n"), OK, "title holds a newline + indent (collapsed)"),
        (r("2101.00002", "Attention is enough for low-resource machine translation", "cs.CL cs.LG",
           "  We train small transformer models for six low-resource language pairs.\n"), OK, ""),
        (r("2101.00003", "Next-to-leading order corrections to diphoton production at hadron colliders",
           "hep-ph", "  We compute NLO QCD corrections to diphoton production.\n"), OK, ""),
        (r("2101.00004", "Searching for heavy neutral leptons at the LHC", "hep-ph hep-ex",
           "  We propose a displaced-vertex search for heavy neutral leptons.\n"), OK, ""),
        (gnn, OK, ""),
        (r("2101.00006", "Mixing times of random walks on finite groups", "math.PR math.CO",
           "  We give sharp bounds on the mixing time of random walks on finite groups.\n"), OK, ""),
        (r("2101.00007", "Star formation histories of dwarf galaxies in the Local Group", "astro-ph.GA",
           "  We reconstruct the star formation histories of twelve dwarf galaxies.\n"), OK, ""),
        (r("2101.00008", "Error correction thresholds for surface codes with biased noise", "quant-ph",
           "  We show that tailored surface codes have higher thresholds under biased noise.\n"), OK, ""),
        (r("2101.00009", "Contrastive pretraining of sentence embeddings", "cs.CL",
           "  We pretrain sentence encoders with a contrastive objective on web pairs.\n"), OK, ""),
        (jl(no_title), "missing_field", "no title key"),
        (r("2101.00011", "  \n  ", "cs.IR", "  A study of query logs.\n"), "empty_text",
         "title is whitespace only"),
        (gnn, DUP, "exact duplicate of line 5"),
    ])


def rxiv(inst, records, extra):
    entries = []
    for i, (title, category, abstract) in enumerate(records):
        entries.append((jl(OrderedDict([("doi", "10.1101/2021.01.%02d.%06d" % (i + 1, 400000 + i)),
                                         ("title", title), ("abstract", abstract),
                                         ("category", category), ("date", "2021-01-%02d" % (i + 1))])),
                        OK, ""))
    entries.extend(extra)
    line_file(inst, "records", inst + "/train.jsonl", entries)


def biorxiv():
    rxiv("biorxiv", [
        ("Dopamine neurons encode reward prediction errors in freely moving mice", "neuroscience",
         "Using fibre photometry we recorded dopamine neuron activity during foraging."),
        ("Hippocampal replay during sleep predicts spatial memory", "neuroscience",
         "Replay events during sleep were correlated with performance the next day."),
        ("A cortical circuit for visual motion detection", "neuroscience",
         "We identify an inhibitory circuit that sharpens direction selectivity."),
        ("Biofilm formation in Pseudomonas aeruginosa depends on quorum sensing", "microbiology",
         "Mutants lacking the lasR gene formed thin, unstable biofilms."),
        ("Gut bacteria metabolise dietary fibre into short-chain fatty acids", "microbiology",
         "Metagenomic analysis revealed the main butyrate producers."),
        ("A fast aligner for long noisy sequencing reads", "bioinformatics",
         "Our aligner maps nanopore reads ten times faster with similar accuracy."),
        ("Predicting protein structure from sequence with deep learning", "bioinformatics",
         "We benchmark structure prediction tools on newly solved structures."),
        ("A database of single-cell expression atlases", "bioinformatics",
         "We integrate 120 single-cell datasets into a searchable atlas."),
    ], [
        (jl({"doi": "10.1101/2021.01.09.400008", "title": {"text": "Ribosome profiling in yeast"},
             "abstract": "We map translation at codon resolution.", "category": "molecular biology",
             "date": "2021-01-09"}), "wrong_type", "title is a JSON object"),
        ('{"doi": "10.1101/2021.01.10.400009", "title": "Broken record", "abstract": "x" '
         '"category": "genomics", "date": "2021-01-10"}', "malformed_record",
         "invalid JSON (missing comma)"),
        (jl({"doi": "10.1101/2021.01.11.400010", "title": "Chromatin loops in\uffff stem cells",
             "abstract": "Loop extrusion shapes gene expression.", "category": "genomics",
             "date": "2021-01-11"}), "control_characters",
         "noncharacter U+FFFF (valid UTF-8 EF BF BF) in title"),
    ])


def medrxiv():
    rxiv("medrxiv", [
        ("Household transmission of influenza in a prospective cohort", "epidemiology",
         "We followed 400 households through two influenza seasons."),
        ("Air pollution and asthma admissions in children", "epidemiology",
         "Daily admissions rose with fine particulate matter levels."),
        ("Shift work and the risk of type 2 diabetes", "epidemiology",
         "Night shift workers had a higher incidence of diabetes."),
        ("Antibiotic resistance in urinary tract infections", "infectious diseases",
         "Resistance to first-line antibiotics increased over ten years."),
        ("Efficacy of a malaria vaccine in young children", "infectious diseases",
         "The vaccine reduced clinical malaria episodes by 40 percent."),
        ("Circulating tumour DNA for early detection of colorectal cancer", "oncology",
         "ctDNA detected stage I tumours with moderate sensitivity."),
        ("Immunotherapy outcomes in elderly lung cancer patients", "oncology",
         "Patients over 75 showed response rates similar to younger patients."),
    ], [
        (jl({"doi": "10.1101/2021.01.08.400007", "title": "Telemedicine use in rural clinics",
             "abstract": "Video consultations doubled during the study period.", "category": None,
             "date": "2021-01-08"}), "missing_field", "category is null"),
        ('{"doi": "10.1101/2021.01.09.400008", "title": "Sleep duration and \\ud800 blood pressure", '
         '"abstract": "Short sleep was associated with hypertension.", "category": "epidemiology", '
         '"date": "2021-01-09"}', "invalid_utf8",
         "JSON escape \\ud800: half a surrogate pair (was written as '?')"),
    ])


# ---------------------------------------------------------------------------------------------
# Retrieval: record (pair) sources
# ---------------------------------------------------------------------------------------------


def paq():
    line_file("paq", "records", "paq/PAQ_pairs.jsonl.gz", [
        (jl(["who composed the four seasons", "The Four Seasons is a group of four violin concertos by "
             "Antonio Vivaldi, composed around 1718-1720."]), OK, ""),
        (jl(["what is the largest planet in the solar system", "Jupiter is the fifth planet from the Sun "
             "and the largest in the Solar System."]), OK, ""),
        (jl(["when was the printing press invented", "Johannes Gutenberg developed the movable-type "
             "printing press in Mainz around 1440."]), OK, ""),
        (jl(["what language is spoken in brazil", "Portuguese is the official and most widely spoken "
             "language of Brazil."]), OK, ""),
        (jl(["who was the first person to walk on the moon", "Neil Armstrong became the first person to "
             "walk on the Moon on 20 July 1969."]), OK, ""),
        (jl(["what is the boiling point of water at sea level", "At sea level, water boils at 100 degrees "
             "Celsius (212 degrees Fahrenheit)."]), OK, ""),
        ('["who founded rome", "According to legend, Rome was founded by Romulus', "malformed_record",
         "truncated JSON (unterminated string and array)"),
        (jl(["what is the capital of peru"]), "missing_field", "array has no [1] (positive)"),
        (jl(["who painted the starry night",
             {"text": "The Starry Night is an oil painting by Vincent van Gogh."}]), "wrong_type",
         "[1] is a JSON object"),
        (jl(["what is the largest planet in the solar system", "Jupiter is the fifth planet from the Sun "
             "and the largest in the Solar System."]), DUP, "exact duplicate of line 2"),
    ], gz=True)


def stackexchange():
    line_file("stackexchange", "records",
              "stackexchange/stackexchange_duplicate_questions_title_title.jsonl.gz", [
        (jl(["How do I exit Vim?", "How to quit the Vim editor?"]), OK, ""),
        (jl(["How to undo the last git commit?", "Revert the most recent local commit in Git"]), OK, ""),
        (jl(["What is the difference between TCP and UDP?", "TCP vs UDP: when should I use each?"]), OK, ""),
        (jl(["Why is my bread dense?", "How can I make my homemade bread less dense?"]), OK, ""),
        (jl(["How do I center a div horizontally?", "Horizontally centering a div inside another div"]),
         OK, ""),
        (jl(["Is it safe to leave a laptop plugged in all the time?",
             "Does keeping my laptop always on charge damage the battery?"]), OK, ""),
        (jl(["How to read a file line by line in Python?", "Python: iterate over the lines of a text file"]),
         OK, ""),
        (jl(["How do I remove a stuck bike pedal?", "   "]), "empty_text", "positive is three spaces"),
        (jl(["How do I exit Vim?", "How to quit the Vim editor?"]), DUP, "exact duplicate of line 1"),
    ], gz=True)
    truncated_gz_file("stackexchange", "records",
                      "stackexchange/stackexchange_duplicate_questions_body_body.jsonl.gz", [
        jl(["My sourdough starter smells like nail polish remover. Is it still usable?",
            "Acetone smell from a sourdough starter: what does it mean and how do I fix it?"]),
        jl(["Why does my cast iron pan have black flakes coming off after I season it?",
            "Black flakes on a cast iron skillet after seasoning: causes and fixes"]),
        jl(["How can I stop my laptop fan from running loudly while it is idle?",
            "Laptop fan always running at high speed even when nothing is open"]),
        jl(["What is the best way to store fresh herbs so they last more than a few days?",
            "Keeping basil, parsley and coriander fresh in the fridge for a week or longer"]),
        jl(["Is there a keyboard shortcut to move a window to another monitor on Windows?",
            "Moving the active window between displays without the mouse in Windows 10"]),
        jl(["How do I get rid of fruit flies in my kitchen without using chemicals?",
            "Natural ways to trap and remove fruit flies from the kitchen"]),
    ], keep=300)


def nli():
    n = [0]

    def r(premise, hyp, gold, drop=None):
        n[0] += 1
        o = OrderedDict([("annotator_labels", [gold] if gold != "-" else ["neutral", "entailment"]),
                         ("captionID", "%d.jpg#%d" % (3000 + n[0] // 4, n[0] % 4)),
                         ("gold_label", gold), ("pairID", "%d.jpg#r%d" % (3000 + n[0] // 4, n[0])),
                         ("sentence1", premise), ("sentence2", hyp)])
        if drop:
            del o[drop]
        return jl(o)
    p1 = "A man in a blue jacket is playing guitar on a street corner."
    p2 = "Two children are splashing in a shallow pool."
    p3 = "A woman is slicing vegetables in a kitchen."
    p4 = "An old dog lies in the sun on a porch."
    p5 = "A cyclist races down a mountain road."
    line_file("nli", "records", "snli/snli_1.0_train.jsonl", [
        (r(p1, "A man is playing an instrument outdoors.", "entailment"), OK, ""),
        (r(p1, "A man is busking to pay for his dinner.", "neutral"), "filtered", "gold_label neutral"),
        (r(p1, "A man is sleeping in his bed.", "contradiction"), "filtered", "gold_label contradiction"),
        (r(p2, "Kids are playing in water.", "entailment"), OK, ""),
        (r(p2, "Two brothers are at a birthday party.", "neutral"), "filtered", "gold_label neutral"),
        (r(p2, "The children are reading in a library.", "contradiction"), "filtered",
         "gold_label contradiction"),
        (r(p3, "Someone is preparing food.", "entailment"), OK, ""),
        (r(p3, "A woman is cooking dinner for her family.", "neutral"), "filtered", "gold_label neutral"),
        (r(p3, "A woman is driving a truck.", "contradiction"), "filtered", "gold_label contradiction"),
        (r(p4, "A dog is resting.", "-"), "filtered", "gold_label '-' (no consensus)"),
        (r(p4, "x", "entailment", drop="sentence2"), "missing_field", "entailment record without sentence2"),
        (r(p5, "A person is riding a bike.", "entailment"), OK, ""),
    ])


def nq_open():
    line_file("nq_open", "records", "nq_open/NQ-open.train.jsonl", [
        (jl({"question": "who wrote the novel moby dick", "answer": ["Herman Melville"]}), OK, ""),
        (jl({"question": "when did the berlin wall fall", "answer": ["9 November 1989", "1989"]}), OK,
         "two answers -> 2 rows", 1),
        (jl({"question": "what is the capital of canada", "answer": ["Ottawa"]}), OK, ""),
        (jl({"question": "who painted the mona lisa", "answer": ["Leonardo da Vinci"]}), OK, ""),
        (jl({"answer": ["eight"]}), "missing_field", "no question key"),
    ])


def squad():
    rel = "squad/train-v1.1.json"
    counter = [0]

    def qa(context, question, answer, outcome, note="", qid=None):
        counter[0] += 1
        q = OrderedDict()
        q["answers"] = [{"answer_start": context.find(answer), "text": answer}] if answer else []
        q["question"] = question
        q["id"] = qid or "5a%022x" % counter[0]
        account("squad", "records", outcome, rel, "qas record %d (file order)" % counter[0], note)
        return q
    c1 = ("The Eiffel Tower is a wrought-iron lattice tower in Paris. It was designed by the engineering "
          "company of Gustave Eiffel and completed in 1889 as the entrance arch of the World's Fair.")
    c2 = ("At 330 metres, the tower was the tallest man-made structure in the world for 41 years, until "
          "the Chrysler Building in New York was finished in 1930.")
    c3 = ("Photosynthesis is the process by which plants use sunlight, water and carbon dioxide to produce "
          "glucose and oxygen. It takes place mainly in the chloroplasts of leaf cells.")
    doc = OrderedDict([("data", [
        OrderedDict([("title", "Eiffel_Tower"), ("paragraphs", [
            OrderedDict([("context", c1), ("qas", [
                qa(c1, "Who designed the Eiffel Tower?", "the engineering company of Gustave Eiffel", OK),
                qa(c1, "When was the Eiffel Tower completed?", "1889", OK),
                qa(c1, "When was the Eiffel Tower  completed? ", "1889", DUP,
                   "same question (after whitespace collapse) and context as qas record 2; other id"),
            ])]),
            OrderedDict([("context", c2), ("qas", [
                qa(c2, "How tall is the Eiffel Tower?", "330 metres", OK),
                qa(c2, "Which building overtook the Eiffel Tower as the tallest structure?",
                   "the Chrysler Building", OK),
                qa(c2, "   ", "41 years", "empty_text", "question is three spaces"),
            ])]),
        ])]),
        OrderedDict([("title", "Photosynthesis"), ("paragraphs", [
            OrderedDict([("context", c3), ("qas", [
                qa(c3, "What do plants produce during photosynthesis?", "glucose and oxygen", OK),
                qa(c3, "Where does photosynthesis take place?", "in the chloroplasts of leaf cells", OK),
                qa(c3, "What gas do plants take in for photosynthesis?", "carbon dioxide", OK),
                qa(c3, None, "sunlight", "missing_field", "question is null"),
            ])]),
        ])]),
    ]), ("version", "1.1")])
    write_bytes(rel, b(json.dumps(doc, ensure_ascii=False) + "\n"))


# ---------------------------------------------------------------------------------------------
# Retrieval: queries + qrels (+ corpus) sources
# ---------------------------------------------------------------------------------------------


def doc(id_, title, text):
    return jl(OrderedDict([("_id", id_), ("title", title), ("text", text), ("metadata", {})]))


def query(id_, text):
    return jl(OrderedDict([("_id", id_), ("text", text), ("metadata", {})]))


def beir(inst, corpus, queries, qrels):
    line_file(inst, "corpus", inst + "/corpus.jsonl", corpus)
    line_file(inst, "queries", inst + "/queries.jsonl", queries)
    line_file(inst, "qrels", inst + "/qrels/train.tsv", qrels, header="query-id\tcorpus-id\tscore")


def q3(qid, did, rel=1):
    return "%s\t%s\t%s" % (qid, did, rel)


def hotpotqa():
    beir("hotpotqa", [
        (doc("hp1", "Eiffel Tower", "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars "
             "in Paris, completed in 1889."), OK, ""),
        (doc("hp2", "Seine", "The Seine is a river that flows through Paris before reaching the English "
             "Channel at Le Havre."), OK, ""),
        (doc("hp3", "Gustave Eiffel", "Gustave Eiffel was a French civil engineer whose company designed "
             "and built the Eiffel Tower."), OK, ""),
        (doc("hp4", "Dijon", "Dijon is a city in eastern France known for its mustard; Gustave Eiffel was "
             "born there in 1832."), OK, ""),
        (doc("hp5", "Thames", "The Thames flows through London and is the longest river entirely in "
             "England."), OK, ""),
        (doc("hp6", "Big Ben", "Big Ben is the nickname of the Great Bell of the clock at the north end of "
             "the Palace of Westminster in London, on the bank of the Thames."), OK, ""),
        (jl(OrderedDict([("_id", "hp7"), ("title", "Louvre"), ("metadata", {})])), "missing_field",
         "no text key"),
        (doc("hp8", "Louvre Pyramid", "The Louvre Pyramid is a glass and metal pyramid designed by I. M. "
             "Pei; it is the main entrance of the Louvre museum in Paris."), OK, ""),
    ], [
        (query("q1", "Which river flows through the city where the Eiffel Tower stands?"), OK, ""),
        (query("q2", "In which city was the engineer whose company built the Eiffel Tower born?"), OK, ""),
        (query("q3", "Which river runs past the palace whose clock bell is called Big Ben?"), OK, ""),
        (query("q4", "Who designed the main entrance of the museum in the city on the Seine?"), OK, ""),
        (query("q5", ["What river", "flows through London?"]), "wrong_type", "text is a JSON array"),
        (query("q1", "Which river flows through Paris?"), "duplicate_id",
         "id q1 again with different text (first kept)"),
        (query("q6", "What is the longest river entirely in England?"), OK, ""),
    ], [
        (q3("q1", "hp1"), OK, ""), (q3("q1", "hp2"), OK, ""),
        (q3("q2", "hp3"), OK, ""), (q3("q2", "hp4"), OK, ""),
        (q3("q3", "hp6"), OK, ""), (q3("q3", "hp5"), OK, ""),
        (q3("q4", "hp8"), OK, ""), (q3("q6", "hp5"), OK, ""),
        (q3("q4", "hp9"), "dangling_doc_id", "hp9 is not in corpus.jsonl"),
        (q3("q4", "hp1", 0), "filtered", "score 0 < min_relevance 1"),
    ])


def fiqa():
    beir("fiqa", [
        (doc("101", "", "An index fund tracks a market index, so its fees are low and you get broad "
             "diversification without picking stocks."), OK, "empty title, as in the real FiQA corpus"),
        (doc("102", "", "Contributions to a traditional IRA may be tax-deductible, while Roth IRA "
             "withdrawals in retirement are tax-free."), OK, ""),
        (doc("103", "", "If you pay your credit card balance in full every month you will not pay any "
             "interest on purchases."), OK, ""),
        (doc("104", "", "Dividends from US stocks held long enough are taxed as qualified dividends, at "
             "a lower rate than ordinary income."), OK, ""),
        (doc("105", "", "An emergency fund of three to six months of expenses keeps you from selling "
             "investments at a bad time."), OK, ""),
        (doc("102", "", "A Roth IRA is a kind of savings account."), "duplicate_id",
         "doc 102 again with different text (first kept)"),
        (doc("103", "", "If you pay your credit card balance in full every month you will not pay any "
             "interest on purchases."), DUP, "exact duplicate of line 3"),
        (doc("106", "", "Paying down high-interest debt first usually beats the expected return of "
             "investing."), OK, ""),
    ], [
        (query("1", "Are index funds a good choice for a beginner investor?"), OK, ""),
        (query("2", "What is the difference between a Roth IRA and a traditional IRA?"), OK, ""),
        (query("3", "Do I pay interest if I clear my credit card every month?"), OK, ""),
        (query("4", "How are dividends taxed in the US?"), OK, ""),
        (query("5", "How much should I keep in an emergency fund?\u0001"), "control_characters",
         "escaped \\u0001 in text"),
        (query("6", "Should I pay off my debt or invest?"), OK, ""),
        (query("7", "Is it worth buying gold as an investment?"), OK, "no qrels: still a query row"),
    ], [
        (q3("1", "101"), OK, ""), (q3("2", "102"), OK, ""), (q3("3", "103"), OK, ""),
        (q3("4", "104"), OK, ""), (q3("6", "106"), OK, ""), (q3("6", "105"), OK, ""),
        (q3("99", "105"), "dangling_query_id", "query 99 is not in queries.jsonl"),
    ])


def fever():
    beir("fever", [
        (doc("Eiffel_Tower", "Eiffel Tower", "The Eiffel Tower is a lattice tower in Paris, completed in 1889 "
             "for the Exposition Universelle."), OK, ""),
        (doc("Mount_Everest", "Mount Everest", "Mount Everest is the highest mountain above sea level, in "
             "the Himalayas on the border of Nepal and China."), OK, ""),
        (doc("Python_(programming_language)", "Python (programming language)", "Python is a high-level "
             "programming language first released by Guido van Rossum in 1991."), OK, ""),
        (doc("Great_Wall_of_China", "Great Wall of China", "The Great Wall of China is a series of "
             "fortifications built across the historical northern borders of China."), OK, ""),
        (doc("Amazon_River", "Amazon River", "The Amazon River in South America is the largest river in "
             "the world by discharge volume."), OK, ""),
        ('{"_id": "Nile", "title": "Nile", "text": "The Nile is a major north-flowing river in Africa.", '
         '"metadata": {}', "malformed_record", "truncated JSON object (no closing brace)"),
        (doc("Marie_Curie", "Marie Curie", "Marie Curie was a physicist and chemist who did pioneering "
             "research on radioactivity and won two Nobel Prizes."), OK, ""),
    ], [
        (query("75001", "The Eiffel Tower was completed in the nineteenth century."), OK, ""),
        (query("75002", "Mount Everest is located in the Andes."), OK, ""),
        (query("75003", "Python was first released in 1991."), OK, ""),
        (query("75004", "The Amazon River carries more water than any other river."), OK, ""),
        (query("75005", "Marie Curie won two Nobel Prizes."), OK, ""),
        (jl(OrderedDict([("text", "The Great Wall of China is visible from the Moon."), ("metadata", {})])),
         "missing_field", "no _id key"),
        (query("75007", "The Great Wall of China was built along China's northern borders."), OK, ""),
    ], [
        (q3("75001", "Eiffel_Tower"), OK, ""), (q3("75002", "Mount_Everest"), OK, ""),
        (q3("75003", "Python_(programming_language)"), OK, ""), (q3("75004", "Amazon_River"), OK, ""),
        (q3("75005", "Marie_Curie"), OK, ""), (q3("75007", "Great_Wall_of_China"), OK, ""),
        (q3("75001", "Eiffel_Tower"), DUP, "same qrels line as line 2: same query and positive"),
    ])


def bioasq():
    beir("bioasq", [
        (doc("10001", "Metformin and lactic acidosis in type 2 diabetes", "Metformin is the first-line drug "
             "for type 2 diabetes; lactic acidosis is a rare but serious adverse effect, mostly in patients "
             "with renal impairment."), OK, ""),
        (doc("10002", "BRCA1 mutations and breast cancer risk", "Women carrying a BRCA1 mutation have a "
             "lifetime breast cancer risk of roughly 60 to 70 percent."), OK, ""),
        (doc("10003", "Statins lower LDL cholesterol", "Statins inhibit HMG-CoA reductase and reduce LDL "
             "cholesterol by 30 to 50 percent."), OK, ""),
        (doc("10004", "CRISPR-Cas9 genome editing", "CRISPR-Cas9 uses a guide RNA to direct the Cas9 "
             "nuclease to a target DNA sequence, where it makes a double-strand break."), OK, ""),
        (doc("10005", "Vitamin D and bone density", " \n\t "), "empty_text", "text is whitespace only"),
        (doc("10006", "Aspirin for secondary prevention", "Low-dose aspirin reduces the risk of recurrent "
             "myocardial infarction and stroke in patients with cardiovascular disease."), OK, ""),
    ], [
        (query("b1", "What is the most serious adverse effect of metformin?"), OK, ""),
        (query("b2", "What is the breast cancer risk for BRCA1 mutation carriers?"), OK, ""),
        (query("b3", "Which enzyme do statins inhibit?"), OK, ""),
        (query("b4", "How does Cas9 find its target DNA?"), OK, ""),
        (query("b5", None), "missing_field", "text is null"),
        (query("b6", "Is aspirin used to prevent a second heart attack?"), OK, ""),
    ], [
        (q3("b1", "10001"), OK, ""), (q3("b2", "10002"), OK, ""), (q3("b3", "10003"), OK, ""),
        (q3("b4", "10004"), OK, ""), (q3("b6", "10006"), OK, ""),
        ("b6\t10006", "malformed_record", "wrong column count (2 of 3)"),
    ])


def arguana():
    a1a = ("Advertising unhealthy food to children drives obesity; a ban would protect children who cannot "
           "judge what they are shown.")
    a2a = "A four-day week improves wellbeing and productivity, as workers come back rested and focused."
    a3a = "Compulsory voting makes sure that elected governments reflect the views of the whole population."
    beir("arguana", [
        (doc("training-health-jfab-pro01a", "Ban junk food advertising to children", a1a), OK, ""),
        (doc("training-health-jfab-pro01b", "Ban junk food advertising to children", "Parents, not "
             "advertisers, decide what children eat; a ban restricts free speech and would do little "
             "against obesity."), OK, ""),
        (doc("training-economy-fdww-pro01a", "Introduce a four-day working week", a2a), OK, ""),
        (doc("training-economy-fdww-pro01b", "Introduce a four-day working week", "Many services cannot "
             "close for a day; a four-day week would raise costs and push more work onto fewer staff."),
         OK, ""),
        (doc("training-politics-cvote-pro01a", "Make voting compulsory", a3a), OK, ""),
        (doc("training-politics-cvote-pro01b", "Make voting compulsory", "Forcing people to vote produces "
             "uninformed ballots and takes away the freedom not to take part."), OK, ""),
    ], [
        (query("training-health-jfab-pro01a", a1a), OK, ""),
        (query("training-economy-fdww-pro01a", a2a), OK, ""),
        (query("training-politics-cvote-pro01a", a3a), OK, ""),
        (query("training-economy-fdww-pro01a", a2a), DUP, "exact duplicate of line 2"),
    ], [
        (q3("training-health-jfab-pro01a", "training-health-jfab-pro01b"), OK, ""),
        (q3("training-economy-fdww-pro01a", "training-economy-fdww-pro01b"), OK, ""),
        (q3("training-politics-cvote-pro01a", "training-politics-cvote-pro01b"), OK, ""),
    ])


def nq():
    ottawa = ("Ottawa is the capital city of Canada, located on the south bank of the Ottawa River in "
              "Ontario.")
    beir("nq", [
        (doc("doc0", "Moby-Dick", "Moby-Dick is an 1851 novel by American writer Herman Melville about the "
             "whaling voyage of Captain Ahab."), OK, ""),
        (doc("doc1", "Berlin Wall", "The Berlin Wall fell on 9 November 1989, when East German authorities "
             "opened the border crossings."), OK, ""),
        (doc("doc2", "Ottawa", ottawa), OK, ""),
        (doc("doc3", "Solar System", "The Solar System has eight planets: Mercury, Venus, Earth, Mars, "
             "Jupiter, Saturn, Uranus and Neptune."), OK, ""),
        (doc("doc4", "Mona Lisa", "The Mona Lisa is a portrait painted by Leonardo da Vinci, on display at "
             "the Louvre in Paris."), OK, ""),
        (doc("doc2", "Ottawa", ottawa.replace("capital city", "capital  city") + " "), DUP,
         "doc2 again, same title and text after whitespace collapse"),
    ], [
        (query("n1", "who wrote moby dick"), OK, ""),
        (query("n2", "when did the berlin wall come down"), OK, ""),
        (query("n3", "what is the capital of canada"), OK, ""),
        (query("n4", "how many planets are in the solar system"), OK, ""),
        (query("n5", "who painted the mona lisa"), OK, ""),
        (query("n6", "\u00a0\u2003 "), "empty_text", "text is no-break space + em space + space"),
    ], [
        (q3("n1", "doc0"), OK, ""), (q3("n2", "doc1"), OK, ""), (q3("n3", "doc2"), OK, ""),
        (q3("n4", "doc3"), OK, ""), (q3("n5", "doc4"), OK, ""),
        (q3("n5", "doc77"), "dangling_doc_id", "doc77 is not in corpus.jsonl"),
    ])


def msmarco():
    line_file("msmarco", "corpus", "msmarco/collection.tsv", [
        ("0\tThe Manhattan Project was the research effort during World War II that produced the first "
         "nuclear weapons, led by the United States.", OK, ""),
        ("1\tGoldfish can grow quite large when kept in a pond; in small bowls their growth is stunted.", OK, ""),
        ("2\tBluetooth is a short-range wireless standard for connecting devices, while Wi-Fi connects "
         "devices to a network and the internet.", OK, ""),
        ("3\tA tension headache can often be eased without medication by rest, water, a warm compress and "
         "gentle neck stretches.", OK, ""),
        ("4\tThe Eiffel Tower in Paris was completed in 1889 for the World's Fair.", OK, ""),
        ("5\tPhotosynthesis converts light energy into chemical energy stored in glucose.", OK, ""),
        ("6\tTo hard-boil an egg, keep it in boiling water for about nine minutes.", OK, ""),
        ('7\tPaula Deen\'s brother, Earl "Bubba" Hiers, ran a restaurant with her in Savannah.', OK,
         "unescaped double quotes in a quote-less TSV"),
        ("4\tThe Eiffel Tower is 330 metres tall.", "duplicate_id", "pid 4 again with different text"),
        ("5\tPhotosynthesis converts light energy into chemical energy stored in glucose.", DUP,
         "exact duplicate of line 6"),
        ("9\tCanberra is the capital\x01 of Australia.", "control_characters", "raw 0x01 byte"),
        ("10 this line lost its tab", "malformed_record", "wrong column count (1 of 2: no tab)"),
        ("11\t   ", "empty_text", "passage is three spaces"),
        ("12\tCanberra was chosen as the capital of Australia in 1908 as a compromise between Sydney and "
         "Melbourne.", OK, ""),
    ])
    line_file("msmarco", "queries", "msmarco/queries.train.tsv", [
        ("1001\thow big do goldfish grow", OK, ""),
        ("1002\twifi vs bluetooth difference", OK, ""),
        ("1003\ttreating tension headaches without medication", OK, ""),
        ("1004\twhen was the eiffel tower built", OK, ""),
        ("1005\thow does photosynthesis work", OK, ""),
        ("1006\thow long to boil an egg", OK, ""),
        ("1007\twhat is paula deen's brother's name", OK, ""),
        ("1008\twho led the manhattan project", OK, ""),
        ("1009\t   ", "empty_text", "query is three spaces"),
        ("1004\twhen was the eiffel tower built", DUP, "exact duplicate of line 4"),
        ("1010\twhat is the capital of australia", OK, ""),
        ("1011\twho invented the telephone", OK, "no qrels: still a query row"),
    ])
    line_file("msmarco", "qrels", "msmarco/qrels.train.tsv", [
        ("1001\t0\t1\t1", OK, ""), ("1002\t0\t2\t1", OK, ""), ("1003\t0\t3\t1", OK, ""),
        ("1004\t0\t4\t1", OK, ""), ("1005\t0\t5\t1", OK, ""), ("1006\t0\t6\t1", OK, ""),
        ("1007\t0\t7\t1", OK, ""), ("1008\t0\t0\t1", OK, ""), ("1010\t0\t12\t1", OK, ""),
        ("1006\t0\t99\t1", "dangling_doc_id", "pid 99 is not in collection.tsv"),
        ("2000\t0\t1\t1", "dangling_query_id", "qid 2000 is not in queries.train.tsv"),
        ("1002\t0\t5\t0", "filtered", "relevance 0 < min_relevance 1"),
        ("1001\t0\t1\t1", DUP, "exact duplicate of line 1 (same query and positive)"),
    ])


# ---------------------------------------------------------------------------------------------

STEPS = [banking77, amazon_counterfactual, emotion, imdb, tweet_sentiment_extraction,
         amazon_reviews, toxic_conversations, mtop_intent, stsbenchmark, sts12, sts22,
         arxiv, biorxiv, medrxiv, msmarco, hotpotqa, nq, nq_open, paq, stackexchange, nli, squad,
         arguana, bioasq, fiqa, fever]


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


README_HEAD = """# test-data

Small hand-written files (all text invented) in the **native published layout** of every source
instance of `conf/local.yaml`, with bad records planted on purpose. `expected-counts.yaml` gives,
per instance and input role, the exact `read` / `written` / `duplicates` / `expanded` / `rejects`
that an ingest of `conf/local.yaml` must produce (read + expanded = written + rejects + duplicates).

Everything here is written by `generate.py` (deterministic: gzip with mtime 0, fixed Parquet
layout). To change the data, edit the record lists in `generate.py`: each record is declared with
its expected fate, and the counts, this table and the comments of `expected-counts.yaml` follow.

| folder | layout | instance(s) |
|---|---|---|
| `banking77/` | PolyAI CSV `text,category` + `categories.json` | banking77, banking77_test |
| `amazon_counterfactual/` | TSV `sentence<TAB>is_counterfactual`, CSV quoting | amazon_counterfactual, amazon_counterfactual_test |
| `amazon_reviews/en/` | HF Parquet `id,text,label,label_text` | amazon_reviews |
| `emotion/` | `text;label` lines, no header, no quoting | emotion |
| `imdb/aclImdb/train/{pos,neg}/<id>_<rating>.txt` | one review per file | imdb |
| `mtop_intent/en/train.jsonl` | JSONL `id,text,label,label_text` | mtop_intent |
| `toxic_conversations/` | HF Parquet `text,label,label_text` | toxic_conversations |
| `tweet_sentiment_extraction/train.csv` | Kaggle CSV `textID,text,selected_text,sentiment` | tweet_sentiment_extraction |
| `stsbenchmark/` | official TSV, no header, 7 (+extra) columns | stsbenchmark, stsbenchmark_test |
| `sts12/train.jsonl.gz`, `sts22/train.jsonl.gz` | MTEB JSONL (gz) `sentence1,sentence2,score` | sts12, sts22 |
| `arxiv/arxiv-metadata-oai-snapshot.json` | Kaggle snapshot JSONL | arxiv |
| `biorxiv/`, `medrxiv/` `train.jsonl` | JSONL `title,abstract,category` | biorxiv, medrxiv |
| `paq/PAQ_pairs.jsonl.gz` | sentence-transformers pairs `["q","pos"]` (gz) | paq |
| `stackexchange/stackexchange_duplicate_questions_{title_title,body_body}.jsonl.gz` | same (`body_body` cut short, as an interrupted download leaves it) | stackexchange |
| `snli/snli_1.0_train.jsonl` | SNLI JSONL (parse-tree fields left out) | nli |
| `squad/train-v1.1.json` | SQuAD v1.1 JSON | squad |
| `nq_open/NQ-open.train.jsonl` | NQ-open JSONL `question, answer[]` | nq_open |
| `msmarco/` | `collection.tsv`, `queries.train.tsv`, `qrels.train.tsv` (tab-separated TREC qrels) | msmarco |
| `hotpotqa/ nq/ arguana/ bioasq/ fiqa/ fever/` | BEIR: `corpus.jsonl`, `queries.jsonl`, `qrels/train.tsv` | same names |

Which reject reason is planted where (every reason of docs/config.md occurs at least once):
`malformed_record` (bad JSON, JSON array instead of object, text after a JSON object, two
objects on one line, unbalanced CSV quote on the last line and in the middle of a file, wrong
column count), `truncated_input` (a `.gz` cut short), `invalid_utf8` (raw bytes FF FE, a JSON
escape of half a surrogate pair), `missing_field` (absent key, JSON null, Parquet null),
`wrong_type` (object/array where text is expected, non-numeric score, scores outside decimal
syntax: `4d`, ` 3.000`, `0x1p1`), `control_characters` (raw 0x01, escaped \\u0001 / \\u0007,
the noncharacter U+FFFF), `empty_text` (spaces, tabs, no-break/ideographic spaces,
whitespace-only file), `score_nan`, `score_out_of_range`, `duplicate_id` (corpus and queries),
`dangling_doc_id`, `dangling_query_id`, `unknown_label`, `filtered` (SNLI non-entailment and
`-`, qrels relevance 0). Also: exact duplicates that only match after whitespace collapse or NFC,
multi-line quoted CSV fields (banking77 line 10, tweet_sentiment_extraction line 5), one
multi-valued positive (nq_open line 2), two extra STS Benchmark columns, empty FiQA titles (valid),
queries without qrels (still written to the queries table), a blank JSONL line (not read),\n`imdb/aclImdb/README` and `imdb/aclImdb/train/unsup/0_0.txt` (in the published layout, outside\nthe source's glob `train/{pos,neg}/*.txt`: never read).

Locations: `line N` is the first physical line of the record (header = line 1); Parquet rows and
SQuAD qas records are 0-/1-based as written.

## Every planted record

"""


def main():
    for name in os.listdir(ROOT):
        p = os.path.join(ROOT, name)
        if os.path.isdir(p):
            shutil.rmtree(p)
    for step in STEPS:
        step()
    with open(os.path.join(ROOT, "expected-counts.yaml"), "w") as f:
        f.write(expected_yaml())
    with open(os.path.join(ROOT, "README.md"), "w") as f:
        f.write(README_HEAD + planted_md())


if __name__ == "__main__":
    main()
