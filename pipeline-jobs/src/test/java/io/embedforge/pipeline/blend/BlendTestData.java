package io.embedforge.pipeline.blend;

import io.embedforge.pipeline.labels.LabelNegatives;
import io.embedforge.pipeline.schema.NegativesTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Inline mining outputs for blend and report tests: two retrieval sources (one with 9 negatives,
 * one with a (query, positive) duplicate of the other), an STS source and a clustering source with
 * S2S and P2P queries.
 */
public final class BlendTestData {
    private BlendTestData() {}

    static final StructType LABEL_SCHEMA =
            NegativesTable.SCHEMA.add(LabelNegatives.QUERY_FIELD, DataTypes.StringType, true);

    public static final Map<String, SourceInfo> SOURCES = new LinkedHashMap<>();

    static {
        SOURCES.put(
                "msmarco", new SourceInfo("msmarco", "retrieval", "Find passages", null, false));
        SOURCES.put("nq", new SourceInfo("nq", "retrieval", "Find wiki passages", null, false));
        SOURCES.put("stsb", new SourceInfo("stsb", "sts", "Retrieve similar text.", null, true));
        SOURCES.put(
                "arxiv",
                new SourceInfo(
                        "arxiv",
                        "clustering",
                        "Identify by titles",
                        "Identify by abstracts",
                        false));
    }

    static Row ex(
            String source, String id, String task, String q, String pos, int negs, String miner) {
        List<String> n = new ArrayList<>();
        List<Double> s = new ArrayList<>();
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < negs; i++) {
            n.add(q + " neg " + i);
            s.add(miner.equals("label") ? null : 10.0 - i);
            r.add(i + 1);
        }
        return RowFactory.create(source, "train", id, task, q, pos, n, s, r, miner);
    }

    static Row lab(String source, String id, String q, String pos, String field) {
        return RowFactory.create(
                source,
                "train",
                id,
                "clustering",
                q,
                pos,
                List.of("cs.AI"),
                java.util.Arrays.asList((Double) null),
                List.of(1),
                "label",
                field);
    }

    public static Map<String, Dataset<Row>> inputs(
            SparkSession spark, int retrievalPerSource, int partitions) {
        List<Row> dense = new ArrayList<>();
        for (int i = 0; i < retrievalPerSource; i++) {
            dense.add(ex("msmarco", "m" + i, "retrieval", "mq" + i, "mp" + i, 9, "dense"));
            dense.add(ex("nq", "n" + i, "retrieval", "nq" + i, "np" + i, 3, "dense"));
        }
        // duplicate (query, positive) of msmarco m0 in nq: dropped from nq
        dense.add(ex("nq", "dup", "retrieval", "mq0", "mp0", 2, "dense"));
        List<Row> bm25 = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            bm25.add(ex("stsb", "s" + i, "sts", "sa" + i, "sb" + i, 2, "bm25"));
        }
        List<Row> labels = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            labels.add(lab("arxiv", "a" + i, "title " + i, "cs.CL", "title"));
            labels.add(lab("arxiv", "b" + i, "abstract " + i, "cs.CL", "abstract"));
        }
        Map<String, Dataset<Row>> m = new LinkedHashMap<>();
        m.put(
                "mine-dense",
                spark.createDataFrame(dense, NegativesTable.SCHEMA).repartition(partitions));
        m.put(
                "mine-bm25",
                spark.createDataFrame(bm25, NegativesTable.SCHEMA).repartition(partitions));
        m.put(
                "label-negatives",
                spark.createDataFrame(labels, LABEL_SCHEMA).repartition(partitions));
        return m;
    }
}
