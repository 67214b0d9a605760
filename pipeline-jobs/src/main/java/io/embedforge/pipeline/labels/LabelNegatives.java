package io.embedforge.pipeline.labels;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_contains;
import static org.apache.spark.sql.functions.ceil;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import io.embedforge.pipeline.common.SeededHash;
import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.run.StageOutput;
import io.embedforge.pipeline.run.Summaries;
import io.embedforge.pipeline.schema.ClassificationTable;
import io.embedforge.pipeline.schema.ClusteringTable;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.api.java.UDF4;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import scala.collection.Seq;

/**
 * Stage {@code label-negatives}: classification and clustering records as contrastive examples
 * (NV-Embed, "Classification" and "Clustering"; NV-Embed-v2 example-based labels).
 *
 * <p>Both tables become items {@code (text, label, labels)}: for classification the text and its
 * label text; for clustering the title (S2S) and/or abstract (P2P) and the main category (or one
 * seeded pick of the categories). Items with no text or label, a label outside the source's {@code
 * known_labels}, or a label with fewer than {@code min_label_examples} examples are rejected. The
 * rest are stratified by label (see {@link LabelParams}). In {@code label} mode the positive is the
 * label and the negatives are other labels of the source (never one of the item's own labels); in
 * {@code example} mode, for sets with more than two labels, the positive is another example of the
 * same label and the negatives are examples of other labels. A binary set gives one negative, never
 * a duplicate.
 *
 * <p>Every choice is a function of (seed, example id): the output does not depend on partitioning.
 * Driver: plans only. Executors: everything else.
 */
public final class LabelNegatives {
    /** Stage name in reject rows and the manifest. */
    public static final String STAGE = "label-negatives";

    /** Output directory under the output root. */
    public static final String STAGE_DIR = "label-negatives";

    /** Reject reason: the query field is null or blank. */
    public static final String MISSING_TEXT = "missing_text";

    /** Reject reason: label text or category is null or blank. */
    public static final String MISSING_LABEL = "missing_label";

    /** Reject reason: the label is not among the source's known labels. */
    public static final String UNKNOWN_LABEL = "unknown_label";

    /** Reject reason: the label has fewer examples than min_label_examples (2 in example mode). */
    public static final String RARE_LABEL = "rare_label";

    /** Extra column: which input field the query came from (text, title, abstract). */
    public static final String QUERY_FIELD = "query_field";

    private static final String INPUT_ID = "input_id";
    private static final String TEXT = "text";
    private static final String LABEL = "label";
    private static final String LABELS = "labels";
    private static final String REASON = "reason";
    private static final String MODE = "mode";
    private static final String N = "n";
    private static final String PRN = "prn";
    private static final String[] SET = {Columns.SOURCE, NegativesTable.TASK_TYPE, QUERY_FIELD};
    private static final String[] STRATUM = {
        Columns.SOURCE, NegativesTable.TASK_TYPE, QUERY_FIELD, LABEL
    };

    private LabelNegatives() {}

    /** Reads classification and clustering tables (each optional) and writes the stage output. */
    public static Map<String, Object> run(
            SparkSession spark, String inputRoot, String outputRoot, LabelParams params) {
        Dataset<Row> classification =
                StageOutput.readOrEmpty(
                        spark,
                        inputRoot + "/" + ClassificationTable.NAME,
                        ClassificationTable.SCHEMA);
        Dataset<Row> clustering =
                StageOutput.readOrEmpty(
                        spark, inputRoot + "/" + ClusteringTable.NAME, ClusteringTable.SCHEMA);
        StageOutput out = apply(classification, clustering, params);
        out.examples().persist();
        try {
            out.write(outputRoot + "/" + STAGE_DIR);
            return out.summary().get();
        } finally {
            out.examples().unpersist();
        }
    }

