package dev.emend.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.gguf.GgufFile;
import dev.emend.gguf.GgufWriter;
import java.util.Set;

/**
 * How one llama.cpp architecture ({@code general.architecture}) maps onto an Emend model family: metadata keys to
 * {@code config.json} keys, GGUF tensor names to checkpoint names, and any reordering llama.cpp's converter applies
 * to tensor values. Each implementation lives next to its family ({@code dev.emend.model.<family>}); the loader and
 * writer in {@link GgufModels} hold no architecture knowledge.
 */
public interface GgufFamily {
    /** @return the {@code general.architecture} value handled, e.g. "llama" */
    String architecture();

    /** @return the HF {@code model_type}s this architecture can be written from */
    Set<String> modelTypes();

    /**
     * The HF {@code config.json} the file's metadata describes (what transformers derives from the same keys).
     *
     * @param file the GGUF file
     * @return the config, with {@code model_type} set
     * @throws dev.emend.ModelLoadException if a required key is missing or the file uses a feature not supported
     */
    ObjectNode hfConfig(GgufFile file);

    /**
     * @param ggufName a tensor name in the file, e.g. {@code blk.3.attn_q.weight}
     * @return its checkpoint name, e.g. {@code model.layers.3.self_attn.q_proj.weight}, or null if unknown
     */
    String hfName(String ggufName);

    /**
     * @param hfName a checkpoint name
     * @return its GGUF name
     * @throws IllegalArgumentException if the architecture has no such tensor
     */
    String ggufName(String hfName);

    /**
     * @param hfName a checkpoint name
     * @return true if {@link #fromGguf}/{@link #toGguf} change the tensor's values (else they are the identity)
     */
    boolean reorders(String hfName);

    /**
     * Undoes what llama.cpp's converter did to a tensor's values.
     *
     * @param hfName checkpoint name
     * @param values row-major values as stored in the GGUF file
     * @param config the model config
     * @return the values in checkpoint order (may be {@code values} itself)
     */
    float[] fromGguf(String hfName, float[] values, ModelConfig config);

    /**
     * Applies what llama.cpp's converter does to a tensor's values; the inverse of {@link #fromGguf}.
     *
     * @param hfName checkpoint name
     * @param values row-major values in checkpoint order
     * @param config the model config
     * @return the values as a GGUF file stores them (may be {@code values} itself)
     */
    float[] toGguf(String hfName, float[] values, ModelConfig config);

    /**
     * Writes {@code general.architecture} and the architecture's hyper-parameter keys.
     *
     * @param config the model config
     * @param out the writer
     * @throws dev.emend.UnsupportedArchitectureException if the config uses something GGUF cannot express here
     */
    void writeMetadata(ModelConfig config, GgufWriter out);
}
