package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.blend.Blend;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.report.Report;
import io.embedforge.pipeline.run.Pipeline;
import io.embedforge.train.FileTrees;
import io.embedforge.train.cli.EvalCommand;
import io.embedforge.train.cli.ExportCommand;
import io.embedforge.train.cli.TrainCommand;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
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

    /** Folder of the exported model under the output root. */
    static final String MODEL_DIR = "model";

    /** Folder of the evaluation under the output root. */
    static final String EVAL_DIR = "eval";

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

    @Option(
            names = "--eval",
            paramLabel = "EVAL_CONF",
            description =
                    "With --train: evaluate the trained model, the untrained one and the E5 baseline"
                            + " on these eval sets (e.g. conf/eval-demo.yaml) into <out>/eval.")
    Path evalConfig;

    @Override
    public Integer call() throws IOException {
        if (evalConfig != null && trainConfig == null) {
            throw new ConfigException("--eval needs --train (it evaluates the trained model)");
        }
        PipelineConfig config = Cli.loadConfig(common);
        String out = common.outRoot();
        Path local = trainConfig == null ? null : localFolder(out);
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
        if (trainConfig == null) {
            return 0;
        }
        Path runDir = local.resolve(TRAIN_DIR);
        if (force) {
            FileTrees.delete(runDir);
        }
        String conf = trainConfig.toString();
        int rc =
                step(
                        new TrainCommand(),
                        "--config",
                        conf,
                        "--blend",
                        local.resolve(Blend.STAGE_DIR).toString(),
                        "--run",
                        runDir.toString(),
                        "--resume");
        if (rc == 0) {
            rc =
                    step(
                            new ExportCommand(),
                            "--config",
                            conf,
                            "--run",
                            runDir.toString(),
                            "--out",
                            local.resolve(MODEL_DIR).toString());
        }
        if (rc == 0 && evalConfig != null) {
            rc =
                    step(
                            new EvalCommand(),
                            "--config",
                            conf,
                            "--run",
                            runDir.toString(),
                            "--eval",
                            evalConfig.toString(),
                            "--out",
                            local.resolve(EVAL_DIR).toString());
        }
        if (rc == 0) {
            System.out.println(
                    "training: " + runDir + " (metrics.jsonl, loss/lr curves, checkpoints)");
            System.out.println("model:    " + local.resolve(MODEL_DIR));
            if (evalConfig != null) {
                System.out.println(
                        "eval:     " + local.resolve(EVAL_DIR).resolve(EvalCommand.EVAL_JSON));
            }
        }
        return rc;
    }

    /** Runs a training-driver subcommand exactly as {@code embedforge <name> args} would. */
    private static int step(Object command, String... args) {
        return new CommandLine(command).execute(args);
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
}
