package io.embedforge.pipeline.bm25;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_distinct;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.run.StageOutput;
import io.embedforge.pipeline.run.Summaries;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.StsTable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF4;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;

/**
 * Stage {@code mine-bm25}: STS pairs with BM25 hard negatives (NV-Embed, "STS").
 *
 * <p>Records with a gold score >= {@code min_score} become two examples, (q = a, d+ = b) and (q =
 * b, d+ = a). The pool is every distinct normalised text of the {@code pool_splits}. For each query
 * the pool is ranked with Lucene's BM25; negatives are the best-ranked texts at rank >= {@code
 * min_rank} that are neither the query, nor one of its positives, nor a text with a gold score >
 * {@code exclude_above} with the query anywhere in the STS input (every split).
 *
 * <p>Distribution: the pool is hashed into {@code num_shards} shards; each shard's index is built
 * in one executor task ({@link ShardSearch}, a co-group of the shard's texts with every query), and
 * per-shard top-k lists are merged with a window over (score desc, text id). Collection and term
 * statistics are computed with Spark over the whole pool and used by each shard's BM25 scorers
 * ({@link ShardIndex}), so scores and ranks do not depend on the number of shards. Each query
 * fetches {@code k = max_negatives + min_rank - 1 + |excluded texts|} hits per shard, which is
 * enough for the global top-k: the global rank of every hit is exact.
 *
 * <p>Driver: plans the job and collects one row of collection statistics. Executors: analysis,
 * indexing, search. Nothing else reaches the driver.
 */
public final class MineBm25 {
    /** Stage name in reject rows and the manifest. */
    public static final String STAGE = "mine-bm25";

    /** Output directory under the output root. */
    public static final String STAGE_DIR = "mine-bm25";

    /** Reject reason: text_a or text_b is null or blank. */
    public static final String MISSING_TEXT = "missing_text";

    /** Reject reason: score is null. */
    public static final String MISSING_SCORE = "missing_score";

    /** Reject reason: score is NaN. */
    public static final String NAN_SCORE = "nan_score";

    /** Reject reason: score is outside 0..5 (or infinite). */
    public static final String SCORE_OUT_OF_RANGE = "score_out_of_range";

    /** Reject reason: both texts are the same after normalisation. */
    public static final String IDENTICAL_TEXTS = "identical_texts";

    private static final String Q_ID = ShardSearch.Q_ID;
    private static final String TEXT_ID = ShardSearch.TEXT_ID;
    private static final String RANK = "rank";
    private static final String REASON = "reason";
    private static final String NEGS = "negs";

    private MineBm25() {}

    /** Reads {@code inputRoot/sts}, mines, writes {@code outputRoot/mine-bm25}; the summary. */
    public static Map<String, Object> run(
            SparkSession spark, String inputRoot, String outputRoot, Bm25Params params) {
        Dataset<Row> sts =
                spark.read().schema(StsTable.SCHEMA).parquet(inputRoot + "/" + StsTable.NAME);
        StageOutput out = apply(sts, params);
        Dataset<Row> examples = out.examples().persist();
        try {
            new StageOutput(examples, out.rejects(), out.summary())
                    .write(outputRoot + "/" + STAGE_DIR);
            return out.summary().get();
        } finally {
            examples.unpersist();
        }
    }

