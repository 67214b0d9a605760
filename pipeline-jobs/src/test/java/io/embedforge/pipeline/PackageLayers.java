package io.embedforge.pipeline;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;

/**
 * The layers of pipeline-jobs, bottom up, and the check that every package dependency runs down: a
 * package may use its own layer's packages only when the layer allows it ({@code schema} and {@code
 * common} are one layer; the stage packages, and {@code export} which reads the blend's committed
 * output, are one layer whose members never use each other), and any package of a lower layer. The
 * graph comes from the JDK's {@code jdeps} over the compiled classes, so every reference counts
 * (imports, fully qualified names, lambdas, constants are inlined by javac and therefore not seen:
 * those are compile-time copies, not arrows).
 */
final class PackageLayers {
    static final String PREFIX = "io.embedforge.pipeline.";

    /** Bottom up; each entry: the layer's packages, and whether they may use each other. */
    record Layer(Set<String> packages, boolean siblingsMayUseEachOther) {}

    static final List<Layer> LAYERS =
            List.of(
                    new Layer(Set.of("common", "schema"), true),
                    new Layer(Set.of("config"), true),
                    new Layer(Set.of("manifest"), true),
                    new Layer(Set.of("stage"), true),
                    new Layer(
                            Set.of(
                                    "ingest",
                                    "decontam",
                                    "dense",
                                    "bm25",
                                    "labels",
                                    "blend",
                                    "report",
                                    "export"),
                            false),
                    new Layer(Set.of("run"), true),
                    new Layer(Set.of("cli"), true));

    private PackageLayers() {}

    /** Package-to-package edges inside pipeline-jobs from {@code jdeps} over {@code classes}. */
    static Map<String, Set<String>> graph(Path classes) {
        ToolProvider jdeps =
                ToolProvider.findFirst("jdeps")
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "jdeps is not available: run the tests on a JDK"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc =
                jdeps.run(
                        new PrintWriter(out),
                        new PrintWriter(err),
                        "-verbose:package",
                        "-filter:none",
                        "--ignore-missing-deps",
                        classes.toString());
        if (rc != 0) {
            throw new IllegalStateException("jdeps failed (" + rc + "): " + err);
        }
        Pattern edge = Pattern.compile("^\\s+(\\S+)\\s+->\\s+(\\S+)\\s");
        Map<String, Set<String>> graph = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            Matcher m = edge.matcher(line);
            if (m.find() && m.group(1).startsWith(PREFIX) && m.group(2).startsWith(PREFIX)) {
                graph.computeIfAbsent(local(m.group(1)), k -> new TreeSet<>())
                        .add(local(m.group(2)));
            }
        }
        return graph;
    }

    /** Every edge that runs up or sideways, as {@code from -> to (why)}; empty when clean. */
    static List<String> violations(Map<String, Set<String>> graph) {
        List<String> bad = new ArrayList<>();
        graph.forEach(
                (from, tos) -> {
                    int lf = layer(from);
                    for (String to : tos) {
                        if (to.equals(from)) {
                            continue;
                        }
                        int lt = layer(to);
                        if (lf < 0 || lt < 0) {
                            bad.add(from + " -> " + to + " (package in no layer)");
                        } else if (lt > lf) {
                            bad.add(from + " -> " + to + " (runs up)");
                        } else if (lt == lf && !LAYERS.get(lf).siblingsMayUseEachOther()) {
                            bad.add(from + " -> " + to + " (sibling stages)");
                        }
                    }
                });
        return bad;
    }

    private static int layer(String pkg) {
        String top = pkg.contains(".") ? pkg.substring(0, pkg.indexOf('.')) : pkg;
        for (int i = 0; i < LAYERS.size(); i++) {
            if (LAYERS.get(i).packages().contains(top)) {
                return i;
            }
        }
        return -1;
    }

    private static String local(String pkg) {
        return pkg.substring(PREFIX.length());
    }
}
