package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.run.Pipeline;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * One pipeline stage as a subcommand: parses {@code stages.<stage>} of the profile, checks that the
 * stages it reads have committed outputs under {@code --out}, and runs it unless its output is
 * already there with the same inputs and settings ({@code --force} re-runs). Driver only.
 */
abstract class StageCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--force", description = "Re-run even when the output is up to date.")
    boolean force;

    /** The stage this command runs. */
    abstract String stage();

    @Override
    public Integer call() {
        PipelineConfig config = Cli.loadConfig(common);
        String out = common.outRoot();
        SparkSession spark = SparkSessions.create("embedforge-" + stage(), common.master);
        try {
            Pipeline pipeline = new Pipeline(spark, config, out, force, System.out);
            pipeline.params(stage());
            pipeline.run(stage());
        } finally {
            spark.stop();
        }
        return 0;
    }

    @Command(
            name = "decontaminate",
            mixinStandardHelpOptions = true,
            description = "Drop training rows that overlap evaluation texts (OUT/decontaminate/).")
    static final class Decontaminate extends StageCommand {
        @Override
        String stage() {
            return Pipeline.DECONTAMINATE;
        }
    }

    @Command(
            name = "mine-dense",
            mixinStandardHelpOptions = true,
            description = "Dense hard negatives for retrieval sources (OUT/dense/).")
    static final class MineDense extends StageCommand {
        @Override
        String stage() {
            return Pipeline.MINE_DENSE;
        }
    }

    @Command(
            name = "mine-bm25",
            mixinStandardHelpOptions = true,
            description = "BM25 hard negatives for STS sources (OUT/mine-bm25/).")
    static final class MineBm25 extends StageCommand {
        @Override
        String stage() {
            return Pipeline.MINE_BM25;
        }
    }

    @Command(
            name = "label-negatives",
            mixinStandardHelpOptions = true,
            description =
                    "Label negatives for classification and clustering (OUT/label-negatives/).")
    static final class LabelNegatives extends StageCommand {
        @Override
        String stage() {
            return Pipeline.LABEL_NEGATIVES;
        }
    }

    @Command(
            name = "blend",
            mixinStandardHelpOptions = true,
            description = "Blend mined examples into OUT/blend/stage1 and OUT/blend/stage2.")
    static final class Blend extends StageCommand {
        @Override
        String stage() {
            return Pipeline.BLEND;
        }
    }

    @Command(
            name = "report",
            mixinStandardHelpOptions = true,
            description = "Data-quality report: OUT/report/index.html with PNG charts.")
    static final class Report extends StageCommand {
        @Override
        String stage() {
            return Pipeline.REPORT;
        }
    }
}