    /** The pure transformation: STS records (StsTable schema) to examples and rejects. */
    public static StageOutput apply(Dataset<Row> sts, Bm25Params p) {
        SparkSession spark = sts.sparkSession();
        UserDefinedFunction normalize =
                udf((UDF1<String, String>) TextNormalizer::normalize, DataTypes.StringType);
        UserDefinedFunction textId =
                udf((UDF1<String, String>) t -> StableIds.of(t), DataTypes.StringType);
        UserDefinedFunction exampleId =
                udf(
                        (UDF4<String, String, String, String, String>) StableIds::of,
                        DataTypes.StringType);
        String analyzer = p.analyzer();
        UserDefinedFunction terms =
                udf(
                        (UDF1<String, List<String>>) t -> LuceneText.terms(analyzer, t),
                        DataTypes.createArrayType(DataTypes.StringType, false));

        // 1. Validate and normalise.
        Column a = col("a");
        Column b = col("b");
        Column score = col(StsTable.SCORE);
        Column reason =
                when(
                                a.isNull().or(a.equalTo("")).or(b.isNull()).or(b.equalTo("")),
                                lit(MISSING_TEXT))
                        .when(score.isNull(), lit(MISSING_SCORE))
                        .when(isnan(score), lit(NAN_SCORE))
                        .when(
                                score.lt(0).or(score.gt(Bm25Params.SCORE_MAX)),
                                lit(SCORE_OUT_OF_RANGE))
                        .when(a.equalTo(b), lit(IDENTICAL_TEXTS));
        Dataset<Row> checked =
                sts.withColumn("a", normalize.apply(col(StsTable.TEXT_A)))
                        .withColumn("b", normalize.apply(col(StsTable.TEXT_B)))
                        .withColumn(REASON, reason);
        Dataset<Row> valid = checked.filter(col(REASON).isNull());
        Dataset<Row> rejects = rejects(checked.filter(col(REASON).isNotNull()));

        // 2. Examples: both directions of the kept records, one row per example id.
        Dataset<Row> kept =
                valid.filter(
                        col(Columns.SPLIT)
                                .isin(p.exampleSplits().toArray())
                                .and(score.geq(p.minScore())));
        Dataset<Row> directed =
                direction(kept, "a", "b")
                        .unionByName(direction(kept, "b", "a"))
                        .withColumn(
                                Columns.EXAMPLE_ID,
                                exampleId.apply(
                                        col(Columns.SOURCE),
                                        lit(NegativesTable.TASK_STS),
                                        col(NegativesTable.QUERY),
                                        col(NegativesTable.POSITIVE)));
        Dataset<Row> examples =
                directed.withColumn(
                                "dup",
                                row_number()
                                        .over(
                                                Window.partitionBy(Columns.EXAMPLE_ID)
                                                        .orderBy(
                                                                col("record_id"),
                                                                col(Columns.SPLIT))))
                        .filter(col("dup").equalTo(1))
                        .drop("dup", "record_id")
                        .withColumn(Q_ID, textId.apply(col(NegativesTable.QUERY)));

        // 3. Queries and the texts each must never get as a negative.
        Dataset<Row> queries =
                examples.select(col(Q_ID), col(NegativesTable.QUERY).as(ShardSearch.TEXT))
                        .dropDuplicates(Q_ID)
                        .withColumn(ShardSearch.TERMS, terms.apply(col(ShardSearch.TEXT)));
        Dataset<Row> gold = valid.filter(score.gt(p.excludeAbove()));
        Dataset<Row> exclusions =
                queries.select(col(Q_ID), col(Q_ID).as(TEXT_ID))
                        .unionByName(pairIds(gold, "a", "b", textId))
                        .unionByName(pairIds(gold, "b", "a", textId))
                        .unionByName(
                                examples.select(
                                        col(Q_ID),
                                        textId.apply(col(NegativesTable.POSITIVE)).as(TEXT_ID)))
                        .distinct()
                        .join(queries.select(Q_ID), on(Q_ID), "left_semi");
        Dataset<Row> budget =
                exclusions
                        .groupBy(Q_ID)
                        .agg(count(lit(1)).as("excluded"))
                        .select(
                                col(Q_ID),
                                col("excluded")
                                        .plus(p.maxNegatives() + p.minRank() - 1)
                                        .cast(DataTypes.IntegerType)
                                        .as(ShardSearch.K));

        // 4. Pool and its global statistics.
        Dataset<Row> pool =
                valid.filter(col(Columns.SPLIT).isin(p.poolSplits().toArray()))
                        .select(explode(array(a, b)).as(ShardSearch.TEXT))
                        .distinct()
                        .withColumn(TEXT_ID, textId.apply(col(ShardSearch.TEXT)));
        Dataset<Row> poolTerms = pool.withColumn("terms", terms.apply(col(ShardSearch.TEXT)));
        GlobalStats global = globalStats(poolTerms);

        Dataset<Row> queryTerms =
                queries.select(
                        col(Q_ID), explode(array_distinct(col(ShardSearch.TERMS))).as("term"));
        Dataset<Row> termStats =
                poolTerms
                        .select(col(TEXT_ID), explode(col("terms")).as("term"))
                        .join(queryTerms.select("term").distinct(), on("term"), "left_semi")
                        .groupBy(TEXT_ID, "term")
                        .agg(count(lit(1)).as("tf"))
                        .groupBy("term")
                        .agg(count(lit(1)).as("df"), sum("tf").as("ttf"));
        Dataset<Row> queryStats =
                queryTerms
                        .join(termStats, on("term"))
                        .groupBy(Q_ID)
                        .agg(
                                collect_list(struct(col("term"), col("df"), col("ttf")))
                                        .as(ShardSearch.TERM_STATS));

        // 5. Search every query in every shard, merge the shards' top-k.
        Dataset<Row> hits;
        if (global.isEmpty()) {
            hits = spark.createDataFrame(List.of(), ShardSearch.HIT_SCHEMA);
        } else {
            Column shardOf =
                    pmod(xxhash64(col(TEXT_ID)), lit(p.numShards())).cast(DataTypes.IntegerType);
            Dataset<Row> shardedPool =
                    pool.select(shardOf.as(ShardSearch.SHARD), col(TEXT_ID), col(ShardSearch.TEXT));
            Dataset<Row> shardedQueries =
                    queries.join(budget, on(Q_ID))
                            .join(queryStats, on(Q_ID), "left")
                            .crossJoin(
                                    spark.range(p.numShards())
                                            .select(
                                                    col("id")
                                                            .cast(DataTypes.IntegerType)
                                                            .as(ShardSearch.SHARD)));
            MapFunction<Row, Integer> shardKey = r -> r.getInt(r.fieldIndex(ShardSearch.SHARD));
            hits =
                    shardedPool
                            .groupByKey(shardKey, Encoders.INT())
                            .cogroup(
                                    shardedQueries.groupByKey(shardKey, Encoders.INT()),
                                    new ShardSearch(
                                            p.analyzer(), (float) p.k1(), (float) p.b(), global),
                                    Encoders.row(ShardSearch.HIT_SCHEMA));
        }
        Dataset<Row> ranked =
                hits.withColumn(
                                RANK,
                                row_number()
                                        .over(
                                                Window.partitionBy(Q_ID)
                                                        .orderBy(
                                                                col(ShardSearch.SCORE).desc(),
                                                                col(TEXT_ID).asc())))
                        .filter(col(RANK).leq(col(ShardSearch.K)));
        Dataset<Row> negatives =
                ranked.filter(col(RANK).geq(p.minRank()))
                        .join(exclusions, on(Q_ID, TEXT_ID), "left_anti")
                        .withColumn(
                                "pos",
                                row_number().over(Window.partitionBy(Q_ID).orderBy(col(RANK))))
                        .filter(col("pos").leq(p.maxNegatives()))
                        .groupBy(Q_ID)
                        .agg(
                                sort_array(
                                                collect_list(
                                                        struct(
                                                                col(RANK),
                                                                col(ShardSearch.TEXT),
                                                                col(ShardSearch.SCORE))))
                                        .as(NEGS));

        Dataset<Row> out =
                examples.join(negatives, on(Q_ID), "left")
                        .select(
                                col(Columns.SOURCE),
                                col(Columns.SPLIT),
                                col(Columns.EXAMPLE_ID),
                                lit(NegativesTable.TASK_STS).as(NegativesTable.TASK_TYPE),
                                col(NegativesTable.QUERY),
                                col(NegativesTable.POSITIVE),
                                expr("coalesce(transform(negs, x -> x.text), cast(array() as array<string>))")
                                        .as(NegativesTable.NEGATIVES),
                                expr("coalesce(transform(negs, x -> cast(x.score as double)), cast(array() as array<double>))")
                                        .as(NegativesTable.NEGATIVE_SCORES),
                                expr("coalesce(transform(negs, x -> x.rank), cast(array() as array<int>))")
                                        .as(NegativesTable.NEGATIVE_RANKS),
                                lit(NegativesTable.MINER_BM25).as(NegativesTable.NEGATIVE_MINER));

        Dataset<Row> input = sts;
        Dataset<Row> keptRecords = kept;
        return new StageOutput(
                out, rejects, () -> summary(input, keptRecords, out, rejects, global, p));
    }

