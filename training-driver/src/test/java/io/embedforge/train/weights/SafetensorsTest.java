package io.embedforge.train.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir Path dir;

    private static Map<String, HostTensor> sample() {
        Map<String, HostTensor> m = new LinkedHashMap<>();
        m.put(
                "a.weight",
                new HostTensor(new long[] {2, 3}, new float[] {1, -2, 3.5f, 0, 0.25f, -7}));
        m.put("b.bias", new HostTensor(new long[] {2}, new float[] {1e-3f, 65504f}));
        return m;
    }

    @Test
    void roundTripFloat32() throws IOException {
        Path f = dir.resolve("x.safetensors");
        SafetensorsWriter.write(f, sample(), Map.of("format", "pt"));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertEquals(java.util.List.of("a.weight", "b.bias"), st.names());
            assertEquals("pt", st.metadata().get("format"));
            assertArrayEquals(new long[] {2, 3}, st.info("a.weight").shape());
            assertArrayEquals(sample().get("a.weight").values(), st.readFloats("a.weight"));
            assertArrayEquals(sample().get("b.bias").values(), st.readFloats("b.bias"));
        }
    }

    @Test
    void headerIsPaddedToEightBytes() throws IOException {
        Path f = dir.resolve("x.safetensors");
        SafetensorsWriter.write(f, sample(), Map.of());
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, b.getLong() % 8);
    }

    @Test
    void bf16IsConvertedBeforeDjlSeesIt() throws IOException {
        Path f = dir.resolve("bf.safetensors");
        SafetensorsWriter.write(f, sample(), Map.of(), SafetensorsDType.BF16);
        try (SafetensorsFile st = SafetensorsFile.open(f);
                NDManager manager = NDManager.newBaseManager()) {
            assertEquals(SafetensorsDType.BF16, st.info("a.weight").dtype());
            // Exactly representable in bf16.
            assertArrayEquals(sample().get("a.weight").values(), st.readFloats("a.weight"));
            NDArray a = st.toNDArray(manager, "a.weight", DataType.FLOAT32);
            assertEquals(DataType.FLOAT32, a.getDataType());
            assertArrayEquals(sample().get("a.weight").values(), a.toFloatArray());
            NDArray h = st.toNDArray(manager, "a.weight", DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, h.getDataType());
            assertArrayEquals(
                    sample().get("a.weight").values(),
                    h.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }

    @Test
    void f16RoundTrip() throws IOException {
        Path f = dir.resolve("h.safetensors");
        SafetensorsWriter.write(f, sample(), Map.of(), SafetensorsDType.F16);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            float[] got = st.readFloats("b.bias");
            assertEquals(1e-3f, got[0], 1e-6f);
            assertEquals(65504f, got[1]);
        }
    }

    @Test
    void halfAndBf16ConversionsAreExact() {
        float[] samples = {0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f, 1e-3f};
        for (float v : samples) {
            float back = FloatConversions.f16ToFloat(FloatConversions.floatToF16(v));
            assertEquals(v, back, Math.abs(v) * 1e-3f, "f16 " + v);
        }
        assertEquals(
                Float.POSITIVE_INFINITY,
                FloatConversions.f16ToFloat(FloatConversions.floatToF16(1e6f)));
        assertTrue(
                Float.isNaN(FloatConversions.f16ToFloat(FloatConversions.floatToF16(Float.NaN))));
        // bf16 round to nearest even: 1 + 2^-8 is a tie between 1 and 1 + 2^-7 and goes to 1.
        assertEquals(1f, FloatConversions.bf16ToFloat(FloatConversions.floatToBf16(1f + 0x1p-8f)));
        assertEquals(
                1f + 0x1p-7f,
                FloatConversions.bf16ToFloat(FloatConversions.floatToBf16(1f + 0x1.8p-8f)));
        // Every bf16 bit pattern that is finite survives f32 and back.
        for (int bits = 0; bits < 0x10000; bits += 7) {
            float v = FloatConversions.bf16ToFloat((short) bits);
            if (!Float.isNaN(v)) {
                assertEquals((short) bits, FloatConversions.floatToBf16(v));
            }
        }
    }

    @Test
    void truncatedFileIsRejectedNamingTensor() throws IOException {
        Path f = dir.resolve("t.safetensors");
        SafetensorsWriter.write(f, sample(), Map.of());
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 4));
        IOException e = assertThrows(IOException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("b.bias"), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void fileShorterThanLengthFieldIsRejected() throws IOException {
        Path f = dir.resolve("tiny.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        IOException e = assertThrows(IOException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void headerLongerThanFileIsRejected() throws IOException {
        Path f = dir.resolve("h.safetensors");
        writeRaw(f, "{}", 1000, 0);
        IOException e = assertThrows(IOException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("header length=1000"), e.getMessage());
    }

    @Test
    void offsetsThatDoNotMatchShapeAreRejected() throws IOException {
        Path f = dir.resolve("lie.safetensors");
        writeRaw(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", -1, 16);
        IOException e = assertThrows(IOException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("tensor w"), e.getMessage());
        assertTrue(e.getMessage().contains("needs 16"), e.getMessage());
    }

    @Test
    void overlappingOffsetsAreRejected() throws IOException {
        Path f = dir.resolve("overlap.safetensors");
        writeRaw(
                f,
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                -1,
                12);
        IOException e = assertThrows(IOException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
        assertTrue(e.getMessage().contains("tensor b"), e.getMessage());
    }

    @Test
    void offsetsPastEndAreRejected() throws IOException {
        Path f = dir.resolve("past.safetensors");
        writeRaw(f, "{\"w\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[8,16]}}", -1, 8);
        IOException e = assertThrows(IOException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("tensor w needs data bytes [8, 16)"), e.getMessage());
    }

    @Test
    void unknownDtypeAndBadJsonAreRejected() throws IOException {
        Path f = dir.resolve("dt.safetensors");
        writeRaw(f, "{\"w\":{\"dtype\":\"F8\",\"shape\":[1],\"data_offsets\":[0,1]}}", -1, 1);
        IOException e = assertThrows(IOException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("tensor w: dtype=F8 is not supported"), e.getMessage());
        Path g = dir.resolve("json.safetensors");
        writeRaw(g, "{not json", -1, 0);
        e = assertThrows(IOException.class, () -> SafetensorsFile.open(g));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void integerTensorCannotBeReadAsWeights() throws IOException {
        Path f = dir.resolve("int.safetensors");
        writeRaw(f, "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", -1, 8);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            IOException e = assertThrows(IOException.class, () -> st.readFloats("ids"));
            assertTrue(e.getMessage().contains("tensor ids has dtype=I64"), e.getMessage());
        }
    }

    @Test
    void shardedCheckpointLoadsAcrossFilesAndChecksShapes() throws IOException {
        Map<String, HostTensor> s = sample();
        SafetensorsWriter.write(
                dir.resolve("model-00001-of-00002.safetensors"),
                Map.of("a.weight", s.get("a.weight")),
                Map.of());
        SafetensorsWriter.write(
                dir.resolve("model-00002-of-00002.safetensors"),
                Map.of("b.bias", s.get("b.bias")),
                Map.of(),
                SafetensorsDType.BF16);
        Files.writeString(
                dir.resolve(SafetensorsCheckpoint.INDEX_FILE),
                "{\"metadata\":{},\"weight_map\":{\"a.weight\":\"model-00001-of-00002.safetensors\","
                        + "\"b.bias\":\"model-00002-of-00002.safetensors\"}}",
                StandardCharsets.UTF_8);
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir);
                NDManager manager = NDManager.newBaseManager()) {
            assertEquals(2, ckpt.names().size());
            NDArray a = ckpt.load(manager, "a.weight", new long[] {2, 3}, DataType.FLOAT32);
            assertArrayEquals(s.get("a.weight").values(), a.toFloatArray());
            IllegalArgumentException shape =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    ckpt.load(
                                            manager,
                                            "a.weight",
                                            new long[] {3, 2},
                                            DataType.FLOAT32));
            assertTrue(shape.getMessage().contains("tensor a.weight in "), shape.getMessage());
            assertTrue(shape.getMessage().contains("model-00001-of-00002"), shape.getMessage());
            assertTrue(shape.getMessage().contains("expects [3, 2]"), shape.getMessage());
            IllegalArgumentException missing =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> ckpt.load(manager, "c", new long[] {1}, DataType.FLOAT32));
            assertTrue(missing.getMessage().contains("missing tensor c"), missing.getMessage());
        }
    }

    @Test
    void indexNamingAMissingShardIsRejected() throws IOException {
        Files.writeString(
                dir.resolve(SafetensorsCheckpoint.INDEX_FILE),
                "{\"weight_map\":{\"a.weight\":\"gone.safetensors\"}}",
                StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> SafetensorsCheckpoint.open(dir));
        assertTrue(
                e.getMessage().contains("tensor a.weight is in shard gone.safetensors"),
                e.getMessage());
    }

    @Test
    void indexNamingATensorAbsentFromItsShardIsRejected() throws IOException {
        SafetensorsWriter.write(dir.resolve("s.safetensors"), sample(), Map.of());
        Files.writeString(
                dir.resolve(SafetensorsCheckpoint.INDEX_FILE),
                "{\"weight_map\":{\"zzz\":\"s.safetensors\"}}",
                StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> SafetensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("puts tensor zzz in"), e.getMessage());
    }

    @Test
    void loadedArraysOwnTheirMemoryAfterTheReadBufferIsCollected() throws IOException {
        Path f = dir.resolve("gc.safetensors");
        float[] values = new float[1 << 16];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f;
        }
        SafetensorsWriter.write(
                f,
                Map.of("big", new HostTensor(new long[] {values.length}, values)),
                Map.of(),
                SafetensorsDType.BF16);
        float[] expected = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            expected[i] = FloatConversions.bf16ToFloat(FloatConversions.floatToBf16(values[i]));
        }
        try (SafetensorsFile st = SafetensorsFile.open(f);
                NDManager manager = NDManager.newBaseManager()) {
            NDArray a = st.toNDArray(manager, "big", DataType.FLOAT32);
            for (int round = 0; round < 5; round++) {
                System.gc();
                // Reuse freed native memory with other data.
                ByteBuffer junk = ByteBuffer.allocateDirect(values.length * 4);
                while (junk.hasRemaining()) {
                    junk.put((byte) 0x7f);
                }
            }
            assertArrayEquals(expected, a.toFloatArray());
        }
    }

    /** Writes a header (with a length field, or a fake one if {@code fakeLen >= 0}) and data. */
    private static void writeRaw(Path f, String header, long fakeLen, int dataBytes)
            throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(fakeLen >= 0 ? fakeLen : h.length);
        b.put(h);
        Files.write(f, b.array());
    }
}
