package io.embedforge.pipeline.dense;

import static org.apache.spark.sql.functions.col;

import io.embedforge.encoder.EncoderConfig;
import io.embedforge.encoder.SharedEncoders;
import io.embedforge.encoder.TextEncoder;
import io.embedforge.pipeline.stage.StepCounter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * Encodes texts on executors with the JVM's shared {@link TextEncoder} ({@link SharedEncoders}:
 * loaded by the first task, reused by the next ones, closed at JVM exit). Each partition is
 * consumed in chunks of {@code encode_chunk} texts; the encoder sorts a chunk by token length and
 * runs it in batches of {@code encoder.batch_size}, so the chunk is the unit of padding savings.
 * Unless {@code encoder.intra_op_threads} is set, each task's forward passes use the task's cores
 * and the tasks of an executor run their passes concurrently.
 *
 * <p>Columns of the input besides (kind, text_id, text) ride along after the embedding, so a caller
 * can route each vector where it is needed (which sources search it, which queries it is a positive
 * of) without joining the vectors back to the rows they came from.
 *
 * <p>This is also the Parquet layout of {@code dense/embeddings}: (kind, text_id, embedding), with
 * kind {@code query} or {@code passage} (they differ by prefix) and text_id the stable id of the
 * normalised text, partitioned by the encoder's fingerprint.
 */
public final class DenseEmbedder {
    /** Column: {@code query} or {@code passage}. */
    public static final String KIND = "kind";

    /** Column: stable id of the normalised text. */
    public static final String TEXT_ID = "text_id";

    /** Column of the input: the normalised text. */
    public static final String TEXT = "text";

    /** Column: the vector, array&lt;float&gt;. */
    public static final String EMBEDDING = "embedding";

    /** Partition column of the Parquet store: {@link EncoderConfig#fingerprint()}. */
    public static final String FINGERPRINT = "fingerprint";

    /** Kind of query texts (encoded with the query prefix). */
    public static final String QUERY = "query";

    /** Kind of corpus and positive texts (encoded with the passage prefix). */
    public static final String PASSAGE = "passage";

    /** Output schema. */
    public static final StructType SCHEMA =
            new StructType()
                    .add(KIND, DataTypes.StringType, false)
                    .add(TEXT_ID, DataTypes.StringType, false)
                    .add(EMBEDDING, DataTypes.createArrayType(DataTypes.FloatType, false), false);

    /** The progress step of the encoding (its counter counts texts). */
    public static final String ENCODING = "encoding";

    private DenseEmbedder() {}

    /**
     * Encodes rows (kind, text_id, text, other...) into rows (kind, text_id, embedding, other...).
     * Lazy: nothing runs until an action.
     */
    public static Dataset<Row> encode(Dataset<Row> texts, EncoderConfig config, int chunk) {
        List<String> encoded = List.of(KIND, TEXT_ID, TEXT);
        List<Column> columns = new ArrayList<>(encoded.stream().map(c -> col(c)).toList());
        StructType out = SCHEMA;
        for (StructField f : texts.schema().fields()) {
            if (!encoded.contains(f.name())) {
                columns.add(col(f.name()));
                out = out.add(f);
            }
        }
        LongAccumulator counter =
                StepCounter.register(texts.sparkSession().sparkContext(), ENCODING, "texts");
        return texts.select(columns.toArray(new Column[0]))
                .mapPartitions(new EncodePartition(config, chunk, counter), Encoders.row(out));
    }

    /** The per-partition encoding loop; shipped to executors. */
    private static final class EncodePartition implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final EncoderConfig config;
        private final int chunk;
        private final LongAccumulator encoded;

        EncodePartition(EncoderConfig config, int chunk, LongAccumulator encoded) {
            this.config = config;
            this.chunk = chunk;
            this.encoded = encoded;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            EncoderConfig taskConfig = forThisTask(config);
            return new Iterator<>() {
                private Iterator<Row> current = java.util.Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    while (!current.hasNext() && input.hasNext()) {
                        current = encodeChunk(input, taskConfig).iterator();
                    }
                    return current.hasNext();
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return current.next();
                }
            };
        }

        private List<Row> encodeChunk(Iterator<Row> input, EncoderConfig taskConfig) {
            List<Row> queries = new ArrayList<>();
            List<Row> passages = new ArrayList<>();
            for (int i = 0; i < chunk && input.hasNext(); i++) {
                Row r = input.next();
                (QUERY.equals(r.getString(0)) ? queries : passages).add(r);
            }
            TextEncoder encoder = SharedEncoders.get(taskConfig);
            List<Row> out = new ArrayList<>(queries.size() + passages.size());
            emit(out, queries, encoder.encodeQueries(texts(queries)));
            emit(out, passages, encoder.encodePassages(texts(passages)));
            encoded.add(out.size());
            return out;
        }

        private static List<String> texts(List<Row> rows) {
            List<String> texts = new ArrayList<>(rows.size());
            for (Row r : rows) {
                texts.add(r.getString(2));
            }
            return texts;
        }

        /**
         * With {@code intra_op_threads} 0, a forward pass gets the task's own cores ({@code
         * spark.task.cpus}) and the executor's tasks run their passes side by side: on CPU that
         * beats one pass at a time over every core (no fork-join barrier per operator; 1.05-1.20x
         * texts per CPU-second measured with E5-small-v2 on 2 cores).
         */
        static EncoderConfig forThisTask(EncoderConfig config) {
            if (config.intraOpThreads() > 0) {
                return config;
            }
            TaskContext task = TaskContext.get();
            return config.withIntraOpThreads(task == null ? 1 : Math.max(1, task.cpus()));
        }

        /** (kind, text_id, embedding, the input's other columns) per input row. */
        private static void emit(List<Row> out, List<Row> rows, float[][] vecs) {
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                Object[] values = new Object[r.size()];
                values[0] = r.get(0);
                values[1] = r.get(1);
                values[2] = vecs[i];
                for (int c = 3; c < values.length; c++) {
                    values[c] = r.get(c);
                }
                out.add(RowFactory.create(values));
            }
        }
    }
}
