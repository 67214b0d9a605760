package io.embedforge.pipeline.ingest;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;

/**
 * Opens input files through Hadoop, decompressing by extension. Runs on executors.
 *
 * <p>Failures are told apart by where they happen: an {@link IOException} of the file system
 * (permissions, a lost data node) fails the run, as nothing about the data is known; one of the
 * decompressor (a {@code .gz} that ends early or is damaged) is a fact about the file, which the
 * readers report as {@code truncated_input} for the part they could not read.
 */
public final class InputFiles {
    private InputFiles() {}

    /** Whether the file can be split into byte ranges (not compressed). */
    public static boolean splittable(String uri, Configuration conf) {
        return codec(uri, conf) == null;
    }

    /** The file's bytes from the start, decompressed. */
    public static InputStream open(String uri, Configuration conf) throws IOException {
        Path path = new Path(uri);
        FileSystem fs = path.getFileSystem(conf);
        FSDataInputStream raw = fs.open(path, 1 << 16);
        CompressionCodec codec = codec(uri, conf);
        return codec == null ? raw : codec.createInputStream(new StorageStream(raw));
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

    /**
     * A file's decompressed bytes, or as many as could be decompressed.
     *
     * @param bytes the bytes read
     * @param truncation why the rest could not be decompressed, or null when the file was whole
     */
    public record Content(byte[] bytes, String truncation) {}

    /**
     * Every byte of the file, decompressed, for formats that must see a whole file. A file system
     * failure is thrown; a decompression failure ends the content early and is described.
     */
    public static Content readAll(String uri, Configuration conf) throws IOException {
        boolean compressed = !splittable(uri, conf);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = open(uri, conf)) {
            byte[] chunk = new byte[1 << 16];
            int n;
            while ((n = in.read(chunk)) > 0) {
                out.write(chunk, 0, n);
            }
        } catch (IOException e) {
            if (!isDecompressionFailure(e, compressed)) {
                throw e;
            }
            return new Content(out.toByteArray(), describe(e));
        }
        return new Content(out.toByteArray(), null);
    }

    /** Whether an exception of a read came from the decompressor rather than the file system. */
    static boolean isDecompressionFailure(IOException e, boolean compressed) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StorageException) {
                return false;
            }
        }
        return compressed;
    }

    /** The exception's class and message, for a reject detail. */
    static String describe(IOException e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static CompressionCodec codec(String uri, Configuration conf) {
        return new CompressionCodecFactory(conf).getCodec(new Path(uri));
    }

    /** Marks a failure of the file system underneath a decompressor. */
    static final class StorageException extends IOException {
        StorageException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** The compressed bytes as stored; its read failures are {@link StorageException}s. */
    private static final class StorageStream extends FilterInputStream {
        StorageStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                throw new StorageException(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                throw new StorageException(e);
            }
        }
    }
}
