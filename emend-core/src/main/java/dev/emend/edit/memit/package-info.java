/**
 * MEMIT and AlphaEdit (algorithms §3, §4): batched locate-then-edit over a range of MLP out-projections, the target
 * residual z at the last layer spread over the layers by least squares; AlphaEdit projects each update onto the null
 * space of the key statistics and solves against the keys of earlier live edits.
 */
package dev.emend.edit.memit;
