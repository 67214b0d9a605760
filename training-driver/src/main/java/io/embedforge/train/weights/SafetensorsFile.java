package io.embedforge.train.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A reader for one {@code .safetensors} file, written here rather than taken from DJL because DJL's
 * PyTorch engine aborts the whole JVM (uncatchably) when it meets a bfloat16 tensor, and most LLM
 * checkpoints are bfloat16.
 *
 * <p>The header (an 8-byte little-endian length, then JSON) is parsed and validated when the file
 * is opened: every tensor's offsets must match its dtype and shape, lie inside the file and not
 * overlap another tensor. Tensor data is then memory-mapped one tensor at a time and converted to
 * float32 in a direct buffer <em>before</em> any {@link NDArray} exists, so a 14 GB checkpoint
 * never sits in the Java heap and DJL never sees a bfloat16 value. Runs on the training driver.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Largest header accepted; the format's reference implementation uses the same bound. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** Size of the reused conversion buffer of {@link #toNDArray}. */
    public static final int CHUNK_BYTES = 16 * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private ByteBuffer chunk;

    private SafetensorsFile(
            Path path,
            FileChannel channel,
            long dataStart,
            Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens a file and validates its header.
     *
     * @param path the {@code .safetensors} file
     * @return the open reader; close it to release the file
     * @throws IOException if the file cannot be read or its header is invalid; the message names
     *     the file and, where there is one, the tensor
     */
    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = channel.size();
            if (size < 8) {
                throw new IOException(
                        "safetensors file "
                                + path
                                + " is truncated: "
                                + size
                                + " bytes, fewer than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lenBuf, 0, path);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
                throw new IOException(
                        String.format(
                                Locale.ROOT,
                                "safetensors file %s: header length=%d must be in [2, %d]",
                                path,
                                headerLen,
                                MAX_HEADER_BYTES));
            }
            if (8 + headerLen > size) {
                throw new IOException(
                        String.format(
                                Locale.ROOT,
                                "safetensors file %s is truncated: header length=%d but only %d"
                                        + " bytes follow the length field",
                                path,
                                headerLen,
                                size - 8));
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(channel, headerBuf, 8, path);
            String headerText = new String(headerBuf.array(), StandardCharsets.UTF_8);
            long dataStart = 8 + headerLen;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors =
                    parseHeader(path, headerText, size - dataStart, metadata);
            return new SafetensorsFile(
                    path,
                    channel,
                    dataStart,
                    Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static Map<String, TensorInfo> parseHeader(
            Path path, String text, long dataBytes, Map<String, String> metadata)
            throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IOException(
                    "safetensors file "
                            + path
                            + ": header is not valid JSON: "
                            + e.getOriginalMessage(),
                    e);
        }
        if (root == null || !root.isObject()) {
            throw new IOException("safetensors file " + path + ": header must be a JSON object");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            JsonNode node = e.getValue();
            if ("__metadata__".equals(name)) {
                node.properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            try {
                tensors.put(name, parseEntry(name, node));
            } catch (IllegalArgumentException ex) {
                throw new IOException("safetensors file " + path + ": " + ex.getMessage(), ex);
            }
        }
        List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort(
                Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        TensorInfo previous = null;
        for (TensorInfo t : byOffset) {
            if (t.end() > dataBytes) {
                throw new IOException(
                        String.format(
                                Locale.ROOT,
                                "safetensors file %s is truncated or its header lies: tensor %s"
                                        + " needs data bytes [%d, %d) but the data section has"
                                        + " only %d bytes",
                                path,
                                t.name(),
                                t.begin(),
                                t.end(),
                                dataBytes));
            }
            if (previous != null && t.begin() < previous.end() && t.byteLength() > 0) {
                throw new IOException(
                        String.format(
                                Locale.ROOT,
                                "safetensors file %s: header lies about offsets: tensor %s [%d,"
                                        + " %d) overlaps tensor %s [%d, %d)",
                                path,
                                t.name(),
                                t.begin(),
                                t.end(),
                                previous.name(),
                                previous.begin(),
                                previous.end()));
            }
            if (t.byteLength() > 0) {
                previous = t;
            }
        }
        return tensors;
    }

    private static TensorInfo parseEntry(String name, JsonNode node) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("tensor " + name + ": entry must be a JSON object");
        }
        JsonNode dtype = node.get("dtype");
        JsonNode shape = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (dtype == null || !dtype.isTextual()) {
            throw new IllegalArgumentException("tensor " + name + ": missing string field dtype");
        }
        if (shape == null || !shape.isArray()) {
            throw new IllegalArgumentException("tensor " + name + ": missing array field shape");
        }
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw new IllegalArgumentException(
                    "tensor " + name + ": data_offsets must be an array of 2 integers");
        }
        long[] dims = new long[shape.size()];
        for (int i = 0; i < dims.length; i++) {
            if (!shape.get(i).canConvertToLong()) {
                throw new IllegalArgumentException(
                        "tensor " + name + ": shape=" + shape + " must hold integers");
            }
            dims[i] = shape.get(i).asLong();
        }
        if (!offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
            throw new IllegalArgumentException(
                    "tensor " + name + ": data_offsets=" + offsets + " must hold integers");
        }
        SafetensorsDType type;
        try {
            type = SafetensorsDType.parse(dtype.asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor " + name + ": " + e.getMessage(), e);
        }
        return new TensorInfo(name, type, dims, offsets.get(0).asLong(), offsets.get(1).asLong());
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path path)
            throws IOException {
        long p = pos;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, p);
            if (n < 0) {
                throw new IOException("safetensors file " + path + " is truncated at byte " + p);
            }
            p += n;
        }
    }

    /** The file this reader reads. */
    public Path path() {
        return path;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /** Whether the file holds a tensor of this name. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The {@code __metadata__} map of the header (empty if none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Header entry of one tensor.
     *
     * @throws IllegalArgumentException naming the file and tensor if it is absent
     */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(
                    "safetensors file " + path + " has no tensor named " + name);
        }
        return t;
    }

    /**
     * Reads one floating-point tensor as float32 into a new direct buffer in native byte order,
     * converting bfloat16/float16/float64 on the way. Only this tensor's bytes are mapped.
     *
     * @param name the tensor name
     * @return a direct buffer of {@code numElements * 4} bytes, positioned at 0
     * @throws IOException if the tensor cannot be read or is not floating point
     */
    public ByteBuffer readFloat32(String name) throws IOException {
        TensorInfo t = checkReadable(name);
        long outBytes = Math.multiplyExact(t.numElements(), 4L);
        if (outBytes > Integer.MAX_VALUE || t.byteLength() > Integer.MAX_VALUE) {
            throw new IOException(
                    String.format(
                            Locale.ROOT,
                            "safetensors file %s: tensor %s has %d elements; at most %d fit one"
                                    + " float32 buffer",
                            path,
                            name,
                            t.numElements(),
                            Integer.MAX_VALUE / 4));
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) outBytes).order(ByteOrder.nativeOrder());
        if (t.byteLength() == 0) {
            return out;
        }
        MappedByteBuffer in =
                channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.byteLength());
        in.order(ByteOrder.LITTLE_ENDIAN);
        FloatConversions.toFloat32(t.dtype(), in, out);
        return out.rewind();
    }

    private TensorInfo checkReadable(String name) throws IOException {
        TensorInfo t = info(name);
        if (!t.dtype().isFloatingPoint()) {
            throw new IOException(
                    String.format(
                            Locale.ROOT,
                            "safetensors file %s: tensor %s has dtype=%s; only F64, F32, F16 and"
                                    + " BF16 can be read as float weights",
                            path,
                            name,
                            t.dtype()));
        }
        return t;
    }

    /**
     * Reads one floating-point tensor into a Java array (for small tensors and tests).
     *
     * @param name the tensor name
     * @return the values in row-major order
     * @throws IOException if the tensor cannot be read
     */
    public float[] readFloats(String name) throws IOException {
        ByteBuffer b = readFloat32(name);
        float[] values = new float[b.capacity() / 4];
        b.asFloatBuffer().get(values);
        return values;
    }

    /**
     * Creates an NDArray from a tensor without a full-size host copy: the tensor's mapped bytes are
     * converted to float32 one chunk at a time in a reused {@value #CHUNK_BYTES}-byte direct
     * buffer, and the engine copies (and, for float16, casts) each chunk into an array it owns. No
     * bfloat16 value ever reaches DJL, and transient memory is one chunk, whatever the tensor size.
     *
     * @param manager owner of the new array
     * @param name the tensor name
     * @param target {@link DataType#FLOAT32} or {@link DataType#FLOAT16}
     * @return the new array
     * @throws IOException if the tensor cannot be read
     */
    public synchronized NDArray toNDArray(NDManager manager, String name, DataType target)
            throws IOException {
        if (target != DataType.FLOAT32 && target != DataType.FLOAT16) {
            throw new IllegalArgumentException(
                    "target=" + target + " is not supported; allowed: float32, float16");
        }
        TensorInfo t = checkReadable(name);
        long n = t.numElements();
        NDArray flat = manager.zeros(new Shape(n), target);
        if (n > 0) {
            if (chunk == null) {
                chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.nativeOrder());
            }
            int width = t.dtype().bytes();
            long perChunk = CHUNK_BYTES / 4;
            for (long first = 0; first < n; first += perChunk) {
                int count = (int) Math.min(perChunk, n - first);
                MappedByteBuffer in =
                        channel.map(
                                FileChannel.MapMode.READ_ONLY,
                                dataStart + t.begin() + first * width,
                                (long) count * width);
                in.order(ByteOrder.LITTLE_ENDIAN);
                chunk.clear();
                FloatConversions.toFloat32(t.dtype(), in, chunk);
                ByteBuffer part = chunk.duplicate().order(ByteOrder.nativeOrder());
                part.position(0).limit(count * 4);
                try (NDArray view =
                        manager.create(
                                part.slice().order(ByteOrder.nativeOrder()),
                                new Shape(count),
                                DataType.FLOAT32)) {
                    NDArray cast = view.toType(target, false);
                    flat.set(new NDIndex(first + ":" + (first + count)), cast);
                    if (cast != view) {
                        cast.close();
                    }
                }
            }
        }
        NDArray shaped = flat.reshape(new Shape(t.shape()));
        if (shaped != flat) {
            flat.close();
        }
        return shaped;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile["
                + path
                + ", tensors="
                + Arrays.toString(tensors.keySet().toArray())
                + "]";
    }
}
