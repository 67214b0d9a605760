package io.embedforge.train.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A Hugging Face checkpoint made of one {@code .safetensors} file or of shards listed by {@code
 * model.safetensors.index.json}. Every shard's header is read and cross-checked against the index
 * when the checkpoint is opened; tensor data is read one tensor at a time on demand, so peak memory
 * while loading is one tensor (plus the model being built), not a shard. Runs on the training
 * driver.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {

    /** File name of the shard index written by {@code transformers}. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    /** File name of a single-file checkpoint written by {@code transformers}. */
    public static final String SINGLE_FILE = "model.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path location;
    private final Map<String, SafetensorsFile> byTensor;
    private final List<SafetensorsFile> files;

    private SafetensorsCheckpoint(
            Path location, Map<String, SafetensorsFile> byTensor, List<SafetensorsFile> files) {
        this.location = location;
        this.byTensor = byTensor;
        this.files = files;
    }

    /**
     * Opens a checkpoint.
     *
     * @param path a {@code .safetensors} file, an index JSON, or a folder holding {@value
     *     #INDEX_FILE} or {@value #SINGLE_FILE} (or exactly one {@code *.safetensors})
     * @return the open checkpoint
     * @throws IOException if a file is missing or invalid; the message names it
     */
    public static SafetensorsCheckpoint open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            if (Files.exists(path.resolve(INDEX_FILE))) {
                return openIndex(path.resolve(INDEX_FILE));
            }
            if (Files.exists(path.resolve(SINGLE_FILE))) {
                return openSingle(path.resolve(SINGLE_FILE));
            }
            List<Path> found;
            try (Stream<Path> s = Files.list(path)) {
                found = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).toList();
            }
            if (found.size() != 1) {
                throw new IOException(
                        "folder "
                                + path
                                + " must hold "
                                + INDEX_FILE
                                + ", "
                                + SINGLE_FILE
                                + " or exactly one *.safetensors file; found "
                                + found.size());
            }
            return openSingle(found.get(0));
        }
        if (!Files.exists(path)) {
            throw new IOException("checkpoint " + path + " does not exist");
        }
        if (path.getFileName().toString().endsWith(".json")) {
            return openIndex(path);
        }
        return openSingle(path);
    }

    private static SafetensorsCheckpoint openSingle(Path file) throws IOException {
        SafetensorsFile f = SafetensorsFile.open(file);
        Map<String, SafetensorsFile> map = new LinkedHashMap<>();
        for (String n : f.names()) {
            map.put(n, f);
        }
        return new SafetensorsCheckpoint(file, Collections.unmodifiableMap(map), List.of(f));
    }

    private static SafetensorsCheckpoint openIndex(Path index) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new IOException(
                    "shard index " + index + " is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new IOException("shard index " + index + " has no weight_map object");
        }
        Path dir = index.toAbsolutePath().getParent();
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
                String tensor = e.getKey();
                String shardName = e.getValue().asText();
                if (shardName.contains("/") || shardName.contains("\\")) {
                    throw new IOException(
                            "shard index "
                                    + index
                                    + ": tensor "
                                    + tensor
                                    + " names shard "
                                    + shardName
                                    + " outside the index's folder");
                }
                SafetensorsFile shard = shards.get(shardName);
                if (shard == null) {
                    Path shardPath = dir.resolve(shardName);
                    if (!Files.exists(shardPath)) {
                        throw new IOException(
                                "shard index "
                                        + index
                                        + ": tensor "
                                        + tensor
                                        + " is in shard "
                                        + shardName
                                        + ", which does not exist");
                    }
                    shard = SafetensorsFile.open(shardPath);
                    opened.add(shard);
                    shards.put(shardName, shard);
                }
                if (!shard.contains(tensor)) {
                    throw new IOException(
                            "shard index "
                                    + index
                                    + " puts tensor "
                                    + tensor
                                    + " in "
                                    + shard.path()
                                    + ", whose header does not hold it");
                }
                byTensor.put(tensor, shard);
            }
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile f : opened) {
                f.close();
            }
            throw e;
        }
        return new SafetensorsCheckpoint(
                index, Collections.unmodifiableMap(byTensor), List.copyOf(opened));
    }

    /** Where the checkpoint was opened from. */
    public Path location() {
        return location;
    }

    /** All tensor names. */
    public Set<String> names() {
        return byTensor.keySet();
    }

    /** Whether the checkpoint holds this tensor. */
    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    /**
     * Header entry of a tensor.
     *
     * @throws IllegalArgumentException naming the checkpoint and tensor if it is absent
     */
    public TensorInfo info(String name) {
        return fileOf(name).info(name);
    }

    private SafetensorsFile fileOf(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new IllegalArgumentException(
                    "checkpoint " + location + " is missing tensor " + name);
        }
        return f;
    }

    /**
     * Loads a tensor after checking its shape.
     *
     * @param manager owner of the array
     * @param name tensor name
     * @param expectedShape the shape the model needs
     * @param target float32 or float16
     * @return the array
     * @throws IOException if reading fails
     * @throws IllegalArgumentException if the tensor is missing or mis-shaped (names file and
     *     tensor)
     */
    public NDArray load(NDManager manager, String name, long[] expectedShape, DataType target)
            throws IOException {
        SafetensorsFile f = fileOf(name);
        TensorInfo t = f.info(name);
        if (!Arrays.equals(t.shape(), expectedShape)) {
            throw new IllegalArgumentException(
                    "tensor "
                            + name
                            + " in "
                            + f.path()
                            + " has shape "
                            + Arrays.toString(t.shape())
                            + " but the model expects "
                            + Arrays.toString(expectedShape));
        }
        return f.toNDArray(manager, name, target);
    }

    /** Reads a tensor into the heap as float32 (small tensors only). */
    public float[] readFloats(String name) throws IOException {
        return fileOf(name).readFloats(name);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
