package io.embedforge.encoder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One loaded {@link TextEncoder} per configuration per JVM. On a Spark executor every task that
 * encodes asks here, so the model is loaded once (lazily, by the first task) and shared; a JVM
 * shutdown hook closes every encoder when the executor exits. Tasks must not close what they get.
 *
 * <p>Runs on executors (and on the driver in local mode and in the trainer's evaluation).
 */
public final class SharedEncoders {
    private static final Map<EncoderConfig, TextEncoder> ENCODERS = new ConcurrentHashMap<>();
    private static boolean hookInstalled;

    private SharedEncoders() {}

    /** The JVM's encoder for this config, loaded on first use. */
    public static TextEncoder get(EncoderConfig config) {
        TextEncoder existing = ENCODERS.get(config);
        if (existing != null) {
            return existing;
        }
        synchronized (SharedEncoders.class) {
            existing = ENCODERS.get(config);
            if (existing != null) {
                return existing;
            }
            installHook();
            try {
                TextEncoder loaded = TextEncoder.load(config);
                ENCODERS.put(config, loaded);
                return loaded;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static void installHook() {
        if (hookInstalled) {
            return;
        }
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(SharedEncoders::closeAll, "embedforge-encoder-shutdown"));
        hookInstalled = true;
    }

    /** Closes and forgets every encoder (shutdown hook; benchmarks between runs). */
    public static synchronized void closeAll() {
        List<TextEncoder> all = new ArrayList<>(ENCODERS.values());
        ENCODERS.clear();
        for (TextEncoder encoder : all) {
            encoder.close();
        }
    }
}
