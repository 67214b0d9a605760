package io.embedforge.pipeline.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

/**
 * The analyzers BM25 mining may use, by configuration name, and tokenisation with them. Spark
 * computes the global statistics (document lengths, document frequencies) from {@link #terms},
 * which runs exactly the token stream Lucene indexes, so the statistics agree with the index.
 *
 * <p>Runs on executors. Analyzers are thread-safe and kept one per name per JVM (never closed: they
 * hold only thread-local token stream components).
 */
public final class LuceneText {
    /** Lucene's EnglishAnalyzer: standard tokenizer, English stop words, Porter stemming. */
    public static final String ENGLISH = "english";

    /** Lucene's StandardAnalyzer: standard tokenizer and lower-casing, no stop words. */
    public static final String STANDARD = "standard";

    /** The analyzers by configuration name. */
    public static final List<String> NAMES = List.of(ENGLISH, STANDARD);

    /** Field every BM25 index of the pipeline indexes its text under. */
    public static final String FIELD = "text";

    private static final Map<String, Analyzer> ANALYZERS = new ConcurrentHashMap<>();

    private LuceneText() {}

    /** The shared analyzer of this name. */
    public static Analyzer analyzer(String name) {
        return ANALYZERS.computeIfAbsent(name.toLowerCase(Locale.ROOT), LuceneText::create);
    }

    private static Analyzer create(String name) {
        return switch (name) {
            case ENGLISH -> new EnglishAnalyzer();
            case STANDARD -> new StandardAnalyzer();
            default ->
                    throw new IllegalArgumentException(
                            "analyzer=" + name + " is not one of [english, standard]");
        };
    }

    /** Every token the analyzer emits for {@code text} in {@link #FIELD}, in order. */
    public static List<String> terms(String analyzerName, String text) {
        List<String> terms = new ArrayList<>();
        if (text == null) {
            return terms;
        }
        try (TokenStream stream = analyzer(analyzerName).tokenStream(FIELD, text)) {
            CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
            stream.reset();
            while (stream.incrementToken()) {
                terms.add(term.toString());
            }
            stream.end();
        } catch (IOException e) {
            throw new UncheckedIOException("analysing text of " + text.length() + " chars", e);
        }
        return terms;
    }
}
