package io.embedforge.pipeline.export;

import io.embedforge.pipeline.manifest.ManifestWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The export's small files (README, manifest), written on the driver through Hadoop's FileSystem.
 */
final class ExportFiles {
    private ExportFiles() {}

    static void writeText(Configuration conf, String uri, String text) {
        try {
            Path path = new Path(uri);
            FileSystem fs = path.getFileSystem(conf);
            try (OutputStream out = fs.create(path, true)) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + uri, e);
        }
    }

    static void writeJson(Configuration conf, String uri, Object value) {
        ManifestWriter.write(conf, uri, ManifestWriter.mapper().valueToTree(value));
    }
}
