package io.embedforge.pipeline.blend;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_contains;
import static org.apache.spark.sql.functions.array_repeat;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sequence;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.common.SeededHash;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;

/**
 * The blend's fallback miner {@code random} ({@code stages.blend.fallback}): a row with fewer
 * negatives than its source's {@code min_negatives} gets seeded random texts of its source's pool
 * appended, up to the minimum, instead of being dropped (the recipe's choice, and the default, is
 * to drop).
 *
 * <p>The pool of a source is every distinct text its rows in the blend's inputs carry as positive
 * or negative: for sources that ship only pairs (SNLI, NQ-open) that is the pool dense mining
 * searched (their positives); for sources with a corpus (SciFact) it is the part of the corpus the
 * miners returned, not the whole corpus (the blend does not read it). Never a fill text: the row's
 * query, any positive of the same query in the source (the rows sharing its query text: other
 * entailed hypotheses of an SNLI premise are positives, not negatives), or one of the row's own
 * negatives; fill texts are distinct. What a miner excluded beyond positives is not in its output,
 * so the fill cannot see it: for an STS source, mine-bm25's texts with a gold score above {@code
 * exclude_above} (but below {@code min_score}) with the query may be drawn.
 *
 * <p>Deterministic and independent of partitioning: the pool is ordered by {@code
 * SeededHash.rank(seed, text, "fallback")} (ties by text) and numbered; a row starts at position
 * {@code rank(seed, example_id, "fallback") mod N} and walks the pool in that order, taking the
 * first admissible texts. It looks at {@code need + excluded} consecutive positions at most, where
 * at most {@code excluded} texts can be inadmissible, so a row is filled whenever its pool has
 * enough admissible texts; a row still short stays short and is dropped and counted as {@code
 * too_few_negatives}. Filled negatives have no score (null in {@code negative_scores}); the row's
 * {@code negative_miner} then names the miner of each negative in order, comma-separated ({@code
 * dense,dense,random,...}). Runs on executors: a pool sort per source and joins.
 */
final class RandomFill {
    /** The {@code negative_miner} of a filled negative, and the setting's value. */
    static final String MINER = "random";

    /** Column: negatives the fallback appended to the row (0 for the others). */
    static final String FILLED = "filled";

    private static final String SALT = "fallback";
    private static final String TEXT = "f_text";
    private static final String POS = "f_pos";
    private static final String SIZE = "f_size";
    private static final String STEP = "f_step";
    private static final String FILL = "f_fill";
    private static final String Q_POSITIVES = "f_query_positives";

    private RandomFill() {}

    /**
     * {@code rows} (with the policy's {@code min_negatives} and {@code too_few} columns and the
     * input name) with the short rows of {@code sources} filled, {@code too_few} recomputed and
     * {@link #FILLED} set.
     */
    static Dataset<Row> apply(
            Dataset<Row> rows,
            Set<String> sources,
            long seed,
            String input,
            String minNegatives,
            String tooFew) {
        Column source = col(TrainingContract.SOURCE);
        Column inSources = source.isin(sources.toArray());
        UserDefinedFunction rank =
                udf(
                        (UDF2<String, String, Long>) (id, salt) -> SeededHash.rank(seed, id, salt),
                        DataTypes.LongType);
        Dataset<Row> pool = pool(rows.filter(inSources), rank);
        Dataset<Row> sizes =
                pool.groupBy(col(TrainingContract.SOURCE).as("s_source"))
                        .agg(count(lit(1)).as(SIZE));
        Dataset<Row> shortRows = rows.filter(inSources.and(col(tooFew)));
        Dataset<Row> queryPositives =
                rows.filter(inSources)
                        .join(
                                shortRows.select(source, col(TrainingContract.QUERY)),
                                new String[] {TrainingContract.SOURCE, TrainingContract.QUERY},
                                "left_semi")
                        .groupBy(source, col(TrainingContract.QUERY))
                        .agg(collect_set(col(TrainingContract.POSITIVE)).as(Q_POSITIVES));
        Dataset<Row> fills =
                fills(shortRows, queryPositives, sizes, pool, rank, input, minNegatives);
        return merged(rows, fills, input, minNegatives, tooFew);
    }