    /** The pure transformation; either input may be empty. */
    public static StageOutput apply(
            Dataset<Row> classification, Dataset<Row> clustering, LabelParams p) {
        UserDefinedFunction normalize =
                udf((UDF1<String, String>) TextNormalizer::normalize, DataTypes.StringType);
        UserDefinedFunction targets =
                udf(
                        (UDF1<String, List<String>>) s -> p.source(s).targets(),
                        DataTypes.createArrayType(DataTypes.StringType));
        UserDefinedFunction known =
                udf(
                        (UDF2<String, String, Boolean>)
                                (s, l) -> {
                                    List<String> k = p.source(s).knownLabels();
                                    return k.isEmpty() || k.contains(l);
                                },
                        DataTypes.BooleanType);
        UserDefinedFunction modeOf = udf((UDF1<String, String>) p::mode, DataTypes.StringType);
        long seed = p.seed();
        UserDefinedFunction positive =
                udf(
                        (UDF4<String, String, String, Seq<String>, String>)
                                (s, id, category, categories) ->
                                        pickPositive(p, seed, s, id, category, categories),
                        DataTypes.StringType);
        UserDefinedFunction allLabels =
                udf(
                        (UDF2<String, Seq<String>, List<String>>) LabelNegatives::allLabels,
                        DataTypes.createArrayType(DataTypes.StringType));
        UserDefinedFunction hashRank =
                udf(
                        (UDF2<String, String, Long>) (id, salt) -> SeededHash.rank(seed, id, salt),
                        DataTypes.LongType);
        int maxNegatives = p.maxNegatives();
        UserDefinedFunction chooseLabels =
                udf(
                        (UDF3<String, Seq<String>, Seq<String>, List<String>>)
                                (id, set, own) -> chooseLabels(seed, maxNegatives, id, set, own),
                        DataTypes.createArrayType(DataTypes.StringType));

        // 1. Items from both tables.
        Object[] splits = p.splits().toArray();
        Dataset<Row> cls =
                classification
                        .filter(col(Columns.SPLIT).isin(splits))
                        .select(
                                col(Columns.SOURCE),
                                col(Columns.SPLIT),
                                col(Columns.EXAMPLE_ID).as(INPUT_ID),
                                lit(NegativesTable.TASK_CLASSIFICATION)
                                        .as(NegativesTable.TASK_TYPE),
                                lit(ClassificationTable.TEXT).as(QUERY_FIELD),
                                normalize.apply(col(ClassificationTable.TEXT)).as(TEXT),
                                normalize.apply(col(ClassificationTable.LABEL_TEXT)).as(LABEL));
        cls = cls.withColumn(LABELS, array(col(LABEL)));
        Dataset<Row> clu =
                clustering
                        .filter(col(Columns.SPLIT).isin(splits))
                        .withColumn(QUERY_FIELD, explode(targets.apply(col(Columns.SOURCE))))
                        .select(
                                col(Columns.SOURCE),
                                col(Columns.SPLIT),
                                col(Columns.EXAMPLE_ID).as(INPUT_ID),
                                lit(NegativesTable.TASK_CLUSTERING).as(NegativesTable.TASK_TYPE),
                                col(QUERY_FIELD),
                                normalize
                                        .apply(
                                                when(
                                                                col(QUERY_FIELD)
                                                                        .equalTo(
                                                                                LabelSourceParams
                                                                                        .TARGET_TITLE),
                                                                col(ClusteringTable.TITLE))
                                                        .otherwise(col(ClusteringTable.ABSTRACT)))
                                        .as(TEXT),
                                positive.apply(
                                                col(Columns.SOURCE),
                                                col(Columns.EXAMPLE_ID),
                                                col(ClusteringTable.CATEGORY),
                                                col(ClusteringTable.CATEGORIES))
                                        .as(LABEL),
                                allLabels
                                        .apply(
                                                col(ClusteringTable.CATEGORY),
                                                col(ClusteringTable.CATEGORIES))
                                        .as(LABELS));
        Dataset<Row> items =
                cls.unionByName(clu).withColumn(MODE, modeOf.apply(col(Columns.SOURCE)));

        // 2. Validation, then labels too rare to learn from.
        Column reason =
                when(col(TEXT).isNull().or(col(TEXT).equalTo("")), lit(MISSING_TEXT))
                        .when(col(LABEL).isNull().or(col(LABEL).equalTo("")), lit(MISSING_LABEL))
                        .when(
                                not(known.apply(col(Columns.SOURCE), col(LABEL))),
                                lit(UNKNOWN_LABEL));
        Dataset<Row> checked = items.withColumn(REASON, reason);
        WindowSpec stratum = Window.partitionBy(cols(STRATUM));
        Column minimum =
                when(
                                col(MODE).equalTo(LabelSourceParams.MODE_EXAMPLE),
                                lit(Math.max(2, p.minLabelExamples())))
                        .otherwise(lit(p.minLabelExamples()));
        Dataset<Row> counted =
                checked.filter(col(REASON).isNull())
                        .withColumn(N, count(lit(1)).over(stratum))
                        .withColumn(REASON, when(col(N).lt(minimum), lit(RARE_LABEL)));
        Dataset<Row> rejects =
                rejects(
                        checked.filter(col(REASON).isNotNull())
                                .unionByName(counted.filter(col(REASON).isNotNull()).drop(N)),
                        p);
        Dataset<Row> valid = counted.filter(col(REASON).isNull()).drop(REASON);

        // 3. Label sets, effective mode (binary sets keep label texts), pool order, sampling.
        Dataset<Row> sets =
                valid.groupBy(cols(SET)).agg(sort_array(collect_set(col(LABEL))).as("label_set"));
        Dataset<Row> pooled =
                valid.join(sets, SET)
                        .withColumn(
                                MODE,
                                when(
                                                col(MODE)
                                                        .equalTo(LabelSourceParams.MODE_EXAMPLE)
                                                        .and(size(col("label_set")).gt(2)),
                                                lit(LabelSourceParams.MODE_EXAMPLE))
                                        .otherwise(lit(LabelSourceParams.MODE_LABEL)))
                        .withColumn(
                                PRN,
                                row_number()
                                        .over(
                                                stratum.orderBy(
                                                        hashRank.apply(
                                                                col(INPUT_ID), lit("example")),
                                                        col(INPUT_ID))));
        Column limit = ceil(col(N).multiply(p.sampleRate()));
        if (p.maxPerLabel() > 0) {
            limit = least(limit, lit(p.maxPerLabel()));
        }
        Dataset<Row> sampled =
                pooled.withColumn(
                                "srn",
                                row_number()
                                        .over(
                                                stratum.orderBy(
                                                        hashRank.apply(
                                                                col(INPUT_ID), lit("sample")),
                                                        col(INPUT_ID))))
                        .filter(col("srn").leq(limit))
                        .drop("srn")
                        .withColumn(
                                "neg_labels",
                                chooseLabels.apply(col(INPUT_ID), col("label_set"), col(LABELS)));

        // 4a. Label mode: d+ = label text, negatives = other label texts.
        Dataset<Row> labelMode =
                sampled.filter(col(MODE).equalTo(LabelSourceParams.MODE_LABEL))
                        .select(
                                col(Columns.SOURCE),
                                col(Columns.SPLIT),
                                col(INPUT_ID),
                                col(NegativesTable.TASK_TYPE),
                                col(QUERY_FIELD),
                                col(TEXT).as(NegativesTable.QUERY),
                                col(LABEL).as(NegativesTable.POSITIVE),
                                col("neg_labels").as(NegativesTable.NEGATIVES),
                                lit(NegativesTable.MINER_LABEL).as(NegativesTable.NEGATIVE_MINER));

        // 4b. Example mode: d+ = the next example of the label in seeded order, negatives = one
        // seeded example of each chosen other label.
        Dataset<Row> pool =
                pooled.filter(col(MODE).equalTo(LabelSourceParams.MODE_EXAMPLE))
                        .select(
                                col(Columns.SOURCE),
                                col(NegativesTable.TASK_TYPE),
                                col(QUERY_FIELD),
                                col(LABEL),
                                col(PRN),
                                col(TEXT).as("pool_text"),
                                col(LABELS).as("pool_labels"));
        Dataset<Row> exampleQueries =
                sampled.filter(col(MODE).equalTo(LabelSourceParams.MODE_EXAMPLE))
                        .withColumn("partner", pmod(col(PRN), col(N)).plus(1));
        Dataset<Row> withPositive =
                exampleQueries
                        .join(
                                pool.withColumnRenamed(PRN, "partner").drop("pool_labels"),
                                new String[] {
                                    Columns.SOURCE,
                                    NegativesTable.TASK_TYPE,
                                    QUERY_FIELD,
                                    LABEL,
                                    "partner"
                                })
                        .withColumnRenamed("pool_text", NegativesTable.POSITIVE);
        Dataset<Row> labelSizes =
                valid.groupBy(cols(STRATUM))
                        .agg(count(lit(1)).as("n_neg"))
                        .withColumnRenamed(LABEL, "neg_label");
        Dataset<Row> negativeRows =
                withPositive
                        .select(
                                col(Columns.SOURCE),
                                col(NegativesTable.TASK_TYPE),
                                col(QUERY_FIELD),
                                col(INPUT_ID),
                                col(TEXT),
                                col(LABEL).as("own_label"),
                                col(NegativesTable.POSITIVE),
                                posexplode(col("neg_labels")).as(new String[] {"pos", "neg_label"}))
                        .join(
                                labelSizes,
                                new String[] {
                                    Columns.SOURCE,
                                    NegativesTable.TASK_TYPE,
                                    QUERY_FIELD,
                                    "neg_label"
                                })
                        .withColumn(
                                PRN,
                                pmod(
                                                hashRank.apply(
                                                        col(INPUT_ID),
                                                        concat(lit("negative:"), col("neg_label"))),
                                                col("n_neg"))
                                        .plus(1))
                        .join(
                                pool.withColumnRenamed(LABEL, "neg_label"),
                                new String[] {
                                    Columns.SOURCE,
                                    NegativesTable.TASK_TYPE,
                                    QUERY_FIELD,
                                    "neg_label",
                                    PRN
                                })
                        .filter(
                                not(array_contains(col("pool_labels"), col("own_label")))
                                        .and(col("pool_text").notEqual(col(TEXT)))
                                        .and(
                                                col("pool_text")
                                                        .notEqual(col(NegativesTable.POSITIVE))))
                        .groupBy(Columns.SOURCE, NegativesTable.TASK_TYPE, QUERY_FIELD, INPUT_ID)
                        .agg(
                                sort_array(collect_list(struct(col("pos"), col("pool_text"))))
                                        .as("negs"));
        Dataset<Row> exampleMode =
                withPositive
                        .join(
                                negativeRows,
                                new String[] {
                                    Columns.SOURCE, NegativesTable.TASK_TYPE, QUERY_FIELD, INPUT_ID
                                },
                                "left")
                        .select(
                                col(Columns.SOURCE),
                                col(Columns.SPLIT),
                                col(INPUT_ID),
                                col(NegativesTable.TASK_TYPE),
                                col(QUERY_FIELD),
                                col(TEXT).as(NegativesTable.QUERY),
                                col(NegativesTable.POSITIVE),
                                expr("array_distinct(coalesce(transform(negs, x -> x.pool_text),"
                                                + " cast(array() as array<string>)))")
                                        .as(NegativesTable.NEGATIVES),
                                lit(NegativesTable.MINER_EXAMPLE)
                                        .as(NegativesTable.NEGATIVE_MINER));

        // 5. One row per example id (duplicate records give the same example).
        UserDefinedFunction exampleId =
                udf(
                        (UDF4<String, String, String, String, String>) StableIds::of,
                        DataTypes.StringType);
        Dataset<Row> examples =
                labelMode
                        .unionByName(exampleMode)
                        .withColumn(
                                Columns.EXAMPLE_ID,
                                exampleId.apply(
                                        concat(col(Columns.SOURCE), lit("/"), col(QUERY_FIELD)),
                                        col(NegativesTable.TASK_TYPE),
                                        col(NegativesTable.QUERY),
                                        col(NegativesTable.POSITIVE)))
                        .withColumn(
                                "dup",
                                row_number()
                                        .over(
                                                Window.partitionBy(Columns.EXAMPLE_ID)
                                                        .orderBy(col(INPUT_ID))))
                        .filter(col("dup").equalTo(1))
                        .select(
                                col(Columns.SOURCE),
                                col(Columns.SPLIT),
                                col(Columns.EXAMPLE_ID),
                                col(NegativesTable.TASK_TYPE),
                                col(NegativesTable.QUERY),
                                col(NegativesTable.POSITIVE),
                                col(NegativesTable.NEGATIVES),
                                expr("transform("
                                                + NegativesTable.NEGATIVES
                                                + ", x -> cast(null as double))")
                                        .as(NegativesTable.NEGATIVE_SCORES),
                                expr("transform(" + NegativesTable.NEGATIVES + ", (x, i) -> i + 1)")
                                        .as(NegativesTable.NEGATIVE_RANKS),
                                col(NegativesTable.NEGATIVE_MINER),
                                col(QUERY_FIELD));

        Dataset<Row> input = items;
        return new StageOutput(
                examples, rejects, () -> summary(input, valid, sampled, examples, rejects, p));
    }

