package io.embedforge.pipeline;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Command lines of child JVMs that run a class of the test class path with this JVM's module
 * openings (which Spark needs on Java 17): for tests and benchmarks that need a JVM of their own,
 * such as a SparkContext on a cluster master or a memory high-water mark of one run.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** The entries of the test class path (surefire's when run by Maven). */
    public static List<String> classPath() {
        return Stream.of(
                        System.getProperty(
                                        "surefire.test.class.path",
                                        System.getProperty("java.class.path"))
                                .split(File.pathSeparator))
                .filter(s -> !s.isBlank())
                .collect(Collectors.toList());
    }

    /**
     * {@code java <openings> <jvmOptions> -cp <classPath> <mainClass>}; the caller appends the
     * program arguments.
     */
    public static List<String> command(
            List<String> jvmOptions, List<String> classPath, String mainClass) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("-XX:+IgnoreUnrecognized")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, classPath));
        cmd.add(mainClass);
        return cmd;
    }
}
