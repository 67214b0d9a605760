package io.embedforge.train.model;

import java.util.List;

/**
 * The decoder families this implementation loads. Llama and Mistral share the computation that
 * matters here (RMSNorm, RoPE, grouped-query attention without biases, SwiGLU); they differ in
 * config defaults and in what NV-Embed never uses: Mistral's sliding window (4096, never binding at
 * 512 tokens) and Llama's optional tied output embedding (only the language-model head, which an
 * embedding model drops).
 */
public enum DecoderFamily {
    /** Mistral-7B and relatives ({@code MistralForCausalLM}, {@code MistralModel}). */
    MISTRAL("mistral", "MistralForCausalLM", List.of("MistralForCausalLM", "MistralModel")),
    /** Llama and relatives, e.g. SmolLM2 ({@code LlamaForCausalLM}, {@code LlamaModel}). */
    LLAMA("llama", "LlamaForCausalLM", List.of("LlamaForCausalLM", "LlamaModel"));

    private final String modelType;
    private final String architecture;
    private final List<String> architectures;

    DecoderFamily(String modelType, String architecture, List<String> architectures) {
        this.modelType = modelType;
        this.architecture = architecture;
        this.architectures = architectures;
    }

    /** The {@code model_type} of {@code config.json}. */
    public String modelType() {
        return modelType;
    }

    /** The causal-LM class name written to exported configs. */
    public String architecture() {
        return architecture;
    }

    /**
     * The family of a config: by {@code model_type}, else by an {@code architectures} entry.
     *
     * @return the family, or {@code null} if neither names a supported one
     */
    static DecoderFamily of(String modelType, List<String> archs) {
        for (DecoderFamily f : values()) {
            if (f.modelType.equals(modelType)) {
                return f;
            }
        }
        for (DecoderFamily f : values()) {
            if (archs.stream().anyMatch(f.architectures::contains)) {
                return f;
            }
        }
        return null;
    }

    /** What {@link #of} accepts, for error messages. */
    static String allowed() {
        StringBuilder s = new StringBuilder();
        for (DecoderFamily f : values()) {
            s.append(s.isEmpty() ? "" : "; ")
                    .append("model_type=")
                    .append(f.modelType)
                    .append(" or architectures=")
                    .append(f.architectures);
        }
        return s.toString();
    }
}
