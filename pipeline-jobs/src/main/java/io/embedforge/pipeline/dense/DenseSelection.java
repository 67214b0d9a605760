package io.embedforge.pipeline.dense;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.embedforge.pipeline.schema.Columns;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RetrievalTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The last step of {@code mine-dense}: one grouping by (source, query text) that brings together
 * the query's examples, its vector, its positives' vectors and its search hits, where positive
 * scores, exclusions and the {@link NegativeSelector} run. Every positive of the query text and its
 * lowest positive score count for all of its examples, whatever their query ids. Planned on the
 * driver; the selection runs on executors.
 */
final class DenseSelection {
    private static final String SOURCE = Columns.SOURCE;

    /** Column of {@link #SELECTED}: stable id of the query's normalised text. */
    static final String Q_TID = "q_tid";

    /** Column of {@link #SELECTED}: the final window of the example's selection. */
    static final String WINDOW = "window";

    /** Column of {@link #SELECTED}: how deep the query's hits went (the last rank searched). */
    static final String HITS = "hits";

    /**
     * Selection output: the output schema plus the query text id, the final window, the hits' depth
     * and per-example counters for the summary.
     */
    static final StructType SELECTED;

    static {
        StructType s = DenseMiningJob.SCHEMA.add("query_id", DataTypes.StringType, false);
        s = s.add("positive_in_corpus", DataTypes.BooleanType, false);
        s = s.add(Q_TID, DataTypes.StringType, false);
        s = s.add(WINDOW, DataTypes.IntegerType, false);
        s = s.add(HITS, DataTypes.IntegerType, false);
        for (NegativeSelector.Filter f : NegativeSelector.Filter.values()) {
            s = s.add(f.code(), DataTypes.LongType, false);
        }
        SELECTED = s;
    }

    /** Column of {@link #GROUPED}: which {@link Part} a row is. */
    private static final String PART = "part";

    /** The kinds of rows that meet in the group of one query text. */
    private enum Part {
        EXAMPLE,
        QUERY_VECTOR,
        POSITIVE_VECTOR,
        HIT
    }

    /** Rows grouped by query text: each {@link Part} fills its own columns, the rest are null. */
    private static final StructType GROUPED =
            new StructType()
                    .add(SOURCE, DataTypes.StringType, true)
                    .add("q_tid", DataTypes.StringType, true)
                    .add(PART, DataTypes.IntegerType, false)
                    .add(Columns.SPLIT, DataTypes.StringType, true)
                    .add(Columns.EXAMPLE_ID, DataTypes.StringType, true)
                    .add(RetrievalTable.QUERY_ID, DataTypes.StringType, true)
                    .add(RetrievalTable.QUERY, DataTypes.StringType, true)
                    .add(RetrievalTable.POSITIVE_ID, DataTypes.StringType, true)
                    .add(RetrievalTable.POSITIVE, DataTypes.StringType, true)
                    .add("p_tid", DataTypes.StringType, true)
                    .add("valid", DataTypes.BooleanType, true)
                    .add("positive_in_corpus", DataTypes.BooleanType, true)
                    .add("vec", DataTypes.createArrayType(DataTypes.FloatType, false), true)
                    .add("rank", DataTypes.IntegerType, true)
                    .add("c_tid", DataTypes.StringType, true)
                    .add("doc_ids", DataTypes.createArrayType(DataTypes.StringType, false), true)
                    .add("text", DataTypes.StringType, true)
                    .add("score", DataTypes.DoubleType, true);

    private DenseSelection() {}

