package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.run.Selection;
import io.embedforge.pipeline.stage.StageId;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * One pipeline stage as a subcommand, made for every {@link StageId} of the registry: binds {@code
 * stages.<stage>} of the profile, checks that the stages it reads have committed outputs under
 * {@code --out}, and runs it unless its output is already there with the same inputs and settings
 * ({@code --force} re-runs). The same as {@code run --stages <stage>}. Driver only.
 */
@Command(mixinStandardHelpOptions = true)
final class StageCommand implements Callable<Integer> {
    private final StageId stage;

    @Mixin CommonOptions common;

    @Option(names = "--force", description = "Re-run even when the output is up to date.")
    boolean force;

    @Option(
            names = "--dry-run",
            description = "Print whether the stage would run or be skipped, and why; run nothing.")
    boolean dryRun;

    private StageCommand(StageId stage) {
        this.stage = stage;
    }

    /** The subcommand of {@code stage}: its name and description come from the registry. */
    static CommandLine of(StageId stage) {
        CommandLine.Model.CommandSpec spec =
                CommandLine.Model.CommandSpec.forAnnotatedObject(new StageCommand(stage));
        spec.name(stage.id());
        spec.usageMessage()
                .description(
                        stage.description(),
                        "Reads: "
                                + (stage.reads().isEmpty()
                                        ? "the profile's sources"
                                        : "OUT/"
                                                + String.join("/, OUT/", folders(stage.reads()))
                                                + "/")
                                + ". Writes: OUT/"
                                + stage.folder()
                                + "/. Settings: "
                                + stage.settingsKey()
                                + " of the profile.");
        return new CommandLine(spec);
    }

    @Override
    public Integer call() throws java.io.IOException {
        return Cli.run(
                common,
                Selection.of(List.of(stage)),
                force,
                dryRun,
                "embedforge-" + stage.id(),
                System.out,
                null);
    }

    private static List<String> folders(List<StageId> stages) {
        return stages.stream().map(StageId::folder).toList();
    }
}