    private static Map<String, Object> summary(
            Dataset<Row> input,
            Dataset<Row> kept,
            Dataset<Row> examples,
            Dataset<Row> rejects,
            GlobalStats global,
            Bm25Params p) {
        Map<String, Object> s = new LinkedHashMap<>();
        long pairs = kept.count();
        Map<String, Long> rejected = Summaries.rejectsByReason(rejects);
        Map<String, Object> out = Summaries.examples(examples, p.maxNegatives());
        long examplesOut = (Long) out.get("examples_out");
        s.put("stage", STAGE);
        s.put("records_in", input.count());
        s.put("rejects_by_reason", rejected);
        s.put("records_kept", pairs);
        s.put("duplicate_examples", 2 * pairs - examplesOut);
        s.putAll(out);
        s.put("pool_texts", global.maxDoc());
        s.put("pool_texts_without_terms", global.maxDoc() - global.docCount());
        s.put(
                "pool_avg_length",
                global.docCount() == 0
                        ? 0.0
                        : (double) global.sumTotalTermFreq() / global.docCount());
        s.put("num_shards", p.numShards());
        return s;
    }

    private static GlobalStats globalStats(Dataset<Row> poolTerms) {
        Row r =
                poolTerms
                        .select(
                                size(col("terms")).as("len"),
                                size(array_distinct(col("terms"))).as("distinct"))
                        .agg(
                                count(lit(1)),
                                sum(when(col("len").gt(0), 1).otherwise(0)),
                                sum(col("len")),
                                sum(col("distinct")))
                        .first();
        return new GlobalStats(
                r.getLong(0),
                r.isNullAt(1) ? 0 : r.getLong(1),
                r.isNullAt(2) ? 0 : r.getLong(2),
                r.isNullAt(3) ? 0 : r.getLong(3));
    }

