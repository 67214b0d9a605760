package io.embedforge.pipeline.run;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Lists the files behind input paths or globs (folders recursively) with their sizes, and a SHA-256
 * of the content for files up to {@link #HASH_LIMIT_BYTES} (modification time beyond: hashing large
 * remote inputs would cost a full read). The listing is the provenance of a stage's inputs and,
 * hashed, part of its fingerprint. Driver only.
 */
public final class InputListing {
    /** Files up to this size are content-hashed; larger ones are identified by size and mtime. */
    public static final long HASH_LIMIT_BYTES = 16L << 20;

    private InputListing() {}

    /**
     * One input file. {@code sha256} is null for large files, {@code modified} then identifies it.
     */
    public record FileEntry(String path, long bytes, long modified, String sha256) {}

    /** Every file under the given paths or globs, sorted by path; missing paths list nothing. */
    public static List<FileEntry> list(Configuration conf, List<String> paths, boolean hash) {
        Map<String, FileEntry> files = new TreeMap<>();
        for (String p : paths) {
            try {
                Path path = new Path(p);
                FileSystem fs = path.getFileSystem(conf);
                FileStatus[] matched = fs.globStatus(path);
                if (matched == null) {
                    continue;
                }
                for (FileStatus st : matched) {
                    if (st.isDirectory()) {
                        RemoteIterator<LocatedFileStatus> it = fs.listFiles(st.getPath(), true);
                        while (it.hasNext()) {
                            add(fs, it.next(), files, hash);
                        }
                    } else {
                        add(fs, st, files, hash);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list input " + p, e);
            }
        }
        return new ArrayList<>(files.values());
    }

    /** File count and total bytes of a listing, for logs and the manifest. */
    public static Map<String, Object> totals(List<FileEntry> files) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("files", files.size());
        m.put("bytes", files.stream().mapToLong(FileEntry::bytes).sum());
        return m;
    }

    private static void add(
            FileSystem fs, FileStatus st, Map<String, FileEntry> files, boolean hash)
            throws IOException {
        String name = st.getPath().getName();
        if (name.startsWith(".") || name.startsWith("_")) {
            return; // checksums, markers and temporary files are not data
        }
        String sha = null;
        if (hash && st.getLen() <= HASH_LIMIT_BYTES) {
            sha = sha256(fs, st.getPath());
        }
        files.put(
                st.getPath().toString(),
                new FileEntry(st.getPath().toString(), st.getLen(), st.getModificationTime(), sha));
    }

    private static String sha256(FileSystem fs, Path p) throws IOException {
        try (InputStream in = fs.open(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
