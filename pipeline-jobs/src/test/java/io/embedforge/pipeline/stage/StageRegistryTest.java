package io.embedforge.pipeline.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.contract.TrainingContract;
import io.embedforge.pipeline.blend.Blend;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.run.Stages;
import io.embedforge.pipeline.schema.NegativesTable;
import io.embedforge.pipeline.schema.RejectsTable;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The registry is one consistent list: names, order, dependencies, bindings and derived lists. */
class StageRegistryTest {
    @Test
    void namesAreUniqueAndEachIsItsFolderAndSettingsKey() {
        Set<String> names = new HashSet<>();
        for (StageId s : StageId.values()) {
            assertTrue(names.add(s.id()), s.id());
            assertEquals(s.id(), s.folder());
            assertEquals("stages." + s.id(), s.settingsKey());
            assertEquals(s, StageId.named(s.id()));
            assertTrue(s.description().endsWith("."), s.id());
        }
        assertEquals(
                List.of(
                        "ingest",
                        "decontaminate",
                        "mine-dense",
                        "mine-bm25",
                        "label-negatives",
                        "blend",
                        "report"),
                StageId.names());
    }

    @Test
    void everyStageReadsOnlyEarlierStagesSoTheOrderIsAValidSchedule() {
        for (StageId s : StageId.values()) {
            for (StageId r : s.reads()) {
                assertTrue(r.ordinal() < s.ordinal(), s + " reads " + r);
                assertTrue(s.dependsOn(r));
                assertTrue(r.downstream().contains(s));
            }
        }
    }

    @Test
    void afterIsTheTransitiveReductionOfReads() {
        assertEquals(List.of(StageId.DECONTAMINATE), StageId.MINE_DENSE.after());
        assertEquals(List.of(StageId.BLEND), StageId.REPORT.after());
        assertEquals(
                List.of(StageId.MINE_DENSE, StageId.MINE_BM25, StageId.LABEL_NEGATIVES),
                StageId.BLEND.after());
        for (StageId s : StageId.values()) {
            assertTrue(s.reads().containsAll(s.after()), s.id());
            for (StageId r : s.reads()) {
                boolean reached = s.after().contains(r);
                for (StageId a : s.after()) {
                    reached |= a.dependsOn(r);
                }
                assertTrue(reached, s + " reads " + r + " but does not run after it");
            }
        }
    }

    @Test
    void derivedListsComeFromTheRegistry() {
        assertEquals(
                List.of(StageId.MINE_DENSE, StageId.MINE_BM25, StageId.LABEL_NEGATIVES),
                Blend.INPUTS);
        assertEquals(
                List.of(
                        StageId.INGEST,
                        StageId.DECONTAMINATE,
                        StageId.MINE_DENSE,
                        StageId.MINE_BM25,
                        StageId.LABEL_NEGATIVES,
                        StageId.BLEND),
                StageId.writing(StageId.REPORT.reads(), RejectsTable.NAME));
        assertEquals(
                List.of(TrainingContract.STAGE1, TrainingContract.STAGE2, RejectsTable.NAME),
                StageId.BLEND.tables());
        assertTrue(StageId.MINE_DENSE.writes(NegativesTable.EXAMPLES_DIR));
    }

    @Test
    void everyStageIsBoundToItsClassAndItsDefaultsBind() {
        for (StageId s : StageId.values()) {
            Stage<?> stage = Stages.of(s);
            assertEquals(s, stage.id(), stage.getClass().getName());
            assertNotNull(stage.defaults(), s.id());
            assertEquals(stage.paramsType(), stage.defaults().getClass(), s.id());
        }
    }

    @Test
    void anUnknownStageNameIsAConfigErrorListingTheStages() {
        ConfigException e = assertThrows(ConfigException.class, () -> StageId.named("dense"));
        assertTrue(
                e.getMessage().contains("'dense'") && e.getMessage().contains("mine-dense"),
                e.getMessage());
    }
}
