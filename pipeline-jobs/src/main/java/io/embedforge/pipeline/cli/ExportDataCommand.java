package io.embedforge.pipeline.cli;

import io.embedforge.pipeline.export.DataExport;
import io.embedforge.pipeline.export.ExportFormat;
import io.embedforge.pipeline.export.ExportManifest;
import io.embedforge.pipeline.export.ExportRequest;
import io.embedforge.train.cli.CliStyle;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code embedforge export-data}: a blend output into the layout of sentence-transformers,
 * FlagEmbedding, Tevatron or Hugging Face datasets. A command over a blend folder rather than a
 * stage of the registry: an export is a view for one consumer, chosen per use (several formats of
 * the same blend, into folders outside the run), not a step other stages read; it reads only the
 * committed blend and its manifest, so it needs no profile. Runs on Spark like the stages.
 */
@Command(
        name = "export-data",
        mixinStandardHelpOptions = true,
        description = {
            "Export the blend output (stage1 and stage2) in the layout a Python library reads:"
                    + " hf (our contract + dataset card for datasets.load_dataset(DIR, \"stage1\")),"
                    + " sentence-transformers (anchor, positive, negative_1..n), flagembedding"
                    + " (JSONL query/pos/neg/prompt/type), tevatron (JSONL query_id/query/"
                    + "positive_passages/negative_passages).",
            "Writes DIR/<stage>/ data files, DIR/README.md, DIR/rejects/<stage>/ (dropped rows with"
                    + " their reason) and DIR/manifest.json (counts: read = written + dropped)."
        })
public final class ExportDataCommand implements Callable<Integer> {
    @Option(
            names = "--blend",
            required = true,
            paramLabel = "DIR_OR_URI",
            description = "The blend output folder of a run: <out>/blend.")
    String blend;

    @Option(
            names = "--format",
            required = true,
            paramLabel = "FORMAT",
            description = "hf, sentence-transformers, flagembedding or tevatron.")
    String format;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR_OR_URI",
            description = "Export folder: new or empty; a local folder or any Hadoop URI.")
    String out;

    @Option(
            names = "--negatives",
            paramLabel = "N",
            defaultValue = "" + ExportRequest.NEGATIVES_DEFAULT,
            description =
                    "sentence-transformers: number of negative_i columns (0-7); rows with fewer"
                            + " negatives are dropped and counted, rows with more keep the best N.")
    int negatives;

    @Option(
            names = "--min-negatives",
            paramLabel = "M",
            defaultValue = "" + ExportRequest.MIN_NEGATIVES_DEFAULT,
            description = "Every format: drop (and count) rows with fewer than M negatives (0-7).")
    int minNegatives;

    @Mixin MasterOption spark;

    @Override
    public Integer call() {
        ExportRequest request =
                new ExportRequest(
                        CommonOptions.location(blend),
                        CommonOptions.location(out),
                        ExportFormat.named(format),
                        negatives,
                        minNegatives);
        String app = "embedforge-export-data";
        DataExport.check(SparkSessions.hadoopConfiguration(app, spark.master), request);
        var session = SparkSessions.create(app, spark.master);
        try {
            ExportManifest manifest = DataExport.run(session, request);
            manifest.stages()
                    .forEach(
                            (stage, e) ->
                                    System.out.printf(
                                            "%s: %d rows written, %d dropped -> %s/%s/%n",
                                            stage,
                                            e.rows(),
                                            e.droppedTotal(),
                                            request.out(),
                                            e.folder()));
            System.out.println("manifest: " + request.out() + "/" + DataExport.MANIFEST);
        } finally {
            session.stop();
        }
        return CliStyle.EXIT_OK;
    }
}
