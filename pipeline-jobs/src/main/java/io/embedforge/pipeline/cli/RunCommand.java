package io.embedforge.pipeline.cli;

import ai.djl.ndarray.NDManager;
import io.embedforge.pipeline.blend.Blend;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.report.Report;
import io.embedforge.pipeline.run.Pipeline;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code embedforge run}: every stage in order in one Spark application (ingest, decontaminate,
 * mine-dense, mine-bm25, label-negatives, blend, report). A stage whose committed output has the
 * fingerprint of its current inputs and settings is skipped, so a run killed midway resumes where
 * it stopped.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Run every pipeline stage in order in one Spark application.")
public final class RunCommand implements Callable<Integer> {
    /** Folder of the training run under the output root. */
    static final String TRAIN_DIR = "train";

    @Mixin CommonOptions common;

    @Option(names = "--force", description = "Re-run every stage even when up to date.")
    boolean force;

    @Option(
            names = "--train",
            paramLabel = "TRAIN_CONF",
            description =
                    "After the pipeline, train on its blend output with this training config (e.g."
                            + " conf/train-tiny.yaml) into <out>/train; the output must be local.")
    Path trainConfig;

    @Override
    public Integer call() throws IOException {
        PipelineConfig config = Cli.loadConfig(common);
        String out = common.outRoot();
        Pipeline pipeline = new Pipeline(null, config, out, force, System.out);
        pipeline.validateParams();
        SparkSession spark = SparkSessions.create("embedforge-run", common.master);
        try {
            new Pipeline(spark, config, out, force, System.out).runAll();
        } finally {
            spark.stop();
        }
        System.out.println("manifest: " + out + "/manifest.json");
        System.out.println("report:   " + out + "/" + Report.STAGE_DIR + "/" + Report.INDEX);
        if (trainConfig != null) {
            Path local = localFolder(out);
            TrainConfig c = TrainConfig.read(trainConfig);
            Path runDir = local.resolve(TRAIN_DIR);
            if (force) {
                deleteRecursively(runDir);
            }
            try (NDManager m = NDManager.newBaseManager()) {
                Trainer.Result r =
                        new Trainer(c, local.resolve(Blend.STAGE_DIR), runDir, System.out)
                                .run(m, Files.exists(runDir), 0);
                System.out.println(
                        "training: " + runDir + " (last checkpoint " + r.lastCheckpoint() + ")");
            }
        }
        return 0;
    }

    private static Path localFolder(String out) {
        URI uri = URI.create(out.startsWith("/") ? "file:" + out : out);
        if (!"file".equals(uri.getScheme())) {
            throw new ConfigException(
                    "--train needs a local --out (training reads the blend output with local file"
                            + " I/O); got "
                            + out
                            + ". Run `embedforge train` on a node that mounts the data instead.");
        }
        return Path.of(uri);
    }

    private static void deleteRecursively(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
