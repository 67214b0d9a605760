package io.embedforge.pipeline.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.InputFormat;
import io.embedforge.pipeline.config.InputSpec;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.config.SourceConfig;
import io.embedforge.pipeline.schema.RejectsTable;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of every reader over corrupted copies of {@code test-data/}: every text input of
 * {@code conf/local.yaml} (JSON Lines plain and gzipped, JSON documents, quoted CSV/TSV with
 * multi-line fields, unquoted TSV and TREC files, one-file-per-record folders) gets each kind of
 * damage planted into one of its records: bad bytes, a NUL, a stray quote, the record doubled on
 * its line, a line cut short, a line grown by megabytes, and for {@code .gz} files the compressed
 * bytes cut off. Each copy is read and validated as ingest does (without Spark), and for every
 * planted record of the clean file the test asserts: written or rejected with a location, never
 * both, never neither; the other records of the file come out exactly as from the clean file; and
 * the readers' tally of physical records equals the records they emitted. Splittable copies are
 * also read in random byte ranges, which must give the same records. Parquet, which Spark decodes,
 * must fail naming the damaged file.
 *
 * <p>Seed: {@code -Dfuzz.seed=N} (default 18); rounds per file and kind: {@code -Dfuzz.rounds=N}
 * (default 2). A failure message names seed, file and damage, so it can be replayed.
 */
class ReadersFuzzTest extends SparkTestBase {
    private static final long SEED = Long.getLong("fuzz.seed", 18);
    private static final int ROUNDS = Integer.getInteger("fuzz.rounds", 2);
    private static final Configuration CONF = new Configuration();

    @TempDir Path tmp;

    /** The damage planted into one record's first line (or into a gzip file's bytes). */
    enum Damage {
        BAD_BYTES,
        NUL,
        STRAY_QUOTE,
        DOUBLED,
        CUT_LINE,
        HUGE_LINE,
        TRUNCATED_GZIP
    }

    /** One record as read and validated: where, its raw text, and "ok" or its reject reason. */
    record Read(ExtractedRecord record, String verdict) {
        long position() {
            return record.position();
        }

        /** The lines it spans: its raw text's line breaks after its first line. */
        long lastLine() {
            return position() + record.raw().chars().filter(c -> c == '\n').count();
        }

        String key() {
            return record.raw() + " => " + verdict;
        }
    }

    /** The records of one file unit and the physical records its reader tallied. */
    record Result(List<Read> records, long tallied) {}

