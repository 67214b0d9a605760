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
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import io.embedforge.pipeline.common.SeededHash;
import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.schema.ClassificationTable;
import io.embedforge.pipeline.schema.ClusteringTable;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.ExampleCounts;
import io.embedforge.pipeline.schema.LabelSummary;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.stage.Rejects;
import io.embedforge.pipeline.stage.Stage;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.pipeline.stage.StageOutput;
import io.embedforge.pipeline.stage.Summaries;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
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
public final class LabelNegatives implements Stage<LabelParams> {
    /** Reject reason: the query field is null or blank. */
    public static final String MISSING_TEXT = "missing_text";

    /** Reject reason: label text or category is null or blank. */
    public static final String MISSING_LABEL = "missing_label";

    /** Reject reason: the label is not among the source's known labels. */
    public static final String UNKNOWN_LABEL = "unknown_label";

    /** Reject reason: the label has fewer examples than min_label_examples (2 in example mode). */
    public static final String RARE_LABEL = "rare_label";

    /** Extra column: which input field the query came from (text, title, abstract). */
    public static final String QUERY_FIELD = NegativesTable.QUERY_FIELD;

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
    private static final WindowSpec BY_STRATUM = Window.partitionBy(cols(STRATUM));

    private static final UserDefinedFunction NORMALIZE =
            udf((UDF1<String, String>) TextNormalizer::normalize, DataTypes.StringType);

    /** Rows of one stage run, from items to sampled examples (each step's output). */
    private record Steps(
            Dataset<Row> items,
            Dataset<Row> valid,
            Dataset<Row> rejects,
            Dataset<Row> pooled,
            Dataset<Row> sampled) {}

    @Override
    public StageId id() {
        return StageId.LABEL_NEGATIVES;
    }

    @Override
    public Class<LabelParams> paramsType() {
        return LabelParams.class;
    }

    /** Reads the decontaminated classification and clustering tables (each optional), mines. */
    @Override
    public LabelSummary run(StageContext ctx, LabelParams params) {
        Dataset<Row> classification =
                ctx.readOrEmpty(
                        StageId.DECONTAMINATE,
                        ClassificationTable.NAME,
                        ClassificationTable.SCHEMA);
        Dataset<Row> clustering =
                ctx.readOrEmpty(
                        StageId.DECONTAMINATE, ClusteringTable.NAME, ClusteringTable.SCHEMA);
        return apply(classification, clustering, params).writeAndSummarise(ctx);
    }

    /** The pure transformation; either input may be empty. */
    public static StageOutput<LabelSummary> apply(
            Dataset<Row> classification, Dataset<Row> clustering, LabelParams p) {
        Dataset<Row> items =
                classificationItems(classification, p)
                        .unionByName(clusteringItems(clustering, p))
                        .withColumn(
                                MODE,
                                udf((UDF1<String, String>) p::mode, DataTypes.StringType)
                                        .apply(col(Columns.SOURCE)));
        Dataset<Row> checked = items.withColumn(REASON, reason(p));
        Dataset<Row> counted = countedPerLabel(checked.filter(col(REASON).isNull()), p);
        Dataset<Row> rejects =
                rejects(
                        checked.filter(col(REASON).isNotNull())
                                .unionByName(counted.filter(col(REASON).isNotNull()).drop(N)),
                        p);
        Dataset<Row> valid = counted.filter(col(REASON).isNull()).drop(REASON);
        Dataset<Row> pooled = pooled(valid, p);
        Dataset<Row> sampled = sampled(pooled, p);
        Dataset<Row> examples =
                distinctExamples(
                        labelMode(sampled).unionByName(exampleMode(pooled, sampled, valid, p)));
        Steps steps = new Steps(items, valid, rejects, pooled, sampled);
        return new StageOutput<>(examples, rejects, () -> summary(steps, examples, p));
    }

    /** Step 1a: classification records as items (text, label text as the one label). */
    static Dataset<Row> classificationItems(Dataset<Row> classification, LabelParams p) {
        return classification
                .filter(col(Columns.SPLIT).isin(p.splits().toArray()))
                .select(
                        col(Columns.SOURCE),
                        col(Columns.SPLIT),
                        col(Columns.EXAMPLE_ID).as(INPUT_ID),
                        lit(NegativesTable.TASK_CLASSIFICATION).as(NegativesTable.TASK_TYPE),
                        lit(ClassificationTable.TEXT).as(QUERY_FIELD),
                        NORMALIZE.apply(col(ClassificationTable.TEXT)).as(TEXT),
                        NORMALIZE.apply(col(ClassificationTable.LABEL_TEXT)).as(LABEL))
                .withColumn(LABELS, array(col(LABEL)));
    }

