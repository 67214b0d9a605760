package io.embedforge.pipeline.blend;

import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.config.SourceConfig;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code blend} needs of a source's config: its task type and instructions. Built on the
 * driver from the profile; the table of these rows is broadcast-joined to the examples.
 *
 * @param source instance name
 * @param taskType {@code retrieval}, {@code classification}, {@code clustering}, {@code sts}
 * @param instruction task definition of queries
 * @param p2pInstruction task definition of P2P clustering queries (abstracts), from {@code
 *     params.p2p_instruction}; null = {@code instruction}
 * @param symmetric whether documents carry the instruction too
 */
public record SourceInfo(
        String source,
        String taskType,
        String instruction,
        String p2pInstruction,
        boolean symmetric)
        implements Serializable {

    /** Key of {@link SourceConfig#params()} holding the P2P clustering instruction. */
    public static final String P2P_INSTRUCTION = "p2p_instruction";

    public SourceInfo {
        if (instruction == null || instruction.isBlank()) {
            throw new IllegalArgumentException(
                    "blend: source " + source + " has no instruction (key instruction)");
        }
    }

    /** One entry per source instance of the profile. */
    public static Map<String, SourceInfo> of(PipelineConfig config) {
        Map<String, SourceInfo> m = new LinkedHashMap<>();
        for (SourceConfig s : config.sources()) {
            Object p2p = s.params().get(P2P_INSTRUCTION);
            m.put(
                    s.name(),
                    new SourceInfo(
                            s.name(),
                            s.taskType().configName(),
                            s.instruction(),
                            p2p == null ? null : p2p.toString(),
                            s.symmetric()));
        }
        return m;
    }
}
