package io.embedforge.pipeline.export;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.embedforge.pipeline.manifest.Versions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code <export>/manifest.json}: what was exported from which blend, with which policy, how
 * instructions are handled, and the accounting of every row.
 *
 * @param format the layout
 * @param blend the blend folder read
 * @param negatives {@code --negatives} (columns of sentence-transformers)
 * @param minNegatives {@code --min-negatives}
 * @param instructions how the layout carries the instructions
 * @param stages per training stage: folder, files and counts
 * @param provenance the blend run: profile, seed, fingerprint, versions of the blend and of the
 *     export
 * @param sources per source: task type, instruction, inputs and license note from the profile
 */
public record ExportManifest(
        @JsonProperty("format") String format,
        @JsonProperty("blend") String blend,
        @JsonProperty("negatives") int negatives,
        @JsonProperty("min_negatives") int minNegatives,
        @JsonProperty("instructions") String instructions,
        @JsonProperty("stages") Map<String, StageExport> stages,
        @JsonProperty("provenance") Map<String, Object> provenance,
        @JsonProperty("sources") Map<String, Map<String, Object>> sources) {

    /** License note of a source whose profile entry has no {@code license} key. */
    static final String LICENSE_UNKNOWN =
            "not recorded in the profile: check the license of the upstream dataset";

    static ExportManifest of(
            ExportRequest request, BlendFolder blend, Map<String, StageExport> stages) {
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("profile", text(blend.manifest().path("profile")));
        provenance.put("seed", blend.manifest().path("seed").asLong());
        provenance.put(
                "blend_fingerprint",
                text(blend.manifest().path(BlendFolder.SECTION).path("fingerprint")));
        provenance.put(
                "blend_finished",
                text(blend.manifest().path(BlendFolder.SECTION).path("finished")));
        provenance.put("blend_versions", blend.manifest().path("versions"));
        provenance.put("export_versions", Versions.all());
        return new ExportManifest(
                request.format().id(),
                request.blend(),
                request.negatives(),
                request.minNegatives(),
                instructions(request.format()),
                stages,
                provenance,
                sources(blend, stages));
    }

    /** The instruction handling of each layout, as stated in the README. */
    static String instructions(ExportFormat format) {
        return switch (format) {
            case HF ->
                    "as in the contract: query_text = 'Instruct: {instruction}\\nQuery: {query}';"
                            + " documents without instruction (document_instruction set for symmetric sources)";
            case SENTENCE_TRANSFORMERS ->
                    "anchor is pre-instructed (query_text: 'Instruct:"
                            + " {instruction}\\nQuery: {query}'); positive and negatives carry no instruction;"
                            + " do not pass prompts to the trainer";
            case FLAGEMBEDDING ->
                    "query without instruction, prompt = 'Instruct: {instruction}\\nQuery: ';"
                            + " train with --query_instruction_format '{}{}' to rebuild the query text";
            case TEVATRON ->
                    "query is pre-instructed (query_text); passages carry no instruction;"
                            + " train without a query prefix";
        };
    }

    /** Every source written in either stage, with what the blend's profile says about it. */
    private static Map<String, Map<String, Object>> sources(
            BlendFolder blend, Map<String, StageExport> stages) {
        TreeSet<String> names = new TreeSet<>();
        stages.values().forEach(s -> names.addAll(s.read().keySet()));
        JsonNode config = blend.manifest().path("config").path("sources");
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (String name : names) {
            JsonNode src = config.path(name);
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("preset", src.has("source") ? text(src.get("source")) : name);
            info.put("inputs", src.path("inputs"));
            info.put("license", src.has("license") ? text(src.get("license")) : LICENSE_UNKNOWN);
            Map<String, Long> rows = new LinkedHashMap<>();
            stages.forEach((stage, s) -> rows.put(stage, s.written().getOrDefault(name, 0L)));
            info.put("rows", rows);
            out.put(name, info);
        }
        return out;
    }

    private static String text(JsonNode node) {
        return node == null || node.isMissingNode() || node.isNull() ? null : node.asText();
    }
}
