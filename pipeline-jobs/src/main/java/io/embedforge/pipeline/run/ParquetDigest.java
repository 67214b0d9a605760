package io.embedforge.pipeline.run;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.PageEncodingStats;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.Util;

/**
 * The content hash of a Parquet file that equal rows give whatever JVM wrote them. parquet-mr
 * (1.17) lists each column chunk's encodings in the footer by iterating a {@code HashSet} of enum
 * values, whose order follows identity hash codes and so changes from one JVM to the next: the same
 * rows give other file bytes. The hash is therefore taken over the bytes before the footer (pages
 * and page indexes, the same for the same rows in the same order; on HDFS the datanodes' checksum
 * of that range, so no read) and over the footer with every encodings and encoding-stats list
 * sorted, everything else in it (schema, row counts, offsets, statistics, key-value metadata) kept.
 * Reads the footer only (the whole file on a local file system). Driver only.
 */
final class ParquetDigest {
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);
    private static final int TAIL = 8; // footer length (int, little endian) + magic

    private ParquetDigest() {}

    /**
     * {@code parquet:<hex>} for the file {@code st}, or null when it does not end like a Parquet
     * file with a plain footer (an encrypted footer, a truncated file): such a file is hashed as
     * bytes.
     */
    static String of(FileSystem fs, FileStatus st) throws IOException {
        long len = st.getLen();
        if (len < MAGIC.length + TAIL) {
            return null;
        }
        byte[] footer;
        try (FSDataInputStream in = fs.open(st.getPath())) {
            byte[] tail = new byte[TAIL];
            in.readFully(len - TAIL, tail);
            int footerLength = ByteBuffer.wrap(tail).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (!Arrays.equals(tail, 4, TAIL, MAGIC, 0, MAGIC.length)
                    || footerLength <= 0
                    || footerLength > len - MAGIC.length - TAIL) {
                return null;
            }
            footer = new byte[footerLength];
            in.readFully(len - TAIL - footerLength, footer);
        }
        long footerStart = len - TAIL - footer.length;
        String pages = ContentHash.prefix(fs, st.getPath(), footerStart, len);
        byte[] canonical;
        try {
            canonical = canonical(footer);
        } catch (IOException e) {
            throw new IOException("cannot read the Parquet footer of " + st.getPath(), e);
        }
        return "parquet:" + StageRunner.hash(List.of(pages, ContentHash.sha256(canonical)));
    }

    /** The footer {@code footer} re-serialized with its encodings lists sorted. */
    private static byte[] canonical(byte[] footer) throws IOException {
        FileMetaData meta = Util.readFileMetaData(new ByteArrayInputStream(footer));
        for (RowGroup group : meta.getRow_groups()) {
            for (ColumnChunk chunk : group.getColumns()) {
                if (chunk.isSetMeta_data()) {
                    sortEncodings(chunk.getMeta_data());
                }
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(footer.length);
        Util.writeFileMetaData(meta, out);
        return out.toByteArray();
    }

    private static void sortEncodings(ColumnMetaData column) {
        if (column.isSetEncodings()) {
            column.getEncodings().sort(Comparator.comparingInt(Encoding::getValue));
        }
        if (column.isSetEncoding_stats()) {
            column.getEncoding_stats()
                    .sort(
                            Comparator.comparingInt(
                                            (PageEncodingStats s) -> s.getPage_type().getValue())
                                    .thenComparingInt(s -> s.getEncoding().getValue()));
        }
    }
}
