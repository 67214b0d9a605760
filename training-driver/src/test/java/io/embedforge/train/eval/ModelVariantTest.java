package io.embedforge.train.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.embedforge.settings.BadInputException;
import io.embedforge.train.ModelVariant;
import io.embedforge.train.NoGrad;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.model.AttentionMaskMode;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.model.PoolingMode;
import io.embedforge.train.tokenize.EmbeddingInput;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import io.embedforge.train.tokenize.TokenBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The untrained tiny model (conf/train-tiny.yaml) under the ablation's masks and pooling heads, as
 * {@code eval --variants} and {@code ablate} build it.
 */
class ModelVariantTest {

    static final List<String> DOCS =
            List.of(
                    "the cat sat on the mat",
                    "a short one",
                    "stock markets fell sharply on tuesday after the report");

    static TrainConfig tiny() throws IOException {
        return TrainConfig.read(Path.of("..", "conf", "train-tiny.yaml"));
    }

    static float[][] embed(NDManager m, TrainConfig c, ModelVariant v, List<String> docs)
            throws IOException {
        NvEmbedModel model = Trainer.buildModel(m, c, v);
        try (NvEmbedTokenizer tok = Trainer.tokenizer(c)) {
            return new NvEmbedEmbedder(model, tok, m, 2).embedDocuments(docs);
        }
    }

    static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    @Test
    void causalAndBidirectionalGiveDifferentEmbeddingsForEveryPooling() throws IOException {
        TrainConfig c = tiny();
        try (NDManager m = NDManager.newBaseManager()) {
            for (PoolingMode p : PoolingMode.values()) {
                float[][] causal = embed(m, c, new ModelVariant(AttentionMaskMode.CAUSAL, p), DOCS);
                float[][] bidi =
                        embed(m, c, new ModelVariant(AttentionMaskMode.BIDIRECTIONAL, p), DOCS);
                for (int i = 0; i < DOCS.size(); i++) {
                    assertTrue(maxDiff(causal[i], bidi[i]) > 1e-3, p + " " + DOCS.get(i));
                }
            }
        }
    }

    /** Causal: a position's state ignores every later token; bidirectional: it does not. */
    @Test
    void causalMaskHidesLaterTokens() throws IOException {
        TrainConfig c = tiny();
        long[] a = {101, 2000, 2001, 2002, 102};
        long[] b = {101, 2000, 2001, 3000, 102};
        try (NDManager m = NDManager.newBaseManager();
                NoGrad g = NoGrad.enter()) {
            for (AttentionMaskMode mode : AttentionMaskMode.values()) {
                NvEmbedModel model =
                        Trainer.buildModel(m, c, new ModelVariant(mode, PoolingMode.MEAN));
                float[] ha = hidden(m, model, a);
                float[] hb = hidden(m, model, b);
                int dim = ha.length / a.length;
                double prefix = 0;
                for (int i = 0; i < 3 * dim; i++) {
                    prefix = Math.max(prefix, Math.abs(ha[i] - hb[i]));
                }
                if (mode == AttentionMaskMode.CAUSAL) {
                    assertTrue(prefix < 1e-5, "causal prefix changed by " + prefix);
                } else {
                    assertTrue(prefix > 1e-3, "bidirectional prefix unchanged: " + prefix);
                }
            }
        }
    }

    private static float[] hidden(NDManager m, NvEmbedModel model, long[] ids) {
        Shape s = new Shape(1, ids.length);
        long[] ones = new long[ids.length];
        java.util.Arrays.fill(ones, 1);
        return model.decoder()
                .forward(
                        new ParameterStore(m, false),
                        new NDList(m.create(ids, s), m.create(ones, s)),
                        false)
                .singletonOrThrow()
                .toFloatArray();
    }

