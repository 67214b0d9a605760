package io.embedforge.train.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Writes tensors as a {@code .safetensors} file that Python's {@code safetensors} package reads:
 * 8-byte little-endian header length, JSON header padded with spaces to a multiple of 8, then the
 * little-endian data in header order. Writes to a temporary file and moves it into place so a crash
 * never leaves a half-written checkpoint. Runs on the training driver.
 */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    /**
     * Writes float32 tensors.
     *
     * @param path destination file
     * @param tensors name to tensor, written in iteration order
     * @param metadata the {@code __metadata__} strings (may be empty)
     * @throws IOException if writing fails
     */
    public static void write(
            Path path, Map<String, HostTensor> tensors, Map<String, String> metadata)
            throws IOException {
        write(path, tensors, metadata, SafetensorsDType.F32);
    }

    /**
     * Writes tensors in float32, float16 or bfloat16 (the latter two rounded to nearest even).
     *
     * @param path destination file
     * @param tensors name to tensor, written in iteration order
     * @param metadata the {@code __metadata__} strings (may be empty)
     * @param dtype F32, F16 or BF16
     * @throws IOException if writing fails
     */
    public static void write(
            Path path,
            Map<String, HostTensor> tensors,
            Map<String, String> metadata,
            SafetensorsDType dtype)
            throws IOException {
        if (dtype != SafetensorsDType.F32
                && dtype != SafetensorsDType.BF16
                && dtype != SafetensorsDType.F16) {
            throw new IllegalArgumentException(
                    "dtype=" + dtype + " is not supported for writing; allowed: F32, F16, BF16");
        }
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", dtype.name());
            ArrayNode shape = entry.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            long len = (long) e.getValue().values().length * dtype.bytes();
            entry.putArray("data_offsets").add(offset).add(offset + len);
            offset += len;
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, path.getFileName().toString(), ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            len.putLong(padded);
            out.write(len.array());
            out.write(json);
            for (int i = json.length; i < padded; i++) {
                out.write(' ');
            }
            for (HostTensor t : tensors.values()) {
                float[] v = t.values();
                ByteBuffer buf =
                        ByteBuffer.allocate(v.length * dtype.bytes())
                                .order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    switch (dtype) {
                        case BF16 -> buf.putShort(FloatConversions.floatToBf16(f));
                        case F16 -> buf.putShort(FloatConversions.floatToF16(f));
                        default -> buf.putFloat(f);
                    }
                }
                out.write(buf.array());
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
