package io.embedforge.pipeline.decontam;

import io.embedforge.pipeline.common.TextNormalizer;
import io.embedforge.train.eval.EvalConfig;
import io.embedforge.train.eval.EvalSets;
import io.embedforge.train.eval.EvalSets.LoadedSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The scored texts of the sets of {@code eval} configs ({@link LoadedSet#scoredTexts()}), read with
 * the evaluator's own readers and caps, so the sets decontamination removes are exactly the sets
 * {@code eval} scores: the list of evaluation sets is defined once, in the eval config. The sets
 * are small (capped evaluation sets) and read on the driver, as {@code eval} reads them.
 */
final class EvalSetTexts {

    /** Columns: the eval id ({@code eval/<config file name>/<set>/<n>}) and the normalised text. */
    static final StructType SCHEMA =
            new StructType()
                    .add("eval_id", DataTypes.StringType, false)
                    .add("text", DataTypes.StringType, false);

    private EvalSetTexts() {}

    /** The config files and the files of their sets (an unreadable config: itself only). */
    static List<String> files(List<String> configs) {
        List<String> out = new ArrayList<>();
        for (String c : configs) {
            out.add(c);
            Path file = Path.of(c);
            try {
                EvalConfig ec = EvalConfig.read(file);
                ec.files(ec.dataRoot(file)).forEach(f -> out.add(f.toString()));
            } catch (IOException e) {
                // run() reports it with the config's name; the fingerprint lists the config
            }
        }
        return out;
    }

    /**
     * Reads every set of every config.
     *
     * @throws UncheckedIOException naming the config when a config or a set cannot be read
     */
    static Dataset<Row> load(SparkSession spark, List<String> configs) {
        List<Row> rows = new ArrayList<>();
        for (String c : configs) {
            Path file = Path.of(c);
            try {
                EvalConfig ec = EvalConfig.read(file);
                for (LoadedSet s : EvalSets.load(ec, ec.dataRoot(file))) {
                    List<String> texts = s.scoredTexts();
                    for (int i = 0; i < texts.size(); i++) {
                        String t = TextNormalizer.normalize(texts.get(i));
                        if (t != null && !t.isEmpty()) {
                            String id = "eval/" + file.getFileName() + "/" + s.config().name();
                            rows.add(RowFactory.create(id + "/" + i, t));
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "decontaminate: eval config " + file + ": " + e.getMessage(), e);
            }
        }
        return spark.createDataFrame(rows, SCHEMA);
    }
}