    private static Map<String, Object> summary(
            Dataset<Row> items,
            Dataset<Row> valid,
            Dataset<Row> sampled,
            Dataset<Row> examples,
            Dataset<Row> rejects,
            LabelParams p) {
        Map<String, Object> s = new LinkedHashMap<>();
        Map<String, Map<String, Long>> before = distribution(valid);
        Map<String, Map<String, Long>> after = distribution(sampled);
        long validCount =
                before.values().stream()
                        .flatMap(m -> m.values().stream())
                        .mapToLong(Long::longValue)
                        .sum();
        long sampledCount =
                after.values().stream()
                        .flatMap(m -> m.values().stream())
                        .mapToLong(Long::longValue)
                        .sum();
        Map<String, Object> out = Summaries.examples(examples, p.maxNegatives());
        s.put("stage", STAGE);
        s.put("items_in", items.count());
        s.put("rejects_by_reason", Summaries.rejectsByReason(rejects));
        s.put("items_valid", validCount);
        s.put("items_sampled_out", validCount - sampledCount);
        s.put("items_sampled", sampledCount);
        s.put("duplicate_examples", sampledCount - (Long) out.get("examples_out"));
        s.put(
                "modes",
                Summaries.countBy(
                        sampled.select(concat(col(Columns.SOURCE), lit(":"), col(MODE)).as("m")),
                        col("m")));
        s.putAll(out);
        s.put("label_distribution_before", before);
        s.put("label_distribution_after", after);
        return s;
    }

