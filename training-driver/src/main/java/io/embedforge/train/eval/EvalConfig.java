package io.embedforge.train.eval;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

/**
 * Evaluation sets, read from {@code conf/eval-*.yaml}. Keys are snake_case; an unknown key, a
 * missing required file key or an illegal value is an error naming the file, the set and the key.
 *
 * <p>File paths of a set are relative to {@code data_root}, which is itself relative to the YAML
 * file's folder (so {@code conf/eval-demo.yaml} uses {@code ../test-data} wherever it is run from);
 * {@code eval --data-root} overrides it.
 *
 * @param dataRoot folder the set paths are relative to
 * @param sets the sets, evaluated in this order
 */
public record EvalConfig(String dataRoot, List<SetConfig> sets) {

    /** {@code kind} of an STS set: pairs with gold scores, Spearman. */
    public static final String STS = "sts";

    /** {@code kind} of a retrieval set: corpus, queries, qrels; nDCG@10 and Recall@k. */
    public static final String RETRIEVAL = "retrieval";

    /** {@code kind} of an SNLI set: premise to entailed-hypothesis retrieval from s1/s2/labels. */
    public static final String SNLI = "snli";

    /**
     * {@code kind} of a classification set: logistic regression on frozen embeddings of a sample of
     * the training texts, accuracy and macro F1 on the test texts (MTEB's protocol).
     */
    public static final String CLASSIFICATION = "classification";

    /** {@code kind} of a clustering set: k-means with k = labels, V-measure (MTEB's protocol). */
    public static final String CLUSTERING = "clustering";

    /** The kinds, in documentation order. */
    public static final List<String> KINDS =
            List.of(STS, RETRIEVAL, SNLI, CLASSIFICATION, CLUSTERING);

    /** {@code corpus_format}: BEIR {@code corpus.jsonl} ({@code _id, title, text}). */
    public static final String BEIR_JSONL = "beir_jsonl";

    /** {@code corpus_format}: SciFact HF CSV export ({@code doc_id,title,abstract,...}). */
    public static final String SCIFACT_CSV = "scifact_csv";

    /** {@code queries_format}: {@code qid<TAB>text}, gzip if the name ends in .gz (Anserini). */
    public static final String TSV = "tsv";

    /**
     * {@code qrels_format}: BEIR {@code qrels/*.tsv} with header {@code query-id corpus-id score}.
     */
    public static final String BEIR_TSV = "beir_tsv";

    /** {@code qrels_format}: TREC {@code qid Q0 docid rel}, space separated, no header. */
    public static final String TREC = "trec";

    /** {@code on_bad_record}: stop at the first bad record with file and line. */
    public static final String FAIL = "fail";

    /** {@code on_bad_record}: skip bad records, count them per reason and report them. */
    public static final String SKIP = "skip";

