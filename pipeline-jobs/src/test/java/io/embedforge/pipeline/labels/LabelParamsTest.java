package io.embedforge.pipeline.labels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabelParamsTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void bindsPerSourceSettingsAndDefaults() throws Exception {
        LabelParams p =
                YAML.readValue(
                        "seed: 9\nmax_per_label: 100\nsources:\n  arxiv:\n    targets: [title, abstract]\n"
                                + "    positive: sample_categories\n  banking77:\n    mode: example\n",
                        LabelParams.class);
        assertEquals(9L, p.seed());
        assertEquals(100, p.maxPerLabel());
        assertEquals(1.0, p.sampleRate());
        assertEquals(List.of("title", "abstract"), p.source("arxiv").targets());
        assertEquals("sample_categories", p.source("arxiv").positive());
        assertEquals("example", p.mode("banking77"));
        assertEquals("label", p.mode("arxiv"));
        assertEquals(List.of("title"), p.source("biorxiv").targets());
        assertEquals(LabelParams.defaults(), YAML.readValue("{}", LabelParams.class));
    }

    @Test
    void rejectsIllegalValuesNamingKeyAndRange() {
        assertMessage(
                "stages.label-negatives.sample_rate=0.0 must be in (0, 1]", "sample_rate: 0.0");
        assertMessage(
                "stages.label-negatives.max_per_label=-1 must be >= 0 (0 = no cap)",
                "max_per_label: -1");
        assertMessage(
                "stages.label-negatives.min_label_examples=0 must be >= 1",
                "min_label_examples: 0");
        assertMessage("stages.label-negatives.negatives=65 must be in [1, 64]", "negatives: 65");
        assertMessage(
                "stages.label-negatives.default_mode=random must be one of [label, example]",
                "default_mode: random");
        assertMessage(
                "stages.label-negatives.sources.*.targets=[body] must be a non-empty subset of [title, abstract]",
                "sources: {arxiv: {targets: [body]}}");
        assertMessage(
                "stages.label-negatives.sources.*.mode=both must be one of [label, example]",
                "sources: {arxiv: {mode: both}}");
    }

    private static void assertMessage(String expected, String yaml) {
        Exception e = assertThrows(Exception.class, () -> YAML.readValue(yaml, LabelParams.class));
        Throwable cause = e;
        while (!(cause instanceof IllegalArgumentException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        assertEquals(expected, cause.getMessage());
    }
}