    /**
     * Step 1b: clustering records as items, one per target field (title, abstract) of the source,
     * with the main category (or a seeded pick of the categories) and every category.
     */
    static Dataset<Row> clusteringItems(Dataset<Row> clustering, LabelParams p) {
        long seed = p.seed();
        UserDefinedFunction targets =
                udf(
                        (UDF1<String, List<String>>) s -> p.source(s).targets(),
                        DataTypes.createArrayType(DataTypes.StringType));
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
        Column target =
                when(
                                col(QUERY_FIELD).equalTo(LabelSourceParams.TARGET_TITLE),
                                col(ClusteringTable.TITLE))
                        .otherwise(col(ClusteringTable.ABSTRACT));
        return clustering
                .filter(col(Columns.SPLIT).isin(p.splits().toArray()))
                .withColumn(QUERY_FIELD, explode(targets.apply(col(Columns.SOURCE))))
                .select(
                        col(Columns.SOURCE),
                        col(Columns.SPLIT),
                        col(Columns.EXAMPLE_ID).as(INPUT_ID),
                        lit(NegativesTable.TASK_CLUSTERING).as(NegativesTable.TASK_TYPE),
                        col(QUERY_FIELD),
                        NORMALIZE.apply(target).as(TEXT),
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
    }

    /** Step 2a: why an item is rejected (no text, no label, unknown label), else null. */
    private static Column reason(LabelParams p) {
        UserDefinedFunction known =
                udf(
                        (UDF2<String, String, Boolean>)
                                (s, l) -> {
                                    List<String> k = p.source(s).knownLabels();
                                    return k.isEmpty() || k.contains(l);
                                },
                        DataTypes.BooleanType);
        return when(col(TEXT).isNull().or(col(TEXT).equalTo("")), lit(MISSING_TEXT))
                .when(col(LABEL).isNull().or(col(LABEL).equalTo("")), lit(MISSING_LABEL))
                .when(not(known.apply(col(Columns.SOURCE), col(LABEL))), lit(UNKNOWN_LABEL));
    }

    /** Step 2b: each item's stratum size {@code n}, and {@code rare_label} below the minimum. */
    private static Dataset<Row> countedPerLabel(Dataset<Row> checkedValid, LabelParams p) {
        Column minimum =
                when(
                                col(MODE).equalTo(LabelSourceParams.MODE_EXAMPLE),
                                lit(Math.max(2, p.minLabelExamples())))
                        .otherwise(lit(p.minLabelExamples()));
        return checkedValid
                .withColumn(N, count(lit(1)).over(BY_STRATUM))
                .withColumn(REASON, when(col(N).lt(minimum), lit(RARE_LABEL)));
    }

    /**
     * Step 3a: each item with its set's sorted labels, its effective mode (binary sets keep label
     * texts) and its seeded position {@code prn} in its stratum.
     */
    private static Dataset<Row> pooled(Dataset<Row> valid, LabelParams p) {
        Dataset<Row> sets =
                valid.groupBy(cols(SET)).agg(sort_array(collect_set(col(LABEL))).as("label_set"));
        return valid.join(sets, SET)
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
                                        BY_STRATUM.orderBy(
                                                hashRank(p).apply(col(INPUT_ID), lit("example")),
                                                col(INPUT_ID))));
    }

    /**
     * Step 3b: the first {@code min(max_per_label, ceil(sample_rate * n))} items of each stratum in
     * seeded order, each with its chosen negative labels.
     */
    private static Dataset<Row> sampled(Dataset<Row> pooled, LabelParams p) {
        long seed = p.seed();
        int negatives = p.negatives();
        UserDefinedFunction chooseLabels =
                udf(
                        (UDF3<String, Seq<String>, Seq<String>, List<String>>)
                                (id, set, own) -> chooseLabels(seed, negatives, id, set, own),
                        DataTypes.createArrayType(DataTypes.StringType));
        Column limit = ceil(col(N).multiply(p.sampleRate()));
        if (p.maxPerLabel() > 0) {
            limit = least(limit, lit(p.maxPerLabel()));
        }
        return pooled.withColumn(
                        "srn",
                        row_number()
                                .over(
                                        BY_STRATUM.orderBy(
                                                hashRank(p).apply(col(INPUT_ID), lit("sample")),
                                                col(INPUT_ID))))
                .filter(col("srn").leq(limit))
                .drop("srn")
                .withColumn(
                        "neg_labels",
                        chooseLabels.apply(col(INPUT_ID), col("label_set"), col(LABELS)));
    }

    /** Step 4a, label mode: d+ = the label text, negatives = other label texts. */
    private static Dataset<Row> labelMode(Dataset<Row> sampled) {
        return sampled.filter(col(MODE).equalTo(LabelSourceParams.MODE_LABEL))
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
    }

    /**
     * Step 4b, example mode: d+ = the next example of the label in seeded order, negatives = one
     * seeded example of each chosen other label.
     */
    private static Dataset<Row> exampleMode(
            Dataset<Row> pooled, Dataset<Row> sampled, Dataset<Row> valid, LabelParams p) {
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
        Dataset<Row> withPositive =
                sampled.filter(col(MODE).equalTo(LabelSourceParams.MODE_EXAMPLE))
                        .withColumn("partner", pmod(col(PRN), col(N)).plus(1))
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
        return withPositive
                .join(
                        negativeExamples(withPositive, pool, valid, p),
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
                        lit(NegativesTable.MINER_EXAMPLE).as(NegativesTable.NEGATIVE_MINER));
    }

    /**
     * For each example-mode query, one seeded example of each of its negative labels that has none
     * of the query's labels and differs from the query and the positive: {@code negs}, in the order
     * of the chosen labels.
     */
    private static Dataset<Row> negativeExamples(
            Dataset<Row> withPositive, Dataset<Row> pool, Dataset<Row> valid, LabelParams p) {
        Dataset<Row> labelSizes =
                valid.groupBy(cols(STRATUM))
                        .agg(count(lit(1)).as("n_neg"))
                        .withColumnRenamed(LABEL, "neg_label");
        return withPositive
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
                            Columns.SOURCE, NegativesTable.TASK_TYPE, QUERY_FIELD, "neg_label"
                        })
                .withColumn(
                        PRN,
                        pmod(
                                        hashRank(p)
                                                .apply(
                                                        col(INPUT_ID),
                                                        concat(lit("negative:"), col("neg_label"))),
                                        col("n_neg"))
                                .plus(1))
                .join(
                        pool.withColumnRenamed(LABEL, "neg_label"),
                        new String[] {
                            Columns.SOURCE, NegativesTable.TASK_TYPE, QUERY_FIELD, "neg_label", PRN
                        })
                .filter(
                        not(array_contains(col("pool_labels"), col("own_label")))
                                .and(col("pool_text").notEqual(col(TEXT)))
                                .and(col("pool_text").notEqual(col(NegativesTable.POSITIVE))))
                .groupBy(Columns.SOURCE, NegativesTable.TASK_TYPE, QUERY_FIELD, INPUT_ID)
                .agg(sort_array(collect_list(struct(col("pos"), col("pool_text")))).as("negs"));
    }

    /**
     * Step 5: one row per example id (duplicate records give the same example), in the {@link
     * NegativesTable} schema plus {@code query_field}.
     */
    private static Dataset<Row> distinctExamples(Dataset<Row> mined) {
        UserDefinedFunction exampleId =
                udf(
                        (UDF4<String, String, String, String, String>) StableIds::of,
                        DataTypes.StringType);
        return mined.withColumn(
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
    }

    /** {@code SeededHash.rank(seed, input id, salt)} as a UDF. */
    private static UserDefinedFunction hashRank(LabelParams p) {
        long seed = p.seed();
        return udf(
                (UDF2<String, String, Long>) (id, salt) -> SeededHash.rank(seed, id, salt),
                DataTypes.LongType);
    }

    private static LabelSummary summary(Steps steps, Dataset<Row> examples, LabelParams p) {
        Map<String, Map<String, Long>> before = distribution(steps.valid());
        Map<String, Map<String, Long>> after = distribution(steps.sampled());
        long validCount = total(before);
        long sampledCount = total(after);
        ExampleCounts out = Summaries.examples(examples, p.negatives());
        return new LabelSummary(
                steps.items().count(),
                Summaries.rejectsByReason(steps.rejects()),
                validCount,
                validCount - sampledCount,
                sampledCount,
                sampledCount - out.examplesOut(),
                Summaries.countBy(
                        steps.sampled()
                                .select(concat(col(Columns.SOURCE), lit(":"), col(MODE)).as("m")),
                        col("m")),
                out,
                before,
                after);
    }

    private static long total(Map<String, Map<String, Long>> distribution) {
        return distribution.values().stream()
                .flatMap(m -> m.values().stream())
                .mapToLong(Long::longValue)
                .sum();
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

    /**
     * Reject rows. The rare-label detail still names {@code label_negatives.min_label_examples}
     * (now {@code stages.label-negatives.min_label_examples}): reject rows are output rows, renamed
     * only on purpose.
     */
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
        return Rejects.of(
                bad,
                StageId.LABEL_NEGATIVES,
                col(NegativesTable.TASK_TYPE),
                col(REASON),
                concat(
                        col(NegativesTable.TASK_TYPE),
                        lit("/"),
                        col(INPUT_ID),
                        lit("#"),
                        col(QUERY_FIELD)),
                detail,
                expr("coalesce(" + TEXT + ", '')"));
    }

    private static Column[] cols(String... names) {
        Column[] c = new Column[names.length];
        for (int i = 0; i < names.length; i++) {
            c[i] = col(names[i]);
        }
        return c;
    }
}
