package io.embedforge.pipeline.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.embedforge.pipeline.manifest.ManifestWriter;
import io.embedforge.pipeline.stage.StageId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code embedforge stages}: the stage registry, as a table or ({@code --json}) as JSON for tools:
 * the Airflow DAG test compares its task graph with this output, so the DAG and the registry cannot
 * drift apart. Needs no profile and no Spark.
 */
@Command(
        name = "stages",
        mixinStandardHelpOptions = true,
        description =
                "List the pipeline's stages in order: name (= subcommand = output folder),"
                        + " the stages each reads, and what it writes.")
public final class StagesCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print JSON (one object per stage) instead of a table.")
    boolean json;

    /**
     * One stage as printed.
     *
     * @param name subcommand, output folder, settings key under {@code stages:}
     * @param reads stages whose committed output it reads
     * @param after stages it must run after (the transitive reduction of {@code reads})
     * @param tables Parquet tables it commits
     * @param description what it does
     */
    record Entry(
            @JsonProperty("name") String name,
            @JsonProperty("folder") String folder,
            @JsonProperty("reads") List<String> reads,
            @JsonProperty("after") List<String> after,
            @JsonProperty("tables") List<String> tables,
            @JsonProperty("description") String description) {}

    /** The registry as entries, in order. */
    static List<Entry> entries() {
        List<Entry> entries = new ArrayList<>();
        for (StageId s : StageId.values()) {
            entries.add(
                    new Entry(
                            s.id(),
                            s.folder(),
                            names(s.reads()),
                            names(s.after()),
                            s.tables(),
                            s.description()));
        }
        return entries;
    }

    @Override
    public Integer call() throws JsonProcessingException {
        if (json) {
            System.out.println(ManifestWriter.mapper().writeValueAsString(entries()));
            return 0;
        }
        System.out.printf(Locale.ROOT, "%-16s %-40s %s%n", "stage", "reads", "writes");
        for (Entry e : entries()) {
            System.out.printf(
                    Locale.ROOT,
                    "%-16s %-40s %s%n",
                    e.name(),
                    e.reads().isEmpty() ? "(sources)" : String.join(", ", e.reads()),
                    e.tables().isEmpty() ? "(files)" : String.join(", ", e.tables()));
        }
        return 0;
    }

    private static List<String> names(List<StageId> stages) {
        return stages.stream().map(StageId::id).toList();
    }
}
