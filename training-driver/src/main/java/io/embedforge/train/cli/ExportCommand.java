package io.embedforge.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.settings.InvalidFileException;
import io.embedforge.train.embed.EmbeddingModel;
import io.embedforge.train.export.Exporter;
import io.embedforge.train.loop.Checkpoints;
import io.embedforge.train.loop.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code export}: the newest good checkpoint of a run as a folder a Python user can load ({@link
 * Exporter} writes it: PEFT adapter, latent-attention head, base or merged weights, metadata and
 * model card). A missing run folder or checkpoint is a user error (exit code 2).
 */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description =
                "Export a trained run as PEFT adapter + latent head + model card"
                        + " (+ merged weights).")
public final class ExportCommand implements Callable<Integer> {

    /** What {@code train} records in the run folder (config and blend paths). */
    public static final String RUN_INFO = EmbeddingModel.RUN_INFO;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(
            names = {"--conf", "--config"},
            required = true,
            paramLabel = "FILE",
            description =
                    "The training config of the run (conf/train-tiny.yaml, conf/train-7b.yaml).")
    Path config;

    @Option(names = "--run", required = true, description = "the training run folder")
    Path run;

    @Option(names = "--out", required = true, description = "destination folder")
    Path out;

    @Option(
            names = "--blend",
            description =
                    "blend folder (stage1/, stage2/) to list the task instructions in the card;"
                            + " default: the one recorded in the run's "
                            + RUN_INFO)
    Path blend;

    @Option(names = "--merged", description = "also write merged full weights to <out>/merged")
    boolean merged;

    @Override
    public Integer call() throws Exception {
        TrainConfig c = TrainConfig.read(config);
        if (!Files.isDirectory(run)) {
            throw new InvalidFileException(
                    "run folder " + run + " does not exist (or is not a folder)");
        }
        Checkpoints.Loaded ckpt = EmbeddingModel.latestCheckpoint(run, "nothing to export");
        Exporter.export(c, config, ckpt, out, merged, blendDir());
        System.out.println("exported " + ckpt.folder() + " to " + out);
        return 0;
    }

    private Path blendDir() throws IOException {
        if (blend != null) {
            return blend;
        }
        Path info = run.resolve(RUN_INFO);
        if (Files.exists(info)) {
            JsonNode n = JSON.readTree(info.toFile());
            if (n.hasNonNull("blend")) {
                return Path.of(n.get("blend").asText());
            }
        }
        return null;
    }
}
