package io.embedforge.pipeline.run;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.FileChecksum;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The content hash of a file, for fingerprints and output digests: SHA-256 of its bytes, or, on a
 * file system that keeps a checksum of the content itself (HDFS: {@code MD5-of-CRC32C} computed by
 * the datanodes), that checksum, which costs no read. Content decides; the modification time is
 * only the key of a memo that lives as long as the JVM (one run), so a file listed by the plan and
 * again at commit is read once. Files of committed stage outputs go through {@link #ofOutput},
 * which hashes a Parquet file by its content rather than its exact bytes ({@link ParquetDigest}).
 * Driver only.
 */
public final class ContentHash {
    private static final Map<String, String> MEMO = new ConcurrentHashMap<>();

    private ContentHash() {}

    /**
     * The hash of the file {@code st} of {@code fs}: the SHA-256 in hex, or {@code
     * <algorithm>:<hex>} for a file system's own checksum.
     */
    public static String of(FileSystem fs, FileStatus st) throws IOException {
        String key = key("", st);
        String known = MEMO.get(key);
        if (known != null) {
            return known;
        }
        String hash = prefix(fs, st.getPath(), st.getLen(), st.getLen());
        MEMO.put(key, hash);
        return hash;
    }

    /**
     * The hash of a file of a committed stage output: {@link ParquetDigest} for a Parquet file,
     * whose footer parquet-mr does not write byte-identically from one JVM to the next, else {@link
     * #of}.
     */
    public static String ofOutput(FileSystem fs, FileStatus st) throws IOException {
        if (!st.getPath().getName().endsWith(".parquet")) {
            return of(fs, st);
        }
        String key = key("parquet", st);
        String known = MEMO.get(key);
        if (known != null) {
            return known;
        }
        String hash = ParquetDigest.of(fs, st);
        hash = hash != null ? hash : of(fs, st);
        MEMO.put(key, hash);
        return hash;
    }

    /**
     * The hash of the first {@code length} bytes of the file {@code p} ({@code fileLength} long):
     * the file system's checksum of them when it keeps one, else their SHA-256.
     */
    static String prefix(FileSystem fs, Path p, long length, long fileLength) throws IOException {
        String hash = fileSystemChecksum(fs, p, length, fileLength);
        return hash != null ? hash : sha256(fs, p, length);
    }

    /** SHA-256 (hex) of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    private static String key(String kind, FileStatus st) {
        return kind
                + "\u0000"
                + st.getPath()
                + "\u0000"
                + st.getLen()
                + "\u0000"
                + st.getModificationTime();
    }

    /**
     * A checksum the file system keeps of the first {@code length} bytes (not the local one: it
     * reads the file); the whole file's is asked for as such, as it always was.
     */
    private static String fileSystemChecksum(FileSystem fs, Path p, long length, long fileLength)
            throws IOException {
        if ("file".equals(fs.getUri().getScheme())) {
            return null;
        }
        FileChecksum c =
                length == fileLength ? fs.getFileChecksum(p) : fs.getFileChecksum(p, length);
        return c == null
                ? null
                : c.getAlgorithmName() + ":" + HexFormat.of().formatHex(c.getBytes());
    }

    private static String sha256(FileSystem fs, Path p, long length) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = fs.open(p)) {
            byte[] buf = new byte[1 << 16];
            long left = length;
            int n;
            while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
                md.update(buf, 0, n);
                left -= n;
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
