package dev.emend.model;

/**
 * A projection weight in the checkpoint: its name, how it is stored, and its maths shape [out, in].
 *
 * @param name checkpoint tensor name, e.g. {@code transformer.h.17.mlp.c_proj.weight}
 * @param orientation storage orientation
 * @param outFeatures rows of the maths matrix
 * @param inFeatures columns of the maths matrix
 */
public record WeightRef(String name, Orientation orientation, long outFeatures, long inFeatures) {
    /** @return the stored shape */
    public long[] storedShape() {
        return orientation.storedShape(outFeatures, inFeatures);
    }
}