    /** Counts per label, keyed by "source/query_field". */
    private static Map<String, Map<String, Long>> distribution(Dataset<Row> items) {
        Map<String, Map<String, Long>> d = new TreeMap<>();
        for (Row r :
                items.groupBy(
                                concat(col(Columns.SOURCE), lit("/"), col(QUERY_FIELD)).as("set"),
                                col(LABEL))
                        .count()
                        .collectAsList()) {
            d.computeIfAbsent(r.getString(0), k -> new TreeMap<>())
                    .put(r.getString(1), r.getLong(2));
        }
        return d;
    }

    /** Up to {@code max} labels of {@code set} not in {@code own}, in seeded order. */
    static List<String> chooseLabels(
            long seed, int max, String id, Seq<String> set, Seq<String> own) {
        Set<String> exclude = new HashSet<>(scala.jdk.javaapi.CollectionConverters.asJava(own));
        List<String> candidates = new ArrayList<>();
        for (String label : scala.jdk.javaapi.CollectionConverters.asJava(set)) {
            if (!exclude.contains(label)) {
                candidates.add(label);
            }
        }
        candidates.sort(
                Comparator.comparingLong((String l) -> SeededHash.rank(seed, id, "label:" + l))
                        .thenComparing(Comparator.naturalOrder()));
        return candidates.subList(0, Math.min(max, candidates.size()));
    }

