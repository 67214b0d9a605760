package io.embedforge.pipeline.ingest;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;

/**
 * The lines of one {@link FileUnit}, read as bytes and decoded strictly (see {@link Utf8}). A byte
 * range owns the lines that start inside it, as Hadoop's line reader does, so every line of a split
 * file is read exactly once. Blank lines are skipped: they are not records.
 *
 * <p>Positions are 1-based line numbers when the unit is the whole file, and byte offsets of the
 * line start otherwise (a range does not know how many lines precede it). Runs on executors.
 *
 * <p>It counts the lines it returns ({@link #lines}), the physical records of line formats. When a
 * compressed file cannot be decompressed to its end (cut short, damaged), iteration ends at the
 * last whole line and {@link #truncation} says where and why; the cut line is not returned. A
 * failure of the file system itself is thrown, naming the file and the last line read.
 */
public final class LineIterator implements Iterator<LineIterator.Line>, Closeable {
    /** One non-blank line. */
    public record Line(long position, boolean lineNumbered, String text) {}

    /**
     * Where a compressed file stopped being readable.
     *
     * @param line the 1-based number of the first line that could not be read whole
     * @param partial the decoded bytes of that line before the failure
     * @param detail what failed, for the reject row
     */
    public record Truncation(long line, String partial, String detail) {}

    private final String path;
    private final boolean compressed;
    private final InputStream in;
    private final long end;
    private final boolean lineNumbered;
    private long offset;
    private long lineNumber;
    private long lines;
    private byte[] buffer = new byte[8192];
    private int length;
    private final byte[] chunk = new byte[1 << 16];
    private int chunkPos;
    private int chunkLimit;
    private Line next;
    private boolean done;
    private Truncation truncation;

    public LineIterator(FileUnit unit, Configuration conf) {
        this.path = unit.path();
        try {
            this.lineNumbered = unit.wholeFile();
            this.end = unit.end();
            if (unit.wholeFile()) {
                this.compressed = !InputFiles.splittable(unit.path(), conf);
                this.in = InputFiles.open(unit.path(), conf);
                this.offset = 0;
            } else {
                this.compressed = false;
                this.in = InputFiles.openAt(unit.path(), unit.start(), conf);
                this.offset = unit.start();
                if (unit.start() > 0) {
                    skipPartialLine();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + unit.path(), e);
        }
    }

    /**
     * A range that does not start the file skips its first, partial line: the previous range read
     * it.
     */
    private void skipPartialLine() throws IOException {
        readLine();
    }

    /** Lines returned so far. */
    public long lines() {
        return lines;
    }

    /** Where a compressed file could not be read further, or null (so far) when it could. */
    public Truncation truncation() {
        return truncation;
    }

    @Override
    public boolean hasNext() {
        if (next != null) {
            return true;
        }
        if (done) {
            return false;
        }
        try {
            while (true) {
                if (offset > end) {
                    finish();
                    return false;
                }
                long lineStart = offset;
                if (!readLine()) {
                    finish();
                    return false;
                }
                lineNumber++;
                int from = 0;
                if (lineStart == 0
                        && length >= 3
                        && buffer[0] == (byte) 0xEF
                        && buffer[1] == (byte) 0xBB
                        && buffer[2] == (byte) 0xBF) {
                    from = 3;
                }
                int to = length;
                if (to > from && buffer[to - 1] == '\r') {
                    to--;
                }
                if (isBlank(from, to)) {
                    continue;
                }
                String text = Utf8.decode(buffer, from, to - from);
                next = new Line(lineNumbered ? lineNumber : lineStart, lineNumbered, text);
                lines++;
                return true;
            }
        } catch (IOException e) {
            if (!InputFiles.isDecompressionFailure(e, compressed)) {
                finish();
                throw new UncheckedIOException(
                        "cannot read " + path + " after line " + lineNumber + ": " + e.getMessage(),
                        e);
            }
            truncation =
                    new Truncation(
                            lineNumber + 1,
                            Utf8.decode(buffer, 0, length),
                            "the compressed file ends early or is damaged ("
                                    + InputFiles.describe(e)
                                    + "): line "
                                    + (lineNumber + 1)
                                    + " and everything after it cannot be read");
            finish();
            return false;
        }
    }

    private void finish() {
        done = true;
        close();
    }

    /**
     * Reads one line into buffer[0, length) without its '\n'; false at end of input. On a failure,
     * buffer[0, length) holds the bytes of the line read before it.
     */
    private boolean readLine() throws IOException {
        length = 0;
        boolean any = false;
        while (true) {
            if (chunkPos == chunkLimit) {
                chunkLimit = in.read(chunk, 0, chunk.length);
                chunkPos = 0;
                if (chunkLimit <= 0) {
                    chunkLimit = 0;
                    return any;
                }
            }
            any = true;
            int newline = -1;
            for (int i = chunkPos; i < chunkLimit; i++) {
                if (chunk[i] == '\n') {
                    newline = i;
                    break;
                }
            }
            int stop = newline < 0 ? chunkLimit : newline;
            int n = stop - chunkPos;
            if (length + n > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + n));
            }
            System.arraycopy(chunk, chunkPos, buffer, length, n);
            length += n;
            offset += n;
            chunkPos = stop;
            if (newline >= 0) {
                chunkPos++;
                offset++;
                return true;
            }
        }
    }

    private boolean isBlank(int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = buffer[i];
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    @Override
    public Line next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Line line = next;
        next = null;
        return line;
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException ignored) {
            // Nothing was written; a failed close of an input stream loses nothing.
        }
    }
}
