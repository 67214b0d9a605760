package io.embedforge.pipeline.ingest;

import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;

/** Opens input files through Hadoop, decompressing by extension. Runs on executors. */
public final class InputFiles {
    private InputFiles() {}

    /** Whether the file can be split into byte ranges (not compressed). */
    public static boolean splittable(String uri, Configuration conf) {
        return new CompressionCodecFactory(conf).getCodec(new Path(uri)) == null;
    }

    /** The file's bytes from the start, decompressed. */
    public static InputStream open(String uri, Configuration conf) throws IOException {
        Path path = new Path(uri);
        FileSystem fs = path.getFileSystem(conf);
        FSDataInputStream raw = fs.open(path, 1 << 16);
        CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(path);
        return codec == null ? raw : codec.createInputStream(raw);
    }

    /** An uncompressed file opened at a byte offset. */
    public static FSDataInputStream openAt(String uri, long offset, Configuration conf)
            throws IOException {
        Path path = new Path(uri);
        FSDataInputStream in = path.getFileSystem(conf).open(path, 1 << 16);
        if (offset > 0) {
            in.seek(offset);
        }
        return in;
    }

    /** Every byte of the file, decompressed. For formats that must see a whole file. */
    public static byte[] readAll(String uri, Configuration conf) throws IOException {
        try (InputStream in = open(uri, conf)) {
            return in.readAllBytes();
        }
    }
}
