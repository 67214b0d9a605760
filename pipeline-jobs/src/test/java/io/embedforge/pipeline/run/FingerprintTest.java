package io.embedforge.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.embedforge.encoder.EmbeddedModels;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.config.ConfigLoader;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.dense.DenseMiningJob;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What re-runs, planned without Spark: every stage's output is committed as a stand-in folder with
 * a marker written by {@link StageRunner#writeMarker} and an {@link OutputDigest}, then one thing
 * changes and the plan must run exactly that stage and the stages reading it, directly or not.
 */
class FingerprintTest {
    private static final Configuration CONF = new Configuration();
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir Path dir;
    private Path data;
    private Path out;

    @BeforeEach
    void copyInputs() throws IOException {
        data = Files.createDirectories(dir.resolve("data"));
        Path banking = repo().resolve("test-data/banking77");
        for (String f : new String[] {"train.csv", "categories.json"}) {
            Files.copy(banking.resolve(f), data.resolve(f));
        }
        Files.createDirectories(data.resolve("model/onnx"));
        Files.writeString(data.resolve("model/onnx/model.onnx"), "weights v1");
        Files.writeString(data.resolve("model/tokenizer.json"), "{}");
        out = dir.resolve("out");
    }

    /** A profile with one classification source and one setting per stage; {@code extra} added. */
    private Path profile(Path folder, Map<String, String> settings) throws IOException {
        StringBuilder yaml = new StringBuilder();
        yaml.append("profile: fp\nseed: 42\n")
                .append("sources_dir: ")
                .append(repo().resolve("conf/sources"))
                .append('\n')
                .append("ingest: {split_size_mb: ")
                .append(settings.getOrDefault("ingest", "128"))
                .append("}\n")
                .append("sources:\n  banking77:\n")
                .append("    inputs: {records: \"")
                .append(data.resolve("train.csv"))
                .append("\"}\n")
                .append("    labels: {values_file: \"")
                .append(data.resolve("categories.json"))
                .append("\"}\n")
                .append("stages:\n");
        Map<String, String> defaults =
                Map.of(
                        "decontaminate", "max_ngram_df: 100",
                        "mine-dense",
                                "{negatives: 7, encoder: {model_path: \""
                                        + data.resolve("model")
                                        + "\"}}",
                        "mine-bm25", "negatives: 7",
                        "label-negatives", "max_per_label: 0",
                        "blend", "batch_size: 16",
                        "report", "samples_per_source: 2");
        for (StageId s : StageId.values()) {
            if (s == StageId.INGEST) {
                continue;
            }
            String v = settings.getOrDefault(s.id(), defaults.get(s.id()));
            yaml.append("  ").append(s.id()).append(": ");
            yaml.append(v.startsWith("{") ? v : "{" + v + "}").append('\n');
        }
        Files.createDirectories(folder);
        Path p = folder.resolve("fp.yaml");
        Files.writeString(p, yaml, StandardCharsets.UTF_8);
        return p;
    }

    private static PipelineConfig load(Path profile) {
        return ConfigLoader.load(profile, ConfigLoader.Overrides.none());
    }

    private Plan plan(PipelineConfig config) {
        return new Pipeline(config, out.toString(), false, QUIET).plan(CONF, Selection.all());
    }

    /** The stages the plan runs. */
    private Set<StageId> runs(PipelineConfig config) {
        Set<StageId> runs = EnumSet.noneOf(StageId.class);
        for (Plan.Step s : plan(config).steps()) {
            if (s.runs()) {
                runs.add(s.stage());
            }
        }
        return runs;
    }

    /**
     * Commits a stand-in output for every stage that runs, in order, as the runner would: output
     * written, digest taken, marker last. Each output's bytes are {@code content(stage)}.
     */
    private void commitAll(PipelineConfig config, Map<StageId, String> content) throws IOException {
        for (int round = 0; round < StageId.values().length; round++) {
            for (Plan.Step s : plan(config).steps()) {
                if (s.runs() && s.fingerprint() != null) {
                    commit(s.stage(), s.fingerprint(), content.getOrDefault(s.stage(), "rows"));
                }
            }
        }
        assertEquals(Set.of(), runs(config), "everything committed");
    }

    private void commit(StageId stage, String fingerprint, String rows) throws IOException {
        Path folder = Files.createDirectories(out.resolve(stage.folder()).resolve("table"));
        Files.writeString(
                folder.resolve("part-00000-0a1b2c3d-0000-4000-8000-00000000000" + 1 + "-c000.txt"),
                stage + " " + rows);
        String f = StageContext.join(out.toString(), stage.folder());
        StageRunner.writeMarker(
                CONF, f, stage.id(), fingerprint, OutputDigest.of(CONF, f), Instant.now());
    }

    private static Set<StageId> withDownstream(StageId s) {
        Set<StageId> set = EnumSet.of(s);
        set.addAll(s.downstream());
        return set;
    }

    @Test
    void oneSettingOfEachStageRerunsExactlyItAndWhatReadsIt() throws IOException {
        PipelineConfig base = load(profile(dir.resolve("conf"), Map.of()));
        commitAll(base, Map.of());
        Map<StageId, String> changed =
                Map.of(
                        StageId.INGEST, "64",
                        StageId.DECONTAMINATE, "max_ngram_df: 50",
                        StageId.MINE_DENSE,
                                "{negatives: 5, encoder: {model_path: \""
                                        + data.resolve("model")
                                        + "\"}}",
                        StageId.MINE_BM25, "negatives: 5",
                        StageId.LABEL_NEGATIVES, "max_per_label: 3",
                        StageId.BLEND, "batch_size: 8",
                        StageId.REPORT, "samples_per_source: 3");
        for (StageId s : StageId.values()) {
            PipelineConfig c =
                    load(profile(dir.resolve("conf-" + s), Map.of(s.id(), changed.get(s))));
            assertEquals(withDownstream(s), runs(c), "after changing a setting of " + s);
        }
        assertEquals(Set.of(StageId.REPORT), withDownstream(StageId.REPORT));
        // a seed change re-runs the stages with a seed (and what reads them), nothing else
        String yaml = Files.readString(dir.resolve("conf/fp.yaml")).replace("seed: 42", "seed: 7");
        Path seeded = Files.createDirectories(dir.resolve("conf-seed")).resolve("fp.yaml");
        Files.writeString(seeded, yaml);
        Set<StageId> seedRuns = runs(load(seeded));
        assertTrue(
                !seedRuns.contains(StageId.INGEST)
                        && !seedRuns.contains(StageId.DECONTAMINATE)
                        && !seedRuns.contains(StageId.MINE_BM25)
                        && seedRuns.contains(StageId.MINE_DENSE),
                seedRuns.toString());
    }

    @Test
    void theProfilesPathAndAnInputsModificationTimeChangeNothing() throws IOException {
        PipelineConfig base = load(profile(dir.resolve("conf"), Map.of()));
        commitAll(base, Map.of());
        // the same profile elsewhere
        assertEquals(Set.of(), runs(load(profile(dir.resolve("elsewhere/conf"), Map.of()))));
        // byte-identical inputs with new modification times
        for (String f : new String[] {"train.csv", "categories.json", "model/onnx/model.onnx"}) {
            Files.setLastModifiedTime(
                    data.resolve(f), FileTime.from(Instant.now().plusSeconds(3600)));
        }
        assertEquals(Set.of(), runs(base));
    }

    @Test
    void everyFileAStageReadsIsFingerprinted() throws IOException {
        Path profile = profile(dir.resolve("conf"), Map.of());
        commitAll(load(profile), Map.of());
        // labels.values_file: read by ingest
        Files.writeString(
                data.resolve("categories.json"),
                Files.readString(data.resolve("categories.json")).replace("\"card_arrival\",", ""));
        assertEquals(withDownstream(StageId.INGEST), runs(load(profile)));
        commitAll(load(profile), Map.of());
        // encoder.model_path: a file inside the model folder read by mine-dense
        Files.writeString(data.resolve("model/onnx/model.onnx"), "weights v2");
        assertEquals(withDownstream(StageId.MINE_DENSE), runs(load(profile)));
        // the embedded default: its artifact's version stands for its files
        PipelineConfig embedded =
                load(profile(dir.resolve("conf-e5"), Map.of("mine-dense", "negatives: 7")));
        assertEquals(
                Map.of(DenseMiningJob.EMBEDDED_MODEL, EmbeddedModels.E5_ID),
                Stages.bind(StageId.MINE_DENSE, embedded).inputs(embedded).profile());
    }

    @Test
    void theInt8GraphIsCheckedBeforeSparkAndFingerprintedAndFp32ChangesNothing()
            throws IOException {
        Path onnx = data.resolve("model/onnx/model.onnx");
        String fp32 =
                "{negatives: 7, encoder: {model_path: \""
                        + onnx
                        + "\", tokenizer_path: \""
                        + data.resolve("model/tokenizer.json")
                        + "\"";
        commitAll(load(profile(dir.resolve("conf"), Map.of("mine-dense", fp32 + "}}"))), Map.of());
        // precision: fp32 said explicitly is the stage as before the key existed: nothing re-runs
        Path explicit =
                profile(dir.resolve("conf"), Map.of("mine-dense", fp32 + ", precision: fp32}}"));
        assertEquals(Set.of(), runs(load(explicit)));

        Path int8Profile =
                profile(dir.resolve("conf"), Map.of("mine-dense", fp32 + ", precision: int8}}"));
        PipelineConfig int8 = load(int8Profile);
        String msg = checkError(int8);
        assertTrue(
                msg.endsWith(
                        ": stages.mine-dense.encoder.precision=int8 needs "
                                + data.resolve("model/onnx/model.int8.onnx")
                                + ", which does not exist; write it with `python3"
                                + " scripts/quantize_encoder.py --onnx "
                                + onnx
                                + "` (pip install -r scripts/quantize-requirements.txt)"),
                msg);
        assertTrue(msg.startsWith(int8.file() + ": "), msg);
        Path int8File = Files.writeString(data.resolve("model/onnx/model.int8.onnx"), "int8 v1");
        Stages.bind(StageId.MINE_DENSE, int8).check(int8, CONF);
        assertEquals(withDownstream(StageId.MINE_DENSE), runs(int8));
        commitAll(int8, Map.of());
        // the int8 graph quantized again: mine-dense re-runs
        Files.writeString(int8File, "int8 v2");
        assertEquals(withDownstream(StageId.MINE_DENSE), runs(load(int8Profile)));
    }

    /** The message of mine-dense's check before Spark, which must fail. */
    private static String checkError(PipelineConfig config) {
        return assertThrows(
                        ConfigException.class,
                        () -> Stages.bind(StageId.MINE_DENSE, config).check(config, CONF))
                .getMessage();
    }

    @Test
    void theEmbeddedInt8GraphMissingFromTheCacheNamesTheScript() throws IOException {
        PipelineConfig int8 =
                load(
                        profile(
                                dir.resolve("conf"),
                                Map.of("mine-dense", "{encoder: {precision: int8}}")));
        String before = System.getProperty("embedforge.cache.dir");
        System.setProperty("embedforge.cache.dir", dir.resolve("cache").toString());
        try {
            String msg = checkError(int8);
            assertTrue(
                    msg.contains(
                            "stages.mine-dense.encoder.precision=int8 needs "
                                    + dir.resolve("cache/models/" + EmbeddedModels.E5_ID)
                                    + "/model.int8.onnx, which does not exist; write it with"
                                    + " `python3 scripts/quantize_encoder.py e5-small-v2`"),
                    msg);
        } finally {
            if (before == null) {
                System.clearProperty("embedforge.cache.dir");
            } else {
                System.setProperty("embedforge.cache.dir", before);
            }
        }
    }

    @Test
    void theReportsTrainingConfigAndItsTokenizerAreFingerprinted() throws IOException {
        Path base = Files.createDirectories(data.resolve("base"));
        Files.writeString(base.resolve("tokenizer.json"), "{\"v\": 1}");
        Files.writeString(base.resolve("config.json"), "{}");
        Path train = data.resolve("train.yaml");
        String tiny = Files.readString(repo().resolve("conf/train-tiny.yaml"));
        assertTrue(tiny.contains("base_model: tiny") && tiny.contains("max_length: 64"));
        String trainYaml = tiny.replace("base_model: tiny", "base_model: \"" + base + "\"");
        Files.writeString(train, trainYaml);
        Path profile =
                profile(
                        dir.resolve("conf"),
                        Map.of(
                                "report",
                                "{samples_per_source: 2, train_config: \"" + train + "\"}"));
        commitAll(load(profile), Map.of());
        assertEquals(Set.of(), runs(load(profile)));
        Files.writeString(train, trainYaml.replace("max_length: 64", "max_length: 48"));
        assertEquals(Set.of(StageId.REPORT), runs(load(profile)));
        commitAll(load(profile), Map.of());
        Files.writeString(base.resolve("tokenizer.json"), "{\"v\": 2}");
        assertEquals(Set.of(StageId.REPORT), runs(load(profile)));
    }

    @Test
    void stagesChainOnTheCommittedOutputNotTheUpstreamFingerprint() throws IOException {
        PipelineConfig config = load(profile(dir.resolve("conf"), Map.of()));
        commitAll(config, Map.of());
        // `ingest --force` wrote other rows under the same fingerprint
        String ingestFp = StageRunner.committedFingerprint(CONF, out.toString(), "ingest");
        commit(StageId.INGEST, ingestFp, "27 rows, not 25");
        Plan plan = plan(config);
        assertEquals(Plan.Action.SKIP, plan.step(StageId.INGEST).action());
        assertEquals(withDownstream(StageId.DECONTAMINATE), runs(config));
        assertEquals("settings or inputs changed", plan.step(StageId.DECONTAMINATE).reason());
        // the same bytes again (an identical re-run): nothing to do
        commit(StageId.INGEST, ingestFp, "rows");
        assertEquals(Set.of(), runs(config));
        // the digest ignores the write job's id in file names and the stage's manifest
        String f = StageContext.join(out.toString(), "ingest");
        String before = OutputDigest.of(CONF, f);
        Path table = out.resolve("ingest/table");
        try (var files = Files.list(table)) {
            Path part = files.findFirst().orElseThrow();
            Files.move(
                    part,
                    table.resolve(part.getFileName().toString().replace("0a1b2c3d", "99999999")));
        }
        Files.writeString(out.resolve("ingest/manifest.json"), "{\"finished\": \"now\"}");
        assertEquals(before, OutputDigest.of(CONF, f));
    }

    private static Path repo() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("conf")) && Files.exists(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("no repository root");
    }
}
