package io.embedforge.pipeline.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir Path dir;

    static Path repoRoot() {
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("conf/sources"))) {
                return p;
            }
        }
        throw new IllegalStateException("no conf/ above the working directory");
    }

    @Test
    void theShippedProfilesLoad() throws IOException {
        PipelineConfig local =
                ConfigLoader.load(
                        repoRoot().resolve("conf/local.yaml"), ConfigLoader.Overrides.none());
        assertTrue(local.sources().size() >= 25);
        // full.yaml reads Banking77's label list while loading; give it one.
        Path data = dir.resolve("datasets");
        Files.createDirectories(data.resolve("banking77"));
        Files.writeString(data.resolve("banking77/categories.json"), "[\"card_arrival\"]");
        PipelineConfig full =
                ConfigLoader.load(
                        repoRoot().resolve("conf/full.yaml"),
                        new ConfigLoader.Overrides(7L, Map.of("data", data.toString())));
        assertEquals(7L, full.seed());
        assertEquals(25, full.sources().stream().map(SourceConfig::dataset).distinct().count());
        assertTrue(
                full.source("msmarco")
                        .input(InputSpec.CORPUS)
                        .paths()
                        .get(0)
                        .startsWith(data.toString()),
                "a --var overrides the profile's variable");
        assertEquals("hdfs://nn/d", ConfigLoader.resolvePath("hdfs://nn/d", dir));
        assertEquals("/abs/d", ConfigLoader.resolvePath("/abs/d", dir));
        assertEquals("file:" + dir.resolve("rel"), ConfigLoader.resolvePath("rel", dir));
        PipelineConfig real =
                ConfigLoader.load(
                        repoRoot().resolve("conf/real-samples.yaml"),
                        ConfigLoader.Overrides.none());
        assertTrue(real.sources().size() > 20);
    }

    @Test
    void presetsExpandToPublishedLayouts() {
        PipelineConfig local =
                ConfigLoader.load(
                        repoRoot().resolve("conf/local.yaml"), ConfigLoader.Overrides.none());
        SourceConfig fiqa = local.source("fiqa");
        InputSpec qrels = fiqa.input(InputSpec.QRELS);
        assertEquals(InputFormat.CSV, qrels.format());
        assertTrue(
                qrels.paths().get(0).endsWith("/fiqa/qrels/train.tsv"), qrels.paths().toString());
        assertEquals("corpus-id", qrels.fields().get("doc_id"));
        SourceConfig msmarco = local.source("msmarco");
        assertEquals(
                "whitespace", msmarco.input(InputSpec.QRELS).options().string("delimiter", ""));
    }

    private String load(String profileBody, Map<String, String> sources) throws IOException {
        Path conf = dir.resolve("conf");
        Files.createDirectories(conf.resolve("sources"));
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Files.writeString(
                    conf.resolve("sources/" + e.getKey() + ".yaml"),
                    e.getValue(),
                    StandardCharsets.UTF_8);
        }
        Path profile = conf.resolve("p.yaml");
        Files.writeString(profile, profileBody, StandardCharsets.UTF_8);
        ConfigException e =
                assertThrows(
                        ConfigException.class,
                        () -> ConfigLoader.load(profile, ConfigLoader.Overrides.none()));
        return e.getMessage();
    }

    private static final String GOOD_SOURCE =
            "name: s\ntask_type: classification\ninstruction: \"Classify\"\nformat: csv\n"
                    + "fields: {text: text, label: label}\ninputs: {records: \"${data}/x.csv\"}\n";

    @Test
    void unreadableLabelFileIsAConfigError() throws IOException {
        String msg =
                load(
                        "variables: {data: d}\nsources: {s: {labels: {values_file: '/no/such/labels.json'}}}\n",
                        Map.of("s", GOOD_SOURCE));
        assertTrue(msg.contains("labels.values_file") && msg.contains("/no/such/labels.json"), msg);
    }

    @Test
    void splitSizeIsRangeCheckedNotOverflowed() throws IOException {
        for (String mb : new String[] {"17592186044416", "0", "1048577", "64.5"}) {
            String msg =
                    load(
                            "ingest: {split_size_mb: "
                                    + mb
                                    + "}\nvariables: {data: d}\n"
                                    + "sources: {s: {}}\n",
                            Map.of("s", GOOD_SOURCE));
            assertTrue(msg.contains("ingest.split_size_mb") && msg.contains(mb), msg);
        }
    }

    @Test
    void unknownProfileKeyNamesFileKeyAndAllowedKeys() throws IOException {
        String msg = load("sourcez: {}\n", Map.of());
        assertTrue(
                msg.contains("p.yaml") && msg.contains("'sourcez'") && msg.contains("sources"),
                msg);
    }

    @Test
    void badFormatNamesTheValueAndTheAllowedFormats() throws IOException {
        String msg =
                load(
                        "variables: {data: d}\nsources: {s: {}}\n",
                        Map.of("s", GOOD_SOURCE.replace("format: csv", "format: xml")));
        assertTrue(
                msg.contains("s.yaml") && msg.contains("'format' = 'xml'") && msg.contains("jsonl"),
                msg);
    }

    @Test
    void badTaskType() throws IOException {
        String msg =
                load(
                        "variables: {data: d}\nsources: {s: {}}\n",
                        Map.of("s", GOOD_SOURCE.replace("classification", "ranking")));
        assertTrue(
                msg.contains("'task_type' = 'ranking'")
                        && msg.contains("retrieval, classification"),
                msg);
    }

    @Test
    void missingFieldMapping() throws IOException {
        String msg =
                load(
                        "variables: {data: d}\nsources: {s: {}}\n",
                        Map.of("s", GOOD_SOURCE.replace(", label: label", "")));
        assertTrue(msg.contains("inputs.records.fields.label"), msg);
    }

    @Test
    void unknownFieldName() throws IOException {
        String msg =
                load(
                        "variables: {data: d}\nsources: {s: {}}\n",
                        Map.of(
                                "s",
                                GOOD_SOURCE.replace("label: label}", "label: label, lable: x}")));
        assertTrue(msg.contains("unknown field 'fields.lable'") && msg.contains("label_text"), msg);
    }

    @Test
    void undefinedVariable() throws IOException {
        String msg = load("sources: {s: {}}\n", Map.of("s", GOOD_SOURCE));
        assertTrue(msg.contains("${data}") && msg.contains("--var data="), msg);
    }

    @Test
    void missingSourceFile() throws IOException {
        String msg = load("sources: {nope: {}}\n", Map.of());
        assertTrue(msg.contains("sources.nope") && msg.contains("no nope.yaml"), msg);
    }

    @Test
    void sourceNameMustMatchItsFile() throws IOException {
        String msg = load("variables: {data: d}\nsources: {t: {}}\n", Map.of("t", GOOD_SOURCE));
        assertTrue(msg.contains("'name' = 's'") && msg.contains("'t'"), msg);
    }

    @Test
    void badCsvOptionValue() throws IOException {
        String msg =
                load(
                        "variables: {data: d}\nsources: {s: {options: {delimiter: ';;'}}}\n",
                        Map.of("s", GOOD_SOURCE));
        assertTrue(
                msg.contains("options.delimiter")
                        && msg.contains("';;'")
                        && msg.contains("one character"),
                msg);
    }

    @Test
    void optionOfAnotherFormat() throws IOException {
        String msg =
                load(
                        "variables: {data: d}\nsources: {s: {options: {record_path: 'a[]'}}}\n",
                        Map.of("s", GOOD_SOURCE));
        assertTrue(msg.contains("unknown key 'inputs.records.options.record_path'"), msg);
    }

    @Test
    void scoreRange() throws IOException {
        String sts =
                "name: s\ntask_type: sts\ninstruction: i\nformat: jsonl\n"
                        + "fields: {text_a: a, text_b: b, score: s}\ninputs: {records: x}\nscore: {min: 5, max: 1}\n";
        String msg = load("sources: {s: {}}\n", Map.of("s", sts));
        assertTrue(msg.contains("score.max") && msg.contains("score.min=5"), msg);
    }

    @Test
    void retrievalNeedsPairsOrQueries() throws IOException {
        String r =
                "name: s\ntask_type: retrieval\ninstruction: i\nformat: jsonl\n"
                        + "inputs: {corpus: {path: c, fields: {doc_id: a, text: b}}}\n";
        String msg = load("sources: {s: {}}\n", Map.of("s", r));
        assertTrue(msg.contains("either 'inputs.records'") && msg.contains("neither"), msg);
    }

    @Test
    void nullInAProfileRemovesAKey() throws IOException {
        Path conf = dir.resolve("c2");
        Files.createDirectories(conf.resolve("sources"));
        Files.writeString(
                conf.resolve("sources/s.yaml"),
                GOOD_SOURCE.replace(
                        "fields: {text: text, label: label}",
                        "fields: {text: text, label: label, label_text: lt}"),
                StandardCharsets.UTF_8);
        Path profile = conf.resolve("p.yaml");
        Files.writeString(
                profile,
                "variables: {data: d}\nsources: {s: {fields: {label_text: null}}}\n",
                StandardCharsets.UTF_8);
        PipelineConfig config = ConfigLoader.load(profile, ConfigLoader.Overrides.none());
        assertEquals(
                Map.of("text", "text", "label", "label"),
                config.source("s").input(InputSpec.RECORDS).fields());
    }
}
