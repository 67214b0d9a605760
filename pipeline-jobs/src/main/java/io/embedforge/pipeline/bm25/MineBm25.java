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
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import io.embedforge.pipeline.common.LuceneText;
import io.embedforge.pipeline.common.StableIds;
import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.ExampleCounts;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.StsTable;
import io.embedforge.pipeline.stage.Rejects;
import io.embedforge.pipeline.stage.Stage;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.pipeline.stage.StageOutput;
import io.embedforge.pipeline.stage.StepCounter;
import io.embedforge.pipeline.stage.Summaries;
import java.util.List;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.api.java.UDF4;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import scala.collection.Seq;

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
 * fetches {@code k = negatives + min_rank - 1 + |excluded texts|} hits per shard, which is enough
 * for the global top-k: the global rank of every hit is exact.
 *
 * <p>Driver: plans the job and collects one row of collection statistics. Executors: analysis,
 * indexing, search. Nothing else reaches the driver.
 */
public final class MineBm25 implements Stage<Bm25Params> {
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

    private static final UserDefinedFunction NORMALIZE =
            udf((UDF1<String, String>) TextNormalizer::normalize, DataTypes.StringType);
    private static final UserDefinedFunction TEXT_ID_OF =
            udf((UDF1<String, String>) t -> StableIds.of(t), DataTypes.StringType);
    private static final UserDefinedFunction EXAMPLE_ID_OF =
            udf((UDF4<String, String, String, String, String>) StableIds::of, DataTypes.StringType);

    @Override
    public StageId id() {
        return StageId.MINE_BM25;
    }

    @Override
    public Class<Bm25Params> paramsType() {
        return Bm25Params.class;
    }

    /** Reads {@code decontaminate/sts}, mines, writes {@code examples} and {@code rejects}. */
    @Override
    public Bm25Summary run(StageContext ctx, Bm25Params params) {
        Dataset<Row> sts =
                ctx.spark()
                        .read()
                        .schema(StsTable.SCHEMA)
                        .parquet(ctx.input(StageId.DECONTAMINATE, StsTable.NAME));
        return apply(sts, params).writeAndSummarise(ctx);
    }

    /** The pure transformation: STS records (StsTable schema) to examples and rejects. */
    public static StageOutput<Bm25Summary> apply(Dataset<Row> sts, Bm25Params p) {
        UserDefinedFunction terms = terms(p.analyzer());
        Dataset<Row> checked = checked(sts);
        Dataset<Row> valid = checked.filter(col(REASON).isNull());
        Dataset<Row> rejects = rejects(checked.filter(col(REASON).isNotNull()));
        Dataset<Row> kept =
                valid.filter(
                        col(Columns.SPLIT)
                                .isin(p.exampleSplits().toArray())
                                .and(col(StsTable.SCORE).geq(p.minScore())));
        Dataset<Row> examples = examples(kept);
        Dataset<Row> queries =
                examples.select(col(Q_ID), col(NegativesTable.QUERY).as(ShardSearch.TEXT))
                        .dropDuplicates(Q_ID)
                        .withColumn(ShardSearch.TERMS, terms.apply(col(ShardSearch.TEXT)));
        Dataset<Row> exclusions = exclusions(queries, valid, examples, p);
        Dataset<Row> pool =
                valid.filter(col(Columns.SPLIT).isin(p.poolSplits().toArray()))
                        .select(explode(array(col("a"), col("b"))).as(ShardSearch.TEXT))
                        .distinct()
                        .withColumn(TEXT_ID, TEXT_ID_OF.apply(col(ShardSearch.TEXT)));
        Dataset<Row> poolTerms = pool.withColumn("terms", terms.apply(col(ShardSearch.TEXT)));
        GlobalStats global = globalStats(poolTerms);
        Dataset<Row> stats = queryStats(queries, poolTerms);
        Dataset<Row> hits = search(pool, queries, stats, budget(exclusions, p), global, p);
        Dataset<Row> out =
                withNegatives(
                        withPositiveScore(examples, stats, global, p),
                        negatives(hits, exclusions, p));
        return new StageOutput<>(out, rejects, () -> summary(sts, kept, out, rejects, global, p));
    }

