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
 * again at commit is read once. Driver only.
 */
public final class ContentHash {
    private static final Map<String, String> MEMO = new ConcurrentHashMap<>();

    private ContentHash() {}

    /**
     * The hash of the file {@code st} of {@code fs}: the SHA-256 in hex, or {@code
     * <algorithm>:<hex>} for a file system's own checksum.
     */
    public static String of(FileSystem fs, FileStatus st) throws IOException {
        String key = st.getPath() + "\u0000" + st.getLen() + "\u0000" + st.getModificationTime();
        String known = MEMO.get(key);
        if (known != null) {
            return known;
        }
        String hash = fileSystemChecksum(fs, st.getPath());
        if (hash == null) {
            hash = sha256(fs, st.getPath());
        }
        MEMO.put(key, hash);
        return hash;
    }

    /** SHA-256 (hex) of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /** A checksum of the content the file system keeps (not the local one: it reads the file). */
    private static String fileSystemChecksum(FileSystem fs, Path p) throws IOException {
        if ("file".equals(fs.getUri().getScheme())) {
            return null;
        }
        FileChecksum c = fs.getFileChecksum(p);
        return c == null
                ? null
                : c.getAlgorithmName() + ":" + HexFormat.of().formatHex(c.getBytes());
    }

    private static String sha256(FileSystem fs, Path p) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = fs.open(p)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
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
