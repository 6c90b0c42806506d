/**
 * Layer statistics of the unedited model over a text corpus: the uncentred second moment of the MLP keys,
 * {@code C = (1/N) Σ k kᵀ} at {@code blocks.L.mlp.hook_post} (algorithms §1.4), collected streaming (one batch of
 * texts at a time, {@code S += XᵀX}) and cached on disk under an explicit key (weights hash, layer, corpus hash,
 * sample count, dtype). Legend: N key rows, F MLP width.
 */
package dev.emend.stats;