    /**
     * Selects every valid example's negatives; rows of {@link #SELECTED}, persisted.
     *
     * @param exampleRows (source, q_tid) with the example columns, {@code valid} and {@code
     *     positive_in_corpus}
     * @param queryVectors (source, id, vec) of each query text searched
     * @param positiveVectors (source, q_tid, p_tid, vec) of each query's positives
     * @param hitRows (source, q_tid, rank, c_tid, score, doc_ids, text) of each search hit
     */
    static Dataset<Row> select(
            Dataset<Row> exampleRows,
            Dataset<Row> queryVectors,
            Dataset<Row> positiveVectors,
            Dataset<Row> hitRows,
            DenseParams p) {
        Dataset<Row> grouped =
                part(exampleRows, Part.EXAMPLE)
                        .unionByName(
                                part(
                                        queryVectors.select(
                                                col(SOURCE),
                                                col(BlockedSearch.ID).as("q_tid"),
                                                col(BlockedSearch.VEC).as("vec")),
                                        Part.QUERY_VECTOR))
                        .unionByName(part(positiveVectors, Part.POSITIVE_VECTOR))
                        .unionByName(part(hitRows, Part.HIT));
        return grouped.groupByKey(new QueryTextKey(), Encoders.STRING())
                .flatMapGroups(new SelectForQueryText(p), Encoders.row(SELECTED))
                .persist(StorageLevel.MEMORY_AND_DISK());
    }

    /** Pads rows to {@link #GROUPED} with typed nulls and tags them with their part. */
    private static Dataset<Row> part(Dataset<Row> rows, Part part) {
        Set<String> present = Set.of(rows.columns());
        List<Column> columns = new ArrayList<>();
        for (StructField f : GROUPED.fields()) {
            if (f.name().equals(PART)) {
                columns.add(lit(part.ordinal()).as(PART));
            } else if (present.contains(f.name())) {
                columns.add(col(f.name()));
            } else {
                columns.add(lit(null).cast(f.dataType()).as(f.name()));
            }
        }
        return rows.select(columns.toArray(new Column[0]));
    }

