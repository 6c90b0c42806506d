package dev.emend.model;

import dev.emend.ConfigException;

/**
 * The shape and numerics of a decoder-only transformer, normalised from a family's {@code config.json}. The generic
 * forward pass reads only this record and the {@link ModelLayout}.
 *
 * @param modelType HF {@code model_type}
 * @param vocabSize V
 * @param hiddenSize D
 * @param numLayers L
 * @param numHeads query heads H
 * @param numKvHeads key/value heads (H for multi-head attention, fewer for GQA)
 * @param headDim per-head width
 * @param intermediateSize F, the MLP hidden width (the key dimension)
 * @param maxPositions context length of the checkpoint
 * @param norm norm kind
 * @param normEps norm epsilon
 * @param activation MLP non-linearity
 * @param gatedMlp true for SwiGLU-style MLPs
 * @param residual how attention and MLP join the residual stream
 * @param rotary rotary embedding, or null for learned positions
 * @param tiedEmbeddings true if the LM head reuses the token embedding
 * @param slidingWindow attention window in tokens, 0 for none
 * @param attentionScale multiplier of qkᵀ (usually {@code headDim^-0.5})
 * @param scaleAttnByInverseLayer GPT-2's {@code scale_attn_by_inverse_layer_idx}
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int intermediateSize,
        int maxPositions,
        NormKind norm,
        double normEps,
        Activation activation,
        boolean gatedMlp,
        Residual residual,
        Rotary rotary,
        boolean tiedEmbeddings,
        int slidingWindow,
        double attentionScale,
        boolean scaleAttnByInverseLayer) {

    /** Norm kinds. */
    public enum NormKind {
        /** LayerNorm with weight and bias. */
        LAYER_NORM,
        /** RMSNorm with weight only. */
        RMS_NORM
    }

    /** How a block adds attention and MLP to the residual stream. */
    public enum Residual {
        /** {@code x += attn(ln1 x); x += mlp(ln2 x)} (GPT-2, Llama). */
        SEQUENTIAL,
        /** {@code h = ln1 x; x += attn(h) + mlp(h)} (GPT-J). */
        PARALLEL_SHARED_NORM,
        /** {@code x += attn(ln1 x) + mlp(ln2 x)} (GPT-NeoX with use_parallel_residual). */
        PARALLEL
    }

    /** Validates sizes. */
    public ModelConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("num_key_value_heads", numKvHeads);
        positive("head_dim", headDim);
        positive("intermediate_size", intermediateSize);
        positive("max_position_embeddings", maxPositions);
        if (numHeads % numKvHeads != 0) {
            throw new ConfigException("num_attention_heads %d is not a multiple of num_key_value_heads %d"
                    .formatted(numHeads, numKvHeads));
        }
        if (rotary != null && (rotary.dim() > headDim || rotary.dim() % 2 != 0)) {
            throw new ConfigException("rotary dimension %d must be even and at most head_dim %d"
                    .formatted(rotary.dim(), headDim));
        }
        if (!(normEps > 0)) {
            throw new ConfigException("norm epsilon must be positive, got " + normEps);
        }
    }

    /**
     * Derives the per-head width of checkpoints without a {@code head_dim} key, as HF does ({@code D // H}), and
     * checks it here, before a zero head count divides by zero or a remainder surfaces as a reshape error in the
     * first forward pass.
     *
     * @param hiddenSize D
     * @param numHeads H
     * @return D / H
     * @throws ConfigException if H is not positive or does not divide D
     */
    public static int headDim(int hiddenSize, int numHeads) {
        positive("num_attention_heads", numHeads);
        if (hiddenSize % numHeads != 0) {
            throw new ConfigException(("config.json: the hidden size %d is not a multiple of the %d attention heads; "
                    + "restore the original config.json").formatted(hiddenSize, numHeads));
        }
        return hiddenSize / numHeads;
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new ConfigException("config.json: %s must be positive, got %d".formatted(key, value));
        }
    }

    /** @return query heads per key/value head */
    public int groupSize() {
        return numHeads / numKvHeads;
    }
}