    /**
     * Mean pooling of the untrained model is the average of the decoder's last hidden states over
     * the pooled tokens (not BOS, not the instruction, not padding), L2-normalised, computed here
     * by hand; last-token pooling is the state of the last non-padding token ({@code EOS}).
     */
    @Test
    void meanAndEosPoolingEqualAHandComputation() throws IOException {
        TrainConfig c = tiny();
        List<EmbeddingInput> in =
                List.of(
                        EmbeddingInput.query("Retrieve similar text.", DOCS.get(0)),
                        EmbeddingInput.document(DOCS.get(1)),
                        EmbeddingInput.document(DOCS.get(2)));
        try (NDManager m = NDManager.newBaseManager();
                NvEmbedTokenizer tok = Trainer.tokenizer(c);
                NoGrad g = NoGrad.enter()) {
            TokenBatch t = tok.encode(in);
            for (PoolingMode p : List.of(PoolingMode.MEAN, PoolingMode.LAST_TOKEN)) {
                NvEmbedModel model =
                        Trainer.buildModel(m, c, new ModelVariant(AttentionMaskMode.CAUSAL, p));
                NDList x = t.toNDList(m);
                float[] h =
                        model.decoder()
                                .forward(
                                        new ParameterStore(m, false),
                                        new NDList(x.get(0), x.get(1)),
                                        false)
                                .singletonOrThrow()
                                .toFloatArray();
                float[] got =
                        model.forward(new ParameterStore(m, false), x, false)
                                .singletonOrThrow()
                                .toFloatArray();
                int dim = got.length / t.batch();
                for (int r = 0; r < t.batch(); r++) {
                    float[] want = byHand(h, t, r, dim, p == PoolingMode.MEAN);
                    float[] row = java.util.Arrays.copyOfRange(got, r * dim, (r + 1) * dim);
                    assertArrayEquals(want, row, 1e-5f, p + " row " + r);
                }
            }
        }
    }

    private static float[] byHand(float[] h, TokenBatch t, int r, int dim, boolean mean) {
        double[] v = new double[dim];
        int n = 0;
        int last = -1;
        for (int pos = 0; pos < t.length(); pos++) {
            int at = r * t.length() + pos;
            if (t.attentionMask()[at] == 1) {
                last = pos;
            }
            if (mean && t.poolingMask()[at] == 1) {
                n++;
                for (int d = 0; d < dim; d++) {
                    v[d] += h[(at) * dim + d];
                }
            }
        }
        if (!mean) {
            n = 1;
            for (int d = 0; d < dim; d++) {
                v[d] = h[(r * t.length() + last) * dim + d];
            }
        }
        double norm = 0;
        for (int d = 0; d < dim; d++) {
            v[d] /= n;
            norm += v[d] * v[d];
        }
        float[] out = new float[dim];
        for (int d = 0; d < dim; d++) {
            out[d] = (float) (v[d] / Math.sqrt(norm));
        }
        return out;
    }

    @Test
    void variantNamesRoundTripAndBadNamesSayWhatIsAllowed() {
        for (AttentionMaskMode mask : AttentionMaskMode.values()) {
            for (PoolingMode p : PoolingMode.values()) {
                ModelVariant v = new ModelVariant(mask, p);
                assertEquals(v, ModelVariant.parse("--variants", v.name()));
            }
        }
        assertEquals("bidirectional-latent", ModelVariant.NV_EMBED.name());
        BadInputException e =
                assertThrows(
                        BadInputException.class,
                        () -> ModelVariant.parse("--variants", "causal-cls"));
        assertEquals(
                "--variants pooling=cls is not allowed; allowed: latent, mean, eos",
                e.getMessage());
        e =
                assertThrows(
                        BadInputException.class,
                        () -> ModelVariant.parse("--variants", "sideways-mean"));
        assertEquals(
                "--variants mask=sideways is not allowed; allowed: bidirectional, causal",
                e.getMessage());
        e = assertThrows(BadInputException.class, () -> ModelVariant.parse("--variants", "mean"));
        assertTrue(e.getMessage().startsWith("--variants=mean is not <mask>-<pooling>"));
    }
}
