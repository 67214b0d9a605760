package io.embedforge.pipeline.bm25;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TermStates;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDataOutput;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.SingleInstanceLockFactory;
import org.apache.lucene.util.BytesRef;

/**
 * One shard of the BM25 pool: an in-memory Lucene index of (id, text) pairs, searched with
 * BM25Similarity and the pool's global statistics ({@link GlobalStatsSearcher}).
 *
 * <p>The index is sorted by id and merged to one segment, so Lucene's tie-break among equal scores
 * (lower doc id first) is the id order: the same order the merge of all shards uses, which keeps
 * ties, and so the top-k cut of each shard, independent of how the pool is sharded.
 *
 * <p>Runs on executors, one per shard task; not thread-safe (it keeps the term dictionary entry of
 * every query term seen, one small object per distinct term); close it when done.
 */
public final class ShardIndex implements Closeable {
    /** Sorted id field (doc values only). */
    static final String ID_FIELD = "id";

    private static final FieldType TEXT_TYPE = textType();

    private final ByteBuffersDirectory directory;
    private final DirectoryReader reader;
    private final GlobalStatsSearcher searcher;
    private final String[] ids;
    private final String[] texts;
    private final Map<String, TermStates> termStates = new HashMap<>();

    /** One hit: the text's id and text, and its BM25 score for the query. */
    public record Hit(String id, String text, float score) {}

    private ShardIndex(
            ByteBuffersDirectory directory,
            String[] ids,
            String[] texts,
            String analyzer,
            float k1,
            float b,
            GlobalStats global)
            throws IOException {
        this.directory = directory;
        this.ids = ids;
        this.texts = texts;
        this.reader = DirectoryReader.open(directory);
        this.searcher = new GlobalStatsSearcher(reader, LuceneText.FIELD, global);
        this.searcher.setSimilarity(new BM25Similarity(k1, b));
    }

    /**
     * Indexes the given {@code [id, text]} pairs.
     *
     * @param docs pairs of id and text; ids must be distinct. The shard is held in memory.
     */
    public static ShardIndex build(
            Iterator<String[]> docs, String analyzer, float k1, float b, GlobalStats global)
            throws IOException {
        List<String[]> sorted = new ArrayList<>();
        docs.forEachRemaining(sorted::add);
        sorted.sort(Comparator.comparing((String[] d) -> new BytesRef(d[0])));
        String[] ids = new String[sorted.size()];
        String[] texts = new String[sorted.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = sorted.get(i)[0];
            texts[i] = sorted.get(i)[1];
        }
        ByteBuffersDirectory directory = directory();
        IndexWriterConfig config = new IndexWriterConfig(LuceneText.analyzer(analyzer));
        config.setSimilarity(new BM25Similarity(k1, b));
        config.setIndexSort(new Sort(new SortField(ID_FIELD, SortField.Type.STRING)));
        config.setRAMBufferSizeMB(64);
        try (IndexWriter writer = new IndexWriter(directory, config)) {
            for (int i = 0; i < ids.length; i++) {
                Document d = new Document();
                d.add(new SortedDocValuesField(ID_FIELD, new BytesRef(ids[i])));
                d.add(new Field(LuceneText.FIELD, texts[i], TEXT_TYPE));
                writer.addDocument(d);
            }
            writer.forceMerge(1);
            writer.commit();
        }
        return new ShardIndex(directory, ids, texts, analyzer, k1, b, global);
    }

    /**
     * An empty in-memory directory that keeps each file as one byte array. Lucene clones an index
     * input for every term lookup and postings enum of a query, and cloning a file of the default
     * {@code ByteBuffersDirectory} (many small buffers) duplicates every buffer: with small shards,
     * that was most of the per-shard cost of a query.
     */
    static ByteBuffersDirectory directory() {
        return new ByteBuffersDirectory(
                new SingleInstanceLockFactory(),
                ByteBuffersDataOutput::new,
                ByteBuffersDirectory.OUTPUT_AS_BYTE_ARRAY);
    }

    /** Documents in this shard. */
    public int size() {
        return reader.maxDoc();
    }

    /**
     * The BM25 query of analysed (non-empty) terms: what Lucene's {@code
     * QueryBuilder.createBooleanQuery} builds from the same token stream (one SHOULD term clause
     * per token, repeats included; a single token is a term query). Each term query carries this
     * shard's {@link TermStates} of its term, looked up in the term dictionary once per shard and
     * term rather than once per query and term: the queries of a pool share most of their terms.
     */
    private Query query(List<String> terms) throws IOException {
        if (terms.size() == 1) {
            return termQuery(terms.get(0));
        }
        BooleanQuery.Builder builder = new BooleanQuery.Builder();
        for (String t : terms) {
            builder.add(termQuery(t), BooleanClause.Occur.SHOULD);
        }
        return builder.build();
    }

    private TermQuery termQuery(String text) throws IOException {
        Term term = new Term(LuceneText.FIELD, text);
        TermStates states = termStates.get(text);
        if (states == null) {
            states = TermStates.build(searcher, term, true);
            termStates.put(text, states);
        }
        return new TermQuery(term, states);
    }

    /**
     * The top {@code k} texts of this shard for the query of analysed {@code terms} (one SHOULD
     * term clause per token, as Lucene's {@code QueryBuilder} builds it), best first, equal scores
     * by id.
     *
     * @param termStats global {@code (docFreq, totalTermFreq)} of the query's terms
     */
    public List<Hit> search(List<String> terms, int k, Map<String, long[]> termStats)
            throws IOException {
        List<Hit> hits = new ArrayList<>();
        if (terms.isEmpty() || k <= 0 || reader.maxDoc() == 0) {
            return hits;
        }
        searcher.setTermStatistics(termStats);
        TopDocs top = searcher.search(query(terms), k);
        for (ScoreDoc sd : top.scoreDocs) {
            hits.add(new Hit(ids[sd.doc], texts[sd.doc], sd.score));
        }
        return hits;
    }

    @Override
    public void close() throws IOException {
        try {
            reader.close();
        } finally {
            directory.close();
        }
    }

    private static FieldType textType() {
        FieldType type = new FieldType();
        type.setIndexOptions(IndexOptions.DOCS_AND_FREQS);
        type.setTokenized(true);
        type.setStored(false);
        type.setOmitNorms(false);
        type.freeze();
        return type;
    }
}