    @Test
    void everyPlantedRecordIsWrittenOrRejectedOnceWhateverTheDamage() throws IOException {
        PipelineConfig config =
                ConfigLoader.load(
                        repoRoot().resolve("conf/local.yaml"), ConfigLoader.Overrides.none());
        Path data = repoRoot().resolve("test-data");
        Random random = new Random(SEED);
        Map<String, Integer> checked = new TreeMap<>();
        long started = System.nanoTime();
        for (SourceConfig source : config.sources()) {
            RecordValidator validator = new RecordValidator(source);
            for (InputSpec input : source.inputs()) {
                if (input.format() == InputFormat.PARQUET) {
                    continue;
                }
                for (InputFileInfo f :
                        InputPlanner.plan(source, input, CONF, Long.MAX_VALUE).files()) {
                    Path original = Path.of(java.net.URI.create(f.path()));
                    String relative = data.relativize(original).toString();
                    Result clean = read(input, validator, original);
                    assertEquals(clean.records().size(), clean.tallied(), relative);
                    for (Damage damage : Damage.values()) {
                        for (int round = 0; round < ROUNDS; round++) {
                            String where =
                                    String.format(
                                            Locale.ROOT,
                                            "seed %d, %s, %s round %d",
                                            SEED,
                                            relative,
                                            damage,
                                            round);
                            if (fuzzOnce(
                                    input,
                                    validator,
                                    original,
                                    relative,
                                    clean,
                                    damage,
                                    new Random(random.nextLong()),
                                    where)) {
                                checked.merge(input.format().configName(), 1, Integer::sum);
                            }
                        }
                    }
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "readers fuzz: %s damaged copies checked in %.1f s%n",
                checked,
                (System.nanoTime() - started) / 1e9);
        for (String format : List.of("jsonl", "json", "csv", "files")) {
            assertTrue(checked.getOrDefault(format, 0) > 0, format + " was not fuzzed: " + checked);
        }
    }

    private static boolean hasQuoteError(Result clean) {
        return clean.records().stream()
                .anyMatch(
                        r ->
                                r.record().malformed() != null
                                        && r.record().malformed().startsWith("CSV does not parse"));
    }

    /** Plants one damage into a copy and checks it; false when the damage does not apply. */
    private boolean fuzzOnce(
            InputSpec input,
            RecordValidator validator,
            Path original,
            String relative,
            Result clean,
            Damage damage,
            Random random,
            String where)
            throws IOException {
        boolean gz = relative.endsWith(".gz");
        if (damage == Damage.TRUNCATED_GZIP && !gz
                || damage == Damage.STRAY_QUOTE && hasQuoteError(clean)
                || clean.records().stream().anyMatch(r -> r.verdict().equals("truncated_input"))) {
            // One stray quote costs one record. A file with an unbalanced quote already is
            // skipped: a second quote can close the first one's field, which is then a valid RFC
            // 4180 field of several lines: the file's content, not a reader's error. A file cut
            // short already has nothing more to cut.
            return false;
        }
        byte[] stored = Files.readAllBytes(original);
        byte[] text = gz ? gunzip(stored) : stored;
        Path copy = tmp.resolve("r" + random.nextInt(1 << 30)).resolve(relative);
        Files.createDirectories(copy.getParent());
        if (damage == Damage.TRUNCATED_GZIP) {
            int keep = random.nextInt(stored.length);
            Files.write(copy, Arrays.copyOf(stored, keep));
            checkTruncated(read(input, validator, copy), clean, readable(stored, keep), where);
            return true;
        }
        boolean wholeFile = clean.records().stream().allMatch(r -> r.position() < 0);
        boolean oneDocument = input.format() == InputFormat.JSON;
        Read target = clean.records().get(random.nextInt(clean.records().size()));
        long line = wholeFile || oneDocument ? 1 : target.position();
        byte[] damaged = plant(text, line, wholeFile || oneDocument, damage, random);
        Files.write(copy, gz ? gzip(damaged) : damaged);
        Result got = read(input, validator, copy);
        where += ", record at line " + line;
        assertEquals(got.records().size(), got.tallied(), where + ": tally vs records emitted");
        if (wholeFile || oneDocument) {
            checkWholeFile(got, clean, where);
        } else {
            checkLines(got, clean, target, where);
            if (!gz) {
                checkRanges(input, validator, copy, got, random, where);
            }
        }
        return true;
    }

    /**
     * Line formats: every clean record but the damaged one comes out unchanged at its line; the
     * damaged one has exactly one outcome at its first line; anything else is a fragment inside the
     * damaged record's own lines.
     */
    private static void checkLines(Result got, Result clean, Read target, String where) {
        Map<Long, List<Read>> byLine = new HashMap<>();
        for (Read r : got.records()) {
            assertTrue(r.position() >= 1, where + ": no line for " + r);
            byLine.computeIfAbsent(r.position(), k -> new ArrayList<>()).add(r);
        }
        for (Read planted : clean.records()) {
            List<Read> at = byLine.getOrDefault(planted.position(), List.of());
            assertEquals(
                    1,
                    at.size(),
                    where + ": record of line " + planted.position() + " came out as " + at);
            if (planted != target) {
                assertEquals(planted.key(), at.get(0).key(), where + ": an undamaged record");
            }
        }
        for (Read r : got.records()) {
            boolean planted = clean.records().stream().anyMatch(p -> p.position() == r.position());
            boolean fragment =
                    r.position() > target.position() && r.position() <= target.lastLine();
            assertTrue(planted || fragment, where + ": a record from nowhere: " + r);
        }
    }

    /** A gzip file cut short: the whole lines before the cut unchanged, then one reject. */
    private static void checkTruncated(Result got, Result clean, byte[] readable, String where) {
        assertEquals(got.records().size(), got.tallied(), where + ": tally vs records emitted");
        long newlines = 0;
        for (byte b : readable) {
            newlines += b == '\n' ? 1 : 0;
        }
        long cutLine = newlines + 1;
        List<Read> records = got.records();
        Read last = records.get(records.size() - 1);
        assertEquals("truncated_input", last.verdict(), where + ": " + last);
        assertEquals(cutLine, last.position(), where + ": the first line not read whole");
        assertTrue(last.record().failure().detail().contains("line " + cutLine), where);
        for (Read planted : clean.records()) {
            if (planted.position() < cutLine) {
                List<Read> at =
                        records.stream().filter(r -> r.position() == planted.position()).toList();
                assertEquals(1, at.size(), where + ": line " + planted.position());
                assertEquals(planted.key(), at.get(0).key(), where);
            }
        }
        assertEquals(
                clean.records().stream().filter(p -> p.position() < cutLine).count() + 1,
                records.size(),
                where + ": records after the cut");
    }

    /**
     * A JSON document or a one-record file: either one reject for the whole file, or its records
     * where the clean file had them (the damage may change several, when it hit a part they share,
     * such as a SQuAD paragraph's context).
     */
    private static void checkWholeFile(Result got, Result clean, String where) {
        List<Read> records = got.records();
        assertTrue(!records.isEmpty(), where + ": the file came out as nothing");
        if (records.size() == 1 && !records.get(0).verdict().equals("ok")) {
            return;
        }
        assertEquals(clean.records().size(), records.size(), where + ": " + records);
        for (int i = 0; i < records.size(); i++) {
            assertEquals(clean.records().get(i).position(), records.get(i).position(), where);
        }
    }

    /** Byte ranges of a damaged copy give the same records, and their tallies add up. */
    private static void checkRanges(
            InputSpec input,
            RecordValidator validator,
            Path copy,
            Result whole,
            Random random,
            String where)
            throws IOException {
        if (input.format() != InputFormat.JSONL
                && !"none".equals(input.options().string("quote", "\""))) {
            return;
        }
        long size = Files.size(copy);
        // Small ranges test many boundaries; a megabyte line is skipped by every range inside it.
        long split =
                size < 1 << 16
                        ? 1 + random.nextInt((int) size)
                        : size / 8 + random.nextInt((int) (size / 8));
        List<String> ranged = new ArrayList<>();
        long tallied = 0;
        for (long start = 0; start < size; start += split) {
            Result part =
                    read(
                            input,
                            validator,
                            new FileUnit(
                                    copy.toUri().toString(), start, Math.min(size, start + split)));
            part.records().forEach(r -> ranged.add(r.key()));
            tallied += part.tallied();
        }
        List<String> expected = new ArrayList<>(whole.records().stream().map(Read::key).toList());
        expected.sort(null);
        ranged.sort(null);
        assertEquals(expected, ranged, where + ", byte ranges of " + split);
        assertEquals(ranged.size(), tallied, where + ", tallies of byte ranges of " + split);
    }

    /** The copy with one damage planted into {@code line} (1-based), or anywhere in the file. */
    private static byte[] plant(
            byte[] text, long line, boolean anywhere, Damage damage, Random random) {
        int from = 0;
        for (long l = 1; l < line; l++) {
            from = indexOf(text, (byte) '\n', from) + 1;
        }
        int end = indexOf(text, (byte) '\n', from);
        end = end < 0 ? text.length : end;
        if (anywhere) {
            from = 0;
            end = text.length;
        }
        int at = from + random.nextInt(Math.max(1, end - from));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (damage) {
            case BAD_BYTES -> {
                out.write(text, 0, at);
                byte[][] bad = {
                    {(byte) 0xFF},
                    {(byte) 0xC3},
                    {(byte) 0x80, (byte) 0x80},
                    {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                    {(byte) 0xF8}
                };
                byte[] b = bad[random.nextInt(bad.length)];
                out.write(b, 0, b.length);
                int skip = Math.min(end, at + random.nextInt(3));
                out.write(text, skip, text.length - skip);
            }
            case NUL -> insert(out, text, at, new byte[] {0});
            case STRAY_QUOTE -> insert(out, text, at, new byte[] {'"'});
            case DOUBLED -> {
                out.write(text, 0, end);
                out.write(text, from, end - from);
                out.write(text, end, text.length - end);
            }
            case CUT_LINE -> {
                // Keep the line non-blank, or the record would not exist any more.
                int firstChar = from;
                while (firstChar < end && (text[firstChar] == ' ' || text[firstChar] == '\t')) {
                    firstChar++;
                }
                int cut = Math.max(firstChar + 1, at);
                out.write(text, 0, Math.min(cut, end));
                boolean dropNewline = end == text.length - 1 && random.nextBoolean();
                int resume = dropNewline ? text.length : end;
                out.write(text, resume, text.length - resume);
            }
            case HUGE_LINE -> {
                byte[] huge = new byte[(1 << 20) + random.nextInt(1 << 20)];
                Arrays.fill(huge, (byte) 'x');
                insert(out, text, at, huge);
            }
            default -> throw new IllegalArgumentException(damage.name());
        }
        return out.toByteArray();
    }

    private static void insert(ByteArrayOutputStream out, byte[] text, int at, byte[] what) {
        out.write(text, 0, at);
        out.write(what, 0, what.length);
        out.write(text, at, text.length - at);
    }

    private static int indexOf(byte[] text, byte b, int from) {
        for (int i = from; i < text.length; i++) {
            if (text[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static Result read(InputSpec input, RecordValidator validator, Path file) {
        return read(input, validator, new FileUnit(file.toUri().toString(), 0, Long.MAX_VALUE));
    }

    /** Reads one unit and validates each record as ingest does. */
    private static Result read(InputSpec input, RecordValidator validator, FileUnit unit) {
        List<Read> records = new ArrayList<>();
        long[] tallied = {0};
        RecordReaders.read(input, unit, CONF)
                .forEachRemaining(
                        r -> {
                            if (r.tally()) {
                                tallied[0] += r.read();
                                return;
                            }
                            Outcome first = validator.validate(r).get(0);
                            String verdict =
                                    first.ok()
                                            ? "ok"
                                            : first.reject()
                                                    .getString(
                                                            IngestSchemas.REJECTS.fieldIndex(
                                                                    RejectsTable.REASON));
                            records.add(new Read(r, verdict));
                        });
        return new Result(records, tallied[0]);
    }

    /** What a complete reader decompresses from the first {@code keep} bytes of a gzip file. */
    private static byte[] readable(byte[] gz, int keep) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in =
                new GZIPInputStream(new java.io.ByteArrayInputStream(gz, 0, keep), 1)) {
            int b;
            while ((b = in.read()) >= 0) {
                out.write(b);
            }
        } catch (IOException expected) {
            // The cut: what was decompressed before it is the answer.
        }
        return out.toByteArray();
    }

    private static byte[] gunzip(byte[] gz) throws IOException {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    /** Parquet is decoded by Spark: a damaged file fails the read, naming the file. */
    @Test
    void aDamagedParquetFileFailsNamingIt() throws IOException {
        Path original =
                repoRoot().resolve("test-data/amazon_reviews/en/train-00000-of-00001.parquet");
        byte[] bytes = Files.readAllBytes(original);
        Random random = new Random(SEED);
        for (int round = 0; round < 2; round++) {
            Path copy = tmp.resolve("p" + round).resolve("damaged.parquet");
            Files.createDirectories(copy.getParent());
            byte[] damaged =
                    round == 0
                            ? Arrays.copyOf(bytes, 4 + random.nextInt(bytes.length - 8))
                            : bytes.clone();
            if (round == 1) {
                for (int i = 4; i < damaged.length - 8; i += 7) {
                    damaged[i] = (byte) random.nextInt(256);
                }
            }
            Files.write(copy, damaged);
            try {
                long rows = spark().read().parquet(copy.toString()).count();
                fail("a damaged Parquet file was read as " + rows + " rows");
            } catch (Exception e) {
                StringBuilder messages = new StringBuilder();
                for (Throwable t = e; t != null; t = t.getCause()) {
                    messages.append(t.getMessage()).append('\n');
                }
                assertTrue(
                        messages.toString().contains("damaged.parquet"),
                        "round " + round + ": " + messages);
            }
        }
    }
}
