package io.embedforge.pipeline.decontam;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_intersect;
import static org.apache.spark.sql.functions.array_union;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.format_number;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import io.embedforge.pipeline.common.LuceneText;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.schema.ClassificationTable;
import io.embedforge.pipeline.schema.ClusteringTable;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.QueriesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.RetrievalTable;
import io.embedforge.pipeline.schema.StsTable;
import io.embedforge.pipeline.stage.Rejects;
import io.embedforge.pipeline.stage.Settings;
import io.embedforge.pipeline.stage.Stage;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.pipeline.stage.StageOutput;
import io.embedforge.pipeline.stage.Summaries;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Stage {@code decontaminate}: drops training rows whose text also occurs in an evaluation set, so
 * that training does not leak the benchmark (NV-Embed filtered its clustering data against the MTEB
 * clustering sets; NV-Embed-v2 filtered Emotion and AmazonCounterfactual by similarity).
 *
 * <p>Evaluation texts are the texts of every row, of any source and table, whose split is one of
 * {@code eval_splits}. A row of a {@code train_splits} split is dropped when one of its text
 * fields, normalised, equals an evaluation text ({@code eval_exact_match}); and, for sources with a
 * {@link NearDuplicateRule}, when the Jaccard similarity of its word n-gram set with that of an
 * evaluation text of the rule's eval sources reaches the threshold ({@code eval_near_duplicate}).
 * Each drop is one reject row naming the field and the matching evaluation id ({@code
 * table/source/split/id}). Rows of other splits pass unchanged.
 *
 * <p>Exact matching is an equi-join on the normalised text. Near duplicates are found by joining on
 * shared n-grams (n-grams in more than {@code max_ngram_df} eval texts propose no pairs) and
 * scoring each candidate pair on its full n-gram sets. Driver: plans only.
 */
public final class Decontaminate implements Stage<DecontamParams> {
    /** Reject reason: a text field equals an eval text after normalisation. */
    public static final String EXACT = "eval_exact_match";

    /**
     * Reject reason: a text field's word n-gram Jaccard with an eval text reaches the threshold.
     */
    public static final String NEAR = "eval_near_duplicate";

    /**
     * Reject reason: a text field of a row of any split equals a scored text of a set of one of the
     * {@code eval_configs}, normalised.
     */
    public static final String EVAL_SET = "eval_set_match";

    /** A canonical table as decontamination sees it. */
    record TableSpec(
            String name,
            StructType schema,
            String idColumn,
            List<String> fields,
            boolean training) {}

    /** Tables read, in order; queries only provide eval texts. */
    static final List<TableSpec> TABLES =
            List.of(
                    new TableSpec(
                            StsTable.NAME,
                            StsTable.SCHEMA,
                            Columns.EXAMPLE_ID,
                            List.of(StsTable.TEXT_A, StsTable.TEXT_B),
                            true),
                    new TableSpec(
                            ClassificationTable.NAME,
                            ClassificationTable.SCHEMA,
                            Columns.EXAMPLE_ID,
                            List.of(ClassificationTable.TEXT),
                            true),
                    new TableSpec(
                            ClusteringTable.NAME,
                            ClusteringTable.SCHEMA,
                            Columns.EXAMPLE_ID,
                            List.of(ClusteringTable.TITLE, ClusteringTable.ABSTRACT),
                            true),
                    new TableSpec(
                            RetrievalTable.NAME,
                            RetrievalTable.SCHEMA,
                            Columns.EXAMPLE_ID,
                            List.of(RetrievalTable.QUERY, RetrievalTable.POSITIVE),
                            true),
                    new TableSpec(
                            QueriesTable.NAME,
                            QueriesTable.SCHEMA,
                            QueriesTable.QUERY_ID,
                            List.of(QueriesTable.TEXT),
                            false));

    private static final String TABLE = "table";
    private static final String ROW_KEY = "row_key";
    private static final String FIELD = "field";
    private static final String TEXT = "text";
    private static final String EVAL_ID = "eval_id";
    private static final String SIMILARITY = "similarity";
    private static final String REASON = "reason";

