package io.embedforge.train.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Parsing of {@code config.json}: both rope layouts, and rejection of what is not implemented. */
class MistralConfigTest {

    static final String BASE =
            "\"model_type\":\"mistral\",\"hidden_size\":64,\"intermediate_size\":128,"
                    + "\"num_hidden_layers\":2,\"num_attention_heads\":4,"
                    + "\"num_key_value_heads\":2,\"vocab_size\":100";

    static MistralConfig parse(String extra) {
        return MistralConfig.parse("{" + BASE + (extra.isEmpty() ? "" : "," + extra) + "}");
    }

    static void assertRejected(String extra, String... parts) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> parse(extra));
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
        }
    }

    @Test
    void ropeThetaFromTopLevelOrDefault() {
        assertEquals(1e6, parse("\"rope_theta\":1000000.0").ropeTheta());
        assertEquals(10000.0, parse("").ropeTheta());
    }

    /** transformers 5 saves {@code rope_parameters} and no top-level {@code rope_theta}. */
    @Test
    void ropeThetaFromTransformers5RopeParameters() {
        assertEquals(
                100000.0,
                parse("\"rope_parameters\":{\"rope_theta\":100000.0,\"rope_type\":\"default\"}")
                        .ropeTheta());
        assertEquals(
                5e5,
                parse("\"rope_parameters\":{\"rope_theta\":5e5},\"rope_scaling\":null")
                        .ropeTheta());
    }

    @Test
    void ropeTypesThatAreNotImplementedAreRejected() {
        assertRejected(
                "\"rope_parameters\":{\"rope_theta\":5e5,\"rope_type\":\"llama3\",\"factor\":8}",
                "rope_parameters.rope_type=llama3",
                "allowed: default");
        assertRejected(
                "\"rope_theta\":1e4,\"rope_scaling\":{\"type\":\"linear\",\"factor\":2.0}",
                "rope_scaling.type=linear",
                "allowed: default");
        assertRejected(
                "\"rope_theta\":1e4,\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":4}",
                "rope_scaling.rope_type=yarn");
        assertRejected("\"rope_parameters\":5", "rope_parameters must be a JSON object");
        assertRejected(
                "\"rope_theta\":1e4,\"rope_parameters\":{\"rope_theta\":5e5}",
                "rope_theta=10000.0",
                "rope_parameters.rope_theta=500000.0",
                "disagree");
    }

    @Test
    void llamaFamilyAndWhatItDoesNotImplement() {
        String llama =
                "\"architectures\":[\"LlamaModel\"],\"hidden_size\":64,"
                        + "\"intermediate_size\":128,\"num_hidden_layers\":2,"
                        + "\"num_attention_heads\":4,\"vocab_size\":100";
        MistralConfig c =
                MistralConfig.parse(
                        "{" + llama + ",\"tie_word_embeddings\":true," + "\"eos_token_id\":[2,3]}");
        assertEquals(DecoderFamily.LLAMA, c.family());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(2, c.eosTokenId());
        assertTrue(c.toJson().contains("\"LlamaForCausalLM\""), c.toJson());
        assertEquals(c, MistralConfig.parse(c.toJson()));
        assertEquals(DecoderFamily.MISTRAL, parse("").family());
        assertRejected("\"attention_bias\":true", "attention_bias=true is not implemented");
        assertRejected("\"mlp_bias\":true", "mlp_bias=true is not implemented");
        assertRejected("\"hidden_act\":\"gelu\"", "hidden_act=gelu is not implemented");
    }
}