    /** Distinct texts (positives and negatives) per source, numbered in seeded order from 0. */
    private static Dataset<Row> pool(Dataset<Row> rows, UserDefinedFunction rank) {
        return rows.select(
                        col(TrainingContract.SOURCE),
                        explode(
                                        concat(
                                                array(col(TrainingContract.POSITIVE)),
                                                col(TrainingContract.NEGATIVES)))
                                .as(TEXT))
                .distinct()
                .withColumn(
                        POS,
                        row_number()
                                .over(
                                        Window.partitionBy(col(TrainingContract.SOURCE))
                                                .orderBy(
                                                        rank.apply(col(TEXT), lit(SALT)),
                                                        col(TEXT)))
                                .minus(1)
                                .cast(DataTypes.LongType));
    }

    /**
     * Per short row, the admissible texts at its walk's first positions, at most its need, in walk
     * order: (input, source, example_id, fill).
     */
    private static Dataset<Row> fills(
            Dataset<Row> shortRows,
            Dataset<Row> queryPositives,
            Dataset<Row> sizes,
            Dataset<Row> pool,
            UserDefinedFunction rank,
            String input,
            String minNegatives) {
        Column negatives = col(TrainingContract.NEGATIVES);
        Column need = col(minNegatives).minus(size(negatives));
        Column excluded = size(negatives).plus(size(col(Q_POSITIVES))).plus(1);
        Column steps = least(col(SIZE), need.plus(excluded));
        Column start = pmod(rank.apply(col(TrainingContract.EXAMPLE_ID), lit(SALT)), col(SIZE));
        Dataset<Row> walk =
                shortRows
                        .join(
                                queryPositives,
                                new String[] {TrainingContract.SOURCE, TrainingContract.QUERY})
                        .join(
                                broadcast(sizes),
                                col(TrainingContract.SOURCE).equalTo(col("s_source")))
                        .withColumn("f_need", need)
                        .withColumn(STEP, explode(sequence(lit(0L), steps.minus(1))))
                        .withColumn(POS, pmod(start.plus(col(STEP)), col(SIZE)));
        Column admissible =
                col(TEXT)
                        .notEqual(col(TrainingContract.QUERY))
                        .and(not(array_contains(col(Q_POSITIVES), col(TEXT))))
                        .and(not(array_contains(negatives, col(TEXT))));
        String[] key = {input, TrainingContract.SOURCE, TrainingContract.EXAMPLE_ID};
        return walk.join(pool, new String[] {TrainingContract.SOURCE, POS})
                .filter(admissible)
                .withColumn(
                        "f_n",
                        row_number()
                                .over(
                                        Window.partitionBy(
                                                        col(input),
                                                        col(TrainingContract.SOURCE),
                                                        col(TrainingContract.EXAMPLE_ID))
                                                .orderBy(col(STEP))))
                .filter(col("f_n").leq(col("f_need")))
                .groupBy(col(key[0]), col(key[1]), col(key[2]))
                .agg(sort_array(collect_list(struct(col(STEP), col(TEXT)))).as(FILL))
                .withColumn(FILL, expr("transform(" + FILL + ", x -> x." + TEXT + ")"));
    }

    /** The rows with their fills appended, scores null, miners per negative, too_few anew. */
    private static Dataset<Row> merged(
            Dataset<Row> rows,
            Dataset<Row> fills,
            String input,
            String minNegatives,
            String tooFew) {
        Column fill = coalesce(col(FILL), expr("cast(array() as array<string>)"));
        Column n = size(col(TrainingContract.NEGATIVES));
        // computed before the negatives are extended: the mined ones, then the filled ones
        Column miners =
                concat_ws(
                        ",",
                        concat(
                                array_repeat(col(TrainingContract.NEGATIVE_MINER), n),
                                array_repeat(lit(MINER), size(fill))));
        return rows.join(
                        fills,
                        new String[] {input, TrainingContract.SOURCE, TrainingContract.EXAMPLE_ID},
                        "left")
                .withColumn(FILLED, size(fill))
                .withColumn(
                        TrainingContract.NEGATIVE_MINER,
                        when(col(FILLED).gt(0), miners)
                                .otherwise(col(TrainingContract.NEGATIVE_MINER)))
                .withColumn(
                        TrainingContract.NEGATIVE_SCORES,
                        concat(
                                col(TrainingContract.NEGATIVE_SCORES),
                                array_repeat(lit(null).cast(DataTypes.DoubleType), size(fill))))
                .withColumn(
                        TrainingContract.NEGATIVES, concat(col(TrainingContract.NEGATIVES), fill))
                .withColumn(tooFew, size(col(TrainingContract.NEGATIVES)).lt(col(minNegatives)))
                .drop(FILL);
    }
}
