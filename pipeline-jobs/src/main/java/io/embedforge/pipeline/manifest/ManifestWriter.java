package io.embedforge.pipeline.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.pipeline.config.PipelineConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes provenance: {@code <out>/<stage>/manifest.json} beside each stage's output and the
 * run-wide {@code <out>/manifest.json} that gathers every stage. Both carry the resolved config,
 * seed and versions. Files are written to a temporary name and renamed, so a reader never sees a
 * half-written manifest. Driver only.
 */
public final class ManifestWriter {
    public static final String FILE_NAME = "manifest.json";

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ManifestWriter() {}

    /**
     * Provenance of one stage beyond its result.
     *
     * @param stage stage name (key of its section)
     * @param dir folder of its output under the output root (where its manifest goes)
     * @param fingerprint hash of its inputs and settings (null = not tracked)
     * @param output digest of its committed output, what later stages fingerprint (null = none)
     * @param params its resolved settings (null = none)
     * @param inputs its input paths with sizes and hashes or modification times (null = none)
     * @param memory its peak memory (null = not measured)
     */
    public record StageRecord(
            String stage,
            String dir,
            String fingerprint,
            String output,
            Object params,
            Object inputs,
            Object memory) {}

    /**
     * Records one stage's section (stage, timings, fingerprint, params, inputs, result) in {@code
     * <out>/<dir>/manifest.json} and in the run-wide {@code <out>/manifest.json}; returns the
     * run-wide manifest.
     */
    public static ObjectNode writeStage(
            Configuration conf,
            String outRoot,
            StageRecord record,
            PipelineConfig config,
            Instant started,
            Instant finished,
            Object section) {
        String stage = record.stage();
        ObjectNode stageNode = JSON.createObjectNode();
        stageNode.put("stage", stage);
        stageNode.put("dir", record.dir());
        stageNode.put("started", started.toString());
        stageNode.put("finished", finished.toString());
        stageNode.put("seconds", (finished.toEpochMilli() - started.toEpochMilli()) / 1000.0);
        if (record.fingerprint() != null) {
            stageNode.put("fingerprint", record.fingerprint());
        }
        if (record.output() != null) {
            stageNode.put("output_digest", record.output());
        }
        if (record.params() != null) {
            stageNode.set("params", JSON.valueToTree(record.params()));
        }
        if (record.inputs() != null) {
            stageNode.set("inputs", JSON.valueToTree(record.inputs()));
        }
        if (record.memory() != null) {
            stageNode.set("memory", JSON.valueToTree(record.memory()));
        }
        stageNode.set("result", JSON.valueToTree(section));

        ObjectNode stageManifest = header(config);
        stageManifest.set(stage, stageNode);
        write(conf, new Path(new Path(outRoot, record.dir()), FILE_NAME).toString(), stageManifest);

        String runManifest = new Path(outRoot, FILE_NAME).toString();
        ObjectNode run = read(conf, runManifest);
        ObjectNode fresh = header(config);
        ObjectNode stages =
                run != null && run.has("stages") && run.get("stages").isObject()
                        ? (ObjectNode) run.get("stages")
                        : JSON.createObjectNode();
        stages.set(stage, stageNode);
        fresh.set("stages", stages);
        write(conf, runManifest, fresh);
        return fresh;
    }

    /** The JSON mapper of manifests (indented output). */
    public static ObjectMapper mapper() {
        return JSON;
    }

    private static ObjectNode header(PipelineConfig config) {
        ObjectNode h = JSON.createObjectNode();
        h.put("profile", config.profile());
        h.put("seed", config.seed());
        h.set("versions", JSON.valueToTree(Versions.all()));
        h.set("config", config.resolved());
        return h;
    }

    /** The manifest at this URI, or null when there is none. */
    public static ObjectNode read(Configuration conf, String uri) {
        try {
            Path path = new Path(uri);
            FileSystem fs = path.getFileSystem(conf);
            if (!fs.exists(path)) {
                return null;
            }
            try (InputStream in = fs.open(path)) {
                JsonNode node = JSON.readTree(in);
                return node instanceof ObjectNode o ? o : null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read manifest " + uri, e);
        }
    }

    /** Writes {@code node} to {@code uri} atomically (temporary name, then rename). */
    public static void write(Configuration conf, String uri, JsonNode node) {
        try {
            Path path = new Path(uri);
            FileSystem fs = path.getFileSystem(conf);
            Path tmp = new Path(path.getParent(), "." + path.getName() + ".tmp");
            try (OutputStream out = fs.create(tmp, true)) {
                JSON.writeValue(out, node);
            }
            if (fs.exists(path)) {
                fs.delete(path, false);
            }
            if (!fs.rename(tmp, path)) {
                throw new IOException("rename " + tmp + " -> " + path + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write manifest " + uri, e);
        }
    }
}
