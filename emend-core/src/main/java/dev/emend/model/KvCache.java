package dev.emend.model;

import ai.djl.ndarray.NDArray;

/**
 * Keys and values of past tokens per layer, for incremental decoding. Also keeps the attention mask of every past
 * slot so that new tokens get correct positions and masks. Owned by the caller; {@link #close()} frees it.
 */
public final class KvCache implements AutoCloseable {
    private final NDArray[] keys;   // per layer [B, KVH, Tpast, hd]
    private final NDArray[] values; // per layer [B, KVH, Tpast, hd]
    private final int batch;
    private long[] mask = new long[0]; // [B * Tpast]
    private int length;

    /**
     * Creates an empty cache.
     *
     * @param layers L
     * @param batch B
     */
    public KvCache(int layers, int batch) {
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.batch = batch;
    }

    /** @return B */
    public int batchSize() {
        return batch;
    }

    /** @return Tpast, the number of cached slots */
    public int length() {
        return length;
    }

    /** @return the mask of cached slots [B * Tpast] (a copy) */
    public long[] mask() {
        return mask.clone();
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    void put(int layer, NDArray k, NDArray v) {
        if (keys[layer] != null && keys[layer] != k) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = k;
        values[layer] = v;
    }

    void extend(long[] newMask, int newLength) {
        mask = newMask;
        length = newLength;
    }

    @Override
    public void close() {
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] != null) {
                keys[l].close();
                values[l].close();
                keys[l] = null;
                values[l] = null;
            }
        }
    }
}
