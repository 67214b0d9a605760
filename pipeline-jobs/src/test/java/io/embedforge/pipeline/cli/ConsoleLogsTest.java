package io.embedforge.pipeline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.SimpleMessage;
import org.junit.jupiter.api.Test;

/**
 * The console of a CLI run: no progress bar without a terminal (unless set explicitly), the
 * expected warnings silenced for their loggers only, nothing changed under spark-submit.
 */
class ConsoleLogsTest {
    private static final String PROGRESS = "spark.ui.showConsoleProgress";

    @Test
    void noProgressBarWithoutATerminalButAnExplicitSettingIsKept() {
        // Surefire's forked JVM has no console, as a run with stdout redirected to a file.
        assertFalse(ConsoleLogs.interactive());
        assertEquals("false", SparkSessions.conf("t", "local[1]").get(PROGRESS));
        System.setProperty(PROGRESS, "true");
        try {
            assertEquals("true", SparkSessions.conf("t", "local[1]").get(PROGRESS));
        } finally {
            System.clearProperty(PROGRESS);
        }
    }

    @Test
    void sparkSubmitIsDetectedInClientAndClusterMode() {
        assertFalse(ConsoleLogs.underSparkSubmit());
        for (String property : new String[] {"SPARK_SUBMIT", "spark.submit.deployMode"}) {
            System.setProperty(property, "cluster");
            try {
                assertTrue(ConsoleLogs.underSparkSubmit(), property);
                assertFalse(ConsoleLogs.interactive(), property);
            } finally {
                System.clearProperty(property);
            }
        }
    }

    @Test
    void onlyTheExpectedWarningsAreSilenced() {
        ConsoleLogs.quietExpectedWarnings();
        ConsoleLogs.quietExpectedWarnings();
        String utils = "org.apache.spark.util.Utils";
        assertTrue(
                filtered(
                        utils,
                        "Your hostname, box, resolves to a loopback address: 127.0.1.1; using"
                                + " 10.0.0.2 instead (on interface eth0)"));
        assertTrue(filtered(utils, "Set SPARK_LOCAL_IP if you need to bind to another address"));
        assertFalse(filtered(utils, "Service 'sparkDriver' could not bind on port 7077."));
        assertTrue(
                filtered(
                        "ai.djl.onnxruntime.engine.OrtEngine",
                        "CUDA is not supported OnnxRuntime engine: no CUDA provider"));
        assertFalse(filtered("ai.djl.onnxruntime.engine.OrtEngine", "cannot load the library"));
        assertTrue(
                filtered(
                        "org.apache.spark.util.SparkStringUtils",
                        "Truncated the string representation of a plan since it was too large."));
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        LoggerConfig nativeCode =
                context.getConfiguration()
                        .getLoggerConfig("org.apache.hadoop.util.NativeCodeLoader");
        assertEquals("org.apache.hadoop.util.NativeCodeLoader", nativeCode.getName());
        assertEquals(Level.ERROR, nativeCode.getLevel());
        // Other loggers keep the configured levels.
        assertEquals(
                context.getConfiguration().getRootLogger().getLevel(),
                context.getConfiguration().getLoggerConfig("org.apache.hadoop.fs").getLevel());
    }

    /** Whether the logger's configuration drops a WARN event with {@code message}. */
    private static boolean filtered(String logger, String message) {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        LoggerConfig config = context.getConfiguration().getLoggerConfig(logger);
        assertEquals(logger, config.getName());
        return config.isFiltered(
                Log4jLogEvent.newBuilder()
                        .setLoggerName(logger)
                        .setLevel(Level.WARN)
                        .setMessage(new SimpleMessage(message))
                        .build());
    }
}
