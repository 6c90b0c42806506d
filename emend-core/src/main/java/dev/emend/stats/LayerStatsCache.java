package dev.emend.stats;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.EmendException;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLayout;
import dev.emend.tensor.SafeTensors;
import dev.emend.tensor.StorageType;
import dev.emend.tensor.Tensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Layer statistics cached on disk under an explicit key: a hash of the weights that feed the key (embeddings, the
 * blocks below, and the edited block up to its MLP input), the layer, the corpus name and content hash, the sample
 * count and the dtype. Edits of the out-projection being rewritten do not change the key (they do not change the
 * keys it reads); edits of lower layers do. Files are safetensors with the key in the metadata, written atomically.
 */
public final class LayerStatsCache {
    private static final Logger LOG = LoggerFactory.getLogger(LayerStatsCache.class);

    private final Path dir;

    /**
     * The identity of one statistic.
     *
     * @param model the model folder's name (display only; the weights hash identifies the model)
     * @param weights hex hash of the weights that feed the key
     * @param layer block index
     * @param corpus corpus name
     * @param corpusHash hex hash of the documents read
     * @param samples documents read
     * @param dtype accumulation type
     */
    public record Key(String model, String weights, int layer, String corpus, String corpusHash, int samples,
            String dtype) {
        /** @return the file name inside the cache folder */
        public String fileName() {
            return "%s/%s_stats/L%d_%s_mom2_%d_%s.safetensors".formatted(safe(model), safe(corpus), layer, dtype, samples,
                    weights.substring(0, 12) + "-" + corpusHash.substring(0, 8));
        }

        Map<String, String> metadata() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("emend.stats", "mom2");
            m.put("model", model);
            m.put("weights_sha256", weights);
            m.put("layer", Integer.toString(layer));
            m.put("corpus", corpus);
            m.put("corpus_sha256", corpusHash);
            m.put("samples", Integer.toString(samples));
            m.put("dtype", dtype);
            return m;
        }

        private static String safe(String s) {
            return s.replaceAll("[^A-Za-z0-9._-]", "_");
        }
    }

    /** @param dir the cache folder (created on first write) */
    public LayerStatsCache(Path dir) {
        this.dir = dir;
    }

    /** @return the cache folder */
    public Path dir() {
        return dir;
    }

    /**
     * Returns the cached statistic, computing and storing it first if absent.
     *
     * @param model the model
     * @param layer block index
     * @param corpus the documents
     * @param samples documents to read
     * @param dtype "float32" or "float64"
     * @param progress receives documents read while computing (may be null)
     * @return the statistic
     */
    public SecondMoment secondMoment(LanguageModel model, int layer, TextCorpus corpus, int samples, String dtype,
            IntConsumer progress) {
        LayerStatsCollector.accumulationType(dtype);
        int n = Math.min(samples, corpus.size());
        Key key = new Key(model.source() == null ? "model" : String.valueOf(model.source().getFileName()),
                weightsHash(model, layer), layer, corpus.name(), corpus.fingerprint(n), n, dtype);
        Path file = dir.resolve(key.fileName());
        if (Files.isRegularFile(file)) {
            SecondMoment cached = read(file, key);
            if (cached != null) {
                LOG.info("layer statistics from {}", file);
                return cached;
            }
        }
        SecondMoment m = new LayerStatsCollector(model).collect(layer, corpus, n, dtype, progress);
        write(file, key, m);
        return m;
    }

    private static SecondMoment read(Path file, Key key) {
        SafeTensors.Header h = SafeTensors.readHeader(file);
        Map<String, String> md = h.metadata();
        for (Map.Entry<String, String> e : key.metadata().entrySet()) {
            if (!e.getValue().equals(md.get(e.getKey()))) {
                LOG.warn("{} has {}={}, expected {}; recomputing", file, e.getKey(), md.get(e.getKey()), e.getValue());
                return null;
            }
        }
        SafeTensors.TensorInfo t = h.find("mom2.sum");
        if (t == null || t.type() != StorageType.F32 || t.shape().length != 2 || t.shape()[0] != t.shape()[1]) {
            LOG.warn("{} holds no [F,F] float32 mom2.sum; recomputing", file);
            return null;
        }
        int f = (int) t.shape()[0];
        float[] sum = new float[f * f];
        SafeTensors.map(h, t).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(sum);
        return new SecondMoment(key.layer(), f, Long.parseLong(md.get("count")), Integer.parseInt(md.get("documents")),
                sum, key.dtype());
    }

    private static void write(Path file, Key key, SecondMoment m) {
        Map<String, String> md = key.metadata();
        md.put("count", Long.toString(m.count()));
        md.put("documents", Integer.toString(m.documents()));
        try (NDManager mgr = NDManager.newBaseManager()) {
            Files.createDirectories(file.getParent());
            NDArray sum = Tensors.create(mgr, m.sum(), new Shape(m.dim(), m.dim()));
            SafeTensors.write(file, List.of(new SafeTensors.Entry("mom2.sum", sum, StorageType.F32)), md);
            LOG.info("layer statistics written to {}", file);
        } catch (IOException e) {
            throw new EmendException("cannot write layer statistics to %s: %s".formatted(file, e.getMessage()), e);
        }
    }

    /**
     * Hashes the parameters that determine the keys at {@code layer}: token and position embeddings, every block
     * below, and the edited block's norms, attention and MLP input projections (not its out-projection).
     *
     * @param model the model
     * @param layer block index
     * @return hex SHA-256 of names, shapes, types and bytes
     */
    public static String weightsHash(LanguageModel model, int layer) {
        ModelLayout layout = model.architecture().layout();
        List<String> names = new ArrayList<>();
        names.add(layout.tokenEmbedding());
        if (layout.positionEmbedding() != null) {
            names.add(layout.positionEmbedding());
        }
        for (int l = 0; l <= layer; l++) {
            ModelLayout.Block b = layout.blocks().get(l);
            norm(names, b.ln1());
            norm(names, b.ln2());
            ModelLayout.Attention a = b.attention();
            for (ModelLayout.Linear lin : new ModelLayout.Linear[] {a.qkv(), a.q(), a.k(), a.v(), a.out(), b.mlp().up(), b.mlp().gate()}) {
                linear(names, lin);
            }
            if (l < layer) {
                linear(names, b.mlp().down());
            }
        }
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String name : names) {
                NDArray w = model.weights().get(name);
                md.update((name + w.getShape() + w.getDataType()).getBytes(StandardCharsets.UTF_8));
                ByteBuffer bytes = w.toByteBuffer();
                md.update(bytes.duplicate());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void norm(List<String> names, ModelLayout.Norm n) {
        if (n != null) {
            names.add(n.weight());
            if (n.bias() != null) {
                names.add(n.bias());
            }
        }
    }

    private static void linear(List<String> names, ModelLayout.Linear l) {
        if (l != null) {
            names.add(l.weight().name());
            if (l.bias() != null) {
                names.add(l.bias());
            }
        }
    }
}