    private static String pickPositive(
            LabelParams p,
            long seed,
            String source,
            String id,
            String category,
            Seq<String> categories) {
        String main = TextNormalizer.normalize(category);
        if (!LabelSourceParams.POSITIVE_SAMPLE.equals(p.source(source).positive())) {
            return main;
        }
        List<String> all = allLabels(category, categories);
        if (all.isEmpty()) {
            return main;
        }
        return all.get(
                (int) Long.remainderUnsigned(SeededHash.rank(seed, id, "positive"), all.size()));
    }

    private static List<String> allLabels(String category, Seq<String> categories) {
        List<String> all = new ArrayList<>();
        String main = TextNormalizer.normalize(category);
        if (main != null && !main.isEmpty()) {
            all.add(main);
        }
        if (categories != null) {
            for (String c : scala.jdk.javaapi.CollectionConverters.asJava(categories)) {
                String n = TextNormalizer.normalize(c);
                if (n != null && !n.isEmpty() && !all.contains(n)) {
                    all.add(n);
                }
            }
        }
        return all;
    }

    private static Dataset<Row> rejects(Dataset<Row> bad, LabelParams p) {
        Column detail =
                when(
                                col(REASON).equalTo(MISSING_TEXT),
                                concat(col(QUERY_FIELD), lit(" is null or blank")))
                        .when(col(REASON).equalTo(MISSING_LABEL), lit("label is null or blank"))
                        .when(
                                col(REASON).equalTo(UNKNOWN_LABEL),
                                concat(
                                        lit("label '"),
                                        col(LABEL),
                                        lit("' is not in the source's known_labels")))
                        .otherwise(
                                concat(
                                        lit("label '"),
                                        col(LABEL),
                                        lit(
                                                "' has too few examples (label_negatives.min_label_examples="
                                                        + p.minLabelExamples()
                                                        + "; at least 2 in example mode)")));
        return bad.select(
                col(Columns.SOURCE),
                col(Columns.SPLIT),
                lit(STAGE).as(RejectsTable.STAGE),
                col(NegativesTable.TASK_TYPE).as(RejectsTable.INPUT),
                col(REASON).as(RejectsTable.REASON),
                concat(
                                col(NegativesTable.TASK_TYPE),
                                lit("/"),
                                col(INPUT_ID),
                                lit("#"),
                                col(QUERY_FIELD))
                        .as(RejectsTable.LOCATION),
                detail.as(RejectsTable.DETAIL),
                substring(expr("coalesce(" + TEXT + ", '')"), 1, RejectsTable.RAW_EXCERPT_CHARS)
                        .as(RejectsTable.RAW));
    }

    private static Column[] cols(String... names) {
        Column[] c = new Column[names.length];
        for (int i = 0; i < names.length; i++) {
            c[i] = col(names[i]);
        }
        return c;
    }
}
