package io.embedforge.encoder;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the per-token hidden states of a text become one vector. E5 and most sentence encoders use
 * {@link #MEAN} (average over the non-padding tokens); BERT-style classifiers use {@link #CLS};
 * decoder-only embedders (E5-Mistral, NV-Embed without its latent head) use {@link #LAST_TOKEN}.
 */
public enum Pooling {
    /** Average of the hidden states under the attention mask. */
    MEAN,
    /** Hidden state of the first token. */
    CLS,
    /** Hidden state of the last non-padding token (batches are right-padded). */
    LAST_TOKEN;

    /** Config spelling: {@code mean}, {@code cls}, {@code last_token}. */
    @JsonValue
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the config spelling, with an error naming the allowed values. */
    @JsonCreator
    public static Pooling of(String key) {
        for (Pooling p : values()) {
            if (p.key().equals(key)) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "encoder.pooling="
                        + key
                        + " must be one of "
                        + Arrays.stream(values()).map(Pooling::key).collect(Collectors.toList()));
    }
}
