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

    /** Records one stage's section in both manifests; returns the run-wide manifest. */
    public static ObjectNode writeStage(
            Configuration conf,
            String outRoot,
            String stage,
            PipelineConfig config,
            Instant started,
            Instant finished,
            Object section) {
        ObjectNode stageNode = JSON.createObjectNode();
        stageNode.put("stage", stage);
        stageNode.put("started", started.toString());
        stageNode.put("finished", finished.toString());
        stageNode.put("seconds", (finished.toEpochMilli() - started.toEpochMilli()) / 1000.0);
        stageNode.set("result", JSON.valueToTree(section));

        ObjectNode stageManifest = header(config);
        stageManifest.set(stage, stageNode);
        write(conf, outRoot + "/" + stage + "/" + FILE_NAME, stageManifest);

        ObjectNode run = read(conf, outRoot + "/" + FILE_NAME);
        ObjectNode fresh = header(config);
        ObjectNode stages =
                run != null && run.has("stages") && run.get("stages").isObject()
                        ? (ObjectNode) run.get("stages")
                        : JSON.createObjectNode();
        stages.set(stage, stageNode);
        fresh.set("stages", stages);
        write(conf, outRoot + "/" + FILE_NAME, fresh);
        return fresh;
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

    static void write(Configuration conf, String uri, JsonNode node) {
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
