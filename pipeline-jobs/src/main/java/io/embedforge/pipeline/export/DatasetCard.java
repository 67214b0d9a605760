package io.embedforge.pipeline.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.embedforge.pipeline.schema.TrainingExamplesTable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * The export's {@code README.md}: a Hugging Face dataset card whose YAML header names one config
 * per training stage ({@code stage1}, {@code stage2}) with its data files, so {@code
 * datasets.load_dataset(DIR, "stage1")} reads exactly that stage; per stage the size of its files
 * ({@code download_size}) and for {@code hf} its features; the Hub's size category. {@code
 * datasets} caches a local folder under its name and a hash of this header (not of the files): the
 * sizes make a re-export of other data into a folder of the same name miss that cache instead of
 * being served the old rows. The body states the layout, the instruction handling, the negatives
 * policy, the row accounting per source, the provenance and the license notes. No timestamps: the
 * same blend and options give the same card.
 */
final class DatasetCard {
    private static final YAMLMapper YAML =
            new YAMLMapper(
                    new YAMLFactory()
                            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private DatasetCard() {}

    static String render(ExportManifest m) {
        StringBuilder s = new StringBuilder("---\n").append(header(m)).append("---\n\n");
        s.append("# EmbedForge training data (").append(m.format()).append(")\n\n");
        s.append("Exported by `embedforge export-data --format ")
                .append(m.format())
                .append("` from the blend output `")
                .append(m.blend())
                .append("` (profile `")
                .append(m.provenance().get("profile"))
                .append("`, seed ")
                .append(m.provenance().get("seed"))
                .append(").\n\n");
        s.append("## Layout\n\n").append(layout(m)).append("\n\n");
        s.append("## Instructions\n\n").append(m.instructions()).append(".\n\n");
        s.append("## Negatives policy\n\n").append(policy(m)).append("\n\n");
        s.append("## Rows per source\n\n").append(counts(m)).append('\n');
        s.append("## Provenance and licenses\n\n").append(licenses(m)).append('\n');
        s.append("Blend fingerprint `")
                .append(m.provenance().get("blend_fingerprint"))
                .append("`; full provenance (versions, counts) in `manifest.json`.\n");
        return s.toString();
    }

    private static String header(ExportManifest m) {
        Map<String, Object> root = new LinkedHashMap<>();
        List<Object> configs = new ArrayList<>();
        List<Object> infos = new ArrayList<>();
        m.stages()
                .forEach(
                        (stage, e) -> {
                            Map<String, Object> files = new LinkedHashMap<>();
                            files.put("split", "train");
                            files.put("path", e.folder() + "/" + e.files());
                            Map<String, Object> config = new LinkedHashMap<>();
                            config.put("config_name", stage);
                            config.put("data_files", List.of(files));
                            configs.add(config);
                            Map<String, Object> info = new LinkedHashMap<>();
                            info.put("config_name", stage);
                            if (m.format().equals(ExportFormat.HF.id())) {
                                info.put("features", features());
                            }
                            info.put("download_size", e.bytes());
                            infos.add(info);
                        });
        root.put("configs", configs);
        root.put("dataset_info", infos);
        long rows = m.stages().values().stream().mapToLong(StageExport::rows).sum();
        root.put("size_categories", List.of(sizeCategory(rows)));
        root.put("tags", List.of("sentence-similarity", "embeddings", "embedforge"));
        try {
            return YAML.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The Hub's size category of {@code rows} ({@code n<1K}, {@code 1K<n<10K}, ...). Rows per stage
     * are in the body's table and the manifest: {@code dataset_info.splits} would also need the
     * split's size in Arrow bytes, which the export does not know.
     */
    static String sizeCategory(long rows) {
        String[] names = {"1K", "10K", "100K", "1M", "10M", "100M", "1B", "10B", "100B", "1T"};
        if (rows < 1_000) {
            return "n<1K";
        }
        long bound = 1_000;
        for (int i = 1; i < names.length; i++) {
            bound *= 10;
            if (rows < bound) {
                return names[i - 1] + "<n<" + names[i];
            }
        }
        return "n>1T";
    }

    /** The contract's columns as {@code datasets} features. */
    static List<Object> features() {
        List<Object> out = new ArrayList<>();
        for (StructField f : TrainingExamplesTable.SCHEMA.fields()) {
            Map<String, Object> feature = new LinkedHashMap<>();
            feature.put("name", f.name());
            if (f.dataType() instanceof ArrayType a) {
                feature.put("list", dtype(a.elementType()));
            } else {
                feature.put("dtype", dtype(f.dataType()));
            }
            out.add(feature);
        }
        return out;
    }

    private static String dtype(DataType t) {
        if (t.equals(DataTypes.StringType)) {
            return "string";
        } else if (t.equals(DataTypes.LongType)) {
            return "int64";
        } else if (t.equals(DataTypes.DoubleType)) {
            return "float64";
        } else if (t.equals(DataTypes.BooleanType)) {
            return "bool";
        }
        throw new IllegalStateException("no datasets dtype for " + t);
    }

    private static String layout(ExportManifest m) {
        return switch (ExportFormat.named(m.format())) {
            case HF ->
                    "Parquet in the EmbedForge training contract (docs/contract.md): one row per"
                            + " example, rows in batch order (`batch_index`, then `example_id`).";
            case SENTENCE_TRANSFORMERS ->
                    "Parquet with the columns `anchor, positive, negative_1.."
                            + "negative_"
                            + m.negatives()
                            + "` and nothing else: sentence-transformers treats"
                            + " every column as an input. Rows in the blend's batch order.";
            case FLAGEMBEDDING ->
                    "JSONL `{query, pos, neg, prompt, type}` (FlagEmbedding's"
                            + " fine-tuning data). Stage 2 is in `stage2"
                            + DataExport.NO_IN_BATCH_NEG
                            + "/`: FlagEmbedding turns in-batch negatives off for such folders, as the"
                            + " recipe does for stage 2.";
            case TEVATRON ->
                    "JSONL `{query_id, query, positive_passages, negative_passages}`,"
                            + " passages `{docid, title, text}` with docid = first 128 bits of SHA-256 of"
                            + " the text, title empty.";
        };
    }

    private static String policy(ExportManifest m) {
        return "Rows with fewer than "
                + (m.format().equals(ExportFormat.SENTENCE_TRANSFORMERS.id())
                        ? Math.max(m.negatives(), m.minNegatives())
                        : m.minNegatives())
                + " negatives are dropped (reason `"
                + ExportRequest.DROP_FEWER_NEGATIVES
                + "`), each one in `"
                + DataExport.REJECTS
                + "/<stage>/` and counted below;"
                + " the blend keeps 0 to 7 negatives per row, best first, never padded.";
    }

    private static String counts(ExportManifest m) {
        StringBuilder s =
                new StringBuilder(
                        "| stage | source | read | written | dropped |\n|---|---|---:|---:|---:|\n");
        m.stages()
                .forEach(
                        (stage, e) ->
                                e.read()
                                        .forEach(
                                                (source, read) -> {
                                                    long written =
                                                            e.written().getOrDefault(source, 0L);
                                                    s.append("| ")
                                                            .append(stage)
                                                            .append(" | ")
                                                            .append(source)
                                                            .append(" | ")
                                                            .append(read)
                                                            .append(" | ")
                                                            .append(written)
                                                            .append(" | ")
                                                            .append(read - written)
                                                            .append(" |\n");
                                                }));
        return s.toString();
    }

    private static String licenses(ExportManifest m) {
        StringBuilder s = new StringBuilder("| source | preset | license |\n|---|---|---|\n");
        m.sources()
                .forEach(
                        (name, info) ->
                                s.append("| ")
                                        .append(name)
                                        .append(" | ")
                                        .append(info.get("preset"))
                                        .append(" | ")
                                        .append(info.get("license"))
                                        .append(" |\n"));
        return s.toString();
    }
}