    /** The stage's result: filtered training tables by name, reject rows, summary. */
    public record Output(
            Map<String, Dataset<Row>> tables,
            Dataset<Row> rejects,
            Supplier<DecontamSummary> summary) {

        /** Writes each filtered table and the rejects as the stage's tables. */
        public void write(StageContext ctx) {
            tables.forEach(ctx::write);
            ctx.write(RejectsTable.NAME, rejects);
        }
    }

    @Override
    public StageId id() {
        return StageId.DECONTAMINATE;
    }

    @Override
    public Class<DecontamParams> paramsType() {
        return DecontamParams.class;
    }

    /** Its settings, with rules naming no eval sources extended to their dataset's instances. */
    @Override
    public DecontamParams params(PipelineConfig config) {
        Map<String, String> datasets = new TreeMap<>();
        config.sources().forEach(s -> datasets.put(s.name(), s.dataset()));
        Path profileDir = Path.of(config.file()).toAbsolutePath().getParent();
        return Settings.bind(config, id(), paramsType())
                .withEvalSourcesOfSameDataset(datasets)
                .withEvalConfigsUnder(profileDir);
    }

    /**
     * The eval configs and every file their sets read: a changed eval set re-runs the stage. A
     * config that cannot be read is left to {@link #run}, which names it.
     */
    @Override
    public Inputs inputs(PipelineConfig config, DecontamParams params) {
        return new Inputs(EvalSetTexts.files(params.evalConfigs()), null);
    }

    /** Reads the canonical tables of {@code ingest}, writes the filtered ones and the rejects. */
    @Override
    public DecontamSummary run(StageContext ctx, DecontamParams params) {
        Map<String, Dataset<Row>> tables = new LinkedHashMap<>();
        for (TableSpec t : TABLES) {
            tables.put(t.name(), ctx.readOrEmpty(StageId.INGEST, t.name(), t.schema()));
        }
        Output out = apply(tables, params);
        out.rejects().persist();
        try {
            out.write(ctx);
            ctx.step(StageOutput.SUMMARY);
            return out.summary().get();
        } finally {
            out.rejects().unpersist();
        }
    }

