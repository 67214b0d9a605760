package io.embedforge.pipeline.config;

import io.embedforge.pipeline.common.Ordered;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * One input of a source after presets, defaults and variables are resolved: which role it plays,
 * how it is laid out, where it is, and which of its fields feed the canonical columns. Shipped to
 * executors, so it is immutable and serialisable.
 *
 * @param role {@code records}, {@code corpus}, {@code queries} or {@code qrels}
 * @param format the reader (never a preset)
 * @param paths file URIs or globs (empty for {@link InputFormat#PARALLEL})
 * @param parallelFiles field name to file, only for {@link InputFormat#PARALLEL}
 * @param options format options, already checked against the format's allowed keys
 * @param fields canonical field name to the selector that extracts it
 */
public record InputSpec(
        String role,
        InputFormat format,
        List<String> paths,
        Map<String, String> parallelFiles,
        Options options,
        Map<String, String> fields)
        implements Serializable {
    public static final String RECORDS = "records";
    public static final String CORPUS = "corpus";
    public static final String QUERIES = "queries";
    public static final String QRELS = "qrels";

    public InputSpec {
        paths = List.copyOf(paths);
        parallelFiles = Ordered.map(parallelFiles);
        fields = Ordered.map(fields);
    }

    /** Every path of this input, for provenance and planning. */
    public List<String> allPaths() {
        return format == InputFormat.PARALLEL ? List.copyOf(parallelFiles.values()) : paths;
    }
}
