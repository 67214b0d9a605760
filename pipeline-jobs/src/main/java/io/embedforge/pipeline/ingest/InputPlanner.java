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
    private static final org.slf4j.Logger LOG =
            org.slf4j.LoggerFactory.getLogger(InputPlanner.class);

    /** Files and units of one input. */
    public record Plan(List<InputFileInfo> files, List<FileUnit> units) {}

    private InputPlanner() {}

    public static Plan plan(
            SourceConfig source, InputSpec input, Configuration conf, long splitSizeBytes) {
        TreeMap<String, FileStatus> files = new TreeMap<>();
        java.util.Map<String, Path> listed = new java.util.HashMap<>();
        for (String glob : input.allPaths()) {
            List<FileStatus> matched = glob(glob, conf, listed);
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
        if (input.format() == InputFormat.CSV && input.options().bool("header", true)) {
            checkHeader(source, input, infos.get(0).path(), conf);
        }
        return new Plan(infos, units);
    }

    /**
     * Fails the run when a header lacks a column the field mapping names: every record of the file
     * would be unusable, which is a configuration error, not a million rejects.
     */
    private static void checkHeader(
            SourceConfig source, InputSpec input, String file, Configuration conf) {
        List<String> header = ColumnLayout.header(input, file, conf);
        List<String> missing = new ColumnLayout(input, header).missingColumns();
        if (!missing.isEmpty()) {
            throw new ConfigException(
                    "source '"
                            + source.name()
                            + "' ("
                            + source.file()
                            + "): input '"
                            + input.role()
                            + "': the header of "
                            + file
                            + " is "
                            + header
                            + " (delimiter '"
                            + input.options().string("delimiter", ",")
                            + "'), it has no column "
                            + missing
                            + " named under fields");
        }
    }

    private static List<FileStatus> glob(
            String glob, Configuration conf, java.util.Map<String, Path> listed) {
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
                    listFiles(fs, st.getPath(), listed, out);
                } else if (!hidden(st.getPath())) {
                    out.add(st);
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list '" + glob + "'", e);
        }
    }

    /**
     * The files under {@code dir}, recursively. {@code listed} maps the real path of every folder
     * listed so far to the path it was listed by: a folder reached again (a symbolic link to an
     * enclosing folder, which is a cycle, or a second link to one folder) is skipped with a
     * warning, so each file is read once. Followed blindly, a cycle is listed again at every level
     * up to the operating system's link limit (40 on Linux), and its files read each time.
     */
    private static void listFiles(
            FileSystem fs, Path dir, java.util.Map<String, Path> listed, List<FileStatus> out)
            throws IOException {
        String real = realPath(fs, dir);
        Path first = listed.putIfAbsent(real, dir);
        if (first != null) {
            boolean cycle = dir.toString().startsWith(first + "/");
            LOG.warn(
                    "not following {}: it is the folder {} already listed as {} ({}); its files"
                            + " are read once, from there",
                    dir,
                    real,
                    first,
                    cycle ? "a symbolic link cycle" : "two paths to one folder");
            return;
        }
        for (FileStatus st : fs.listStatus(dir)) {
            if (hidden(st.getPath())) {
                continue;
            }
            if (st.isDirectory()) {
                listFiles(fs, st.getPath(), listed, out);
            } else {
                out.add(st);
            }
        }
    }

    /**
     * The folder's path with symbolic links resolved: by the local file system for {@code file:}
     * paths (Hadoop's local file system follows links without resolving them), else by the file
     * system (HDFS resolves its links; object stores have none).
     */
    private static String realPath(FileSystem fs, Path dir) throws IOException {
        java.net.URI uri = fs.makeQualified(dir).toUri();
        if ("file".equals(uri.getScheme())) {
            return java.nio.file.Paths.get(uri).toRealPath().toString();
        }
        return fs.resolvePath(dir).toString();
    }

    private static boolean hidden(Path p) {
        String name = p.getName();
        return name.startsWith(".") || name.startsWith("_");
    }
}
