package io.embedforge.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code eval --variants}: the base model raw (causal, mean) and bidirectional with mean. */
class EvalVariantsTest {

    @TempDir Path dir;

    @Test
    void variantsAreColumnsWithTheirMaskAndPooling() throws IOException {
        Path out = dir.resolve("out");
        int code =
                new CommandLine(new EvalCommand())
                        .execute(
                                "--config", EvalCommandTest.TRAIN_TINY.toString(),
                                "--eval", EvalCommandTest.DEMO.toString(),
                                "--out", out.toString(),
                                "--models", "untrained",
                                "--variants", "causal-mean,bidirectional-mean");
        assertEquals(0, code);
        JsonNode results =
                new ObjectMapper()
                        .readTree(out.resolve(EvalCommand.EVAL_JSON).toFile())
                        .get("results");
        List<String> models = new ArrayList<>();
        results.fieldNames().forEachRemaining(models::add);
        assertEquals(List.of("untrained/causal-mean", "untrained/bidirectional-mean"), models);
        JsonNode causal = results.get("untrained/causal-mean");
        JsonNode bidi = results.get("untrained/bidirectional-mean");
        assertEquals("causal", causal.get("mask").asText());
        assertEquals("mean", causal.get("pooling").asText());
        assertEquals("bidirectional", bidi.get("mask").asText());
        double rc = causal.get("sets").get("stsbenchmark-test").get("spearman").asDouble();
        double rb = bidi.get("sets").get("stsbenchmark-test").get("spearman").asDouble();
        assertNotEquals(rc, rb, 1e-9);
    }

    @Test
    void aBadVariantIsRejectedBeforeAnythingIsWritten() {
        Path out = dir.resolve("bad");
        StringWriter err = new StringWriter();
        CommandLine cli = CliStyle.apply(new CommandLine(new EvalCommand()));
        cli.setErr(new PrintWriter(err));
        int code =
                cli.execute(
                        "--config", EvalCommandTest.TRAIN_TINY.toString(),
                        "--eval", EvalCommandTest.DEMO.toString(),
                        "--out", out.toString(),
                        "--variants", "causal-max");
        assertEquals(CliStyle.EXIT_BAD_INPUT, code);
        assertTrue(
                err.toString()
                        .contains(
                                "--variants pooling=max is not allowed; allowed: latent, mean,"
                                        + " eos"),
                err.toString());
        assertFalse(Files.exists(out));
    }
}