    /**
     * One evaluation set.
     *
     * @param name unique name (table row, eval.json key)
     * @param kind one of {@link #KINDS}
     * @param instruction task instruction for NV-Embed queries (STS: on both sides)
     * @param path STS Benchmark TSV ({@code genre, file, year, id, score, s1, s2[, extra...]}), or
     *     the labelled texts of a clustering set
     * @param corpus retrieval corpus file
     * @param queries retrieval queries file
     * @param qrels retrieval judgements file
     * @param corpusFormat {@link #BEIR_JSONL} (default) or {@link #SCIFACT_CSV}
     * @param queriesFormat {@link #BEIR_JSONL} (default) or {@link #TSV}
     * @param qrelsFormat {@link #BEIR_TSV} (default) or {@link #TREC}
     * @param premises SNLI {@code s1.*}
     * @param hypotheses SNLI {@code s2.*}
     * @param labels SNLI {@code labels.*}
     * @param maxQueries keep the first N judged queries in file order (0 = all)
     * @param maxCorpus corpus cap: every relevant document of the kept queries, then the others in
     *     file order up to N in total (0 = all)
     * @param maxPairs STS: the first N pairs (0 = all)
     * @param onBadRecord {@link #FAIL} (default) or {@link #SKIP}
     * @param train classification: the file the classifier is fitted on (a sample of it)
     * @param test classification: the file scored (clustering reads {@code path})
     * @param texts classification and clustering: how the labelled text files are read
     * @param protocol classification and clustering: repetitions, sample sizes, caps, seed
     */
    public record SetConfig(
            String name,
            String kind,
            String instruction,
            String path,
            String corpus,
            String queries,
            String qrels,
            String corpusFormat,
            String queriesFormat,
            String qrelsFormat,
            String premises,
            String hypotheses,
            String labels,
            Integer maxQueries,
            Integer maxCorpus,
            Integer maxPairs,
            String onBadRecord,
            String train,
            String test,
            LabelledTexts texts,
            Protocol protocol) {

        /** Fills the defaults. */
        public SetConfig {
            corpusFormat = corpusFormat == null ? BEIR_JSONL : corpusFormat;
            queriesFormat = queriesFormat == null ? BEIR_JSONL : queriesFormat;
            qrelsFormat = qrelsFormat == null ? BEIR_TSV : qrelsFormat;
            maxQueries = maxQueries == null ? 0 : maxQueries;
            maxCorpus = maxCorpus == null ? 0 : maxCorpus;
            maxPairs = maxPairs == null ? 0 : maxPairs;
            onBadRecord = onBadRecord == null ? FAIL : onBadRecord;
            protocol = protocol == null ? Protocol.defaults() : protocol;
        }

        /** Whether bad records are skipped (counted) rather than fatal. */
        public boolean skipBad() {
            return SKIP.equals(onBadRecord);
        }

        /** A copy with other caps (tests, quick runs). */
        public SetConfig withCaps(int queries, int corpus, int pairs) {
            return new SetConfig(
                    name,
                    kind,
                    instruction,
                    path,
                    this.corpus,
                    this.queries,
                    qrels,
                    corpusFormat,
                    queriesFormat,
                    qrelsFormat,
                    premises,
                    hypotheses,
                    labels,
                    queries,
                    corpus,
                    pairs,
                    onBadRecord,
                    train,
                    test,
                    texts,
                    protocol);
        }
    }

    /**
     * Reads and checks a YAML file.
     *
     * @throws IOException if the file is missing, a key is unknown or mistyped, or a value is
     *     illegal; the message names the file and the key
     */
    public static EvalConfig read(Path file) throws IOException {
        ObjectMapper yaml =
                new ObjectMapper(new YAMLFactory())
                        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                        .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
                        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        if (!Files.isRegularFile(file)) {
            throw new IOException("eval config " + file + " does not exist");
        }
        EvalConfig c;
        try {
            c = yaml.readValue(file.toFile(), EvalConfig.class);
        } catch (IOException e) {
            throw new IOException("eval config " + file + ": " + e.getMessage(), e);
        }
        try {
            c.check();
        } catch (IllegalArgumentException e) {
            throw new IOException("eval config " + file + ": " + e.getMessage(), e);
        }
        return c;
    }

    /** The data root as given: absolute, or relative to the config file's folder. */
    public Path dataRoot(Path configFile) {
        Path root = Path.of(dataRoot == null ? "." : dataRoot);
        if (root.isAbsolute()) {
            return root;
        }
        Path parent = configFile.toAbsolutePath().getParent();
        return parent.resolve(root).normalize();
    }

    /**
     * Every file the sets read, resolved against {@code root} (what a consumer of the sets, such as
     * the pipeline's decontaminate stage, must fingerprint).
     */
    public List<Path> files(Path root) {
        List<Path> out = new ArrayList<>();
        for (SetConfig s : sets) {
            Stream.of(
                            s.path(),
                            s.corpus(),
                            s.queries(),
                            s.qrels(),
                            s.premises(),
                            s.hypotheses(),
                            s.labels(),
                            s.train(),
                            s.test())
                    .filter(Objects::nonNull)
                    .map(root::resolve)
                    .forEach(out::add);
        }
        return out;
    }

