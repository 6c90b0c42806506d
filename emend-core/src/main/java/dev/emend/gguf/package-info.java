/**
 * Reading GGUF files (llama.cpp's single-file model format, versions 2 and 3): {@link dev.emend.gguf.GgufFile}
 * parses and validates the header, {@link dev.emend.gguf.GgufMetadata} gives typed access to the key-value metadata,
 * {@link dev.emend.gguf.GgufTensorInfo} describes each tensor and {@link dev.emend.gguf.GgmlDequant} turns ggml's
 * block-quantised data into float32.
 *
 * <p>Shapes: ggml lists dimensions innermost first ({@code ne[0]} is the row length); Emend, PyTorch and DJL list
 * them outermost first. A ggml matrix {@code ne = [in, out]} is the row-major array {@code [out, in]}, i.e. the
 * Hugging Face {@code nn.Linear} weight layout {@code [out_features, in_features]}. {@code GgufTensorInfo.dims()}
 * is ggml order, {@code shape()} row-major order.
 *
 * <p>Memory: nothing here holds a file open. Tensor bytes are memory-mapped on demand (one mapping per call, or
 * several for ranges over 1 GiB) and the mapping belongs to the returned buffer; arrays made by {@code load} belong
 * to the caller's {@code NDManager}. Every malformed input is a {@link dev.emend.gguf.GgufException} that names the
 * file, the place and the remedy.
 *
 * <p>Not here yet: mapping GGUF tensor names and metadata onto Emend's model families, the GGUF tokenizer, writing
 * GGUF files, and dequantisers for the other ggml types (Q2_K, Q3_K, Q8_K, IQ*, TQ*, MXFP4, ...).
 */
package dev.emend.gguf;