    private static Dataset<Row> direction(Dataset<Row> kept, String q, String d) {
        return kept.select(
                col(Columns.SOURCE),
                col(Columns.SPLIT),
                col(Columns.EXAMPLE_ID).as("record_id"),
                col(q).as(NegativesTable.QUERY),
                col(d).as(NegativesTable.POSITIVE));
    }

    private static Dataset<Row> pairIds(
            Dataset<Row> pairs, String q, String t, UserDefinedFunction textId) {
        return pairs.select(textId.apply(col(q)).as(Q_ID), textId.apply(col(t)).as(TEXT_ID));
    }

    private static Dataset<Row> rejects(Dataset<Row> bad) {
        Column detail =
                when(
                                col(REASON).isin(NAN_SCORE, SCORE_OUT_OF_RANGE),
                                concat(
                                        lit("score="),
                                        col(StsTable.SCORE).cast(DataTypes.StringType),
                                        lit(" must be a finite number in [0, 5]")))
                        .when(col(REASON).equalTo(MISSING_SCORE), lit("score is null"))
                        .when(
                                col(REASON).equalTo(MISSING_TEXT),
                                lit("text_a or text_b is null or blank"))
                        .otherwise(lit("text_a equals text_b after normalisation"));
        return bad.select(
                col(Columns.SOURCE),
                col(Columns.SPLIT),
                lit(STAGE).as(RejectsTable.STAGE),
                lit(StsTable.NAME).as(RejectsTable.INPUT),
                col(REASON).as(RejectsTable.REASON),
                concat(lit(StsTable.NAME + "/"), col(Columns.EXAMPLE_ID)).as(RejectsTable.LOCATION),
                detail.as(RejectsTable.DETAIL),
                substring(
                                concat(
                                        expr("coalesce(" + StsTable.TEXT_A + ", '')"),
                                        lit("\t"),
                                        expr("coalesce(" + StsTable.TEXT_B + ", '')")),
                                1,
                                RejectsTable.RAW_EXCERPT_CHARS)
                        .as(RejectsTable.RAW));
    }

    private static String[] on(String... columns) {
        return columns;
    }
}
