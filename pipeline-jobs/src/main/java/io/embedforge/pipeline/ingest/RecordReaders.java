package io.embedforge.pipeline.ingest;

import io.embedforge.pipeline.config.InputSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * Reads one {@link FileUnit} of an input with the reader its format needs. Runs on executors, one
 * unit per call; streaming formats return lazy iterators so a 128 MB range is never held whole.
 * Every reader ends its records with a {@link ExtractedRecord#tally tally} of the physical records
 * it consumed.
 */
public final class RecordReaders {
    private RecordReaders() {}

    public static Iterator<ExtractedRecord> read(
            InputSpec spec, FileUnit unit, Configuration conf) {
        return switch (spec.format()) {
            case JSONL -> new JsonRecords(spec).lines(new LineIterator(unit, conf), unit.path());
            case JSON -> {
                List<ExtractedRecord> out = new ArrayList<>();
                new JsonRecords(spec).document(wholeFile(unit, conf), unit.path(), out::add);
                yield out.iterator();
            }
            case CSV -> {
                if ("none".equals(spec.options().string("quote", "\""))) {
                    yield new DelimitedRecords(spec).read(unit, conf);
                }
                List<ExtractedRecord> out = new ArrayList<>();
                new CsvRecords(spec).read(wholeFile(unit, conf), unit.path(), out::add);
                yield out.iterator();
            }
            case FILES -> {
                List<ExtractedRecord> out = new ArrayList<>();
                new FileRecords(spec).read(wholeFile(unit, conf), unit.path(), out::add);
                yield out.iterator();
            }
            default ->
                    throw new IllegalArgumentException(
                            "format " + spec.format().configName() + " is not read per file unit");
        };
    }

    private static InputFiles.Content wholeFile(FileUnit unit, Configuration conf) {
        try {
            return InputFiles.readAll(unit.path(), conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + unit.path() + ": " + e.getMessage(), e);
        }
    }

    /** A whole file's text: strict UTF-8 (see {@link Utf8}), without a byte order mark. */
    static String text(byte[] bytes) {
        int from =
                bytes.length >= 3
                                && bytes[0] == (byte) 0xEF
                                && bytes[1] == (byte) 0xBB
                                && bytes[2] == (byte) 0xBF
                        ? 3
                        : 0;
        return Utf8.decode(bytes, from, bytes.length - from);
    }
}
