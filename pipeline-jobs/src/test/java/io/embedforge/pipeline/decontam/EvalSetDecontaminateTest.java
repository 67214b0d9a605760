package io.embedforge.pipeline.decontam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.schema.ClassificationTable;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.StsTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eval_configs}: the scored texts of an eval config's sets are removed from rows of every
 * split (train and dev here; a test row too), with {@code eval_set_match} rejects naming the set,
 * and the summary reconciles; a broken eval config stops the stage naming it.
 */
class EvalSetDecontaminateTest extends SparkTestBase {

    @TempDir Path dir;

    private Path evalConfig() throws IOException {
        Files.writeString(
                dir.resolve("sts.tsv"),
                "g\tf\t2020\t1\t4.0\tA man is playing a guitar.\tSomeone plays music.\n"
                        + "g\tf\t2020\t2\t1.0\tA cat sleeps.\tA dog barks.\n");
        Files.writeString(
                dir.resolve("cls.csv"),
                "text,label\nI lost my card,lost\nWhere is my card,arrival\n");
        Path conf = dir.resolve("eval-x.yaml");
        Files.writeString(
                conf,
                """
                data_root: .
                sets:
                  - {name: sts-x, kind: sts, instruction: I, path: sts.tsv}
                  - {name: cls-x, kind: classification, instruction: I, train: cls.csv,
                     test: cls.csv, texts: {format: csv, text_field: text, label_field: label}}
                """);
        return conf;
    }

    @Test
    void rowsOfEverySplitWithAnEvalSetTextAreDropped() throws IOException {
        List<Row> cls =
                List.of(
                        RowFactory.create("banking", "train", "c1", "I  lost my card", "l", "lost"),
                        RowFactory.create("banking", "train", "c2", "card arrived", "o", "ok"),
                        RowFactory.create("banking", "dev", "c3", " I lost my card\n", "l", "lost"),
                        RowFactory.create("banking", "test", "c4", "I lost my card", "l", "lost"));
        List<Row> sts =
                List.of(
                        RowFactory.create("stsb", "dev", "s1", "Someone plays music.", "x", 1.0),
                        RowFactory.create("stsb", "train", "s2", "a b", "c d", 2.0));
        DecontamParams p =
                new DecontamParams(null, null, null, null, List.of(evalConfig().toString()));
        Decontaminate.Output out =
                Decontaminate.apply(
                        Map.of(
                                ClassificationTable.NAME,
                                spark().createDataFrame(cls, ClassificationTable.SCHEMA),
                                StsTable.NAME,
                                spark().createDataFrame(sts, StsTable.SCHEMA)),
                        p);
        Map<String, String> rejects = new TreeMap<>();
        Map<String, String> reasons = new TreeMap<>();
        for (Row r : out.rejects().collectAsList()) {
            reasons.put(r.getAs(RejectsTable.LOCATION), r.getAs(RejectsTable.REASON));
            rejects.put(r.getAs(RejectsTable.LOCATION), r.getAs(RejectsTable.DETAIL));
        }
        // c1 also equals the test row c4 of the profile: the split rule's exact match comes first
        assertEquals(Decontaminate.EXACT, reasons.get("classification/banking/train/c1"));
        assertEquals(Decontaminate.EVAL_SET, reasons.get("classification/banking/dev/c3"));
        assertEquals(Decontaminate.EVAL_SET, reasons.get("classification/banking/test/c4"));
        assertEquals(Decontaminate.EVAL_SET, reasons.get("sts/stsb/dev/s1"));
        assertEquals(
                List.of(
                        "classification/banking/dev/c3",
                        "classification/banking/test/c4",
                        "classification/banking/train/c1",
                        "sts/stsb/dev/s1"),
                List.copyOf(rejects.keySet()));
        assertTrue(
                rejects.get("sts/stsb/dev/s1")
                        .equals("field text_a equals a text of eval set eval/eval-x.yaml/sts-x/2"),
                rejects.toString());
        assertEquals(
                List.of("c2"),
                out
                        .tables()
                        .get(ClassificationTable.NAME)
                        .select(Columns.EXAMPLE_ID)
                        .collectAsList()
                        .stream()
                        .map(r -> r.getString(0))
                        .toList());
        DecontamSummary s = out.summary().get();
        assertEquals(4, s.rowsDropped());
        assertEquals(
                new DecontamSummary.TableSource(2, 1, 0, 0, 1),
                s.perTableSource().get("classification/banking"));
        assertEquals(
                Map.of(
                        "classification/banking/dev", 1L,
                        "classification/banking/test", 1L,
                        "sts/stsb/dev", 1L),
                s.otherSplitsDropped());
    }

    @Test
    void aBrokenEvalConfigStopsTheStageNamingIt() {
        Path missing = dir.resolve("nope.yaml");
        DecontamParams p = new DecontamParams(null, null, null, null, List.of(missing.toString()));
        List<Row> cls = List.of(RowFactory.create("banking", "train", "c1", "x", "y", "y"));
        UncheckedIOException e =
                assertThrows(
                        UncheckedIOException.class,
                        () ->
                                Decontaminate.apply(
                                        Map.of(
                                                ClassificationTable.NAME,
                                                spark().createDataFrame(
                                                                cls, ClassificationTable.SCHEMA)),
                                        p));
        assertTrue(
                e.getMessage().contains("eval config " + missing)
                        && e.getMessage().contains("does not exist"),
                e.getMessage());
    }

    @Test
    void theEvalConfigAndItsSetFilesAreStageInputs() throws IOException {
        Path conf = evalConfig();
        DecontamParams p = new DecontamParams(null, null, null, null, List.of(conf.toString()));
        assertEquals(
                List.of(
                        conf.toString(),
                        dir.resolve("sts.tsv").toString(),
                        dir.resolve("cls.csv").toString(),
                        dir.resolve("cls.csv").toString()),
                new Decontaminate().inputs(null, p).files());
    }

    @Test
    void evalConfigPathsAreRelativeToTheProfile() {
        DecontamParams p =
                new DecontamParams(null, null, null, null, List.of("eval-real-samples.yaml"))
                        .withEvalConfigsUnder(Path.of("/repo/conf"));
        assertEquals(List.of("/repo/conf/eval-real-samples.yaml"), p.evalConfigs());
    }
}
