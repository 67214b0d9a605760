package io.embedforge.pipeline.bm25;

import io.embedforge.pipeline.common.LuceneText;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
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
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.CollectionStatistics;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.HitQueue;
import org.apache.lucene.search.LeafSimScorer;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermStatistics;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.search.similarities.Similarity;
import org.apache.lucene.store.ByteBuffersDataOutput;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.SingleInstanceLockFactory;
import org.apache.lucene.util.BytesRef;

/**
 * One shard of the BM25 pool: an in-memory Lucene index of (id, text) pairs, searched with
 * BM25Similarity and the pool's global statistics.
 *
 * <p>A shard answers every query of the pool, and the queries share most of their terms, so it
 * scores term-at-a-time with Lucene's own pieces and keeps the result per term: the first query
 * with a term reads the term's postings from the shard, scores each posting once with the {@link
 * BM25Similarity} scorer built from the pool's global {@link CollectionStatistics} and the term's
 * global {@link TermStatistics} (and the document's norm, through {@link LeafSimScorer}), and keeps
 * (doc, score) arrays; every query then only adds the kept scores of its terms. Going through an
 * {@code IndexSearcher} instead costs a query rewrite, a weight, a scorer per term and a collector
 * per query and shard, which does not shrink with the shard: with small shards it was most of the
 * time. The scores are those of the query Lucene's {@code QueryBuilder} builds from the same tokens
 * (one SHOULD term clause per token): its rewrite folds a repeated term into one clause boosted by
 * the repeat count, which is the boost its scorer is built with here, and the disjunction sums the
 * clause scores in double and rounds the sum to float, as here. The order of the sum differs from
 * Lucene's, which cannot change it while a double holds it exactly (largest to smallest clause
 * score of a query below about 2^20, for up to a few hundred distinct terms). Collection and term
 * statistics are global, so a document's score does not depend on the shard holding it.
 *
 * <p>The index is sorted by id and merged to one segment, so Lucene's tie-break among equal scores
 * (lower doc id first, {@link HitQueue}) is the id order: the same order the merge of all shards
 * uses, which keeps ties, and so the top-k cut of each shard, independent of how the pool is
 * sharded.
 *
 * <p>Runs on executors, one per shard task; not thread-safe; close it when done. Memory: besides
 * the index, the scored postings of every distinct query term seen (8 bytes per posting, at most
 * the shard's postings once per distinct repeat count of a term) and one double and one int per
 * document.
 */
public final class ShardIndex implements Closeable {
    /** Sorted id field (doc values only). */
    static final String ID_FIELD = "id";

    private static final FieldType TEXT_TYPE = textType();

    private final ByteBuffersDirectory directory;
    private final DirectoryReader reader;
    private final BM25Similarity similarity;
    private final CollectionStatistics collection;
    private final String[] ids;
    private final String[] texts;
    private final Map<Clause, ScoredPostings> scored = new HashMap<>();

    /** Score sum of each document for the query being searched, valid where its mark is set. */
    private final double[] sums;

    /** Number of the query that last touched each document (0: none yet). */
    private final int[] marks;

    /** Documents the query being searched matched, in the order they were first seen. */
    private final int[] matched;

    private int queryNumber;

    /** One hit: the text's id and text, and its BM25 score for the query. */
    public record Hit(String id, String text, float score) {}

    /** A term clause of a query: the term and its boost (the times the query repeats it). */
    private record Clause(String term, float boost) {}

    /** A term's matching documents (increasing) and their BM25 scores for one clause. */
    private record ScoredPostings(int[] docs, float[] scores) {
        static final ScoredPostings NONE = new ScoredPostings(new int[0], new float[0]);
    }

    private ShardIndex(
            ByteBuffersDirectory directory,
            String[] ids,
            String[] texts,
            float k1,
            float b,
            GlobalStats global)
            throws IOException {
        this.directory = directory;
        this.ids = ids;
        this.texts = texts;
        this.reader = DirectoryReader.open(directory);
        this.similarity = new BM25Similarity(k1, b);
        this.collection = global.toLucene(LuceneText.FIELD);
        this.sums = new double[reader.maxDoc()];
        this.marks = new int[reader.maxDoc()];
        this.matched = new int[reader.maxDoc()];
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
        return new ShardIndex(directory, ids, texts, k1, b, global);
    }

