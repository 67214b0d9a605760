package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.manifest.ManifestWriter;
import io.embedforge.pipeline.report.Report;
import io.embedforge.pipeline.run.Selection;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.train.FileTrees;
import io.embedforge.train.cli.CliStyle;
import io.embedforge.train.cli.EvalCommand;
import io.embedforge.train.cli.ExportCommand;
import io.embedforge.train.cli.TrainCommand;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code embedforge run}: the stages of the registry in order in one Spark application (all, or a
 * selection: {@code --stages}, {@code --from}, {@code --until}). A stage whose committed output has
 * the fingerprint of its current inputs and settings is skipped, so a run killed midway resumes
 * where it stopped; {@code --dry-run} prints that plan and runs nothing. With {@code --train} the
 * run then trains, exports and (with {@code --eval}) evaluates the model on the blend output.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Run the pipeline's stages in order in one Spark application: every stage, or the"
                    + " ones --stages, --from and --until select. Prints the plan first (which"
                    + " stages run or are skipped, and why).",
            "Stages: ingest, decontaminate, mine-dense, mine-bm25, label-negatives, blend, report"
                    + " (see `embedforge stages`)."
        })
public final class RunCommand implements Callable<Integer> {
    /** Folder of the training run under the output root. */
    static final String TRAIN_DIR = "train";

    /** Folder of the exported model under the output root. */
    static final String MODEL_DIR = "model";

    /** Folder of the evaluation under the output root. */
    static final String EVAL_DIR = "eval";

    @Mixin CommonOptions common;

    @Option(names = "--force", description = "Re-run every selected stage even when up to date.")
    boolean force;

    @Option(
            names = "--dry-run",
            description =
                    "Print the plan (which stages would run or be skipped, and why); run nothing.")
    boolean dryRun;

    @Option(
            names = "--stages",
            split = ",",
            paramLabel = "STAGE",
            description = "Run only these stages (comma-separated), e.g. --stages mine-bm25,blend.")
    List<String> stages;

    @Option(
            names = "--from",
            paramLabel = "STAGE",
            description = "Run this stage and every stage that reads its output, directly or not.")
    String from;

    @Option(
            names = "--until",
            paramLabel = "STAGE",
            description = "Run this stage and every stage whose output it needs; stop there.")
    String until;

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
        Selection selection = selection();
        String out = common.outRoot();
        Path local = trainConfig == null ? null : localFolder(out);
        return Cli.run(
                common,
                selection,
                force,
                dryRun,
                "embedforge-run",
                System.out,
                () -> {
                    System.out.println(
                            "manifest: " + StageContext.join(out, ManifestWriter.FILE_NAME));
                    if (selection.contains(StageId.REPORT)) {
                        System.out.println(
                                "report:   "
                                        + StageContext.join(
                                                out, StageId.REPORT.folder(), Report.INDEX));
                    }
                    return trainConfig == null ? CliStyle.EXIT_OK : train(local);
                });
    }

    /** The stages to run: --stages, else --from/--until, else all. */
    private Selection selection() {
        if (stages != null && (from != null || until != null)) {
            throw new ConfigException("--stages cannot be combined with --from or --until");
        }
        if (stages != null) {
            return Selection.of(stages.stream().map(StageId::named).toList());
        }
        if (from != null || until != null) {
            return Selection.range(
                    from == null ? null : StageId.named(from),
                    until == null ? null : StageId.named(until));
        }
        return Selection.all();
    }

    /** Trains, exports and evaluates on the committed blend output under {@code local}. */
    private int train(Path local) throws IOException {
        Path runDir = local.resolve(TRAIN_DIR);
        if (force) {
            FileTrees.delete(runDir);
        }
        String conf = trainConfig.toString();
        List<String> trainArgs =
                new ArrayList<>(
                        List.of(
                                "--conf",
                                conf,
                                "--blend",
                                local.resolve(StageId.BLEND.folder()).toString(),
                                "--run",
                                runDir.toString(),
                                "--resume",
                                "--progress-interval",
                                String.valueOf(common.progressInterval)));
        if (common.progressJson != null) {
            trainArgs.addAll(List.of("--progress-json", common.progressJson.toString()));
        }
        int rc = step(new TrainCommand(), trainArgs.toArray(new String[0]));
        if (rc == 0) {
            rc =
                    step(
                            new ExportCommand(),
                            "--conf",
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
                            "--conf",
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
        return CliStyle.apply(new CommandLine(command)).execute(args);
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
