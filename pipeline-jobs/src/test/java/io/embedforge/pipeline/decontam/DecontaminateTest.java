package io.embedforge.pipeline.decontam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.schema.ClassificationTable;
import io.embedforge.pipeline.schema.QueriesTable;
import io.embedforge.pipeline.schema.StsTable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

class DecontaminateTest extends SparkTestBase {

    static Row text(String source, String split, String id, String text, String label) {
        return RowFactory.create(source, split, id, text, label, label);
    }

    @Test
    void dropsExactAndNearDuplicatesOfEvalTextsWithTheMatchingEvalId() {
        List<Row> cls =
                List.of(
                        text("emotion", "train", "t1", "i feel so happy  today", "joy"),
                        text(
                                "emotion",
                                "train",
                                "t2",
                                "i feel so happy today and tomorrow too",
                                "joy"),
                        text(
                                "emotion",
                                "train",
                                "t3",
                                "nothing in common with anything",
                                "sadness"),
                        text("emotion", "train", "t4", "the rain in spain falls mainly", "sadness"),
                        text("emotion", "test", "e1", "i feel so happy today", "joy"),
                        text("emotion", "test", "e2", "I feel so happy today and tomorrow", "joy"),
                        text(
                                "banking77",
                                "train",
                                "b1",
                                "the rain in spain falls mainly on the plain",
                                "x"),
                        text("banking77", "train", "b2", "where is my card", "card"));
        List<Row> sts =
                List.of(
                        RowFactory.create("stsb", "train", "s1", "where is my card", "a b c", 3.0),
                        RowFactory.create(
                                "stsb",
                                "test",
                                "s2",
                                "the rain in spain falls mainly on the plain",
                                "x y",
                                1.0));
        List<Row> queries = List.of(RowFactory.create("fiqa", "test", "q9", "a b c"));
        DecontamParams p =
                new DecontamParams(
                        null,
                        null,
                        Map.of("emotion", new NearDuplicateRule(null, 2, 0.5)),
                        null,
                        null);
        Decontaminate.Output out =
                Decontaminate.apply(
                        Map.of(
                                ClassificationTable.NAME,
                                spark().createDataFrame(cls, ClassificationTable.SCHEMA),
                                StsTable.NAME,
                                spark().createDataFrame(sts, StsTable.SCHEMA),
                                QueriesTable.NAME,
                                spark().createDataFrame(queries, QueriesTable.SCHEMA)),
                        p);
        Map<String, String> rejects = new TreeMap<>();
        for (Row r : out.rejects().collectAsList()) {
            rejects.put(r.getString(5), r.getString(4) + " " + r.getString(6));
            assertEquals("decontaminate", r.getString(2));
        }
        assertEquals(
                Map.of(
                        "classification/emotion/train/t1",
                        "eval_exact_match field text equals eval text classification/emotion/test/e1",
                        "classification/emotion/train/t2",
                        "eval_near_duplicate field text is a near duplicate of eval text"
                                + " classification/emotion/test/e2 (word n-gram Jaccard 0.857)",
                        "classification/banking77/train/b1",
                        "eval_exact_match field text equals eval text sts/stsb/test/s2",
                        "sts/stsb/train/s1",
                        "eval_exact_match field text_b equals eval text queries/fiqa/test/q9"),
                rejects);
        TreeSet<String> kept = new TreeSet<>();
        for (Row r : out.tables().get(ClassificationTable.NAME).collectAsList()) {
            kept.add(r.getString(2));
        }
        // t4 shares words with an eval text of another source but banking77 has no near rule.
        assertEquals(new TreeSet<>(List.of("t3", "t4", "e1", "e2", "b2")), kept);
        assertEquals(1L, out.tables().get(StsTable.NAME).count());
        assertTrue(!out.tables().containsKey(QueriesTable.NAME), "queries only provide eval texts");

        DecontamSummary summary = out.summary().get();
        assertEquals(4L, summary.rowsDropped());
        Map<String, DecontamSummary.TableSource> perSource = summary.perTableSource();
        assertEquals(
                new DecontamSummary.TableSource(4L, 1L, 1L, 0L, 2L),
                perSource.get("classification/emotion"));
    }

    @Test
    void ngramsAreDistinctLowercasedWordSequences() {
        assertEquals(
                List.of("i feel", "feel so", "so happy"),
                Decontaminate.ngrams("I feel so happy", 2));
        assertEquals(List.of("hi there"), Decontaminate.ngrams("Hi, there!", 3));
        assertEquals(List.of("a a"), Decontaminate.ngrams("a a a", 2));
        assertEquals(List.of(), Decontaminate.ngrams("  ", 2));
    }

    @Test
    void aRuleWithoutEvalSourcesChecksEveryInstanceOfItsDataset() {
        DecontamParams p =
                new DecontamParams(
                                null,
                                null,
                                Map.of(
                                        "emotion",
                                        new NearDuplicateRule(null, 2, 0.5),
                                        "banking77",
                                        new NearDuplicateRule(List.of("x"), 2, 0.5)),
                                null,
                                null)
                        .withEvalSourcesOfSameDataset(
                                Map.of(
                                        "emotion", "emotion",
                                        "emotion_test", "emotion",
                                        "banking77", "banking77",
                                        "banking77_test", "banking77"));
        assertEquals(
                List.of("emotion", "emotion_test"),
                p.nearDuplicates().get("emotion").evalSourcesOf("emotion"));
        assertEquals(List.of("x"), p.nearDuplicates().get("banking77").evalSourcesOf("banking77"));
    }
}
