package io.embedforge.pipeline.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.embedforge.pipeline.config.InputSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OrderedTest {
    @Test
    void copiesIterateInKeyOrderWhateverTheSource() {
        Map<String, String> source = new HashMap<>();
        for (String k : List.of("text", "label", "title", "_id", "score")) {
            source.put(k, k.toUpperCase());
        }
        assertEquals(
                List.of("_id", "label", "score", "text", "title"),
                List.copyOf(Ordered.map(source).keySet()));
        assertEquals(List.of("a", "b", "c"), List.copyOf(Ordered.set(Set.of("c", "a", "b"))));
        assertThrows(UnsupportedOperationException.class, () -> Ordered.map(source).put("x", "y"));
    }

    @Test
    void inputFieldsIterateInKeyOrder() {
        Map<String, String> fields = Map.of("text", "t", "label", "l", "label_text", "lt");
        InputSpec spec = new InputSpec(InputSpec.RECORDS, null, List.of(), Map.of(), null, fields);
        assertEquals(List.of("label", "label_text", "text"), List.copyOf(spec.fields().keySet()));
    }
}
