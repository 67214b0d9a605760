package io.embedforge.pipeline.stage;

import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.schema.CanonicalTables;
import io.embedforge.pipeline.schema.ClassificationTable;
import io.embedforge.pipeline.schema.ClusteringTable;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import io.embedforge.pipeline.schema.RetrievalTable;
import io.embedforge.pipeline.schema.StsTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The one registry of pipeline stages, in execution order. A stage's name is its {@code embedforge}
 * subcommand, its output folder under {@code --out} and the key of its settings ({@code
 * stages.<name>}); {@link #reads()} lists the stages whose committed outputs it reads, {@link
 * #tables()} the Parquet tables it commits. {@code run} and its plan, the stage subcommands, the
 * blend's inputs, the report's rejects table, {@code embedforge stages --json} and, through that,
 * the Airflow DAG's check all derive from this list.
 *
 * <p>Adding a stage is one constant here plus its class (a {@link Stage}); the compiler then asks
 * for its binding in {@code run.Stages} (an exhaustive switch). See {@code docs/stages/README.md}.
 */
public enum StageId {
    INGEST(
            "ingest",
            "Read every source of the profile in its native format; write the canonical Parquet"
                    + " tables and every rejected record.",
            List.of(),
            concat(CanonicalTables.ALL.keySet().stream(), Stream.of(RejectsTable.NAME))),
    DECONTAMINATE(
            "decontaminate",
            "Drop training rows whose text matches (exactly, or by word n-gram overlap) an"
                    + " evaluation text.",
            List.of(INGEST),
            List.of(
                    StsTable.NAME,
                    ClassificationTable.NAME,
                    ClusteringTable.NAME,
                    RetrievalTable.NAME,
                    RejectsTable.NAME)),
    MINE_DENSE(
            "mine-dense",
            "Dense hard negatives for retrieval sources: text encoder, exact blocked top-k,"
                    + " positive-aware filters.",
            List.of(INGEST, DECONTAMINATE),
            List.of(NegativesTable.EXAMPLES_DIR, RejectsTable.NAME)),
    MINE_BM25(
            "mine-bm25",
            "STS pairs with BM25 hard negatives from sharded Lucene indexes with global"
                    + " statistics.",
            List.of(DECONTAMINATE),
            List.of(NegativesTable.EXAMPLES_DIR, RejectsTable.NAME)),
    LABEL_NEGATIVES(
            "label-negatives",
            "Classification and clustering examples with label negatives, stratified by positive"
                    + " label.",
            List.of(DECONTAMINATE),
            List.of(NegativesTable.EXAMPLES_DIR, RejectsTable.NAME)),
    BLEND(
            "blend",
            "The two training sets of the recipe (stage1, stage2) in the training contract, in"
                    + " batch order.",
            List.of(MINE_DENSE, MINE_BM25, LABEL_NEGATIVES),
            List.of(TrainingContract.STAGE1, TrainingContract.STAGE2, RejectsTable.NAME)),
    REPORT(
            "report",
            "Data-quality report: an HTML page with PNG charts over every stage's output.",
            List.of(INGEST, DECONTAMINATE, MINE_DENSE, MINE_BM25, LABEL_NEGATIVES, BLEND),
            List.of());

    private final String id;
    private final String description;
    private final List<StageId> reads;
    private final List<String> tables;

    StageId(String id, String description, List<StageId> reads, List<String> tables) {
        this.id = id;
        this.description = description;
        this.reads = reads;
        this.tables = tables;
    }

    /** The stage's name: subcommand, output folder and settings key, e.g. {@code mine-dense}. */
    public String id() {
        return id;
    }

    /** The folder of its committed output under {@code --out}: its name. */
    public String folder() {
        return id;
    }

    /** Where its settings are in a profile: {@code stages.<name>}. */
    public String settingsKey() {
        return "stages." + id;
    }

    /** One sentence for help texts and docs. */
    public String description() {
        return description;
    }

    /** The stages whose committed outputs it reads, in registry order. */
    public List<StageId> reads() {
        return reads;
    }

    /**
     * The stages it must run after: {@link #reads()} without those that another read stage already
     * depends on (the transitive reduction; the edges of the Airflow DAG).
     */
    public List<StageId> after() {
        List<StageId> direct = new ArrayList<>();
        for (StageId r : reads) {
            boolean implied = false;
            for (StageId other : reads) {
                implied |= other != r && other.dependsOn(r);
            }
            if (!implied) {
                direct.add(r);
            }
        }
        return List.copyOf(direct);
    }

    /** Whether it reads {@code other}'s output, directly or through other stages. */
    public boolean dependsOn(StageId other) {
        for (StageId r : reads) {
            if (r == other || r.dependsOn(other)) {
                return true;
            }
        }
        return false;
    }

    /** The Parquet tables it commits under its folder (the report commits none). */
    public List<String> tables() {
        return tables;
    }

    /** Whether it commits the table {@code name}. */
    public boolean writes(String name) {
        return tables.contains(name);
    }

    /** The stages among {@code candidates} that commit {@code table}, in registry order. */
    public static List<StageId> writing(List<StageId> candidates, String table) {
        return candidates.stream().filter(s -> s.writes(table)).toList();
    }

    /** Every stage reading this one's output, directly or not, in registry order. */
    public Set<StageId> downstream() {
        Set<StageId> out = EnumSet.noneOf(StageId.class);
        for (StageId s : values()) {
            if (s.dependsOn(this)) {
                out.add(s);
            }
        }
        return out;
    }

    /** The stage of this name; a {@link ConfigException} naming every stage otherwise. */
    public static StageId named(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (StageId s : values()) {
            if (s.id.equals(n)) {
                return s;
            }
        }
        throw new ConfigException("unknown stage '" + name + "'; stages: " + names());
    }

    /** Every stage name, in order. */
    public static List<String> names() {
        return Arrays.stream(values()).map(StageId::id).toList();
    }

    @Override
    public String toString() {
        return id;
    }

    private static List<String> concat(Stream<String> a, Stream<String> b) {
        return Stream.concat(a, b).toList();
    }
}
