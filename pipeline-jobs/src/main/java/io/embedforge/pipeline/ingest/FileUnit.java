package io.embedforge.pipeline.ingest;

import java.io.Serializable;

/**
 * A piece of one input file that one task reads: the whole file, or a byte range of a splittable
 * line file. Planned on the driver from file metadata only; read on executors.
 *
 * @param path file URI
 * @param start first byte of the range
 * @param end byte after the range ({@code Long.MAX_VALUE} for "to the end")
 */
public record FileUnit(String path, long start, long end) implements Serializable {
    public boolean wholeFile() {
        return start == 0 && end == Long.MAX_VALUE;
    }
}
