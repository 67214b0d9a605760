package io.embedforge.pipeline.cli;

import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.filter.RegexFilter;

/**
 * What the CLI prints besides its own lines, made to read well in a file or a scheduler's log as
 * well as in a terminal.
 *
 * <p>Embedded runs ({@code bin/embedforge}) silence the warnings every run prints and no user can
 * act on, each for its own logger only (see {@link #EXPECTED}); every other warning of those
 * libraries still shows. Under {@code spark-submit} (or in a driver it launched) nothing is
 * changed: the cluster's log4j configuration decides. Spark's console progress bar (rewritten in
 * place with {@code \r}) is shown only on an interactive terminal outside spark-submit and Airflow,
 * unless {@code spark.ui.showConsoleProgress} is set explicitly.
 */
public final class ConsoleLogs {
    /**
     * One expected warning: the logger that prints it and, when the logger also prints warnings
     * worth reading, the start of its message (null: every message below ERROR of that logger).
     */
    record Expected(String logger, String message) {}

    /** The warnings every embedded run printed, none actionable on a developer machine. */
    static final List<Expected> EXPECTED =
            List.of(
                    // "Unable to load native-hadoop library": the pure-Java codecs are used.
                    new Expected("org.apache.hadoop.util.NativeCodeLoader", null),
                    // The driver binds to 127.0.0.1 in local mode (SparkSessions), on purpose.
                    new Expected(
                            "org.apache.spark.util.Utils",
                            "(Your hostname, .* resolves to a loopback address|Set SPARK_LOCAL_IP)"),
                    // Plan strings in debug output only; the plans themselves are whole.
                    new Expected(
                            "org.apache.spark.util.SparkStringUtils",
                            "Truncated the string representation of a plan"),
                    // DJL probes CUDA when it picks a default device; the CPU build is intended.
                    new Expected("ai.djl.onnxruntime.engine.OrtEngine", "CUDA is not supported"));

    /** The log4j configuration the filters were added to (a reconfiguration drops them). */
    private static Configuration quieted;

    private ConsoleLogs() {}

    /**
     * Whether this JVM runs under {@code spark-submit}: {@code SparkSubmit} sets the system
     * property {@code SPARK_SUBMIT} in the JVM it launches the driver in (client mode), and every
     * driver it starts elsewhere (cluster mode) gets {@code spark.submit.deployMode} among its
     * system properties.
     */
    public static boolean underSparkSubmit() {
        return System.getProperty("SPARK_SUBMIT") != null
                || System.getProperty("spark.submit.deployMode") != null;
    }

    /**
     * Whether a person watches the console: a terminal on stdin and stdout ({@link
     * System#console()}), outside spark-submit and an Airflow task (whose environment has {@code
     * AIRFLOW_CTX_DAG_ID}).
     */
    public static boolean interactive() {
        return System.console() != null
                && !underSparkSubmit()
                && System.getenv("AIRFLOW_CTX_DAG_ID") == null;
    }

    /**
     * Silences the {@link #EXPECTED} warnings in an embedded run; does nothing under spark-submit
     * or when log4j-core is not the logging backend. Idempotent.
     */
    public static synchronized void quietExpectedWarnings() {
        if (underSparkSubmit()
                || !(LogManager.getContext(false) instanceof LoggerContext context)
                || context.getConfiguration() == quieted) {
            return;
        }
        Configuration config = context.getConfiguration();
        for (Expected e : EXPECTED) {
            LoggerConfig own = config.getLoggerConfig(e.logger());
            if (!own.getName().equals(e.logger())) {
                // Level null: the parent's level applies, as before.
                own = new LoggerConfig(e.logger(), null, true);
                config.addLogger(e.logger(), own);
            }
            if (e.message() == null) {
                own.setLevel(Level.ERROR);
            } else {
                own.addFilter(deny(e.message()));
            }
        }
        context.updateLoggers();
        quieted = config;
    }

    /** Denies the messages that start with {@code message} (a regex); lets the rest through. */
    private static Filter deny(String message) {
        try {
            return RegexFilter.createFilter(
                    "(?s)^" + message + ".*",
                    null,
                    false,
                    Filter.Result.DENY,
                    Filter.Result.NEUTRAL);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot build the log filter for " + message, e);
        }
    }
}
