package io.embedforge.pipeline.bm25;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.QueryBuilder;

/**
 * One shard of the BM25 pool: an in-memory Lucene index of (id, text) pairs, searched with
 * BM25Similarity and the pool's global statistics ({@link GlobalStatsSearcher}).
 *
 * <p>The index is sorted by id and merged to one segment, so Lucene's tie-break among equal scores
 * (lower doc id first) is the id order: the same order the merge of all shards uses, which keeps
 * ties, and so the top-k cut of each shard, independent of how the pool is sharded.
 *
 * <p>Runs on executors, one per shard task; close it when done.
 */
public final class ShardIndex implements Closeable {
    /** Stored and sorted id field. */
    static final String ID_FIELD = "id";

    private static final FieldType TEXT_TYPE = textType();

    private final ByteBuffersDirectory directory;
    private final DirectoryReader reader;
    private final GlobalStatsSearcher searcher;
    private final StoredFields storedFields;
    private final QueryBuilder queryBuilder;

    /** One hit: the text's id and text, and its BM25 score for the query. */
    public record Hit(String id, String text, float score) {}

    private ShardIndex(
            ByteBuffersDirectory directory, String analyzer, float k1, float b, GlobalStats global)
            throws IOException {
        this.directory = directory;
        this.reader = DirectoryReader.open(directory);
        this.searcher = new GlobalStatsSearcher(reader, LuceneText.FIELD, global);
        this.searcher.setSimilarity(new BM25Similarity(k1, b));
        this.storedFields = searcher.storedFields();
        this.queryBuilder = new QueryBuilder(LuceneText.analyzer(analyzer));
    }

    /**
     * Indexes the given {@code [id, text]} pairs.
     *
     * @param docs pairs of id and text; ids must be distinct
     */
    public static ShardIndex build(
            Iterator<String[]> docs, String analyzer, float k1, float b, GlobalStats global)
            throws IOException {
        ByteBuffersDirectory directory = new ByteBuffersDirectory();
        IndexWriterConfig config = new IndexWriterConfig(LuceneText.analyzer(analyzer));
        config.setSimilarity(new BM25Similarity(k1, b));
        config.setIndexSort(new Sort(new SortField(ID_FIELD, SortField.Type.STRING)));
        config.setRAMBufferSizeMB(64);
        try (IndexWriter writer = new IndexWriter(directory, config)) {
            while (docs.hasNext()) {
                String[] doc = docs.next();
                Document d = new Document();
                d.add(new SortedDocValuesField(ID_FIELD, new BytesRef(doc[0])));
                d.add(new StoredField(ID_FIELD, doc[0]));
                d.add(new Field(LuceneText.FIELD, doc[1], TEXT_TYPE));
                writer.addDocument(d);
            }
            writer.forceMerge(1);
            writer.commit();
        }
        return new ShardIndex(directory, analyzer, k1, b, global);
    }

    /** Documents in this shard. */
    public int size() {
        return reader.maxDoc();
    }

    /**
     * The top {@code k} texts of this shard for {@code query}, best first, equal scores by id.
     *
     * @param termStats global {@code (docFreq, totalTermFreq)} of the query's terms
     */
    public List<Hit> search(String query, int k, Map<String, long[]> termStats) throws IOException {
        List<Hit> hits = new ArrayList<>();
        Query q = queryBuilder.createBooleanQuery(LuceneText.FIELD, query);
        if (q == null || k <= 0 || reader.maxDoc() == 0) {
            return hits;
        }
        searcher.setTermStatistics(termStats);
        TopDocs top = searcher.search(q, k);
        for (ScoreDoc sd : top.scoreDocs) {
            Document d = storedFields.document(sd.doc);
            hits.add(new Hit(d.get(ID_FIELD), d.get(LuceneText.FIELD), sd.score));
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
        type.setStored(true);
        type.setOmitNorms(false);
        type.freeze();
        return type;
    }
}
