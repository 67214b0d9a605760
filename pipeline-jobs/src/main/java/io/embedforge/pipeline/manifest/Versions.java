package io.embedforge.pipeline.manifest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Versions of the code and the libraries that produced an output, for provenance. */
public final class Versions {
    private Versions() {}

    public static Map<String, String> all() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("embedforge", embedforge());
        v.put("git_commit", gitCommit());
        v.put("java", System.getProperty("java.version"));
        v.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
        v.put("djl", safe(() -> ai.djl.engine.Engine.getDjlVersion()));
        v.put("lucene", org.apache.lucene.util.Version.LATEST.toString());
        return v;
    }

    /** The version in our jar's manifest; "unpackaged" when running from compiled classes. */
    public static String embedforge() {
        String version = Versions.class.getPackage().getImplementationVersion();
        return version == null ? "unpackaged" : version;
    }

    /** The commit of the checkout the launcher runs from, or "unknown" outside a git checkout. */
    static String gitCommit() {
        String home = System.getenv().getOrDefault("EMBEDFORGE_HOME", ".");
        try {
            Process p =
                    new ProcessBuilder("git", "rev-parse", "HEAD")
                            .directory(Path.of(home).toFile())
                            .redirectErrorStream(true)
                            .start();
            try (InputStream in = p.getInputStream()) {
                String out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
                if (p.waitFor(5, TimeUnit.SECONDS)
                        && p.exitValue() == 0
                        && out.matches("[0-9a-f]{40}")) {
                    return out;
                }
            }
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "unknown";
    }

    private interface Getter {
        String get() throws Exception;
    }

    private static String safe(Getter g) {
        try {
            return g.get();
        } catch (Exception | LinkageError e) {
            return "unknown";
        }
    }
}