    /**
     * Checks every set.
     *
     * @throws IllegalArgumentException naming the key, the value and what is allowed
     */
    public void check() {
        if (sets == null || sets.isEmpty()) {
            throw new IllegalArgumentException("sets is missing or empty");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < sets.size(); i++) {
            SetConfig s = sets.get(i);
            String at = "sets[" + i + "]";
            if (s == null) {
                throw new IllegalArgumentException(at + " is empty");
            }
            require(s.name(), at + ".name");
            at = at + " (" + s.name() + ")";
            if (!names.add(s.name())) {
                throw new IllegalArgumentException(at + ".name is used twice");
            }
            require(s.instruction(), at + ".instruction");
            oneOf(s.onBadRecord(), at + ".on_bad_record", FAIL, SKIP);
            nonNegative(s.maxQueries(), at + ".max_queries");
            nonNegative(s.maxCorpus(), at + ".max_corpus");
            nonNegative(s.maxPairs(), at + ".max_pairs");
            s.protocol().check(at + ".protocol");
            if (s.kind() == null) {
                throw new IllegalArgumentException(
                        at + ".kind is missing; allowed: " + String.join(", ", KINDS));
            }
            switch (s.kind()) {
                case STS -> require(s.path(), at + ".path");
                case RETRIEVAL -> {
                    require(s.corpus(), at + ".corpus");
                    require(s.queries(), at + ".queries");
                    require(s.qrels(), at + ".qrels");
                    oneOf(s.corpusFormat(), at + ".corpus_format", BEIR_JSONL, SCIFACT_CSV);
                    oneOf(s.queriesFormat(), at + ".queries_format", BEIR_JSONL, TSV);
                    oneOf(s.qrelsFormat(), at + ".qrels_format", BEIR_TSV, TREC);
                }
                case SNLI -> {
                    require(s.premises(), at + ".premises");
                    require(s.hypotheses(), at + ".hypotheses");
                    require(s.labels(), at + ".labels");
                }
                case CLASSIFICATION -> {
                    require(s.test(), at + ".test");
                    if (s.train() == null && s.protocol().fitShare() == 0) {
                        throw new IllegalArgumentException(
                                at
                                        + ".train is missing; give a train file, or"
                                        + " protocol.fit_share in (0, 1) to fit on a seeded share"
                                        + " of the test file");
                    }
                    if (s.train() != null && s.protocol().fitShare() != 0) {
                        throw new IllegalArgumentException(
                                at
                                        + ".protocol.fit_share="
                                        + s.protocol().fitShare()
                                        + " is only for sets without a train file");
                    }
                    checkLabelled(s.texts(), at + ".texts");
                }
                case CLUSTERING -> {
                    require(s.path(), at + ".path");
                    checkLabelled(s.texts(), at + ".texts");
                }
                default ->
                        throw new IllegalArgumentException(
                                at
                                        + ".kind="
                                        + s.kind()
                                        + " is not one of "
                                        + String.join(", ", KINDS));
            }
        }
    }

    private static void checkLabelled(LabelledTexts t, String at) {
        if (t == null) {
            throw new IllegalArgumentException(
                    at + " is missing (format, text_field, label_field)");
        }
        oneOf(t.format(), at + ".format", LabelledTexts.FORMATS.toArray(String[]::new));
        if (t.textField() == null || t.textField().isEmpty()) {
            throw new IllegalArgumentException(at + ".text_field is missing");
        }
        t.textField().forEach(f -> require(f, at + ".text_field"));
        require(t.labelField(), at + ".label_field");
        if (t.labelPattern() != null) {
            try {
                if (Pattern.compile(t.labelPattern()).matcher("").groupCount() < 1) {
                    throw new IllegalArgumentException(
                            at + ".label_pattern=" + t.labelPattern() + " has no group");
                }
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(
                        at + ".label_pattern=" + t.labelPattern() + ": " + e.getDescription(), e);
            }
        }
    }

    private static void require(String value, String key) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + " is missing");
        }
    }

    private static void nonNegative(int value, String key) {
        if (value < 0) {
            throw new IllegalArgumentException(key + "=" + value + " must be >= 0 (0 = no cap)");
        }
    }

    private static void oneOf(String value, String key, String... allowed) {
        for (String a : allowed) {
            if (a.equals(value)) {
                return;
            }
        }
        throw new IllegalArgumentException(
                key + "=" + value + " is not one of " + String.join(", ", allowed));
    }
}