    /** Step 1: texts normalised ({@code a}, {@code b}) and the reason a record is rejected. */
    static Dataset<Row> checked(Dataset<Row> sts) {
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
        return sts.withColumn("a", NORMALIZE.apply(col(StsTable.TEXT_A)))
                .withColumn("b", NORMALIZE.apply(col(StsTable.TEXT_B)))
                .withColumn(REASON, reason);
    }

    /** Step 2: both directions of the kept records, one row per example id, with the query id. */
    static Dataset<Row> examples(Dataset<Row> kept) {
        Dataset<Row> directed =
                direction(kept, "a", "b")
                        .unionByName(direction(kept, "b", "a"))
                        .withColumn(
                                Columns.EXAMPLE_ID,
                                EXAMPLE_ID_OF.apply(
                                        col(Columns.SOURCE),
                                        lit(NegativesTable.TASK_STS),
                                        col(NegativesTable.QUERY),
                                        col(NegativesTable.POSITIVE)));
        return directed.withColumn(
                        "dup",
                        row_number()
                                .over(
                                        Window.partitionBy(Columns.EXAMPLE_ID)
                                                .orderBy(col("record_id"), col(Columns.SPLIT))))
                .filter(col("dup").equalTo(1))
                .drop("dup", "record_id")
                .withColumn(Q_ID, TEXT_ID_OF.apply(col(NegativesTable.QUERY)));
    }

    /**
     * Step 3: (query, text) pairs a query must never get as a negative: itself, its positives and
     * every text with a gold score above {@code exclude_above} with it, in any split.
     */
    static Dataset<Row> exclusions(
            Dataset<Row> queries, Dataset<Row> valid, Dataset<Row> examples, Bm25Params p) {
        Dataset<Row> gold = valid.filter(col(StsTable.SCORE).gt(p.excludeAbove()));
        return queries.select(col(Q_ID), col(Q_ID).as(TEXT_ID))
                .unionByName(pairIds(gold, "a", "b"))
                .unionByName(pairIds(gold, "b", "a"))
                .unionByName(
                        examples.select(
                                col(Q_ID),
                                TEXT_ID_OF.apply(col(NegativesTable.POSITIVE)).as(TEXT_ID)))
                .distinct()
                .join(queries.select(Q_ID), on(Q_ID), "left_semi");
    }

    /** Hits each query fetches per shard: enough for its global top-k after exclusions. */
    private static Dataset<Row> budget(Dataset<Row> exclusions, Bm25Params p) {
        return exclusions
                .groupBy(Q_ID)
                .agg(count(lit(1)).as("excluded"))
                .select(
                        col(Q_ID),
                        col("excluded")
                                .plus(p.negatives() + p.minRank() - 1)
                                .cast(DataTypes.IntegerType)
                                .as(ShardSearch.K));
    }

    /** Step 4: per query, the pool-wide document and total term frequencies of its terms. */
    private static Dataset<Row> queryStats(Dataset<Row> queries, Dataset<Row> poolTerms) {
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
        return queryTerms
                .join(termStats, on("term"))
                .groupBy(Q_ID)
                .agg(
                        collect_list(struct(col("term"), col("df"), col("ttf")))
                                .as(ShardSearch.TERM_STATS));
    }

    /** Step 5: every query searched in every shard of the pool ({@link ShardSearch} hits). */
    private static Dataset<Row> search(
            Dataset<Row> pool,
            Dataset<Row> queries,
            Dataset<Row> queryStats,
            Dataset<Row> budget,
            GlobalStats global,
            Bm25Params p) {
        SparkSession spark = pool.sparkSession();
        if (global.isEmpty()) {
            return spark.createDataFrame(List.of(), ShardSearch.HIT_SCHEMA);
        }
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
        return shardedPool
                .groupByKey(shardKey, Encoders.INT())
                .cogroup(
                        shardedQueries.groupByKey(shardKey, Encoders.INT()),
                        new ShardSearch(
                                p.analyzer(),
                                p.k1().floatValue(),
                                p.b().floatValue(),
                                global,
                                StepCounter.register(spark.sparkContext(), "search", "searches")),
                        Encoders.row(ShardSearch.HIT_SCHEMA));
    }