    /** The group key of a {@link #GROUPED} row: its source and query text id. */
    private static final class QueryTextKey implements MapFunction<Row, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String call(Row row) {
            return row.getString(0) + '\u0000' + row.getString(1);
        }
    }

    /**
     * Selects the negatives of every example of one query text from the rows of its group: the
     * examples (valid or rejected for their positive), the query's vector, its positives' vectors
     * and its hits. Runs on executors.
     */
    private static final class SelectForQueryText
            implements FlatMapGroupsFunction<String, Row, Row> {
        private static final long serialVersionUID = 1L;
        private static final int PART_INDEX = GROUPED.fieldIndex(PART);
        private static final int VEC = GROUPED.fieldIndex("vec");
        private final NegativeSelector selector;

        SelectForQueryText(DenseParams params) {
            this.selector = new NegativeSelector(params);
        }

        /** The rows of one group, sorted by part. */
        private record Group(
                List<Row> examples,
                float[] queryVector,
                Map<String, float[]> positiveVectors,
                List<NegativeSelector.Candidate> hits) {}

        @Override
        public Iterator<Row> call(String key, Iterator<Row> rows) {
            Group g = gather(rows);
            Set<String> positiveIds = new HashSet<>();
            Set<String> positiveTextIds = new HashSet<>();
            Map<String, Double> positiveScores = new HashMap<>();
            double minPositive = Double.POSITIVE_INFINITY;
            for (Row e : g.examples()) {
                positiveIds.add(e.getAs(RetrievalTable.POSITIVE_ID));
                positiveTextIds.add(e.getAs("p_tid"));
                if (e.<Boolean>getAs("valid")) {
                    double s =
                            dot(
                                    g.queryVector(),
                                    g.positiveVectors().get(e.<String>getAs("p_tid")),
                                    e);
                    positiveScores.put(e.getAs(Columns.EXAMPLE_ID), s);
                    minPositive = Math.min(minPositive, s);
                }
            }
            List<Row> out = new ArrayList<>(positiveScores.size());
            for (Row e : g.examples()) {
                if (e.<Boolean>getAs("valid")) {
                    out.add(
                            select(
                                    e,
                                    g.hits(),
                                    positiveIds,
                                    positiveTextIds,
                                    minPositive,
                                    positiveScores.get(e.<String>getAs(Columns.EXAMPLE_ID))));
                }
            }
            return out.iterator();
        }

        private static Group gather(Iterator<Row> rows) {
            List<Row> examples = new ArrayList<>();
            float[] queryVector = null;
            Map<String, float[]> positiveVectors = new HashMap<>();
            List<NegativeSelector.Candidate> hits = new ArrayList<>();
            for (Row row : (Iterable<Row>) () -> rows) {
                switch (Part.values()[row.getInt(PART_INDEX)]) {
                    case EXAMPLE -> examples.add(row);
                    case QUERY_VECTOR -> queryVector = floats(row.getList(VEC));
                    case POSITIVE_VECTOR ->
                            positiveVectors.put(row.getAs("p_tid"), floats(row.getList(VEC)));
                    case HIT ->
                            hits.add(
                                    new NegativeSelector.Candidate(
                                            row.getAs("c_tid"),
                                            row.getList(row.fieldIndex("doc_ids")),
                                            row.getAs("text"),
                                            row.getDouble(row.fieldIndex("score")),
                                            row.getInt(row.fieldIndex("rank"))));
                }
            }
            return new Group(examples, queryVector, positiveVectors, hits);
        }

        private Row select(
                Row e,
                List<NegativeSelector.Candidate> hits,
                Set<String> positiveIds,
                Set<String> positiveTextIds,
                double minPositive,
                double positiveScore) {
            NegativeSelector.Query q =
                    new NegativeSelector.Query(
                            e.getAs(Columns.EXAMPLE_ID),
                            e.getAs(RetrievalTable.QUERY_ID),
                            e.getAs("q_tid"),
                            positiveIds,
                            positiveTextIds,
                            minPositive);
            NegativeSelector.Selection sel = selector.select(q, hits);
            int n = sel.negatives().size();
            List<String> texts = new ArrayList<>(n);
            List<String> ids = new ArrayList<>(n);
            List<Double> scores = new ArrayList<>(n);
            List<Integer> ranks = new ArrayList<>(n);
            for (NegativeSelector.Candidate c : sel.negatives()) {
                texts.add(c.text());
                ids.add(c.docIds().get(0));
                scores.add(c.score());
                ranks.add(c.rank());
            }
            Object[] values = new Object[SELECTED.size()];
            int i = 0;
            values[i++] = e.getAs(SOURCE);
            values[i++] = e.getAs(Columns.SPLIT);
            values[i++] = e.getAs(Columns.EXAMPLE_ID);
            values[i++] = NegativesTable.TASK_RETRIEVAL;
            values[i++] = e.getAs(RetrievalTable.QUERY);
            values[i++] = e.getAs(RetrievalTable.POSITIVE);
            values[i++] = CollectionConverters.asScala(texts);
            values[i++] = CollectionConverters.asScala(ids);
            values[i++] = CollectionConverters.asScala(scores);
            values[i++] = CollectionConverters.asScala(ranks);
            values[i++] = NegativesTable.MINER_DENSE;
            values[i++] = positiveScore;
            values[i++] = e.getAs(RetrievalTable.QUERY_ID);
            values[i++] = e.getAs("positive_in_corpus");
            values[i++] = e.getAs(Q_TID);
            values[i++] = sel.window();
            values[i++] = sel.hits();
            for (long removed : sel.removed()) {
                values[i++] = removed;
            }
            return RowFactory.create(values);
        }

        /** Query · positive in double; fails naming the example if a vector never arrived. */
        private static double dot(float[] q, float[] d, Row example) {
            if (q == null || d == null) {
                throw new IllegalStateException(
                        "no "
                                + (q == null ? "query" : "positive")
                                + " embedding reached example "
                                + example.getAs(Columns.EXAMPLE_ID)
                                + " of source "
                                + example.getAs(SOURCE));
            }
            double s = 0;
            for (int i = 0; i < q.length; i++) {
                s += (double) q[i] * d[i];
            }
            return s;
        }

        private static float[] floats(List<Float> list) {
            float[] f = new float[list.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = list.get(i);
            }
            return f;
        }
    }
}
