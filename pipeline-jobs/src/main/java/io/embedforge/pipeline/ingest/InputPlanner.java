package io.embedforge.pipeline.ingest;

import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.config.InputFormat;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.SourceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Expands an input's globs into files and cuts them into {@link FileUnit}s. Runs on the driver and
 * touches only file metadata, never contents: planning a 20 GB input costs a directory listing. A
 * glob that matches nothing makes the input unusable and fails the run with the source, role and
 * glob in the message.
 */
public final class InputPlanner {
    /** Files and units of one input. */
    public record Plan(List<InputFileInfo> files, List<FileUnit> units) {}

    private InputPlanner() {}

    public static Plan plan(
            SourceConfig source, InputSpec input, Configuration conf, long splitSizeBytes) {
        TreeMap<String, FileStatus> files = new TreeMap<>();
        for (String glob : input.allPaths()) {
            List<FileStatus> matched = glob(glob, conf);
            if (matched.isEmpty()) {
                throw new ConfigException(
                        "source '"
                                + source.name()
                                + "' ("
                                + source.file()
                                + "): input '"
                                + input.role()
                                + "': no file matches '"
                                + glob
                                + "'");
            }
            for (FileStatus st : matched) {
                files.put(st.getPath().toString(), st);
            }
        }
        List<InputFileInfo> infos = new ArrayList<>();
        List<FileUnit> units = new ArrayList<>();
        for (FileStatus st : files.values()) {
            String path = st.getPath().toString();
            infos.add(new InputFileInfo(path, st.getLen(), st.getModificationTime()));
            boolean lineSplittable =
                    input.format() == InputFormat.JSONL
                            || (input.format() == InputFormat.CSV
                                    && "none".equals(input.options().string("quote", "\"")));
            if (lineSplittable
                    && st.getLen() > splitSizeBytes
                    && InputFiles.splittable(path, conf)) {
                for (long start = 0; start < st.getLen(); start += splitSizeBytes) {
                    long end = Math.min(start + splitSizeBytes, st.getLen());
                    units.add(new FileUnit(path, start, end));
                }
            } else {
                units.add(new FileUnit(path, 0, Long.MAX_VALUE));
            }
        }
        units.sort(Comparator.comparing(FileUnit::path).thenComparingLong(FileUnit::start));
        return new Plan(infos, units);
    }

    private static List<FileStatus> glob(String glob, Configuration conf) {
        try {
            Path path = new Path(glob);
            FileSystem fs = path.getFileSystem(conf);
            FileStatus[] matched = fs.globStatus(path);
            List<FileStatus> out = new ArrayList<>();
            if (matched == null) {
                return out;
            }
            for (FileStatus st : matched) {
                if (st.isDirectory()) {
                    listFiles(fs, st.getPath(), out);
                } else if (!hidden(st.getPath())) {
                    out.add(st);
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list '" + glob + "'", e);
        }
    }

    private static void listFiles(FileSystem fs, Path dir, List<FileStatus> out)
            throws IOException {
        for (FileStatus st : fs.listStatus(dir)) {
            if (hidden(st.getPath())) {
                continue;
            }
            if (st.isDirectory()) {
                listFiles(fs, st.getPath(), out);
            } else {
                out.add(st);
            }
        }
    }

    private static boolean hidden(Path p) {
        String name = p.getName();
        return name.startsWith(".") || name.startsWith("_");
    }
}
