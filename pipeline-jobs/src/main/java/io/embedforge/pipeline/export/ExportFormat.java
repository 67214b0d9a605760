package io.embedforge.pipeline.export;

import io.embedforge.pipeline.config.ConfigException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The layouts {@code export-data} writes, each the one its library documents, so a researcher loads
 * the blend output without glue code.
 */
public enum ExportFormat {
    /**
     * Our contract as Parquet, with a dataset card whose {@code configs} name stage1 and stage2.
     */
    HF("hf", "parquet"),
    /** {@code anchor, positive, negative_1..negative_n} Parquet: every column is a model input. */
    SENTENCE_TRANSFORMERS("sentence-transformers", "parquet"),
    /** JSONL {@code {query, pos, neg, prompt, type}} of FlagEmbedding's fine-tuning scripts. */
    FLAGEMBEDDING("flagembedding", "json"),
    /** JSONL {@code {query_id, query, positive_passages, negative_passages}} of Tevatron. */
    TEVATRON("tevatron", "json");

    private final String id;
    private final String fileFormat;

    ExportFormat(String id, String fileFormat) {
        this.id = id;
        this.fileFormat = fileFormat;
    }

    /** The name on the command line and in the manifest. */
    public String id() {
        return id;
    }

    /**
     * Spark's data source name of the files ({@code parquet} or {@code json}, one object a line).
     */
    public String fileFormat() {
        return fileFormat;
    }

    /** The file name pattern of a stage's data files, relative to its folder. */
    public String fileGlob() {
        return "*." + fileFormat;
    }

    /** The format called {@code name}; a user error listing the allowed names otherwise. */
    public static ExportFormat named(String name) {
        for (ExportFormat f : values()) {
            if (f.id.equals(name)) {
                return f;
            }
        }
        throw new ConfigException("--format '" + name + "' is not a format; allowed: " + allowed());
    }

    /** The names, comma-separated. */
    public static String allowed() {
        return Arrays.stream(values()).map(ExportFormat::id).collect(Collectors.joining(", "));
    }
}