    /**
     * The pure transformation. {@code tables} maps canonical table names (sts, classification,
     * clustering, retrieval, queries) to frames of their schemas; absent tables are skipped.
     * Returns the training tables given, filtered.
     */
    public static Output apply(Map<String, Dataset<Row>> tables, DecontamParams p) {
        SparkSession spark = tables.values().iterator().next().sparkSession();
        UserDefinedFunction normalize =
                udf((UDF1<String, String>) TextNormalizer::normalize, DataTypes.StringType);

        List<Dataset<Row>> evalParts = new ArrayList<>();
        List<Dataset<Row>> trainParts = new ArrayList<>();
        List<Dataset<Row>> anySplit = new ArrayList<>();
        for (TableSpec t : TABLES) {
            Dataset<Row> df = tables.get(t.name());
            if (df == null) {
                continue;
            }
            Dataset<Row> texts = texts(t, df, normalize);
            evalParts.add(texts.filter(col(Columns.SPLIT).isin(p.evalSplits().toArray())));
            if (t.training()) {
                trainParts.add(texts.filter(col(Columns.SPLIT).isin(p.trainSplits().toArray())));
                anySplit.add(texts);
            }
        }
        Dataset<Row> eval =
                union(evalParts)
                        .select(
                                col(Columns.SOURCE),
                                col(TEXT),
                                concat(col(TABLE), lit("/"), col(ROW_KEY)).as(EVAL_ID));
        Dataset<Row> train = union(trainParts);

        // Exact: equi-join on normalised text; the smallest eval id names the match.
        Dataset<Row> exact =
                train.join(eval.groupBy(TEXT).agg(min(EVAL_ID).as(EVAL_ID)), TEXT)
                        .withColumn(SIMILARITY, lit(1.0))
                        .withColumn(REASON, lit(EXACT));
        Dataset<Row> matches = exact;
        if (!p.nearDuplicates().isEmpty()) {
            matches = matches.unionByName(nearDuplicates(spark, train, eval, p));
        }
        if (!p.evalConfigs().isEmpty()) {
            matches = matches.unionByName(evalSetMatches(spark, union(anySplit), p));
        }
        Dataset<Row> drops =
                matches.withColumn(
                                "pick",
                                row_number()
                                        .over(
                                                Window.partitionBy(TABLE, ROW_KEY)
                                                        .orderBy(
                                                                when(col(REASON).equalTo(EXACT), 0)
                                                                        .when(
                                                                                col(REASON)
                                                                                        .equalTo(
                                                                                                EVAL_SET),
                                                                                1)
                                                                        .otherwise(2),
                                                                col(SIMILARITY).desc(),
                                                                col(EVAL_ID),
                                                                col(FIELD))))
                        .filter(col("pick").equalTo(1))
                        .drop("pick");

        Map<String, Dataset<Row>> filtered = new LinkedHashMap<>();
        for (TableSpec t : TABLES) {
            Dataset<Row> df = tables.get(t.name());
            if (df == null || !t.training()) {
                continue;
            }
            filtered.put(
                    t.name(),
                    df.withColumn(ROW_KEY, rowKey(t))
                            .join(
                                    drops.filter(col(TABLE).equalTo(t.name())).select(ROW_KEY),
                                    new String[] {ROW_KEY},
                                    "left_anti")
                            .select(cols(df.columns())));
        }
        Dataset<Row> rejects = rejects(drops);
        Map<String, Dataset<Row>> inputs = tables;
        return new Output(filtered, rejects, () -> summary(inputs, eval, rejects, p));
    }

    /**
     * Rows of every split (not only the training splits: a later stage may read others, as
     * mine-dense does) with a text equal to a scored text of an eval config's set.
     */
    private static Dataset<Row> evalSetMatches(
            SparkSession spark, Dataset<Row> rows, DecontamParams p) {
        Dataset<Row> texts = EvalSetTexts.load(spark, p.evalConfigs());
        return rows.join(texts.groupBy(TEXT).agg(min(EVAL_ID).as(EVAL_ID)), TEXT)
                .withColumn(SIMILARITY, lit(1.0))
                .withColumn(REASON, lit(EVAL_SET));
    }

    /**
     * Near duplicates: each training text of a ruled source against the eval texts of the rule's
     * eval sources, paired through shared n-grams and kept at Jaccard >= the rule's threshold.
     */
    private static Dataset<Row> nearDuplicates(
            SparkSession spark, Dataset<Row> train, Dataset<Row> eval, DecontamParams p) {
        Dataset<Row> rules = rules(spark, p);
        UserDefinedFunction grams =
                udf(
                        (UDF2<String, Integer, List<String>>) Decontaminate::ngrams,
                        DataTypes.createArrayType(DataTypes.StringType));
        Dataset<Row> trainSide =
                train.join(
                                rules.select(
                                                col("rule_source").as(Columns.SOURCE),
                                                col("n"),
                                                col("threshold"))
                                        .distinct(),
                                Columns.SOURCE)
                        .withColumn("grams", grams.apply(col(TEXT), col("n")))
                        .withColumnRenamed(Columns.SOURCE, "rule_source");
        Dataset<Row> evalSide =
                eval.join(rules, col(Columns.SOURCE).equalTo(col("eval_source")))
                        .select(
                                col("rule_source"),
                                col(EVAL_ID),
                                grams.apply(col(TEXT), col("n")).as("eval_grams"))
                        .dropDuplicates("rule_source", EVAL_ID);
        Column jaccard =
                size(array_intersect(col("grams"), col("eval_grams")))
                        .cast(DataTypes.DoubleType)
                        .divide(size(array_union(col("grams"), col("eval_grams"))));
        return candidatePairs(trainSide, evalSide, p.maxNgramDf())
                .join(trainSide, new String[] {"rule_source", TABLE, ROW_KEY, FIELD})
                .join(evalSide, new String[] {"rule_source", EVAL_ID})
                .withColumn(SIMILARITY, jaccard)
                .filter(col(SIMILARITY).geq(col("threshold")))
                .select(
                        col("rule_source").as(Columns.SOURCE),
                        col(Columns.SPLIT),
                        col(TABLE),
                        col(ROW_KEY),
                        col(FIELD),
                        col(TEXT),
                        col(EVAL_ID),
                        col(SIMILARITY),
                        lit(NEAR).as(REASON));
    }

