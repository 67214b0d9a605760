package io.embedforge.pipeline.run;

import io.embedforge.pipeline.manifest.ManifestWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The content digest of a committed stage output, written into its marker at commit: what the
 * fingerprints of the stages reading it hash, so any change of that output (a {@code --force} run
 * that wrote other rows, a re-run after an input changed) re-runs them, and an identical output
 * does not. It is a SHA-256 over the sorted list of (path below the folder, content hash) of every
 * data file: the stage's {@code manifest.json} (timings) and names starting with {@code _} or
 * {@code .} (markers, {@code _SUCCESS}, checksums) are left out, and the write job's UUID Spark
 * puts in file names ({@code part-00000-<uuid>-c000.snappy.parquet}) is replaced by {@code *}, so
 * equal content gives the same digest whatever run wrote them. A Parquet file is hashed by {@link
 * ContentHash#ofOutput} ({@link ParquetDigest}: its pages plus its footer with the encodings lists
 * sorted), as parquet-mr orders those lists differently in every JVM. Costs one read of the output
 * on the driver (on HDFS only the Parquet footers are read: the rest comes from the datanodes'
 * checksums). Driver only.
 */
public final class OutputDigest {
    private static final Pattern JOB_UUID =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private OutputDigest() {}

    /** The digest of the folder {@code folder} (a committed stage output). */
    public static String of(Configuration conf, String folder) {
        try {
            Path p = new Path(folder);
            FileSystem fs = p.getFileSystem(conf);
            String root = fs.makeQualified(p).toString();
            List<String> parts = new ArrayList<>();
            for (InputListing.FileEntry f : InputListing.list(conf, List.of(folder), false)) {
                String rel =
                        f.path().startsWith(root + "/")
                                ? f.path().substring(root.length() + 1)
                                : f.path();
                if (!rel.equals(ManifestWriter.FILE_NAME)) {
                    String hash = ContentHash.ofOutput(fs, fs.getFileStatus(new Path(f.path())));
                    parts.add(JOB_UUID.matcher(rel).replaceAll("*") + "\t" + hash);
                }
            }
            parts.sort(null);
            return StageRunner.hash(parts);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash the output " + folder, e);
        }
    }
}
