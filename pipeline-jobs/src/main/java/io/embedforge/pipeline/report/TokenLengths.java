package io.embedforge.pipeline.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.embedforge.contract.TrainingContract;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.tokenize.EmbeddingInput;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Stage-2 lengths in tokens of the training tokenizer (the base model of {@code
 * stages.report.train_config}), as the trainer forms its inputs (query with its instruction,
 * documents with the row's document instruction, BOS and EOS included), and how many texts the
 * training {@code max_length} truncates. Tokenised on the executors, one tokenizer per partition;
 * only the per-role aggregates reach the driver.
 *
 * @param trainConfig the training config read
 * @param maxLength its {@code max_length}
 * @param buckets per role (query, positive, negative): texts per log2 bucket of tokens
 * @param truncated per role: {texts, texts longer than max_length}
 */
record TokenLengths(
        String trainConfig,
        int maxLength,
        Map<String, Map<String, Long>> buckets,
        Map<String, long[]> truncated) {

    private static final StructType LENGTHS =
            new StructType().add("role", DataTypes.StringType).add("l", DataTypes.IntegerType);

    /**
     * The lengths of {@code s2}'s texts with the tokenizer of the training config at {@code file}.
     */
    static TokenLengths of(Dataset<Row> s2, String file) {
        int max = read(file).maxLength();
        Dataset<Row> lengths =
                s2.select(
                                col(TrainingContract.INSTRUCTION),
                                col(TrainingContract.QUERY),
                                col(TrainingContract.QUERY_TEXT),
                                col(TrainingContract.POSITIVE),
                                col(TrainingContract.NEGATIVES),
                                col(TrainingContract.DOCUMENT_INSTRUCTION))
                        .mapPartitions(tokenCounts(file), Encoders.row(LENGTHS));
        // one aggregation (the texts are tokenised once): texts and truncated per role and bucket
        Map<String, Map<Long, Long>> perBucket = new LinkedHashMap<>();
        Map<String, long[]> truncated = new LinkedHashMap<>();
        for (String role : List.of(Charts.QUERY, Charts.POSITIVE, Charts.NEGATIVE)) {
            perBucket.put(role, new TreeMap<>());
            truncated.put(role, new long[2]);
        }
        for (Row r :
                lengths.groupBy(col("role"), floor(log(2.0, col("l"))).as("b"))
                        .agg(count(lit(1)), sum(when(col("l").gt(max), 1).otherwise(0)))
                        .collectAsList()) {
            perBucket.get(r.getString(0)).put(r.getLong(1), r.getLong(2));
            truncated.get(r.getString(0))[0] += r.getLong(2);
            truncated.get(r.getString(0))[1] += r.getLong(3);
        }
        Map<String, Map<String, Long>> buckets = new LinkedHashMap<>();
        perBucket.forEach(
                (role, m) -> {
                    Map<String, Long> out = new LinkedHashMap<>();
                    m.forEach((b, n) -> out.put(String.valueOf(1L << b), n));
                    buckets.put(role, out);
                });
        return new TokenLengths(file, max, buckets, truncated);
    }

    /**
     * The files the measurement reads: the training config and, for a base model folder, its {@code
     * tokenizer.json} and {@code config.json} (the tokenizer {@link Trainer#tokenizer} opens).
     */
    static List<String> files(String file) {
        List<String> files = new ArrayList<>(List.of(file));
        try {
            String base = TrainConfig.read(Path.of(file)).baseModel();
            if (!"tiny".equals(base)) {
                files.add(Path.of(base).resolve("tokenizer.json").toString());
                files.add(Path.of(base).resolve("config.json").toString());
            }
        } catch (Exception e) {
            // unreadable: run() reports it naming the key; the file alone is fingerprinted
        }
        return files;
    }

    private static TrainConfig read(String file) {
        try {
            return TrainConfig.read(Path.of(file));
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    "stages.report.train_config=" + file + ": " + e.getMessage(), e);
        }
    }

    /** (role, tokens) of every text of a partition; the tokenizer is opened once per partition. */
    private static MapPartitionsFunction<Row, Row> tokenCounts(String file) {
        return rows -> {
            List<Row> out = new ArrayList<>();
            try (NvEmbedTokenizer t = Trainer.tokenizer(read(file))) {
                while (rows.hasNext()) {
                    Row r = rows.next();
                    EmbeddingInput query =
                            EmbeddingInput.trainingQuery(
                                    r.getString(0), r.getString(1), r.getString(2));
                    String docInstruction = r.getString(5);
                    out.add(RowFactory.create(Charts.QUERY, t.length(query)));
                    out.add(
                            RowFactory.create(
                                    Charts.POSITIVE,
                                    t.length(
                                            EmbeddingInput.trainingDocument(
                                                    docInstruction, r.getString(3)))));
                    for (String n : r.<String>getList(4)) {
                        out.add(
                                RowFactory.create(
                                        Charts.NEGATIVE,
                                        t.length(
                                                EmbeddingInput.trainingDocument(
                                                        docInstruction, n))));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("report: cannot open the training tokenizer", e);
            }
            return out.iterator();
        };
    }
}
