package io.embedforge.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.embedforge.train.data.ContractParquet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/** A short tiny-model run for the export and embed tests: 2 stage-1 + 1 stage-2 updates. */
final class TinyRun {
    private TinyRun() {}

    /** Trains into {@code dir/run} with {@code dir/train.yaml}; returns the config file. */
    static Path train(Path dir) throws IOException {
        Path blend = dir.resolve("blend");
        ContractParquet.writeStage(blend.resolve("stage1"), 1, 2, 2, 1);
        ContractParquet.writeStage(blend.resolve("stage2"), 2, 1, 2, 1);
        Path conf = dir.resolve("train.yaml");
        Files.writeString(
                conf,
                Files.readString(Path.of("..", "conf", "train-tiny.yaml"))
                        .replace("max_length: 64", "max_length: 32")
                        .replace("batch_size: 8", "batch_size: 2")
                        .replace("warmup_steps: 5", "warmup_steps: 1"));
        String[] args = {
            "--config",
            conf.toString(),
            "--blend",
            blend.toString(),
            "--run",
            dir.resolve("run").toString()
        };
        assertEquals(0, new CommandLine(new TrainCommand()).execute(args));
        return conf;
    }
}