    /**
     * An empty in-memory directory that keeps each file as one byte array. Lucene clones an index
     * input for every term lookup and postings enum, and cloning a file of the default {@code
     * ByteBuffersDirectory} (many small buffers) duplicates every buffer.
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
     * The top {@code k} texts of this shard for the query of analysed {@code terms} (one SHOULD
     * term clause per token, as Lucene's {@code QueryBuilder} builds it), best first, equal scores
     * by id.
     *
     * @param termStats global {@code (docFreq, totalTermFreq)} of the query's terms; the same for
     *     every query (they are the pool's), so the first query with a term fixes its scores
     */
    public List<Hit> search(List<String> terms, int k, Map<String, long[]> termStats)
            throws IOException {
        List<Hit> hits = new ArrayList<>();
        if (terms.isEmpty() || k <= 0 || reader.maxDoc() == 0) {
            return hits;
        }
        Map<String, Integer> repeats = new LinkedHashMap<>();
        for (String t : terms) {
            repeats.merge(t, 1, Integer::sum);
        }
        int query = ++queryNumber;
        int matchCount = 0;
        for (Map.Entry<String, Integer> e : repeats.entrySet()) {
            Clause clause = new Clause(e.getKey(), e.getValue().floatValue());
            ScoredPostings postings = scored.get(clause);
            if (postings == null) {
                postings = score(clause, termStats.get(clause.term()));
                scored.put(clause, postings);
            }
            int[] docs = postings.docs();
            float[] scores = postings.scores();
            for (int i = 0; i < docs.length; i++) {
                int doc = docs[i];
                if (marks[doc] != query) {
                    marks[doc] = query;
                    sums[doc] = 0;
                    matched[matchCount++] = doc;
                }
                sums[doc] += scores[i];
            }
        }
        for (ScoreDoc sd : top(matchCount, k)) {
            hits.add(new Hit(ids[sd.doc], texts[sd.doc], sd.score));
        }
        return hits;
    }

    /**
     * The best {@code k} of the {@code matchCount} matched documents, best first: Lucene's {@link
     * HitQueue} order (score desc, then doc id), filled as {@code TopScoreDocCollector} fills it.
     * The matched documents are not in doc id order, so an equal score with a lower doc id also
     * enters the queue.
     */
    private ScoreDoc[] top(int matchCount, int k) {
        if (matchCount == 0) {
            return new ScoreDoc[0];
        }
        int size = Math.min(k, matchCount);
        HitQueue queue = new HitQueue(size, true);
        ScoreDoc least = queue.top();
        for (int i = 0; i < matchCount; i++) {
            int doc = matched[i];
            float score = (float) sums[doc];
            if (score > least.score || (score == least.score && doc < least.doc)) {
                least.doc = doc;
                least.score = score;
                least = queue.updateTop();
            }
        }
        ScoreDoc[] top = new ScoreDoc[size];
        for (int i = size - 1; i >= 0; i--) {
            top[i] = queue.pop();
        }
        return top;
    }

    /**
     * The clause's postings in this shard, each scored as Lucene's {@code TermQuery} weight scores
     * it: {@link BM25Similarity#scorer} with the clause's boost and the global statistics, applied
     * to the posting's frequency and the document's norm by {@link LeafSimScorer}.
     *
     * @param global global {@code (docFreq, totalTermFreq)} of the term, or null if unknown
     */
    private ScoredPostings score(Clause clause, long[] global) throws IOException {
        Term term = new Term(LuceneText.FIELD, clause.term());
        int docFreq = reader.docFreq(term);
        if (docFreq == 0) {
            return ScoredPostings.NONE;
        }
        if (global == null) {
            throw new IllegalStateException(
                    "no global statistics for term '"
                            + clause.term()
                            + "' held by this shard (docFreq="
                            + docFreq
                            + "): the statistics were computed with another analyzer");
        }
        Similarity.SimScorer scorer =
                similarity.scorer(
                        clause.boost(),
                        collection,
                        new TermStatistics(term.bytes(), global[0], global[1]));
        int[] docs = new int[docFreq];
        float[] scores = new float[docFreq];
        int n = 0;
        for (LeafReaderContext leaf : reader.leaves()) {
            PostingsEnum postings = leaf.reader().postings(term, PostingsEnum.FREQS);
            if (postings == null) {
                continue;
            }
            LeafSimScorer leafScorer =
                    new LeafSimScorer(scorer, leaf.reader(), LuceneText.FIELD, true);
            for (int doc = postings.nextDoc();
                    doc != DocIdSetIterator.NO_MORE_DOCS;
                    doc = postings.nextDoc()) {
                docs[n] = leaf.docBase + doc;
                scores[n] = leafScorer.score(doc, postings.freq());
                n++;
            }
        }
        return new ScoredPostings(docs, scores);
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