    /**
     * Step 6: the shards' hits merged by (score desc, text id), then per query the best-ranked
     * texts at rank >= {@code min_rank} that are not excluded, at most {@code negatives}.
     */
    private static Dataset<Row> negatives(
            Dataset<Row> hits, Dataset<Row> exclusions, Bm25Params p) {
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
        return ranked.filter(col(RANK).geq(p.minRank()))
                .join(exclusions, on(Q_ID, TEXT_ID), "left_anti")
                .withColumn("pos", row_number().over(Window.partitionBy(Q_ID).orderBy(col(RANK))))
                .filter(col("pos").leq(p.negatives()))
                .groupBy(Q_ID)
                .agg(
                        sort_array(
                                        collect_list(
                                                struct(
                                                        col(RANK),
                                                        col(ShardSearch.TEXT),
                                                        col(ShardSearch.SCORE))))
                                .as(NEGS));
    }

    /**
     * Step 7: each example's BM25 score of its positive ({@link PositiveScorer}), which the report
     * puts beside its negatives' scores; from the query's term statistics of step 4.
     */
    private static Dataset<Row> withPositiveScore(
            Dataset<Row> examples, Dataset<Row> stats, GlobalStats global, Bm25Params p) {
        PositiveScorer scorer =
                new PositiveScorer(p.analyzer(), p.k1().floatValue(), p.b().floatValue(), global);
        UserDefinedFunction score =
                udf((UDF3<String, String, Seq<Row>, Double>) scorer::score, DataTypes.DoubleType);
        return examples.join(stats, on(Q_ID), "left")
                .withColumn(
                        NegativesTable.POSITIVE_SCORE,
                        score.apply(
                                col(NegativesTable.QUERY),
                                col(NegativesTable.POSITIVE),
                                col(ShardSearch.TERM_STATS)));
    }

    /** Step 8: the examples in the {@link NegativesTable} schema with their negatives. */
    private static Dataset<Row> withNegatives(Dataset<Row> examples, Dataset<Row> negatives) {
        return examples.join(negatives, on(Q_ID), "left")
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
                        lit(NegativesTable.MINER_BM25).as(NegativesTable.NEGATIVE_MINER),
                        col(NegativesTable.POSITIVE_SCORE));
    }

    private static UserDefinedFunction terms(String analyzer) {
        return udf(
                (UDF1<String, List<String>>) t -> LuceneText.terms(analyzer, t),
                DataTypes.createArrayType(DataTypes.StringType, false));
    }

    private static Bm25Summary summary(
            Dataset<Row> input,
            Dataset<Row> kept,
            Dataset<Row> examples,
            Dataset<Row> rejects,
            GlobalStats global,
            Bm25Params p) {
        long pairs = kept.count();
        ExampleCounts out = Summaries.examples(examples, p.negatives());
        return new Bm25Summary(
                input.count(),
                Summaries.rejectsByReason(rejects),
                pairs,
                2 * pairs - out.examplesOut(),
                out,
                global.maxDoc(),
                global.maxDoc() - global.docCount(),
                global.docCount() == 0
                        ? 0.0
                        : (double) global.sumTotalTermFreq() / global.docCount(),
                p.numShards());
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

    private static Dataset<Row> pairIds(Dataset<Row> pairs, String q, String t) {
        return pairs.select(
                TEXT_ID_OF.apply(col(q)).as(Q_ID), TEXT_ID_OF.apply(col(t)).as(TEXT_ID));
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
        return Rejects.of(
                bad,
                StageId.MINE_BM25,
                lit(StsTable.NAME),
                col(REASON),
                concat(lit(StsTable.NAME + "/"), col(Columns.EXAMPLE_ID)),
                detail,
                concat(
                        expr("coalesce(" + StsTable.TEXT_A + ", '')"),
                        lit("\t"),
                        expr("coalesce(" + StsTable.TEXT_B + ", '')")));
    }

    private static String[] on(String... columns) {
        return columns;
    }
}