    /** One row per (rule source, eval source) with the rule's n and threshold. */
    private static Dataset<Row> rules(SparkSession spark, DecontamParams p) {
        List<Row> ruleRows = new ArrayList<>();
        StructType ruleSchema =
                new StructType()
                        .add("rule_source", DataTypes.StringType, false)
                        .add("eval_source", DataTypes.StringType, false)
                        .add("n", DataTypes.IntegerType, false)
                        .add("threshold", DataTypes.DoubleType, false);
        p.nearDuplicates()
                .forEach(
                        (source, rule) -> {
                            for (String e : rule.evalSourcesOf(source)) {
                                ruleRows.add(
                                        RowFactory.create(
                                                source, e, rule.ngram(), rule.threshold()));
                            }
                        });
        return spark.createDataFrame(ruleRows, ruleSchema);
    }

    /**
     * (rule source, table, row key, field, eval id) pairs sharing an n-gram that at most {@code
     * maxNgramDf} eval texts have: the candidates scored on their full n-gram sets.
     */
    private static Dataset<Row> candidatePairs(
            Dataset<Row> trainSide, Dataset<Row> evalSide, int maxNgramDf) {
        Dataset<Row> evalPostings =
                evalSide.select(
                        col("rule_source"), col(EVAL_ID), explode(col("eval_grams")).as("gram"));
        Dataset<Row> usable =
                evalPostings
                        .groupBy("rule_source", "gram")
                        .agg(count(lit(1)).as("df"))
                        .filter(col("df").leq(maxNgramDf))
                        .drop("df");
        return trainSide
                .select(
                        col("rule_source"),
                        col(TABLE),
                        col(ROW_KEY),
                        col(FIELD),
                        explode(col("grams")).as("gram"))
                .join(usable, new String[] {"rule_source", "gram"}, "left_semi")
                .join(evalPostings, new String[] {"rule_source", "gram"})
                .select("rule_source", TABLE, ROW_KEY, FIELD, EVAL_ID)
                .distinct();
    }

    /**
     * Distinct word n-grams of the text (Lucene standard tokenizer, lower-cased), each as its words
     * joined by a space; a text of fewer than {@code n} words is one n-gram.
     */
    static List<String> ngrams(String text, Integer n) {
        List<String> words = LuceneText.terms(LuceneText.STANDARD, text);
        Set<String> grams = new LinkedHashSet<>();
        if (words.isEmpty()) {
            return new ArrayList<>();
        }
        if (words.size() <= n) {
            grams.add(String.join(" ", words));
        } else {
            for (int i = 0; i + n <= words.size(); i++) {
                grams.add(String.join(" ", words.subList(i, i + n)));
            }
        }
        return new ArrayList<>(grams);
    }

