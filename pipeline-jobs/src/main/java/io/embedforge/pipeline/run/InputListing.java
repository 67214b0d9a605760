package io.embedforge.pipeline.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
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
 * Lists the files behind input paths or globs (folders recursively) with their sizes and a hash of
 * their content ({@link ContentHash}). The listing is the provenance of a stage's inputs and, by
 * {@link #identities}, part of its fingerprint: content decides, so a byte-identical file with a
 * new modification time changes nothing. Driver only.
 */
public final class InputListing {
    private InputListing() {}

    /**
     * One input file. {@code sha256} is the content hash ({@link ContentHash}; null when the
     * listing was made without hashing); {@code modified} is provenance only, never fingerprinted.
     */
    public record FileEntry(String path, long bytes, long modified, String sha256) {
        /** What identifies the file in a fingerprint: its path, size and content hash. */
        public String identity() {
            return path + "\t" + bytes + "\t" + sha256;
        }
    }

    /** The fingerprint part of a listing: {@link FileEntry#identity()} of each file, in order. */
    public static List<String> identities(List<FileEntry> files) {
        return files.stream().map(FileEntry::identity).toList();
    }

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
        String sha = hash ? ContentHash.of(fs, st) : null;
        files.put(
                st.getPath().toString(),
                new FileEntry(st.getPath().toString(), st.getLen(), st.getModificationTime(), sha));
    }
}
