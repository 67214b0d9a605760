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
 */
public final class LineIterator implements Iterator<LineIterator.Line>, Closeable {
    /** One non-blank line. */
    public record Line(long position, boolean lineNumbered, String text) {}

    private final InputStream in;
    private final long end;
    private final boolean lineNumbered;
    private long offset;
    private long lineNumber;
    private byte[] buffer = new byte[8192];
    private final byte[] chunk = new byte[1 << 16];
    private int chunkPos;
    private int chunkLimit;
    private Line next;
    private boolean done;

    public LineIterator(FileUnit unit, Configuration conf) {
        try {
            this.lineNumbered = unit.wholeFile();
            this.end = unit.end();
            if (unit.wholeFile()) {
                this.in = InputFiles.open(unit.path(), conf);
                this.offset = 0;
            } else {
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
                    done = true;
                    close();
                    return false;
                }
                long lineStart = offset;
                int length = readLine();
                if (length < 0) {
                    done = true;
                    close();
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
                return true;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("read failed", e);
        }
    }

    /** Reads one line into buffer without its '\n'; returns its length, or -1 at end of input. */
    private int readLine() throws IOException {
        int length = 0;
        boolean any = false;
        while (true) {
            if (chunkPos == chunkLimit) {
                chunkLimit = in.read(chunk, 0, chunk.length);
                chunkPos = 0;
                if (chunkLimit <= 0) {
                    chunkLimit = 0;
                    return any ? length : -1;
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
                return length;
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