    private static DecontamSummary summary(
            Map<String, Dataset<Row>> tables,
            Dataset<Row> eval,
            Dataset<Row> rejects,
            DecontamParams p) {
        Map<String, long[]> perSource = new TreeMap<>();
        for (TableSpec t : TABLES) {
            Dataset<Row> df = tables.get(t.name());
            if (df == null || !t.training()) {
                continue;
            }
            for (Row r :
                    df.filter(col(Columns.SPLIT).isin(p.trainSplits().toArray()))
                            .groupBy(Columns.SOURCE)
                            .count()
                            .collectAsList()) {
                perSource.computeIfAbsent(t.name() + "/" + r.getString(0), k -> new long[4])[0] =
                        r.getLong(1);
            }
        }
        long dropped = 0;
        Map<String, Long> otherSplits = new TreeMap<>();
        for (Row r :
                rejects.groupBy(
                                RejectsTable.INPUT,
                                Columns.SOURCE,
                                Columns.SPLIT,
                                RejectsTable.REASON)
                        .count()
                        .collectAsList()) {
            String key = r.getString(0) + "/" + r.getString(1);
            long n = r.getLong(4);
            dropped += n;
            if (!p.trainSplits().contains(r.getString(2))) {
                otherSplits.merge(key + "/" + r.getString(2), n, Long::sum);
                continue;
            }
            String reason = r.getString(3);
            int slot = EXACT.equals(reason) ? 1 : NEAR.equals(reason) ? 2 : 3;
            perSource.computeIfAbsent(key, k -> new long[4])[slot] += n;
        }
        Map<String, DecontamSummary.TableSource> counts = new TreeMap<>();
        perSource.forEach(
                (k, m) ->
                        counts.put(
                                k,
                                new DecontamSummary.TableSource(
                                        m[0], m[1], m[2], m[3], m[0] - m[1] - m[2] - m[3])));
        return new DecontamSummary(
                eval.select(TEXT).distinct().count(),
                dropped,
                Summaries.rejectsByReason(rejects),
                counts,
                otherSplits);
    }

    private static Dataset<Row> texts(TableSpec t, Dataset<Row> df, UserDefinedFunction normalize) {
        Column[] fields = new Column[t.fields().size()];
        for (int i = 0; i < fields.length; i++) {
            String f = t.fields().get(i);
            fields[i] = struct(lit(f).as(FIELD), normalize.apply(col(f)).as(TEXT));
        }
        return df.select(
                        lit(t.name()).as(TABLE),
                        col(Columns.SOURCE),
                        col(Columns.SPLIT),
                        rowKey(t).as(ROW_KEY),
                        explode(array(fields)).as("f"))
                .select(
                        col(TABLE),
                        col(Columns.SOURCE),
                        col(Columns.SPLIT),
                        col(ROW_KEY),
                        col("f." + FIELD).as(FIELD),
                        col("f." + TEXT).as(TEXT))
                .filter(col(TEXT).isNotNull().and(col(TEXT).notEqual("")));
    }

    private static Column rowKey(TableSpec t) {
        return concat_ws("/", col(Columns.SOURCE), col(Columns.SPLIT), col(t.idColumn()));
    }

    private static Dataset<Row> rejects(Dataset<Row> drops) {
        Column detail =
                when(
                                col(REASON).equalTo(EXACT),
                                concat(
                                        lit("field "),
                                        col(FIELD),
                                        lit(" equals eval text "),
                                        col(EVAL_ID)))
                        .when(
                                col(REASON).equalTo(EVAL_SET),
                                concat(
                                        lit("field "),
                                        col(FIELD),
                                        lit(" equals a text of eval set "),
                                        col(EVAL_ID)))
                        .otherwise(
                                concat(
                                        lit("field "),
                                        col(FIELD),
                                        lit(" is a near duplicate of eval text "),
                                        col(EVAL_ID),
                                        lit(" (word n-gram Jaccard "),
                                        format_number(col(SIMILARITY), 3),
                                        lit(")")));
        return Rejects.of(
                drops,
                StageId.DECONTAMINATE,
                col(TABLE),
                col(REASON),
                concat(col(TABLE), lit("/"), col(ROW_KEY)),
                detail,
                col(TEXT));
    }

    private static Dataset<Row> union(List<Dataset<Row>> parts) {
        Dataset<Row> all = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            all = all.unionByName(parts.get(i));
        }
        return all;
    }

    private static Column[] cols(String... names) {
        Column[] c = new Column[names.length];
        for (int i = 0; i < names.length; i++) {
            c[i] = col(names[i]);
        }
        return c;
    }
}
